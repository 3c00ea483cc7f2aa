"""What the replay shares with its fixtures: where to send calls, and the clients that send them."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.client import BaseClient

from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID

REGION = "us-east-1"


@dataclass
class Endpoint:
    """Where the replay sends its calls; ``endpoint_url`` is None in process."""

    mode: str
    endpoint_url: str | None

    def client(
        self,
        service: str,
        access_key_id: str = SANDBOX_ROOT_ACCESS_KEY_ID,
        secret_access_key: str = "any-secret",
        session_token: str | None = None,
    ) -> BaseClient:
        """A client signed with these keys (the root user's by default), made once per session."""
        key = (self.endpoint_url, service, access_key_id, secret_access_key, session_token)
        if key not in _CLIENTS:
            session = boto3.Session(access_key_id, secret_access_key, session_token, region_name=REGION)
            _CLIENTS[key] = session.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]
        return _CLIENTS[key]


_CLIENTS: dict[tuple[str | None, ...], BaseClient] = {}
"""Making a client costs more than most calls, and a client outlives the accounts it calls."""
