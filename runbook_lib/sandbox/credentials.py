"""Service-specific credentials: a user name and password one AWS service accepts.

IAM issues them for a few services that cannot sign requests with access keys (Git over
HTTPS to CodeCommit, Cassandra drivers to Keyspaces, Bedrock API keys):
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_service-specific-creds.html

The password is shown once, when the credential is created or reset; like IAM, the
sandbox keeps only a hash of it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.iam.exceptions import LimitExceededException, NoSuchEntity
from moto.iam.models import IAMBackend

SUPPORTED_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com"})
"""The services IAM issues service-specific credentials for."""

LIMIT_PER_USER_PER_SERVICE = 2
"""IAM's quota ``ServiceSpecificCredentialsPerUserPerService``, so a user can rotate."""

_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_password() -> str:
    """A fresh random password, 44 characters like the ones IAM returns."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_credential_id() -> str:
    """An id shaped like IAM's: ``ACCA`` then 17 upper-case letters and digits."""
    return "ACCA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def password_digest(password: str) -> str:
    """What the sandbox keeps of a service password: enough to recognise it, never to show it.

    The password is 32 random bytes, so a plain SHA-256 is as good as a slow hash here.
    """
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass
class ServiceSpecificCredential:
    """One credential; attribute names are the API's, in snake case, for moto's serializer."""

    user_name: str
    service_name: str
    service_user_name: str
    create_date: datetime = field(default_factory=utcnow)
    expiration_date: datetime | None = None
    password_digest: str = ""
    service_specific_credential_id: str = field(default_factory=new_credential_id)
    status: str = "Active"

    @classmethod
    def issue(
        cls, user_name: str, service_name: str, account_id: str, age_days: int | None
    ) -> tuple[ServiceSpecificCredential, str]:
        """A new active credential and its password; the user name is ``<user>-at-<account id>``."""
        credential = cls(user_name, service_name, service_user_name=f"{user_name}-at-{account_id}")
        if age_days is not None:
            credential.expiration_date = credential.create_date + timedelta(days=age_days)
        return credential, credential.reset()

    def reset(self) -> str:
        """A new password, returned once; the old one stops working."""
        password = new_password()
        self.password_digest = password_digest(password)
        return password

    def with_password(self, password: str) -> dict[str, Any]:
        """The answer of Create and Reset: the credential and, this once, its password."""
        shown = {
            "CreateDate": self.create_date,
            "ServiceName": self.service_name,
            "ServicePassword": password,
            "ServiceSpecificCredentialId": self.service_specific_credential_id,
            "ServiceUserName": self.service_user_name,
            "Status": self.status,
            "UserName": self.user_name,
        }
        if self.expiration_date is not None:
            shown["ExpirationDate"] = self.expiration_date
        return shown


class ServiceCredentials(IAMBackend):
    """The service-specific credential actions moto lacks (a mixin of the sandbox backend)."""

    service_credentials: dict[str, ServiceSpecificCredential]

    def _credentials_of(self, user_name: str, service_name: str | None = None) -> list[ServiceSpecificCredential]:
        return [
            credential
            for credential in self.service_credentials.values()
            if credential.user_name == user_name and service_name in (None, credential.service_name)
        ]

    @staticmethod
    def _check_service(service_name: str) -> None:
        """IAM answers ``NoSuchEntity`` (404), not the reference's ``NotSupportedService`` (recorded 2025-2026)."""
        if service_name not in SUPPORTED_SERVICES:
            raise NoSuchEntity(f"No such service {service_name} is supported for Service Specific Credentials")

    def create_service_specific_credential(
        self, user_name: str, service_name: str, credential_age_days: int | None = None
    ) -> tuple[ServiceSpecificCredential, str]:
        """At most two per user and service, so that one can be rotated at a time."""
        self.get_user(user_name)
        self._check_service(service_name)
        if len(self._credentials_of(user_name, service_name)) >= LIMIT_PER_USER_PER_SERVICE:
            raise LimitExceededException(
                f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {LIMIT_PER_USER_PER_SERVICE}"
            )
        credential, password = ServiceSpecificCredential.issue(
            user_name, service_name, self.account_id, credential_age_days
        )
        self.service_credentials[credential.service_specific_credential_id] = credential
        return credential, password

    def list_service_specific_credentials(
        self, user_name: str | None, service_name: str | None, all_users: bool = False
    ) -> list[ServiceSpecificCredential]:
        if service_name is not None:
            self._check_service(service_name)
        if all_users:
            return [
                credential
                for credential in self.service_credentials.values()
                if service_name in (None, credential.service_name)
            ]
        if user_name is None:
            return []
        self.get_user(user_name)
        return self._credentials_of(user_name, service_name)

    def get_service_specific_credential(self, credential_id: str, user_name: str | None) -> ServiceSpecificCredential:
        """The credential, which must belong to ``user_name`` when one is given."""
        if user_name is not None:
            self.get_user(user_name)
        credential = self.service_credentials.get(credential_id)
        if credential is None or user_name not in (None, credential.user_name):
            raise NoSuchEntity(f"No such credential {credential_id} exists")
        return credential

    def reset_service_specific_credential(
        self, credential_id: str, user_name: str | None
    ) -> tuple[ServiceSpecificCredential, str]:
        credential = self.get_service_specific_credential(credential_id, user_name)
        return credential, credential.reset()

    def update_service_specific_credential(self, credential_id: str, status: str, user_name: str | None) -> None:
        self.get_service_specific_credential(credential_id, user_name).status = status

    def delete_service_specific_credential(self, credential_id: str, user_name: str | None) -> None:
        self.get_service_specific_credential(credential_id, user_name)
        del self.service_credentials[credential_id]
