"""IAM's front-end checks: model constraints, paths, policy ARNs, markers, worded as IAM words them.

The messages are those recorded on real AWS (LocalStack's IAM snapshots, 2025-2026; see
tests/conformance/recorded.json): ``N validation error(s) detected: Value at '<member>' failed
to satisfy constraint: ...``, never echoing the value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from runbook_lib.sandbox.validation import hash_map_order
from tests.support.sandbox import Target

INVALID_PATH = (
    "The specified value for path is invalid. "
    "It must begin and end with / and contain only alphanumeric characters and/or / characters."
)


def _one(member: str, constraint: str) -> str:
    return f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}"


@pytest.mark.parametrize(
    "create",
    [
        lambda aws, path: aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path=path),
        lambda aws, path: aws.iam.create_user(UserName="alice", Path=path),
        lambda aws, path: aws.iam.create_group(GroupName="admins", Path=path),
    ],
    ids=["mfa-device", "user", "group"],
)
@pytest.mark.parametrize("path", ["invalid-path/", "/invalid-path", "no-slash"])
def test_a_path_not_wrapped_in_slashes_is_ValidationError_400(aws: Target, create: Any, path: str) -> None:
    with aws.fails("ValidationError", 400) as caught:
        create(aws, path)
    assert caught.value.response["Error"]["Message"] == INVALID_PATH


def test_paths_iam_takes_including_an_empty_segment(aws: Target) -> None:
    for path in ("/", "/test-path/", "/test//double/"):
        serial = aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path=path)["VirtualMFADevice"]
        assert serial["SerialNumber"].endswith(f":mfa{path}phone")


def test_a_path_over_512_characters_is_the_length_constraint(aws: Target) -> None:
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Path="/" + "a" * 512 + "/")
    assert caught.value.response["Error"]["Message"] == _one(
        "path", "Member must have length less than or equal to 512"
    )


CREDENTIAL_CALLS: dict[str, Callable[[Target, str], Any]] = {
    "update": lambda aws, cid: aws.iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cid, Status="Inactive"
    ),
    "reset": lambda aws, cid: aws.iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cid
    ),
    "delete": lambda aws, cid: aws.iam.delete_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=cid
    ),
}


@pytest.mark.parametrize("action", sorted(CREDENTIAL_CALLS))
def test_a_credential_id_outside_word_characters_is_ValidationError(aws: Target, action: str) -> None:
    aws.new_user()
    with aws.fails("ValidationError", 400) as caught:
        CREDENTIAL_CALLS[action](aws, "totally-wrong-credential-id-with-hyphens")
    message = caught.value.response["Error"]["Message"]
    assert message == _one("serviceSpecificCredentialId", r"Member must satisfy regular expression pattern: [\w]+")


@pytest.mark.parametrize("action", sorted(CREDENTIAL_CALLS))
def test_a_well_formed_unknown_credential_id_is_NoSuchEntity(aws: Target, action: str) -> None:
    aws.new_user()
    with aws.fails("NoSuchEntity", 404) as caught:
        CREDENTIAL_CALLS[action](aws, "satisfiesregexbutstillinvalid")
    assert caught.value.response["Error"]["Message"] == "No such credential satisfiesregexbutstillinvalid exists"


@pytest.mark.parametrize("status", ["Disabled", "active"])
def test_a_status_outside_the_enum_is_ValidationError(aws: Target, status: str) -> None:
    aws.new_user()
    created = aws.iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")
    cid = created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.update_service_specific_credential(UserName="alice", ServiceSpecificCredentialId=cid, Status=status)
    assert caught.value.response["Error"]["Message"] == _one("status", "Member must satisfy enum value set")


def _many(*clauses: tuple[str, str]) -> str:
    parts = "; ".join(
        f"Value at '{member}' failed to satisfy constraint: {constraint}" for member, constraint in clauses
    )
    return f"{len(clauses)} validation errors detected: {parts}"


def test_password_policy_numbers_out_of_range_are_named_in_the_order_aws_recorded(aws: Target) -> None:
    """AWS (2026-02-13): minimum length, reuse, maximum age; the model's order puts maximum age second."""
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.update_account_password_policy(
            MaxPasswordAge=1096, MinimumPasswordLength=129, PasswordReusePrevention=25
        )
    assert caught.value.response["Error"]["Message"] == _many(
        ("minimumPasswordLength", "Member must have value less than or equal to 128"),
        ("passwordReusePrevention", "Member must have value less than or equal to 24"),
        ("maxPasswordAge", "Member must have value less than or equal to 1095"),
    )
    with aws.fails("ValidationError", 400) as caught:  # two of them: the same order
        aws.iam.update_account_password_policy(MaxPasswordAge=1096, PasswordReusePrevention=25)
    assert caught.value.response["Error"]["Message"] == _many(
        ("passwordReusePrevention", "Member must have value less than or equal to 24"),
        ("maxPasswordAge", "Member must have value less than or equal to 1095"),
    )
    with aws.fails("NoSuchEntity", 404):
        aws.iam.get_account_password_policy()


