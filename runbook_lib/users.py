"""IAM users: reading a user's current state, the writes that create and grant it, and its removal.

The runbook tags what it creates, so a re-run can tell its own user from a stranger's. IAM groups take
no tags, so the runbook makes its groups under its own path (`GROUP_PATH`) instead. `holdings` reads
everything IAM makes a user give up before `DeleteUser` (the teardown's plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .aws import propagating

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

TAG_KEY = "managed-by"
TAG_VALUE = "runbook-first-admin"
TAGS = [{"Key": TAG_KEY, "Value": TAG_VALUE}]
GROUP_PATH = f"/{TAG_VALUE}/"
"""The path of the groups the runbook creates: what tells its group from a stranger's (groups take no tags)."""


def ours(tags: list[dict[str, str]] | None) -> bool:
    """Tagged by this runbook."""
    return any(t.get("Key") == TAG_KEY and t.get("Value") == TAG_VALUE for t in tags or [])


@dataclass
class ObservedUser:
    """What IAM says about one user right now. `exists=False` means nothing else was read."""

    name: str
    exists: bool = False
    ours: bool = False
    login_profile: bool = False
    reset_required: bool = False
    attached: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    mfa_serials: list[str] = field(default_factory=list)
    credential_ids: list[str] = field(default_factory=list)
    service_user_name: str = ""
    access_keys: list[str] = field(default_factory=list)
    password_delivered: bool = False  # its console password is in a secrets file of an earlier run


def observe(
    iam: IAMClient,
    name: str,
    *,
    login: bool = True,
    mfa: bool = True,
    codecommit: bool = True,
    groups: bool = False,
    keys: bool = True,
) -> ObservedUser:
    """Read only what the plan needs; a missing user costs one call.

    Access keys are read because the runbook never makes any: a user holding some was given them by
    someone else, and whatever the run grants would reach their holders too.
    """
    seen = ObservedUser(name)
    try:
        user = iam.get_user(UserName=name)["User"]
    except iam.exceptions.NoSuchEntityException:
        return seen
    seen.exists, seen.ours = True, ours(user.get("Tags"))  # type: ignore[arg-type]
    if login:
        try:
            profile = iam.get_login_profile(UserName=name)["LoginProfile"]
            seen.login_profile = True
            seen.reset_required = bool(profile.get("PasswordResetRequired"))
        except iam.exceptions.NoSuchEntityException:
            pass
    seen.attached = [
        p["PolicyArn"]
        for page in iam.get_paginator("list_attached_user_policies").paginate(UserName=name)
        for p in page["AttachedPolicies"]
    ]
    if groups:
        seen.groups = [
            g["GroupName"]
            for page in iam.get_paginator("list_groups_for_user").paginate(UserName=name)
            for g in page["Groups"]
        ]
    if keys:
        seen.access_keys = [k["AccessKeyId"] for k in _pages(iam, "list_access_keys", "AccessKeyMetadata", name)]
    if mfa:
        seen.mfa_serials = [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]]
    if codecommit:
        creds = iam.list_service_specific_credentials(UserName=name, ServiceName="codecommit.amazonaws.com")[
            "ServiceSpecificCredentials"
        ]
        seen.credential_ids = [c["ServiceSpecificCredentialId"] for c in creds]
        seen.service_user_name = creds[0]["ServiceUserName"] if creds else ""
    return seen


@dataclass
class ObservedGroup:
    """The group used by `grant_via=group`: whether the runbook made it, who is in it and what it grants."""

    name: str
    exists: bool = False
    ours: bool = False
    members: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)

    def others(self, user_name: str) -> list[str]:
        """Its members but `user_name`: whoever a policy attached to the group reaches besides the admin."""
        return [m for m in self.members if m != user_name]

    def grants(self) -> list[str]:
        """The names of what it grants already: managed policies, and inline ones."""
        return [arn.rsplit("/", 1)[-1] for arn in self.attached] + [f"{n} (inline)" for n in self.inline]


def observe_group(iam: IAMClient, name: str) -> ObservedGroup:
    seen = ObservedGroup(name)
    try:
        pages = list(iam.get_paginator("get_group").paginate(GroupName=name))
    except iam.exceptions.NoSuchEntityException:
        return seen
    seen.exists, seen.ours = True, pages[0]["Group"]["Path"] == GROUP_PATH
    seen.members = [u["UserName"] for page in pages for u in page["Users"]]
    seen.attached = [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]]
    seen.inline = [n for page in iam.get_paginator("list_group_policies").paginate(GroupName=name)
                   for n in page["PolicyNames"]]  # fmt: skip
    return seen


# --- writes ---------------------------------------------------------------------------------


def create_user(iam: IAMClient, name: str) -> None:
    iam.create_user(UserName=name, Tags=TAGS)  # type: ignore[arg-type]


def _user_exists(iam: IAMClient, name: str) -> None:
    iam.get_waiter("user_exists").wait(UserName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 20})


def create_login_profile(iam: IAMClient, name: str, password: str, reset_required: bool) -> None:
    """Console access; retried while a just-created user propagates."""
    propagating(
        lambda: iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset_required),
        wait=lambda: _user_exists(iam, name),
    )


