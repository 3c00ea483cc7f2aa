"""Finding AWS-managed policies by name, the way the console's search box does.

`Billing` is not at `arn:aws:iam::aws:policy/Billing` but under `job-function/`. An exact name is
read at the one path AWS keeps it under (`lookup`, one `GetPolicy` each); any other name is resolved
against the account's list of AWS-managed policies (two pages of 1,000), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


@dataclass(frozen=True)
class PolicyRef:
    """A managed policy the user asked for, resolved."""

    name: str
    arn: str
    path: str = "/"


def list_aws_managed(iam: IAMClient) -> list[PolicyRef]:
    """All AWS-managed policies (about 1,400 on real AWS: two pages of 1,000)."""
    out: list[PolicyRef] = []
    for page in iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 1000}):
        out.extend(PolicyRef(p["PolicyName"], p["Arn"], p.get("Path", "/")) for p in page["Policies"])
    return out


# AWS's managed policies for job functions that do not live at the root path.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
JOB_FUNCTION_NAMES = frozenset(
    {"Billing", "DatabaseAdministrator", "DataScientist", "NetworkAdministrator", "SupportUser",
     "SystemAdministrator", "ViewOnlyAccess"}
)  # fmt: skip


def lookup(iam: IAMClient, names: list[str]) -> list[PolicyRef] | None:
    """Each exact name (or ARN) read with one `GetPolicy`, or None when one is not found that way.

    A name is tried at the one path AWS keeps it under, so the usual names cost one small call each
    instead of two pages of the whole catalogue; anything else (a typo, a partial name) falls back to
    the catalogue and its console-style search.
    """
    from botocore.exceptions import ClientError

    found: list[PolicyRef] = []
    for name in names:
        path = "/job-function/" if name in JOB_FUNCTION_NAMES else "/"
        arn = name if name.startswith("arn:") else f"arn:aws:iam::aws:policy{path}{name}"
        try:
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchEntity", "InvalidInput", "ValidationError"):
                return None  # not an exact name: the catalogue's search will say what matches
            raise
        ref = PolicyRef(policy["PolicyName"], policy["Arn"], policy.get("Path", "/"))
        if ref not in found:
            found.append(ref)
    return found


def search(catalogue: list[PolicyRef], text: str) -> list[PolicyRef]:
    """Console-style filter: case-insensitive substring of the name, exact matches first."""
    needle = text.strip().lower()
    hits = [p for p in catalogue if needle in p.name.lower()]
    return sorted(hits, key=lambda p: (p.name.lower() != needle, len(p.name), p.name))


def resolve(catalogue: list[PolicyRef], names: list[str]) -> list[PolicyRef]:
    """Each name to exactly one policy, or an `InputError` naming the parameter and the fix."""
    resolved: list[PolicyRef] = []
    for name in names:
        if name.startswith("arn:"):
            match = [p for p in catalogue if p.arn == name]
        else:
            match = [p for p in catalogue if p.name == name]
            if not match:
                match = search(catalogue, name)
        if not match:
            raise InputError(
                f"No AWS-managed policy is named {name!r}.",
                parameter="policies",
                fix="Check the spelling (names are like AdministratorAccess, Billing), or give its ARN.",
            )
        if len(match) > 1:
            shown = ", ".join(p.name for p in match[:6]) + (", ..." if len(match) > 6 else "")
            raise InputError(
                f"{name!r} matches {len(match)} policies: {shown}.",
                parameter="policies",
                fix="Give the exact policy name or its ARN.",
            )
        if match[0] not in resolved:
            resolved.append(match[0])
    return resolved
