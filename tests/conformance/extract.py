"""Build ``recorded.json`` from answers AWS gave, as LocalStack recorded them: a tool, not a test.

Usage, with a checkout of https://github.com/localstack/localstack at the commit named in
``SOURCE`` (its IAM tests live on ``refs/pull/13720/head``)::

    python tests/conformance/extract.py /path/to/localstack            # rewrite recorded.json
    python tests/conformance/extract.py /path/to/localstack --check    # fail if it would change

Each row below says which call the runbook (or its teardown) makes, with what input and
after which setup, and where AWS's answer was recorded; this script copies the answer's
code, status, message and response shape (its keys, and the values that do not depend on
the account) out of the snapshot file. Rows with no recording carry the API reference's
expectation instead, marked as such. ``difference`` notes why the sandbox still answers
otherwise; the replay (``test_recorded.py``) marks those rows ``xfail(strict=True)``.

LocalStack is Apache-2.0; only the answers recorded on AWS are copied, with their source.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TABLE = HERE / "recorded.json"

SOURCE = {
    "repository": "https://github.com/localstack/localstack",
    "license": "Apache-2.0",
    "ref": "refs/pull/13720/head",
    "commit": "708a15e6aa0ecfc5dc8e91c2290d7b0abca73b41",
    "paths": ["tests/aws/services/iam/*.snapshot.json", "tests/aws/services/sts/test_sts.snapshot.json"],
    "what": (
        "LocalStack's snapshot files keep, for tests marked aws.validated, the answers real AWS gave "
        "(identifiers replaced by tokens such as <user-name:1>, account 111111111111). Only those "
        "answers are copied here (code, HTTP status, message, response keys and account-independent "
        "values), each with its file, test, snapshot key and recording date."
    ),
}

SUPERSEDED = [
    {
        "call": "AttachUserPolicy",
        "input": {"PolicyArn": "longpolicynamebutnoarn"},
        "recorded": "06-03-2025, 12:25:06",
        "message": "Invalid ARN:  Could not be parsed!",
        "source": "tests/aws/services/iam/test_iam.snapshot.json @ 8b9a79f05846835cf4dff63ab7eefdde9df83783 (main)",
        "test": "tests/aws/services/iam/test_iam.py::TestIAMIntegrations::test_user_attach_policy",
        "superseded_by": "the same test recorded again on 24-02-2026: ValidationError 400 'ARN longpolicynamebutnoarn "
        "is not valid.' (row AttachUserPolicy/not-an-arn); AWS changed its wording, the newer answer is replayed",
    }
]

COMMON_BIND = {"111111111111": "{account}", "<partition>": "aws"}
"""Tokens every recording uses: the recording account and partition."""

POLICY_DOCUMENT = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)
POLICY_ARN = "arn:aws:iam::{account}:policy/{policy}"
ENABLE: dict[str, Any] = {
    "UserName": "{user}",
    "SerialNumber": "{serial}",
    "AuthenticationCode1": "{code1}",
    "AuthenticationCode2": "{code2}",
}


def step(call: str, service: str = "iam", save: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    """One setup call, and the response values to keep under a name for later ``{name}`` use."""
    out: dict[str, Any] = {"call": call, "input": params}
    if service != "iam":
        out["service"] = service
    if save:
        out["save"] = save
    return out


USER = step("CreateUser", UserName="{user}")
USER2 = step("CreateUser", UserName="{user2}")
GROUP = step("CreateGroup", GroupName="{group}")
POLICY = step("CreatePolicy", PolicyName="{policy}", PolicyDocument=POLICY_DOCUMENT)
DEVICE = step(
    "CreateVirtualMFADevice",
    VirtualMFADeviceName="{device}",
    save={"serial": "VirtualMFADevice.SerialNumber", "seed": "VirtualMFADevice.Base32StringSeed"},
)
CREDENTIAL = step(
    "CreateServiceSpecificCredential",
    UserName="{user}",
    ServiceName="codecommit.amazonaws.com",
    save={"credential": "ServiceSpecificCredential.ServiceSpecificCredentialId"},
)
KEY = step("CreateAccessKey", UserName="{user}", save={"key": "AccessKey.AccessKeyId"})
LOGIN = step("CreateLoginProfile", UserName="{user}", Password="TestPassword123!", PasswordResetRequired=False)
ROLE_SESSION = [
    step("CreateRole", RoleName="{role}", AssumeRolePolicyDocument=TRUST, save={"role_arn": "Role.Arn"}),
    step(
        "AssumeRole",
        service="sts",
        RoleArn="{role_arn}",
        RoleSessionName="conformance",
        save={
            "as_key": "Credentials.AccessKeyId",
            "as_secret": "Credentials.SecretAccessKey",
            "as_token": "Credentials.SessionToken",
        },
    ),
]
AS_SAVED = {"AccessKeyId": "{as_key}", "SecretAccessKey": "{as_secret}", "SessionToken": "{as_token}"}

IAM = "tests/aws/services/iam/"
U, M, G, S = "test_iam_users", "test_iam_mfa", "test_iam_groups", "test_iam"
SSC = "TestIAMServiceSpecificCredentials::"
USER_BIND = {"<user-name:1>": "{user}"}


def rec(file: str, test: str, key: str, **bind: str) -> dict[str, Any]:
    prefix = "tests/aws/services/sts/" if file == "test_sts" else IAM
    return {"file": f"{prefix}{file}.snapshot.json", "test": f"{prefix}{file}.py::{test}", "key": key, "bind": bind}


def row(
    row_id: str, call: str, given: list[dict[str, Any]], params: dict[str, Any], source: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row_id, "service": "iam", "call": call, "given": given, "input": params}
    out["source"] = source
    out.update(extra)
    return out


def reference(
    row_id: str, call: str, given: list[dict[str, Any]], params: dict[str, Any], expect: dict[str, Any], url: str
) -> dict[str, Any]:
    """A call the runbook makes that LocalStack has no AWS recording of: the API reference's expectation."""
    return {
        "id": row_id,
        "service": "sts" if call == "GetCallerIdentity" else "iam",
        "call": call,
        "given": given,
        "input": params,
        "recording": "none",
        "reference": url,
        "expect": expect,
    }


API = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_"

ROWS: list[dict[str, Any]] = [
    # --- users -----------------------------------------------------------------------------------
    row("CreateUser/ok", "CreateUser", [], {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_user_lifecycle[None]", "create-user", **USER_BIND)),
    row("CreateUser/duplicate", "CreateUser", [USER], {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_user_errors", "create-duplicate-user-error", **USER_BIND)),
    row("GetUser/ok", "GetUser", [USER], {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_user_lifecycle[None]", "get-user", **USER_BIND)),
    row("GetUser/unknown", "GetUser", [], {"UserName": "nonexistent-user"},
        rec(U, "TestUserLifecycle::test_user_errors", "get-nonexistent-user-error")),
    row("DeleteUser/ok", "DeleteUser", [USER], {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_user_lifecycle[None]", "delete-user")),
    row("DeleteUser/unknown", "DeleteUser", [], {"UserName": "nonexistent-user"},
        rec(U, "TestUserLifecycle::test_user_errors", "delete-nonexistent-user-error")),
    row("DeleteUser/attached-policy", "DeleteUser",
        [USER, POLICY, step("AttachUserPolicy", UserName="{user}", PolicyArn=POLICY_ARN)], {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_delete_user_with_attached_policy", "delete-user-with-attached-policy-error")),
    row("DeleteUser/inline-policy", "DeleteUser",
        [USER, step("PutUserPolicy", UserName="{user}", PolicyName="{policy}", PolicyDocument=POLICY_DOCUMENT)],
        {"UserName": "{user}"},
        rec(U, "TestUserLifecycle::test_delete_user_with_inline_policy", "delete-user-with-inline-policy-error")),
    row("DeleteUser/service-credential", "DeleteUser", [USER, CREDENTIAL], {"UserName": "{user}"},
        rec(S, SSC + "test_delete_user_after_service_credential_created", "delete-user-existing-credential")),
    # --- console passwords -----------------------------------------------------------------------
    row("CreateLoginProfile/ok", "CreateLoginProfile", [USER],
        {"UserName": "{user}", "Password": "TestPassword123!", "PasswordResetRequired": False},
        rec(U, "TestUserLoginProfile::test_login_profile_lifecycle", "create-login-profile", **USER_BIND)),
    row("CreateLoginProfile/unknown-user", "CreateLoginProfile", [],
        {"UserName": "nonexistent-user", "Password": "TestPassword123!"},
        rec(U, "TestUserLoginProfile::test_login_profile_errors", "create-login-profile-unknown-user-error")),
    row("CreateLoginProfile/duplicate", "CreateLoginProfile", [USER, LOGIN],
        {"UserName": "{user}", "Password": "AnotherPassword123!"},
        rec(U, "TestUserLoginProfile::test_login_profile_errors", "create-duplicate-login-profile-error",
            **USER_BIND)),
    reference("CreateLoginProfile/weak-password", "CreateLoginProfile", [USER],
              {"UserName": "{user}", "Password": "weakpassword"},
              {"error": {"code": "PasswordPolicyViolation", "status": 400}}, API + "CreateLoginProfile.html"),
    row("GetLoginProfile/ok", "GetLoginProfile", [USER, LOGIN], {"UserName": "{user}"},
        rec(U, "TestUserLoginProfile::test_login_profile_lifecycle", "get-login-profile", **USER_BIND)),
    row("GetLoginProfile/none", "GetLoginProfile", [USER], {"UserName": "{user}"},
        rec(U, "TestUserLoginProfile::test_login_profile_lifecycle", "get-deleted-login-profile-error",
            **USER_BIND)),
    row("DeleteLoginProfile/ok", "DeleteLoginProfile", [USER, LOGIN], {"UserName": "{user}"},
        rec(U, "TestUserLoginProfile::test_login_profile_lifecycle", "delete-login-profile")),
    row("DeleteLoginProfile/none", "DeleteLoginProfile", [USER], {"UserName": "{user}"},
        rec(U, "TestUserLoginProfile::test_login_profile_errors", "delete-nonexistent-login-profile-error",
            **USER_BIND)),
    row("DeleteLoginProfile/unknown-user", "DeleteLoginProfile", [], {"UserName": "nonexistent-user"},
        rec(U, "TestUserLoginProfile::test_login_profile_errors", "delete-login-profile-unknown-user-error")),
    # --- access keys, signing certificates, SSH keys (teardown) -----------------------------------
    row("ListAccessKeys/empty", "ListAccessKeys", [USER], {"UserName": "{user}"},
        rec(U, "TestUserAccessKeys::test_access_key_lifecycle", "list-access-keys-empty")),
    row("ListAccessKeys/one", "ListAccessKeys", [USER, KEY], {"UserName": "{user}"},
        rec(U, "TestUserAccessKeys::test_access_key_lifecycle", "list-access-keys", **USER_BIND)),
    row("DeleteAccessKey/ok", "DeleteAccessKey", [USER, KEY], {"UserName": "{user}", "AccessKeyId": "{key}"},
        rec(U, "TestUserAccessKeys::test_access_key_lifecycle", "delete-access-key")),
    row("DeleteAccessKey/role-session-without-user", "DeleteAccessKey", [USER, KEY, *ROLE_SESSION],
        {"AccessKeyId": "{key}"},
        rec(U, "TestUserAccessKeys::test_access_key_errors", "delete-access-key-without-username-error"),
        caller=AS_SAVED),
    row("ListSigningCertificates/unknown-user", "ListSigningCertificates", [], {"UserName": "nonexistent-user"},
        rec("test_iam_signing_certificates", "TestSigningCertificate::test_signing_certificate_errors",
            "list-certificates-nonexistent-user-error")),
    row("DeleteSigningCertificate/unknown-user", "DeleteSigningCertificate", [],
        {"UserName": "nonexistent-user", "CertificateId": "NONEXISTENTCERTID12345678901"},
        rec("test_iam_signing_certificates", "TestSigningCertificate::test_signing_certificate_errors",
            "delete-certificate-nonexistent-user-error")),
    row("DeleteSigningCertificate/unknown-certificate", "DeleteSigningCertificate", [USER],
        {"UserName": "{user}", "CertificateId": "NONEXISTENTCERTID12345678901"},
        rec("test_iam_signing_certificates", "TestSigningCertificate::test_signing_certificate_errors",
            "delete-nonexistent-certificate-error")),
    row("ListSSHPublicKeys/empty", "ListSSHPublicKeys", [USER], {"UserName": "{user}"},
        rec("test_iam_ssh_public_keys", "TestSSHPublicKeys::test_list_ssh_public_keys", "list-empty")),
    row("DeleteSSHPublicKey/unknown", "DeleteSSHPublicKey", [USER],
        {"UserName": "{user}", "SSHPublicKeyId": "APKAXXXXXXXXXXXXXXXXX"},
        rec("test_iam_ssh_public_keys", "TestSSHPublicKeys::test_delete_ssh_public_key_not_found", "delete-not-found")),
    # --- inline and managed policies on users ------------------------------------------------------
    row("ListUserPolicies/empty", "ListUserPolicies", [USER], {"UserName": "{user}"},
        rec(U, "TestUserPolicies::test_user_inline_policy_lifecycle", "list-user-policies-empty")),
    row("DeleteUserPolicy/ok", "DeleteUserPolicy",
        [USER, step("PutUserPolicy", UserName="{user}", PolicyName="{policy}", PolicyDocument=POLICY_DOCUMENT)],
        {"UserName": "{user}", "PolicyName": "{policy}"},
        rec(U, "TestUserPolicies::test_user_inline_policy_lifecycle", "delete-user-policy")),
    row("ListAttachedUserPolicies/empty", "ListAttachedUserPolicies", [USER], {"UserName": "{user}"},
        rec(U, "TestUserPolicies::test_user_managed_policy_lifecycle", "list-attached-user-policies-empty")),
    row("ListAttachedUserPolicies/one", "ListAttachedUserPolicies",
        [USER, POLICY, step("AttachUserPolicy", UserName="{user}", PolicyArn=POLICY_ARN)], {"UserName": "{user}"},
        rec(U, "TestUserPolicies::test_user_managed_policy_lifecycle", "list-attached-user-policies",
            **{"<policy-name:1>": "{policy}"})),
    row("AttachUserPolicy/ok", "AttachUserPolicy", [USER, POLICY], {"UserName": "{user}", "PolicyArn": POLICY_ARN},
        rec(U, "TestUserPolicies::test_user_managed_policy_lifecycle", "attach-user-policy")),
    row("AttachUserPolicy/unknown-policy", "AttachUserPolicy", [USER],
        {"UserName": "{user}", "PolicyArn": "arn:aws:iam::{account}:policy/nonexistent"},
        rec(U, "TestUserPolicies::test_user_managed_policy_errors", "attach-nonexistent-policy-error")),
    row("AttachUserPolicy/not-an-arn", "AttachUserPolicy", [USER, POLICY],
        {"UserName": "{user}", "PolicyArn": "longpolicynamebutnoarn"},
        rec(S, "TestIAMIntegrations::test_user_attach_policy", "non_existent_malformed_policy_arn")),
    row("AttachUserPolicy/policy-name-not-arn", "AttachUserPolicy", [USER, POLICY],
        {"UserName": "{user}", "PolicyArn": "{policy}"},
        rec(S, "TestIAMIntegrations::test_user_attach_policy", "existing_policy_name_provided",
            **{"<policy-name:1>": "{policy}"})),
    row("AttachUserPolicy/arn-of-nothing", "AttachUserPolicy", [USER, POLICY],
        {"UserName": "{user}", "PolicyArn": POLICY_ARN + "123"},
        rec(S, "TestIAMIntegrations::test_user_attach_policy", "valid_arn_not_existent",
            **{"<policy-name:1>": "{policy}"})),
    reference("AttachUserPolicy/eleventh", "AttachUserPolicy",
              [USER, *[step("AttachUserPolicy", UserName="{user}", PolicyArn=f"arn:aws:iam::aws:policy/{name}")
                       for name in ("AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "AmazonS3FullAccess",
                                    "AmazonEC2FullAccess", "AWSCodeCommitPowerUser", "IAMUserChangePassword",
                                    "AmazonSQSFullAccess", "AmazonSNSFullAccess", "CloudWatchFullAccess")]],
              {"UserName": "{user}", "PolicyArn": "arn:aws:iam::aws:policy/job-function/Billing"},
              {"error": {"code": "LimitExceeded", "status": 409,
                         "message": "Cannot exceed quota for PoliciesPerUser: 10"}},
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
    row("DetachUserPolicy/ok", "DetachUserPolicy",
        [USER, POLICY, step("AttachUserPolicy", UserName="{user}", PolicyArn=POLICY_ARN)],
        {"UserName": "{user}", "PolicyArn": POLICY_ARN},
        rec(U, "TestUserPolicies::test_user_managed_policy_lifecycle", "detach-user-policy")),
    row("DetachUserPolicy/not-attached", "DetachUserPolicy", [USER, POLICY],
        {"UserName": "{user}", "PolicyArn": POLICY_ARN},
        rec(U, "TestUserPolicies::test_user_managed_policy_errors", "detach-unattached-policy-error",
            **{"<policy-name:1>": "{policy}"})),
    # --- groups --------------------------------------------------------------------------------------
    row("CreateGroup/ok", "CreateGroup", [], {"GroupName": "{group}"},
        rec(G, "TestIAMGroupsCRUD::test_create_group", "create-group", **{"<group-name:1>": "{group}"})),
    row("CreateGroup/duplicate", "CreateGroup", [GROUP], {"GroupName": "{group}"},
        rec(G, "TestIAMGroupsCRUD::test_create_group", "create-group-duplicate", **{"<group-name:1>": "{group}"})),
    row("GetGroup/ok", "GetGroup", [GROUP], {"GroupName": "{group}"},
        rec(G, "TestIAMGroupsCRUD::test_get_group_with_path", "get-group-default-path",
            **{"<group-name:1>": "{group}"})),
    row("GetGroup/unknown", "GetGroup", [], {"GroupName": "non-existent-group"},
        rec(G, "TestIAMGroupsCRUD::test_get_group", "get-group-not-found")),
    row("ListGroupsForUser/empty", "ListGroupsForUser", [USER], {"UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_membership", "list-groups-for-user-empty")),
    row("AddUserToGroup/ok", "AddUserToGroup", [USER, GROUP], {"GroupName": "{group}", "UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_membership", "add-user-to-group")),
    row("AddUserToGroup/unknown-user", "AddUserToGroup", [GROUP],
        {"GroupName": "{group}", "UserName": "nonexistent-user"},
        rec(U, "TestUserGroups::test_user_group_errors", "add-nonexistent-user-to-group-error")),
    row("AddUserToGroup/unknown-group", "AddUserToGroup", [USER],
        {"GroupName": "nonexistent-group", "UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_errors", "add-user-to-nonexistent-group-error")),
    row("RemoveUserFromGroup/ok", "RemoveUserFromGroup",
        [USER, GROUP, step("AddUserToGroup", GroupName="{group}", UserName="{user}")],
        {"GroupName": "{group}", "UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_membership", "remove-user-from-group")),
    row("RemoveUserFromGroup/not-a-member", "RemoveUserFromGroup", [USER, GROUP],
        {"GroupName": "{group}", "UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_membership", "remove-nonmember-user-from-group")),
    row("RemoveUserFromGroup/unknown-group", "RemoveUserFromGroup", [USER],
        {"GroupName": "nonexistent-group", "UserName": "{user}"},
        rec(U, "TestUserGroups::test_user_group_errors", "remove-user-from-nonexistent-group-error")),
    row("RemoveUserFromGroup/unknown-user-and-group", "RemoveUserFromGroup", [],
        {"GroupName": "non-existent-group", "UserName": "any-user"},
        rec(G, "TestIAMGroupsMembership::test_remove_user_from_unknown_group", "remove-from-unknown-group")),
    row("ListAttachedGroupPolicies/empty", "ListAttachedGroupPolicies", [GROUP], {"GroupName": "{group}"},
        rec(G, "TestIAMGroupsPolicies::test_attach_detach_group_policy", "no-attached-policies")),
    row("ListAttachedGroupPolicies/aws-managed", "ListAttachedGroupPolicies",
        [GROUP, step("AttachGroupPolicy", GroupName="{group}",
                     PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceforEC2Role")],
        {"GroupName": "{group}"},
        rec(G, "TestIAMGroupsPolicies::test_attach_detach_aws_managed_policy_group", "list-attached-after-attach",
            **{"<policy-name:1>": "AmazonElasticMapReduceforEC2Role"})),
    # --- virtual MFA devices -----------------------------------------------------------------------
    row("CreateVirtualMFADevice/ok", "CreateVirtualMFADevice", [], {"VirtualMFADeviceName": "{device}"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_lifecycle[None]", "create-mfa-device",
            **{"<mfa-device-name>": "{device}"})),
    row("CreateVirtualMFADevice/duplicate", "CreateVirtualMFADevice", [DEVICE], {"VirtualMFADeviceName": "{device}"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_errors", "create-duplicate-error")),
    row("CreateVirtualMFADevice/path-without-leading-slash", "CreateVirtualMFADevice", [],
        {"VirtualMFADeviceName": "{device}", "Path": "invalid-path/"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_errors", "create-invalid-path-no-leading-slash-error")),
    row("CreateVirtualMFADevice/path-without-trailing-slash", "CreateVirtualMFADevice", [],
        {"VirtualMFADeviceName": "{device}", "Path": "/invalid-path"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_errors", "create-invalid-path-no-trailing-slash-error")),
    row("CreateVirtualMFADevice/path-too-long", "CreateVirtualMFADevice", [],
        {"VirtualMFADeviceName": "{device}", "Path": "/" + "a" * 512 + "/"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_errors", "create-path-too-long-error")),
    row("CreateVirtualMFADevice/double-slash-path", "CreateVirtualMFADevice", [],
        {"VirtualMFADeviceName": "{device}", "Path": "/test//double/"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_lifecycle[/test//double/]", "create-mfa-device",
            **{"<mfa-device-name>": "{device}"})),
    row("ListVirtualMFADevices/unassigned", "ListVirtualMFADevices",
        [step("CreateVirtualMFADevice", VirtualMFADeviceName=f"{{device}}-{i}") for i in range(3)],
        {"AssignmentStatus": "Unassigned"},
        rec(M, "TestVirtualMfaDevice::test_list_virtual_mfa_devices", "list-unassigned",
            **{f"<mfa-device-name-{i}>": f"{{device}}-{i}" for i in range(3)})),
    row("ListVirtualMFADevices/invalid-marker", "ListVirtualMFADevices", [DEVICE], {"Marker": "invalid-marker-value"},
        rec(M, "TestVirtualMfaDevice::test_list_virtual_mfa_devices", "list-invalid-marker-error")),
    row("EnableMFADevice/ok", "EnableMFADevice", [USER, DEVICE], ENABLE,
        rec(M, "TestVirtualMfaDevice::test_enable_virtual_mfa_device", "enable-mfa-device")),
    row("EnableMFADevice/unknown-user", "EnableMFADevice", [DEVICE],
        {"UserName": "nonexistent-user", "SerialNumber": "{serial}", "AuthenticationCode1": "123456",
         "AuthenticationCode2": "654321"},
        rec(M, "TestVirtualMfaDevice::test_enable_mfa_device_errors", "enable-mfa-nonexistent-user-error")),
    row("EnableMFADevice/already-in-use", "EnableMFADevice",
        [USER, USER2, DEVICE, step("EnableMFADevice", **ENABLE)], {**ENABLE, "UserName": "{user2}"},
        rec(M, "TestVirtualMfaDevice::test_enable_mfa_device_already_attached", "enable-mfa-already-attached-error")),
    reference("EnableMFADevice/wrong-codes", "EnableMFADevice", [USER, DEVICE],
              {**ENABLE, "AuthenticationCode1": "000000", "AuthenticationCode2": "000001"},
              {"error": {"code": "InvalidAuthenticationCode", "status": 403}}, API + "EnableMFADevice.html"),
    row("ListMFADevices/none", "ListMFADevices", [USER], {"UserName": "{user}"},
        rec(M, "TestVirtualMfaDevice::test_enable_virtual_mfa_device", "list-mfa-devices-before")),
    row("ListMFADevices/one", "ListMFADevices", [USER, DEVICE, step("EnableMFADevice", **ENABLE)],
        {"UserName": "{user}"},
        rec(M, "TestVirtualMfaDevice::test_enable_virtual_mfa_device", "list-mfa-devices-after",
            **{"<user-name:1>": "{user}", "<mfa-device-name>": "{device}"})),
    reference("ListMFADeviceTags/unknown", "ListMFADeviceTags", [],
              {"SerialNumber": "arn:aws:iam::{account}:mfa/nonexistent"},
              {"error": {"code": "NoSuchEntity", "status": 404}}, API + "ListMFADeviceTags.html"),
    row("DeactivateMFADevice/ok", "DeactivateMFADevice", [USER, DEVICE, step("EnableMFADevice", **ENABLE)],
        {"UserName": "{user}", "SerialNumber": "{serial}"},
        rec(M, "TestVirtualMfaDevice::test_enable_virtual_mfa_device", "deactivate-mfa-device")),
    row("DeactivateMFADevice/unknown-user", "DeactivateMFADevice", [DEVICE],
        {"UserName": "nonexistent-user", "SerialNumber": "{serial}"},
        rec(M, "TestVirtualMfaDevice::test_enable_mfa_device_errors", "deactivate-mfa-nonexistent-user-error")),
    row("DeactivateMFADevice/unknown-device", "DeactivateMFADevice", [USER],
        {"UserName": "{user}", "SerialNumber": "arn:aws:iam::{account}:mfa/nonexistent-mfa"},
        rec(M, "TestVirtualMfaDevice::test_enable_mfa_device_errors", "deactivate-nonexistent-mfa-error")),
    row("DeleteVirtualMFADevice/ok", "DeleteVirtualMFADevice", [DEVICE], {"SerialNumber": "{serial}"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_lifecycle[None]", "delete-mfa-device")),
    row("DeleteVirtualMFADevice/unknown", "DeleteVirtualMFADevice", [],
        {"SerialNumber": "arn:aws:iam::{account}:mfa/nonexistent-device"},
        rec(M, "TestVirtualMfaDevice::test_virtual_mfa_device_errors", "delete-nonexistent-error")),
    # --- service-specific credentials (CodeCommit Git) ------------------------------------------------
    row("CreateServiceSpecificCredential/ok", "CreateServiceSpecificCredential", [USER],
        {"UserName": "{user}", "ServiceName": "codecommit.amazonaws.com"},
        rec(S, SSC + "test_service_specific_credential_lifecycle[codecommit.amazonaws.com]",
            "create-service-specific-credential-response", **USER_BIND)),
    row("CreateServiceSpecificCredential/unknown-user", "CreateServiceSpecificCredential", [],
        {"UserName": "non-existent-user", "ServiceName": "codecommit.amazonaws.com"},
        rec(S, SSC + "test_create_service_specific_credential_invalid_user", "invalid-user-name-exception")),
    *[
        row(f"CreateServiceSpecificCredential/unsupported-service-{n}", "CreateServiceSpecificCredential", [USER],
            {"UserName": "{user}", "ServiceName": service},
            rec(S, SSC + "test_create_service_specific_credential_invalid_service", key))
        for n, (service, key) in enumerate([
            ("nonexistentservice.amazonaws.com", "invalid-service-exception"),
            ("o3on3n3onosneo", "invalid-service-completely-malformed-exception"),
            ("lambda.amazonaws.com", "invalid-service-existing-but-unsupported-exception"),
        ], start=1)
    ],
    reference("CreateServiceSpecificCredential/third", "CreateServiceSpecificCredential",
              [USER, CREDENTIAL, CREDENTIAL],
              {"UserName": "{user}", "ServiceName": "codecommit.amazonaws.com"},
              {"error": {"code": "LimitExceeded", "status": 409}}, API + "CreateServiceSpecificCredential.html"),
    row("ListServiceSpecificCredentials/one", "ListServiceSpecificCredentials", [USER, CREDENTIAL],
        {"UserName": "{user}"},
        rec(S, SSC + "test_service_specific_credential_lifecycle[codecommit.amazonaws.com]",
            "list-service-specific-credentials-response-before-update", **USER_BIND)),
    row("ListServiceSpecificCredentials/unsupported-service", "ListServiceSpecificCredentials", [USER],
        {"UserName": "{user}", "ServiceName": "nonexistentservice.amazonaws.com"},
        rec(S, SSC + "test_list_service_specific_credential_different_service",
            "list-service-specific-credentials-invalid-service")),
    row("UpdateServiceSpecificCredential/ok", "UpdateServiceSpecificCredential", [USER, CREDENTIAL],
        {"UserName": "{user}", "ServiceSpecificCredentialId": "{credential}", "Status": "Inactive"},
        rec(S, SSC + "test_service_specific_credential_lifecycle[codecommit.amazonaws.com]",
            "update-service-specific-credential-response")),
    row("UpdateServiceSpecificCredential/invalid-status", "UpdateServiceSpecificCredential", [USER, CREDENTIAL],
        {"UserName": "{user}", "ServiceSpecificCredentialId": "{credential}", "Status": "Invalid"},
        rec(S, SSC + "test_invalid_update_parameters", "update-invalid-status")),
    row("ResetServiceSpecificCredential/ok", "ResetServiceSpecificCredential",
        [USER, CREDENTIAL, step("UpdateServiceSpecificCredential", UserName="{user}",
                                ServiceSpecificCredentialId="{credential}", Status="Inactive")],
        {"UserName": "{user}", "ServiceSpecificCredentialId": "{credential}"},
        rec(S, SSC + "test_service_specific_credential_lifecycle[codecommit.amazonaws.com]",
            "reset-service-specific-credential-response", **USER_BIND)),
    row("DeleteServiceSpecificCredential/ok", "DeleteServiceSpecificCredential", [USER, CREDENTIAL],
        {"UserName": "{user}", "ServiceSpecificCredentialId": "{credential}"},
        rec(S, SSC + "test_service_specific_credential_lifecycle[codecommit.amazonaws.com]",
            "delete-service-specific-credentials-response")),
    *[
        row(f"{call}/{case}", call, [USER, CREDENTIAL],
            {"UserName": "wrong-user-name" if case == "wrong-user" else "{user}",
             "ServiceSpecificCredentialId": cid, **({"Status": "Inactive"} if verb == "update" else {})},
            rec(S, SSC + test, f"{verb}-{key}"))
        for case, cid, test, key in [
            ("id-with-hyphens", "totally-wrong-credential-id-with-hyphens",
             "test_user_match_id_mismatch[totally-wrong-credential-id-with-hyphens]", "wrong-id"),
            ("unknown-id", "satisfiesregexbutstillinvalid",
             "test_user_match_id_mismatch[satisfiesregexbutstillinvalid]", "wrong-id"),
            ("wrong-user", "{credential}", "test_id_match_user_mismatch", "wrong-user-name"),
        ]
        for verb, call in [("update", "UpdateServiceSpecificCredential"), ("reset", "ResetServiceSpecificCredential"),
                           ("delete", "DeleteServiceSpecificCredential")]
    ],
    # --- managed policies ----------------------------------------------------------------------------
    row("ListPolicies/aws-scope-page", "ListPolicies", [], {"Scope": "AWS", "MaxItems": 5},
        rec("test_iam_managed_policies", "TestListPoliciesScope::test_list_policies_scope_aws",
            "list-policies-aws-page"), values="none",
        note="Which five policies come first is AWS's order; keys only."),
    row("GetPolicy/aws-managed", "GetPolicy", [], {"PolicyArn": "arn:aws:iam::aws:policy/IAMUserChangePassword"},
        rec("test_iam_managed_policies", "TestGetAwsManagedPolicy::test_get_aws_managed_policy", "get-policy",
            **{"<policy-name:1>": "IAMUserChangePassword"}),
        skip_values=["Policy.AttachmentCount", "Policy.DefaultVersionId"],
        note="AttachmentCount is the recording account's; DefaultVersionId follows AWS's edits of the policy."),
    reference("GetPolicy/unknown", "GetPolicy", [], {"PolicyArn": "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"},
              {"error": {"code": "NoSuchEntity", "status": 404}}, API + "GetPolicy.html"),
    # --- account ---------------------------------------------------------------------------------------
    row("GetAccountSummary/quotas", "GetAccountSummary", [], {},
        rec("test_iam_account_summary", "TestGetAccountSummary::test_get_account_summary_format",
            "transformed-summary"),
        skip_values=["SummaryMap.AccountAccessKeysPresent", "SummaryMap.AccountMFAEnabled"],
        note="Root's MFA and keys are the recording account's state, not a rule."),
    row("GetAccountPasswordPolicy/none", "GetAccountPasswordPolicy", [], {},
        rec("test_iam_account_password_policy", "TestAccountPasswordPolicy::test_get_account_password_policy_not_found",
            "policy-not-found")),
    row("UpdateAccountPasswordPolicy/defaults", "GetAccountPasswordPolicy",
        [step("UpdateAccountPasswordPolicy")], {},
        rec("test_iam_account_password_policy",
            "TestAccountPasswordPolicy::test_update_account_password_policy_defaults", "password-policy-defaults")),
    row("UpdateAccountPasswordPolicy/out-of-range", "UpdateAccountPasswordPolicy", [],
        {"MaxPasswordAge": 1096, "MinimumPasswordLength": 129, "PasswordReusePrevention": 25},
        rec("test_iam_account_password_policy",
            "TestAccountPasswordPolicy::test_update_account_password_policy_validation_errors", "validation-errors"),
        note="AWS lists the three parts in an order of its own, not the model's (a Java HashMap's); compared "
        "exactly."),
    reference("ListAccountAliases/none", "ListAccountAliases", [], {},
              {"status": 200, "keys": ["AccountAliases", "IsTruncated"], "values": {"AccountAliases": [],
                                                                                   "IsTruncated": False}},
              API + "ListAccountAliases.html"),
    # --- the credential report -----------------------------------------------------------------------
    row("GetCredentialReport/before-generation", "GetCredentialReport", [], {},
        rec("test_iam_credential_report", "TestIAMCredentialReport::test_get_credential_report_before_generated",
            "get-credential-report-without-generate-error")),
    row("GenerateCredentialReport/first", "GenerateCredentialReport", [], {},
        rec("test_iam_credential_report", "TestIAMCredentialReport::test_credential_report",
            "initial-generate-response")),
    row("GenerateCredentialReport/complete", "GenerateCredentialReport", [step("GenerateCredentialReport")], {},
        rec("test_iam_credential_report", "TestIAMCredentialReport::test_credential_report",
            "generate-completed-response")),
    row("GetCredentialReport/user-row", "GetCredentialReport",
        [USER, LOGIN, KEY, step("UpdateAccessKey", UserName="{user}", AccessKeyId="{key}", Status="Inactive"),
         step("CreateAccessKey", UserName="{user}"), step("GenerateCredentialReport")], {},
        rec("test_iam_credential_report", "TestIAMCredentialReport::test_credential_report", "credentials-report",
            **USER_BIND),
        report=True,
        note="The recorded report's columns, and the row of a user with a password and two keys, the first "
        "made inactive."),
    # --- STS -----------------------------------------------------------------------------------------------
    row("GetCallerIdentity/iam-user", "GetCallerIdentity",
        [USER, step("CreateAccessKey", UserName="{user}",
                    save={"as_key": "AccessKey.AccessKeyId", "as_secret": "AccessKey.SecretAccessKey"})], {},
        rec("test_sts", "TestSTSCallerIdentity::test_get_caller_identity_with_iam_user_credentials",
            "caller-identity-user", **USER_BIND),
        service="sts", caller={"AccessKeyId": "{as_key}", "SecretAccessKey": "{as_secret}"}),
    reference("GetCallerIdentity/root", "GetCallerIdentity", [], {},
              {"status": 200, "keys": ["Account", "Arn", "UserId"],
               "values": {"Account": "{account}", "Arn": "arn:aws:iam::{account}:root", "UserId": "{account}"}},
              "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"),
]  # fmt: skip

DIFFERENCES: dict[str, str] = {
    "GetPolicy/aws-managed": (
        "No Description: moto's copy of AWS's managed policies (moto 5.2) carries none, and the sandbox has no "
        "other source for them. The runbook reads PolicyName, Arn and Path only."
    ),
    "GetCredentialReport/user-row": (
        "Which of a user's two keys AWS writes first is not known: the recording masks the key ids, and AWS wrote "
        "the key made inactive (created first) second. The sandbox writes keys in creation order. No runbook "
        "check reads a user's key columns."
    ),
}
"""Row id -> why the sandbox still answers otherwise than AWS did."""


# --- copying the recorded answers ----------------------------------------------------------------------


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a response: ``User``, ``User.Arn``, ``Users[].UserName``."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def _bound(text: str, bind: dict[str, str]) -> str:
    for token, replacement in bind.items():
        text = text.replace(token, replacement)
    return text


def _kebab(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", key).lower()


def plain_values(value: Any, bind: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """The leaf values that say nothing of the recording account once its tokens are bound.

    LocalStack's ``key_value`` transformer replaces an account-specific value by its key in
    kebab case (``"Users": "users"``); those are left out like ``<token>`` values.
    """
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and item == _kebab(key):
                continue
            found |= plain_values(item, bind, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            items = [_bound(i, bind) if isinstance(i, str) else i for i in value]
            if not any(isinstance(i, str) and "<" in i for i in items):
                found[prefix] = items
        elif len(value) == 1:
            found |= plain_values(value[0], bind, f"{prefix}[]")
    elif isinstance(value, str):
        text = _bound(value, bind)
        if "<" not in text:
            found[prefix] = text
    else:
        found[prefix] = value
    return found


def expectation(recorded: dict[str, Any], spec: dict[str, Any], bind: dict[str, str]) -> dict[str, Any]:
    """What AWS answered, as the replay compares it."""
    if spec.get("report"):
        (user,) = recorded["users"]
        return {"report_columns": recorded["field_names"], "report_row": plain_values(user, bind)}
    body = {k: v for k, v in recorded.items() if k != "ResponseMetadata"}
    status = recorded.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
    if "Error" in body:
        error = body["Error"]
        out: dict[str, Any] = {"code": error["Code"], "status": status}
        out["message"] = error.get("Message")  # None: AWS sent no message
        return {"error": out}
    expected: dict[str, Any] = {"status": status, "keys": sorted(key_paths(body))}
    if spec.get("values") != "none":
        values = plain_values(body, bind)
        for skipped in spec.get("skip_values", []):
            values.pop(skipped, None)
        expected["values"] = dict(sorted(values.items()))
    return expected


def build(localstack: Path) -> dict[str, Any]:
    rows = []
    for spec in ROWS:
        out = {k: v for k, v in spec.items() if k not in ("skip_values", "values", "report")}
        if spec.get("recording") != "none":
            source = spec["source"]
            snapshot = json.loads((localstack / source["file"]).read_text())
            entry = snapshot[source["test"]]
            bind = {**COMMON_BIND, **source["bind"]}
            out["source"] = {**source, "bind": bind, "recorded": entry["recorded-date"]}
            out["recording"] = "recorded"
            out["expect"] = expectation(entry["recorded-content"][source["key"]], spec, bind)
            if spec.get("report"):
                out["kind"] = "credential-report"
        if spec["id"] in DIFFERENCES:
            out["difference"] = DIFFERENCES[spec["id"]]
        rows.append(out)
    recorded = [r for r in rows if r["recording"] == "recorded"]
    return {
        "source": SOURCE,
        "counts": {"rows": len(rows), "recorded": len(recorded), "no_recording": len(rows) - len(recorded)},
        "superseded": SUPERSEDED,
        "rows": rows,
    }


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    table = json.dumps(build(Path(argv[0])), indent=1, ensure_ascii=False) + "\n"
    if "--check" in argv:
        same = TABLE.read_text() == table
        print("recorded.json is up to date" if same else "recorded.json would change")
        return 0 if same else 1
    TABLE.write_text(table)
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
