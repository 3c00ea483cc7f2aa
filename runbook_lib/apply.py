"""Apply: one registry from IAM action to the call that makes it, shared by the runbook and the teardown.

A `Step` names the action, its target and its one further argument; the secrets a call sends (the
console password, two MFA codes) never sit in a step, which the review shows, and come in `Given`.
What IAM hands back once (a device's seed, a Git password) comes out as `Made`, for the caller to
deliver. IAM's refusals become messages that name the step, the parameter at fault and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from . import codecommit, mfa, passwords, users
from .delivery import Delivery
from .errors import CodeError, ConflictError, InputError, RunbookError, StepFailed
from .plan import Action, Phase, Step
from .secrets import git_credential_approve, register

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


@dataclass(frozen=True)
class Given:
    """What a write sends beyond its step: the secrets a reviewed step never holds."""

    password: str | None = None
    reset_required: bool = False
    codes: tuple[str, str] | None = None


Made = mfa.VirtualDevice | codecommit.GitCredential | None
"""What a call returns that must be delivered: a new device (with its seed) or a Git credential."""

Call = Callable[["IAMClient", Step, Given], Made]


def _login_profile(iam: IAMClient, step: Step, given: Given) -> None:
    if given.password is None:
        raise InputError("No console password to set.", parameter="password", fix="Choose or generate one first.")
    if step.action == "UpdateLoginProfile":
        users.update_login_profile(iam, step.target, given.password, given.reset_required)
    else:
        users.create_login_profile(iam, step.target, given.password, given.reset_required)


def _enable(iam: IAMClient, step: Step, given: Given) -> None:
    if given.codes is None:
        raise InputError(
            "Two MFA codes are needed to enable the device.",
            parameter="mfa_codes",
            fix="Enter them in the MFA panel, or set RUNBOOK_MFA_CODES=code1,code2.",
        )
    mfa.enable(iam, step.target, step.arg, *given.codes)


CALLS: dict[Action, Call] = {
    # the create runbook, in plan order
    "UpdateAccountPasswordPolicy": lambda iam, s, g: passwords.set_account_policy(iam, passwords.CIS_POLICY),
    "CreateUser": lambda iam, s, g: users.create_user(iam, s.target),
    "CreateLoginProfile": _login_profile,
    "UpdateLoginProfile": _login_profile,
    "AttachUserPolicy": lambda iam, s, g: users.attach_user_policy(iam, s.target, s.arg),
    "CreateGroup": lambda iam, s, g: users.create_group(iam, s.target),
    "AttachGroupPolicy": lambda iam, s, g: users.attach_group_policy(iam, s.target, s.arg),
    "AddUserToGroup": lambda iam, s, g: users.add_user_to_group(iam, s.arg, s.target),
    "DetachUserPolicy": lambda iam, s, g: users.detach_user_policy(iam, s.target, s.arg),
    "DeleteVirtualMFADevice": lambda iam, s, g: mfa.delete_device(iam, s.arg),
    "CreateVirtualMFADevice": lambda iam, s, g: mfa.create_device(
        iam, s.target, s.user, "defer" if s.arg == "defer" else "direct"
    ),
    "EnableMFADevice": _enable,
    "CreateServiceSpecificCredential": lambda iam, s, g: codecommit.create(iam, s.target),
    "ResetServiceSpecificCredential": lambda iam, s, g: codecommit.reset(iam, s.target, s.arg),
    # the teardown, in IAM's order for deleting a user
    "DeleteServiceSpecificCredential": lambda iam, s, g: codecommit.delete(iam, s.target, s.arg),
    "DeactivateMFADevice": lambda iam, s, g: mfa.deactivate(iam, s.target, s.arg),
    "DeleteLoginProfile": lambda iam, s, g: users.delete_login_profile(iam, s.target),
    "DeleteAccessKey": lambda iam, s, g: users.delete_access_key(iam, s.target, s.arg),
    "DeleteSigningCertificate": lambda iam, s, g: users.delete_signing_certificate(iam, s.target, s.arg),
    "DeleteSSHPublicKey": lambda iam, s, g: users.delete_ssh_public_key(iam, s.target, s.arg),
    "DeleteUserPolicy": lambda iam, s, g: users.delete_user_policy(iam, s.target, s.arg),
    "RemoveUserFromGroup": lambda iam, s, g: users.remove_user_from_group(iam, s.arg, s.target),
    "DeleteUser": lambda iam, s, g: users.delete_user(iam, s.target),
}


def call(iam: IAMClient, step: Step, given: Given | None = None) -> Made:
    """Make the step's IAM call; what IAM returns once (a seed, a Git password) comes back to deliver."""
    return CALLS[step.action](iam, step, given or Given())


