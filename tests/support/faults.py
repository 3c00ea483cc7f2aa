"""Fault injection for the runbook's reliability tests: a sandbox per test, and faults on the wire.

Faults are botocore event handlers, attached to every client a run opens (through
`Connection._client`), so the code under test runs unchanged:

- `before-call.iam.Op` raising `Crash`: the process dies before the request leaves;
- `after-call.iam.Op` raising `Crash`: IAM made the change, the answer never arrived;
- `before-send.iam.Op` answering an error body: IAM said "not yet" (`NoSuchEntity`,
  `EntityTemporarilyUnmodifiable`) or "slow down" (`Throttling`). A `before-send` answer goes
  through botocore's retry handler and response parser like one off the network.

Used through an `account` fixture by the tests of faults, bad input, teardown, apply and sections.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from runbook_lib import runbook
from runbook_lib.aws import Connection, is_write
from runbook_lib.policies import PolicyRef
from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID, Sandbox, start as start_sandbox
from runbook_lib.sections import CREATE
from runbook_lib.session import run_sections
from runbook_lib.users import TAG_KEY, TAG_VALUE
from tests.support.net import reset_sandbox, root_iam

_root_iam = functools.cache(root_iam)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

REGION = "us-east-1"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
BILLING_ARN = "arn:aws:iam::aws:policy/job-function/Billing"
CODECOMMIT = "codecommit.amazonaws.com"

# The write calls of the procedure, in order, as a fresh account sees them (`call_log.writes`).
WRITES_BY_USER = [
    "CreateUser", "CreateLoginProfile", "AttachUserPolicy", "AttachUserPolicy",
    "CreateVirtualMFADevice", "EnableMFADevice", "CreateServiceSpecificCredential",
]  # fmt: skip
WRITES_BY_GROUP = [
    "UpdateAccountPasswordPolicy", "CreateUser", "CreateLoginProfile", "CreateGroup",
    "AttachGroupPolicy", "AttachGroupPolicy", "AddUserToGroup",
    "CreateVirtualMFADevice", "EnableMFADevice", "CreateServiceSpecificCredential",
]  # fmt: skip
GROUP_VARIANT: dict[str, Any] = {"grant_via": "group", "password_policy": "cis"}


class Crash(BaseException):
    """The process dying mid-run: nothing in the runbook catches it, as nothing catches SIGKILL."""


# --- faults on the wire ------------------------------------------------------------------------


class _Body:
    """The `raw` of a synthetic `AWSResponse`: botocore reads it with `stream()`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def error_response(code: str, message: str = "", status: int = 400) -> AWSResponse:
    """IAM's query-protocol error, as the service sends it."""
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message or code}</Message></Error>"
        "<RequestId>00000000-fault-injection</RequestId></ErrorResponse>"
    ).encode()
    headers = HTTPHeaders()
    headers["Content-Type"] = "text/xml"
    return AWSResponse("https://iam.amazonaws.com/", status, headers, _Body(body))


Handler = Callable[..., Any]


