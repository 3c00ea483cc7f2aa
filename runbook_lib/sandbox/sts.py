"""moto's STS, answering as the account's root user for keys no IAM user owns.

The runbook starts on an account that has nothing but its root user, so whoever calls
the sandbox with keys that IAM did not issue is that root user, as on a fresh account.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import moto.sts.urls
from moto.iam.models import iam_backends
from moto.sts.models import STSBackend, sts_backends
from moto.sts.responses import TokenResponse
from moto.utilities.utils import get_partition

from runbook_lib.sandbox.responses import GuardedResponse


class SandboxTokenResponse(GuardedResponse, TokenResponse):
    """STS's request handling; an action moto lacks (e.g. ``AssumeRoot``) is ``InvalidAction``, not HTML."""

    SERVICE = "sts"
    NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
    VERSION = "2011-06-15"


ROUTES = SimpleNamespace(
    url_bases=moto.sts.urls.url_bases,
    url_paths={path: SandboxTokenResponse.dispatch for path in moto.sts.urls.url_paths},
)
"""moto's STS routes, answered by :class:`SandboxTokenResponse`."""


class SandboxSTSBackend(STSBackend):
    """STS whose default caller is ``arn:aws:iam::<account>:root`` instead of moto's user."""

    @property
    def _url_module(self) -> Any:
        """moto routes a backend's requests via ``<backend's module>.urls``; route to ours."""
        return ROUTES

    def get_caller_identity(self, access_key_id: str, region: str) -> tuple[str, str, str]:
        """Roles and IAM users as moto has them; anyone else is root, whose id is the account's."""
        iam = iam_backends[self.account_id][self.partition]
        known = self.get_assumed_role_from_access_key(access_key_id) or (iam.get_user_from_access_key_id(access_key_id))
        if known:
            return super().get_caller_identity(access_key_id, region)
        root_arn = f"arn:{get_partition(region)}:iam::{self.account_id}:root"
        return self.account_id, root_arn, self.account_id


def install() -> None:
    """Make moto build :class:`SandboxSTSBackend` for every account; idempotent."""
    if sts_backends.backend is not SandboxSTSBackend:
        sts_backends.backend = SandboxSTSBackend
        sts_backends.clear()
