"""The terminal's screen and keyboard: prose and reports drawn for the width, and the questions asked there.

Tables are drawn with rich, whose cells wrap to the terminal's width. Every secret is typed with
getpass (never echoed) and registered with the redactor as it comes in; the QR code is drawn here and
nowhere else.
"""

from __future__ import annotations

import re
import textwrap
from getpass import getpass
from pathlib import Path

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from . import mfa
from .choices import code_pair
from .delivery import DeliveredDevice
from .errors import CodeError
from .plan import Step
from .report import Report
from .runbook import Runbook
from .secrets import register
from .stores import KEEPASS_PASSWORD_ENV

SCREEN = Console(highlight=False)


def say(text: str, indent: int = 0) -> None:
    """Prose, wrapped at spaces to the terminal's width; a path longer than a line stays whole, to be copied."""
    pad = " " * indent
    print(textwrap.fill(text, SCREEN.width, initial_indent=pad, subsequent_indent=pad, break_long_words=False,
                        break_on_hyphens=False))  # fmt: skip


def show(report: Report) -> None:
    """A report as the terminal shows it: the title, a table whose cells wrap to the width, then the notes."""
    SCREEN.print()
    SCREEN.print(Text(report.title, style="bold"))
    if report.rows:
        table = Table(box=box.SIMPLE_HEAD, show_header=bool(report.header), pad_edge=False, show_edge=False)
        width = max(len(report.header), *(len(r) for r in report.rows))
        header = [*report.header, *[""] * (width - len(report.header))]
        for name in header:
            table.add_column(name, overflow="fold")
        for row in report.rows:
            table.add_row(*(Text(cell) for cell in row))
        SCREEN.print(Padding(table, (0, 0, 0, 2)))
    for note in report.notes:
        say(note, 2)


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


def ask_password(runbook: Runbook) -> str:
    """getpass, checked rule by rule against the policy preflight read; then once more to confirm."""
    policy, user = runbook.effective_policy, runbook.params.user_name
    SCREEN.print()
    say(f"Console password for {user}. The password policy: {policy.describe()}.")
    while True:
        password = getpass("Password (not shown): ")
        results = runbook.password_rules(password)
        if not all(r.ok for r in results):
            for r in results:
                say(f"{'pass' if r.ok else 'FAIL'}  {r.rule}", 2)
            say("That password does not meet the policy; choose another.", 2)
            continue
        if getpass("The same password again: ") != password:
            say("The two passwords differ; start again.", 2)
            continue
        say("The password meets every rule.", 2)
        return register(password)


def confirmed(runbook: Runbook, steps: list[Step]) -> bool:
    """Preflight's warnings again, right above the question (the review may have scrolled them away)."""
    for f in runbook.pre.findings:
        if f.level == "warn":
            SCREEN.print()
            say(f"Warning: {f.message}")
            if f.fix:
                say(f.fix, 2)
    where = f"in real AWS account {runbook.pre.account_id}" if runbook.params.target == "aws" else "in the sandbox"
    SCREEN.print()
    say(f"Make these {len(steps)} change(s) {where}?")
    answer = input("Type yes to go on (anything else stops): ")
    return answer.strip().lower() == "yes"


# --- the QR code and the codes, on the terminal only --------------------------------------------


def show_qr(device: DeliveredDevice, plain: bool) -> None:
    """The QR code as text art, here only; the setup key stays hidden unless asked for."""
    SCREEN.print()
    say("Scan this QR code with your authenticator app (shown here only, never saved in the notebook):")
    SCREEN.print()
    print(mfa.qr_text(device.uri))
    say("Press Enter once the app shows the account, or type key to see the setup key instead.")
    answer = input("Enter, or key: ")
    if answer.strip().lower() == "key":
        grouped = " ".join(re.findall(".{1,4}", device.seed))
        print(f"\nSetup key (time-based, 6 digits, 30 seconds): {grouped}\n")
    if plain:
        say(f"The seed is also in {device.where} (mode 0600): delete that file once the app works.")
    else:
        say(f"The seed is also in {device.where}.")


def ask_codes(seed: str) -> tuple[str, str]:
    """Two consecutive codes by getpass, checked against the seed here, so a typo costs no IAM call."""
    SCREEN.print()
    say("Enter two consecutive codes: the one the app shows now, then the next one after it changes.")
    while True:
        try:
            first, second = code_pair(getpass("First code (not shown): "), getpass("Next code (not shown): "))
        except CodeError as exc:
            say(f"{exc.message} Try again.", 2)
            continue
        verdict = mfa.check_codes(seed, first, second)
        if verdict == "ok":
            say(mfa.MESSAGES["ok"], 2)
            return register(first), register(second)
        say(mfa.MESSAGES[verdict], 2)
