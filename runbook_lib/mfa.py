"""Virtual MFA: the device, its otpauth URI and QR code, and the two consecutive codes that enable it.

Codes are checked locally against the seed before the call to IAM, so a typo, swapped codes, a
repeated code and a phone clock that is off each get their own message instead of IAM's one
`InvalidAuthenticationCode`.
"""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .aws import propagating
from .errors import CodeError
from .users import TAGS, ours

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

ISSUER = "Amazon Web Services"
STEP = 30  # RFC 6238 time step, seconds
FLOW_TAG = "runbook-mfa-flow"
ID_TAG = "runbook-device-id"
"""A random id the device is tagged with and its seed is recorded with: IAM gives a re-created device the same
serial, so the serial alone cannot tell whose seed a secrets file holds."""
Flow = Literal["defer", "direct"]
"""How a device is to be enabled: codes in this run ("direct"), or in a later one ("defer")."""


@dataclass(frozen=True)
class VirtualDevice:
    """A device created but not yet enabled. `seed` is known only to the run that created it (and its secrets file)."""

    serial: str
    seed: str | None = field(default=None, repr=False)
    deferred: bool = False
    device_id: str = ""


def otpauth_uri(seed: str, device_name: str, account_id: str) -> str:
    """The key URI authenticator apps import (Google's Key Uri Format), as IAM's QR code holds."""
    import pyotp

    return pyotp.TOTP(seed).provisioning_uri(name=f"{device_name}@{account_id}", issuer_name=ISSUER)


def qr_png(uri: str) -> bytes:
    """A PNG of the URI's QR code (qrcode, imported only when a QR is actually needed)."""
    import qrcode

    image = qrcode.make(uri, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_text(uri: str) -> str:
    """The QR code as text art for a terminal (never written into a notebook)."""
    import qrcode

    code = qrcode.QRCode(border=2)
    code.add_data(uri)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def current_codes(seed: str, now: float | None = None) -> tuple[str, str]:
    """Two consecutive codes with no wait: the previous 30-second window's and the current one's."""
    import pyotp

    totp = pyotp.TOTP(seed)
    t = time.time() if now is None else now
    return totp.at(t - STEP), totp.at(t)


Verdict = Literal["ok", "typo", "swapped", "same", "skew"]

MESSAGES: dict[Verdict, str] = {
    "ok": "The codes match the device.",
    "typo": "These codes do not come from this device. Check the digits, and that you scanned this QR code.",
    "swapped": "The codes are in the wrong order: enter the earlier code first, then the next one.",
    "same": "Both codes are the same. Wait for the app to show a new code, then enter that as the second.",
    "skew": "The codes belong to another time: your phone's clock is off. Set it to automatic time, then try again.",
}


def check_codes(seed: str, first: str, second: str, now: float | None = None) -> Verdict:
    """Diagnose two codes against the seed, allowing one window of drift, as IAM does."""
    import pyotp

    totp = pyotp.TOTP(seed)
    t = int(time.time() if now is None else now) // STEP
    if first == second:
        return "same"
    near = range(t - 2, t + 2)
    for w in near:
        if totp.at(w * STEP) == first and totp.at((w + 1) * STEP) == second:
            return "ok"
        if totp.at(w * STEP) == second and totp.at((w + 1) * STEP) == first:
            return "swapped"
    far = range(t - 20, t + 21)
    for w in far:
        if totp.at(w * STEP) == first and totp.at((w + 1) * STEP) == second:
            return "skew"
    return "typo"


def require_valid(seed: str, first: str, second: str, parameter: str) -> None:
    verdict = check_codes(seed, first, second)
    if verdict != "ok":
        raise CodeError(MESSAGES[verdict], parameter=parameter, fix="Enter two new consecutive codes.")


USER_TAG = "runbook-user"
"""The tag naming the user a device was made for: what ties a device waiting for codes to its user."""


@dataclass(frozen=True)
class NamedDevice:
    """The virtual device of a name, and whom it can be tied to: the user it is assigned to, or, while it
    waits for codes, the user its tags name (empty for a device the runbook did not make, or made for no one)."""

    serial: str
    assigned_to: str = ""
    made_for: str = ""
    deferred: bool = False
    device_id: str = ""

    def tied_to(self, user_name: str) -> bool:
        return user_name in (self.assigned_to, self.made_for)

    def holder(self) -> str:
        """Whose it is, for a message that says why the name is taken."""
        if self.assigned_to:
            return f"assigned to user {self.assigned_to}"
        if self.made_for:
            return f"made by this runbook for user {self.made_for}, waiting for codes"
        return "not made by this runbook for any user"


def _waiting(iam: IAMClient, serial: str) -> NamedDevice:
    """An unassigned device, tied by its tags (ListMFADeviceTags: list calls need not carry them)."""
    tags = iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]
    if not ours(tags):  # type: ignore[arg-type]
        return NamedDevice(serial)
    values = {t["Key"]: t["Value"] for t in tags}
    return NamedDevice(
        serial,
        made_for=values.get(USER_TAG, ""),
        deferred=values.get(FLOW_TAG) == "defer",
        device_id=values.get(ID_TAG, ""),
    )


def named(iam: IAMClient, device_name: str) -> NamedDevice | None:
    """The virtual device called `device_name`, whoever holds it (IAM allows one of a name), or None."""
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Any"):
        for device in page["VirtualMFADevices"]:
            serial = device["SerialNumber"]
            if serial.endswith(f":mfa/{device_name}"):  # the runbook makes its devices at path /
                user = device.get("User", {}).get("UserName", "")
                return NamedDevice(serial, assigned_to=user) if user else _waiting(iam, serial)
    return None


def find_pending(iam: IAMClient, user_name: str) -> list[VirtualDevice]:
    """The unassigned virtual devices this runbook made for `user_name`, whatever their names.

    A device is tied to a user by the tag the runbook put on it, never by its name: another user's
    run may have used the same name (`mfa_device_name`), and a name alone proves nothing.
    """
    found = []
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Unassigned"):
        for device in page["VirtualMFADevices"]:
            seen = _waiting(iam, device["SerialNumber"])
            if seen.made_for == user_name:
                found.append(VirtualDevice(seen.serial, deferred=seen.deferred, device_id=seen.device_id))
    return found


def create_device(iam: IAMClient, device_name: str, user_name: str, flow: Flow) -> VirtualDevice:
    """Create the device, tagged with the user it is for; the seed comes back once, here, and never again."""
    device_id = uuid.uuid4().hex
    tags = [
        *TAGS,
        {"Key": USER_TAG, "Value": user_name},
        {"Key": FLOW_TAG, "Value": flow},
        {"Key": ID_TAG, "Value": device_id},
    ]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name, Tags=tags)["VirtualMFADevice"]  # type: ignore[arg-type]
    seed = (
        device["Base32StringSeed"].decode()
        if isinstance(device["Base32StringSeed"], bytes)
        else str(device["Base32StringSeed"])
    )
    return VirtualDevice(serial=device["SerialNumber"], seed=seed, deferred=flow == "defer", device_id=device_id)


def enable(iam: IAMClient, user_name: str, serial: str, first: str, second: str) -> None:
    propagating(
        lambda: iam.enable_mfa_device(
            UserName=user_name,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )
    )


def deactivate(iam: IAMClient, user_name: str, serial: str) -> None:
    iam.deactivate_mfa_device(UserName=user_name, SerialNumber=serial)


def delete_device(iam: IAMClient, serial: str) -> None:
    iam.delete_virtual_mfa_device(SerialNumber=serial)
