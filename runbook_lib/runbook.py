"""The procedure, step by step, as the blog post walks it: one method per notebook section.

Everything that can fail on bad input (parameters, secrets directory, credentials, confirmation,
password, policy names, name clashes) fails before the first write. Writes happen only in
`Runbook.apply`, which executes the reviewed plan and nothing else, each step through `apply.CALLS`.

Every method returns a `Report`; the front ends decide how to show it (the notebook headless, the
panels, the terminal). The rules a front end needs (which password, whether two codes are usable,
what is pending) are methods here too, so each front end asks the procedure instead of deciding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import checks, choices, codecommit, fixes, mfa, passwords, policies, users
from .apply import Applied, Given
from .aws import Connection
from .choices import Console, PasswordMode, PasswordSource
from .delivery import MAKES_SECRET, DeliveredDevice, Delivery, PanelPrompt, Reveal, waiting_device
from .errors import InputError
from .identity import Preflight, run_preflight
from .mfa import VirtualDevice
from .params import CHOICES, PARAMETER_NAMES, Parameters, check_name, parse
from .plan import (
    APPLIED_HEADER,
    Desired,
    Observed,
    Phase,
    Step,
    check_owners,
    holding_notes,
    kept_password,
    plan,
    review_report,
)
from .reading import observe, resolve_policies
from .report import MARK, Report
from .secrets import read_mfa_codes, read_password, refuse_secret_parameters, register
from .sections import CREATE as SECTIONS, progress
from .session import caller, open_session, preflight_report, run_sections
from .stores import DEFAULT_KEEPASS_DB, Account, AskPassword, open_store, parse_settings
from .summary import summary_report

GIT_POLICY = "AWSCodeCommitPowerUser"


@dataclass
class Runbook:
    """One run: its parameters, connection and preflight, and the typed values each section produces.

    `console` (section 2), `observed` (1), `desired` (3) and `applied` (4-7) are filled by their
    sections; a section that needs an earlier one's value reads it through a method that makes it
    when missing, so no order lives in asserts.
    """

    params: Parameters
    conn: Connection
    pre: Preflight
    console: Console
    delivery: Delivery
    applied: Applied
    observed: Observed | None = None
    desired: Desired | None = None
    catalogue: list[policies.PolicyRef] | None = None
    codes: tuple[str, str] | None = None
    finished: dict[str, Report] = field(default_factory=dict)  # a write section's report once it has nothing left
    front: fixes.Front = "headless"  # who shows the reports: Verify words its fixes in that front end's terms

    @property
    def interactive(self) -> bool:
        """A person answers in panels (mfa_codes='prompt'): no headless refusals for missing input."""
        return self.params.mfa_codes == "prompt"

    # --- 0 preflight -------------------------------------------------------------------------

    def preflight(self) -> Report:
        """Preflight's findings, and where the secrets will go (or why the store cannot take them yet)."""
        report = preflight_report(self.pre)
        mark = MARK["todo"] if self.delivery.locked else MARK["ok"]
        report.rows = [*report.rows, *((mark, "secrets store", n) for n in self.delivery.notes)]
        return report

    @property
    def store_locked(self) -> bool:
        """The KeePass database waits for the master password a panel asks for: nothing can be written yet."""
        return self.delivery.locked is not None

    @property
    def store_creating(self) -> bool:
        """The locked database does not exist yet: its new master password is typed twice."""
        return self.delivery.creating

    def choose_store(self, kind: str, keepass_db: str = "", keepass_keyfile: str = "") -> Report:
        """A panel's choice of where the secrets go, before anything is written; checked as preflight checks it.

        The wizard has no parameters cell, so this is how a person picks `keepass` or `pass` there. A
        KeePass database that needs its master password is left locked for `unlock_store`.
        """
        if self.applied.done:
            raise InputError(
                "The secrets store cannot change once this run has written to IAM.",
                parameter="secrets_store",
                fix="Keep this store for this run; choose another one when you start the next run.",
            )
        keepass = kind == "keepass"
        params = replace(
            self.params,
            secrets_store=kind,
            keepass_db=(keepass_db.strip() if keepass else "") or DEFAULT_KEEPASS_DB,
            keepass_keyfile=keepass_keyfile.strip() if keepass else "",
        )
        parse_settings(params.as_dict())
        delivery = open_delivery(params, self.delivery.store.account)
        delivery.reveal = self.delivery.reveal
        delivery.store.ready()
        delivery.check()
        self.params, self.delivery, self.applied.delivery = params, delivery, delivery
        return self.preflight()

    def unlock_store(self, password: str, again: str | None = None) -> Report:
        """The KeePass master password from the preflight panel: the store is checked again with it."""
        self.delivery.unlock(password, again)
        return self.preflight()

    def recheck_preflight(self) -> Report:
        """Read the caller and the account again (after the person fixed a warning)."""
        self.pre = run_preflight(self.conn)
        return self.preflight()

    # --- 1 user ------------------------------------------------------------------------------

    def choose_user(self, name: str | None = None) -> Report:
        """Read the user; refuse a stranger's user unless `adopt` says so. `name` changes the user to make."""
        if name is not None and name != self.params.user_name:
            self.params = replace(self.params, user_name=check_name(name, "user_name"))
            self.desired = None
            self.delivery.rename(name)  # no secret is delivered before Create
        p = self.params
        self.observed = observe(self.conn.iam, p, self.pre.password_policy, self.delivery.holds_console)
        check_owners(self.observed, p.adopt)  # the Git user and the group too, before section 2
        u = self.observed.admin
        state = (
            "does not exist yet: it will be created"
            if not u.exists
            else ("exists (created by this runbook)" if u.ours else "exists; adopted (adopt=True)")
        )
        progress("user", state)
        return Report(f"User {p.user_name}", [("name", f"{p.user_name}: valid IAM name"), ("state", state)])

    def observation(self) -> Observed:
        """What IAM holds for this run, read by section 1 (or now, if it did not run)."""
        if self.observed is None:
            self.observed = observe(self.conn.iam, self.params, self.pre.password_policy, self.delivery.holds_console)
        return self.observed

    def _recorded(self, observed: Observed) -> Observed:
        """The waiting devices whose seed a secrets file records: delivered, so reused rather than replaced."""
        found = {v.serial: self.delivery.recorded(v, self.params.device_name) for v in observed.pending}
        return replace(observed, recorded={s: d.where for s, d in found.items() if d is not None})

    # --- 2 console access --------------------------------------------------------------------

    def console_access(
        self,
        access: bool | None = None,
        mode: PasswordMode | None = None,
        reset_required: bool | None = None,
        password: str | None = None,
        confirm: str | None = None,
        *,
        replace_password: bool | None = None,
        password_policy: str | None = None,
    ) -> Report:
        """The console-access choice: the parameters', or what a panel or the terminal passes.

        A custom password (typed, or from $RUNBOOK_PASSWORD or password_file) is checked rule by rule.
        A user who has a password keeps it unless `replace_password`; a password given for a user whose
        password is kept is refused, never accepted and dropped. `password_policy` ('keep' or 'cis') is
        the account's policy choice, which the password is checked against.
        """
        if password:
            register(password)
        if password_policy is not None and password_policy != self.params.password_policy:
            if password_policy not in CHOICES["password_policy"]:
                raise InputError(
                    f"password_policy={password_policy!r} is not one of {', '.join(CHOICES['password_policy'])}.",
                    parameter="password_policy",
                    fix="Choose keep (the account's policy as it is) or cis (length 14, reuse 24).",
                )
            self.params = replace(self.params, password_policy=password_policy)
        self.desired = None  # the plan's input changes with this choice
        chosen = choices.console_from(self.console, access, mode, reset_required, replace_password)
        self.console = replace(chosen, password=None)  # a refused password is not kept
        if not chosen.access:
            progress("console", "no console access requested")
            return Report("Console access: none (console_access=False)")
        if self.observation().admin.login_profile and not chosen.replace:
            return self._kept(chosen, choices.typed_password(password, confirm) is not None)
        if chosen.mode == "custom":
            given = choices.typed_password(password, confirm) or chosen.password
            chosen = replace(chosen, password=given if given is not None else self._custom_password())
        rows, how = choices.console_rows(chosen, self.effective_policy, self.params.user_name)
        if self.observation().admin.login_profile:
            how = f"{how}; it replaces the existing password (UpdateLoginProfile)"
        self.console = chosen
        progress("console", how)
        return Report(f"Console access: {how}", rows)

    def _kept(self, chosen: Console, typed: bool) -> Report:
        """The user has a console password and it is kept: any password given is refused, not dropped."""
        given = typed or (chosen.mode == "custom" and read_password(self.params.password_file) is not None)
        refusal = choices.unused_password(True, chosen, given)
        if refusal is not None:
            raise refusal
        self.console = replace(chosen, password=None)
        kept = kept_password(self.observation().admin)
        progress("console", kept)
        rows = [
            ("console password", kept),
            ("to replace it", "replace_password=True: a new password, set by UpdateLoginProfile after the review"),
        ]
        return Report("Console access: the existing password is kept", rows)

    def _custom_password(self) -> str:
        """Nothing typed: $RUNBOOK_PASSWORD or password_file; none at all is an error."""
        if self.interactive:
            raise InputError(
                "Custom password is chosen, but no password was typed.",
                parameter="password",
                fix="Type the password in both fields, or choose Autogenerated password.",
            )
        found = read_password(self.params.password_file)
        if found is None:
            raise InputError(
                "password_mode is 'custom' but no password was given.",
                parameter="password_mode",
                fix="Set RUNBOOK_PASSWORD or password_file=PATH, or use password_mode='generated'.",
            )
        return found

    def password_source(self) -> PasswordSource:
        """Where the console password will come from, for a front end deciding whether to ask for one."""
        c = self.console
        if not c.access:
            return "none"
        if self.has_password and not c.replace:
            return "kept"
        if c.mode == "generated":
            return "generated"
        if c.password is not None or self.params.password_file or read_password() is not None:
            return "given"
        return "ask"

    @property
    def has_password(self) -> bool:
        """The user already has a console password (a login profile), as section 1 read it."""
        return self.observation().admin.login_profile

    def password_rules(
        self, typed: str, again: str | None = None, password_policy: str | None = None
    ) -> list[passwords.RuleResult]:
        """Every rule for a password being typed (and, with `again`, whether both fields match).

        `password_policy` is a choice not yet submitted ('keep' or 'cis'): the rules are those it would set.
        """
        return choices.password_rules(typed, again, self.policy_for(password_policy), self.params.user_name)

    def policy_for(self, password_policy: str | None = None) -> passwords.PasswordPolicy:
        """The password policy a choice ('keep', 'cis', or None: the run's) puts in force."""
        chosen = self.params.password_policy if password_policy is None else password_policy
        return passwords.CIS_POLICY if chosen == "cis" else self.pre.password_policy

    def console_ready(
        self,
        access: bool,
        mode: PasswordMode,
        typed: str,
        again: str,
        replace_password: bool = False,
        password_policy: str | None = None,
    ) -> bool:
        """Whether a console choice can be submitted as it stands (the panel's button)."""
        if not access:
            return True
        has_password = self.observed is not None and self.observed.admin.login_profile  # no read before step 1
        if has_password and not replace_password:
            return not (typed or again)  # the password is kept: nothing typed may go unused
        if mode == "generated":
            return True
        if not typed:
            return self.custom_password_accepted and not again  # keep the accepted password
        return all(r.ok for r in self.password_rules(typed, again, password_policy))

    @property
    def custom_password_accepted(self) -> bool:
        return self.console.mode == "custom" and self.console.password is not None

    @property
    def password(self) -> str | None:
        """The console password this run chose or generated (None until one exists)."""
        return self.console.password

    @property
    def effective_policy(self) -> passwords.PasswordPolicy:
        return self.policy_for()

    # --- 3 permissions -----------------------------------------------------------------------

    def permissions(self) -> Report:
        """Resolve the policies by name, as the console's search does, into the run's desired state."""
        self.desired = None
        chosen = self.wanted().policies
        how = "to the user" if self.params.grant_via == "user" else f"through group {self.params.group_name}"
        progress("permissions", ", ".join(c.name for c in chosen) + f" ({how})")
        return Report(f"Permissions, granted {how}", [(c.name, c.arn) for c in chosen], ("policy", "ARN"))

    def choose_permissions(self, arns: list[str], grant_via: str, group_name: str) -> Report:
        """A panel's choice of policies and of how they are granted."""
        group = check_name(group_name, "group_name")
        self.params = replace(self.params, policies=arns, grant_via=grant_via, group_name=group)
        return self.permissions()

    def policy_catalogue(self) -> list[policies.PolicyRef]:
        """AWS's managed policies (two pages), listed once per run, for a search box."""
        if self.catalogue is None:
            self.catalogue = policies.list_aws_managed(self.conn.iam)
        return self.catalogue

    def _resolve(self, names: list[str]) -> list[policies.PolicyRef]:
        found, self.catalogue = resolve_policies(self.conn.iam, names, self.catalogue)
        return found

    # --- 4 review ----------------------------------------------------------------------------

    def wanted(self) -> Desired:
        """The desired state, from section 3 (or resolved now, if it did not run)."""
        if self.desired is None:
            p = self.params
            git = self._resolve([GIT_POLICY]) if p.codecommit_user else []
            self.desired = choices.desired(p, self.console, self._resolve(p.policies), git)
        return self.desired

    def review(self, *, read_again: bool = False) -> Report:
        """The plan: every write that apply will make, and nothing else (`read_again`: read IAM afresh)."""
        if read_again:
            self.choose_user()
        observed = replace(self._recorded(self.observation()), codes_available=self._codes_available())
        steps = plan(self.wanted(), observed)  # refuses what the guards refuse, before anything is granted
        self.applied.steps = steps
        unconfirmed = self.params.target == "aws" and self.params.confirm != self.pre.account_id
        if unconfirmed and not self.interactive and steps:
            raise InputError(
                f"target='aws' writes to real account {self.pre.account_id}, and confirm does not name it.",
                parameter="confirm",
                fix=f"Review the plan, then run again with confirm={self.pre.account_id!r}.",
            )
        progress("review", f"{len(steps)} change(s) planned" if steps else "nothing to do: the account already matches")
        return review_report(steps, self.holding_notes())

    def holding_notes(self) -> list[str]:
        """What the review says about existing users' passwords and keys, and the group's other members."""
        return holding_notes(self.wanted(), self.observation())

    def full_plan(self) -> list[Step]:
        """Every write of the deferred flow's two runs: the plan as if two codes were already given."""
        return plan(self.wanted(), replace(self._recorded(self.observation()), codes_available=True))

    @property
    def steps(self) -> list[Step]:
        return self.applied.steps

    def pending(self, phase: Phase | None = None) -> list[Step]:
        """The reviewed steps not done yet (of one phase): what a panel still has to do."""
        return self.applied.pending(phase)

    # --- 5-7 apply ---------------------------------------------------------------------------

    def apply(self, *phases: Phase) -> list[Step]:
        """Execute the planned steps of these phases, in order; return what was done."""
        made: list[Step] = []
        todo = [s for s in self.pending() if s.phase in phases]
        secret_ahead = next((s.action for s in todo if s.action in MAKES_SECRET), "")
        for step in todo:
            if step.phase == "codecommit" and self.params.mfa and not self.mfa_enabled():
                break  # the deferred flow stops at MFA; the next run finishes both
            if step.action == "EnableMFADevice" and self.interactive and self.codes is None:
                break  # the panel asks for two codes, then calls submit_codes
            if secret_ahead or step.action in MAKES_SECRET:
                # before the batch's first write (no user without its password), and again at each secret
                self.delivery.ready(step.action if step.action in MAKES_SECRET else secret_ahead)
                secret_ahead = ""
            self.applied.execute(step, self._given(step))
            made.append(step)
        return made

    def _given(self, step: Step) -> Given:
        """The secrets a step sends: the console password (in the store before the call: never lost), or two codes."""
        if step.action in ("CreateLoginProfile", "UpdateLoginProfile"):
            if self.console.password is None:
                self.console = replace(self.console, password=register(passwords.generate(self.effective_policy)))
            password = self.console.password or ""
            self.delivery.console(password, self.pre.signin_url, step.action)
            return Given(password=password, reset_required=self.console.reset_required)
        if step.action == "EnableMFADevice":
            codes, self.codes = self.codes, None  # codes are single-use: never kept after an attempt
            return Given(codes=codes)
        return Given()

    def _once(self, key: str, phases: tuple[Phase, ...], report: Report) -> Report:
        """Keep a write section's report once its phases have nothing left: a repeat returns it unchanged."""
        if not any(self.pending(p) for p in phases):
            self.finished[key] = report
        return report

    def create(self) -> Report:
        """Section 5: the account policy, the user, console access and permissions.

        Called again once done (a second click), it returns the first report: a repeat never changes a result.
        """
        if "create" in self.finished:
            return self.finished["create"]
        made = self.apply("account", "user")
        rows = [s.applied_row() for s in made]
        notes = []
        set_password = [s for s in made if s.action in ("CreateLoginProfile", "UpdateLoginProfile")]
        placed = self.delivery.placed("console")
        if self.console.password is not None and set_password and placed is not None:
            if set_password[0].action == "UpdateLoginProfile":
                notes.append("The console password was replaced (UpdateLoginProfile).")
            notes.append(self.delivery.note(placed, self.interactive))
        progress("create", f"{len(made)} change(s) made" if made else "nothing to do")
        header = APPLIED_HEADER if made else ()
        title = "Created" if made else "Nothing to create: already in place"
        return self._once("create", ("account", "user"), Report(title, rows, header, notes))

    def enable_mfa(self) -> Report:
        """Section 6: create the virtual device (or take up the one an earlier run left waiting) and enable it.

        A waiting device whose seed an earlier run delivered is reused: its QR code is shown again from the
        secrets file, so the entry the person's app already has keeps working.
        """
        p = self.params
        if "mfa" in self.finished:
            self.codes = None  # codes are single-use, and this step is done
            return self.finished["mfa"]
        if not p.mfa:
            progress("mfa", "skipped (mfa=False)")
            return self._once("mfa", ("mfa",), Report("MFA: skipped (mfa=False)"))
        before = "an MFA device" if self.mfa_enabled() else "no MFA device"
        resumed = self._resume_device()
        made = self.apply("mfa")
        rows = [s.applied_row() for s in made]
        notes = [f"Before this step: {p.user_name} had {before} enabled."]
        for step in made:
            if step.action == "DeleteVirtualMFADevice":
                notes.append(
                    f"Deleted device {step.arg}, left waiting by an earlier run with its seed recorded nowhere. "
                    "If your authenticator app has an entry for it, remove that entry: it can never work."
                )
        if resumed is not None:
            notes.append(
                f"Device {resumed.serial} was made by an earlier run and is reused: its seed is in "
                f"{resumed.where}, and an authenticator entry made from its QR code keeps working."
            )
        placed = self.delivery.placed("mfa")
        if placed is not None and any(s.action == "CreateVirtualMFADevice" for s in made):
            notes.append(self.delivery.note(placed, self.interactive))
        if self.mfa_enabled():
            notes.append(f"Now: {p.user_name} signs in with MFA (device {self._serial()}).")
            progress("mfa", "enabled")
        else:
            notes.append("Now: the device is waiting for two codes.")
            if self.interactive:
                notes.append("Scan the QR code with an authenticator app, then enter two consecutive codes it shows.")
                progress("mfa", "device ready; waiting for two codes")
            else:
                notes.append(
                    "Import the seed into an authenticator app, then run again with "
                    "RUNBOOK_MFA_CODES=<code1>,<code2> (or mfa_codes_file=PATH) to enable the device."
                )
                progress("mfa", "device created; waiting for codes (defer)")
        return self._once("mfa", ("mfa",), Report("MFA", rows, APPLIED_HEADER if rows else (), notes))

    def _resume_device(self) -> DeliveredDevice | None:
        """The waiting device the plan reuses, with its seed from the secrets file, once per run.

        Its seed lets this run check the person's codes (or make them, mfa_codes='generate'); a front end
        that shows secrets gets its QR code again.
        """
        reuse = [s for s in self.pending("mfa") if s.action == "EnableMFADevice" and s.arg]
        if not reuse or (self.applied.device is not None and self.applied.device.serial == reuse[0].arg):
            return None
        waiting = next((v for v in self.observation().pending if v.serial == reuse[0].arg), VirtualDevice(reuse[0].arg))
        found = self.delivery.recorded(waiting, self.params.device_name)
        if found is None:
            return None  # the deferred flow: the codes come from the person's app, the seed is not needed
        self.applied.device = VirtualDevice(found.serial, found.seed, waiting.deferred, waiting.device_id)
        self.delivery.show_again(found)
        return found

    def submit_codes(self, first: str, second: str) -> Report:
        """Interactive MFA: two codes, each six digits, checked locally against the seed, then the device enabled.

        A `CodeError` (not six digits, a typo, swapped, the same code twice, a skewed clock) leaves the
        device pending, so the person can simply try again with new codes. Once MFA is enabled, a repeat
        returns the report that enabled it.
        """
        if "mfa" in self.finished:
            return self.finished["mfa"]
        self.codes = choices.code_pair(first, second)
        return self.enable_mfa()

    def mfa_enabled(self) -> bool:
        """The user has an enabled device: read by section 1, or enabled by this run."""
        enabled_now = any(s.action == "EnableMFADevice" for s in self.applied.done)
        return enabled_now or bool(self.observation().admin.mfa_serials)

    def mfa_waiting(self) -> bool:
        """MFA was asked for and the user has no enabled device yet (read afresh from IAM)."""
        p = self.params
        seen = users.observe(self.conn.iam, p.user_name, login=False, codecommit=False, keys=False)
        return p.mfa and not seen.mfa_serials

    def waiting_device(self) -> DeliveredDevice:
        """The deferred device an earlier run created for the user, with its seed read back from the secrets store."""
        p = self.params
        return waiting_device(self.conn.iam, p.user_name, p.device_name, self.delivery)

    def git_credentials(self) -> Report:
        """Section 7: HTTPS Git credentials for CodeCommit, shown once (a repeat returns the first report)."""
        p = self.params
        if "codecommit" in self.finished:
            return self.finished["codecommit"]
        if not p.codecommit:
            progress("codecommit", "skipped (codecommit=False)")
            return self._once("codecommit", ("codecommit",), Report("CodeCommit: skipped (codecommit=False)"))
        made = self.apply("codecommit")
        rows = [s.applied_row() for s in made]
        notes = []
        git = self.applied.git
        placed = self.delivery.placed("codecommit")
        if git is not None and placed is not None:
            notes.append(f"Git user name: {git.username}")
            notes.append(self.delivery.note(placed, self.interactive))
        notes.append(f"Clone URL: {codecommit.clone_url(p.region)}")
        pending = self.pending("codecommit")
        status = "waiting for MFA" if pending else ("created" if made else "already in place")
        observed = self.observation()
        existing = (observed.git or observed.admin).credential_ids if not made and not pending else []
        if existing:
            # IAM shows a credential's password once; a stop right after the create loses it.
            notes.append(
                f"Made by an earlier run: its password is where that run put it (its secrets store). If it was lost, "
                f"run again with codecommit_reset={existing[0]!r} for a new one."
            )
        progress("codecommit", status)
        header = APPLIED_HEADER if rows else ()
        report = Report(f"CodeCommit HTTPS Git credentials: {status}", rows, header, notes)
        return self._once("codecommit", ("codecommit",), report)

    # --- 8 summary, 9 verify -------------------------------------------------------------------

    def summary(self) -> Report:
        """Section 8: what was done, what is left, where to sign in, and what stays manual."""
        d = self.delivery
        report, status = summary_report(self.applied, self.pre, self.params.user_name, d.locations(), d.plain_files())
        progress("summary", status)
        return report

    def verify(self) -> Report:
        """The auditors' controls read back (CIS v3.0 / Prowler), each fix in this front end's terms."""
        results = self.controls()
        failed = [c.prowler for c in results if c.status == "FAIL"]
        progress("verify", f"{len(failed)} control(s) fail: {', '.join(failed)}" if failed else "all controls pass")
        return checks.as_report(results, self.fix)

    def controls(self) -> list[checks.Check]:
        """The auditors' controls, read back from IAM (what preflight read and this run did not change, it reuses)."""
        changed_policy = any(s.action == "UpdateAccountPasswordPolicy" for s in self.applied.done)
        known = checks.Known(
            root_mfa=self.pre.root_mfa,
            root_access_keys=self.pre.root_access_keys,
            password_policy=None if changed_policy else self.pre.password_policy,
        )
        return checks.verify(self.conn.iam, self.params.user_name, known)

    def fix(self, check: checks.Check) -> str:
        """A failing control's fix, as the front end showing it can carry it out (`fixes.fix_text`)."""
        return fixes.fix_text(check, self.front, self.params)

    # --- helpers -----------------------------------------------------------------------------

    def _codes_available(self) -> bool:
        if self.codes is None and self.params.mfa_codes == "defer":
            self.codes = read_mfa_codes(self.params.mfa_codes_file)
        return self.codes is not None

    def _serial(self) -> str:
        serials = self.observation().admin.mfa_serials
        if serials:
            return serials[0]
        return self.applied.device.serial if self.applied.device else ""

    def reveal_to(self, reveal: Reveal) -> None:
        """A front end that shows secrets once registers here; the secrets store gets them regardless."""
        self.delivery.reveal = reveal


