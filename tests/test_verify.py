"""Issues 7 and 15: the final verification reads IAM's own answers and gives Prowler's verdict on each control.

The group variant with the CIS password policy passes every control the runbook controls except the
first administrator's full access, which fails as Prowler fails it, with the runbook's reading beside
it. Prowler's own rules, row by row, are in runbook_lib/checks.py; tests/prowler runs Prowler itself.
When the credential report (which IAM reuses for four hours) predates the account's state, the verdicts
stay the report's and Verify says until when report-based tools will show the old state.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from runbook_lib import fixes, sandbox
from runbook_lib.checks import (
    FULL_ADMIN_AWS_POLICIES,
    REPORT_REUSED_FOR,
    Check,
    UserState,
    allows_full_admin,
    as_report,
    mfa_for_console,
    no_unused_initial_keys,
    root_controls,
    verify,
)
from runbook_lib.runbook import Runbook, run_headless
from runbook_lib.sandbox.iam import account_backend
from runbook_lib.sandbox.report import StoredReport


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    box = sandbox.start()
    # Each test starts from a fresh account: no users, and no credential report kept from another test.
    urllib.request.urlopen(urllib.request.Request(box.endpoint_url + "/moto-api/reset", method="POST")).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint_url)
    yield box.endpoint_url
    box.stop()


def run(tmp_path: Path, **params: object) -> Runbook:
    return run_headless({"mfa_codes": "generate", "secrets_dir": str(tmp_path / "s"), **params})


def by_check(run: Runbook, user: str) -> dict[str, Check]:
    return {c.prowler: c for c in verify(run.conn.iam, user)}


def statuses(run: Runbook, user: str) -> dict[str, str]:
    return {name: c.status for name, c in by_check(run, user).items()}


def age_the_credential_report(by: timedelta) -> None:
    """Make the sandbox's kept report older, as four hours passing would (the sandbox runs in this process)."""
    backend = account_backend(sandbox.SANDBOX_ACCOUNT_ID)
    kept = backend.stored_report
    assert kept is not None
    backend.stored_report = StoredReport(kept.content, kept.generated - by)


def test_blog_variant_fails_the_group_check_the_password_policy_and_full_admin_on_the_user(
    endpoint: str, tmp_path: Path
) -> None:
    """CIS 1.15 fails (policies on the user), and so does Prowler's AdministratorAccess-on-a-user check."""
    r = run(tmp_path, user_name="blog")
    checks = by_check(r, "blog")
    s = {name: c.status for name, c in checks.items()}
    assert s["iam_policy_attached_only_to_group_or_roles"] == "FAIL"
    assert s["iam_password_policy_minimum_length_14"] == "FAIL" and s["iam_password_policy_reuse_24"] == "FAIL"
    assert s["iam_user_mfa_enabled_console_access"] == "PASS"
    for name in ("iam_user_administrator_access_policy", "iam_aws_attached_policy_no_administrative_privileges"):
        assert s[name] == "FAIL", name  # Prowler's verdict...
        assert checks[name].expected and "first administrator" in checks[name].reading  # ...and ours beside it
    text = as_report(list(checks.values())).text()
    assert "Verification: 5 control(s) fail (2 expected for the account's first administrator)" in text
    assert "Runbook: expected for the account's first administrator" in text


def test_group_variant_with_cis_policy_passes_every_control_but_the_first_admins_full_access(
    endpoint: str, tmp_path: Path
) -> None:
    r = run(tmp_path, user_name="grouped", grant_via="group", password_policy="cis", codecommit_user="grouped-git")
    checks = by_check(r, "grouped")
    failing = {name for name, c in checks.items() if c.status != "PASS"}
    assert failing == {"iam_aws_attached_policy_no_administrative_privileges"}  # CIS 1.16: AdministratorAccess
    assert "through group Administrators" in checks["iam_user_administrator_access_policy"].reading
    iam = r.conn.iam
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="grouped")["Groups"]] == ["Administrators"]
    assert iam.list_attached_user_policies(UserName="grouped")["AttachedPolicies"] == []
    git = iam.list_attached_user_policies(UserName="grouped-git")["AttachedPolicies"]
    assert [p["PolicyName"] for p in git] == ["AWSCodeCommitPowerUser"]
    assert len(iam.list_service_specific_credentials(UserName="grouped-git")["ServiceSpecificCredentials"]) == 1
    assert iam.list_service_specific_credentials(UserName="grouped")["ServiceSpecificCredentials"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="grouped-git")  # the Git user has no console access


def test_a_credential_report_older_than_the_runs_changes_keeps_its_verdict_and_says_until_when(
    endpoint: str, tmp_path: Path
) -> None:
    """A first run without MFA generates the report; the second enables MFA, and IAM hands out the old report."""
    run(tmp_path, user_name="late", mfa=False)
    r = run(tmp_path, user_name="late")
    generated = r.conn.iam.get_credential_report()["GeneratedTime"]
    assert r.conn.iam.list_mfa_devices(UserName="late")["MFADevices"]  # IAM has the device...
    check = by_check(r, "late")["iam_user_mfa_enabled_console_access"]
    assert check.status == "FAIL"  # ...but Prowler reads the report, which does not
    until = (generated + REPORT_REUSED_FOR).isoformat(timespec="seconds")
    assert "IAM now: late's MFA on since" in check.reading and until in check.reading
    assert "The credential report predates" in as_report([check]).text()
    for front in ("headless", "terminal", "panels"):  # IAM already holds the fix: none to carry out
        advice = fixes.fix_text(check, front, r.params)
        assert "runbook run" not in advice and "Run the notebook again" not in advice, (front, advice)
        assert "already" in advice and until in advice, (front, advice)

    age_the_credential_report(REPORT_REUSED_FOR)  # four hours on, IAM generates a new report
    fresh = by_check(r, "late")["iam_user_mfa_enabled_console_access"]
    assert (fresh.status, fresh.reading) == ("PASS", "")


