"""Terminal mode: `runbook run -p mfa_codes prompt` on a terminal walks the procedure with a person.

It is the deferred flow underneath, not a second copy of the procedure. This process only reads: it
plans, shows preflight and the review, and asks for the password and for a yes. The writes are two
headless notebook runs, exactly as `runbook run -p mfa_codes defer` makes them: the first creates the
user and an MFA device (its seed goes to the secrets store, `secrets_store`); the QR code is then drawn
here, from the seed read back from that store, on the terminal and nowhere else; the person types two
codes, which are checked locally, and the second run enables the device and creates the Git
credentials. Secrets reach the notebook runs only through environment variables (the console password,
the codes, a KeePass master password asked here), which papermill does not record, so the executed
notebooks hold none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Iterator
from getpass import getpass
from pathlib import Path
from typing import Any

from . import mfa
from .choices import code_pair
from .delivery import DeliveredDevice
from .errors import CodeError, RunbookError
from .headless import execute
from .params import Parameters, parse
from .plan import Step, review_report
from .report import Report
from .runbook import Runbook, start as start_runbook
from .secrets import MFA_CODES_ENV, PASSWORD_ENV, register
from .sections import section_of_cell
from .stores import KEEPASS_PASSWORD_ENV

CODE_ATTEMPTS = 3  # notebook runs with codes, when IAM refuses codes that were fine locally (expired meanwhile)


def run_in_terminal(args: argparse.Namespace, raw: dict[str, Any]) -> int:
    """Review, yes, create (defer), QR and codes, enable: the procedure with a person at the keyboard."""
    raw = {**raw, "mfa_codes": "defer"}
    print("runbook: terminal mode. Review the plan, say yes, then enable MFA with your authenticator app.")
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
        try:
            with environ(master.env()):  # the notebook runs (and the re-plan) open the store with it
                return walk(args, raw, runbook)
        finally:
            runbook.conn.close()


class MasterPassword:
    """The terminal's prompt for a KeePass master password: getpass, twice for a new database.

    Asked only when neither $RUNBOOK_KEEPASS_PASSWORD nor the key file opens the database, and once
    per terminal run: the notebook runs get it in their environment, never as a parameter.
    """

    def __init__(self) -> None:
        self.value: str | None = None

    def __call__(self, db: Path, creating: bool) -> str:
        if self.value is not None:
            return self.value
        print(f"\nThe secrets go into the KeePass database {db}" + (", which is created now." if creating else "."))
        while True:
            typed = getpass("New master password (not shown): " if creating else "Master password (not shown): ")
            if not typed:
                print("  The master password cannot be empty.")
                continue
            if creating and getpass("The same master password again: ") != typed:
                print("  The two passwords differ; start again.")
                continue
            self.value = register(typed)
            return typed

    def env(self) -> dict[str, str]:
        return {KEEPASS_PASSWORD_ENV: self.value} if self.value is not None else {}


def walk(args: argparse.Namespace, raw: dict[str, Any], runbook: Runbook) -> int:
    """The reads and the questions first (stopping there changes nothing), then the writes."""
    try:
        password = prepare(raw, runbook)
        steps = runbook.full_plan()
        show(review(steps, runbook))
        if not steps:
            print("runbook: nothing to do.")
            return 0
        if not confirmed(runbook, steps):
            print("runbook: not confirmed; nothing was changed.")
            return 1
    except RunbookError as exc:
        print(f"runbook: nothing was done.\n{exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("\nrunbook: stopped; nothing was changed.", file=sys.stderr)
        return 130
    if runbook.params.target == "aws":
        raw["confirm"] = runbook.pre.account_id  # the person's yes is the confirmation the notebook asks for
    try:
        return write_with_person(args, raw, runbook, password)
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
        print(f"\nConsole access: {runbook.params.user_name} already has a console password; it is left as it is.")
    else:
        if source == "ask":
            password = ask_password(runbook)
        report = runbook.console_access(password=password, confirm=password)
        if password is None:  # a typed password already had its rule-by-rule check above
            show(report)
    runbook.permissions()
    return password


def confirmed(runbook: Runbook, steps: list[Step]) -> bool:
    """Preflight's warnings again, right above the question (the review may have scrolled them away)."""
    for f in runbook.pre.findings:
        if f.level == "warn":
            print(f"\nWarning: {f.message}" + (f"\n  {f.fix}" if f.fix else ""))
    where = f"in real AWS account {runbook.pre.account_id}" if runbook.params.target == "aws" else "in the sandbox"
    answer = input(f"\nMake these {len(steps)} change(s) {where}? Type yes to go on (anything else stops): ")
    return answer.strip().lower() == "yes"


def write_with_person(args: argparse.Namespace, raw: dict[str, Any], runbook: Runbook, password: str | None) -> int:
    """The two notebook runs of the deferred flow, with the QR code and the codes in between."""
    began = time.time()
    secret_env = {PASSWORD_ENV: password} if password is not None else {}
    rc, started = run_notebook(args, raw, secret_env)
    if rc != 0 or not runbook.mfa_waiting():
        return rc if rc != 0 else finish(args, raw, runbook, began, started)
    device = runbook.waiting_device()
    show_qr(device, runbook.params.secrets_store == "file")
    for _attempt in range(CODE_ATTEMPTS):
        first, second = ask_codes(device.seed)
        rc, started = run_notebook(args, raw, {**secret_env, MFA_CODES_ENV: f"{first},{second}"})
        if not runbook.mfa_waiting():
            return rc if rc != 0 else finish(args, raw, runbook, began, started)
        print("IAM did not accept the codes (they can expire while the notebook starts). Enter two new ones.")
    print(finish_later(args), file=sys.stderr)
    return 1


