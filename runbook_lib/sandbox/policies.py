"""Managed policies by IAM's rules: AWS's policies always present, 10 attached per identity.

- Every account has AWS's managed policies (moto makes them opt-in); the sandbox loads
  them on first use, as building ~1,500 policies is the slowest thing the backend does.
- A user, group or role takes at most 10 managed policies (IAM's default quota,
  ``LimitExceeded`` 409): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
- Attaching a policy twice attaches it once.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import TYPE_CHECKING, Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.exceptions import LimitExceededException, NoSuchEntity
from moto.iam.models import AccountSummary, AWSManagedPolicy, Group, IAMBackend, ManagedPolicy, Role, User

if TYPE_CHECKING:
    from runbook_lib.sandbox.root import RootState

POLICIES_PER_IDENTITY = 10
"""IAM's default quota of managed policies attached to one user, group or role."""


@functools.cache
def _aws_policy_documents() -> dict[str, Any]:
    """AWS's managed policies, parsed once per process and shared by every account."""
    documents: dict[str, Any] = json.loads(aws_managed_policies_data)
    return documents


def _counted(policy: ManagedPolicy) -> ManagedPolicy:
    """A policy answers ``PermissionsBoundaryUsageCount`` as IAM's do; none is a boundary in the sandbox."""
    vars(policy)["permissions_boundary_usage_count"] = 0
    return policy


class SandboxAccountSummary(AccountSummary):
    """The account summary, with the root user's state and without loading AWS's policies.

    Both customer-policy counts only concern policies the account made, so they are
    counted from the policies loaded so far.
    """

    def __init__(self, backend: ManagedPolicies) -> None:
        super().__init__(backend)
        self._sandbox = backend

    @property
    def summary_map(self) -> dict[str, Any]:
        summary: dict[str, Any] = super().summary_map
        summary["AccountMFAEnabled"] = int(self._sandbox.root.mfa)
        summary["AccountAccessKeysPresent"] = int(self._sandbox.root.access_keys)
        summary["AccountPasswordPresent"] = 1  # the root user's password, as a standalone account has it
        return summary

    @property
    def _policies(self) -> int:
        policies = self._sandbox.policies_loaded_so_far()
        return sum(not isinstance(policy, AWSManagedPolicy) for policy in policies)

    @property
    def _policy_versions_in_use(self) -> int:
        return sum(policy.attachment_count for policy in self._sandbox.policies_loaded_so_far())


class ManagedPolicies(IAMBackend):
    """AWS's managed policies, loaded lazily, and the attachment quota (a mixin of the sandbox backend)."""

    root: RootState
    _aws_policies_loaded = False
    _policy_lock = threading.Lock()

    def _init_aws_policies(self) -> list[ManagedPolicy]:
        return []

    def _init_managed_policies(self) -> dict[str, ManagedPolicy]:
        return {}

    @property
    def aws_managed_policies(self) -> list[ManagedPolicy]:
        self._load_aws_policies()
        return self._aws_managed_policies

    @aws_managed_policies.setter
    def aws_managed_policies(self, policies: list[ManagedPolicy]) -> None:
        self._aws_managed_policies = policies

    @property
    def managed_policies(self) -> dict[str, ManagedPolicy]:
        self._load_aws_policies()
        return self._managed_policies

    @managed_policies.setter
    def managed_policies(self, policies: dict[str, ManagedPolicy]) -> None:
        self._managed_policies = policies

    def policies_loaded_so_far(self) -> list[ManagedPolicy]:
        """The managed policies, without loading AWS's if nothing needed them yet."""
        return list(self._managed_policies.values())

    def _load_aws_policies(self) -> None:
        """Load AWS's managed policies, as real accounts have them, without moto's opt-in.

        moto builds a backend per partition per account seen, so this waits until a call needs them.
        """
        if self._aws_policies_loaded:
            return
        with self._policy_lock:
            if self._aws_policies_loaded:
                return
            aws_policies: list[ManagedPolicy] = [
                _counted(AWSManagedPolicy.from_data(name, self.account_id, self.region_name, document))
                for name, document in _aws_policy_documents().items()
            ]
            self._aws_managed_policies = aws_policies
            self._managed_policies = {p.arn: p for p in aws_policies} | self._managed_policies
            self._aws_policies_loaded = True

    def create_policy(
        self, description: str, path: str, policy_document: str, policy_name: str, tags: list[dict[str, str]]
    ) -> ManagedPolicy:
        return _counted(super().create_policy(description, path, policy_document, policy_name, tags))

    # Attaching: idempotent, and at most 10 per identity

    def _attachable(self, policy_arn: str) -> ManagedPolicy:
        policy = self.managed_policies.get(policy_arn)
        if policy is None:
            raise NoSuchEntity(f"Policy {policy_arn} does not exist or is not attachable.")
        return policy

    @staticmethod
    def _attach(policy: ManagedPolicy, identity: User | Group | Role, kind: str) -> None:
        if policy.arn in identity.managed_policies:
            return
        if len(identity.managed_policies) >= POLICIES_PER_IDENTITY:
            raise LimitExceededException(f"Cannot exceed quota for PoliciesPer{kind}: {POLICIES_PER_IDENTITY}")
        policy.attach_to(identity)

    def attach_user_policy(self, policy_arn: str, user_name: str) -> None:
        self._attach(self._attachable(policy_arn), self.get_user(user_name), "User")

    def attach_group_policy(self, policy_arn: str, group_name: str) -> None:
        self._attach(self._attachable(policy_arn), self.get_group(group_name), "Group")

    def attach_role_policy(self, policy_arn: str, role_name: str) -> None:
        self._attach(self._attachable(policy_arn), self.get_role(role_name), "Role")
