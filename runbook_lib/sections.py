"""The sections of both notebooks, once: key, number, title, the method a cell calls, and its IAM calls.

Every front end reads this table: the notebook's cells call `method`, the panels take their titles
and tracker labels from it, the step lines (`progress`) name `number` and `title`, and a failed cell
is mapped back to its section by the tag its cell carries (`section_of_cell`), never by its heading
or its source. The notebooks' prose names `calls` in an "IAM calls:" line, which a test holds
against this table.

Progress goes through the `runbook_lib.steps` logger; each front end decides how to show it (the
notebook prints "▶ step N Title: status" lines, which `runbook run` streams; the panels and the
terminal show reports instead).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

SectionKey = Literal["preflight", "user", "console", "permissions", "review", "create", "mfa", "codecommit",
                     "summary", "verify", "remove"]  # fmt: skip
"""Every section key of both notebooks (the teardown's are preflight, user, review, remove, verify)."""

CELL_TAG_PREFIX = "section:"
"""A section's code cell carries the tag `section:<key>` in its metadata (papermill keeps it)."""

STEPS = logging.getLogger("runbook_lib.steps")
"""One record per step (and per planned removal); the notebook front end prints them as step lines."""


@dataclass(frozen=True)
class Section:
    """One section of a notebook: what a reader sees, what a cell calls, and which IAM calls it may make."""

    key: SectionKey
    number: int
    title: str
    label: str  # the short name in the panels' step tracker
    method: str  # the method of the run object that the section's cell calls
    calls: tuple[str, ...]  # the AWS API calls the section may make, reads and writes

    @property
    def heading(self) -> str:
        """'6 MFA': how the step lines and the panels name the section."""
        return f"{self.number} {self.title}"

    @property
    def tag(self) -> str:
        return f"{CELL_TAG_PREFIX}{self.key}"

    def calls_line(self) -> str:
        """The sentence the notebook's prose carries for this section (checked by a test)."""
        return "IAM calls: " + (", ".join(f"`{c}`" for c in self.calls) if self.calls else "none")


_USER_READS = ("GetUser", "GetLoginProfile", "ListAttachedUserPolicies", "ListGroupsForUser", "ListAccessKeys",
               "ListMFADevices", "ListServiceSpecificCredentials", "GetGroup", "ListAttachedGroupPolicies",
               "ListGroupPolicies", "ListVirtualMFADevices", "ListMFADeviceTags")  # fmt: skip
_PREFLIGHT = ("GetCallerIdentity", "ListAccountAliases", "GetAccountPasswordPolicy", "GetAccountSummary")
_VERIFY = ("GenerateCredentialReport", "GetCredentialReport", "ListAttachedUserPolicies", "ListUserPolicies",
           "ListMFADevices", "ListGroupsForUser", "ListAttachedGroupPolicies", "GetAccountPasswordPolicy")  # fmt: skip
_HOLDINGS = ("ListVirtualMFADevices", "ListMFADeviceTags", "GetUser", "GetLoginProfile",
             "ListServiceSpecificCredentials", "ListMFADevices", "ListAccessKeys", "ListSigningCertificates",
             "ListSSHPublicKeys", "ListAttachedUserPolicies", "ListUserPolicies", "ListGroupsForUser")  # fmt: skip

CREATE: tuple[Section, ...] = (
    Section("preflight", 0, "Preflight", "Preflight", "preflight", _PREFLIGHT),
    Section("user", 1, "Create the IAM user", "User", "choose_user", _USER_READS),
    Section("console", 2, "Console access", "Console access", "console_access", ()),
    Section("permissions", 3, "Permissions", "Permissions", "permissions", ("GetPolicy", "ListPolicies")),
    Section("review", 4, "Review", "Review", "review", _USER_READS),  # the panel reads IAM again before it plans
    Section("create", 5, "Create", "Create", "create",
            ("UpdateAccountPasswordPolicy", "CreateUser", "CreateLoginProfile", "UpdateLoginProfile",
             "AttachUserPolicy", "CreateGroup", "AttachGroupPolicy", "AddUserToGroup", "DetachUserPolicy",
             "GetUser")),  # GetUser: waiting while a new user propagates
    Section("mfa", 6, "MFA", "MFA", "enable_mfa",
            ("DeleteVirtualMFADevice", "CreateVirtualMFADevice", "EnableMFADevice")),
    Section("codecommit", 7, "CodeCommit", "CodeCommit", "git_credentials",
            ("CreateUser", "AttachUserPolicy", "CreateServiceSpecificCredential", "ResetServiceSpecificCredential",
             "GetUser")),
    Section("summary", 8, "Summary", "Summary", "summary", ()),
    Section("verify", 9, "Verify", "Verify", "verify", _VERIFY),
)  # fmt: skip
"""The create notebook (`notebooks/create_admin_user.ipynb`), in order."""

TEARDOWN: tuple[Section, ...] = (
    Section("preflight", 0, "Preflight", "Preflight", "preflight", _PREFLIGHT),
    Section("user", 1, "The user", "The user", "check_user", _HOLDINGS),
    Section("review", 2, "Review", "Review", "review", ()),
    Section("remove", 3, "Remove", "Remove", "remove",
            ("DeleteServiceSpecificCredential", "DeactivateMFADevice", "DeleteVirtualMFADevice", "DeleteLoginProfile",
             "DeleteAccessKey", "DeleteSigningCertificate", "DeleteSSHPublicKey", "DetachUserPolicy",
             "DeleteUserPolicy", "RemoveUserFromGroup", "DeleteUser")),
    Section("verify", 4, "Verify", "Verify", "verify", _HOLDINGS),
)  # fmt: skip
"""The teardown notebook (`notebooks/delete_admin_user.ipynb`), in order."""

NOTEBOOKS: Mapping[str, tuple[Section, ...]] = {"create_admin_user": CREATE, "delete_admin_user": TEARDOWN}


def section(key: str, table: tuple[Section, ...] = CREATE) -> Section:
    """The section `key` of `table`; a KeyError names the keys there are."""
    for s in table:
        if s.key == key:
            return s
    raise KeyError(f"no section {key!r}; the sections are: {', '.join(s.key for s in table)}")


def progress(key: SectionKey, status: str, table: tuple[Section, ...] = CREATE) -> None:
    """One step line's record: 'step 6 MFA: enabled'."""
    s = section(key, table)
    STEPS.info("step %s: %s", s.heading, status, extra={"section": s.key})


def detail(text: str) -> None:
    """A line under the last step line (the teardown lists each planned removal so)."""
    STEPS.info("  %s", text)


def section_of_cell(cell: Mapping[str, Any], table: tuple[Section, ...] = CREATE) -> Section | None:
    """The section a notebook cell belongs to, by its `section:<key>` tag; None for any other cell."""
    for tag in cell.get("metadata", {}).get("tags", []):
        if isinstance(tag, str) and tag.startswith(CELL_TAG_PREFIX):
            return section(tag[len(CELL_TAG_PREFIX) :], table)
    return None


def failed_section(cells: list[Mapping[str, Any]], index: int, table: tuple[Section, ...] = CREATE) -> str:
    """What a front end names for a failure in cell `index`: '6 MFA', or 'parameters' before any section.

    For `runbook run`: papermill's `PapermillExecutionError.cell_index` into the executed notebook's cells.
    A cell without a tag (none should exist after the parameters) belongs to the section above it.
    """
    for cell in reversed(cells[: index + 1]):
        found = section_of_cell(cell, table)
        if found is not None:
            return found.heading
    return "parameters"
