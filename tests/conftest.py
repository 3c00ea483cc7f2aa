"""Shared fixtures: a served sandbox in its own process, and the environment a CLI run gets."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import stores
from tests.support.net import BIN, free_port, wait_for


@pytest.fixture(scope="session")
def served_sandbox() -> Iterator[str]:
    """`runbook sandbox --port P` in the foreground of its own process, as a user would start it."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "runbook"), "sandbox", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(endpoint)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def cli_env(tmp_path: Path, served_sandbox: str) -> dict[str, str]:
    """A private HOME and the served sandbox; no real AWS credentials can leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        AWS_ENDPOINT_URL=served_sandbox,
        AWS_ACCESS_KEY_ID="ASIAEXAMPLESANDBOX01",
        AWS_SECRET_ACCESS_KEY="sandbox",
        AWS_SESSION_TOKEN="sandbox",
        AWS_DEFAULT_REGION="us-east-1",
    )
    (tmp_path / "home").mkdir()
    return env


@pytest.fixture(scope="session")
def gnupg_home() -> Iterator[tuple[Path, str]]:
    """A throwaway GnuPG home with one passphrase-less key (the `pass` store's tests); its agent is stopped after."""
    home, fingerprint = stores.new_gnupg_home()
    try:
        yield home, fingerprint
    finally:
        stores.drop_gnupg_home(home)


@pytest.fixture
def pass_store(gnupg_home: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised password store in tmp_path, for this test's environment only."""
    stores.require("pass")
    home, fingerprint = gnupg_home
    store = tmp_path / "password-store"
    monkeypatch.setenv("GNUPGHOME", str(home))
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(store))
    subprocess.run(["pass", "init", fingerprint], capture_output=True, check=True)
    return store
