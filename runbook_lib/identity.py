"""Preflight: who is calling, in which account, from where, and what that means for safety.

Read-only. Its findings are shown before anything is written, with a warning where it matters
(long-term root keys, root without MFA, a caller that is not allowed to do the job).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

from botocore.exceptions import ClientError, NoCredentialsError, TokenRetrievalError

from .aws import Connection
from .errors import PreflightError
from .passwords import PasswordPolicy

Level = Literal["ok", "info", "warn"]


@dataclass(frozen=True)
class Finding:
    """One line of preflight: what was found, how much it matters, and what to do."""

    level: Level
    topic: str
    message: str
    fix: str = ""


@dataclass
class Preflight:
    """What the runbook knows about its caller and account before it plans anything."""

    account_id: str
    caller_arn: str
    is_root: bool
    alias: str | None
    target: str
    endpoint_url: str | None
    password_policy: PasswordPolicy
    root_mfa: bool
    root_access_keys: bool
    in_cloudshell: bool
    static_root_keys: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def signin_url(self) -> str:
        return f"https://{self.alias or self.account_id}.signin.aws.amazon.com/console"


def _denied(exc: ClientError, action: str) -> PreflightError:
    return PreflightError(
        f"The caller may not call {action}: {exc.response['Error'].get('Message', '')}",
        parameter="profile",
        fix=f"Run as the root user or an administrator allowed {action}.",
    )


def run_preflight(conn: Connection) -> Preflight:
    """Read the caller, alias, password policy and account summary (4 calls, no writes)."""
    try:
        ident = conn.sts.get_caller_identity()
    except (NoCredentialsError, TokenRetrievalError):
        raise PreflightError(
            "No usable AWS credentials.",
            parameter="profile",
            fix="Run in AWS CloudShell, or `aws sso login` and set profile.",
        ) from None
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in (
            "ExpiredToken",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
            "UnrecognizedClientException",
        ):
            raise PreflightError(
                f"The AWS credentials were rejected ({code}).",
                parameter="profile",
                fix="Refresh them: `aws sso login --profile NAME`, or reopen CloudShell.",
            ) from None
        raise
    account_id, arn = ident["Account"], ident["Arn"]
    is_root = arn.endswith(":root")
    iam = conn.iam
    try:
        aliases = iam.list_account_aliases()["AccountAliases"]
    except ClientError as exc:
        raise _denied(exc, "iam:ListAccountAliases") from None
    try:
        policy = PasswordPolicy.from_api(iam.get_account_password_policy()["PasswordPolicy"])  # type: ignore[arg-type]
    except iam.exceptions.NoSuchEntityException:
        policy = PasswordPolicy()
    except ClientError as exc:
        raise _denied(exc, "iam:GetAccountPasswordPolicy") from None
    try:
        summary = iam.get_account_summary()["SummaryMap"]
    except ClientError as exc:
        raise _denied(exc, "iam:GetAccountSummary") from None
    pre = Preflight(
        account_id=account_id,
        caller_arn=arn,
        is_root=is_root,
        alias=aliases[0] if aliases else None,
        target=conn.target,
        endpoint_url=conn.endpoint_url,
        password_policy=policy,
        root_mfa=bool(summary.get("AccountMFAEnabled", 0)),
        root_access_keys=bool(summary.get("AccountAccessKeysPresent", 0)),
        in_cloudshell=os.environ.get("AWS_EXECUTION_ENV", "").startswith("CloudShell"),
        static_root_keys=is_root and conn.static_keys,
    )
    pre.findings = findings(pre)
    return pre


def findings(pre: Preflight) -> list[Finding]:
    """Turn what preflight read into lines a newcomer can act on."""
    out: list[Finding] = []
    where = (
        f"sandbox (local, fictional account) at {pre.endpoint_url}"
        if pre.target == "sandbox"
        else f"real AWS{' at ' + pre.endpoint_url if pre.endpoint_url else ''}"
    )
    out.append(Finding("info", "target", where))
    who = "the root user" if pre.is_root else f"an IAM principal ({pre.caller_arn})"
    out.append(Finding("ok", "caller", f"{pre.caller_arn}: {who}"))
    if not pre.is_root:
        out.append(
            Finding(
                "info",
                "caller",
                "Not root: running as an existing administrator, which works "
                "as long as it may manage IAM users, MFA and credentials.",
            )
        )
    out.append(Finding("ok", "account", f"{pre.account_id} (alias: {pre.alias or 'none'})"))
    if pre.in_cloudshell:
        out.append(
            Finding(
                "ok",
                "where",
                "AWS CloudShell: the recommended place to run as root (temporary credentials, no root keys needed).",
            )
        )
    level: Level = "info" if pre.password_policy.is_default else "ok"
    out.append(Finding(level, "password policy", pre.password_policy.describe()))
    if pre.static_root_keys:
        out.append(
            Finding(
                "warn",
                "root keys",
                "This run uses long-term root access keys. AWS advises against root keys (CIS 1.3).",
                "After this run, sign in as the new admin and delete the root keys: "
                "Account menu > Security credentials > Access keys > Delete.",
            )
        )
    elif pre.root_access_keys:
        out.append(
            Finding(
                "warn",
                "root keys",
                "The root user has access keys (CIS 1.3).",
                "Delete them: root's Security credentials page > Access keys > Delete.",
            )
        )
    else:
        out.append(Finding("ok", "root keys", "The root user has no access keys."))
    if pre.root_mfa:
        out.append(Finding("ok", "root MFA", "The root user has MFA."))
    else:
        out.append(
            Finding(
                "warn",
                "root MFA",
                "The root user has no MFA (CIS 1.5).",
                "Assign an MFA device to root: root's Security credentials page > Assign MFA.",
            )
        )
    return out
