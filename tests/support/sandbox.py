"""What the sandbox tests share: a target to call, and helpers for IAM's answers."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pyotp
import pytest
import zxingcpp
from botocore.exceptions import ClientError
from PIL import Image

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient

REGION = "us-east-1"


@dataclass
class Target:
    """One way of reaching the sandbox, with clients signed by the root user's key."""

    mode: str
    endpoint_url: str | None
    iam: IAMClient
    sts: STSClient
    set_root_state: Callable[..., None]

    def sts_as(self, access_key_id: str, secret_access_key: str) -> STSClient:
        """An STS client signed with someone else's keys."""
        session = boto3.Session(access_key_id, secret_access_key, region_name=REGION)
        return session.client("sts", endpoint_url=self.endpoint_url)

    def iam_as(self, access_key_id: str, secret_access_key: str, session_token: str | None = None) -> IAMClient:
        """An IAM client signed with someone else's keys (or a role session's)."""
        session = boto3.Session(access_key_id, secret_access_key, session_token, region_name=REGION)
        return session.client("iam", endpoint_url=self.endpoint_url)

    @contextmanager
    def fails(self, code: str, status: int) -> Iterator[pytest.ExceptionInfo[ClientError]]:
        """Expect the call inside to fail with IAM's error ``code`` and HTTP ``status``."""
        with pytest.raises(ClientError) as caught:
            yield caught
        error = caught.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            code,
            status,
        ), error["Error"].get("Message")

    def new_user(self, name: str = "alice") -> str:
        self.iam.create_user(UserName=name)
        return name

    def enable_mfa(self, user: str, serial: str, codes: tuple[str, str]) -> None:
        self.iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1=codes[0], AuthenticationCode2=codes[1]
        )

    def new_device(self, name: str = "alice-phone") -> tuple[str, str]:
        """A virtual MFA device: its serial number and its seed."""
        device = self.iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        return device["SerialNumber"], device["Base32StringSeed"].decode()


def current_codes(seed: str, now: float | None = None) -> tuple[str, str]:
    """The previous and the current TOTP code, as a person reads two off the app."""
    totp = pyotp.TOTP(seed)
    now = time.time() if now is None else now
    return totp.at(now - 30), totp.at(now)


def post_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def read_qr(png: bytes) -> str:
    """The text of the one QR code in ``png``, as any QR reader would see it.

    Only QR codes are looked for: with every format on, zxing sometimes also finds a
    1-D barcode among a QR code's modules.
    """
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    return str(barcode.text)
