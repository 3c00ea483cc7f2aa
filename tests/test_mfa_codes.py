"""Local MFA code checks give each mistake its own message before IAM's single InvalidAuthenticationCode."""

import pyotp
import pytest

from runbook_lib import mfa

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_790_000_000.0
T = pyotp.TOTP(SEED)


def test_generated_codes_are_previous_and_current_window() -> None:
    assert mfa.current_codes(SEED, NOW) == (T.at(NOW - 30), T.at(NOW))
    assert mfa.check_codes(SEED, *mfa.current_codes(SEED, NOW), now=NOW) == "ok"


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        (T.at(NOW), T.at(NOW - 30), "swapped"),
        (T.at(NOW), T.at(NOW), "same"),
        (T.at(NOW - 600), T.at(NOW - 570), "skew"),
        ("000000", T.at(NOW), "typo"),
    ],
)
def test_each_mistake_is_told_apart(first: str, second: str, verdict: str) -> None:
    assert mfa.check_codes(SEED, first, second, now=NOW) == verdict
    assert mfa.MESSAGES[verdict]  # type: ignore[index]


def test_otpauth_uri_names_the_issuer_and_the_account() -> None:
    uri = mfa.otpauth_uri(SEED, "alice", "123456789012")
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:alice%40123456789012?")
    assert f"secret={SEED}" in uri
