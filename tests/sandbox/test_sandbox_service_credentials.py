"""Service-specific credentials, as IAM's API reference describes them.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html
"""

from __future__ import annotations

import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from runbook_lib.sandbox.credentials import password_digest
from runbook_lib.sandbox.iam import account_backend
from tests.support.sandbox import Target

CODECOMMIT = "codecommit.amazonaws.com"
UNKNOWN_ID = "ACCAEXAMPLEEXAMPLE123"


@pytest.mark.parametrize("service", [CODECOMMIT, "cassandra.amazonaws.com", "bedrock.amazonaws.com"])
def test_create_returns_user_name_at_account_password_id_active_and_date(aws: Target, service: str) -> None:
    user = aws.new_user()
    credential = aws.iam.create_service_specific_credential(UserName=user, ServiceName=service)[
        "ServiceSpecificCredential"
    ]
    assert credential["ServiceUserName"] == f"alice-at-{SANDBOX_ACCOUNT_ID}"
    assert len(credential["ServicePassword"]) >= 20
    assert credential["ServiceSpecificCredentialId"].startswith("ACCA")
    assert credential["Status"] == "Active"
    assert credential["CreateDate"]
    assert (credential["UserName"], credential["ServiceName"]) == (user, service)


def test_third_credential_for_one_service_is_LimitExceeded_409(aws: Target) -> None:
    user = aws.new_user()
    for _ in range(2):
        aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    with aws.fails("LimitExceeded", 409):
        aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    # the quota is per service: another service still takes two
    aws.iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")


@pytest.mark.parametrize("service", ["lambda.amazonaws.com", "s3.amazonaws.com", "o3on3n3onosneo"])
def test_service_without_such_credentials_is_NoSuchEntity_404_as_recorded(aws: Target, service: str) -> None:
    """AWS answers NoSuchEntity, not the API reference's NotSupportedService (recorded 2025 and 2026)."""
    user = aws.new_user()
    with aws.fails("NoSuchEntity", 404) as caught:
        aws.iam.create_service_specific_credential(UserName=user, ServiceName=service)
    expected = f"No such service {service} is supported for Service Specific Credentials"
    assert caught.value.response["Error"]["Message"] == expected
    with aws.fails("NoSuchEntity", 404) as caught:
        aws.iam.list_service_specific_credentials(UserName=user, ServiceName=service)
    assert caught.value.response["Error"]["Message"] == expected


def test_unknown_user_is_NoSuchEntity_404(aws: Target) -> None:
    with aws.fails("NoSuchEntity", 404):
        aws.iam.create_service_specific_credential(UserName="nobody", ServiceName=CODECOMMIT)


def test_list_never_returns_a_password_and_filters_by_service(aws: Target) -> None:
    user = aws.new_user()
    codecommit = aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    aws.iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")

    listed = aws.iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert len(listed) == 2
    assert all("ServicePassword" not in credential for credential in listed)

    only = aws.iam.list_service_specific_credentials(UserName=user, ServiceName=CODECOMMIT)
    ids = [c["ServiceSpecificCredentialId"] for c in only["ServiceSpecificCredentials"]]
    assert ids == [codecommit["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]]


def test_reset_returns_a_new_password_and_invalidates_the_old_one(aws: Target) -> None:
    user = aws.new_user()
    created = aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    credential_id = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    old_password = created["ServiceSpecificCredential"]["ServicePassword"]

    reset = aws.iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id)
    new_password = reset["ServiceSpecificCredential"]["ServicePassword"]

    assert new_password != old_password
    stored = account_backend(SANDBOX_ACCOUNT_ID).get_service_specific_credential(credential_id, user)
    assert stored.password_digest == password_digest(new_password) != password_digest(old_password)


def test_the_sandbox_keeps_no_service_password_only_its_digest(aws: Target) -> None:
    user = aws.new_user()
    created = aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    password = created["ServiceSpecificCredential"]["ServicePassword"]
    stored = account_backend(SANDBOX_ACCOUNT_ID).service_credentials
    assert password not in repr(stored) and password not in repr([vars(c) for c in stored.values()])


def test_update_switches_between_active_and_inactive(aws: Target) -> None:
    user = aws.new_user()
    created = aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    credential_id = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]

    def status() -> str:
        listed = aws.iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
        return listed[0]["Status"]

    aws.iam.update_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=credential_id, Status="Inactive"
    )
    assert status() == "Inactive"
    aws.iam.update_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=credential_id, Status="Active"
    )
    assert status() == "Active"


def test_delete_removes_the_credential(aws: Target) -> None:
    user = aws.new_user()
    created = aws.iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    credential_id = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]

    aws.iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id)

    assert aws.iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []


@pytest.mark.parametrize("action", ["reset", "update", "delete"])
def test_unknown_credential_id_is_NoSuchEntity_404(aws: Target, action: str) -> None:
    user = aws.new_user()
    with aws.fails("NoSuchEntity", 404):
        if action == "reset":
            aws.iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=UNKNOWN_ID)
        elif action == "update":
            aws.iam.update_service_specific_credential(
                UserName=user, ServiceSpecificCredentialId=UNKNOWN_ID, Status="Inactive"
            )
        else:
            aws.iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=UNKNOWN_ID)


def test_another_users_credential_id_is_NoSuchEntity_404(aws: Target) -> None:
    """IAM finds a credential only under the user who owns it."""
    owner, other = aws.new_user("owner"), aws.new_user("other")
    created = aws.iam.create_service_specific_credential(UserName=owner, ServiceName=CODECOMMIT)
    credential_id = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    with aws.fails("NoSuchEntity", 404):
        aws.iam.delete_service_specific_credential(UserName=other, ServiceSpecificCredentialId=credential_id)
