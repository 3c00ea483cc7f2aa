"""The account's root user, as IAM reports it: IAM has it, but no API call changes it.

The sandbox's caller is the root user (see ``sts.py``). IAM answers the reads that take
an optional ``UserName`` for the caller when the name is left out; for the root user that
means root's own user record, MFA devices and access keys, never an IAM user's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow

from runbook_lib.sandbox.identity import SANDBOX_ROOT_ACCESS_KEY_ID

ROOT_SECURITY_KEY = "SandboxRootKey"
"""The name of root's MFA device: a FIDO security key, so not a virtual MFA device."""


@dataclass
class RootState:
    """What the account's root user has. IAM reports it but cannot change it."""

    mfa: bool = True
    access_keys: bool = False
    created: datetime = field(default_factory=utcnow)

    def user(self, account_id: str, partition: str) -> dict[str, Any]:
        """``GetUser`` without a name, called by root: root's id is the account's, and it has no name."""
        return {"UserId": account_id, "Arn": f"arn:{partition}:iam::{account_id}:root", "CreateDate": self.created}

    def mfa_devices(self, account_id: str, partition: str) -> list[dict[str, Any]]:
        """``ListMFADevices`` without a name: root's security key, while it has MFA."""
        if not self.mfa:
            return []
        serial = f"arn:{partition}:iam::{account_id}:u2f/root/{ROOT_SECURITY_KEY}"
        return [{"SerialNumber": serial, "EnableDate": self.created}]

    def access_key_metadata(self) -> list[dict[str, Any]]:
        """``ListAccessKeys`` without a name: root's key is the one that signs the sandbox's requests."""
        if not self.access_keys:
            return []
        return [{"AccessKeyId": SANDBOX_ROOT_ACCESS_KEY_ID, "Status": "Active", "CreateDate": self.created}]
