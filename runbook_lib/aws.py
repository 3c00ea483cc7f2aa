"""Connecting to the target: the embedded sandbox (default), any endpoint, or real AWS on request.

Every client uses botocore's adaptive retry mode for throttling, and every call goes through an
event hook that counts it, so a run can prove how many reads and writes it made.
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import EndpointUnreachable, PreflightError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient

    from .sandbox import Sandbox

# IAM API verbs that change state; everything else the runbook calls is a read.
WRITE_PREFIXES = (
    "Create",
    "Delete",
    "Attach",
    "Detach",
    "Put",
    "Update",
    "Enable",
    "Deactivate",
    "Add",
    "Remove",
    "Reset",
    "Tag",
    "Untag",
    "Upload",
    "Set",
    "Change",
)

ENDPOINT_WAIT = 5.0
"""Seconds an explicit endpoint may take to start listening before the run says it cannot be reached."""

# Sandbox credentials: static fake keys; the sandbox treats any unknown key as its root user.
SANDBOX_CREDENTIALS = {
    "aws_access_key_id": "ASIASANDBOXEXAMPLE01",
    "aws_secret_access_key": "sandbox-secret-not-a-real-key",
    "aws_session_token": "sandbox-session-token",
}


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES) and operation != "GenerateCredentialReport"


@dataclass
class CallLog:
    """Every API call made, in order, as 'service:Operation'."""

    calls: list[str] = field(default_factory=list)

    def record(self, model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.endpoint_prefix}:{model.name}")

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if is_write(c.split(":", 1)[1])]


@dataclass
class Connection:
    """The clients for one target, plus what preflight needs to know about how we connected."""

    session: boto3.Session
    target: str
    region: str
    endpoint_url: str | None
    call_log: CallLog
    sandbox: Sandbox | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def iam(self) -> IAMClient:
        return self._client("iam")  # type: ignore[no-any-return]

    @property
    def sts(self) -> STSClient:
        return self._client("sts")  # type: ignore[no-any-return]

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                retries={"mode": "adaptive", "max_attempts": 8},
                connect_timeout=10,
                read_timeout=30,
                user_agent_extra="runbook-first-admin",
            )
            client: Any = self.session.client(  # type: ignore[call-overload]
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
            )
            client.meta.events.register("before-call.*.*", self.call_log.record)
            client.meta.events.register("after-call.*.*", name_denied_action)
            client.meta.events.register("after-call.*.*", self._answered_as_aws)
            client.meta.events.register("after-call-error.*.*", self._unreachable)
            self._clients[service] = client
        return self._clients[service]

    @property
    def credential_method(self) -> str:
        """How botocore found the credentials ('env', 'shared-credentials-file', 'sso', ...)."""
        creds = self.session.get_credentials()
        return getattr(creds, "method", "") if creds else ""

    @property
    def static_keys(self) -> bool:
        """Long-term keys (no session token) from the environment or the shared credentials file."""
        creds = self.session.get_credentials()
        if creds is None:
            return False
        frozen = creds.get_frozen_credentials()
        return not frozen.token and self.credential_method in (
            "env",
            "shared-credentials-file",
            "config-file",
            "explicit",
        )

    def _unreachable(self, exception: Exception, **_: Any) -> None:
        """No answer at all once botocore has retried (refused, timed out, cut off): one typed error."""
        from botocore.exceptions import ConnectionClosedError, ConnectionError, ReadTimeoutError

        if isinstance(exception, ConnectionError | ConnectionClosedError | ReadTimeoutError):
            raise unreachable(self.target, self.endpoint_url, str(exception)) from exception

    def _answered_as_aws(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        """An error without an AWS error code (a bare HTTP status) comes from something that is not AWS."""
        code = str((parsed.get("Error") or {}).get("Code", ""))
        if http_response.status_code >= 400 and (not code or code.isdigit()):
            raise unreachable(
                self.target, self.endpoint_url, f"it answered HTTP {http_response.status_code}, not as AWS does"
            )

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def connect(
    target: str,
    region: str,
    profile: str = "",
) -> Connection:
    """Open clients for `target`. The sandbox is started here unless $AWS_ENDPOINT_URL names one."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    sandbox = None
    if endpoint is not None:
        reachable(target, endpoint)
    if target == "sandbox":
        if endpoint is None:
            from . import sandbox as sandbox_module

            sandbox = sandbox_module.start()
            endpoint = sandbox.endpoint_url
        credentials = SANDBOX_CREDENTIALS if not _has_env_keys() else {}
        session = _session(region_name=region, **credentials)
    else:
        try:
            session = _session(profile_name=profile or None, region_name=region)
        except Exception as exc:  # botocore.exceptions.ProfileNotFound and friends
            raise PreflightError(
                f"Cannot use AWS profile {profile!r}: {exc}",
                parameter="profile",
                fix="Name a profile from ~/.aws/config (`aws configure list-profiles`), or leave it empty.",
            ) from None
        if session.get_credentials() is None:
            raise PreflightError(
                "No AWS credentials were found.",
                parameter="profile",
                fix="Run in AWS CloudShell, or `aws sso login --profile NAME` and set profile=NAME.",
            )
    return Connection(
        session=session,
        target=target,
        region=region,
        endpoint_url=endpoint,
        call_log=CallLog(),
        sandbox=sandbox,
    )


