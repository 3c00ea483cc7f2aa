"""Service-specific credentials: a user name and password one AWS service accepts.

IAM issues them for a few services that cannot sign requests with access keys (Git over
HTTPS to CodeCommit, Cassandra drivers to Keyspaces, Bedrock API keys):
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_service-specific-creds.html
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from moto.core.utils import utcnow

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


@dataclass
class ServiceSpecificCredential:
    """One credential; attribute names are the API's, in snake case, for moto's serializer."""

    user_name: str
    service_name: str
    service_user_name: str
    create_date: datetime = field(default_factory=utcnow)
    expiration_date: datetime | None = None
    service_password: str = field(default_factory=new_password, repr=False)
    service_specific_credential_id: str = field(default_factory=new_credential_id)
    status: str = "Active"

    @classmethod
    def issue(
        cls, user_name: str, service_name: str, account_id: str, age_days: int | None
    ) -> ServiceSpecificCredential:
        """A new active credential; its user name is ``<user>-at-<account id>``, as IAM makes it."""
        credential = cls(user_name, service_name, service_user_name=f"{user_name}-at-{account_id}")
        if age_days is not None:
            credential.expiration_date = credential.create_date + timedelta(days=age_days)
        return credential

    def reset(self) -> None:
        """Replace the password, so the old one no longer signs in."""
        self.service_password = new_password()
