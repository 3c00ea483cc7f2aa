"""Guards (issue 13, items 6, 7 and 9): the run writes only to what it can tie to itself, grants nothing
to a user holding credentials it did not deliver without saying so, and creates no one-time secret that
it could not store.

Every case runs the headless procedure on the sandbox and counts the calls on the wire (`faults.calls`),
so "nothing was written" is IAM's account, not the runbook's.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import secrets
from runbook_lib.errors import ConflictError, RunbookError
from runbook_lib.report import Report
from runbook_lib.users import TAGS
from tests.support.faults import (
    ADMIN_ARN,
    CODECOMMIT,
    Account,
    Crash,
    assert_full_end_state,
    holdings,
    merged,
    open_account,
)

INLINE = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}'
PASSWORD = "Not-the-runbooks-0"  # set by "someone else" in these tests: never in a secrets file


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def refused(account: Account, parameter: str, **params: Any) -> RunbookError:
    """Run with the guard in the way: an error naming `parameter` and a fix, and no write on the wire."""
    before = holdings(account.iam)
    with pytest.raises(RunbookError) as caught:
        account.run(**params)
    err = caught.value
    assert err.parameter == parameter and err.fix, f"{type(err).__name__}: {err}"
    assert account.faults.writes == [], account.faults.writes
    assert holdings(account.iam) == before
    return err


def text(report: Report) -> str:
    return "\n".join([report.title, *(" ".join(r) for r in report.rows), *report.notes])


# --- item 6: every user and group the run writes to ---------------------------------------------------------


def _stranger_user(account: Account, name: str) -> None:
    account.iam.create_user(UserName=name)


def _stranger_group(account: Account, name: str) -> None:
    """A group someone else made: another member, and a policy of its own."""
    account.iam.create_group(GroupName=name)
    account.iam.create_user(UserName="bob")
    account.iam.add_user_to_group(GroupName=name, UserName="bob")
    account.iam.put_group_policy(GroupName=name, PolicyName="s3-list", PolicyDocument=INLINE)


STRANGERS: dict[str, tuple[str, dict[str, Any]]] = {
    # the parameter naming the entity: (the name, the run's parameters)
    "user_name": ("alice", {}),
    "codecommit_user": ("alice-git", {"codecommit_user": "alice-git"}),
    "group_name": ("Administrators", {"grant_via": "group"}),
}


@pytest.mark.parametrize("parameter", STRANGERS)
def test_every_user_and_group_the_run_writes_to_is_refused_when_the_runbook_did_not_create_it(
    account: Account, parameter: str
) -> None:
    """The user, the Git user and the group: a stranger's is touched only with adopt=True."""
    name, params = STRANGERS[parameter]
    (_stranger_group if parameter == "group_name" else _stranger_user)(account, name)

    err = refused(account, parameter, **params)

    assert isinstance(err, ConflictError) and name in err.message and "adopt=True" in (err.fix or "")
    if parameter == "group_name":
        assert "bob" in err.message and "s3-list" in err.message, err.message  # who else it would grant
    account.run(adopt=True, **params)
    finished(account, **params)


def finished(account: Account, codecommit_user: str = "", grant_via: str = "user", **_: Any) -> None:
    """The job is done, whoever else the account holds: alice granted and secured, the Git user's credential."""
    iam = account.iam
    if grant_via == "group":
        assert "Administrators" in [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]]
        granted = iam.list_attached_group_policies(GroupName="Administrators")["AttachedPolicies"]
    else:
        granted = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert ADMIN_ARN in [p["PolicyArn"] for p in granted]
    assert len(iam.list_mfa_devices(UserName="alice")["MFADevices"]) == 1
    credentials = iam.list_service_specific_credentials(UserName=codecommit_user or "alice", ServiceName=CODECOMMIT)
    assert len(credentials["ServiceSpecificCredentials"]) == 1
    assert holdings(account.iam).unassigned_devices == ()


def test_a_group_the_runbook_created_is_written_to_again_without_adopt(account: Account) -> None:
    account.run(grant_via="group", codecommit=False)
    account.iam.detach_group_policy(GroupName="Administrators", PolicyArn=ADMIN_ARN)
    again = account.run(grant_via="group", codecommit=False)
    assert again.conn.call_log.writes == ["iam:AttachGroupPolicy"]


