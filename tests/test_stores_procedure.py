"""The procedure and the panels with a secrets store (issue 17), in process against the shared sandbox.

The panels ask for a KeePass master password in their preflight panel (twice for a new database),
write nothing until it opens the store, and deliver each secret into it while the QR code is only
shown. When a store refuses a secret, the console password's call is not made; a seed or Git
password IAM has already made is shown once where a person is, or the run stops naming the fix.
"""

from __future__ import annotations

import errno
import html
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from runbook_lib import mfa, runbook, ui
from runbook_lib.errors import InputError, SecretNotStored
from runbook_lib.sections import CREATE
from runbook_lib.stores.file import FileStore
from runbook_lib.stores.keepass import KeePassStore
from tests.support.faults import Account, holdings, open_account
from tests.support.stores import MASTER, files_under, kpcli, require

GOOD = "Panel-Store-Passw0rd!"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return open_account(monkeypatch, tmp_path)


def text(value: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)))


def panels(account: Account, **params: Any) -> tuple[runbook.Runbook, ui.Wizard]:
    """What "Run All Cells" does with a person at the notebook: start, then one panel per section."""
    run = runbook.start(account.params(mfa_codes="prompt", **params))
    faces = ui.Panels(run)
    for section in CREATE:
        getattr(faces, section.method)()
    return run, faces.wizard


# --- the panels with a KeePass database ----------------------------------------------------------


def test_panels_open_a_new_keepass_database_with_a_password_typed_twice_then_fill_it(
    account: Account, tmp_path: Path
) -> None:
    require("keepassxc-cli")
    db = tmp_path / "vault" / "aws.kdbx"
    run, wizard = panels(account, user_name="kp-panel", secrets_store="keepass", keepass_db=str(db))
    pre = wizard.panels["preflight"]
    assert isinstance(pre, ui.PreflightPanel)
    assert run.store_locked and pre.locked.layout.display == "" and pre.master_again.layout.display == ""
    assert wizard.state("preflight") == "current" and wizard.state("user") == "waiting"
    assert "waits for a master password for the new KeePass database" in text(pre.result.value)
    assert account.faults.writes == [] and not db.exists()

    pre.master.value, pre.master_again.value = MASTER, MASTER + "x"
    pre.unlock.click()
    assert "The two master passwords differ" in text(pre.unlock_status.value) and run.store_locked
    assert pre.master.value == pre.master_again.value == ""  # a secret never stays in a field
    pre.master.value = pre.master_again.value = MASTER
    pre.unlock.click()
    assert not run.store_locked and wizard.state("preflight") == "done" and wizard.state("user") == "current"
    assert pre.locked.layout.display == "none" and pre.master.value == pre.master_again.value == ""
    assert f"Secrets go into a new KeePass database {db}" in text(pre.result.value)
    assert not db.exists()  # opening writes nothing; the first secret creates it

    for name in ("user", "console", "permissions", "review"):
        wizard.panels[name].button.click()
    create = wizard.panels["create"]
    assert isinstance(create, ui.CreatePanel) and create.reveal is not None
    group = f"AWS/{run.pre.account_id}"
    assert kpcli(db, "show", "-s", "-a", "Password", f"{group}/kp-panel console").strip() == run.password
    create.reveal.dismiss.click()
    assert f"{db}, entry {group}/kp-panel console" in text(create.reveal_box.children[1].children[0].value)

    mfa_panel = wizard.panels["mfa"]
    assert isinstance(mfa_panel, ui.MfaPanel)
    mfa_panel.button.click()
    assert mfa_panel.qr.value and mfa_panel.seed_value  # shown on the page, from the seed in memory
    uri = kpcli(db, "show", "-s", "-a", "otp", f"{group}/kp-panel MFA").strip()
    assert mfa.qr_png(uri) == mfa_panel.qr.value
    totp = pyotp.TOTP(mfa_panel.seed_value)
    now = time.time()
    mfa_panel.code1.value, mfa_panel.code2.value = totp.at(now - mfa.STEP), totp.at(now)
    mfa_panel.enable.click()
    assert "MFA is enabled for kp-panel" in mfa_panel.status.value

    git = wizard.panels["codecommit"]
    git.button.click()
    assert isinstance(git, ui.CodeCommitPanel) and git.reveal is not None and run.applied.git is not None
    assert kpcli(db, "show", "-s", "-a", "Password", f"{group}/kp-panel CodeCommit").strip() == run.applied.git.password
    summary = text(wizard.panels["summary"].result.value)
    assert all(f"entry {group}/kp-panel {e}" in summary for e in ("console", "MFA", "CodeCommit"))
    assert "Move the secrets to a password manager" not in summary
    assert [p.name for p in files_under(tmp_path) if p.suffix in (".json", ".png")] == []
    assert sorted(p.name for p in db.parent.iterdir()) == ["aws.kdbx"]


