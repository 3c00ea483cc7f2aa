"""The repository's paths, a free port, and a served sandbox: waited for, reset, and called as its root user."""

from __future__ import annotations

import socket
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REGION = "us-east-1"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the OS picks it), for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(endpoint: str, timeout: float = 30) -> None:
    """Until the sandbox at `endpoint` answers STS."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            sts.get_caller_identity()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def reset_sandbox(endpoint_url: str) -> None:
    """Fresh accounts, through moto's own reset endpoint."""
    request = urllib.request.Request(endpoint_url + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def root_iam(endpoint_url: str) -> IAMClient:
    """The sandbox root user's own client, to set up and read the account behind the runbook's back."""
    session = boto3.Session(SANDBOX_ROOT_ACCESS_KEY_ID, "any-secret", region_name=REGION)
    return session.client("iam", endpoint_url=endpoint_url)
