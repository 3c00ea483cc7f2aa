"""A real browser on the real servers: Debian's chromium driven by Playwright, JupyterLab and Voila
started here on 127.0.0.1 with a private HOME and a token, and the sandbox served from this process.

Nothing leaves the machine: every request the page makes to another host is aborted (and listed
in the failure message if a test fails). Playwright's own browser download does not work here, so
the tests use /usr/bin/chromium (`make chromium`); without it they fail, they never skip.
The servers and the page are built in `tests.support.browser`; here are the fixtures.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from runbook_lib.cli import wizard_command
from tests.support.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAB_SETTINGS,
    NOTEBOOK,
    UI_TIMEOUT,
    Page,
    Server,
    private_home,
    start_server,
    stop_server,
)
from tests.support.net import free_port

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


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, browser_sandbox: Any) -> Iterator[Server]:
    home, root = private_home(tmp_path_factory.mktemp("lab"))
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
    server = start_server("lab", argv, home, root, token, port, browser_sandbox.endpoint_url, "/api/kernelspecs")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory, browser_sandbox: Any) -> Iterator[Server]:
    """`runbook wizard`'s command line, on a free port, with a token."""
    home, root = private_home(tmp_path_factory.mktemp("voila"))
    token, port = uuid.uuid4().hex, free_port()
    argv, wizard_env = wizard_command(
        root / NOTEBOOK.name, "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}", f"--token={token}"
    )
    server = start_server(
        "voila",
        argv,
        home,
        root,
        token,
        port,
        browser_sandbox.endpoint_url,
        "/voila/static/voila.js",
        extra_env={"JUPYTER_PATH": wizard_env["JUPYTER_PATH"]},
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


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
