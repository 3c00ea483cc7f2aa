"""Terminal mode: `runbook run -p mfa_codes prompt` on a terminal walks the procedure with a person, as one flow.

It is the deferred flow underneath, not a second copy of the procedure. This process only reads: it
plans, shows preflight and the review, and asks for the password and for a yes. The writes are two
headless notebook runs, exactly as `runbook run -p mfa_codes defer` makes them: the first creates the
user and an MFA device (its seed goes to the secrets store, `secrets_store`); the QR code is then drawn
here, from the seed read back from that store, on the terminal and nowhere else; the person types two
codes, which are checked locally, and the second run enables the device and creates the Git
credentials. Secrets reach the notebook runs only through environment variables (the console password,
the codes, a KeePass master password asked here), which papermill does not record, so the executed
notebooks hold none.

The person sees one flow: the notebook runs are quiet (their own step lines, review and verification
are for their records), and each is reported against the review the person approved ("6 of the 7
changes you reviewed"). At the end come the summary, Verify with its fixes as `runbook run` lines, and
a fresh read of IAM. Tables are drawn with rich, whose cells wrap to the terminal's width.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import checks
from .apply import Applied
from .errors import RunbookError
from .fixes import has_run
from .headless import execute
from .params import Parameters, parse
from .plan import Step, review_report
from .report import MARK, Report
from .runbook import Runbook, start as start_runbook
from .screen import SCREEN, MasterPassword, ask_codes, ask_password, confirmed, say, show, show_qr
from .secrets import MFA_CODES_ENV, PASSWORD_ENV
from .summary import summary_report

CODE_ATTEMPTS = 3  # notebook runs with codes, when IAM refuses codes that were fine locally (expired meanwhile)


def run_in_terminal(args: argparse.Namespace, raw: dict[str, Any]) -> int:
    """Review, yes, create (defer), QR and codes, enable: the procedure with a person at the keyboard."""
    raw = {**raw, "mfa_codes": "defer"}
    say("runbook: terminal mode. Review the plan, say yes, then enable MFA with your authenticator app.")
    master = MasterPassword()
    with shared_sandbox(parse(raw)):
        try:
            runbook = start_runbook(raw, master)
        except RunbookError as exc:
            print(f"runbook: nothing was done.\n{exc}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, EOFError):
            print("\nrunbook: stopped; nothing was changed.", file=sys.stderr)
            return 130
        runbook.front = "terminal"
        try:
            with environ(master.env()):  # the notebook runs (and the re-plan) open the store with it
                return walk(args, raw, runbook)
        finally:
            runbook.conn.close()


def walk(args: argparse.Namespace, raw: dict[str, Any], runbook: Runbook) -> int:
    """The reads and the questions first (stopping there changes nothing), then the writes."""
    try:
        password = prepare(raw, runbook)
        steps = runbook.full_plan()
        show(review(steps, runbook))
        if not steps:
            say("runbook: nothing to do.")
            return 0
        if not confirmed(runbook, steps):
            say("runbook: not confirmed; nothing was changed.")
            return 1
    except RunbookError as exc:
        print(f"runbook: nothing was done.\n{exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("\nrunbook: stopped; nothing was changed.", file=sys.stderr)
        return 130
    if runbook.params.target == "aws":
        raw["confirm"] = runbook.pre.account_id  # the person's yes is the confirmation the notebook asks for
    flow = Flow(args, raw, runbook, steps)
    try:
        return flow.write(password)
    except RunbookError as exc:
        print(f"runbook: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print(f"\nrunbook: stopped.\n{finish_later(args)}", file=sys.stderr)
        return 130


def prepare(raw: dict[str, Any], runbook: Runbook) -> str | None:
    """Preflight, the user, the console password and the permissions, as the notebook's sections 0-3."""
    show(runbook.preflight())
    show(runbook.choose_user())
    source = runbook.password_source()
    password = None
    if source == "kept":
        kept = runbook.console_access()  # refuses a password given (environment, file) that would go unused
        show(
            replace(
                kept, title=f"Console access: {runbook.params.user_name} already has a console password; it is kept"
            )
        )
    else:
        if source == "ask":
            password = ask_password(runbook)
        report = runbook.console_access(password=password, confirm=password)
        if password is None:  # a typed password already had its rule-by-rule check above
            show(report)
    runbook.permissions()
    return password