def test_root_access_keys_fail_cis_1_4_once_the_credential_report_shows_them(endpoint: str, tmp_path: Path) -> None:
    """iam_no_root_access_key reads the credential report's <root_account> row, not the run's belief."""
    r = run(tmp_path, user_name="keys")
    assert statuses(r, "keys")["iam_no_root_access_key"] == "PASS"
    sandbox.set_root_state(access_keys=True)
    stale = by_check(r, "keys")["iam_no_root_access_key"]
    assert stale.status == "PASS" and "IAM now: root access keys present" in stale.reading
    age_the_credential_report(REPORT_REUSED_FOR)
    assert statuses(r, "keys")["iam_no_root_access_key"] == "FAIL"


# --- Prowler's rules on single credential-report rows -----------------------------------------------

USER = UserState("u", "arn:aws:iam::123456789012:user/u", None, {}, [])


def row(**values: str) -> dict[str, str]:
    base = {"password_enabled": "false", "mfa_active": "false"}
    base |= {f"access_key_{n}_{k}": "N/A" for n in (1, 2) for k in ("last_used_date", "last_rotated")}
    base |= {"access_key_1_active": "false", "access_key_2_active": "false", "arn": "arn:aws:iam::1:root"}
    return base | values


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"password_enabled": "true", "mfa_active": "false"}, "FAIL"),
        ({"password_enabled": "true", "mfa_active": "true"}, "PASS"),
        ({"password_enabled": "false", "mfa_active": "false"}, "PASS"),  # no console password: nothing to protect
    ],
)
def test_console_mfa_follows_the_report_row(values: dict[str, str], status: str) -> None:
    assert mfa_for_console(USER, row(**values), "", "").status == status


def test_a_user_the_report_does_not_list_has_no_verdict() -> None:
    """Prowler reports nothing for a user missing from the report; Verify says N/A, not PASS."""
    assert mfa_for_console(USER, None, "", "").status == "N/A"
    assert no_unused_initial_keys(USER, None, "", "").status == "N/A"


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"password_enabled": "true", "access_key_1_active": "true"}, "FAIL"),  # console user, key never used
        ({"password_enabled": "true", "access_key_2_active": "true"}, "FAIL"),
        (
            {"password_enabled": "true", "access_key_1_active": "true", "access_key_1_last_used_date": "2026-01-01"},
            "PASS",
        ),
        ({"password_enabled": "false", "access_key_1_active": "true"}, "PASS"),  # a programmatic user
    ],
)
def test_initial_access_keys_rule(values: dict[str, str], status: str) -> None:
    assert no_unused_initial_keys(USER, row(**values), "", "").status == status


@pytest.mark.parametrize(
    ("values", "keys", "mfa"),
    [
        ({"password_enabled": "true", "mfa_active": "true"}, "PASS", "PASS"),
        ({"password_enabled": "true", "mfa_active": "false"}, "PASS", "FAIL"),
        ({"password_enabled": "true", "mfa_active": "true", "access_key_2_active": "true"}, "FAIL", "PASS"),
        ({"access_key_1_active": "true"}, "FAIL", "FAIL"),  # keys alone make root checkable
        ({"password_enabled": "false"}, "N/A", "N/A"),  # root without credentials (Organizations-managed)
        ({"password_enabled": "not_supported"}, "N/A", "N/A"),
    ],
)
def test_root_controls_follow_the_report_and_only_where_root_has_credentials(
    values: dict[str, str], keys: str, mfa: str
) -> None:
    assert [c.status for c in root_controls(row(**values), "", "")] == [keys, mfa]


@pytest.mark.parametrize(
    ("statement", "admin"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),  # AdministratorAccess
        ({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}, True),
        ({"Effect": "Allow", "Action": ["aws-portal:*", "budgets:*"], "Resource": "*"}, False),  # Billing
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket"}, False),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
    ],
)
def test_full_admin_is_every_action_on_every_resource(statement: dict[str, object], admin: bool) -> None:
    assert allows_full_admin({"Version": "2012-10-17", "Statement": [statement]}) is admin
    assert allows_full_admin({"Version": "2012-10-17", "Statement": statement}) is admin


def test_the_full_admin_aws_policies_are_those_whose_published_documents_allow_everything() -> None:
    """FULL_ADMIN_AWS_POLICIES saves fetching documents on each run; moto's copy of AWS's managed policies checks it."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    published = json.loads(aws_managed_policies_data)
    assert len(published) > 1000
    assert {name for name, p in published.items() if allows_full_admin(p["Document"])} == FULL_ADMIN_AWS_POLICIES
