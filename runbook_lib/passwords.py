"""Console passwords: the account policy (read and set), a local rule-by-rule check, and a generator.

Checking locally lets the user fix a weak password before any write, with each failed rule named,
instead of IAM's single `PasswordPolicyViolation`.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# IAM's allowed symbol set for password policies.
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


@dataclass(frozen=True)
class PasswordPolicy:
    """The account password policy, or AWS's default when none is set (`is_default`)."""

    minimum_length: int = 8
    require_uppercase: bool = False
    require_lowercase: bool = False
    require_numbers: bool = False
    require_symbols: bool = False
    password_reuse_prevention: int | None = None
    max_password_age: int | None = None
    is_default: bool = True

    @classmethod
    def from_api(cls, data: dict[str, Any] | None) -> PasswordPolicy:
        """Build from `GetAccountPasswordPolicy`'s `PasswordPolicy`; None means no policy set."""
        if not data:
            return cls()
        return cls(
            minimum_length=int(data.get("MinimumPasswordLength", 6)),
            require_uppercase=bool(data.get("RequireUppercaseCharacters")),
            require_lowercase=bool(data.get("RequireLowercaseCharacters")),
            require_numbers=bool(data.get("RequireNumbers")),
            require_symbols=bool(data.get("RequireSymbols")),
            password_reuse_prevention=data.get("PasswordReusePrevention"),
            max_password_age=data.get("MaxPasswordAge"),
            is_default=False,
        )

    def describe(self) -> str:
        """One line for preflight and the review."""
        if self.is_default:
            return "AWS default (no policy set): at least 8 characters, three of upper/lower/digits/symbols"
        needs = [
            name
            for name, on in (
                ("uppercase", self.require_uppercase),
                ("lowercase", self.require_lowercase),
                ("digits", self.require_numbers),
                ("symbols", self.require_symbols),
            )
            if on
        ]
        text = f"at least {self.minimum_length} characters"
        if needs:
            text += ", " + ", ".join(needs)
        if self.password_reuse_prevention:
            text += f", remembers last {self.password_reuse_prevention}"
        return text


# The CIS AWS Foundations values (1.8 length, 1.9 reuse), as AWSConfigRemediation-SetIAMPasswordPolicy sets.
CIS_POLICY = PasswordPolicy(
    minimum_length=14,
    require_uppercase=True,
    require_lowercase=True,
    require_numbers=True,
    require_symbols=True,
    password_reuse_prevention=24,
    max_password_age=90,
    is_default=False,
)


@dataclass(frozen=True)
class RuleResult:
    """One rule of the policy and whether the candidate passes it."""

    rule: str
    ok: bool


def _classes(password: str) -> dict[str, bool]:
    return {
        "uppercase": any(c in string.ascii_uppercase for c in password),
        "lowercase": any(c in string.ascii_lowercase for c in password),
        "digits": any(c in string.digits for c in password),
        "symbols": any(c in SYMBOLS for c in password),
    }


def check(password: str, policy: PasswordPolicy, user_name: str = "") -> list[RuleResult]:
    """Every rule of the policy, passing or failing, in the order the console lists them."""
    has = _classes(password)
    results = [
        RuleResult(f"at least {policy.minimum_length} characters", len(password) >= policy.minimum_length),
        RuleResult("at most 128 characters", len(password) <= 128),
    ]
    if policy.is_default:
        results.append(RuleResult("three of: uppercase, lowercase, digits, symbols", sum(has.values()) >= 3))
    else:
        for name, label, required in (
            ("uppercase", "uppercase", policy.require_uppercase),
            ("lowercase", "lowercase", policy.require_lowercase),
            ("digits", "digit", policy.require_numbers),
            ("symbols", "symbol", policy.require_symbols),
        ):
            if required:
                results.append(RuleResult(f"at least one {label}", has[name]))
    if user_name:
        results.append(RuleResult("not the same as the user name", password != user_name))
    return results


def failures(password: str, policy: PasswordPolicy, user_name: str = "") -> list[str]:
    """The rules the password fails, by name; empty when it passes."""
    return [r.rule for r in check(password, policy, user_name) if not r.ok]


def generate(policy: PasswordPolicy, length: int | None = None) -> str:
    """A random password that satisfies `policy` and every optional class, from the OS CSPRNG."""
    size = max(length or 20, policy.minimum_length, 16)
    alphabet = string.ascii_letters + string.digits + SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(size))
        if all(_classes(candidate).values()) and not failures(candidate, policy):
            return candidate


def set_account_policy(iam: IAMClient, policy: PasswordPolicy) -> None:
    """`UpdateAccountPasswordPolicy` to `policy`'s values (every character class, as CIS asks)."""
    iam.update_account_password_policy(
        MinimumPasswordLength=policy.minimum_length,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        PasswordReusePrevention=policy.password_reuse_prevention or 24,
        MaxPasswordAge=policy.max_password_age or 90,
        AllowUsersToChangePassword=True,
    )