@dataclass
class Flow:
    """The writes of one terminal run: the two quiet notebook runs, each reported against the reviewed plan."""

    args: argparse.Namespace
    raw: dict[str, Any]
    runbook: Runbook
    reviewed: list[Step]
    began: float = 0.0

    def write(self, password: str | None) -> int:
        """The first run, the QR code and the codes, the second run; then the summary and Verify."""
        self.began = time.time()
        secret_env = {PASSWORD_ENV: password} if password is not None else {}
        SCREEN.print()
        say("Making the reviewed changes; the MFA device is enabled once you enter two codes from your app.")
        rc = self.notebook(secret_env)
        self.raw = {**self.raw, "replace_password": False}  # replaced once; the second run must not again
        left = replan(self.raw)
        if rc != 0:
            self.progress(left)
            return rc
        if not self.runbook.mfa_waiting():
            return self.finish(left)
        self.progress(left)
        device = self.runbook.waiting_device()
        show_qr(device, self.runbook.params.secrets_store == "file")
        for _attempt in range(CODE_ATTEMPTS):
            first, second = ask_codes(device.seed)
            SCREEN.print()
            say("Enabling the MFA device" + (" and making the Git credentials." if self.git_left(left) else "."))
            rc = self.notebook({MFA_CODES_ENV: f"{first},{second}"})  # the password is set: kept from now on
            if not self.runbook.mfa_waiting():
                return rc if rc != 0 else self.finish(replan(self.raw))
            say("IAM did not accept the codes (they can expire while the notebook starts). Enter two new ones.")
        print(finish_later(self.args), file=sys.stderr)
        return 1

    def notebook(self, secret_env: dict[str, str]) -> int:
        """One headless run, quiet: its record is kept, its output shown only when it fails."""
        out, err = io.StringIO(), io.StringIO()
        with environ(secret_env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = execute(self.raw, html=bool(self.args.html), output_dir=Path(self.args.output_dir))
        if rc != 0:
            print(err.getvalue().rstrip(), file=sys.stderr)
        return rc

    def progress(self, left: list[Step]) -> None:
        """What IAM now holds against the review the person approved: done, and still to do."""
        done = self.done(left)
        rows = [s.applied_row() for s in done]
        rows += [s.applied_row(MARK["todo"], f" ({self.waits_for(s)})") for s in self.reviewed if s not in done]
        show(Report(f"Done: {len(done)} of the {len(self.reviewed)} change(s) you reviewed", rows, APPLIED))

    def done(self, left: list[Step]) -> list[Step]:
        """The reviewed steps IAM no longer needs (a step's target is how a fresh plan names it again)."""
        still = {_key(s) for s in left}
        return [s for s in self.reviewed if _key(s) not in still]

    def waits_for(self, step: Step) -> str:
        if step.phase == "mfa":
            return "after your two codes"
        if step.phase == "codecommit":
            return "after MFA is enabled"
        return "not done yet"

    def git_left(self, left: list[Step]) -> bool:
        return any(s.phase == "codecommit" for s in left)

    def finish(self, left: list[Step]) -> int:
        """The summary of the whole flow, Verify in the terminal's terms, and a fresh read of IAM."""
        rb = self.runbook
        done = self.done(left)
        applied = Applied(rb.conn.iam, steps=self.reviewed, done=done)
        held = rb.delivery.held(rb.params.user_name)  # the notebook runs put the secrets, not this process
        summary, _ = summary_report(applied, rb.pre, rb.params.user_name, held, rb.delivery.plain_files())
        title = f"Summary: {len(done)} of the {len(self.reviewed)} change(s) you reviewed are done"
        show(replace(summary, title=title))
        verification(self.raw)
        for step in left:
            say(f"→ still to do: {step.action} {step.target}: {step.detail}", 2)
        if not left:
            SCREEN.print()
            say("runbook: read back from IAM: the account matches the review; a re-run would change nothing.")
        records = sorted(Path(self.args.output_dir).glob("*.ipynb"), key=lambda p: p.stat().st_mtime)
        for record in [r for r in records if r.stat().st_mtime >= self.began - 1]:
            say(f"runbook: the record of a notebook run: {record}")
        return 0 if not left else 1


APPLIED = ("", "IAM action", "on", "what")


def _key(step: Step) -> tuple[str, str, str]:
    """A step as a later plan names it: enabling takes the waiting device's serial once the device exists."""
    return (step.action, step.target, "" if step.action == "EnableMFADevice" else step.arg)


# --- the sandbox both notebook runs share --------------------------------------------------------


@contextlib.contextmanager
def shared_sandbox(params: Parameters) -> Iterator[None]:
    """Start the embedded sandbox once, here, so that the planning and both notebook runs see one account."""
    if params.target != "sandbox" or os.environ.get("AWS_ENDPOINT_URL"):
        yield
        return
    from . import sandbox

    served = sandbox.start()
    say(f"runbook: the embedded IAM sandbox is serving at {served.endpoint_url} for this run.")
    try:
        with environ({"AWS_ENDPOINT_URL": served.endpoint_url}):
            yield
    finally:
        served.stop()


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore them: secrets leave the environment after use."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- planning, in this process and read-only -----------------------------------------------------


def review(steps: list[Step], runbook: Runbook) -> Report:
    """The review, shaped like the notebook's, for the whole terminal run, with what existing users hold."""
    notes = [
        "The MFA device is enabled with two codes from your app, asked for here after the device is created.",
        *runbook.delivery.notes,  # where the chosen store puts the secrets, as preflight found it
        "The executed notebooks hold no secret.",
    ]
    return review_report(steps, runbook.holding_notes() + (notes if steps else []))


# --- the end -------------------------------------------------------------------------------------


def replan(raw: dict[str, Any]) -> list[Step]:
    """Plan again from a fresh preflight and fresh reads: what the notebook runs left undone.

    A password replaced once is done: replace_password asks for one replacement, not one per plan.
    """
    runbook = start_runbook({**raw, "replace_password": False})
    try:
        runbook.choose_user()
        runbook.permissions()
        return runbook.full_plan()
    finally:
        runbook.conn.close()


def verification(raw: dict[str, Any]) -> None:
    """Verify, read afresh: the controls, then each fix as the `runbook run` line to type here (whole, to copy)."""
    runbook = start_runbook(raw)
    runbook.front = "terminal"
    try:
        results = runbook.controls()
    finally:
        runbook.conn.close()
    runs = [c for c in results if has_run(c)]
    show(checks.as_report(results, lambda c: "the command below" if c in runs else c.fix))
    commands: dict[str, list[str]] = {}
    for c in runs:
        if c.status == "FAIL" and not c.expected:
            commands.setdefault(runbook.fix(c), []).append(f"CIS {c.cis}" if c.cis != "—" else c.prowler)
    for command, controls in commands.items():
        say(f"To fix {', '.join(controls)}:", 2)
        print(f"    {command}")  # one line, as the shell needs it


def finish_later(args: argparse.Namespace) -> str:
    """How to pick up a stopped run: the same command again finds the waiting device and asks for codes."""
    given = [(n, v) for n, v in args.parameter]
    again = " ".join(f"-p {shlex.quote(n)} {shlex.quote(v)}" for n, v in given)
    headless = " ".join(
        f"-p {shlex.quote(n)} {shlex.quote(v)}" for n, v in given if n not in ("mfa_codes", "password_mode")
    )
    return (
        "runbook: to finish, run the same command again in a terminal: it plans from what IAM holds, "
        f"finds a waiting MFA device and asks for two codes.\n  runbook run {again}\n"
        f"Or headless: {MFA_CODES_ENV}=<code1>,<code2> runbook run {headless} -p mfa_codes defer"
    )