@dataclass
class Applied:
    """The reviewed plan, what has been done of it, and what IAM handed back once in this run.

    `execute` makes one step's call with the inputs it needs and delivers what comes back: a new
    device's seed and a Git password go to the secrets file (and the reveal) as soon as IAM returns them.
    """

    iam: IAMClient
    delivery: Delivery | None = None  # where what IAM returns once goes (a teardown gets nothing back)
    again: str = ""  # the fix for a refused step (empty: the create runbook's RUN_AGAIN)
    gone_is_done: bool = False  # a removal: IAM's NoSuchEntity means the thing is already gone
    generate_codes: bool = False  # mfa_codes="generate": the codes come from the seed this run holds
    git_helper_host: str = ""  # with git_credential_helper: the CodeCommit host for `git credential approve`
    steps: list[Step] = field(default_factory=list)
    done: list[Step] = field(default_factory=list)
    device: mfa.VirtualDevice | None = None
    git: codecommit.GitCredential | None = None

    def pending(self, phase: Phase | None = None) -> list[Step]:
        """Planned and not done yet (of one phase)."""
        return [s for s in self.steps if s not in self.done and (phase is None or s.phase == phase)]

    def execute(self, step: Step, given: Given) -> None:
        """One step's call; IAM's refusal comes back as a `RunbookError` with the fix."""
        call_step = step
        if step.action == "EnableMFADevice":
            call_step, given = self._enabling(step, given.codes)
        try:
            made = call(self.iam, call_step, given)
        except ClientError as exc:
            if not (self.gone_is_done and exc.response["Error"]["Code"] == "NoSuchEntity"):
                raise explain(step, exc, self.again or RUN_AGAIN) from None
            made = None
        self.done.append(step)
        if self.delivery is None:
            return
        try:
            if isinstance(made, mfa.VirtualDevice):
                self.device = made
                self.delivery.device(made, step.target)
            elif isinstance(made, codecommit.GitCredential):
                self.git = made
                self.delivery.put(codecommit_username=made.username, codecommit_password=made.password)
        except OSError as exc:  # checked before the call (Delivery.ready), and still failed: say what is lost
            assert made is not None
            raise self.delivery.lost(made, step.user or step.target, step.action, exc) from None
        if isinstance(made, codecommit.GitCredential) and self.git_helper_host:
            git_credential_approve(self.git_helper_host, made.username, made.password)

    def _enabling(self, step: Step, codes: tuple[str, str] | None) -> tuple[Step, Given]:
        """The device's serial and two codes (made from the seed when generating), checked against the seed."""
        serial = step.arg or (self.device.serial if self.device else "")
        seed = self.device.seed if self.device and self.device.serial == serial else None
        if codes is None and seed is not None and self.generate_codes:
            codes = mfa.current_codes(seed)
            for c in codes:
                register(c)
        if codes is not None and seed is not None:
            mfa.require_valid(seed, *codes, "mfa_codes")
        return replace(step, arg=serial), Given(codes=codes)


# --- IAM's refusals, as fixes --------------------------------------------------------------------

RUN_AGAIN = "Fix the cause and run again: the runbook plans from what IAM holds and finishes the job."

POLICY_QUOTA = 10  # IAM's default quota of managed policies attached to one user, or to one group


def explain(step: Step, exc: ClientError, again: str = RUN_AGAIN) -> RunbookError:
    """IAM's refusal of `step` as what went wrong, the parameter at fault, and the fix.

    A caller lacking the permission never gets here: the connection names the missing IAM action.
    """
    code = exc.response["Error"]["Code"]
    message = exc.response["Error"].get("Message", "")
    if code == "InvalidAuthenticationCode":
        return CodeError(
            "IAM rejected the MFA codes.",
            parameter="mfa_codes",
            fix="Enter two new consecutive codes from the authenticator app.",
        )
    if code == "PasswordPolicyViolation":
        return InputError(
            f"IAM rejected the password: {message}",
            parameter="password",
            fix="Choose a password that meets the account's password policy.",
        )
    if code == "LimitExceeded":
        return _quota(step, message)
    return StepFailed(f"{step.action} on {step.target} failed ({code}): {message}", step=step.action, fix=again)


def _quota(step: Step, message: str) -> RunbookError:
    """Which of IAM's quotas a `LimitExceeded` is, told by the action (and IAM's message), and its own fix."""
    hit = f"{step.action} hit an IAM quota: {message}"
    if step.action in ("AttachUserPolicy", "AttachGroupPolicy") or "PoliciesPer" in message:
        holder = f"group {step.target}" if step.action == "AttachGroupPolicy" else f"user {step.target}"
        return ConflictError(
            hit,
            parameter="policies",
            fix=f"IAM attaches at most {POLICY_QUOTA} managed policies to one user or group, and {holder} is full. "
            "Detach a policy it no longer needs, ask for fewer policies, or grant through another group "
            "(grant_via='group', group_name=...).",
            step=step.action,
        )
    if step.action == "CreateServiceSpecificCredential" or "ServiceSpecificCredential" in message:
        return ConflictError(
            hit,
            parameter="codecommit",
            fix=f"IAM allows {codecommit.LIMIT} Git credentials per user: set codecommit_reset to an existing "
            "credential id for a new password, or codecommit=False to skip this step.",
            step=step.action,
        )
    return ConflictError(
        hit,
        fix="Remove what the account no longer needs under that quota (see IAM's message), then run again.",
        step=step.action,
    )
