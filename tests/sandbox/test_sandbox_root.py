"""The sandbox's caller is its account's root user, and IAM reports root's state consistently.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID, SANDBOX_ROOT_ACCESS_KEY_ID
from tests.support.sandbox import Target

NOT_A_USER = "Must specify userName when calling with non-User credentials"


def test_caller_with_a_key_no_iam_user_owns_is_the_root_user(aws: Target) -> None:
    identity = aws.sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"
    assert identity["UserId"] == SANDBOX_ACCOUNT_ID
    assert identity["Account"] == SANDBOX_ACCOUNT_ID

    other_key = aws.sts_as("AKIAANYOTHERKEY00001", "whatever").get_caller_identity()
    assert other_key["Arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"


def test_caller_with_an_iam_users_key_is_that_user(aws: Target) -> None:
    user = aws.iam.create_user(UserName="alice")["User"]
    key = aws.iam.create_access_key(UserName="alice")["AccessKey"]

    identity = aws.sts_as(key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()

    assert identity["Arn"] == user["Arn"]
    assert identity["UserId"] == user["UserId"]


def _root_row(aws: Target) -> dict[str, str]:
    aws.iam.generate_credential_report()
    content = aws.iam.get_credential_report()["Content"].decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows[0]["user"] == "<root_account>"
    return rows[0]


def test_root_starts_with_mfa_and_without_access_keys_in_summary_and_report(aws: Target) -> None:
    summary = aws.iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (1, 0)

    row = _root_row(aws)
    assert row["arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"
    assert (row["mfa_active"], row["access_key_1_active"]) == ("true", "false")


@pytest.mark.parametrize(("mfa", "access_keys"), [(False, True), (True, True), (False, False)])
def test_summary_and_credential_report_agree_on_root_state(aws: Target, mfa: bool, access_keys: bool) -> None:
    aws.set_root_state(mfa=mfa, access_keys=access_keys)

    summary = aws.iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (int(mfa), int(access_keys))

    row = _root_row(aws)
    assert (row["mfa_active"], row["access_key_1_active"]) == (str(mfa).lower(), str(access_keys).lower())


def test_setting_one_root_field_leaves_the_other(aws: Target) -> None:
    aws.set_root_state(access_keys=True)
    aws.set_root_state(mfa=False)
    summary = aws.iam.get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 1)


def test_credential_report_lists_users_after_root(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    aws.iam.generate_credential_report()
    content = aws.iam.get_credential_report()["Content"].decode()
    assert [row["user"] for row in csv.DictReader(io.StringIO(content))] == ["<root_account>", "alice"]


def test_get_user_without_a_name_answers_for_root_itself(aws: Target) -> None:
    """IAM answers for the caller; root's id is the account's and it has no user name."""
    user = aws.iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"
    assert user["UserId"] == SANDBOX_ACCOUNT_ID
    assert "UserName" not in user and user["CreateDate"]


@pytest.mark.parametrize(("mfa", "access_keys"), [(True, False), (False, True)])
def test_root_reads_without_a_name_list_roots_own_credentials(aws: Target, mfa: bool, access_keys: bool) -> None:
    aws.set_root_state(mfa=mfa, access_keys=access_keys)
    aws.iam.create_user(UserName="alice")  # an IAM user's credentials are never root's
    aws.iam.create_access_key(UserName="alice")

    devices = aws.iam.list_mfa_devices()["MFADevices"]
    assert [d["SerialNumber"].split(":")[-1] for d in devices] == (["u2f/root/SandboxRootKey"] if mfa else [])
    keys = aws.iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == ([SANDBOX_ROOT_ACCESS_KEY_ID] if access_keys else [])
    assert aws.iam.list_signing_certificates()["Certificates"] == []
    assert aws.iam.list_ssh_public_keys()["SSHPublicKeys"] == []
    assert aws.iam.list_service_specific_credentials()["ServiceSpecificCredentials"] == []


def test_reads_without_a_name_by_an_iam_user_answer_for_that_user(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    key = aws.iam.create_access_key(UserName="alice")["AccessKey"]
    iam = aws.iam_as(key["AccessKeyId"], key["SecretAccessKey"])
    assert iam.get_user()["User"]["UserName"] == "alice"
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert iam.list_mfa_devices()["MFADevices"] == []


def test_a_role_session_must_name_the_user(aws: Target) -> None:
    """Recorded on AWS (DeleteAccessKey without UserName, 2026-02-24)."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"}}]}  # fmt: skip
    role = aws.iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    session = aws.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="audit")["Credentials"]
    iam = aws.iam_as(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    for call in (iam.get_user, iam.list_access_keys, iam.list_mfa_devices):
        with aws.fails("ValidationError", 400) as caught:
            call()
        assert (
            caught.value.response["Error"]["Message"] == "Must specify userName when calling with non-User credentials"
        )
