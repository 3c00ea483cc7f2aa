"""A real browser on the real servers: Debian's chromium driven by Playwright, JupyterLab and Voila
started here on 127.0.0.1 with a private HOME and a token, and the sandbox served from this process.

Nothing leaves the machine: every request the page makes to another host is aborted (and listed
in the failure message if a test fails). Playwright's own browser download does not work here, so
the tests use /usr/bin/chromium (`make chromium`); without it they fail, they never skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def _wait_ready(server: Server, path: str) -> None:
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


def _stop(server: Server) -> None:
    """SIGTERM lets the server shut its kernels down; whatever is left of its group is then killed."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGKILL)  # the group is this server's own (start_new_session)


def _start(
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
    _wait_ready(server, ready)
    return server


def _private_home(base: Path) -> tuple[Path, Path]:
    home, root = base / "home", base / "notebooks"
    home.mkdir()
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)  # the browser saves this copy, never the repository's
    return home, root


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; a missing browser is a failure with the fix, never a skip."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"chromium is not installed at {CHROMIUM}. The browser tests need it: run `make chromium` "
            "(apt-get install chromium chromium-driver), or set RUNBOOK_CHROMIUM to its path."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Playwright is not installed: `pip install -e '.[test]'` (make test does it).")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser_sandbox() -> Iterator[Any]:
    """The sandbox, served from this process so the test can read its state afterwards.

    moto keeps its accounts in this process, shared with any test that ran before, so they are
    reset first (moto's own /moto-api/reset).
    """
    from runbook_lib import sandbox

    served = sandbox.start()
    urllib.request.urlopen(urllib.request.Request(f"{served.endpoint_url}/moto-api/reset", method="POST")).close()
    yield served
    served.stop()


@pytest.fixture
def endpoint(browser_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """This process's AWS settings pointed at the sandbox, and a private HOME (for the in-kernel tests)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", browser_sandbox.endpoint_url)
    monkeypatch.setenv("HOME", str(tmp_path))
    return str(browser_sandbox.endpoint_url)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser_sandbox: Any) -> Iterator[Server]:
    home, root = _private_home(tmp_path_factory.mktemp("lab"))
    for name, value in LAB_SETTINGS.items():
        path = home / ".jupyter" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    token, port = uuid.uuid4().hex, free_port()
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    server = _start("lab", argv, home, root, token, port, browser_sandbox.endpoint_url, "/api/kernelspecs")
    yield server
    _stop(server)


def start_wizard(
    name: str, base: Path, endpoint: str, *options: str, extra_env: dict[str, str] | None = None
) -> Server:
    """`runbook wizard`, as a person starts it: the URL it prints carries the port and the token."""
    home, root = _private_home(base)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_", "JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), AWS_ENDPOINT_URL=endpoint, PYTHONUNBUFFERED="1", **(extra_env or {}))
    log = ARTIFACTS / f"{name}-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "runbook"), "wizard", "--no-browser", *options],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    found = None
    while found is None:
        found = re.search(r"runbook: the wizard is at (http://[^/]+)/\?token=(\S+)", log.read_text(errors="replace"))
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"runbook wizard did not print its URL:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    server = Server(name, found.group(1), found.group(2), home, root, log, proc)
    _wait_ready(server, "/voila/static/voila.js")
    return server


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory, browser_sandbox: Any) -> Iterator[Server]:
    """`runbook wizard` on the sandbox (served from this process)."""
    server = start_wizard("voila", tmp_path_factory.mktemp("voila"), browser_sandbox.endpoint_url)
    yield server
    _stop(server)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


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


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT)
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    shots = ARTIFACTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    yield Page(tab, blocked, shots)
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        tab.screenshot(path=str(shots / "failure.png"), full_page=True)
    (shots / "browser-console.log").write_text("\n".join(console))
    if blocked:
        (shots / "blocked-requests.log").write_text("\n".join(blocked))
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so the page fixture can screenshot a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
