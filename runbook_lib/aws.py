"""Connecting to the target: the embedded sandbox (default), any endpoint, or real AWS on request.

Every client uses botocore's adaptive retry mode for throttling, and every call goes through an
event hook that counts it, so a run can prove how many reads and writes it made.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import PreflightError

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

# Sandbox credentials: static fake keys; the sandbox treats any unknown key as its root user.
SANDBOX_CREDENTIALS = {
    "aws_access_key_id": "ASIASANDBOXEXAMPLE01",
    "aws_secret_access_key": "sandbox-secret-not-a-real-key",
    "aws_session_token": "sandbox-session-token",
}
# The sandbox root's own long-term key (fictional): the one key id a sandbox run takes from the
# environment, so that preflight's warning about root access keys can be rehearsed.
SANDBOX_ROOT_KEYS = {"aws_secret_access_key": "sandbox-root-secret-not-a-real-key"}

# Where botocore may be told to send IAM or STS calls (besides an explicit endpoint_url).
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS")


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
                # the sandbox is on this machine: no proxy from the environment may carry its calls
                proxies={} if self.target == "sandbox" else None,
            )
            client: Any = self.session.client(  # type: ignore[call-overload]
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
            )
            client.meta.events.register("before-call.*.*", self.call_log.record)
            client.meta.events.register("after-call.*.*", name_denied_action)
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

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def connect(
    target: str,
    region: str,
    profile: str = "",
) -> Connection:
    """Open clients for `target`. The sandbox is started here unless $AWS_ENDPOINT_URL names one.

    A sandbox connection talks only to this machine (a loopback endpoint, no proxy) and signs with
    the sandbox's own fictional credentials: no key, profile or config file of the user is read.
    """
    sandbox = None
    if target == "sandbox":
        endpoint = sandbox_endpoint()
        if endpoint is None:
            from . import sandbox as sandbox_module

            sandbox = sandbox_module.start()
            endpoint = sandbox.endpoint_url
        session = _sandbox_session(region)
    else:
        endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
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


def is_loopback(url: str) -> bool:
    """Whether `url` is an http(s) URL whose host is this machine: `localhost` or a loopback address."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host.rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown_endpoint(url: str) -> str:
    """An endpoint as a message may show it: scheme, host and port, never a user or password in it."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.rsplit("@", 1)[-1]
    if not parts.scheme or not host:
        return url.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"


def configured_endpoints() -> dict[str, str]:
    """Every endpoint setting that could send IAM or STS calls somewhere, by where it is set.

    The environment's variables, and `endpoint_url` of the active profile of the config file and of
    its `services` section. A config file that cannot be read holds none (a sandbox run reads nothing
    else from it).
    """
    found = {name: os.environ[name] for name in ENDPOINT_VARIABLES if os.environ.get(name)}
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return {k: v for k, v in found.items() if k == "AWS_ENDPOINT_URL"}
    path = os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")
    name = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"
    try:
        from botocore.configloader import load_config

        config = load_config(path)
    except Exception:  # missing or broken: botocore's ConfigNotFound, ConfigParseError
        return found
    profile = config.get("profiles", {}).get(name, {})
    where = f"{path}, profile {name!r}"
    if isinstance(profile.get("endpoint_url"), str):
        found[f"endpoint_url in {where}"] = profile["endpoint_url"]
    services = config.get("services", {}).get(profile.get("services"), {})
    for service in ("iam", "sts"):
        if isinstance(services.get(service), dict) and isinstance(services[service].get("endpoint_url"), str):
            found[f"{service} endpoint_url in {where} (services {profile['services']!r})"] = services[service][
                "endpoint_url"
            ]
    return found


def sandbox_endpoint() -> str | None:
    """The endpoint of a sandbox run: $AWS_ENDPOINT_URL, or None to start the embedded sandbox.

    Raises, before any connection is made, if any endpoint setting points anywhere but this machine:
    a sandbox run would otherwise send its calls, and the console password, elsewhere.
    """
    for setting, url in configured_endpoints().items():
        if not is_loopback(url):
            raise PreflightError(
                f"target=sandbox, but {setting} is {shown_endpoint(url)}, which is not this machine; nothing was sent.",
                parameter="target",
                fix=f"To rehearse, unset {setting.split(' ')[0]} (a sandbox run starts its own sandbox) or point "
                "it at a `runbook sandbox` on this machine (http://127.0.0.1:PORT). To use that endpoint "
                "deliberately, run with target=aws and confirm=<its account id>.",
            )
    return os.environ.get("AWS_ENDPOINT_URL") or None


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


def _sandbox_session(region: str) -> boto3.Session:
    """A session that reads nothing of the user's: no profile, config or credentials file, and keys
    that are the sandbox's own (fictional) whatever the environment holds."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader())
    store = core.get_component("config_store")  # constant values: neither the environment nor a file
    store.set_config_variable("profile", None)
    store.set_config_variable("config_file", os.devnull)
    store.set_config_variable("credentials_file", os.devnull)
    from .sandbox.identity import SANDBOX_ROOT_ACCESS_KEY_ID

    if os.environ.get("AWS_ACCESS_KEY_ID") == SANDBOX_ROOT_ACCESS_KEY_ID:
        credentials = {"aws_access_key_id": SANDBOX_ROOT_ACCESS_KEY_ID, **SANDBOX_ROOT_KEYS}
    else:
        credentials = SANDBOX_CREDENTIALS
    return boto3.Session(botocore_session=core, region_name=region, **credentials)


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
