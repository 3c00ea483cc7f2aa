"""Plan, then apply: a pure function turns (desired, observed) into the list of writes still missing.

The review shows exactly this list; apply only executes it; a re-run of a finished job plans nothing.

The plan also holds the guards, so no front end can plan around them: it writes only to users, groups
and MFA devices it can tie to this runbook (or that `adopt=True` hands it), and it grants nothing to a
user holding access keys, or a console password the runbook did not deliver (unless adopted), and
the review names what such a user holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .codecommit import LIMIT
from .errors import ConflictError
from .mfa import VirtualDevice
from .passwords import PasswordPolicy
from .policies import PolicyRef
from .report import MARK, Report
from .users import ObservedGroup, ObservedUser

GrantVia = Literal["user", "group"]
Phase = Literal["account", "user", "mfa", "codecommit"]
PHASES: tuple[Phase, ...] = ("account", "user", "mfa", "codecommit")

Action = Literal[
    # the create runbook's writes
    "UpdateAccountPasswordPolicy", "CreateUser", "CreateLoginProfile", "UpdateLoginProfile", "AttachUserPolicy",
    "CreateGroup", "AttachGroupPolicy", "AddUserToGroup", "DeleteVirtualMFADevice", "CreateVirtualMFADevice",
    "EnableMFADevice",
    "CreateServiceSpecificCredential", "ResetServiceSpecificCredential",
    # the teardown's removals
    "DeleteServiceSpecificCredential", "DeactivateMFADevice", "DeleteLoginProfile", "DeleteAccessKey",
    "DeleteSigningCertificate", "DeleteSSHPublicKey", "DetachUserPolicy", "DeleteUserPolicy", "RemoveUserFromGroup",
    "DeleteUser",
]  # fmt: skip
"""Every IAM write a plan can hold; `apply.CALLS` has one call for each."""


@dataclass(frozen=True)
class Step:
    """One write: the IAM action, what it acts on, and a line a reviewer can read.

    `arg` is the call's one further argument (a policy ARN, a serial, a group, a credential id, the MFA
    flow); `user` is the user a new MFA device is made for (its tag ties the device to that user). A step
    never holds a secret, which apply supplies at the call.
    """

    phase: Phase
    action: Action
    target: str
    detail: str
    arg: str = ""
    user: str = ""

    def row(self) -> tuple[str, str, str, str]:
        """The review's row: phase, IAM action, on, what."""
        return (self.phase, self.action, self.target, self.detail)

    def applied_row(self, mark: str = MARK["ok"], note: str = "") -> tuple[str, str, str, str]:
        """Every apply report's row (create, MFA, Git, summary, teardown): mark, IAM action, on, what."""
        return (mark, self.action, self.target, self.detail + note)


APPLIED_HEADER = ("", "IAM action", "on", "what")


@dataclass(frozen=True)
class Desired:
    """The end state the parameters ask for."""

    user_name: str
    console_access: bool
    password_reset_required: bool
    policies: tuple[PolicyRef, ...]
    grant_via: GrantVia
    group_name: str
    mfa: bool
    device_name: str
    mfa_deferred: bool
    codecommit: bool
    git_user: str
    git_policies: tuple[PolicyRef, ...] = ()
    password_policy: PasswordPolicy | None = None
    codecommit_reset: str = ""
    adopt: bool = False
    replace_password: bool = False  # an existing console password is replaced (UpdateLoginProfile), not kept


@dataclass
class Observed:
    """What IAM holds now, as read by this run, and which waiting devices' seeds the secrets store records.

    `pending`: the device named `device_name` when this runbook made it for the user and it waits for
    codes; `device_taken`: whose that device is when it cannot be tied to the user (empty: no such device).
    `recorded` maps the serial of a waiting device to where the secrets store holds its seed: such a
    device was delivered (its QR code shown, its seed stored) and is reused, never replaced.
    """

    admin: ObservedUser
    git: ObservedUser | None = None
    group: ObservedGroup | None = None
    pending: list[VirtualDevice] = field(default_factory=list)
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    codes_available: bool = False
    device_taken: str = ""
    recorded: dict[str, str] = field(default_factory=dict)


