"""Virtual MFA devices as IAM sees them: a TOTP seed, its QR code, and code checks.

IAM's virtual devices are RFC 6238 TOTP authenticators (SHA-1, 6 digits, 30 s steps).
An authenticator app reads the seed from the QR code, so the sandbox draws a real QR
code of the same ``otpauth://`` key URI the console shows, and checks codes against
the seed the way IAM does when it enables a device.
"""

from __future__ import annotations

import io
import time

import pyotp
import qrcode

ISSUER = "Amazon Web Services"
"""The issuer IAM writes into the key URI, shown by authenticator apps as the title."""

STEP_SECONDS = 30

EARLIEST_STEP = 2
"""How many steps before the current one the first code may be from.

IAM accepts a pair typed a little late (a user reads two codes from the app, one
after the other, then submits); two steps of slack is the same allowance.
"""


def provisioning_uri(seed: str, device_name: str, account_id: str) -> str:
    """The key URI for ``seed``, labelled ``Amazon Web Services:<device>@<account>``.

    Format: https://github.com/google/google-authenticator/wiki/Key-Uri-Format
    """
    return pyotp.TOTP(seed).provisioning_uri(name=f"{device_name}@{account_id}", issuer_name=ISSUER)


def qr_png(uri: str) -> bytes:
    """A PNG of the QR code that encodes ``uri``, readable by any QR reader."""
    buffer = io.BytesIO()
    qrcode.make(uri).save(buffer)
    return buffer.getvalue()


def consecutive_codes(seed: str, code_1: str, code_2: str, now: float | None = None) -> bool:
    """Whether ``code_1`` then ``code_2`` are the seed's codes for two steps in a row.

    The first code must be for a step between ``EARLIEST_STEP`` steps ago and now, so a
    pair that was read off the device long ago (or guessed) does not enable it.
    """
    totp = pyotp.TOTP(seed)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    return any(
        totp.at(step * STEP_SECONDS) == code_1 and totp.at((step + 1) * STEP_SECONDS) == code_2
        for step in range(current - EARLIEST_STEP, current + 1)
    )