def unreachable(target: str, endpoint: str | None, why: str) -> EndpointUnreachable:
    """What could not be reached, and the way out: start the sandbox there, or unset AWS_ENDPOINT_URL."""
    if endpoint is None:
        return EndpointUnreachable(
            f"AWS could not be reached: {why}.",
            parameter="region",
            fix="Check the network connection (and HTTPS_PROXY, if you use a proxy), then run again.",
        )
    url = urllib.parse.urlsplit(endpoint)
    message = f"The endpoint {endpoint} (AWS_ENDPOINT_URL) could not be reached: {why}."
    if target == "sandbox" and url.hostname in ("127.0.0.1", "localhost", "::1"):
        fix = (
            f"Start the sandbox there (`runbook sandbox --port {url.port or 80}`, in another terminal), "
            "or unset AWS_ENDPOINT_URL and the runbook starts a sandbox of its own."
        )
    else:
        fix = "Start the service at that address, or unset AWS_ENDPOINT_URL to reach AWS itself."
    return EndpointUnreachable(message, fix=fix)


def reachable(target: str, endpoint: str, wait: float = ENDPOINT_WAIT) -> None:
    """Whether anything listens at `endpoint`, asked before botocore would retry a refused connection for seconds.

    A sandbox being started beside this run (`runbook run`) may take a moment to listen: until `wait`
    seconds have passed, a refusal is asked again.
    """
    import socket
    import time

    url = urllib.parse.urlsplit(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    deadline = time.monotonic() + wait
    while True:
        try:
            with socket.create_connection((url.hostname or "localhost", port), timeout=min(wait, 5.0)):
                return
        except OSError as exc:
            if time.monotonic() >= deadline:
                why = exc.strerror.lower() if exc.strerror else type(exc).__name__
                raise unreachable(target, endpoint, why) from None
        time.sleep(0.05)


@functools.cache
def _data_loader() -> Any:
    """botocore's service models and endpoint data, parsed once per process and shared by every session.

    Each new session would otherwise parse them again (a quarter of a second per run).
    """
    from botocore.loaders import create_loader

    return create_loader(os.environ.get("AWS_DATA_PATH"))


def _session(**kwargs: Any) -> boto3.Session:
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader())
    return boto3.Session(botocore_session=core, **kwargs)


def preload(services: tuple[str, ...] = ("sts", "iam"), region: str = "us-east-1") -> None:
    """Parse botocore's models and endpoint data for `services` now, into the loader every session shares.

    A kernel started for a person does this while it waits for the notebook's first cell. The clients
    are made with placeholder keys and never called: no credential is looked up, nothing is sent.
    """
    session = _session(region_name=region)
    for service in services:
        session.client(service, aws_access_key_id="preload", aws_secret_access_key="preload")  # type: ignore[call-overload]


def _has_env_keys() -> bool:
    """A test or user may give the sandbox explicit keys (e.g. the sandbox root's static keys)."""
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"))


PROPAGATION_CODES = ("NoSuchEntity", "EntityTemporarilyUnmodifiable")


DENIED_CODES = ("AccessDenied", "AccessDeniedException")


def name_denied_action(model: Any, parsed: dict[str, Any], **_: Any) -> None:
    """Any call the caller may not make fails with the IAM action named, read or write alike.

    An `after-call` hook: it sees IAM's answer once botocore is done retrying, for every client.
    """
    error = parsed.get("Error") or {}
    if error.get("Code") in DENIED_CODES:
        action = f"{model.service_model.endpoint_prefix}:{model.name}"
        raise PreflightError(
            f"The caller may not call {action}: {error.get('Message', '')}",
            parameter="profile",
            fix=f"Run as the root user, or as an administrator allowed {action}.",
        )


def propagating(call: Callable[[], Any], *, wait: Callable[[], None] | None = None, attempts: int = 6) -> Any:
    """Run a call made right after a create, riding out IAM's eventual consistency.

    IAM may answer `NoSuchEntity` or `EntityTemporarilyUnmodifiable` for a moment after a create.
    With `wait` (a boto3 waiter such as `user_exists`) we wait on it; otherwise we back off with
    botocore's own exponential delay. Either way we wait only while IAM answers "not yet".
    """
    import time

    from botocore.exceptions import ClientError, WaiterError
    from botocore.retries.standard import ExponentialBackoff, RetryContext

    backoff = ExponentialBackoff(max_backoff=8)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in PROPAGATION_CODES or attempt == attempts:
                raise
            if wait is not None and attempt == 1 and exc.response["Error"]["Code"] == "NoSuchEntity":
                try:
                    wait()
                except WaiterError:
                    raise exc from None  # it never appeared: the caller explains IAM's own answer
            else:
                time.sleep(backoff.delay_amount(RetryContext(attempt_number=attempt)))
    raise AssertionError("unreachable")