def _ours(account: Account, name: str) -> None:
    account.iam.create_user(UserName=name, Tags=TAGS)  # type: ignore[arg-type]


def _access_keys(account: Account, name: str) -> None:
    for _ in range(2):
        account.iam.create_access_key(UserName=name)


def _password(account: Account, name: str) -> None:
    account.iam.create_login_profile(UserName=name, Password=PASSWORD)


HOLDERS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # how the user is granted: (the parameter naming it, the name, the run's parameters)
    "admin": ("user_name", "alice", {}),
    "admin-through-group": ("user_name", "alice", {"grant_via": "group"}),
    "git-user": ("codecommit_user", "alice-git", {"codecommit_user": "alice-git"}),
}


@pytest.mark.parametrize("how", HOLDERS)
def test_a_user_tagged_as_ours_holding_access_keys_is_granted_nothing_even_adopted(account: Account, how: str) -> None:
    """Keys the runbook never made would carry whatever it grants: the fix is to remove them, or stop."""
    parameter, name, params = HOLDERS[how]
    _ours(account, name)
    _access_keys(account, name)
    for adopt in (False, True):
        err = refused(account, parameter, adopt=adopt, **params)
        assert "2 access keys" in err.message and "remove them or stop" in err.message, err.message
        assert "delete-access-key" in (err.fix or "")
    for key in account.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        account.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    account.run(**params)
    finished(account, **params)


@pytest.mark.parametrize("how", HOLDERS)
def test_a_user_tagged_as_ours_holding_a_password_no_secrets_file_has_needs_adopt(account: Account, how: str) -> None:
    """A password the run did not set: granted to only with adopt=True, and the review says it is kept."""
    parameter, name, params = HOLDERS[how]
    _ours(account, name)
    _password(account, name)

    err = refused(account, parameter, **params)
    assert "console password" in err.message and "adopt=True" in (err.fix or "")

    run = account.run(until="review", adopt=True, **params)
    review = text(run.review())
    assert f"{name}: existing console password kept, not in the secrets file" in review, review
    if parameter == "user_name":
        console = text(run.console_access())
        assert "generated" not in console and "existing console password kept" in console, console
        assert "CreateLoginProfile" not in review
    account.run(adopt=True, **params)
    delivered = merged(account.secrets())
    assert PASSWORD not in delivered.values()
    if parameter == "user_name":
        assert "console_password" not in delivered


def test_the_review_names_the_other_members_of_the_group_and_what_else_it_grants(account: Account) -> None:
    """The runbook's own group, used by a second admin: what is attached reaches every member."""
    account.run(grant_via="group", codecommit=False)
    account.iam.put_group_policy(GroupName="Administrators", PolicyName="s3-list", PolicyDocument=INLINE)
    run = account.run(user_name="carol", grant_via="group", codecommit=False)
    review = text(run.review())
    assert "Group Administrators has 1 other member(s) (alice)" in review, review
    assert "Group Administrators also grants: s3-list (inline)" in review, review


def test_a_re_run_finds_its_own_password_in_its_secrets_file_and_goes_on(account: Account) -> None:
    """Stopped after CreateLoginProfile: the password is the one the first run delivered, so no adopt."""
    account.faults.crash("CreateLoginProfile", "after")
    with pytest.raises(Crash):
        account.run()
    account.faults.handlers.clear()
    again = account.run()
    assert "iam:AttachUserPolicy" in again.conn.call_log.writes
    review = text(again.review())
    assert "existing console password kept (set by an earlier run" in review, review
    assert_full_end_state(account)


def test_access_keys_on_a_finished_user_are_named_in_the_review(account: Account) -> None:
    """Nothing is granted on a re-run, so keys added since are not refused, but the review names them."""
    account.run()
    _access_keys(account, "alice")
    again = account.run()
    assert again.conn.call_log.writes == []
    review = text(again.review())
    assert "alice: 2 access keys (" in review and "remove them or stop" in review, review