@dataclass
class Faults:
    """Handlers for every client the runs of one test open, and what they saw.

    `sends` counts the requests that reached the wire per operation, retries included, while
    `call_log` counts each API call once: the difference is the retries.
    """

    handlers: list[tuple[str, Handler]] = field(default_factory=list)
    sends: Counter[str] = field(default_factory=Counter)
    calls: list[str] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-call.*.*", self._dispatch("before-call"))
        events.register("after-call.*.*", self._dispatch("after-call"))
        events.register("before-send.*.*", self._dispatch("before-send"))

    def _dispatch(self, stage: str) -> Handler:
        def handle(event_name: str, **kwargs: Any) -> Any:
            operation = event_name.rsplit(".", 1)[-1]
            if stage == "before-send":
                self.sends[operation] += 1
            elif stage == "before-call":
                self.calls.append(operation)
            for prefix, handler in list(self.handlers):
                if prefix == f"{stage}.{operation}" or prefix == f"{stage}.*":
                    answer = handler(operation=operation, **kwargs)
                    if answer is not None:
                        return answer
            return None

        return handle

    @property
    def writes(self) -> list[str]:
        """Every write call any run of this test attempted, failed or not."""
        return [c for c in self.calls if is_write(c)]

    def on(self, stage: Literal["before-call", "after-call", "before-send"], operation: str, handler: Handler) -> None:
        self.handlers.append((f"{stage}.{operation}", handler))

    def crash(self, operation: str, when: Literal["before", "after"], nth: int = 1) -> None:
        """Raise `Crash` before the `nth` call of `operation` is sent, or after IAM answered it."""
        seen = Counter[str]()

        def handler(operation: str, **_: Any) -> None:
            seen[operation] += 1
            if seen[operation] == nth:
                raise Crash(f"{when} {operation} #{nth}")

        self.on("before-call" if when == "before" else "after-call", operation, handler)

    def answer(self, operation: str, code: str, times: int, *, status: int = 400) -> None:
        """The first `times` requests of `operation` get IAM's error `code` instead of an answer."""
        left = [times]

        def handler(**_: Any) -> AWSResponse | None:
            if left[0] <= 0:
                return None
            left[0] -= 1
            self.injected[code] += 1
            return error_response(code, f"injected: {code}", status)

        self.on("before-send", operation, handler)

    def deny(self, operation: str) -> None:
        """The caller lacks `iam:<operation>` (or `sts:`): IAM answers AccessDenied, every time."""
        self.answer(operation, "AccessDenied", 10**6, status=403)

    def propagation(self, after: str, code: str, answers: int, *, naming: str = "UserName") -> None:
        """Once `after` succeeds, the next `answers` requests `naming` an entity see `code`.

        This is IAM's eventual consistency: what was just created is not yet visible to every
        endpoint, so the calls that name it, and the waiters polling for it, are told "not yet".
        """
        left = [0]

        def arm(http_response: AWSResponse, **_: Any) -> None:
            if http_response.status_code < 300:
                left[0] = answers

        def handler(request: Any, **_: Any) -> AWSResponse | None:
            body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
            if left[0] <= 0 or f"{naming}=".encode() not in body:
                return None
            left[0] -= 1
            self.injected[code] += 1
            return error_response(code, f"injected propagation delay: {code}")

        self.on("after-call", after, arm)
        self.on("before-send", "*", handler)


# --- the sandbox and one account per test ------------------------------------------------------


@functools.cache
def shared_sandbox() -> Sandbox:
    """One sandbox served from this process for the session (a daemon thread: it ends with pytest).

    Served in-process so that tests can also read its backend: the passwords and seeds IAM holds.
    """
    return start_sandbox()


@dataclass
class Account:
    """A fresh sandbox account, its root user's IAM client, a secrets directory and the faults."""

    endpoint_url: str
    iam: IAMClient
    secrets_dir: Path
    faults: Faults
    monkeypatch: pytest.MonkeyPatch

    def params(self, **overrides: Any) -> dict[str, Any]:
        """The headless run's parameters; `mfa_codes="generate"` computes codes from the seed."""
        return {"user_name": "alice", "mfa_codes": "generate", "secrets_dir": str(self.secrets_dir), **overrides}

    def run(self, *, until: str = "verify", list_policies: bool = False, **overrides: Any) -> runbook.Runbook:
        """`runbook.run_headless` (up to section `until`).

        AWS's managed policies are the same in every sandbox account, so they are listed once per
        session and handed to each run, unless `list_policies` asks for the run's own `ListPolicies`.
        """
        run = runbook.start(self.params(**overrides))
        if not list_policies:
            run.catalogue = _catalogue(run)
        run_sections(run, CREATE, until)
        return run

    def secrets(self) -> list[dict[str, str]]:
        """Every secrets file the runs of this test wrote, oldest first."""
        return [json.loads(p.read_text()) for p in sorted(self.secrets_dir.glob("*.json"))]

    def no_sleep(self) -> list[float]:
        """Record the sleeps the code asks for instead of spending them; return the record."""
        slept: list[float] = []
        self.monkeypatch.setattr(time, "sleep", slept.append)
        return slept


_CATALOGUE: list[PolicyRef] = []


def _catalogue(run: runbook.Runbook) -> list[PolicyRef]:
    """AWS's managed policies are the same in every sandbox account: list them once."""
    if not _CATALOGUE:
        from runbook_lib import policies

        _CATALOGUE.extend(policies.list_aws_managed(run.conn.iam))
    return _CATALOGUE


def sandbox_env(monkeypatch: pytest.MonkeyPatch, endpoint_url: str) -> None:
    """Only the sandbox can be reached: no credentials, profile or runbook secret from the caller."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "RUNBOOK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


def open_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    """A fresh account on the shared sandbox; every client a run opens carries this test's faults."""
    sandbox = shared_sandbox()
    reset_sandbox(sandbox.endpoint_url)
    sandbox_env(monkeypatch, sandbox.endpoint_url)
    faults = Faults()
    original = Connection._client

    def client_with_faults(conn: Connection, service: str) -> Any:
        new = service not in conn._clients
        client = original(conn, service)
        if new:
            faults.attach(client)
        return client

    monkeypatch.setattr(Connection, "_client", client_with_faults)
    return Account(sandbox.endpoint_url, _root_iam(sandbox.endpoint_url), tmp_path / "secrets", faults, monkeypatch)