def test_the_wizard_chooses_the_store_in_the_preflight_panel(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wizard has no parameters cell: a person picks keepass or pass in preflight, before any write."""
    require("keepassxc-cli")
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(tmp_path / "no-such-store"))
    run, wizard = panels(account, user_name="kp-wizard")
    pre = wizard.panels["preflight"]
    assert isinstance(pre, ui.PreflightPanel)
    assert pre.kind.value == "file" and pre.db.layout.display == "none" and wizard.state("preflight") == "done"
    wizard.panels["user"].button.click()

    pre.kind.value = "pass"  # an uninitialised password store: refused, and the file store stays
    pre.use.click()
    assert "pass init" in text(pre.use_status.value) and run.params.secrets_store == "file"

    db = tmp_path / "wizard.kdbx"
    pre.kind.value = "keepass"
    assert pre.db.layout.display == ""
    pre.db.value = str(db)
    pre.use.click()
    assert run.params.secrets_store == "keepass" and run.params.keepass_db == str(db)
    assert run.store_locked and pre.locked.layout.display == "" and pre.master_again.layout.display == ""
    assert wizard.state("preflight") == "current" and wizard.state("user") == "waiting"
    pre.master.value = pre.master_again.value = MASTER
    pre.unlock.click()
    assert wizard.state("preflight") == "done" and wizard.state("user") == "current"

    for name in ("user", "console", "permissions", "review"):
        wizard.panels[name].button.click()
    group = f"AWS/{run.pre.account_id}"
    assert kpcli(db, "show", "-s", "-a", "Password", f"{group}/kp-wizard console").strip() == run.password
    assert [p for p in files_under(tmp_path) if p.suffix in (".json", ".png")] == []
    with pytest.raises(InputError) as late:
        run.choose_store("file")
    assert late.value.parameter == "secrets_store" and run.params.secrets_store == "keepass"
    assert pre.kind.disabled  # settled once Create ran


def test_a_wrong_master_password_in_the_panel_is_refused_and_asked_again(account: Account, tmp_path: Path) -> None:
    require("keepassxc-cli")
    db = tmp_path / "aws.kdbx"
    account.monkeypatch.setenv("RUNBOOK_KEEPASS_PASSWORD", MASTER)
    account.run(user_name="kp-first", secrets_store="keepass", keepass_db=str(db), until="create")
    account.monkeypatch.delenv("RUNBOOK_KEEPASS_PASSWORD")
    before = db.read_bytes()
    run, wizard = panels(account, user_name="kp-second", secrets_store="keepass", keepass_db=str(db))
    pre = wizard.panels["preflight"]
    assert isinstance(pre, ui.PreflightPanel)
    assert run.store_locked and pre.master_again.layout.display == "none"  # an existing database: asked once
    writes = list(account.faults.writes)
    pre.master.value = "not-the-master-password"
    pre.unlock.click()
    assert "did not open with the key given" in text(pre.unlock_status.value) and run.store_locked
    pre.master.value = MASTER
    pre.unlock.click()
    assert not run.store_locked and wizard.state("user") == "current"
    assert account.faults.writes == writes and db.read_bytes() == before


def test_a_locked_store_lets_nothing_be_written(account: Account, tmp_path: Path) -> None:
    """Even a front end that skips the preflight panel: a one-time secret is not made while the store is locked."""
    run = runbook.start(
        account.params(mfa_codes="prompt", secrets_store="keepass", keepass_db=str(tmp_path / "a.kdbx"))
    )
    assert run.store_locked
    run.choose_user()
    run.console_access()
    run.permissions()
    run.review()
    with pytest.raises(InputError) as caught:
        run.create()
    assert caught.value.parameter == "keepass_db" and "Preflight panel" in str(caught.value.fix)
    assert account.faults.writes == []


# --- a store that refuses a secret ---------------------------------------------------------------


def disk_full(*_: Any, **__: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_refused_console_password_stops_before_create_login_profile(account: Account) -> None:
    account.monkeypatch.setattr(FileStore, "put_console", disk_full)
    with pytest.raises(InputError) as caught:
        account.run(user_name="no-space", until="create")
    assert caught.value.step == "CreateLoginProfile" and "No space left on device" in caught.value.message
    assert "CreateLoginProfile was not called" in caught.value.message
    assert not [w for w in account.faults.writes if "LoginProfile" in w]


def test_a_refused_git_password_headless_names_the_credential_to_reset(account: Account) -> None:
    account.monkeypatch.setattr(FileStore, "put_codecommit", disk_full)
    with pytest.raises(SecretNotStored) as caught:
        account.run(user_name="git-lost")
    (credential,) = account.iam.list_service_specific_credentials(UserName="git-lost")["ServiceSpecificCredentials"]
    credential_id = credential["ServiceSpecificCredentialId"]
    assert f"Git credential {credential_id} was created" in caught.value.message
    assert caught.value.step == "CreateServiceSpecificCredential"
    assert f"codecommit_reset={credential_id}:" in str(caught.value.fix) and caught.value.parameter == "secrets_dir"


def test_a_refused_git_password_is_shown_once_in_the_panel(account: Account) -> None:
    account.monkeypatch.setattr(FileStore, "put_codecommit", disk_full)
    run, shown = runbook.start(account.params(user_name="git-shown", mfa=False)), {}
    run.reveal_to(shown.__setitem__)
    for section in CREATE[:8]:
        getattr(run, section.method)()
    assert run.applied.git is not None and shown["codecommit_password"] == run.applied.git.password
    report = run.git_credentials()
    assert any("nowhere: the store refused it (No space left on device)" in n for n in report.notes)
    assert any("nowhere: the store refused it" in n for n in run.summary().notes)


def test_a_refused_seed_headless_is_replaced_by_the_next_run(account: Account) -> None:
    with account.monkeypatch.context() as patch:
        patch.setattr(FileStore, "put_mfa", disk_full)
        with pytest.raises(SecretNotStored) as caught:
            account.run(user_name="seed-lost", mfa_codes="defer")
    assert "the store could not take its seed" in caught.value.message
    assert "replaces the device" in str(caught.value.fix)
    (lost,) = holdings(account.iam).unassigned_devices
    run = account.run(user_name="seed-lost")  # a store that works: the device is made again, and enabled
    mfa_steps = [(s.action, s.arg) for s in run.applied.done if s.phase == "mfa"]
    assert [a for a, _ in mfa_steps] == ["DeleteVirtualMFADevice", "CreateVirtualMFADevice", "EnableMFADevice"]
    assert mfa_steps[0][1] == lost and holdings(account.iam).unassigned_devices == ()


def test_a_keepass_database_that_stops_taking_files_stops_the_run_before_the_device(
    account: Account, tmp_path: Path
) -> None:
    """The store is asked again right before each one-time secret (ready), not only in preflight."""
    require("keepassxc-cli")
    account.monkeypatch.setenv("RUNBOOK_KEEPASS_PASSWORD", MASTER)
    db = tmp_path / "vault" / "aws.kdbx"
    run = account.run(user_name="kp-ro", secrets_store="keepass", keepass_db=str(db), until="create")
    full = InputError(f"Cannot write in {str(db.parent)!r}: No space left on device.", parameter="keepass_db")
    account.monkeypatch.setattr(KeePassStore, "ready", lambda self: (_ for _ in ()).throw(full))
    with pytest.raises(InputError) as caught:
        run.enable_mfa()
    assert caught.value.step == "CreateVirtualMFADevice" and caught.value.parameter == "keepass_db"
    assert "makes a secret IAM shows only once, so it was not called" in caught.value.message
    assert not [w for w in account.faults.writes if "MFADevice" in w]
