"""The password rules IAM checks when it sets a console password.

IAM checks a console password against the account's password policy, or against
AWS's default policy when the account has none:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html

Once checked, a console password is kept only as a salted scrypt hash, as IAM keeps it:
nothing the sandbox holds (or could be made to dump) gives the password back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Protocol

SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
"""The characters IAM counts as symbols (the list in the page above)."""


class AccountPolicy(Protocol):
    """The fields of moto's ``AccountPasswordPolicy`` that shape the rules."""

    minimum_password_length: int
    require_uppercase_characters: bool
    require_lowercase_characters: bool
    require_numbers: bool
    require_symbols: bool


@dataclass(frozen=True)
class PasswordRules:
    """What a password must satisfy.

    ``min_kinds`` and ``not_user_name`` exist only in AWS's default policy: a custom
    policy names each required kind instead.
    """

    min_length: int
    uppercase: bool = False
    lowercase: bool = False
    numbers: bool = False
    symbols: bool = False
    min_kinds: int = 0
    not_user_name: bool = False


AWS_DEFAULT_RULES = PasswordRules(min_length=8, min_kinds=3, not_user_name=True)
"""Minimum length 8, three of the four kinds, not the user's name."""


def rules_for(policy: AccountPolicy | None) -> PasswordRules:
    """The account's own policy if it set one, else AWS's default policy."""
    if policy is None:
        return AWS_DEFAULT_RULES
    return PasswordRules(
        min_length=policy.minimum_password_length,
        uppercase=policy.require_uppercase_characters,
        lowercase=policy.require_lowercase_characters,
        numbers=policy.require_numbers,
        symbols=policy.require_symbols,
    )


def _kinds(password: str) -> dict[str, bool]:
    return {
        "uppercase": any(c.isascii() and c.isupper() for c in password),
        "lowercase": any(c.isascii() and c.islower() for c in password),
        "numbers": any(c in string.digits for c in password),
        "symbols": any(c in SYMBOLS for c in password),
    }


_KIND_NAMES = {
    "uppercase": "one uppercase letter",
    "lowercase": "one lowercase letter",
    "numbers": "one number",
    "symbols": "one symbol",
}


def violations(password: str, rules: PasswordRules, user_name: str) -> list[str]:
    """The sentences IAM would answer with, one per broken rule; empty if none."""
    found = []
    if len(password) < rules.min_length:
        found.append(f"Password should have a minimum length of {rules.min_length}")
    kinds = _kinds(password)
    for kind, present in kinds.items():
        if getattr(rules, kind) and not present:
            found.append(f"Password should have at least {_KIND_NAMES[kind]}")
    if sum(kinds.values()) < rules.min_kinds:
        found.append(
            f"Password should have at least {rules.min_kinds} of the following: "
            "uppercase letters, lowercase letters, numbers, symbols"
        )
    if rules.not_user_name and password == user_name:
        found.append("Password should not be identical to the user name")
    return found


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
"""scrypt's cost: 16 MiB and a few tens of milliseconds per hash."""


def password_hash(password: str) -> str:
    """``scrypt$<salt>$<digest>``, hex: what the sandbox keeps of a console password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one :func:`password_hash` made ``stored`` from."""
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)
