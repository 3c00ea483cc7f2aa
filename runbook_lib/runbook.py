"""The procedure, step by step, as the blog post walks it: one method per notebook section.

Everything that can fail on bad input (parameters, secrets directory, credentials, confirmation,
password, policy names, name clashes) fails before the first write. Writes happen only in
`Runbook.apply` (`write_steps`), which executes the reviewed plan and nothing else, each step through `apply.CALLS`.

Every method returns a `Report`; the front ends decide how to show it (the notebook headless, the
panels, the terminal). The rules a front end needs (which password, whether two codes are usable,
what is pending) are methods here too, so each front end asks the procedure instead of deciding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import checks, codecommit, fixes, mfa
from .apply import Applied
from .choices import Console
from .console_steps import ConsoleSteps
from .delivery import Delivery, PanelPrompt
from .errors import InputError
from .identity import run_preflight
from .mfa_steps import MfaSteps
from .params import PARAMETER_NAMES, Parameters, check_name, parse
from .plan import APPLIED_HEADER, check_owners, plan, review_report
from .reading import observe
from .report import MARK, Report
from .secrets import read_mfa_codes, refuse_secret_parameters
from .sections import CREATE as SECTIONS, progress
from .session import caller, open_session, preflight_report, run_sections
from .stores import DEFAULT_KEEPASS_DB, Account, AskPassword, open_store, parse_settings
from .summary import summary_report


class Runbook(ConsoleSteps, MfaSteps):
    """One run, one method per notebook section (the cells call them by name).

    The state and the readers the sections share are `run_state.RunState`; sections 2, 5 and 6 are
    written in `console_steps`, `write_steps` and `mfa_steps`, and the rest here.
    """

    # --- 0 preflight -------------------------------------------------------------------------

    def preflight(self) -> Report:
        """Preflight's findings, and where the secrets will go (or why the store cannot take them yet)."""
        report = preflight_report(self.pre)
        mark = MARK["todo"] if self.delivery.locked else MARK["ok"]
        report.rows = [*report.rows, *((mark, "secrets store", n) for n in self.delivery.notes)]
        return report

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

    # --- 4 review ----------------------------------------------------------------------------

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
