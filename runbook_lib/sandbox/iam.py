"""moto's IAM, made to refuse what real IAM refuses.

moto keeps IAM's state but accepts much that IAM rejects: any MFA codes, any password,
deleting a user who still has credentials, ``alice`` beside ``Alice``. A runbook
rehearsed against that would pass in the sandbox and fail on a real account, so
:class:`SandboxIAMBackend` puts IAM's rules back, one area per mixin module (``users``,
``devices``, ``credentials``, ``policies``, ``report``), and :class:`SandboxIamResponse`
(``responses.py``) adds the actions moto lacks and IAM's input checks. Both follow
moto's split: the backend holds state and rules, the response only reads parameters.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import moto.iam.urls
from moto.iam.models import iam_backends

from runbook_lib.sandbox.credentials import ServiceCredentials, ServiceSpecificCredential
from runbook_lib.sandbox.devices import VirtualMfaDevices
from runbook_lib.sandbox.policies import ManagedPolicies, SandboxAccountSummary
from runbook_lib.sandbox.report import CredentialReports
from runbook_lib.sandbox.responses import SandboxIamResponse
from runbook_lib.sandbox.root import RootState
from runbook_lib.sandbox.users import UserRules


class SandboxIAMBackend(UserRules, VirtualMfaDevices, ServiceCredentials, ManagedPolicies, CredentialReports):
    """One account's IAM, with IAM's rules on top of moto's state."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name=region_name, account_id=account_id)
        self.root = RootState()
        self.service_credentials: dict[str, ServiceSpecificCredential] = {}
        self.account_summary = SandboxAccountSummary(self)

    @property
    def _url_module(self) -> Any:
        """moto routes a backend's requests via ``<backend's module>.urls``; route to ours."""
        return ROUTES


ROUTES = SimpleNamespace(
    url_bases=moto.iam.urls.url_bases,
    url_paths={path: SandboxIamResponse.dispatch for path in moto.iam.urls.url_paths},
)
"""moto's IAM routes, answered by :class:`SandboxIamResponse` (mock_aws and server alike)."""


def account_backend(account_id: str, partition: str = "aws") -> SandboxIAMBackend:
    """The sandbox backend of one account, created on first use like moto's own."""
    backend = iam_backends[account_id][partition]
    if not isinstance(backend, SandboxIAMBackend):
        raise RuntimeError("runbook_lib.sandbox.install() must run before IAM is used")
    return backend


def install() -> None:
    """Make moto build :class:`SandboxIAMBackend` for every account; idempotent.

    Accounts moto built before this were plain moto IAM and are dropped.
    """
    if iam_backends.backend is not SandboxIAMBackend:
        iam_backends.backend = SandboxIAMBackend
        iam_backends.clear()