def runbook_cli(account: Account, home: Path, *args: str) -> subprocess.Popen[str]:
    """`runbook ARGS` against the test's sandbox, in a session of its own so that it can be killed whole."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env.update(HOME=str(home), AWS_ENDPOINT_URL=account.endpoint_url, AWS_ACCESS_KEY_ID="ASIAEXAMPLESANDBOX01",
               AWS_SECRET_ACCESS_KEY="sandbox", AWS_SESSION_TOKEN="x", AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    return subprocess.Popen([str(Path(sys.executable).parent / "runbook"), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


# --- what the account holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """Everything IAM holds that a run of the runbook could have made, read by the root user."""

    users: tuple[str, ...]
    groups: tuple[str, ...]
    password_policy: bool
    unassigned_devices: tuple[str, ...]
    assigned_devices: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self == Holdings((), (), False, (), ())


def holdings(iam: IAMClient) -> Holdings:
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    try:
        iam.get_account_password_policy()
        policy = True
    except iam.exceptions.NoSuchEntityException:
        policy = False
    return Holdings(
        users=tuple(sorted(u["UserName"] for u in iam.list_users()["Users"])),
        groups=tuple(sorted(g["GroupName"] for g in iam.list_groups()["Groups"])),
        password_policy=policy,
        unassigned_devices=tuple(d["SerialNumber"] for d in devices if "User" not in d),
        assigned_devices=tuple(d["SerialNumber"] for d in devices if "User" in d),
    )


def assert_full_end_state(
    account: Account, user: str = "alice", *, group: str = "", git_delivered: bool = True
) -> None:
    """One user, tagged; one login profile; both policies; one MFA device; one Git credential.

    No virtual MFA device is left unassigned, and the seed and password delivered in the
    secrets files are the ones IAM holds (nothing the person needs was lost).
    """
    iam = account.iam
    held = holdings(iam)
    assert held.users == (user,), held
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user)["Tags"]}
    assert tags.get(TAG_KEY) == TAG_VALUE, tags
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"] == user
    attached = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]
    if group:
        assert attached == [], attached
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
        granted = [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]]
        assert sorted(granted) == [ADMIN_ARN, BILLING_ARN], granted
        assert held.groups == (group,) and held.password_policy, held
    else:
        assert sorted(attached) == [ADMIN_ARN, BILLING_ARN], attached
    devices = [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]]
    assert len(devices) == 1 and held.assigned_devices == tuple(devices), (devices, held)
    assert held.unassigned_devices == (), held
    credentials = iam.list_service_specific_credentials(UserName=user, ServiceName=CODECOMMIT)
    assert len(credentials["ServiceSpecificCredentials"]) == 1, credentials
    delivered = merged(account.secrets())
    backend = _backend()
    seed = backend.virtual_mfa_devices[devices[0]].base32_string_seed
    assert delivered.get("mfa_seed") == seed, "the seed delivered is not the enabled device's"
    assert iam_holds_console_password(user, delivered.get("console_password")), "the console password was lost"
    if git_delivered:
        assert iam_holds_git_password(user, delivered.get("codecommit_password")), "the Git password was lost"


def merged(files: list[dict[str, str]]) -> dict[str, str]:
    """What the person holds after every run: later files supersede earlier ones."""
    out: dict[str, str] = {}
    for values in files:
        out.update(values)
    return out


def _backend() -> Any:
    from runbook_lib.sandbox.iam import account_backend

    return account_backend(SANDBOX_ACCOUNT_ID)


def iam_holds_console_password(user: str, password: str | None) -> bool:
    """Whether ``password`` is the user's console password (the sandbox keeps only its hash)."""
    from runbook_lib.sandbox.passwords import password_matches

    stored = _backend().get_user(user).password
    return password is not None and stored is not None and password_matches(password, stored)


def iam_holds_git_password(user: str, password: str | None) -> bool:
    """Whether ``password`` is that of the user's one Git credential (the sandbox keeps only its digest)."""
    from runbook_lib.sandbox.credentials import password_digest

    (credential,) = _backend()._credentials_of(user, CODECOMMIT)
    return password is not None and credential.password_digest == password_digest(password)
