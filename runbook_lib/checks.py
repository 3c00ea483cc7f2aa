"""Final verification: the controls auditors run (CIS AWS Foundations v3.0, Prowler), read from IAM.

The checks never trust what the run thinks it did: they read the credential report and the user's
attachments and MFA devices afresh. What the run does not change (the root user's keys and MFA, and
the password policy unless the run set it) comes from preflight's reading, so no fact is read twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import StepFailed
from .passwords import PasswordPolicy
from .report import Report

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Status = Literal["PASS", "FAIL", "WARN", "INFO"]
FULL_ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True)
class Check:
    """One control's result, named as the auditors' reports name it."""

    cis: str
    prowler: str
    title: str
    status: Status
    detail: str
    fix: str = ""


def credential_report(iam: IAMClient) -> dict[str, dict[str, str]]:
    """The credential report by user ('<root_account>' for root); generated on demand."""
    import time

    # boto3 has no waiter for this: IAM answers STARTED or INPROGRESS until the report is ready.
    # Poll as a waiter would, with growing delays and a bound (about 40 s), never forever.
    for attempt in range(12):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(min(0.2 * 2**attempt, 5.0))
    else:
        raise StepFailed(
            "IAM did not finish the credential report in time.",
            step="GenerateCredentialReport",
            fix="Run the Verify section again in a minute: it only reads.",
        )
    content = iam.get_credential_report()["Content"]
    text = content.decode() if isinstance(content, bytes) else str(content)
    return {row["user"]: row for row in csv.DictReader(io.StringIO(text))}


@dataclass(frozen=True)
class Known:
    """Facts preflight read that this run did not change: verify does not read them a second time.

    `password_policy` is None when the run changed the policy: then verify reads it afresh.
    """

    root_mfa: bool
    root_access_keys: bool
    password_policy: PasswordPolicy | None


def verify(iam: IAMClient, user_name: str, known: Known | None = None) -> list[Check]:
    """Read the account back and judge each control that bears on this procedure."""
    report = credential_report(iam)
    root = report.get("<root_account>", {})
    row = report.get(user_name, {})
    if known is None:
        summary = iam.get_account_summary()["SummaryMap"]
        known = Known(bool(summary.get("AccountMFAEnabled")), bool(summary.get("AccountAccessKeysPresent")), None)
    attached = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]]
    inline = iam.list_user_policies(UserName=user_name)["PolicyNames"]
    devices = iam.list_mfa_devices(UserName=user_name)["MFADevices"]
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=user_name)["Groups"]]
    group_admin = any(
        p["PolicyArn"] == FULL_ADMIN
        for g in groups
        for p in iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"]
    )
    policy = known.password_policy
    if policy is None:
        try:
            policy = PasswordPolicy.from_api(iam.get_account_password_policy()["PasswordPolicy"])  # type: ignore[arg-type]
        except iam.exceptions.NoSuchEntityException:
            policy = PasswordPolicy()
    keys = [row.get("access_key_1_active") == "true", row.get("access_key_2_active") == "true"]
    root_keys = root.get("access_key_1_active") == "true" or root.get("access_key_2_active") == "true"
    root_keys = root_keys or known.root_access_keys
    root_mfa = root.get("mfa_active") == "true" or known.root_mfa
    length = 0 if policy.is_default else policy.minimum_length
    reuse = policy.password_reuse_prevention or 0
    console = row.get("password_enabled") == "true"
    return [
        Check("1.10", "iam_user_mfa_enabled_console_access", "Console users have MFA",
              "PASS" if (devices or not console) else "FAIL",
              f"{user_name}: {len(devices)} MFA device(s), console password {'on' if console else 'off'}",
              "Run the MFA step again (mfa=True)."),
        Check("1.15", "iam_policy_attached_only_to_group_or_roles", "Permissions only through groups",
              "FAIL" if (attached or inline) else "PASS",
              f"{len(attached)} managed and {len(inline)} inline policies attached to the user directly"
              + (f"; groups: {', '.join(groups)}" if groups else ""),
              "Run with grant_via='group' and detach the user's own policies."),
        Check("1.16", "iam_user_administrator_access_policy", "Full-admin policy attached",
              "INFO" if (FULL_ADMIN in attached or group_admin) else "PASS",
              "AdministratorAccess is granted: expected for this account's first administrator",
              "Expected here; grant narrower policies to everyday users."),
        Check("1.4", "iam_no_root_access_key", "No root access keys", "FAIL" if root_keys else "PASS",
              "root has access keys" if root_keys else "root has no access keys",
              "Delete them: root's Security credentials page > Access keys > Delete."),
        Check("1.5", "iam_root_mfa_enabled", "Root has MFA", "PASS" if root_mfa else "FAIL",
              "root MFA is on" if root_mfa else "root has no MFA",
              "Assign an MFA device to root: root's Security credentials page > Assign MFA."),
        Check("1.8", "iam_password_policy_minimum_length_14", "Password policy: minimum length 14",
              "PASS" if length >= 14 else "FAIL", f"minimum length {length or 'not set (AWS default 8)'}",
              "Run with password_policy='cis'."),
        Check("1.9", "iam_password_policy_reuse_24", "Password policy: reuse prevention 24",
              "PASS" if reuse >= 24 else "FAIL", f"remembers {reuse or 'no'} previous passwords",
              "Run with password_policy='cis'."),
        Check("1.11", "iam_user_no_setup_initial_access_key", "No access keys made for the new user",
              "FAIL" if any(keys) else "PASS", f"{sum(keys)} active access key(s)",
              "Delete the user's access keys; use roles or SSO for programmatic access."),
    ]  # fmt: skip


def as_report(checks: list[Check], fix: Callable[[Check], str] | None = None) -> Report:
    """The controls as a report; `fix` words each fix for the front end that shows it (default: the check's own)."""
    fix = fix or (lambda c: c.fix)
    rows = [
        (c.status, f"CIS {c.cis}", c.prowler, c.detail + ("" if c.status in ("PASS", "INFO") else f"  Fix: {fix(c)}"))
        for c in checks
    ]
    failed = sum(c.status == "FAIL" for c in checks)
    return Report(f"Verification: {failed} control(s) fail", rows, ("", "control", "Prowler check", "finding"))
