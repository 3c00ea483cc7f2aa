"""The person's choices and the rules they must meet: the console password, two MFA codes.

Every front end (the panels, the terminal, the headless notebook) asks these, so a rule is written
once and a unit test reaches it without a kernel or a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from . import passwords
from .errors import CodeError, InputError
from .params import Parameters
from .plan import Desired
from .policies import PolicyRef
from .secrets import parse_codes

PasswordMode = Literal["generated", "custom"]
PasswordSource = Literal["none", "generated", "given", "kept", "ask"]
"""Where the console password comes from: no console access, generated, given (typed, the environment or
a file), kept (the user already has one and replace_password is off), or to be asked of the person."""


@dataclass(frozen=True)
class Console:
    """The console-access choice (section 2). `password` is the custom one once accepted, or the generated one.

    `replace` says what happens to a password the user already has: kept (False), or replaced by this
    one (True, `UpdateLoginProfile`). A user without one simply gets this one.
    """

    access: bool
    mode: PasswordMode
    reset_required: bool
    password: str | None = field(default=None, repr=False)
    replace: bool = False

    @classmethod
    def of(cls, params: Parameters) -> Console:
        mode: PasswordMode = "custom" if params.password_mode == "custom" else "generated"
        return cls(params.console_access, mode, params.password_reset_required, replace=params.replace_password)


def console_from(
    old: Console,
    access: bool | None,
    mode: PasswordMode | None,
    reset_required: bool | None,
    replace: bool | None = None,
) -> Console:
    """A new choice over the old one; an accepted custom password is kept only while custom stays chosen."""
    new_mode = old.mode if mode is None else mode
    keep = new_mode == "custom" and old.mode == "custom"
    return Console(
        access=old.access if access is None else access,
        mode=new_mode,
        reset_required=old.reset_required if reset_required is None else reset_required,
        password=old.password if keep else None,
        replace=old.replace if replace is None else replace,
    )


def unused_password(has_password: bool, console: Console, given: bool) -> InputError | None:
    """The refusal for a password that would be dropped: given on a re-run while the existing one is kept.

    A re-run never accepts input it will not use: replacing is an explicit choice (replace_password),
    planned as `UpdateLoginProfile` and reviewed like every write.
    """
    if not (has_password and console.access and given and not console.replace):
        return None
    return InputError(
        "This user already has a console password, and it is kept: the password given would not be used.",
        parameter="replace_password",
        fix="To replace the existing password with it, set replace_password=True (UpdateLoginProfile, shown "
        "in the review); to keep the existing one, give no password.",
    )


def typed_password(password: str | None, confirm: str | None) -> str | None:
    """A password typed in two fields (or once, with `confirm` None); they must match."""
    if password and confirm is not None and confirm != password:
        raise InputError(
            "The password and its confirmation differ.",
            parameter="password",
            fix="Type the same password in both fields.",
        )
    return password or None


def console_rows(
    console: Console, policy: passwords.PasswordPolicy, user_name: str
) -> tuple[list[tuple[str, str]], str]:
    """The console report's rows and headline; a custom password failing a rule is refused, each rule named."""
    rows: list[tuple[str, str]] = [("policy", policy.describe())]
    how = "a generated password that meets the policy"
    if console.password is not None and console.mode == "custom":
        results = passwords.check(console.password, policy, user_name)
        rows += [(("pass" if r.ok else "FAIL"), r.rule) for r in results]
        failed = [r.rule for r in results if not r.ok]
        if failed:
            raise InputError(
                "The custom password fails the password policy: " + "; ".join(failed) + ".",
                parameter="password",
                fix="Choose a password that meets every rule, or use password_mode='generated'.",
            )
        how = "custom password: meets every rule"
    rows.append(("reset at sign-in", "required" if console.reset_required else "not required"))
    return rows, how


def desired(p: Parameters, console: Console, chosen: list[PolicyRef], git_policies: list[PolicyRef]) -> Desired:
    """The end state the parameters and the person's choices ask for (the plan's input)."""
    return Desired(
        user_name=p.user_name,
        console_access=console.access,
        password_reset_required=console.reset_required,
        policies=tuple(chosen),
        grant_via="group" if p.grant_via == "group" else "user",
        group_name=p.group_name,
        mfa=p.mfa,
        device_name=p.device_name,
        mfa_deferred=p.mfa_codes == "defer",
        codecommit=p.codecommit,
        git_user=p.git_user,
        git_policies=tuple(git_policies),
        password_policy=passwords.CIS_POLICY if p.password_policy == "cis" else None,
        codecommit_reset=p.codecommit_reset,
        adopt=p.adopt,
        replace_password=console.replace,
    )


def password_rules(
    typed: str, again: str | None, policy: passwords.PasswordPolicy, user_name: str
) -> list[passwords.RuleResult]:
    """Every rule of the policy for a password being typed; with `again`, also that both fields match."""
    results = passwords.check(typed, policy, user_name)
    if again is not None:
        results.append(passwords.RuleResult("both fields match", bool(again) and again == typed))
    return results


def code_pair(first: str, second: str) -> tuple[str, str]:
    """Two codes typed in two fields: each six digits (the one check, `secrets.parse_codes`), registered as secrets."""
    try:
        return parse_codes(f"{first.strip()},{second.strip()}", "mfa_codes")
    except InputError:
        raise CodeError(
            "Each code is six digits.",
            parameter="mfa_codes",
            fix="Type the code the app shows, wait for the next one, and type that too.",
        ) from None
