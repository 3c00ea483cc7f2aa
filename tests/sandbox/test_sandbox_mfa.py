"""Virtual MFA devices, as IAM creates, enables and deletes them.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateVirtualMFADevice.html
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from runbook_lib.sandbox.iam import account_backend
from tests.support.sandbox import Target, current_codes, read_qr

if TYPE_CHECKING:
    from mypy_boto3_iam.type_defs import TagTypeDef


def test_enable_accepts_two_consecutive_current_codes_of_the_devices_seed(aws: Target) -> None:
    user = aws.new_user()
    serial, seed = aws.new_device()

    aws.enable_mfa(user, serial, current_codes(seed))

    devices = aws.iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]


def _wrong_codes(seed: str) -> dict[str, tuple[str, str]]:
    totp, now = pyotp.TOTP(seed), time.time()
    previous, current = current_codes(seed, now)
    return {
        "made up": ("123456", "654321"),
        "in reverse order": (current, previous),
        "the same code twice": (current, current),
        "a step apart": (totp.at(now - 60), current),
        "from an hour ago": current_codes(seed, now - 3600),
        "from another seed": current_codes(pyotp.random_base32(), now),
    }


@pytest.mark.parametrize(
    "case",
    [
        "made up",
        "in reverse order",
        "the same code twice",
        "a step apart",
        "from an hour ago",
        "from another seed",
    ],
)
def test_enable_with_codes_that_are_not_consecutive_and_current_is_InvalidAuthenticationCode_403(
    aws: Target, case: str
) -> None:
    user = aws.new_user()
    serial, seed = aws.new_device()
    with aws.fails("InvalidAuthenticationCode", 403):
        aws.enable_mfa(user, serial, _wrong_codes(seed)[case])
    assert aws.iam.list_mfa_devices(UserName=user)["MFADevices"] == []


@pytest.mark.parametrize(("steps_back", "accepted"), [(0, True), (1, True), (2, True), (3, False)])
def test_enable_takes_a_pair_whose_first_code_is_at_most_two_steps_old(
    aws: Target, steps_back: int, accepted: bool
) -> None:
    """IAM allows for the time it takes to type the codes, not for codes read long ago."""
    user = aws.new_user()
    serial, seed = aws.new_device()
    if steps_back == 2 and time.time() % 30 > 29:  # keep the server's "now" in this step
        time.sleep(1.5)
    codes = current_codes(seed, time.time() - 30 * steps_back + 30)

    if accepted:
        aws.enable_mfa(user, serial, codes)
    else:
        with aws.fails("InvalidAuthenticationCode", 403):
            aws.enable_mfa(user, serial, codes)


def test_enable_an_unknown_serial_number_is_NoSuchEntity_404(aws: Target) -> None:
    user = aws.new_user()
    with aws.fails("NoSuchEntity", 404):
        aws.iam.enable_mfa_device(
            UserName=user,
            SerialNumber=f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:mfa/nothing",
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )


def test_enable_a_device_already_assigned_is_EntityAlreadyExists_409(aws: Target) -> None:
    first, second = aws.new_user("first"), aws.new_user("second")
    serial, seed = aws.new_device()
    codes = current_codes(seed)
    aws.enable_mfa(first, serial, codes)
    with aws.fails("EntityAlreadyExists", 409):
        aws.enable_mfa(second, serial, codes)


def test_qr_code_is_a_png_of_the_otpauth_uri_for_the_seed(aws: Target) -> None:
    """Any QR reader gets ``otpauth://totp/Amazon Web Services:<device>@<account>?secret=<seed>``."""
    device = aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]

    uri = urlparse(read_qr(device["QRCodePNG"]))
    query = parse_qs(uri.query)

    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Amazon Web Services:alice-phone@{SANDBOX_ACCOUNT_ID}"
    assert query["secret"] == [device["Base32StringSeed"].decode()]
    assert query["issuer"] == ["Amazon Web Services"]


def test_create_with_a_name_already_taken_is_EntityAlreadyExists_409(aws: Target) -> None:
    aws.new_device("alice-phone")
    with aws.fails("EntityAlreadyExists", 409):
        aws.new_device("alice-phone")


def test_create_keeps_the_tags(aws: Target) -> None:
    tags: list[TagTypeDef] = [{"Key": "owner", "Value": "alice"}, {"Key": "kind", "Value": "phone"}]
    device = aws.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone", Tags=tags)["VirtualMFADevice"]

    assert device["Tags"] == tags
    assert aws.iam.list_mfa_device_tags(SerialNumber=device["SerialNumber"])["Tags"] == tags


def test_delete_a_device_still_assigned_is_DeleteConflict_409(aws: Target) -> None:
    user = aws.new_user()
    serial, seed = aws.new_device()
    aws.enable_mfa(user, serial, current_codes(seed))

    with aws.fails("DeleteConflict", 409):
        aws.iam.delete_virtual_mfa_device(SerialNumber=serial)

    aws.iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    aws.iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert aws.iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_list_never_returns_the_seed_or_the_qr_code(aws: Target) -> None:
    """IAM returns Base32StringSeed and QRCodePNG once, from CreateVirtualMFADevice, never from
    ListVirtualMFADevices (moto repeats them there)."""
    serial, _ = aws.new_device()
    listed = aws.iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assert all("Base32StringSeed" not in d and "QRCodePNG" not in d for d in listed)


def test_the_sandbox_keeps_neither_code_once_a_device_is_enabled(aws: Target) -> None:
    """The codes are spent once used; IAM has no call that returns them, so nothing keeps them."""
    user = aws.new_user()
    serial, seed = aws.new_device()
    codes = current_codes(seed)
    aws.enable_mfa(user, serial, codes)
    device = account_backend(SANDBOX_ACCOUNT_ID).get_user(user).mfa_devices[serial]
    assert not set(codes) & {device.authentication_code_1, device.authentication_code_2}