def check_owners(o: Observed, adopt: bool) -> None:
    """Refuse a user or group that exists and that this runbook did not create, unless `adopt`.

    The same rule for every one the run writes to: the admin user, the Git user, the group.
    """
    if adopt:
        return
    for user, parameter in ((o.admin, "user_name"), (o.git, "codecommit_user")):
        if user is not None and user.exists and not user.ours:
            raise ConflictError(
                f"User {user.name!r} exists and was not created by this runbook; it was not touched.",
                parameter=parameter,
                fix=f"Choose another {parameter}, or set adopt=True to manage this user.",
            )
    g = o.group
    if g is not None and g.exists and not g.ours:
        raise ConflictError(
            f"Group {g.name!r} exists and was not created by this runbook; it was not touched. "
            f"Members: {', '.join(g.members) or 'none'}; it grants: {', '.join(g.grants()) or 'nothing'}.",
            parameter="group_name",
            fix="Choose another group_name (the runbook creates it), or set adopt=True to grant through this "
            "group: every member gets the policies attached to it.",
        )


def plan(d: Desired, o: Observed) -> list[Step]:
    """Every write still needed, in the order IAM needs them; refused if a guard stands in the way."""
    check_owners(o, d.adopt)
    steps: list[Step] = []
    if d.password_policy is not None and o.password_policy != d.password_policy:
        p = d.password_policy
        steps.append(
            Step(
                "account",
                "UpdateAccountPasswordPolicy",
                "account",
                f"set the password policy to CIS values: {p.describe()}",
            )
        )
    steps += _user_steps(d, o.admin, o.group)
    if d.mfa:
        steps += _mfa_steps(d, o)
    if d.codecommit:
        steps += _codecommit_steps(d, o)
    check_grants(d, o, steps)
    return steps


def _granted(d: Desired, o: Observed, steps: list[Step]) -> list[tuple[ObservedUser, str, str]]:
    """The existing users this plan gives permissions to: (user, its parameter, what they get)."""
    to_admin = any(
        s.action in ("AddUserToGroup", "AttachGroupPolicy")
        or (s.action == "AttachUserPolicy" and s.target == d.user_name)
        for s in steps
    )
    to_git = o.git is not None and any(s.action == "AttachUserPolicy" and s.target == d.git_user for s in steps)
    out = []
    if to_admin and o.admin.exists:
        out.append((o.admin, "user_name", ", ".join(p.name for p in d.policies) or "permissions"))
    if to_git and o.git is not None and o.git.exists:
        out.append((o.git, "codecommit_user", ", ".join(p.name for p in d.git_policies) or "permissions"))
    return out


def check_grants(d: Desired, o: Observed, steps: list[Step]) -> None:
    """Grant nothing to a user holding access keys (the runbook never makes any), or a password it did not deliver.

    Keys are refused even with `adopt`: whoever holds them would get what the run grants, unseen. A
    console password the secrets store does not hold is kept only with `adopt=True`, and the review says so.
    """
    for user, parameter, what in _granted(d, o, steps):
        if user.access_keys:
            raise ConflictError(
                f"{_keys(user)}. This runbook never makes access keys, and this run would grant {what} to "
                "whoever holds them.",
                parameter=parameter,
                fix=f"Delete the keys nobody needs (aws iam delete-access-key --user-name {user.name} "
                f"--access-key-id {user.access_keys[0]}, and so on), then run again; or choose another {parameter}.",
            )
        replaced = d.replace_password and user is o.admin  # UpdateLoginProfile: nobody else knows the new one
        if user.login_profile and not user.password_delivered and not d.adopt and not replaced:
            raise ConflictError(
                f"{user.name} already has a console password that the secrets store does not hold: it was set "
                f"outside this runbook (or by a run with another secrets store), and this run would grant {what} to "
                "whoever knows it.",
                parameter=parameter,
                fix=f"To keep that password, set adopt=True (the review says it is kept); to replace it, set "
                f"replace_password=True. Otherwise delete it (aws iam delete-login-profile --user-name {user.name}) "
                "and run again, or point secrets_store (and secrets_dir, keepass_db or $PASSWORD_STORE_DIR) at the "
                "store of the run that set it.",
            )


