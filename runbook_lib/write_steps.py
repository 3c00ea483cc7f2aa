"""The writes: executing the reviewed plan through `apply.CALLS`, and section 5 (Create).

Only `WriteSteps.apply` writes, and it executes the reviewed steps and nothing else. Each secret goes
to the secrets store before the call that makes it (`delivery.ready`), so none is ever lost.
"""

from __future__ import annotations

from dataclasses import replace

from . import passwords
from .apply import Given
from .delivery import MAKES_SECRET
from .plan import APPLIED_HEADER, Phase, Step
from .report import Report
from .run_state import RunState
from .secrets import register
from .sections import progress


class WriteSteps(RunState):
    """The apply engine that sections 5-7 share, and section 5 of `Runbook`."""

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
