"""Secrets go only to the 0600 secrets file (in a 0700 directory) and never into logs."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
from pathlib import Path

import pytest

from runbook_lib import secrets
from runbook_lib.errors import InputError


def test_secrets_file_is_0600_in_a_0700_directory_and_holds_only_known_keys(tmp_path: Path) -> None:
    f = secrets.SecretsFile.for_run(str(tmp_path / "s"), "alice")
    path = f.put(user_name="alice", console_password="Pw-1234567890!")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"user_name": "alice", "console_password": "Pw-1234567890!"}
    png = f.put_png(b"\x89PNG fake")
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    with pytest.raises(KeyError):
        f.put(aws_secret_access_key="nope")


def test_an_existing_secrets_file_is_never_overwritten(tmp_path: Path) -> None:
    first = secrets.SecretsFile.for_run(str(tmp_path), "bob")
    second = secrets.SecretsFile(first.directory, first.stem)  # same name, as two runs in one microsecond
    a = first.put(console_password="first-password-1!")
    b = second.put(console_password="second-password-2!")
    assert a != b
    assert json.loads(a.read_text())["console_password"] == "first-password-1!"


def test_unwritable_secrets_directory_is_refused_before_any_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError) as err:
        secrets.ensure_private_dir(blocker / "secrets")
    assert err.value.parameter == "secrets_dir" and err.value.fix


def test_registered_secrets_are_masked_in_every_log_record(caplog: pytest.LogCaptureFixture) -> None:
    """botocore's debug log prints request bodies; a registered secret never survives into a record."""
    secret = secrets.register("Hunter2-Very-Secret!")
    with caplog.at_level(logging.DEBUG, logger="botocore.endpoint"):
        logging.getLogger("botocore.endpoint").debug("body: Password=%s", secret)
        logging.getLogger("botocore.endpoint").debug("quoted: %s", "Hunter2-Very-Secret%21")
    assert caplog.messages == ["body: Password=********", "quoted: ********"]


def test_git_credentials_go_to_the_users_own_credential_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    subprocess.run(["git", "config", "--global", "credential.helper", "store"], check=True)
    secrets.git_credential_approve("git-codecommit.us-east-1.amazonaws.com", "alice-at-123456789012", "gitpw+/=1")
    stored = (tmp_path / ".git-credentials").read_text()
    assert "alice-at-123456789012" in stored and "git-codecommit.us-east-1.amazonaws.com" in stored
    assert stat.S_IMODE(os.stat(tmp_path / ".git-credentials").st_mode) == 0o600
