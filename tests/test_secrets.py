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
    f = secrets.SecretsFile.for_user(str(tmp_path / "s"), "alice", "123456789012")
    path = f.put(user_name="alice", console_password="Pw-1234567890!")
    assert path.name == "alice@123456789012.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {
        "user_name": "alice",
        "console_password": "Pw-1234567890!",
        "runs": [f.run_id],
    }
    png = f.put_png(b"\x89PNG fake")
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    with pytest.raises(KeyError):
        f.put(aws_secret_access_key="nope")


def test_two_runs_of_one_user_add_to_one_file_and_a_replaced_secret_is_kept_as_earlier(tmp_path: Path) -> None:
    first = secrets.SecretsFile.for_user(str(tmp_path), "bob", "1")
    second = secrets.SecretsFile.for_user(str(tmp_path), "bob", "1")  # another run, another process
    first.put(user_name="bob", console_password="first-password-1!", mfa_serial="s1", mfa_seed="SEEDONE")
    second.put(console_password="second-password-2!", codecommit_username="bob-at-1", codecommit_password="git-1")
    second.put(mfa_serial="s1", mfa_seed="SEEDTWO")
    assert first.path == second.path and list(tmp_path.glob("*.json")) == [first.path]
    held = json.loads(first.path.read_text())
    assert (held["console_password"], held["mfa_seed"], held["codecommit_password"]) == (
        "second-password-2!",
        "SEEDTWO",
        "git-1",
    )
    earlier = held[secrets.EARLIER]
    assert [e.get("console_password") for e in earlier] == ["first-password-1!", None]
    assert earlier[1]["mfa_seed"] == "SEEDONE" and earlier[1]["mfa_serial"] == "s1"
    assert held["runs"] == [first.run_id, second.run_id]
    assert [e.get("mfa_seed") for e in secrets.entries(held)] == ["SEEDTWO", "SEEDONE", None]


def _put_many(directory: str, n: int, worker: int) -> None:
    f = secrets.SecretsFile.for_user(directory, "carol", "1")
    for i in range(n):
        f.put(console_password=f"password-{worker}-{i:03d}")


def test_runs_writing_at_once_take_turns_and_lose_no_secret(tmp_path: Path) -> None:
    """Two processes each replace the password 40 times: every value is in the file, once."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_put_many, args=(str(tmp_path), 40, w)) for w in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    held = json.loads((tmp_path / "carol@1.json").read_text())
    kept = [e["console_password"] for e in secrets.entries(held) if "console_password" in e]
    assert sorted(kept) == sorted(f"password-{w}-{i:03d}" for w in (1, 2) for i in range(40))


def test_a_secrets_file_that_cannot_be_read_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "dave@1.json").write_text("{ not json, hand-edited")
    f = secrets.SecretsFile.for_user(str(tmp_path), "dave", "1")
    path = f.put(console_password="kept-safe-password-1")
    assert path.name == "dave@1-2.json"
    assert (tmp_path / "dave@1.json").read_text() == "{ not json, hand-edited"
    assert json.loads(path.read_text())["console_password"] == "kept-safe-password-1"


def test_the_files_holding_a_users_secrets_include_older_runs_files_and_qr_images(tmp_path: Path) -> None:
    old = tmp_path / "20250101T000000000000Z-erin.json"
    old.write_text(json.dumps({"user_name": "erin", "account_id": "1", "mfa_seed": "SEED"}))
    old.with_suffix(".qr.png").write_bytes(b"png")
    (tmp_path / "erin@2.json").write_text(json.dumps({"user_name": "erin", "account_id": "2", "mfa_seed": "S"}))
    context_only = tmp_path / "20250102T000000000000Z-erin.json"
    context_only.write_text(json.dumps({"user_name": "erin", "account_id": "1"}))
    f = secrets.SecretsFile.for_user(str(tmp_path), "erin", "1")
    f.put(user_name="erin", account_id="1", console_password="erin-password-1")
    assert secrets.holding(str(tmp_path), "erin", "1") == [old, old.with_suffix(".qr.png"), f.path]
    assert secrets.files_of_run(str(tmp_path), f.run_id) == [f.path]


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
