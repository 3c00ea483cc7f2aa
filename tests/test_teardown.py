"""Teardown removes what the runbook created, in the order IAM requires, after review and confirm
(issue 6, "Teardown"). The sandbox answers DeleteConflict, as IAM does, when the order is wrong.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from runbook_lib import teardown
from runbook_lib.apply import call
from runbook_lib.errors import ConflictError, InputError, RunbookError, StepFailed
from runbook_lib.plan import Step
from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from tests.support.faults import GROUP_VARIANT, Account, Crash, holdings, open_account, runbook_cli

REMOVALS = [
    "DeleteServiceSpecificCredential", "DeactivateMFADevice", "DeleteVirtualMFADevice", "DeleteLoginProfile",
    "DetachUserPolicy", "DetachUserPolicy", "DeleteUser",
]  # fmt: skip


INLINE = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}'


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def remove(account: Account, **params: Any) -> teardown.Teardown:
    """`runbook teardown alice`, confirmed, unless `params` say otherwise."""
    return teardown.run_headless({"user_name": "alice", "confirm": "alice", **params})


def test_teardown_after_a_full_run_removes_everything_in_iams_order(account: Account) -> None:
    account.run()
    done = remove(account)
    assert done.conn.call_log.writes == [f"iam:{a}" for a in REMOVALS]
    assert holdings(account.iam).empty


def test_teardown_of_the_group_variant_leaves_the_shared_group_and_the_password_policy(account: Account) -> None:
    account.run(**GROUP_VARIANT)
    done = remove(account)
    assert "iam:RemoveUserFromGroup" in done.conn.call_log.writes
    held = holdings(account.iam)
    assert held.users == () and held.groups == ("Administrators",) and held.password_policy
    assert len(account.iam.list_attached_group_policies(GroupName="Administrators")["AttachedPolicies"]) == 2


def test_a_second_teardown_makes_no_write_and_says_nothing_is_left(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    account.run()
    remove(account)
    with caplog.at_level(logging.INFO, logger="runbook_lib.steps"):
        again = remove(account)
    assert again.conn.call_log.writes == [] and again.steps == []
    assert "Review: nothing to do" in caplog.text


def test_deleting_the_user_while_it_holds_anything_fails_with_delete_conflict(account: Account) -> None:
    """IAM's DeleteUser answers DeleteConflict (HTTP 409) while anything is attached: order matters."""
    account.run()
    td = teardown.start({"user_name": "alice"})
    with pytest.raises(ClientError) as conflict:
        call(td.conn.iam, Step("user", "DeleteUser", "alice", ""))
    assert conflict.value.response["Error"]["Code"] == "DeleteConflict"
    assert holdings(account.iam).users == ("alice",)


def test_a_user_the_runbook_did_not_create_is_refused_unless_adopted(account: Account) -> None:
    account.iam.create_user(UserName="alice")
    account.iam.create_access_key(UserName="alice")
    account.iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=INLINE)
    with pytest.raises(ConflictError) as refused:
        remove(account)
    assert refused.value.parameter == "user_name" and "adopt=True" in (refused.value.fix or "")
    assert account.faults.writes == [] and holdings(account.iam).users == ("alice",)

    adopted = remove(account, adopt=True)

    assert adopted.conn.call_log.writes == ["iam:DeleteAccessKey", "iam:DeleteUserPolicy", "iam:DeleteUser"]
    assert holdings(account.iam).empty


@pytest.mark.parametrize(
    ("target", "confirm"),
    [("sandbox", ""), ("aws", "alice"), ("aws", SANDBOX_ACCOUNT_ID)],
)
def test_teardown_removes_nothing_until_confirm_names_what_goes(account: Account, target: str, confirm: str) -> None:
    """Sandbox: the user name. Real AWS: ACCOUNT_ID/USER, which neither the create run's confirm nor a name matches."""
    account.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDUMMYKEY1")
    account.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy-secret")
    account.run()
    before = holdings(account.iam)
    writes = len(account.faults.writes)
    with pytest.raises(InputError) as refused:
        remove(account, target=target, confirm=confirm)
    expected = f"{SANDBOX_ACCOUNT_ID}/alice" if target == "aws" else "alice"
    assert refused.value.parameter == "confirm" and f"confirm={expected!r}" in (refused.value.fix or "")
    assert len(account.faults.writes) == writes and holdings(account.iam) == before

    remove(account, target=target, confirm=expected)
    assert holdings(account.iam).empty


