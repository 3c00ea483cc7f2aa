"""Final verification: the controls auditors run (CIS AWS Foundations v3.0, Prowler), read from IAM.

Each row's verdict is the one Prowler gives on the same account state, by Prowler's own rule (for
each check, the rule is in its docstring line below): an auditor who runs Prowler after the runbook
sees what Verify said. Where the runbook reads a verdict differently ("expected for the account's
first administrator"), it says so beside the verdict, never instead of it. `tests/prowler/` runs
Prowler against the sandbox and compares row by row.

The checks never trust what the run thinks it did: they read the credential report, the user's
MFA devices and grants afresh. Several controls come from the credential report, which
IAM reuses for four hours after generating it; when the report predates the account's current
state, the verdicts are still the report's (that is what report-based tools show) and Verify says
until when they will show the old state.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal

from .errors import StepFailed
from .passwords import PasswordPolicy
from .report import Report

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Status = Literal["PASS", "FAIL", "WARN", "INFO", "N/A"]
"""A control's verdict; ``N/A`` where Prowler reports no finding (e.g. a user the report does not list yet)."""

FULL_ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROOT_ROW = "<root_account>"
REPORT_REUSED_FOR = timedelta(hours=4)
"""IAM answers with the report it has if it is under four hours old:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html"""


@dataclass(frozen=True)
class Check:
    """One control's result, named as the auditors' reports name it.

    `status` is Prowler's verdict on the account as it stands; `reading` is the runbook's own reading,
    shown beside it; `resources` are the ARNs of the Prowler findings the row stands for (empty: the
    account's, such as the password policy).
    """

    cis: str
    prowler: str
    title: str
    status: Status
    detail: str
    fix: str = ""
    reading: str = ""
    resources: tuple[str, ...] = ()
    expected: bool = False  # a FAIL this procedure causes on purpose (the first administrator's full access)
    settled: bool = False  # IAM already holds the fix; only the credential report (and so Prowler) is behind


@dataclass(frozen=True)
class CredentialReport:
    """The credential report by user (``<root_account>`` for root), and when IAM generated it."""

    rows: dict[str, dict[str, str]]
    generated: datetime

    @property
    def reused_until(self) -> datetime:
        """Until when IAM hands out this report instead of generating a new one."""
        return self.generated + REPORT_REUSED_FOR


def read_credential_report(iam: IAMClient) -> CredentialReport:
    """The account's credential report, generated on demand (or IAM's kept one, if under four hours old)."""
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
    answer = iam.get_credential_report()
    content = answer["Content"]
    text = content.decode() if isinstance(content, bytes) else str(content)
    generated = answer.get("GeneratedTime") or datetime.now(timezone.utc)
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(text))}
    return CredentialReport(rows, generated if generated.tzinfo else generated.replace(tzinfo=timezone.utc))


def credential_report(iam: IAMClient) -> dict[str, dict[str, str]]:
    """The credential report by user ('<root_account>' for root)."""
    return read_credential_report(iam).rows


@dataclass(frozen=True)
class Known:
    """Facts preflight read that this run did not change: verify does not read them a second time.

    `password_policy` is None when the run changed the policy: then verify reads it afresh. The root
    user's facts are compared with the credential report's, to tell when the report is behind.
    """

    root_mfa: bool
    root_access_keys: bool
    password_policy: PasswordPolicy | None


@dataclass(frozen=True)
class UserState:
    """What IAM holds for the user now, read afresh (the credential report may be older)."""

    name: str
    arn: str
    mfa_since: datetime | None
    attached: dict[str, str]  # policy name -> ARN, attached to the user itself
    inline: list[str]
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> its attached policy ARNs


