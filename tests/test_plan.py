"""Plan is a pure function of (desired, observed): the review shows it and a finished job plans nothing."""

import pytest

from runbook_lib.errors import ConflictError
from runbook_lib.mfa import VirtualDevice
from runbook_lib.plan import Desired, Observed, plan
from runbook_lib.policies import PolicyRef
from runbook_lib.users import ObservedUser

ADMIN = PolicyRef("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess")
BILLING = PolicyRef("Billing", "arn:aws:iam::aws:policy/job-function/Billing")


def desired(**kw: object) -> Desired:
    base: dict[str, object] = dict(
        user_name="alice",
        console_access=True,
        password_reset_required=False,
        policies=(ADMIN, BILLING),
        grant_via="user",
        group_name="Administrators",
        mfa=True,
        device_name="alice",
        mfa_deferred=False,
        codecommit=True,
        git_user="alice",
    )
    base.update(kw)
    return Desired(**base)  # type: ignore[arg-type]


def test_fresh_account_plans_the_seven_writes_of_the_procedure() -> None:
    steps = plan(desired(), Observed(admin=ObservedUser("alice")))
    assert [s.action for s in steps] == [
        "CreateUser",
        "CreateLoginProfile",
        "AttachUserPolicy",
        "AttachUserPolicy",
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "CreateServiceSpecificCredential",
    ]


def test_finished_account_plans_nothing() -> None:
    done = ObservedUser(
        "alice",
        exists=True,
        ours=True,
        login_profile=True,
        attached=[ADMIN.arn, BILLING.arn],
        mfa_serials=["arn:aws:iam::1:mfa/alice"],
        credential_ids=["ACCA1"],
    )
    assert plan(desired(), Observed(admin=done)) == []


def test_undelivered_pending_device_is_deleted_and_made_again() -> None:
    user = ObservedUser("alice", exists=True, ours=True, login_profile=True, attached=[ADMIN.arn, BILLING.arn])
    stale = VirtualDevice("arn:aws:iam::1:mfa/alice", deferred=False)
    actions = [s.action for s in plan(desired(codecommit=False), Observed(admin=user, pending=[stale]))]
    assert actions == ["DeleteVirtualMFADevice", "CreateVirtualMFADevice", "EnableMFADevice"]


def test_deferred_device_is_reused_once_codes_are_given() -> None:
    user = ObservedUser("alice", exists=True, ours=True, login_profile=True, attached=[ADMIN.arn, BILLING.arn])
    pending = VirtualDevice("arn:aws:iam::1:mfa/alice", deferred=True)
    steps = plan(desired(codecommit=False), Observed(admin=user, pending=[pending], codes_available=True))
    assert [(s.action, s.arg) for s in steps] == [("EnableMFADevice", pending.serial)]


def test_group_variant_grants_through_the_group() -> None:
    steps = plan(desired(grant_via="group", mfa=False, codecommit=False), Observed(admin=ObservedUser("alice")))
    assert [s.action for s in steps] == [
        "CreateUser",
        "CreateLoginProfile",
        "CreateGroup",
        "AttachGroupPolicy",
        "AttachGroupPolicy",
        "AddUserToGroup",
    ]


def test_full_credential_slots_on_an_adopted_user_offer_reset_or_skip() -> None:
    """IAM allows two service-specific credentials per user and service (LimitExceeded beyond)."""
    user = ObservedUser("bob", exists=True, ours=False, credential_ids=["A", "B"], mfa_serials=["x"])
    with pytest.raises(ConflictError) as err:
        plan(
            desired(user_name="bob", git_user="bob", console_access=False, policies=(), adopt=True),
            Observed(admin=user),
        )
    assert "codecommit_reset" in (err.value.fix or "") and "codecommit=False" in (err.value.fix or "")