OIDC_CLIENT_ID = (
    "Member must satisfy constraint: [Member must have length less than or equal to 255, "
    "Member must have length greater than or equal to 1]"
)
OIDC_THUMBPRINT = (
    "Member must satisfy constraint: [Member must have length less than or equal to 40, "
    "Member must have length greater than or equal to 40]"
)


def test_open_id_connect_provider_errors_are_all_named_as_aws_recorded(aws: Target) -> None:
    """AWS (2026-02-17) names all three members, clientIDList first; the model lists url first."""
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.create_open_id_connect_provider(Url="b" * 256, ThumbprintList=["b" * 41], ClientIDList=["b" * 256])
    assert caught.value.response["Error"]["Message"] == _many(
        ("clientIDList", OIDC_CLIENT_ID),
        ("thumbprintList", OIDC_THUMBPRINT),
        ("url", "Member must have length less than or equal to 255"),
    )


TAG_KEYS = (
    "Member must satisfy constraint: [Member must have length less than or equal to 128, "
    r"Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: "
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+, Member must not be null]"
)
"""AWS's clause for ``tagKeys`` with a key over 128 characters (UntagRole and UntagPolicy, recorded 2026-02)."""

POLICY_ARN = "arn:aws:iam::123456789012:policy/p"
OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/example.com"

STRING_LISTS: dict[str, tuple[Callable[[Target, list[str]], Any], str, str]] = {
    "UntagUser": (lambda aws, keys: aws.iam.untag_user(UserName="alice", TagKeys=keys), "tagKeys", TAG_KEYS),
    "UntagRole": (lambda aws, keys: aws.iam.untag_role(RoleName="r", TagKeys=keys), "tagKeys", TAG_KEYS),
    "UntagPolicy": (lambda aws, keys: aws.iam.untag_policy(PolicyArn=POLICY_ARN, TagKeys=keys), "tagKeys", TAG_KEYS),
    "UntagInstanceProfile": (
        lambda aws, keys: aws.iam.untag_instance_profile(InstanceProfileName="p", TagKeys=keys),
        "tagKeys",
        TAG_KEYS,
    ),
    "UntagOpenIDConnectProvider": (
        lambda aws, keys: aws.iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=OIDC_ARN, TagKeys=keys),
        "tagKeys",
        TAG_KEYS,
    ),
    "UpdateOpenIDConnectProviderThumbprint": (
        lambda aws, thumbprints: aws.iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=OIDC_ARN, ThumbprintList=thumbprints
        ),
        "thumbprintList",
        OIDC_THUMBPRINT,
    ),
    "CreateOpenIDConnectProvider": (
        lambda aws, ids: aws.iam.create_open_id_connect_provider(
            Url="https://example.com", ThumbprintList=["a" * 40], ClientIDList=ids
        ),
        "clientIDList",
        OIDC_CLIENT_ID,
    ),
}


@pytest.mark.parametrize("action", sorted(STRING_LISTS))
def test_a_list_of_strings_with_one_item_too_long_is_one_clause_naming_the_item_constraints(
    aws: Target, action: str
) -> None:
    """However many items break it, the member is named once, with every constraint of its items."""
    call, member, constraint = STRING_LISTS[action]
    aws.new_user()
    with aws.fails("ValidationError", 400) as caught:
        call(aws, ["a" * 40, "x" * 300, "y" * 300])
    message = caught.value.response["Error"]["Message"]
    assert message == _one(member, constraint)
    assert "x" * 10 not in message


