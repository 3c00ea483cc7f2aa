"""With `keepass` or `pass` chosen, no secret lands anywhere but the encrypted store (issue 17).

Each test stores one of each secret, and reads the seed back as a re-run does, with HOME and TMPDIR
pointed into the test's directory; then every file there (the store, the GnuPG home, the would-be
secrets directory), every file changed meanwhile in /tmp and /dev/shm, the log records at DEBUG and
the captured output are searched for each secret in plain, base64, hex and URL-encoded form.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from runbook_lib.secrets import encodings
from runbook_lib.stores import KEEPASS_PASSWORD_ENV, SecretStore, StoreSettings, open_store
from tests.support.stores import (
    ACCOUNT,
    ENDPOINT,
    MASTER,
    SERIAL,
    kpcli,
    new_seed,
    pass_cli,
    read_all,
    require,
)

PASSWORD = "Leak-Console-Passw0rd-9e1d"
GIT_PASSWORD = "Leak+Git/Passw0rd=4b7a"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and TMPDIR inside the test's directory, for this process and the tools it starts."""
    (tmp_path / "home").mkdir()
    (tmp_path / "tmpdir").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmpdir"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmpdir"))
    return tmp_path / "home"


def store_everything(store: SecretStore) -> dict[str, str]:
    store.check()
    seed, uri = new_seed()
    store.put_console("alice", PASSWORD, ACCOUNT.signin_url)
    store.put_mfa("alice", SERIAL, seed, uri)
    store.put_codecommit("alice", "alice-at-123456789012", GIT_PASSWORD, ENDPOINT)
    pending = store.pending_seed("alice", SERIAL)
    assert pending is not None and pending.seed == seed
    return {"console password": PASSWORD, "Git password": GIT_PASSWORD, "MFA seed": seed, "otpauth URI": uri}


def files(*roots: Path, since: float = 0) -> Iterator[Path]:
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    if path.is_file() and path.stat().st_mtime >= since:
                        yield path
                except OSError:
                    continue  # gone meanwhile: another process's file


def leaks(places: dict[str, bytes], secrets: dict[str, str]) -> list[str]:
    """'place: secret' for each secret found in any of its encoded forms."""
    return [
        f"{place}: {name}"
        for place, data in places.items()
        for name, value in secrets.items()
        if any(form.encode() in data for form in encodings(value))
    ]


def scan(
    roots: Iterable[Path], since: float, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> dict[str, bytes]:
    out, err = capfd.readouterr()
    places = read_all(files(*roots))
    places.update(read_all(files(Path("/tmp"), Path("/dev/shm"), since=since)))
    places.update({"log records": caplog.text.encode(), "stdout": out.encode(), "stderr": err.encode()})
    return places


def test_keepass_leaves_no_secret_outside_the_database(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    require("keepassxc-cli")
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(KEEPASS_PASSWORD_ENV, MASTER)
    started = time.time() - 1
    secrets = store_everything(open_store(StoreSettings("keepass"), ACCOUNT))
    secrets["master password"] = MASTER
    db = home / ".runbook-secrets" / "aws.kdbx"  # the default keepass_db
    assert sorted(p.name for p in files(home)) == ["aws.kdbx"]  # no JSON, no PNG, no temporary file
    places = scan([tmp_path], started, caplog, capfd)
    assert str(db) in places
    assert leaks(places, secrets) == []
    # the search finds them where they are in clear: what keepassxc-cli prints
    shown = kpcli(db, "show", "-s", "-a", "Password", f"AWS/{ACCOUNT.account_id}/alice console")
    assert leaks({"keepassxc-cli": shown.encode()}, secrets) == ["keepassxc-cli: console password"]


def test_pass_leaves_no_secret_outside_the_encrypted_entries(
    home: Path,
    pass_store: Path,
    gnupg_home: tuple[Path, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    require("pass")
    caplog.set_level(logging.DEBUG)
    started = time.time() - 1
    secrets = store_everything(open_store(StoreSettings("pass"), ACCOUNT))
    assert list(files(home)) == []  # no secrets directory, no JSON, no PNG
    places = scan([tmp_path, gnupg_home[0]], started, caplog, capfd)
    assert {str(p) for p in pass_store.rglob("*.gpg")} <= set(places)
    assert leaks(places, secrets) == []
    shown = pass_cli("show", f"aws/{ACCOUNT.account_id}/alice/console")
    assert leaks({"pass show": shown.encode()}, secrets) == ["pass show: console password"]
