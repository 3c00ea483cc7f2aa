"""Users: IAM's name rules, and why it refuses to delete a user.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.sandbox import Target, current_codes

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk0bH0w1VYy3Ck0bAT6SFKmHY4TVMQKXjf9gH0h0jQF alice@example"
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})

Undo = Callable[[], Any]


def _certificate_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _login_profile(aws: Target, user: str) -> Undo:
    aws.iam.create_login_profile(UserName=user, Password="Corr3ct-Horse-Battery")
    return lambda: aws.iam.delete_login_profile(UserName=user)


def _mfa_device(aws: Target, user: str) -> Undo:
    serial, seed = aws.new_device()
    aws.enable_mfa(user, serial, current_codes(seed))
    return lambda: aws.iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)


def _access_key(aws: Target, user: str) -> Undo:
    key_id = aws.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    return lambda: aws.iam.delete_access_key(UserName=user, AccessKeyId=key_id)


def _service_specific_credential(aws: Target, user: str) -> Undo:
    created = aws.iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    credential_id = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    return lambda: aws.iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id)


def _signing_certificate(aws: Target, user: str) -> Undo:
    uploaded = aws.iam.upload_signing_certificate(UserName=user, CertificateBody=_certificate_pem())
    certificate_id = uploaded["Certificate"]["CertificateId"]
    return lambda: aws.iam.delete_signing_certificate(UserName=user, CertificateId=certificate_id)


def _ssh_key(aws: Target, user: str) -> Undo:
    uploaded = aws.iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=SSH_KEY)
    key_id = uploaded["SSHPublicKey"]["SSHPublicKeyId"]
    return lambda: aws.iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)


def _attached_policy(aws: Target, user: str) -> Undo:
    aws.iam.attach_user_policy(UserName=user, PolicyArn=ADMIN)
    return lambda: aws.iam.detach_user_policy(UserName=user, PolicyArn=ADMIN)


def _inline_policy(aws: Target, user: str) -> Undo:
    aws.iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=DOCUMENT)
    return lambda: aws.iam.delete_user_policy(UserName=user, PolicyName="s3")


def _group_membership(aws: Target, user: str) -> Undo:
    aws.iam.create_group(GroupName="admins")
    aws.iam.add_user_to_group(GroupName="admins", UserName=user)
    return lambda: aws.iam.remove_user_from_group(GroupName="admins", UserName=user)


LEFTOVERS: dict[str, Callable[[Target, str], Undo]] = {
    "login profile": _login_profile,
    "MFA device": _mfa_device,
    "access key": _access_key,
    "service-specific credential": _service_specific_credential,
    "signing certificate": _signing_certificate,
    "SSH public key": _ssh_key,
    "attached managed policy": _attached_policy,
    "inline policy": _inline_policy,
    "group membership": _group_membership,
}


@pytest.mark.parametrize("leftover", list(LEFTOVERS))
def test_delete_user_while_anything_remains_is_DeleteConflict_409(aws: Target, leftover: str) -> None:
    user = aws.new_user()
    undo = LEFTOVERS[leftover](aws, user)

    with aws.fails("DeleteConflict", 409):
        aws.iam.delete_user(UserName=user)

    undo()
    aws.iam.delete_user(UserName=user)
    with aws.fails("NoSuchEntity", 404):
        aws.iam.get_user(UserName=user)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("alice smith", id="space"),
        pytest.param("alice/smith", id="slash"),
        pytest.param("alice;", id="semicolon"),
        pytest.param("alicé", id="non-ASCII letter"),
        pytest.param("a" * 65, id="65 characters"),
    ],
)
def test_create_user_with_a_name_outside_the_pattern_or_length_is_ValidationError_400(aws: Target, name: str) -> None:
    """``userNameType``: ``[\\w+=,.@-]+``, 1 to 64 characters."""
    with aws.fails("ValidationError", 400):
        aws.iam.create_user(UserName=name)
    assert aws.iam.list_users()["Users"] == []


@pytest.mark.parametrize("name", ["a+b=c,d.e@f-g_h", "a" * 64, "0"])
def test_create_user_accepts_every_character_and_length_the_pattern_allows(aws: Target, name: str) -> None:
    assert aws.iam.create_user(UserName=name)["User"]["UserName"] == name


ACTIONS_WITH_A_USER_NAME: dict[str, Callable[[Target, str], Any]] = {
    "GetUser": lambda aws, name: aws.iam.get_user(UserName=name),
    "DeleteUser": lambda aws, name: aws.iam.delete_user(UserName=name),
    "CreateLoginProfile": lambda aws, name: aws.iam.create_login_profile(UserName=name, Password="Corr3ct-Horse"),
    "CreateAccessKey": lambda aws, name: aws.iam.create_access_key(UserName=name),
    "AttachUserPolicy": lambda aws, name: aws.iam.attach_user_policy(UserName=name, PolicyArn=ADMIN),
    "CreateServiceSpecificCredential": lambda aws, name: aws.iam.create_service_specific_credential(
        UserName=name, ServiceName="codecommit.amazonaws.com"
    ),
    "UpdateUser (NewUserName)": lambda aws, name: aws.iam.update_user(UserName=aws.new_user("alice"), NewUserName=name),
}


@pytest.mark.parametrize("action", list(ACTIONS_WITH_A_USER_NAME))
def test_every_action_taking_a_user_name_checks_its_pattern_ValidationError_400(aws: Target, action: str) -> None:
    with aws.fails("ValidationError", 400) as caught:
        ACTIONS_WITH_A_USER_NAME[action](aws, "bad name!")
    assert "regular expression pattern" in caught.value.response["Error"]["Message"]


def test_existing_user_names_may_be_up_to_128_characters_as_in_the_model(aws: Target) -> None:
    """``existingUserNameType`` allows 128, so a long unknown name is NoSuchEntity, not invalid."""
    with aws.fails("NoSuchEntity", 404):
        aws.iam.get_user(UserName="a" * 128)
    with aws.fails("ValidationError", 400):
        aws.iam.get_user(UserName="a" * 129)


def test_create_user_with_a_name_in_use_is_EntityAlreadyExists_409(aws: Target) -> None:
    aws.new_user("alice")
    with aws.fails("EntityAlreadyExists", 409):
        aws.iam.create_user(UserName="alice")


def test_removing_a_user_who_is_not_in_the_group_succeeds(aws: Target) -> None:
    """Recorded on AWS (2026-02-11); teardown may remove a membership twice."""
    aws.iam.create_user(UserName="alice")
    aws.iam.create_group(GroupName="admins")
    aws.iam.add_user_to_group(GroupName="admins", UserName="alice")
    aws.iam.remove_user_from_group(GroupName="admins", UserName="alice")
    aws.iam.remove_user_from_group(GroupName="admins", UserName="alice")
    with aws.fails("NoSuchEntity", 404) as caught:
        aws.iam.remove_user_from_group(GroupName="admins", UserName="nobody")
    assert caught.value.response["Error"]["Message"] == "The user with name nobody cannot be found."


def test_an_unknown_ssh_key_is_worded_as_iam_words_it(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    with aws.fails("NoSuchEntity", 404) as caught:
        aws.iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId="APKAXXXXXXXXXXXXXXXXX")
    assert caught.value.response["Error"]["Message"] == "The Public Key with id APKAXXXXXXXXXXXXXXXXX cannot be found."


def test_list_answers_carry_is_truncated_as_aws_does(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    aws.iam.create_group(GroupName="admins")
    assert aws.iam.list_access_keys(UserName="alice")["IsTruncated"] is False
    assert aws.iam.list_ssh_public_keys(UserName="alice")["IsTruncated"] is False
    assert aws.iam.get_group(GroupName="admins")["IsTruncated"] is False
    assert aws.iam.list_account_aliases()["IsTruncated"] is False