def test_an_item_outside_an_enum_breaks_the_list(aws: Target) -> None:
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.get_account_authorization_details(Filter=["User", "Nobody"])
    assert caught.value.response["Error"]["Message"] == _one(
        "filter", "Member must satisfy constraint: [Member must satisfy enum value set]"
    )


def test_lists_of_good_strings_pass(aws: Target) -> None:
    aws.new_user()
    aws.iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "ops"}])
    aws.iam.untag_user(UserName="alice", TagKeys=["team", "k" * 128])
    created = aws.iam.create_open_id_connect_provider(
        Url="https://example.com", ThumbprintList=["a" * 40], ClientIDList=["c" * 255]
    )
    aws.iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=created["OpenIDConnectProviderArn"], ThumbprintList=["b" * 40]
    )


@pytest.mark.parametrize("name", ["bad name", "slash/name", "x" * 65])
def test_user_names_break_the_model_without_the_value_echoed(aws: Target, name: str) -> None:
    """A new user's name takes at most 64 characters (an existing one's lookup, 128)."""
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.create_user(UserName=name)
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value at 'userName' failed to satisfy constraint:")
    assert name not in message


def test_too_many_and_too_long_tags_are_named_by_position(aws: Target) -> None:
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.create_user(UserName="alice", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert caught.value.response["Error"]["Message"] == _one("tags", "Member must have length less than or equal to 50")
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.create_user(UserName="alice", Tags=[{"Key": "k" * 129, "Value": "v"}])
    expected = _one("tags.1.member.key", "Member must have length less than or equal to 128")
    assert caught.value.response["Error"]["Message"] == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda aws: aws.iam.list_virtual_mfa_devices(Marker="invalid-marker-value"),
        lambda aws: aws.iam.list_policies(Scope="AWS", Marker="garbage"),
        lambda aws: aws.iam.list_users(Marker="garbage"),
        lambda aws: aws.iam.list_attached_user_policies(UserName="alice", Marker="garbage"),
    ],
    ids=["virtual-mfa-devices", "policies", "users", "attached-user-policies"],
)
def test_a_marker_the_sandbox_never_issued_is_Invalid_Marker(aws: Target, call: Any) -> None:
    aws.new_user()
    with aws.fails("ValidationError", 400) as caught:
        call(aws)
    assert caught.value.response["Error"]["Message"] == "Invalid Marker."


def test_a_marker_the_sandbox_issued_pages_on(aws: Target) -> None:
    for name in ("a", "b", "c"):
        aws.iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    first = aws.iam.list_virtual_mfa_devices(MaxItems=2)
    second = aws.iam.list_virtual_mfa_devices(MaxItems=2, Marker=first["Marker"])
    assert len(first["VirtualMFADevices"]) + len(second["VirtualMFADevices"]) == 3


def test_max_items_over_1000_is_ValidationError(aws: Target) -> None:
    with aws.fails("ValidationError", 400) as caught:
        aws.iam.list_users(MaxItems=1001)
    assert caught.value.response["Error"]["Message"] == _one(
        "maxItems", "Member must have value less than or equal to 1000"
    )


@pytest.mark.parametrize(
    "recorded",
    [
        ("minimumPasswordLength", "passwordReusePrevention", "maxPasswordAge"),  # IAM UpdateAccountPasswordPolicy
        ("clientIDList", "thumbprintList", "url"),  # IAM CreateOpenIDConnectProvider
        ("compatibleRuntimes", "compatibleArchitectures"),  # Lambda PublishLayerVersion
        ("connectionArn", "httpMethod"),  # EventBridge CreateApiDestination
        ("types", "ipAddressType"),  # API Gateway CreateRestApi's endpointConfiguration
    ],
)
def test_failing_members_come_in_the_order_aws_recorded_them(recorded: tuple[str, ...]) -> None:
    """AWS's order is a Java HashMap's: checked against each multi-member message in LocalStack's AWS snapshots."""
    for model_order in itertools.permutations(recorded):
        assert hash_map_order(list(model_order)) == list(recorded)
