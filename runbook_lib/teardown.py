"""Teardown: remove the admin user the runbook made, in the order IAM requires, after review and confirm.

IAM refuses `DeleteUser` while anything is still attached to the user (`DeleteConflict`), so the
removal goes in the order the IAM User Guide gives for deleting a user
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html): service-specific
credentials; MFA devices, deactivated and then deleted; the login profile; access keys (and
signing certificates and SSH keys, which the runbook never makes but an adopted user may have);
managed policies detached and inline policies deleted; group memberships; then the user.

Like the create runbook it plans from what IAM holds, shows the plan, and writes only once
`confirm` names what goes. `confirm` is the user name on the sandbox, and `ACCOUNT_ID/USER_NAME`
on real AWS, so that neither the create run's `confirm` (the account id alone) nor a confirm meant
for another account or another user can delete anything. A re-run after a stop finishes the job;
a re-run of a finished teardown makes no write. A user the runbook did not tag is refused unless
`adopt=True`.

Only what can be tied to the named user goes: what IAM lists for that user (its credentials, assigned
MFA devices, login profile, keys, policies, group memberships), and the unassigned MFA devices whose
tags name it (the create run tags every device with its user). Never anything by its name alone: a
teardown of a user that does not exist, or with another user's `mfa_device_name`, removes no other
user's waiting device. `mfa_device_name` is still accepted, for old command lines, and not needed.

Kept on purpose: the group of `grant_via="group"` (only the user's membership is removed; other members
may rely on the group), the account
password policy, and the secrets files, which are on the machine, not in IAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import mfa
from .apply import Applied, Given
from .aws import Connection
from .errors import ConflictError, InputError
from .identity import Preflight
from .params import Parameters, parse
from .plan import APPLIED_HEADER, Step
from .report import MARK, Report
from .sections import TEARDOWN as SECTIONS, SectionKey, detail, progress as _progress
from .session import caller, open_session, preflight_report, run_sections
from .users import Holdings, holdings

PARAMETERS = ("user_name", "mfa_device_name", "target", "profile", "region", "confirm", "adopt")
"""The teardown notebook's parameters; a subset of the create runbook's, checked the same way."""

AGAIN = "Run the teardown again: it reads what IAM holds now and removes only what is left."


def progress(key: SectionKey, status: str) -> None:
    """One step line, as the create runbook's: `runbook teardown` streams these."""
    _progress(key, status, SECTIONS)


def observe(conn: Connection, user_name: str) -> Holdings:
    """Everything the user holds, and the unassigned devices the runbook made for it (tied by tag, not by name)."""
    pending = tuple(d.serial for d in mfa.find_pending(conn.iam, user_name))
    return holdings(conn.iam, user_name, pending)


def plan(h: Holdings) -> list[Step]:
    """Every removal still needed, in the order IAM requires; empty once the user is gone."""
    u = h.user_name
    steps = [
        Step("codecommit", "DeleteServiceSpecificCredential", u, f"delete {service} credential {cid}", cid)
        for service, cid in h.service_credentials
    ]
    for serial in h.mfa_devices:
        steps.append(Step("mfa", "DeactivateMFADevice", u, f"deactivate MFA device {serial}", serial))
        if serial.startswith("arn:"):  # a hardware or FIDO device is deactivated, not deleted
            steps.append(Step("mfa", "DeleteVirtualMFADevice", serial, f"delete virtual MFA device {serial}", serial))
    steps += [
        Step("mfa", "DeleteVirtualMFADevice", s, f"delete unassigned device {s} left by a stopped run", s)
        for s in h.pending_devices
    ]
    if h.login_profile:
        steps.append(Step("user", "DeleteLoginProfile", u, "delete the console password (login profile)"))
    steps += [Step("user", "DeleteAccessKey", u, f"delete access key {k}", k) for k in h.access_keys]
    steps += [
        Step("user", "DeleteSigningCertificate", u, f"delete signing certificate {c}", c)
        for c in h.signing_certificates
    ]
    steps += [Step("user", "DeleteSSHPublicKey", u, f"delete SSH public key {k}", k) for k in h.ssh_public_keys]
    steps += [Step("user", "DetachUserPolicy", u, f"detach {arn}", arn) for arn in h.attached_policies]
    steps += [Step("user", "DeleteUserPolicy", u, f"delete inline policy {name}", name) for name in h.inline_policies]
    steps += [Step("user", "RemoveUserFromGroup", u, f"remove {u} from group {g}", g) for g in h.groups]
    if h.exists:
        steps.append(Step("user", "DeleteUser", u, f"delete IAM user {u}"))
    return steps


# --- one teardown ------------------------------------------------------------------------------------


