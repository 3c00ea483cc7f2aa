"""`target=sandbox` means a loopback endpoint and the sandbox's own fake credentials (issue 13, item 3).

Whatever the environment holds (an endpoint setting pointing elsewhere, real keys, a stray profile, a
broken config file, a proxy), a sandbox run either talks to this machine with fictional credentials
or is refused before any connection, naming the endpoint and the deliberate way (`target=aws` with
`confirm`).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import aws
from runbook_lib.errors import RunbookError
from runbook_lib.params import parse
from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID
from tests.support.faults import sandbox_env, shared_sandbox
from tests.support.net import BIN

# An endpoint that is not this machine, and how the refusal names it (never with a password in it).
ELSEWHERE = {
    "http://10.1.2.3:5000": "http://10.1.2.3:5000",
    "https://iam.amazonaws.com": "https://iam.amazonaws.com",
    "http://203.0.113.9/": "http://203.0.113.9",
    "http://localhost.example.com:5000": "http://localhost.example.com:5000",
    "http://127.0.0.1.nip.io:5000": "http://127.0.0.1.nip.io:5000",
    "http://127.0.0.1:pw@198.51.100.7:5000": "http://198.51.100.7:5000",
    "http://0.0.0.0:5000": "http://0.0.0.0:5000",
    "http://[2001:db8::1]:5000": "http://[2001:db8::1]:5000",
    "http://sandbox:5000": "http://sandbox:5000",
    "ftp://127.0.0.1/": "ftp://127.0.0.1",
    "127.0.0.1:5000": "127.0.0.1:5000",
}
LOCAL = ["http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000", "http://127.8.9.10:5000"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS setting from the caller; the sandbox of this test session would be reachable."""
    sandbox_env(monkeypatch, "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any attempt to open a connection (or start the embedded sandbox) is recorded and refused."""
    attempts: list[Any] = []

    def refuse(*args: Any, **_: Any) -> Any:
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr("runbook_lib.sandbox.start", refuse)
    yield attempts


def refused(endpoint_setting: str, shown: str, attempts: list[Any]) -> None:
    with pytest.raises(RunbookError) as caught:
        aws.connect("sandbox", "us-east-1")
    text = str(caught.value)
    assert caught.value.parameter == "target" and shown in text and endpoint_setting in text, text
    assert ":pw@" not in text
    assert "target=aws" in (caught.value.fix or "") and "confirm" in (caught.value.fix or "")
    assert attempts == []
    with pytest.raises(RunbookError):  # and before papermill: `runbook run` parses first
        parse({"target": "sandbox"})


@pytest.mark.parametrize("url", ELSEWHERE)
def test_aws_endpoint_url_elsewhere_is_refused_before_any_connection(
    clean_env: pytest.MonkeyPatch, no_connection: list[Any], url: str
) -> None:
    clean_env.setenv("AWS_ENDPOINT_URL", url)
    refused("AWS_ENDPOINT_URL", ELSEWHERE[url], no_connection)


@pytest.mark.parametrize("name", ["AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"])
@pytest.mark.parametrize("local_main", [True, False], ids=["beside-a-local-endpoint", "alone"])
def test_a_service_endpoint_elsewhere_is_refused_before_any_connection(
    clean_env: pytest.MonkeyPatch, no_connection: list[Any], name: str, local_main: bool
) -> None:
    if local_main:
        clean_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    clean_env.setenv(name, "https://203.0.113.44")
    refused(name, "https://203.0.113.44", no_connection)


CONFIGS = {
    "default profile": ("[default]\nendpoint_url = https://203.0.113.45\n", ""),
    "named profile": ("[profile work]\nendpoint_url = https://203.0.113.45\n", "work"),
    "services section": (
        "[default]\nservices = mine\n\n[services mine]\niam =\n  endpoint_url = https://203.0.113.45\n",
        "",
    ),
}


@pytest.mark.parametrize("config", CONFIGS)
def test_a_config_file_endpoint_elsewhere_is_refused_before_any_connection(
    clean_env: pytest.MonkeyPatch, no_connection: list[Any], tmp_path: Path, config: str
) -> None:
    text, profile = CONFIGS[config]
    (tmp_path / "config").write_text(text)
    clean_env.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    if profile:
        clean_env.setenv("AWS_PROFILE", profile)
    refused("endpoint_url", "https://203.0.113.45", no_connection)


@pytest.mark.parametrize("url", LOCAL)
def test_a_loopback_endpoint_is_accepted_without_connecting(
    clean_env: pytest.MonkeyPatch, no_connection: list[Any], url: str
) -> None:
    clean_env.setenv("AWS_ENDPOINT_URL", url)
    conn = aws.connect("sandbox", "us-east-1")
    assert conn.endpoint_url == url and no_connection == []


@pytest.mark.parametrize("url", list(ELSEWHERE)[:3])
def test_target_aws_is_the_deliberate_way_to_another_endpoint(clean_env: pytest.MonkeyPatch, url: str) -> None:
    clean_env.setenv("AWS_ENDPOINT_URL", url)
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDUMMYKEY1")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "dummy")
    assert aws.connect("aws", "us-east-1").endpoint_url == url
    assert parse({"target": "aws"}).target == "aws"


def signed_with(conn: aws.Connection) -> list[str]:
    """The access key id of each request the connection signs, read off the wire's Authorization header."""
    keys: list[str] = []

    def record(request: Any, **_: Any) -> None:
        keys.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0])

    conn.iam.meta.events.register("before-send", record)
    conn.sts.meta.events.register("before-send", record)
    assert conn.sts.get_caller_identity()["Arn"].endswith(":root")
    conn.iam.get_account_summary()
    return keys