def _keys(user: ObservedUser) -> str:
    n = len(user.access_keys)
    return f"{user.name}: {n} access key{'s' if n != 1 else ''} ({', '.join(user.access_keys)}): remove them or stop"


def kept_password(user: ObservedUser) -> str:
    """What happens to a user's existing console password: kept, and whether the secrets store has it."""
    if user.password_delivered:
        return "existing console password kept (set by an earlier run: it is in the secrets store)"
    return "existing console password kept, not in the secrets store"


def holding_notes(d: Desired, o: Observed) -> list[str]:
    """What the review says about what existing users and the group hold, before anything is granted."""
    notes = []
    for user in (o.admin, o.git):
        if user is None or not user.exists:
            continue
        if user.login_profile and d.replace_password and user is o.admin and d.console_access:
            notes.append(f"{user.name}: existing console password replaced (UpdateLoginProfile, below).")
        elif user.login_profile:
            notes.append(f"{user.name}: {kept_password(user)}.")
        if user.access_keys:
            notes.append(_keys(user) + ".")
    g = o.group
    if d.grant_via == "group" and g is not None and g.exists:
        others = g.others(d.user_name)
        if others:
            notes.append(
                f"Group {g.name} has {len(others)} other member(s) ({', '.join(others)}): "
                "what is attached to the group reaches them too."
            )
        wanted = {p.arn for p in d.policies}
        extra = [arn.rsplit("/", 1)[-1] for arn in g.attached if arn not in wanted] + [
            f"{n} (inline)" for n in g.inline
        ]
        if extra:
            notes.append(f"Group {g.name} also grants: {', '.join(extra)}.")
    return notes


def _user_steps(d: Desired, u: ObservedUser, group: ObservedGroup | None) -> list[Step]:
    out: list[Step] = []
    if not u.exists:
        out.append(
            Step(
                "user",
                "CreateUser",
                d.user_name,
                f"create IAM user {d.user_name}, tagged managed-by=runbook-first-admin",
            )
        )
    reset = "must change it at first sign-in" if d.password_reset_required else "no reset required"
    if d.console_access and not u.login_profile:
        out.append(Step("user", "CreateLoginProfile", d.user_name, f"console access with a password ({reset})"))
    elif d.console_access and d.replace_password:
        out.append(Step("user", "UpdateLoginProfile", d.user_name, f"replace the existing console password ({reset})"))
    if d.grant_via == "user":
        for p in d.policies:
            if p.arn not in u.attached:
                out.append(Step("user", "AttachUserPolicy", d.user_name, f"attach {p.name} ({p.arn})", p.arn))
    else:
        g = group or ObservedGroup(d.group_name)
        if not g.exists:
            out.append(Step("user", "CreateGroup", d.group_name, f"create group {d.group_name}"))
        for p in d.policies:
            if p.arn not in g.attached:
                out.append(
                    Step("user", "AttachGroupPolicy", d.group_name, f"attach {p.name} to group {d.group_name}", p.arn)
                )
        if d.group_name not in u.groups:
            out.append(
                Step(
                    "user",
                    "AddUserToGroup",
                    d.user_name,
                    f"add {d.user_name} to group {d.group_name}",
                    d.group_name,
                )
            )
        for p in d.policies:  # granted directly by an earlier run: the group grants it now (CIS 1.15)
            if p.arn in u.attached:
                out.append(
                    Step(
                        "user",
                        "DetachUserPolicy",
                        d.user_name,
                        f"detach {p.name} from the user: group {d.group_name} grants it",
                        p.arn,
                    )
                )
    return out


