"""IAM names are unique, and found, without regard to case.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html ("names must be
unique within the account. They are not distinguished by case"): users, groups, roles and
customer managed policies. Virtual MFA devices are unique by path and name, as recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.sandbox import Target

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)

CREATE: dict[str, Callable[[Target, str], Any]] = {
    "user": lambda aws, name: aws.iam.create_user(UserName=name),
    "group": lambda aws, name: aws.iam.create_group(GroupName=name),
    "role": lambda aws, name: aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST),
    "policy": lambda aws, name: aws.iam.create_policy(PolicyName=name, PolicyDocument=DOCUMENT),
}
MESSAGE = {
    "user": "User with name {} already exists.",
    "group": "Group with name {} already exists.",
    "role": "Role with name {} already exists.",
    "policy": "A policy called {} already exists. Duplicate names are not allowed.",
}


@pytest.mark.parametrize("kind", sorted(CREATE))
@pytest.mark.parametrize(("first", "second"), [("alice", "Alice"), ("Admins", "ADMINS"), ("x.y", "x.y")])
def test_a_name_differing_only_in_case_is_EntityAlreadyExists_409(
    aws: Target, kind: str, first: str, second: str
) -> None:
    CREATE[kind](aws, first)
    with aws.fails("EntityAlreadyExists", 409) as caught:
        CREATE[kind](aws, second)
    assert caught.value.response["Error"]["Message"] == MESSAGE[kind].format(second)


def test_a_policy_name_is_taken_whatever_its_path(aws: Target) -> None:
    aws.iam.create_policy(PolicyName="Deploy", PolicyDocument=DOCUMENT, Path="/team/")
    with aws.fails("EntityAlreadyExists", 409):
        aws.iam.create_policy(PolicyName="deploy", PolicyDocument=DOCUMENT)


def test_renaming_a_user_onto_another_name_in_other_case_is_EntityAlreadyExists(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    aws.iam.create_user(UserName="bob")
    with aws.fails("EntityAlreadyExists", 409):
        aws.iam.update_user(UserName="bob", NewUserName="ALICE")


def test_users_and_groups_are_found_without_regard_to_case_under_their_stored_name(aws: Target) -> None:
    aws.iam.create_user(UserName="Alice")
    aws.iam.create_group(GroupName="Admins")

    assert aws.iam.get_user(UserName="alice")["User"]["UserName"] == "Alice"
    aws.iam.add_user_to_group(GroupName="ADMINS", UserName="ALICE")
    assert [g["GroupName"] for g in aws.iam.list_groups_for_user(UserName="alice")["Groups"]] == ["Admins"]
    aws.iam.remove_user_from_group(GroupName="admins", UserName="alice")
    aws.iam.delete_user(UserName="ALICE")
    assert aws.iam.list_users()["Users"] == []


def test_virtual_mfa_device_at_the_same_path_and_name_is_MFA_device_already_exists(aws: Target) -> None:
    aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")
    with aws.fails("EntityAlreadyExists", 409) as caught:
        aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/")
    assert caught.value.response["Error"]["Message"] == "MFA device already exists."
    aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/other/")
