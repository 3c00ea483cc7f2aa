"""Resume anything (issue 14, items 1, 3 and 4): a reload, a restarted kernel or a re-run continues from what
IAM holds and what this user's secrets file records, never accepts input it will not use, and a repeated
click never changes a result. All of it is the procedure's, so it is tested here without a kernel.

Each "reload" is what a reloaded wizard page or a restarted kernel does: a new `Runbook` on the same
account and the same secrets directory, its sections called again in order.
"""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from runbook_lib import mfa, runbook
from runbook_lib.errors import InputError
from runbook_lib.secrets import EARLIER, PASSWORD_ENV
from tests.support.faults import (
    Account,
    Crash,
    _backend,
    assert_full_end_state,
    holdings,
    iam_holds_console_password,
    open_account,
)

FIRST = "First-custom-Pass-1"
SECOND = "Second-custom-Pass-2"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def person(account: Account, **params: Any) -> tuple[runbook.Runbook, dict[str, str]]:
    """A run with a person at it (mfa_codes='prompt', as the panels start it), and what it reveals to them."""
    run = runbook.start(account.params(mfa_codes="prompt", **params))
    shown: dict[str, str] = {}
    run.reveal_to(shown.__setitem__)
    return run, shown


def through_review(run: runbook.Runbook, **console: Any) -> list[str]:
    """Sections 1-4 as a person clicks through them: the review's actions."""
    run.choose_user()
    run.console_access(**console)
    run.permissions()
    run.review(read_again=True)
    return [s.action for s in run.steps]


def codes(seed: str) -> tuple[str, str]:
    totp = pyotp.TOTP(seed)
    now = time.time()
    return totp.at(now - mfa.STEP), totp.at(now)


def secrets_files(account: Account) -> list[Path]:
    return sorted(account.secrets_dir.glob("*.json"))


# --- a waiting device ------------------------------------------------------------------------------------