# --- the sandbox both notebook runs share --------------------------------------------------------


@contextlib.contextmanager
def shared_sandbox(params: Parameters) -> Iterator[None]:
    """Start the embedded sandbox once, here, so that the planning and both notebook runs see one account."""
    if params.target != "sandbox" or os.environ.get("AWS_ENDPOINT_URL"):
        yield
        return
    from . import sandbox

    served = sandbox.start()
    print(f"runbook: the embedded IAM sandbox is serving at {served.endpoint_url} for this run.")
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


def show(report: Report) -> None:
    print()
    print(report.text())


def ask_password(runbook: Runbook) -> str:
    """getpass, checked rule by rule against the policy preflight read; then once more to confirm."""
    policy, user = runbook.effective_policy, runbook.params.user_name
    print(f"\nConsole password for {user}. The password policy: {policy.describe()}.")
    while True:
        password = getpass("Password (not shown): ")
        results = runbook.password_rules(password)
        if not all(r.ok for r in results):
            for r in results:
                print(f"  {'pass' if r.ok else 'FAIL'}  {r.rule}")
            print("  That password does not meet the policy; choose another.")
            continue
        if getpass("The same password again: ") != password:
            print("  The two passwords differ; start again.")
            continue
        print("  The password meets every rule.")
        return register(password)


def review(steps: list[Step], runbook: Runbook) -> Report:
    """The review, shaped like the notebook's, for the whole terminal run, with what existing users hold."""
    notes = [
        "The MFA device is enabled with two codes from your app, asked for here after the device is created.",
        *runbook.delivery.notes,
        "The executed notebooks hold no secret.",
    ]
    return review_report(steps, runbook.holding_notes() + (notes if steps else []))


# --- the notebook runs ---------------------------------------------------------------------------


def run_notebook(args: argparse.Namespace, raw: dict[str, Any], secret_env: dict[str, str]) -> tuple[int, float]:
    """One headless run (`cli.execute`), with secrets in the environment only for its duration."""
    print()
    started = time.time()
    with environ(secret_env):
        rc = execute(raw, html=bool(args.html), output_dir=Path(args.output_dir))
    return rc, started


# --- the QR code and the codes, on the terminal only --------------------------------------------


def show_qr(device: DeliveredDevice, plain: bool) -> None:
    """The QR code as text art, here only; the setup key stays hidden unless asked for."""
    print("\nScan this QR code with your authenticator app (shown here only, never saved in the notebook):\n")
    print(mfa.qr_text(device.uri))
    answer = input("Press Enter once the app shows the account, or type key to see the setup key instead: ")
    if answer.strip().lower() == "key":
        grouped = " ".join(re.findall(".{1,4}", device.seed))
        print(f"\nSetup key (time-based, 6 digits, 30 seconds): {grouped}\n")
    if plain:
        print(f"The seed is also in {device.where} (mode 0600): delete that file once the app works.")
    else:
        print(f"The seed is also in {device.where}.")


def ask_codes(seed: str) -> tuple[str, str]:
    """Two consecutive codes by getpass, checked against the seed here, so a typo costs no IAM call."""
    print("\nEnter two consecutive codes: the one the app shows now, then the next one after it changes.")
    while True:
        try:
            first, second = code_pair(getpass("First code (not shown): "), getpass("Next code (not shown): "))
        except CodeError as exc:
            print(f"  {exc.message} Try again.")
            continue
        verdict = mfa.check_codes(seed, first, second)
        if verdict == "ok":
            print(f"  {mfa.MESSAGES['ok']}")
            return register(first), register(second)
        print(f"  {mfa.MESSAGES[verdict]}")


# --- the end -------------------------------------------------------------------------------------


def finish(args: argparse.Namespace, raw: dict[str, Any], runbook: Runbook, began: float, last: float) -> int:
    """The last notebook's summary, a fresh read of IAM against the review, and where the secrets are."""
    output_dir = Path(args.output_dir)
    notebooks = [n for n in output_dir.glob("*.ipynb") if n.stat().st_mtime >= last - 1]
    if notebooks:
        text = summary_text(json.loads(max(notebooks, key=lambda n: n.stat().st_mtime).read_text()))
        print(f"\n{text}" if text else "")
    left = replan(raw)
    for step in left:
        print(f"  → still to do: {step.action} {step.target}: {step.detail}")
    if not left:
        print("\nrunbook: read back from IAM: the account matches the review; a re-run would change nothing.")
    files = [f for f in runbook.delivery.plain_files() if f.stat().st_mtime >= began - 1]
    if files:
        print("runbook: this run's secrets (mode 0600): move them to a password manager, then delete:")
        print("\n".join(f"  {f}" for f in files))
    return 0 if not left else 1


def replan(raw: dict[str, Any]) -> list[Step]:
    """Plan again from a fresh preflight and fresh reads: what the two notebook runs left undone."""
    runbook = start_runbook(raw)
    try:
        runbook.choose_user()
        runbook.permissions()
        return runbook.full_plan()
    finally:
        runbook.conn.close()


def summary_text(notebook: dict[str, Any]) -> str:
    """The text of the summary section's report in an executed notebook (empty if the run stopped earlier)."""
    for cell in notebook.get("cells", []):
        found = section_of_cell(cell)
        if cell.get("cell_type") == "code" and found is not None and found.key == "summary":
            for output in cell.get("outputs", []):
                plain = output.get("data", {}).get("text/plain")
                if plain:
                    return "".join(plain)
    return ""


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
