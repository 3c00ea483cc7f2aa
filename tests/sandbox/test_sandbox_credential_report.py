"""The credential report as IAM writes and keeps it.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
A report recorded on real AWS: LocalStack's tests/aws/services/iam/test_iam_credential_report.snapshot.json
(2026-02-17), see tests/conformance/recorded.json.
"""

from __future__ import annotations

import csv
import datetime
import io

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from runbook_lib.sandbox.iam import account_backend
from runbook_lib.sandbox.report import COLUMNS, REUSE_FOR, StoredReport
from tests.support.sandbox import Target

STRONG = "Corr3ct-Horse-Battery"


def _rows(aws: Target) -> dict[str, dict[str, str]]:
    content = aws.iam.get_credential_report()["Content"].decode()
    reader = csv.DictReader(io.StringIO(content))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return {row["user"]: row for row in reader}


def _age_the_report(by: datetime.timedelta) -> None:
    """Pretend the kept report was generated ``by`` earlier (the served sandbox shares this process)."""
    backend = account_backend(SANDBOX_ACCOUNT_ID)
    kept = backend.stored_report
    assert kept is not None
    backend.stored_report = StoredReport(kept.content, kept.generated - by)


def test_report_before_any_generation_is_ReportNotPresent_410_without_a_message(aws: Target) -> None:
    with aws.fails("ReportNotPresent", 410) as caught:
        aws.iam.get_credential_report()
    assert "Message" not in caught.value.response["Error"]


def test_first_generation_starts_then_completes_and_the_report_carries_its_real_time(aws: Target) -> None:
    first = aws.iam.generate_credential_report()
    assert (first["State"], first["Description"]) == (
        "STARTED",
        "No report exists. Starting a new report generation task",
    )
    second = aws.iam.generate_credential_report()
    assert second["State"] == "COMPLETE" and "Description" not in second

    generated = aws.iam.get_credential_report()["GeneratedTime"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs(now - generated) < datetime.timedelta(minutes=1)


def test_a_report_under_four_hours_old_is_reused_so_later_changes_do_not_show(aws: Target) -> None:
    aws.iam.generate_credential_report()
    before = aws.iam.get_credential_report()

    aws.iam.create_user(UserName="alice")
    aws.set_root_state(mfa=False)
    _age_the_report(REUSE_FOR - datetime.timedelta(minutes=1))

    assert aws.iam.generate_credential_report()["State"] == "COMPLETE"
    after = aws.iam.get_credential_report()
    assert after["Content"] == before["Content"]
    assert after["GeneratedTime"] < before["GeneratedTime"]  # aged above, never regenerated
    rows = _rows(aws)
    assert "alice" not in rows and rows["<root_account>"]["mfa_active"] == "true"


def test_a_report_four_hours_old_is_generated_afresh(aws: Target) -> None:
    aws.iam.generate_credential_report()
    aws.iam.create_user(UserName="alice")
    aws.set_root_state(mfa=False)
    _age_the_report(REUSE_FOR)

    again = aws.iam.generate_credential_report()
    assert again["State"] == "STARTED" and "Description" not in again
    rows = _rows(aws)
    assert "alice" in rows and rows["<root_account>"]["mfa_active"] == "false"


def test_root_row_says_root_has_a_password_as_prowler_reads_it(aws: Target) -> None:
    """Prowler reports the root checks only for a root row whose password_enabled is "true"."""
    aws.set_root_state(access_keys=True, mfa=False)
    aws.iam.generate_credential_report()
    root = _rows(aws)["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"
    assert (root["password_enabled"], root["password_last_used"]) == ("true", "no_information")
    assert (root["password_last_changed"], root["password_next_rotation"]) == ("not_supported", "not_supported")
    assert (root["mfa_active"], root["access_key_1_active"], root["access_key_2_active"]) == ("false", "true", "false")
    assert root["access_key_1_last_used_region"] == root["access_key_1_last_used_service"] == "N/A"
    assert (root["cert_1_active"], root["cert_1_last_rotated"]) == ("false", "N/A")


def test_user_rows_say_N_A_for_absent_credentials_and_date_the_password(aws: Target) -> None:
    aws.iam.update_account_password_policy(MinimumPasswordLength=12, MaxPasswordAge=90)
    aws.iam.create_user(UserName="nopassword")
    aws.iam.create_user(UserName="withpassword")
    aws.iam.create_login_profile(UserName="withpassword", Password=STRONG)
    aws.iam.create_access_key(UserName="withpassword")
    aws.iam.generate_credential_report()
    rows = _rows(aws)

    bare = rows["nopassword"]
    assert [bare[c] for c in COLUMNS[3:8]] == ["false", "N/A", "N/A", "N/A", "false"]
    assert [bare[c] for c in COLUMNS[8:]] == ["false", "N/A", "N/A", "N/A", "N/A"] * 2 + ["false", "N/A"] * 2

    used = rows["withpassword"]
    assert (used["password_enabled"], used["password_last_used"]) == ("true", "no_information")
    changed = datetime.datetime.fromisoformat(used["password_last_changed"])
    assert abs(datetime.datetime.now(datetime.timezone.utc) - changed) < datetime.timedelta(minutes=1)
    assert datetime.datetime.fromisoformat(used["password_next_rotation"]) == changed + datetime.timedelta(days=90)
    assert (used["access_key_1_active"], used["access_key_1_last_used_date"]) == ("true", "N/A")
    assert used["access_key_1_last_used_region"] == used["access_key_1_last_used_service"] == "N/A"
