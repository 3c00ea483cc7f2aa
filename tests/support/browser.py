"""The browser tests' servers and page: JupyterLab and Voila started on 127.0.0.1 with a private HOME
and a token, and a Playwright page whose only reachable host is 127.0.0.1.

Nothing leaves the machine: every request the page makes to another host is aborted (and listed
in the failure message if a test fails). Playwright's own browser download does not work here, so
the tests use /usr/bin/chromium (`make chromium`); without it they fail, they never skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.net import ROOT

NOTEBOOK = ROOT / "notebooks" / "create_admin_user.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("RUNBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 120  # seconds; two cores, and JupyterLab is not small
UI_TIMEOUT = 60_000  # milliseconds, for each wait on the page

# JupyterLab settings for the private HOME: save widget state with the notebook (so the secrets
# check also covers every widget's value), attach every cell to the page, and fetch no news.
LAB_SETTINGS = {
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass
class Server:
    """A Jupyter server this session started: where it is, its token, and its private HOME."""

    name: str
    url: str
    token: str
    home: Path
    root: Path
    log: Path
    proc: subprocess.Popen[bytes] = field(repr=False)

    def secrets(self) -> dict[str, str]:
        """Every value the runbook wrote to the secrets files under this server's HOME."""
        values: dict[str, str] = {}
        for path in sorted((self.home / ".runbook-secrets").glob("*.json")):
            values.update(json.loads(path.read_text()))
        return values

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(server: Server, path: str) -> None:
    """Until `path` answers 200: for JupyterLab, its kernel specs (a notebook opened sooner asks
    which kernel to use)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    url = f"{server.url}{path}?token={server.token}"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
            if answer.status == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"{server.name} was not ready within {SERVER_START_TIMEOUT}s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM lets the server shut its kernels down; whatever is left of its group is then killed."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGKILL)  # the group is this server's own (start_new_session)


def start_server(
    name: str,
    argv: list[str],
    home: Path,
    root: Path,
    token: str,
    port: int,
    endpoint: str,
    ready: str,
    extra_env: dict[str, str] | None = None,
) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_", "JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), AWS_ENDPOINT_URL=endpoint, PYTHONUNBUFFERED="1", **(extra_env or {}))
    log = ARTIFACTS / f"{name}-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", token, home, root, log, proc)
    wait_ready(server, ready)
    return server


def private_home(base: Path) -> tuple[Path, Path]:
    home, root = base / "home", base / "notebooks"
    home.mkdir()
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)  # the browser saves this copy, never the repository's
    return home, root


@dataclass
class Page:
    """A fresh browser context (a new profile) whose only reachable host is 127.0.0.1."""

    page: Any
    blocked: list[str]
    shots: Path

    def shot(self, name: str, target: Any | None = None) -> Path:
        """Screenshot a panel (or the page) into test-artifacts/browser/<test>/."""
        path = self.shots / f"{name}.png"
        (target or self.page).screenshot(path=str(path), animations="disabled")
        return path
