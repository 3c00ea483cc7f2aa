"""Verify's fixes in the terms of the front end that shows them: a panel's control, or the exact `runbook run` line.

A check says what is wrong. When the runbook itself can make it right, the fix is a change of
parameters for a run (`REMEDIES`): the panels name the control that sets it, and the terminal and a
headless run print the command that runs again with it. A fix no runbook parameter can make (root's
keys and MFA, a user's access keys) stays the check's own text.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from .checks import Check
from .params import Parameters
from .sections import section

Front = Literal["headless", "terminal", "panels"]

REMEDIES: dict[str, tuple[tuple[str, Any], ...]] = {
    "iam_user_mfa_enabled_console_access": (("mfa", True),),
    "iam_policy_attached_only_to_group_or_roles": (("grant_via", "group"),),
    "iam_user_administrator_access_policy": (("grant_via", "group"),),
    "iam_password_policy_minimum_length_14": (("password_policy", "cis"),),
    "iam_password_policy_reuse_24": (("password_policy", "cis"),),
}
"""By Prowler check id: the parameter values whose run carries the fix out (the plan moves a user's policies
to the group with grant_via='group', and sets the CIS policy with password_policy='cis')."""

MANUAL = frozenset(
    {
        "iam_no_root_access_key",
        "iam_root_mfa_enabled",
        "iam_user_no_setup_initial_access_key",
        "iam_aws_attached_policy_no_administrative_privileges",
    }
)
"""The checks whose fix no parameter makes: root's own settings, keys the runbook never makes, and the full
access an account's first administrator is given on purpose (its FAIL is expected, and shows no fix)."""


@dataclass(frozen=True)
class Control:
    """The panel control that sets a parameter to a value: its section, its visible label, and what to do."""

    section: str
    label: str
    how: str

    def text(self) -> str:
        return f"in {section(self.section).heading}, {self.how} “{self.label}”"


CONTROLS: dict[tuple[str, Any], Control] = {
    ("password_policy", "cis"): Control("console", "Set the account's password policy to CIS values", "tick"),
    ("grant_via", "group"): Control("permissions", "Add the user to a group", "choose"),
    ("mfa", True): Control("mfa", "Assign MFA device", "press"),
}
"""Each remedy's control in the panels (a test finds every label in its panel)."""

ONE_OFF = ("codecommit_reset", "replace_password")
"""Parameters that act once: a command to run again never carries them."""

CLI_DEFAULTS: Mapping[str, Any] = {"mfa_codes": "generate"}
"""What `runbook run` sets when the command line does not (the notebook's own default is 'prompt')."""


def has_run(check: Check) -> bool:
    """Whether a run carries the check's fix out (settled: IAM holds it already, a run would change nothing)."""
    return check.prowler in REMEDIES and not check.settled


def fix_text(check: Check, front: Front, params: Parameters) -> str:
    """The fix of a failing check, as the person can carry it out from `front`."""
    if not has_run(check):
        return check.fix
    changes = REMEDIES[check.prowler]
    if front == "panels":
        return panel_fix(changes, params)
    return command(params, dict(changes), front)


def panel_fix(changes: tuple[tuple[str, Any], ...], params: Parameters) -> str:
    """The panels' way: run again, then set the controls (a parameter no panel shows: the parameters cell)."""
    steps = []
    for name, value in changes:
        if name == "mfa" and not params.mfa:
            steps.append("set mfa = True in the parameters cell")
        else:
            steps.append(CONTROLS[(name, value)].text())
    return "Run the notebook again (Run All, or reload the wizard page), then " + "; ".join(steps) + "."


def command(params: Parameters, changes: Mapping[str, Any], front: Front = "headless") -> str:
    """The exact `runbook run` for this run's parameters with `changes`: what the person types to apply a fix."""
    values = {f.name: getattr(params, f.name) for f in fields(Parameters)}
    values.update(changes)
    defaults = {**{f.name: getattr(Parameters(), f.name) for f in fields(Parameters)}, **CLI_DEFAULTS}
    if front == "terminal":
        values["mfa_codes"] = "prompt"  # the terminal's own mode, never the CLI's default
    given = [
        (name, value)
        for name, value in values.items()
        if (name in changes or value != defaults[name]) and (name not in ONE_OFF or name in changes)
        and not (front == "terminal" and name == "confirm")  # in the terminal, the person's yes confirms
    ]  # fmt: skip
    return "runbook run " + " ".join(f"-p {name} {shlex.quote(_text(value))}" for name, value in given)


def _text(value: Any) -> str:
    """A parameter value as `runbook run -p` reads it back (JSON for lists, True/False for booleans)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)