def update_login_profile(iam: IAMClient, name: str, password: str, reset_required: bool) -> None:
    """A new console password for a user who has one (replace_password=True)."""
    iam.update_login_profile(UserName=name, Password=password, PasswordResetRequired=reset_required)


def attach_user_policy(iam: IAMClient, name: str, arn: str) -> None:
    propagating(
        lambda: iam.attach_user_policy(UserName=name, PolicyArn=arn),
        wait=lambda: _user_exists(iam, name),
    )


def create_group(iam: IAMClient, name: str) -> None:
    iam.create_group(GroupName=name, Path=GROUP_PATH)


def attach_group_policy(iam: IAMClient, group: str, arn: str) -> None:
    propagating(lambda: iam.attach_group_policy(GroupName=group, PolicyArn=arn))


def add_user_to_group(iam: IAMClient, group: str, user: str) -> None:
    propagating(
        lambda: iam.add_user_to_group(GroupName=group, UserName=user),
        wait=lambda: _user_exists(iam, user),
    )


# --- everything a user holds, and its removal ------------------------------------------------------


@dataclass(frozen=True)
class Holdings:
    """Everything that must go before IAM lets the user go, as read now."""

    user_name: str
    exists: bool = False
    ours: bool = False
    service_credentials: tuple[tuple[str, str], ...] = ()  # (service, credential id)
    mfa_devices: tuple[str, ...] = ()  # serials assigned to the user
    pending_devices: tuple[str, ...] = ()  # unassigned virtual devices the runbook made for it
    login_profile: bool = False
    access_keys: tuple[str, ...] = ()
    signing_certificates: tuple[str, ...] = ()
    ssh_public_keys: tuple[str, ...] = ()
    attached_policies: tuple[str, ...] = ()
    inline_policies: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def holdings(iam: IAMClient, user_name: str, pending: tuple[str, ...] = ()) -> Holdings:
    """Read the user and all it holds; a missing user costs one call. `pending`: its waiting devices, found apart."""
    try:
        user = iam.get_user(UserName=user_name)["User"]
    except iam.exceptions.NoSuchEntityException:
        return Holdings(user_name, pending_devices=pending)
    try:
        iam.get_login_profile(UserName=user_name)
        login = True
    except iam.exceptions.NoSuchEntityException:
        login = False
    credentials = iam.list_service_specific_credentials(UserName=user_name)["ServiceSpecificCredentials"]
    return Holdings(
        user_name,
        exists=True,
        ours=ours(user.get("Tags")),  # type: ignore[arg-type]
        service_credentials=tuple((c["ServiceName"], c["ServiceSpecificCredentialId"]) for c in credentials),
        mfa_devices=tuple(d["SerialNumber"] for d in _pages(iam, "list_mfa_devices", "MFADevices", user_name)),
        pending_devices=pending,
        login_profile=login,
        access_keys=tuple(k["AccessKeyId"] for k in _pages(iam, "list_access_keys", "AccessKeyMetadata", user_name)),
        signing_certificates=tuple(
            c["CertificateId"] for c in _pages(iam, "list_signing_certificates", "Certificates", user_name)
        ),
        ssh_public_keys=tuple(
            k["SSHPublicKeyId"] for k in _pages(iam, "list_ssh_public_keys", "SSHPublicKeys", user_name)
        ),
        attached_policies=tuple(
            p["PolicyArn"] for p in _pages(iam, "list_attached_user_policies", "AttachedPolicies", user_name)
        ),
        inline_policies=tuple(_pages(iam, "list_user_policies", "PolicyNames", user_name)),
        groups=tuple(g["GroupName"] for g in _pages(iam, "list_groups_for_user", "Groups", user_name)),
    )


def _pages(iam: IAMClient, operation: str, key: str, user_name: str) -> list[Any]:
    paginator = iam.get_paginator(operation)  # type: ignore[call-overload]
    return [item for page in paginator.paginate(UserName=user_name) for item in page[key]]


def delete_login_profile(iam: IAMClient, name: str) -> None:
    iam.delete_login_profile(UserName=name)


def delete_access_key(iam: IAMClient, name: str, key_id: str) -> None:
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)


def delete_signing_certificate(iam: IAMClient, name: str, certificate_id: str) -> None:
    iam.delete_signing_certificate(UserName=name, CertificateId=certificate_id)


def delete_ssh_public_key(iam: IAMClient, name: str, key_id: str) -> None:
    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key_id)


def detach_user_policy(iam: IAMClient, name: str, arn: str) -> None:
    iam.detach_user_policy(UserName=name, PolicyArn=arn)


def delete_user_policy(iam: IAMClient, name: str, policy_name: str) -> None:
    iam.delete_user_policy(UserName=name, PolicyName=policy_name)


def remove_user_from_group(iam: IAMClient, group: str, user: str) -> None:
    iam.remove_user_from_group(GroupName=group, UserName=user)


def delete_user(iam: IAMClient, name: str) -> None:
    iam.delete_user(UserName=name)