def start(namespace: Mapping[str, Any], ask_password: AskPassword | None = None) -> Runbook:
    """Section 0: validate the parameters, connect, run preflight, and check the secrets store.

    `namespace` is the notebook's globals (or any mapping); only the parameter names are read, and
    any other secret-looking name is refused before it can travel further. `ask_password` is the
    terminal's prompt for a KeePass master password; the panels ask in their preflight panel, and a
    headless run has only $RUNBOOK_KEEPASS_PASSWORD and the key file. A store that cannot take the
    secrets (no `pass`, an uninitialised store, a wrong master password) stops the run here.
    """
    raw = {k: v for k, v in namespace.items() if k in PARAMETER_NAMES}
    refuse_secret_parameters({k: v for k, v in namespace.items() if _user_value(k, v)})
    params = parse(raw)
    delivery = open_delivery(params, Account("", params.user_name, ""), ask_password)
    delivery.store.ready()  # where the store writes can take a file: refused before any call to AWS
    conn, pre = open_session(params)
    try:
        delivery.store.account = Account(pre.account_id, params.user_name, pre.signin_url)
        delivery.check()
    except BaseException:
        conn.close()
        raise
    applied = Applied(
        conn.iam,
        delivery,
        generate_codes=params.mfa_codes == "generate",
        git_helper_host=codecommit.host(params.region) if params.git_credential_helper else "",
    )
    run = Runbook(params, conn, pre, Console.of(params), delivery, applied)
    warnings = "".join(f"; WARNING: {f.message}" for f in pre.findings if f.level == "warn")
    progress("preflight", f"{caller(pre)} ({params.target}){warnings}")
    return run


def open_delivery(params: Parameters, account: Account, ask_password: AskPassword | None = None) -> Delivery:
    """The store the parameters choose, opened for `account` (nothing read or written yet).

    A run with a person at the panels (mfa_codes='prompt') and no prompt of its own gets the panels'
    prompt: a KeePass database that needs its master password waits for the preflight panel.
    """
    panel = PanelPrompt() if params.mfa_codes == "prompt" and ask_password is None else None
    store = open_store(params.store, account, ask_password=panel or ask_password, qr_png=mfa.qr_png)
    return Delivery(store, f"https://{codecommit.host(params.region)}", panel)


def _user_value(name: str, value: Any) -> bool:
    return not name.startswith("_") and name not in ("In", "Out") and isinstance(value, str | list | tuple)


def run_headless(namespace: Mapping[str, Any]) -> Runbook:
    """The whole procedure without a notebook (tests, benchmark): the same calls as the notebook's cells."""
    run = start(namespace)
    run_sections(run, SECTIONS)
    return run
