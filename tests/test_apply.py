"""One registry from IAM action to call, for the create runbook and the teardown; IAM's refusals as fixes."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from runbook_lib.apply import CALLS
from runbook_lib.errors import ConflictError
from runbook_lib.plan import Action
from tests.support.faults import Account, holdings, open_account


def test_every_action_a_plan_can_hold_has_exactly_one_call() -> None:
    assert set(CALLS) == set(get_args(Action))


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


@pytest.mark.parametrize("grant_via", ["user", "group"])
def test_the_managed_policy_quota_is_explained_as_a_policies_fix_not_a_git_one(
    account: Account, grant_via: str
) -> None:
    """IAM attaches at most 10 managed policies to a user or group: LimitExceeded (PoliciesPerUser/Group)."""
    action = "AttachUserPolicy" if grant_via == "user" else "AttachGroupPolicy"
    account.faults.answer(action, "LimitExceeded", 1, status=409)
    with pytest.raises(ConflictError) as caught:
        account.run(grant_via=grant_via)
    err = caught.value
    assert err.parameter == "policies" and err.step == action
    assert "10 managed policies" in (err.fix or "") and "grant_via" in (err.fix or "")
    assert "codecommit" not in (err.fix or "")


def test_the_git_credential_limit_is_explained_as_a_codecommit_fix(account: Account) -> None:
    """IAM allows two service-specific credentials per user and service: LimitExceeded beyond."""
    account.faults.answer("CreateServiceSpecificCredential", "LimitExceeded", 1, status=409)
    with pytest.raises(ConflictError) as caught:
        account.run()
    err = caught.value
    assert err.parameter == "codecommit" and err.step == "CreateServiceSpecificCredential"
    assert "codecommit_reset" in (err.fix or "") and "codecommit=False" in (err.fix or "")
    assert holdings(account.iam).users == ("alice",)
