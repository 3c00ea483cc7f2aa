"""The credential report as IAM writes and keeps it.

IAM builds the report when asked and then keeps it: a report generated within the last
four hours is what ``GenerateCredentialReport`` (``COMPLETE``) and ``GetCredentialReport``
answer with, so tools that read it after a change can see the state before the change:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html

The columns follow that page and a report recorded on real AWS (LocalStack's
``test_iam_credential_report.snapshot.json``, 2026-02-17): ``N/A`` where a credential is
absent, ``no_information`` for a password never used. The root user's row says
``password_enabled`` ``true`` (a standalone account's root user has a password; only a
root user without one, as AWS Organizations' root-credential management leaves member
accounts, says ``false``), and ``not_supported`` for its password's change and rotation
dates. Prowler reads ``password_enabled`` on that row to decide whether root has
credentials at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from moto.core.utils import utcnow
from moto.iam.models import IAMBackend, User

from runbook_lib.sandbox.exceptions import ReportNotPresent

if TYPE_CHECKING:
    from runbook_lib.sandbox.root import RootState

REUSE_FOR = timedelta(hours=4)
"""How long IAM answers with the report it already has instead of building a new one."""

STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"
"""IAM's ``Description`` when ``GenerateCredentialReport`` starts the account's first report."""

COLUMNS = (
    "user", "arn", "user_creation_time",
    "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
    "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)  # fmt: skip

NOT_APPLICABLE = "N/A"


def timestamp(moment: datetime) -> str:
    """A report date, as IAM writes them (``2026-02-17T16:40:14+00:00``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


_PASSWORD_CHANGED = "sandbox_password_changed"


def mark_password_changed(user: User) -> None:
    """Note when ``user``'s console password was set (moto's ``User`` keeps no such date)."""
    vars(user)[_PASSWORD_CHANGED] = utcnow()


def password_changed(user: User) -> datetime:
    """When ``user``'s console password was last set (its creation date if the sandbox never saw it)."""
    changed: datetime = vars(user).get(_PASSWORD_CHANGED) or user.create_date
    return changed


def _flag(value: bool) -> str:
    return "true" if value else "false"


class _Key(Protocol):
    status: str
    create_date: datetime
    last_used: Any


def _access_key_columns(key: _Key | None) -> list[str]:
    """The five columns of one access-key slot."""
    if key is None:
        return ["false", NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE]
    used = key.last_used
    if used is None:
        return [_flag(key.status == "Active"), timestamp(key.create_date), *[NOT_APPLICABLE] * 3]
    when = used if isinstance(used, datetime) else used.timestamp
    return [
        _flag(key.status == "Active"),
        timestamp(key.create_date),
        timestamp(when),
        getattr(used, "region", NOT_APPLICABLE) or NOT_APPLICABLE,
        getattr(used, "service", NOT_APPLICABLE) or NOT_APPLICABLE,
    ]


def _slots(items: Sequence[Any]) -> list[Any | None]:
    """The first two of ``items``, padded with ``None``: the report has two slots of each kind."""
    return [*items[:2], *[None] * (2 - len(items[:2]))]


def user_row(user: User, max_password_age: int | None) -> list[str]:
    """One IAM user's row."""
    has_password = user.password is not None
    changed = password_changed(user)
    if has_password:
        last_used = timestamp(user.password_last_used) if user.password_last_used else "no_information"
        last_changed = timestamp(changed)
        rotation = timestamp(changed + timedelta(days=max_password_age)) if max_password_age else NOT_APPLICABLE
    else:
        last_used = last_changed = rotation = NOT_APPLICABLE
    key_columns = [column for key in _slots(user.access_keys) for column in _access_key_columns(key)]
    certificates = list(user.signing_certificates.values())
    cert_columns = [
        column
        for cert in _slots(certificates)
        for column in (
            [_flag(cert.status == "Active"), timestamp(cert.upload_date)] if cert else ["false", NOT_APPLICABLE]
        )
    ]
    return [
        user.name,
        user.arn,
        timestamp(user.create_date),
        _flag(has_password),
        last_used,
        last_changed,
        rotation,
        _flag(bool(user.mfa_devices)),
        *key_columns,
        *cert_columns,
    ]


def root_row(root: RootState, arn: str) -> list[str]:
    """The ``<root_account>`` row, which IAM puts first."""
    created = timestamp(root.created)
    key = [_flag(True), created, *[NOT_APPLICABLE] * 3] if root.access_keys else _access_key_columns(None)
    return [
        "<root_account>", arn, created,
        "true", "no_information", "not_supported", "not_supported",
        _flag(root.mfa),
        *key, *_access_key_columns(None),
        "false", NOT_APPLICABLE, "false", NOT_APPLICABLE,
    ]  # fmt: skip


def render(rows: Iterable[list[str]]) -> str:
    """The CSV IAM returns: a header line, then one line per row."""
    return "".join(",".join(row) + "\n" for row in [list(COLUMNS), *rows])


@dataclass(frozen=True)
class StoredReport:
    """A report as generated, kept for :data:`REUSE_FOR`."""

    content: str
    generated: datetime

    def fresh(self, now: datetime) -> bool:
        return now - self.generated < REUSE_FOR


class CredentialReports(IAMBackend):
    """Builds the report on request and keeps it, as IAM does (a mixin of the sandbox backend)."""

    root: RootState
    stored_report: StoredReport | None = None

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def build_credential_report(self) -> str:
        """The report of the account as it is now."""
        policy = self.account_password_policy
        max_age = policy.max_password_age if policy is not None else None
        users = [user_row(user, max_age) for user in self.users.values()]
        return render([root_row(self.root, self.root_arn), *users])

    def generate_credential_report(self) -> tuple[str, str | None]:
        """``(State, Description)``: ``COMPLETE`` while the kept report is fresh, else a new one.

        The sandbox builds a report at once; IAM answers ``STARTED`` and later ``COMPLETE``.
        """
        now = utcnow()
        kept = self.stored_report
        if kept is not None and kept.fresh(now):
            return "COMPLETE", None
        self.stored_report = StoredReport(self.build_credential_report(), now)
        return "STARTED", STARTED_DESCRIPTION if kept is None else None

    def get_stored_credential_report(self) -> StoredReport:
        """The kept report; ``ReportNotPresent`` (410, no message) before the first generation."""
        if self.stored_report is None:
            raise ReportNotPresent()
        return self.stored_report