def test_a_reload_during_mfa_reuses_the_device_whose_qr_code_was_shown_and_shows_it_again(account: Account) -> None:
    first, shown = person(account)
    through_review(first)
    first.create()
    first.enable_mfa()  # the QR code is on the page; the person scans it, then reloads
    scanned = shown["mfa_seed"]
    serial = first.applied.device.serial if first.applied.device else ""

    again, shown_again = person(account)
    actions = through_review(again)
    assert "DeleteVirtualMFADevice" not in actions and "CreateVirtualMFADevice" not in actions
    enable = next(s for s in again.steps if s.action == "EnableMFADevice")
    assert enable.arg == serial and str(secrets_files(account)[0]) in enable.detail
    report = again.enable_mfa()
    assert shown_again["mfa_seed"] == scanned, "the same QR code, shown again"
    assert any("is reused" in n for n in report.notes)
    again.submit_codes(*codes(scanned))  # codes from the app's existing entry
    assert again.mfa_enabled()
    assert [d["SerialNumber"] for d in account.iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [serial]
    assert holdings(account.iam).unassigned_devices == ()


def test_a_restarted_headless_run_reuses_the_delivered_device_and_makes_its_codes_from_the_recorded_seed(
    account: Account,
) -> None:
    account.faults.crash("EnableMFADevice", "before")
    with pytest.raises(Crash):
        account.run()
    delivered = json.loads(secrets_files(account)[0].read_text())["mfa_seed"]
    account.faults.handlers.clear()
    run = account.run()
    assert "DeleteVirtualMFADevice" not in [s.action for s in run.applied.done]
    assert "CreateVirtualMFADevice" not in [s.action for s in run.applied.done]
    assert_full_end_state(account)
    (serial,) = [d["SerialNumber"] for d in account.iam.list_mfa_devices(UserName="alice")["MFADevices"]]
    assert _backend().virtual_mfa_devices[serial].base32_string_seed == delivered


def test_a_device_whose_seed_is_recorded_nowhere_is_replaced_and_the_person_told_to_remove_its_entry(
    account: Account,
) -> None:
    first, _ = person(account)
    through_review(first)
    first.create()
    first.enable_mfa()
    for path in account.secrets_dir.iterdir():
        path.unlink()  # the seed is gone: its QR code cannot be shown again

    again, shown = person(account)
    assert through_review(again)[:2] == ["DeleteVirtualMFADevice", "CreateVirtualMFADevice"]
    delete = again.steps[0]
    assert "remove that entry" in delete.detail
    report = again.enable_mfa()
    assert any("remove that entry" in n for n in report.notes)
    assert shown["mfa_seed"]
    again.submit_codes(*codes(shown["mfa_seed"]))
    assert len(account.iam.list_mfa_devices(UserName="alice")["MFADevices"]) == 1


def test_a_device_made_again_under_the_same_serial_does_not_pass_for_the_one_whose_seed_is_recorded(
    account: Account,
) -> None:
    """IAM gives a device made again under one name the same serial: the id tag tells them apart."""
    first, _ = person(account)
    through_review(first)
    first.create()
    first.enable_mfa()
    serial = first.applied.device.serial if first.applied.device else ""
    account.iam.delete_virtual_mfa_device(SerialNumber=serial)
    tags = [
        {"Key": "managed-by", "Value": "runbook-first-admin"},
        {"Key": mfa.USER_TAG, "Value": "alice"},
        {"Key": mfa.ID_TAG, "Value": "another-one"},
    ]
    account.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice", Tags=tags)  # type: ignore[arg-type]
    # a device of ours under the same serial, whose seed no file records (a crash before the write)

    again, _ = person(account)
    assert through_review(again)[:2] == ["DeleteVirtualMFADevice", "CreateVirtualMFADevice"]


# --- the console password on a re-run ------------------------------------------------------------------------


def test_a_rerun_keeps_the_existing_password_and_refuses_a_changed_one_before_any_write(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, FIRST)
    account.run(password_mode="custom")
    assert iam_holds_console_password("alice", FIRST)

    monkeypatch.setenv(PASSWORD_ENV, SECOND)  # headless: a new password given, and no word of replacing
    before = len(account.faults.writes)
    with pytest.raises(InputError) as refused:
        account.run(password_mode="custom")
    assert refused.value.parameter == "replace_password" and "replace_password=True" in (refused.value.fix or "")
    assert len(account.faults.writes) == before and iam_holds_console_password("alice", FIRST)

    panel, _ = person(account)  # a panel: the password typed in both fields
    panel.choose_user()
    with pytest.raises(InputError) as typed:
        panel.console_access(True, "custom", False, SECOND, SECOND)
    assert typed.value.parameter == "replace_password"
    kept = panel.console_access(True, "generated", False)
    assert kept.title == "Console access: the existing password is kept"
    assert panel.password_source() == "kept" and not panel.console_ready(True, "custom", SECOND, SECOND)


def test_replace_password_plans_update_login_profile_and_keeps_the_old_password_in_the_file(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, FIRST)
    account.run(password_mode="custom")
    monkeypatch.setenv(PASSWORD_ENV, SECOND)
    run = account.run(password_mode="custom", replace_password=True, until="review")
    assert [s.action for s in run.steps] == ["UpdateLoginProfile"]
    assert "replace the existing console password" in run.steps[0].detail
    run.create()
    assert iam_holds_console_password("alice", SECOND)
    (path,) = secrets_files(account)
    held = json.loads(path.read_text())
    assert held["console_password"] == SECOND
    assert [e["console_password"] for e in held[EARLIER] if "console_password" in e] == [FIRST]

    panel, shown = person(account)  # a panel: replace, with a generated password
    assert through_review(panel, replace_password=True, mode="generated") == ["UpdateLoginProfile"]
    panel.create()
    assert shown["console_password"] != SECOND and iam_holds_console_password("alice", shown["console_password"])


# --- a repeated click -----------------------------------------------------------------------------------------


def test_a_second_create_or_generate_returns_the_first_result_and_writes_nothing(account: Account) -> None:
    run, shown = person(account)
    through_review(run)
    created = run.create()
    writes = len(account.faults.writes)
    assert run.create() == created and created.title == "Created"
    run.enable_mfa()
    enabled = run.submit_codes(*codes(shown["mfa_seed"]))
    assert run.submit_codes("", "") == enabled, "a second click after the fields were cleared"
    git = run.git_credentials()
    assert "created" in git.title
    assert run.git_credentials() == git
    assert len(account.faults.writes) == writes + 3  # the device, its enabling, the Git credential


# --- one secrets file per user ----------------------------------------------------------------------------


def test_every_run_of_a_user_adds_to_one_secrets_file_and_the_summary_names_every_file_with_a_secret(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = account.secrets_dir / "20250101T000000000000Z-alice.json"  # an older version's per-run file
    account.secrets_dir.mkdir(mode=0o700)
    legacy.write_text(json.dumps({"user_name": "alice", "account_id": "123456789012", "console_password": "x" * 12}))
    other = account.secrets_dir / "bob@123456789012.json"
    other.write_text(json.dumps({"user_name": "bob", "account_id": "123456789012", "console_password": "y" * 12}))

    account.run(mfa_codes="defer")  # the device waits for codes
    held = json.loads((account.secrets_dir / "alice@123456789012.json").read_text())
    first_password = held["console_password"]
    (seed,) = {held["mfa_seed"]}
    monkeypatch.setenv("RUNBOOK_MFA_CODES", ",".join(codes(seed)))
    run = account.run(mfa_codes="defer")
    assert run.mfa_enabled()

    path = account.secrets_dir / "alice@123456789012.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    held = json.loads(path.read_text())
    assert held["console_password"] == first_password and held["mfa_seed"] == seed and held["codecommit_password"]
    assert len(held["runs"]) == 2
    notes = " ".join(run.summary().notes)
    for named in (path, path.with_suffix(".qr.png"), legacy):
        assert str(named) in notes, f"the summary does not name {named.name}"
    assert str(other) not in notes, "another user's file is not this user's to clean up"
