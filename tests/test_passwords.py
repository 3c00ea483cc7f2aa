"""Local password checks mirror IAM's policy rules, so a weak password fails before any write."""

from runbook_lib import passwords
from runbook_lib.passwords import CIS_POLICY, PasswordPolicy


def test_default_policy_needs_8_chars_and_three_classes() -> None:
    """With no policy set, IAM applies its default: 8+ characters, three of four character classes."""
    default = PasswordPolicy()
    assert passwords.failures("abcdefgh", default) == ["three of: uppercase, lowercase, digits, symbols"]
    assert passwords.failures("Abcdef1!", default) == []
    assert "at least 8 characters" in passwords.failures("Ab1!", default)


def test_cis_policy_names_each_failed_rule() -> None:
    failed = passwords.failures("short", CIS_POLICY)
    assert failed == ["at least 14 characters", "at least one uppercase", "at least one digit", "at least one symbol"]


def test_password_equal_to_user_name_fails() -> None:
    assert "not the same as the user name" in passwords.failures("Admin-123456!", PasswordPolicy(), "Admin-123456!")


def test_generated_password_meets_strict_policy_and_differs() -> None:
    a, b = passwords.generate(CIS_POLICY), passwords.generate(CIS_POLICY)
    assert passwords.failures(a, CIS_POLICY) == [] and a != b and len(a) >= 20


def test_policy_from_api_reads_iam_field_names() -> None:
    policy = PasswordPolicy.from_api(
        {"MinimumPasswordLength": 14, "RequireSymbols": True, "PasswordReusePrevention": 24}
    )
    assert (policy.minimum_length, policy.require_symbols, policy.password_reuse_prevention) == (14, True, 24)
    assert not policy.is_default and PasswordPolicy.from_api(None).is_default