@pytest.mark.parametrize("index", range(len(REMOVALS)), ids=[f"{i}-{a}" for i, a in enumerate(REMOVALS)])
def test_a_teardown_stopped_after_any_removal_is_finished_by_a_rerun(account: Account, index: int) -> None:
    """A crash once IAM made the removal: the re-run reads IAM afresh; a deactivated device is still found."""
    account.run()
    account.faults.crash(REMOVALS[index], "after", REMOVALS[: index + 1].count(REMOVALS[index]))
    with pytest.raises(Crash):
        remove(account)
    account.faults.handlers.clear()

    rest = remove(account)

    assert [w.split(":")[1] for w in rest.conn.call_log.writes] == REMOVALS[index + 1 :]
    assert holdings(account.iam).empty


def test_a_removal_that_iam_refuses_names_the_step_and_the_way_to_finish(account: Account) -> None:
    account.run()
    account.faults.answer("DeleteLoginProfile", "EntityTemporarilyUnmodifiable", 1, status=409)
    with pytest.raises(StepFailed) as failed:
        remove(account)
    assert failed.value.step == "DeleteLoginProfile" and "again" in (failed.value.fix or "")
    account.faults.deny("DeleteUser")
    with pytest.raises(RunbookError) as denied:
        remove(account)
    assert "iam:DeleteUser" in str(denied.value) and denied.value.parameter == "profile"
    account.faults.handlers.clear()
    remove(account)
    assert holdings(account.iam).empty


@pytest.mark.slow
def test_runbook_teardown_shows_the_removals_and_makes_them_only_once_confirmed(
    account: Account, tmp_path: Path
) -> None:
    """`runbook teardown USER` runs notebooks/delete_admin_user.ipynb with papermill, as `runbook run` does."""
    account.run()
    before = holdings(account.iam)
    review = runbook_cli(account, tmp_path, "teardown", "alice", "--output-dir", str(tmp_path / "runs"))
    out, _ = review.communicate(timeout=180)
    assert review.returncode == 1 and "Review: 7 removal(s) planned" in out and "DeleteUser:" in out, out
    assert "confirm='alice'" in out and holdings(account.iam) == before
    assert "failed at step 3 Remove" in out and "Traceback" not in out, out

    removal = runbook_cli(account, tmp_path, "teardown", "alice", "-p", "confirm", "alice",
                          "--output-dir", str(tmp_path / "runs"))  # fmt: skip
    out, _ = removal.communicate(timeout=180)

    assert removal.returncode == 0 and "Verify: alice is gone" in out, out
    assert holdings(account.iam).empty


# --- only what can be tied to the named user (issue 13, item 7) ------------------------------------------


def _two_waiting_users(account: Account) -> None:
    """alice and bob, each stopped at MFA with a device waiting for codes, both in the shared group."""
    for user in ("alice", "bob"):
        account.run(user_name=user, mfa_codes="defer", grant_via="group", codecommit=False)
    assert len(holdings(account.iam).unassigned_devices) == 2


def _bob(account: Account) -> tuple[object, ...]:
    """Everything bob holds, and the devices waiting for him, read by the root user."""
    iam = account.iam
    waiting = [
        d["SerialNumber"]
        for d in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
        if d["SerialNumber"].endswith("/bob")
    ]
    return (
        iam.get_login_profile(UserName="bob")["LoginProfile"]["UserName"],
        [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]],
        [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="Administrators")["AttachedPolicies"]],
        waiting,
    )


NAMED = {
    # how the teardown is asked: its parameters
    "alice": {},
    "alice-naming-bobs-device": {"mfa_device_name": "bob"},
    "missing-user-naming-bobs-device": {"user_name": "carol", "confirm": "carol", "mfa_device_name": "bob"},
    "missing-user-named-like-bobs-device": {"user_name": "bob2", "confirm": "bob2", "mfa_device_name": "bob"},
}


@pytest.mark.parametrize("how", NAMED)
def test_a_teardown_with_two_users_waiting_at_mfa_removes_nothing_of_the_other(account: Account, how: str) -> None:
    """A device is the user's if it is assigned to the user or, unassigned, its tags name the user: never by name."""
    _two_waiting_users(account)
    bob = _bob(account)
    assert bob[3], bob

    done = remove(account, **NAMED[how])

    assert _bob(account) == bob
    assert "Administrators" in holdings(account.iam).groups
    if how.startswith("alice"):
        assert holdings(account.iam).users == ("bob",)
        assert [d for d in holdings(account.iam).unassigned_devices if d.endswith("/alice")] == []
    else:
        assert done.conn.call_log.writes == [] and holdings(account.iam).users == ("alice", "bob")


def test_a_waiting_device_the_runbook_made_for_nobody_it_can_name_is_left(account: Account) -> None:
    """A device tagged managed-by but naming no user (made by hand, or by an older runbook) is not tied to alice."""
    from runbook_lib.users import TAGS

    account.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice", Tags=TAGS)  # type: ignore[arg-type]
    done = remove(account)
    assert done.conn.call_log.writes == [] and len(holdings(account.iam).unassigned_devices) == 1
