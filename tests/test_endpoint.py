"""An endpoint that is down, or that is not AWS, gives one clear message in every front end (issue 13 item 10).

The message says what could not be reached and the way out (start `runbook sandbox` there, or unset
AWS_ENDPOINT_URL); the procedure raises one typed error for it, `EndpointUnreachable`, whatever botocore
raised underneath. The panels' side is in tests/browser (the wizard and JupyterLab with the endpoint down).
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from runbook_lib import aws
from runbook_lib.errors import EndpointUnreachable
from runbook_lib.runbook import start
from tests.support.net import BIN, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def dead_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """AWS_ENDPOINT_URL at a port where nothing listens."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("HOME", str(tmp_path))
    return endpoint


@pytest.fixture
def not_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """AWS_ENDPOINT_URL at a web server that answers every request with 404 (e.g. a wrong port)."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Not Found</body></html>")

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("HOME", str(tmp_path))
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def assert_names_the_endpoint_and_the_way_out(exc: EndpointUnreachable, endpoint: str) -> None:
    text = str(exc)
    assert endpoint in exc.message and "AWS_ENDPOINT_URL" in exc.message
    port = endpoint.rsplit(":", 1)[1]
    assert f"runbook sandbox --port {port}" in text and "unset AWS_ENDPOINT_URL" in text
    assert "Traceback" not in text and "botocore" not in text


def test_a_dead_endpoint_is_one_typed_error_naming_it_and_the_way_out(dead_endpoint: str, tmp_path: Path) -> None:
    began = time.monotonic()
    with pytest.raises(EndpointUnreachable) as caught:
        start({"secrets_dir": str(tmp_path / "s"), "mfa_codes": "generate"})
    assert_names_the_endpoint_and_the_way_out(caught.value, dead_endpoint)
    assert "connection refused" in caught.value.message
    assert time.monotonic() - began < aws.ENDPOINT_WAIT + 3  # not botocore's retries on top


def test_a_server_that_is_not_aws_is_the_same_error(not_aws: str, tmp_path: Path) -> None:
    with pytest.raises(EndpointUnreachable) as caught:
        start({"secrets_dir": str(tmp_path / "s"), "mfa_codes": "generate"})
    assert_names_the_endpoint_and_the_way_out(caught.value, not_aws)
    assert "HTTP 404" in caught.value.message


def test_an_endpoint_that_goes_away_mid_run_is_the_same_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runbook_lib import sandbox

    served = sandbox.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint_url)
    monkeypatch.setenv("HOME", str(tmp_path))
    run = start({"secrets_dir": str(tmp_path / "s"), "mfa_codes": "generate", "user_name": "midway"})
    served.stop()
    with pytest.raises(EndpointUnreachable) as caught:
        run.choose_user()
    assert_names_the_endpoint_and_the_way_out(caught.value, served.endpoint_url)


def _env(endpoint: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    home.mkdir(exist_ok=True)
    return {**env, "HOME": str(home), "AWS_ENDPOINT_URL": endpoint}


def test_headless_prints_the_message_and_the_way_out(dead_endpoint: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "runbook"), "run", "--output-dir", str(tmp_path / "runs")],
        env=_env(dead_endpoint, tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done
    assert "EndpointUnreachable" in done.stderr and f"{dead_endpoint} (AWS_ENDPOINT_URL)" in done.stderr
    port = dead_endpoint.rsplit(":", 1)[1]
    assert f"runbook sandbox --port {port}" in done.stderr and "unset AWS_ENDPOINT_URL" in done.stderr


def test_terminal_mode_prints_the_message_and_the_way_out(dead_endpoint: str, tmp_path: Path) -> None:
    child = pexpect.spawn(
        str(BIN / "runbook"),
        ["run", "-p", "mfa_codes", "prompt", "--output-dir", str(tmp_path / "runs")],
        env=_env(dead_endpoint, tmp_path / "home"),
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before.replace("\r", "")
    assert child.exitstatus == 2, screen
    assert f"{dead_endpoint} (AWS_ENDPOINT_URL) could not be reached: connection refused" in screen
    assert "unset AWS_ENDPOINT_URL" in screen and "Traceback" not in screen