@pytest.mark.parametrize("alice_exists", [False, True], ids=["fresh", "alice-exists"])
def test_a_device_name_taken_by_another_users_waiting_device_is_refused_not_deleted(
    account: Account, alice_exists: bool
) -> None:
    """bob's deferred run made a device called "alice"; alice's run neither deletes nor reuses it."""
    account.run(user_name="bob", mfa_device_name="alice", mfa_codes="defer", codecommit=False)
    if alice_exists:
        account.run(mfa=False, codecommit=False)
    bobs = holdings(account.iam).unassigned_devices
    assert len(bobs) == 1
    before = len(account.faults.writes)
    with pytest.raises(ConflictError) as err:
        account.run()
    assert err.value.parameter == "mfa_device_name" and "bob" in err.value.message, err.value
    assert account.faults.writes[before:] == [] and holdings(account.iam).unassigned_devices == bobs
    account.run(mfa_device_name="alice-phone")
    assert holdings(account.iam).unassigned_devices == bobs


# --- item 9: no one-time secret unless it can be stored -------------------------------------------------------


def _full_disk(account: Account) -> None:
    """The secrets directory's file system has 8 kB left (a QR image alone is about 1 kB)."""
    real = os.statvfs

    def statvfs(path: Any) -> Any:
        s = real(path)
        return os.statvfs_result((s.f_bsize, 4096, s.f_blocks, 2, 2, s.f_files, s.f_ffree, s.f_favail, 0, 255))

    account.monkeypatch.setattr(os, "statvfs", statvfs)


def listing(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.is_dir() else []


SECRET_MAKERS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # the first call that makes a one-time secret: (a first run's parameters, the second's)
    "CreateLoginProfile": ({}, {}),
    "CreateVirtualMFADevice": ({"mfa": False, "codecommit": False}, {"codecommit": False}),
    "CreateServiceSpecificCredential": ({"codecommit": False}, {}),
    "ResetServiceSpecificCredential": ({}, {"codecommit_reset": "<id>"}),
}


@pytest.mark.parametrize("action", SECRET_MAKERS)
def test_a_full_disk_stops_the_run_before_iam_makes_a_one_time_secret(account: Account, action: str) -> None:
    first, second = SECRET_MAKERS[action]
    if action != "CreateLoginProfile":
        account.run(**first)
    if second.get("codecommit_reset"):
        (cred,) = account.iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"]
        second = {"codecommit_reset": cred["ServiceSpecificCredentialId"]}
    files = listing(account.secrets_dir)
    _full_disk(account)
    calls = len(account.faults.calls)

    with pytest.raises(RunbookError) as caught:
        account.run(**second)

    err = caught.value
    assert err.parameter == "secrets_dir" and "free" in err.message and "secrets_dir" in (err.fix or ""), err
    assert action not in account.faults.calls[calls:]
    assert [c for c in account.faults.calls[calls:] if c.startswith(("Create", "Attach", "Enable", "Reset"))] == []
    assert listing(account.secrets_dir) == files  # no half-written secrets file either


def test_a_secrets_directory_gone_unwritable_mid_run_stops_before_the_git_credential(account: Account) -> None:
    """Checked at start, then replaced by a file before section 7: the write is tried, not assumed."""
    run = account.run(until="mfa")
    shutil.rmtree(account.secrets_dir)
    account.secrets_dir.write_text("")
    with pytest.raises(RunbookError) as caught:
        run.git_credentials()
    assert caught.value.parameter == "secrets_dir", caught.value
    assert "CreateServiceSpecificCredential" not in account.faults.calls


def test_a_store_that_fails_after_iam_issued_the_git_password_names_the_credential_and_the_reset(
    account: Account,
) -> None:
    """The disk fills between the check and the write: the error says which credential and how to reset it."""
    full = [False]
    real = secrets._write_private

    def write(*args: Any, **kwargs: Any) -> None:
        if full[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(*args, **kwargs)

    account.monkeypatch.setattr(secrets, "_write_private", write)
    account.faults.on("after-call", "CreateServiceSpecificCredential", lambda **_: full.__setitem__(0, True))
    with pytest.raises(RunbookError) as caught:
        account.run()
    (cred,) = account.iam.list_service_specific_credentials(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredentials"
    ]
    cid = cred["ServiceSpecificCredentialId"]
    err = caught.value
    assert cid in err.message and f"codecommit_reset={cid}" in (err.fix or ""), err
    assert err.parameter == "secrets_dir" and err.step == "CreateServiceSpecificCredential"

    full[0] = False
    reset = account.run(codecommit_reset=cid)
    assert reset.conn.call_log.writes == ["iam:ResetServiceSpecificCredential"]
    assert_full_end_state(account)
