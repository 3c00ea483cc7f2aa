"""CodeCommit HTTPS Git credentials: a service-specific credential, at most two per user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .aws import propagating

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

SERVICE = "codecommit.amazonaws.com"
LIMIT = 2  # IAM's per-user, per-service quota for service-specific credentials


@dataclass(frozen=True)
class GitCredential:
    """What the user types at `git clone`; the password is shown once and never again."""

    credential_id: str
    username: str
    password: str


def host(region: str) -> str:
    return f"git-codecommit.{region}.amazonaws.com"


def clone_url(region: str, repository: str = "REPOSITORY") -> str:
    return f"https://{host(region)}/v1/repos/{repository}"


def create(iam: IAMClient, user_name: str) -> GitCredential:
    c = propagating(lambda: iam.create_service_specific_credential(UserName=user_name, ServiceName=SERVICE))[
        "ServiceSpecificCredential"
    ]
    return GitCredential(c["ServiceSpecificCredentialId"], c["ServiceUserName"], c["ServicePassword"])


def reset(iam: IAMClient, user_name: str, credential_id: str) -> GitCredential:
    """A new password for an existing credential; the old one stops working."""
    c = iam.reset_service_specific_credential(UserName=user_name, ServiceSpecificCredentialId=credential_id)[
        "ServiceSpecificCredential"
    ]
    return GitCredential(c["ServiceSpecificCredentialId"], c["ServiceUserName"], c["ServicePassword"])


def delete(iam: IAMClient, user_name: str, credential_id: str) -> None:
    iam.delete_service_specific_credential(UserName=user_name, ServiceSpecificCredentialId=credential_id)