def read_user(iam: IAMClient, name: str, arn: str) -> UserState:
    """The user's MFA devices and grants: the reads the controls need, and no more (see `make bench`)."""
    devices = iam.list_mfa_devices(UserName=name)["MFADevices"]
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]]
    return UserState(
        name=name,
        arn=arn,
        mfa_since=min((d["EnableDate"] for d in devices), default=None),
        attached={
            p["PolicyName"]: p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
        },
        inline=list(iam.list_user_policies(UserName=name)["PolicyNames"]),
        groups={
            g: [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"]]
            for g in groups
        },
    )


FULL_ADMIN_AWS_POLICIES = frozenset({"AdministratorAccess", "AWSMcpServiceActionsFullAccess"})
"""The AWS-managed policies that allow every action on every resource (`allows_full_admin`), by name.

AWS-managed policies are AWS's to write, so this is read off their published documents (moto's copy,
which a test scans) rather than fetched on every run: two calls per policy saved.
"""


def allows_full_admin(document: dict[str, Any]) -> bool:
    """CIS 1.16's test: a statement that allows every action ("*") on every resource ("*")."""
    statements = document.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement.get("Effect") == "Allow" and {"*", "*:*"} & set(actions) and "*" in resources:
            return True
    return False


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else "an unknown time"


def verify(iam: IAMClient, user_name: str, known: Known | None = None) -> list[Check]:
    """Read the account back and judge each control that bears on this procedure, as Prowler does."""
    report = read_credential_report(iam)
    root = report.rows.get(ROOT_ROW)
    row = report.rows.get(user_name)
    if known is None:
        summary = iam.get_account_summary()["SummaryMap"]
        known = Known(bool(summary.get("AccountMFAEnabled")), bool(summary.get("AccountAccessKeysPresent")), None)
    root_arn = root.get("arn", "") if root else ""
    user_arn = row["arn"] if row else root_arn.removesuffix("root") + f"user/{user_name}"
    user = read_user(iam, user_name, user_arn)
    policy = known.password_policy
    if policy is None:
        try:
            policy = PasswordPolicy.from_api(iam.get_account_password_policy()["PasswordPolicy"])  # type: ignore[arg-type]
        except iam.exceptions.NoSuchEntityException:
            policy = PasswordPolicy()
    aws_managed = sorted(set(user.attached.values()) | {arn for arns in user.groups.values() for arn in arns})
    aws_managed = [arn for arn in aws_managed if ":iam::aws:policy/" in arn]
    full_admin = [arn for arn in aws_managed if arn.rsplit("/", 1)[-1] in FULL_ADMIN_AWS_POLICIES]

    late = _report_is_behind(report, row, root, user, known)
    reused = (
        f"the credential report (generated {_when(report.generated)}) shows this until {_when(report.reused_until)}"
    )
    checks = [
        mfa_for_console(user, row, late.get("user", ""), reused),
        _only_through_groups(user),
        _no_full_admin_policies(user, aws_managed, full_admin),
        _no_administrator_access_on_user(user),
        *root_controls(root, late.get("root", ""), reused),
        _password_policy_length(policy),
        _password_policy_reuse(policy),
        no_unused_initial_keys(user, row, late.get("user", ""), reused),
    ]
    return checks


def _report_is_behind(
    report: CredentialReport, row: dict[str, str] | None, root: dict[str, str] | None, user: UserState, known: Known
) -> dict[str, str]:
    """What IAM holds now that the report's rows do not show yet, for the user and for root."""
    changes: list[str] = []
    if row is None:
        changes.append(f"{user.name} exists")
    elif (row.get("mfa_active") == "true") != (user.mfa_since is not None):
        changes.append(f"{user.name}'s MFA on since {_when(user.mfa_since)}" if user.mfa_since else "MFA off")
    late: dict[str, str] = {}
    if changes:
        late["user"] = f"IAM now: {', '.join(changes)}"
    if root is not None:
        root_changes = []
        if (root.get("mfa_active") == "true") != known.root_mfa:
            root_changes.append(f"root MFA {'on' if known.root_mfa else 'off'}")
        if _root_keys(root) != known.root_access_keys:
            root_changes.append(f"root access keys {'present' if known.root_access_keys else 'none'}")
        if root_changes:
            late["root"] = f"IAM now: {', '.join(root_changes)}"
    return late


def _root_keys(root: dict[str, str]) -> bool:
    return root.get("access_key_1_active") == "true" or root.get("access_key_2_active") == "true"


def _beside(late: str, reused: str) -> str:
    return f"{late}; {reused}" if late else ""


def mfa_for_console(user: UserState, row: dict[str, str] | None, late: str, reused: str) -> Check:
    """Prowler: from the report, FAIL for a user with a console password and no MFA, else PASS."""
    check = ("1.10", "iam_user_mfa_enabled_console_access", "Console users have MFA")
    fix = "Run the MFA step again (mfa=True)."
    if row is None:
        return Check(*check, "N/A", f"{user.name} is not in the credential report yet", fix,
                     _beside(late, reused), (user.arn,))  # fmt: skip
    console = row.get("password_enabled") == "true"
    mfa = row.get("mfa_active") == "true"
    settled = console and not mfa and user.mfa_since is not None
    if settled:  # running the MFA step again would change nothing: the report has to catch up
        fix = f"None to run: IAM already has {user.name}'s MFA; {reused.replace('this', 'MFA off')}."
    return Check(*check, "FAIL" if console and not mfa else "PASS",
                 f"{user.name}: MFA {'on' if mfa else 'off'}, console password {'on' if console else 'off'}"
                 " (credential report)", fix, _beside(late, reused), (user.arn,), settled=settled)  # fmt: skip


def _only_through_groups(user: UserState) -> Check:
    """Prowler: FAIL for each policy attached to the user directly (managed or inline), else PASS."""
    direct = len(user.attached) + len(user.inline)
    groups = f"; groups: {', '.join(user.groups)}" if user.groups else ""
    return Check("1.15", "iam_policy_attached_only_to_group_or_roles", "Permissions only through groups",
                 "FAIL" if direct else "PASS",
                 f"{len(user.attached)} managed and {len(user.inline)} inline policies attached to the user directly"
                 + groups, "Run with grant_via='group' and detach the user's own policies.",
                 resources=(user.arn,))  # fmt: skip


def _no_full_admin_policies(user: UserState, aws_managed: list[str], full_admin: list[str]) -> Check:
    """Prowler: FAIL for each attached AWS-managed policy that allows "*" on "*", PASS for the others."""
    names = ", ".join(arn.rsplit("/", 1)[-1] for arn in full_admin)
    return Check("1.16", "iam_aws_attached_policy_no_administrative_privileges", "No full-admin policy attached",
                 "FAIL" if full_admin else "PASS" if aws_managed else "N/A",
                 f"{names} allows every action on every resource" if full_admin
                 else f"none of the {len(aws_managed)} AWS-managed policies granted to {user.name} allows '*:*'",
                 "Grant narrower policies to everyday users.",
                 "expected for the account's first administrator" if full_admin else "",
                 tuple(full_admin or aws_managed), expected=bool(full_admin))  # fmt: skip


def _no_administrator_access_on_user(user: UserState) -> Check:
    """Prowler: FAIL when AdministratorAccess is attached to the user itself, else PASS (groups do not count)."""
    direct = "AdministratorAccess" in user.attached
    via = [g for g, arns in user.groups.items() if FULL_ADMIN in arns]
    if direct:
        reading = "expected for the account's first administrator; with grant_via='group' this check passes"
    else:
        reading = f"AdministratorAccess comes through group {', '.join(via)}" if via else ""
    return Check("—", "iam_user_administrator_access_policy", "AdministratorAccess not attached to the user",
                 "FAIL" if direct else "PASS",
                 f"AdministratorAccess is {'attached to' if direct else 'not attached to'} {user.name} directly",
                 "Run with grant_via='group'.", reading, (user.arn,), expected=direct)  # fmt: skip


def root_controls(root: dict[str, str] | None, late: str, reused: str) -> list[Check]:
    """Prowler: from the report's root row, and only when root has a password or an active access key.

    No root access keys: FAIL for an active key. Root MFA: FAIL when ``mfa_active`` is false.
    """
    keys = ("1.4", "iam_no_root_access_key", "No root access keys")
    mfa = ("1.5", "iam_root_mfa_enabled", "Root has MFA")
    keys_fix = "Delete them: root's Security credentials page > Access keys > Delete."
    mfa_fix = "Assign an MFA device to root: root's Security credentials page > Assign MFA."
    if root is None or not (root.get("password_enabled") == "true" or _root_keys(root)):
        detail = "the credential report shows no root password or access keys: root has no credentials to check"
        return [Check(*keys, "N/A", detail, keys_fix, _beside(late, reused)),
                Check(*mfa, "N/A", detail, mfa_fix, _beside(late, reused))]  # fmt: skip
    arn = (root.get("arn", ""),)
    has_keys, has_mfa = _root_keys(root), root.get("mfa_active") == "true"
    return [
        Check(*keys, "FAIL" if has_keys else "PASS", f"root {'has' if has_keys else 'has no'} active access keys",
              keys_fix, _beside(late, reused), arn),
        Check(*mfa, "PASS" if has_mfa else "FAIL", f"root MFA is {'on' if has_mfa else 'off'}",
              mfa_fix, _beside(late, reused), arn),
    ]  # fmt: skip


def _password_policy_length(policy: PasswordPolicy) -> Check:
    """Prowler: PASS when the policy's minimum length is 14 or more; FAIL otherwise, or without a policy."""
    length = 0 if policy.is_default else policy.minimum_length
    return Check("1.8", "iam_password_policy_minimum_length_14", "Password policy: minimum length 14",
                 "PASS" if length >= 14 else "FAIL", f"minimum length {length or 'not set (AWS default 8)'}",
                 "Run with password_policy='cis'.")  # fmt: skip


def _password_policy_reuse(policy: PasswordPolicy) -> Check:
    """Prowler: PASS when the policy remembers 24 passwords (IAM's maximum); FAIL otherwise."""
    reuse = policy.password_reuse_prevention or 0
    return Check("1.9", "iam_password_policy_reuse_24", "Password policy: reuse prevention 24",
                 "PASS" if reuse >= 24 else "FAIL", f"remembers {reuse or 'no'} previous passwords",
                 "Run with password_policy='cis'.")  # fmt: skip


def no_unused_initial_keys(user: UserState, row: dict[str, str] | None, late: str, reused: str) -> Check:
    """Prowler: from the report, FAIL for an active, never-used access key of a console user, else PASS."""
    check = ("1.11", "iam_user_no_setup_initial_access_key", "No unused access keys made with the user")
    fix = "Delete the user's access keys; use roles or SSO for programmatic access."
    if row is None:
        return Check(*check, "N/A", f"{user.name} is not in the credential report yet", fix,
                     _beside(late, reused), (user.arn,))  # fmt: skip
    console = row.get("password_enabled") == "true"
    unused = [
        n for n in (1, 2)
        if row.get(f"access_key_{n}_active") == "true" and row.get(f"access_key_{n}_last_used_date") == "N/A"
    ]  # fmt: skip
    return Check(*check, "FAIL" if console and unused else "PASS",
                 f"{len(unused)} active access key(s) never used (credential report)", fix,
                 _beside(late, reused), (user.arn,))  # fmt: skip


def as_report(checks: list[Check], fix: Callable[[Check], str] | None = None) -> Report:
    """The table Verify shows: Prowler's verdict, the finding, and the runbook's own reading beside it.

    `fix` words each fix for the front end that shows it (default: the check's own text).
    """
    fix = fix or (lambda c: c.fix)
    rows = [
        (
            c.status,
            f"CIS {c.cis}" if c.cis != "—" else "—",
            c.prowler,
            c.detail
            + (f"  Runbook: {c.reading}." if c.reading else "")
            + ("" if c.status in ("PASS", "INFO", "N/A") or c.expected else f"  Fix: {fix(c)}"),
        )
        for c in checks
    ]
    failed = [c for c in checks if c.status == "FAIL"]
    expected = sum(c.expected for c in failed)
    title = f"Verification: {len(failed)} control(s) fail" + (
        f" ({expected} expected for the account's first administrator)" if expected else ""
    )
    notes = []
    late = [c for c in checks if c.reading.startswith("IAM now")]
    if late:
        notes.append(
            "The credential report predates this account's current state: "
            f"{', '.join(c.prowler for c in late)} show the report's state, as Prowler and other "
            "report-based tools will until IAM generates a new report (the time is in each row)."
        )
    return Report(title, rows, ("", "control", "Prowler check", "finding"), notes)
