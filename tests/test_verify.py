"""Issue 7: the final verification reads IAM's own answers; the group variant with the CIS password
policy passes every control the runbook controls, and the blog variant fails the group check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_lib import sandbox
from runbook_lib.checks import verify
from runbook_lib.runbook import Runbook, run_headless


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    box = sandbox.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint_url)
    yield box.endpoint_url
    box.stop()


def run(tmp_path: Path, **params: object) -> Runbook:
    return run_headless({"mfa_codes": "generate", "secrets_dir": str(tmp_path / "s"), **params})


def statuses(run: Runbook, user: str) -> dict[str, str]:
    return {c.prowler: c.status for c in verify(run.conn.iam, user)}


def test_blog_variant_fails_the_group_check_and_the_password_policy(endpoint: str, tmp_path: Path) -> None:
    """CIS 1.15 (iam_policy_attached_only_to_group_or_roles) fails: the blog attaches policies to the user."""
    r = run(tmp_path, user_name="blog")
    s = statuses(r, "blog")
    assert s["iam_policy_attached_only_to_group_or_roles"] == "FAIL"
    assert s["iam_password_policy_minimum_length_14"] == "FAIL" and s["iam_password_policy_reuse_24"] == "FAIL"
    assert s["iam_user_mfa_enabled_console_access"] == "PASS"
    assert s["iam_user_administrator_access_policy"] == "INFO"


def test_group_variant_with_cis_policy_passes_every_control_the_runbook_controls(endpoint: str, tmp_path: Path) -> None:
    r = run(tmp_path, user_name="grouped", grant_via="group", password_policy="cis", codecommit_user="grouped-git")
    s = statuses(r, "grouped")
    for check in (
        "iam_user_mfa_enabled_console_access",
        "iam_policy_attached_only_to_group_or_roles",
        "iam_password_policy_minimum_length_14",
        "iam_password_policy_reuse_24",
        "iam_user_no_setup_initial_access_key",
        "iam_no_root_access_key",
        "iam_root_mfa_enabled",
    ):
        assert s[check] == "PASS", check
    iam = r.conn.iam
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="grouped")["Groups"]] == ["Administrators"]
    assert iam.list_attached_user_policies(UserName="grouped")["AttachedPolicies"] == []
    git = iam.list_attached_user_policies(UserName="grouped-git")["AttachedPolicies"]
    assert [p["PolicyName"] for p in git] == ["AWSCodeCommitPowerUser"]
    assert len(iam.list_service_specific_credentials(UserName="grouped-git")["ServiceSpecificCredentials"]) == 1
    assert iam.list_service_specific_credentials(UserName="grouped")["ServiceSpecificCredentials"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="grouped-git")  # the Git user has no console access


def test_root_access_keys_fail_cis_1_4(endpoint: str, tmp_path: Path) -> None:
    """iam_no_root_access_key reads the credential report's <root_account> row, not the run's belief."""
    r = run(tmp_path, user_name="keys")
    assert statuses(r, "keys")["iam_no_root_access_key"] == "PASS"
    sandbox.set_root_state(access_keys=True)
    try:
        assert statuses(r, "keys")["iam_no_root_access_key"] == "FAIL"
    finally:
        sandbox.set_root_state(access_keys=False)