def _mfa_steps(d: Desired, o: Observed) -> list[Step]:
    """Reuse a waiting device whose seed was delivered; replace one whose seed is recorded nowhere.

    A device is usable when its seed is in the secrets store (its QR code can be shown again, its codes
    checked or computed), when codes are given for it (the person's app has it), or when it waits
    for the deferred flow's codes. Any other waiting device is deleted and made again, and its
    review line tells the person to remove an authenticator entry they may have made from it.
    """
    if o.admin.mfa_serials:
        return []
    out: list[Step] = []
    usable = [v for v in o.pending if v.serial in o.recorded or o.codes_available or (d.mfa_deferred and v.deferred)]
    kept = usable[:1]
    for v in o.pending:
        if v in kept:
            continue
        why = (
            "a second waiting device"
            if v in usable
            else "its seed is in no secrets store, so its QR code cannot be shown again; if an authenticator "
            "app has an entry for it, remove that entry"
        )
        out.append(
            Step("mfa", "DeleteVirtualMFADevice", v.serial, f"delete a device left by an earlier run ({why})", v.serial)
        )
    if o.device_taken:  # never a device of the user's own: that one is pending
        raise ConflictError(
            f"An MFA device named {d.device_name!r} already exists, {o.device_taken}; it was not touched.",
            parameter="mfa_device_name",
            fix=f"Choose another mfa_device_name for {d.user_name}.",
        )
    if kept:
        v = kept[0]
        if o.codes_available or not d.mfa_deferred:
            source = f"its seed is in {o.recorded[v.serial]}" if v.serial in o.recorded else "with your two codes"
            out.append(
                Step(
                    "mfa",
                    "EnableMFADevice",
                    d.user_name,
                    f"enable device {v.serial}, made by an earlier run ({source})",
                    v.serial,
                )
            )
        return out
    out.append(
        Step(
            "mfa",
            "CreateVirtualMFADevice",
            d.device_name,
            f"create virtual MFA device {d.device_name}",
            "defer" if d.mfa_deferred else "direct",
            d.user_name,
        )
    )
    if not d.mfa_deferred or o.codes_available:
        out.append(Step("mfa", "EnableMFADevice", d.user_name, "enable it with two consecutive codes"))
    return out


def _codecommit_steps(d: Desired, o: Observed) -> list[Step]:
    out: list[Step] = []
    separate = d.git_user != d.user_name
    g = o.git if separate else o.admin
    if g is None:
        g = ObservedUser(d.git_user)
    if separate:
        if not g.exists:
            out.append(
                Step(
                    "codecommit",
                    "CreateUser",
                    d.git_user,
                    f"create IAM user {d.git_user} for Git only (no console access)",
                )
            )
        for p in d.git_policies:
            if p.arn not in g.attached:
                out.append(Step("codecommit", "AttachUserPolicy", d.git_user, f"attach {p.name}", p.arn))
    if d.codecommit_reset:
        if d.codecommit_reset not in g.credential_ids:
            raise ConflictError(
                f"{d.git_user} has no CodeCommit credential {d.codecommit_reset!r}.",
                parameter="codecommit_reset",
                fix=f"Use one of: {', '.join(g.credential_ids) or '(none)'}.",
            )
        out.append(
            Step(
                "codecommit",
                "ResetServiceSpecificCredential",
                d.git_user,
                f"new password for Git credential {d.codecommit_reset}",
                d.codecommit_reset,
            )
        )
        return out
    if g.credential_ids and (g.ours or not g.exists):
        return out  # made (and delivered) by an earlier run of this runbook
    if len(g.credential_ids) >= LIMIT:
        raise ConflictError(
            f"{d.git_user} already has {LIMIT} CodeCommit credentials, IAM's limit.",
            parameter="codecommit",
            fix=f"Set codecommit_reset to one of {', '.join(g.credential_ids)} to give it a new password, "
            "or codecommit=False to skip this step.",
        )
    out.append(
        Step(
            "codecommit", "CreateServiceSpecificCredential", d.git_user, "generate HTTPS Git credentials for CodeCommit"
        )
    )
    return out


def review_report(steps: list[Step], notes: list[str] | None = None) -> Report:
    """The review's table, as every front end shows it: phase, IAM action, on, what."""
    if not steps:
        return Report("Review: nothing to do, the account already matches the parameters", notes=notes or [])
    header = ("phase", "IAM action", "on", "what")
    return Report(f"Review: {len(steps)} change(s) will be made", [s.row() for s in steps], header, notes or [])