ENVIRONMENTS = {
    "real-looking keys": {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    },
    "temporary keys": {
        "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_SESSION_TOKEN": "t",
    },
    "a stray profile": {"AWS_PROFILE": "no-such-profile"},
    "an empty profile": {"AWS_PROFILE": ""},
    "a default profile that is not there": {"AWS_DEFAULT_PROFILE": "gone"},
    "a broken config file": {"AWS_CONFIG_FILE": "BROKEN"},
    "a broken credentials file": {"AWS_SHARED_CREDENTIALS_FILE": "BROKEN"},
}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_sandbox_run_signs_with_the_sandboxs_own_fake_credentials_whatever_the_environment_holds(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, environment: str
) -> None:
    (tmp_path / "broken").write_text("[default\nthis is = not = ini ][\n")
    for name, value in ENVIRONMENTS[environment].items():
        clean_env.setenv(name, str(tmp_path / "broken") if value == "BROKEN" else value)
    clean_env.setenv("AWS_ENDPOINT_URL", shared_sandbox().endpoint_url)
    conn = aws.connect("sandbox", "us-east-1")
    assert set(signed_with(conn)) == {aws.SANDBOX_CREDENTIALS["aws_access_key_id"]}
    assert not conn.static_keys


def test_the_sandboxs_own_root_keys_simulate_long_term_root_keys(clean_env: pytest.MonkeyPatch) -> None:
    """The one key id honoured from the environment is the sandbox root's own (fictional) one, so that
    preflight's warning about long-term root keys can be rehearsed; its secret is not read."""
    clean_env.setenv("AWS_ACCESS_KEY_ID", SANDBOX_ROOT_ACCESS_KEY_ID)
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "whatever-the-user-typed")
    clean_env.setenv("AWS_ENDPOINT_URL", shared_sandbox().endpoint_url)
    conn = aws.connect("sandbox", "us-east-1")
    assert set(signed_with(conn)) == {SANDBOX_ROOT_ACCESS_KEY_ID} and conn.static_keys
    frozen = conn.session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    assert frozen.secret_key != "whatever-the-user-typed"


class RecordingProxy:
    """A proxy that records who came and answers 403, so that a client sent to it fails at once."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.requests: list[bytes] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with client:
                self.requests.append(client.recv(65536))
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_a_proxy_in_the_environment_never_sees_a_sandbox_request(clean_env: pytest.MonkeyPatch) -> None:
    """The CreateLoginProfile body goes over plain HTTP: it must not leave this machine through a proxy."""
    proxy = RecordingProxy()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        clean_env.setenv(name, proxy.url)
    clean_env.setenv("AWS_ENDPOINT_URL", shared_sandbox().endpoint_url)
    try:
        conn = aws.connect("sandbox", "us-east-1")
        assert conn.sts.get_caller_identity()["Arn"].endswith(":root")
    finally:
        proxy.server.close()
    assert proxy.requests == []


@pytest.mark.slow
def test_runbook_run_refuses_a_remote_endpoint_before_papermill_writes_anything(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": "http://198.51.100.7:5000",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    }
    args = [str(BIN / "runbook"), "run", "--output-dir", str(tmp_path / "runs"), "-p", "user_name", "alice"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "198.51.100.7" in done.stderr and "target=aws" in done.stderr and "confirm" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
