"""Section 8's report: what was done, what is still to do, where to sign in, and what stays manual, with why."""

from __future__ import annotations

from pathlib import Path

from .apply import Applied
from .identity import Preflight
from .plan import APPLIED_HEADER
from .report import MARK, Report
from .stores import Placed

BILLING_ACCESS = (
    "Manual: turn on IAM user access to billing (Account settings > IAM user and role access "
    "to Billing information > Activate). It has no API, and Billing policies do nothing until it is on."
)


def summary_report(
    applied: Applied, pre: Preflight, user_name: str, placed: list[Placed], plain: list[Path]
) -> tuple[Report, str]:
    """The summary and its one-line status (for the step line).

    `placed` is where each secret of this run went (`Placed.describe` says when an entry was added
    beside an existing one), or where the store holds each one now when other processes put them (the
    terminal's notebook runs); `plain` is every file that still holds a secret of this user in plain text
    (this run's and earlier runs', the QR images too, which encode the seed): the clean-up advice names
    each of them. A password manager's entries need no such advice.
    """
    rows = [s.applied_row() for s in applied.done]
    if not applied.done:
        rows.append((MARK["ok"], "-", "-", "nothing to do: the account already matched"))
    pending = applied.pending()
    rows += [s.applied_row(MARK["todo"], " (not done yet)") for s in pending]
    manual = [BILLING_ACCESS]
    root_keys = pre.static_root_keys or pre.root_access_keys
    if root_keys:
        manual.append(
            "Manual: delete the root user's access keys (root's Security credentials page), "
            "after signing in as the new admin."
        )
    if plain:
        files = ", ".join(str(p) for p in plain)
        manual.append(f"Move the secrets to a password manager, then delete every file that holds one: {files}.")
    where = [f"Secret: {p.describe()}." for p in placed]
    notes = [f"Sign in at {pre.signin_url} as {user_name}.", *where, *manual]
    status = "done" if not pending else f"{len(pending)} step(s) still to do"
    if root_keys:
        status += "; manual: delete the root user's access keys (root's Security credentials page)"
    return Report("Summary", rows, APPLIED_HEADER, notes), status