@dataclass
class Teardown:
    """One teardown run: parameters, connection, what the user holds, the plan, and what was removed."""

    params: Parameters
    conn: Connection
    pre: Preflight
    held: Holdings | None = None
    steps: list[Step] = field(default_factory=list)
    done: list[Step] = field(default_factory=list)
    reviewed: bool = False

    @property
    def expected_confirm(self) -> str:
        """What `confirm` must say: the user, and on real AWS also the account, that will be deleted."""
        if self.params.target == "aws":
            return f"{self.pre.account_id}/{self.params.user_name}"
        return self.params.user_name

    # --- 0 preflight -------------------------------------------------------------------------------

    def preflight(self) -> Report:
        return preflight_report(self.pre)

    # --- 1 the user --------------------------------------------------------------------------------

    def check_user(self) -> Report:
        """Read everything the user holds; refuse a user this runbook did not create, unless adopted."""
        p = self.params
        self.held = observe(self.conn, p.user_name)
        h = self.held
        if h.exists and not h.ours and not p.adopt:
            raise ConflictError(
                f"User {p.user_name!r} was not created by this runbook; nothing was removed.",
                parameter="user_name",
                fix="Check the name. To remove this user anyway, review what it holds, then set adopt=True.",
            )
        if not h.exists:
            left = f", but {len(h.pending_devices)} unassigned MFA device(s) a stopped run made for it remain"
            state = "does not exist" + (left if h.pending_devices else "")
        else:
            state = "exists (created by this runbook)" if h.ours else "exists; adopted (adopt=True)"
        progress("user", state)
        rows = [
            ("state", state),
            ("Git and other service credentials", str(len(h.service_credentials))),
            ("MFA devices", ", ".join(h.mfa_devices) or "none"),
            ("unassigned MFA devices left by a run", ", ".join(h.pending_devices) or "none"),
            ("console password", "yes" if h.login_profile else "no"),
            ("access keys", str(len(h.access_keys))),
            ("policies", ", ".join((*h.attached_policies, *h.inline_policies)) or "none"),
            ("groups", ", ".join(h.groups) or "none"),
        ]
        return Report(f"User {p.user_name}", rows)

    # --- 2 review ----------------------------------------------------------------------------------

    def review(self) -> Report:
        """The plan: every removal, in IAM's order, and nothing else."""
        if self.held is None:
            self.check_user()
        assert self.held is not None
        self.steps, self.reviewed = plan(self.held), True
        kept = [
            "Kept: the account password policy, and the secrets files on this machine (delete them yourself).",
        ]
        if self.held.groups:
            kept.insert(0, f"Kept: group(s) {', '.join(self.held.groups)} and their policies; others may use them.")
        if not self.steps:
            progress("review", "nothing to do: nothing of this user is left")
            return Report("Review: nothing to remove", notes=kept)
        progress("review", f"{len(self.steps)} removal(s) planned")
        for s in self.steps:
            detail(f"{s.action}: {s.detail}")
        rows = [(s.action, s.target, s.detail) for s in self.steps]
        go = (
            "confirm names this user: the next cell makes these removals."
            if self.params.confirm == self.expected_confirm
            else f"To go ahead, set confirm = {self.expected_confirm!r} and run the next cell."
        )
        notes = [go, *kept]
        return Report(f"Review: {len(self.steps)} removal(s)", rows, ("IAM action", "on", "what"), notes)

    # --- 3 remove ----------------------------------------------------------------------------------

    def remove(self) -> Report:
        """Apply the reviewed plan, once `confirm` names what goes; a stop part-way is finished by a re-run."""
        if not self.reviewed:
            self.review()  # a skipped review cell: the plan is shown here, and confirm still decides
        if not self.steps:
            progress("remove", "nothing to do")
            return Report("Nothing removed: nothing was left")
        if self.params.confirm != self.expected_confirm:
            raise InputError(
                f"Deleting user {self.params.user_name!r} needs confirmation; nothing was removed.",
                parameter="confirm",
                fix=f"Review the {len(self.steps)} removal(s) above, then set confirm={self.expected_confirm!r}.",
            )
        removals = Applied(self.conn.iam, again=AGAIN, gone_is_done=True, steps=self.steps, done=self.done)
        for step in removals.pending():
            removals.execute(step, Given())
        progress("remove", f"{len(self.done)} removal(s) made")
        rows = [s.applied_row() for s in self.done]
        return Report("Removed", rows, APPLIED_HEADER)

    # --- 4 verify ----------------------------------------------------------------------------------

    def verify(self) -> Report:
        """Read IAM again: the user and the devices the runbook made for it are gone."""
        left = plan(observe(self.conn, self.params.user_name))
        if left:
            progress("verify", f"{len(left)} thing(s) still there: run again")
            rows = [s.applied_row(MARK["warn"]) for s in left]
            return Report("Still there (run the teardown again)", rows, APPLIED_HEADER)
        progress("verify", f"{self.params.user_name} is gone, with everything it held")
        return Report(f"Verified: {self.params.user_name} no longer exists, and no MFA device of it is left")


# --- entry points --------------------------------------------------------------------------------


def parse_params(raw: Mapping[str, Any]) -> Parameters:
    """The create runbook's checks, on the teardown's parameters only."""
    unknown = sorted(set(raw) - set(PARAMETERS))
    if unknown:
        raise InputError(
            f"Teardown has no parameter {unknown[0]!r}.",
            parameter=unknown[0],
            fix=f"Use only: {', '.join(PARAMETERS)}.",
        )
    return parse(raw)


def start(namespace: Mapping[str, Any]) -> Teardown:
    """Section 0: check the parameters, connect and run preflight (reads only).

    `namespace` is the notebook's globals (or any mapping); only the teardown's parameters are read.
    """
    params = parse_params({k: v for k, v in namespace.items() if k in PARAMETERS})
    conn, pre = open_session(params)
    progress("preflight", f"{caller(pre)} ({params.target})")
    return Teardown(params=params, conn=conn, pre=pre)


def run_headless(namespace: Mapping[str, Any]) -> Teardown:
    """The whole teardown without a notebook: the same calls as the notebook's cells."""
    td = start(namespace)
    run_sections(td, SECTIONS)
    return td
