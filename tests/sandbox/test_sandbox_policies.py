"""AWS managed policies are in every account, as on AWS, without moto's opt-in variable.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from runbook_lib.sandbox.iam import account_backend
from tests.support.sandbox import Target

POLICIES = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/job-function/Billing",
    "arn:aws:iam::aws:policy/AWSCodeCommitPowerUser",
    "arn:aws:iam::aws:policy/IAMUserChangePassword",
]
DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.mark.parametrize("arn", POLICIES)
def test_aws_managed_policy_exists_and_attaches(aws: Target, arn: str) -> None:
    assert aws.iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
    aws.iam.create_user(UserName="alice")
    aws.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    attached = aws.iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]


def test_list_policies_with_scope_aws_lists_aws_managed_policies_only(aws: Target) -> None:
    aws.iam.create_policy(PolicyName="mine", PolicyDocument=DOCUMENT)
    arns = [
        policy["Arn"]
        for page in aws.iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 1000})
        for policy in page["Policies"]
    ]
    assert set(POLICIES) <= set(arns)
    assert all(arn.startswith("arn:aws:iam::aws:policy/") for arn in arns)
    assert len(arns) > 1000


def test_calls_that_need_no_managed_policy_do_not_load_them(aws: Target) -> None:
    """Loading ~1,500 policies is slow, so identity and summary calls leave them unloaded."""
    aws.sts.get_caller_identity()
    aws.iam.get_account_summary()
    aws.iam.create_user(UserName="alice")
    assert account_backend(SANDBOX_ACCOUNT_ID).policies_loaded_so_far() == []

    aws.iam.get_policy(PolicyArn=POLICIES[0])
    assert len(account_backend(SANDBOX_ACCOUNT_ID).policies_loaded_so_far()) > 1000


ELEVEN = [f"arn:aws:iam::aws:policy/{name}" for name in (
    "AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "AmazonS3FullAccess", "AmazonEC2FullAccess",
    "AWSCodeCommitPowerUser", "IAMUserChangePassword", "AmazonSQSFullAccess", "AmazonSNSFullAccess",
    "AWSLambda_FullAccess", "CloudWatchFullAccess",
)]  # fmt: skip


def _attach_user(aws: Target, arn: str) -> None:
    aws.iam.attach_user_policy(UserName="alice", PolicyArn=arn)


def _attach_group(aws: Target, arn: str) -> None:
    aws.iam.attach_group_policy(GroupName="admins", PolicyArn=arn)


def _attach_role(aws: Target, arn: str) -> None:
    aws.iam.attach_role_policy(RoleName="deployer", PolicyArn=arn)


@pytest.mark.parametrize(("attach", "kind"), [(_attach_user, "User"), (_attach_group, "Group"), (_attach_role, "Role")])
def test_the_eleventh_managed_policy_is_LimitExceeded_409(aws: Target, attach: Any, kind: str) -> None:
    """IAM's default quota: 10 managed policies per user, group or role."""
    aws.iam.create_user(UserName="alice")
    aws.iam.create_group(GroupName="admins")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    aws.iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust))
    for arn in ELEVEN[:10]:
        attach(aws, arn)
    attach(aws, ELEVEN[0])  # attaching an attached policy again changes nothing
    with aws.fails("LimitExceeded", 409) as caught:
        attach(aws, ELEVEN[10])
    assert caught.value.response["Error"]["Message"] == f"Cannot exceed quota for PoliciesPer{kind}: 10"


def test_attaching_twice_counts_one_attachment(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    aws.iam.attach_user_policy(UserName="alice", PolicyArn=POLICIES[0])
    aws.iam.attach_user_policy(UserName="alice", PolicyArn=POLICIES[0])
    assert aws.iam.get_policy(PolicyArn=POLICIES[0])["Policy"]["AttachmentCount"] == 1


@pytest.mark.parametrize("arn", ["longpolicynamebutnoarn", "AdministratorAccess-not-an-arn"])
def test_a_policy_arn_that_does_not_parse_is_ValidationError_400(aws: Target, arn: str) -> None:
    """Recorded on AWS 2026-02-24 (in 2025 the message was "Invalid ARN:  Could not be parsed!")."""
    aws.iam.create_user(UserName="alice")
    for call in (
        lambda: aws.iam.attach_user_policy(UserName="alice", PolicyArn=arn),
        lambda: aws.iam.detach_user_policy(UserName="alice", PolicyArn=arn),
        lambda: aws.iam.get_policy(PolicyArn=arn),
    ):
        with aws.fails("ValidationError", 400) as caught:
            call()
        assert caught.value.response["Error"]["Message"] == f"ARN {arn} is not valid."


def test_a_policy_arn_that_parses_but_names_nothing_is_NoSuchEntity_404(aws: Target) -> None:
    aws.iam.create_user(UserName="alice")
    arn = "arn:aws:iam::123456789012:policy/nonexistent"
    with aws.fails("NoSuchEntity", 404) as caught:
        aws.iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    assert caught.value.response["Error"]["Message"] == f"Policy {arn} does not exist or is not attachable."
