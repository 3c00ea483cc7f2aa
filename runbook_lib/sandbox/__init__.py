"""An IAM and STS sandbox that fails where real IAM fails.

moto (https://github.com/getmoto/moto) keeps IAM's state but accepts much that IAM
refuses; the runbook is rehearsed here, so the sandbox puts IAM's rules back: MFA codes
must come from the device, passwords must meet the policy, a user with credentials
cannot be deleted, and the caller is the account's root user. See ``iam.py`` for the
rules and ``server.py`` for serving it.

Importing this package stays cheap: moto loads only when a function below needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from runbook_lib.sandbox.identity import SANDBOX_ACCOUNT_ID, SANDBOX_ROOT_ACCESS_KEY_ID
from runbook_lib.sandbox.server import ROOT_STATE_PATH, Sandbox, serve_forever, start

__all__ = [
    "ROOT_STATE_PATH",
    "SANDBOX_ACCOUNT_ID",
    "SANDBOX_ROOT_ACCESS_KEY_ID",
    "Sandbox",
    "in_process",
    "install",
    "serve_forever",
    "set_root_state",
    "start",
]


def install() -> None:
    """Wire the sandbox into moto, for ``mock_aws`` and moto's server alike; idempotent.

    moto builds each account's backend from the class its ``BackendDict`` names and
    routes requests through that backend's URL table, so swapping the classes is enough.
    """
    from runbook_lib.sandbox import iam, server, sts

    iam.install()
    sts.install()
    server.install_root_state_endpoint()


@contextmanager
def in_process() -> Iterator[None]:
    """The sandbox for plain boto3 clients in this process, through ``moto.mock_aws``.

    Every entry starts from fresh accounts (``mock_aws`` resets moto's state).
    """
    install()
    from moto import mock_aws

    with mock_aws():
        yield


def set_root_state(
    *,
    access_keys: bool | None = None,
    mfa: bool | None = None,
    account_id: str = SANDBOX_ACCOUNT_ID,
) -> None:
    """Give the root user access keys or MFA, or take them away (``None`` leaves as is).

    IAM's API has no call for this, yet the runbook must see accounts in either state.
    Root starts with MFA and without access keys. A served sandbox takes the same
    settings over HTTP at :data:`ROOT_STATE_PATH`.
    """
    install()
    from runbook_lib.sandbox.iam import account_backend

    root = account_backend(account_id).root
    if access_keys is not None:
        root.access_keys = access_keys
    if mfa is not None:
        root.mfa = mfa
