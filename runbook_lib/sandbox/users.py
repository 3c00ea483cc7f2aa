"""Users, groups and roles by IAM's rules: names, deletes, console passwords, membership.

- Names of users, groups, roles and customer managed policies are unique without
  regard to case (``alice`` and ``Alice`` cannot both exist) and found without regard
  to case: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
- A user with anything attached cannot be deleted (``DeleteConflict``).
- A console password must meet the password policy, and is kept only as a hash.

Messages are worded as IAM words them where an answer was recorded on real AWS
(LocalStack's ``tests/aws/services/iam/*.snapshot.json``, see ``tests/conformance``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, NoSuchEntity
from moto.iam.models import Group, IAMBackend, ManagedPolicy, Role, User

from runbook_lib.sandbox import passwords, report
from runbook_lib.sandbox.credentials import ServiceSpecificCredential
from runbook_lib.sandbox.exceptions import PasswordPolicyViolation


def find_ignoring_case(entities: Iterable[str], name: str) -> str | None:
    """The stored name equal to ``name`` without regard to case, if any."""
    wanted = name.casefold()
    return next((stored for stored in entities if stored.casefold() == wanted), None)


class UserRules(IAMBackend):
    """IAM's rules for users, groups and roles (a mixin of the sandbox backend)."""

    service_credentials: dict[str, ServiceSpecificCredential]

    # Names

    def stored_name(self, kind: str, name: str) -> str:
        """The name as stored, for a user (``"user"``), group or role named without regard to case."""
        if kind == "role":
            names: Iterable[str] = (role.name for role in self.roles.values())
        else:
            names = self.users if kind == "user" else self.groups
        return find_ignoring_case(names, name) or name

    def create_user(
        self, region_name: str, user_name: str, path: str = "/", tags: list[dict[str, str]] | None = None
    ) -> User:
        if find_ignoring_case(self.users, user_name) is not None:
            raise EntityAlreadyExists(f"User with name {user_name} already exists.")
        return super().create_user(region_name, user_name, path, tags)

    def update_user(self, user_name: str, new_path: str | None = None, new_user_name: str | None = None) -> None:
        """IAM's message for an unknown user; a new name must be free without regard to case."""
        self.get_user(user_name)
        taken = find_ignoring_case(self.users, new_user_name) if new_user_name else None
        if taken is not None and taken != user_name:
            raise EntityAlreadyExists(f"User with name {new_user_name} already exists.")
        super().update_user(user_name, new_path, new_user_name)

    def create_group(self, group_name: str, path: str = "/") -> Group:
        if find_ignoring_case(self.groups, group_name) is not None:
            raise EntityAlreadyExists(f"Group with name {group_name} already exists.")
        return super().create_group(group_name, path)

    def get_group(self, group_name: str) -> Group:
        group = self.groups.get(group_name)
        if group is None:
            raise NoSuchEntity(f"The group with name {group_name} cannot be found.")
        return group

    def create_role(self, role_name: str, *args: Any, **kwargs: Any) -> Role:
        if find_ignoring_case((role.name for role in self.roles.values()), role_name) is not None:
            raise EntityAlreadyExists(f"Role with name {role_name} already exists.")
        return super().create_role(role_name, *args, **kwargs)

    def create_policy(
        self, description: str, path: str, policy_document: str, policy_name: str, tags: list[dict[str, str]]
    ) -> ManagedPolicy:
        """A customer managed policy's name is unique in the account, whatever its path or case."""
        own = (p.name for p in self.managed_policies.values() if p.arn.split(":")[4] == self.account_id)
        if find_ignoring_case(own, policy_name) is not None:
            raise EntityAlreadyExists(f"A policy called {policy_name} already exists. Duplicate names are not allowed.")
        return super().create_policy(description, path, policy_document, policy_name, tags)

    # Group membership: IAM looks the user up first

    def add_user_to_group(self, group_name: str, user_name: str) -> None:
        self.get_user(user_name)
        self.get_group(group_name)
        super().add_user_to_group(group_name, user_name)

    def remove_user_from_group(self, group_name: str, user_name: str) -> None:
        """Removing a user who is not in the group succeeds, as recorded (2026-02-11)."""
        user = self.get_user(user_name)
        group = self.get_group(group_name)
        if user in group.users:
            group.users.remove(user)

    # SSH public keys: IAM's message for an unknown key id

    def _check_ssh_key(self, user_name: str, key_id: str) -> None:
        if all(key.ssh_public_key_id != key_id for key in self.get_user(user_name).ssh_public_keys):
            raise NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")

    def get_ssh_public_key(self, user_name: str, ssh_public_key_id: str) -> Any:
        self._check_ssh_key(user_name, ssh_public_key_id)
        return super().get_ssh_public_key(user_name, ssh_public_key_id)

    def update_ssh_public_key(self, user_name: str, ssh_public_key_id: str, status: str) -> None:
        self._check_ssh_key(user_name, ssh_public_key_id)
        super().update_ssh_public_key(user_name, ssh_public_key_id, status)

    def delete_ssh_public_key(self, user_name: str, ssh_public_key_id: str) -> None:
        self._check_ssh_key(user_name, ssh_public_key_id)
        super().delete_ssh_public_key(user_name, ssh_public_key_id)

    # Deleting a user

    def delete_user(self, user_name: str) -> None:
        """IAM refuses to delete a user who still has anything attached."""
        leftover = next(self._leftovers(self.get_user(user_name)), None)
        if leftover is not None:
            raise DeleteConflictException(f"Cannot delete entity, must {leftover} first.")
        super().delete_user(user_name)

    def _leftovers(self, user: User) -> Iterator[str]:
        """What must go before ``user`` can be deleted, as IAM words it."""
        if user.password is not None:
            yield "delete login profile"
        if user.mfa_devices:
            yield "delete MFA device"
        if user.access_keys:
            yield "delete access keys"
        if any(c.user_name == user.name for c in self.service_credentials.values()):
            yield "remove referenced objects"
        if user.signing_certificates:
            yield "delete signing certificates"
        if user.ssh_public_keys:
            yield "delete SSH public keys"
        if user.managed_policies:
            yield "detach all policies"
        if user.policies:
            yield "delete policies"
        if self.get_groups_for_user(user.name):
            yield "remove user from all groups"

    # Console passwords

    def _check_password(self, user_name: str, password: str) -> None:
        rules = passwords.rules_for(self.account_password_policy)
        broken = passwords.violations(password, rules, user_name)
        if broken:
            raise PasswordPolicyViolation("; ".join(broken))

    def create_login_profile(self, user_name: str, password: str, password_reset_required: bool = False) -> User:
        """IAM checks the password policy, keeps ``PasswordResetRequired``, and stores no password."""
        user = self.get_user(user_name)
        if user.password is not None:
            raise EntityAlreadyExists(f"Login Profile for user {user_name} already exists.")
        self._check_password(user_name, password)
        user.password = passwords.password_hash(password)
        user.password_reset_required = password_reset_required
        report.mark_password_changed(user)
        return user

    def get_login_profile(self, user_name: str) -> User:
        user = self.get_user(user_name)
        if user.password is None:
            raise NoSuchEntity(f"Login Profile for User {user_name} cannot be found.")
        return user

    def update_login_profile(self, user_name: str, password: str | None, password_reset_required: bool | None) -> User:
        """Either field may be left out, leaving it as it was; a new password is checked, then hashed."""
        user = self.get_login_profile(user_name)
        if password is not None:
            self._check_password(user_name, password)
            user.password = passwords.password_hash(password)
            report.mark_password_changed(user)
        if password_reset_required is not None:
            user.password_reset_required = password_reset_required
        return user

    def delete_login_profile(self, user_name: str) -> None:
        self.get_login_profile(user_name).password = None
