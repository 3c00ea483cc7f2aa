"""AWS managed policies are in every account, as on AWS, without moto's opt-in variable.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
"""

from __future__ import annotations

import json

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
