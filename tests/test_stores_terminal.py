"""Terminal mode with a KeePass secrets store, through a real pseudo-terminal (issue 17).

The terminal asks for a new database's master password twice (getpass), hands it to its two notebook
runs in their environment only, draws the QR code from the seed it reads back from the database, and
leaves no JSON or PNG anywhere: every secret is in the database, as keepassxc-cli reads it.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path

import pexpect
import pyotp
import pytest

from tests.support.stores import MASTER, files_under, kpcli, leaks, pass_cli, read_all, require
from tests.support.terminal_screen import decode, qr_lines

pytestmark = pytest.mark.slow

RUNBOOK = Path(sys.executable).parent / "runbook"
QR_HEADING = "Scan this QR code with your authenticator app"
NOTEBOOK_RUN = 180  # seconds: a papermill run starts a kernel
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def flat(screen: str) -> str:
    """The screen's words in order, whatever the width: prose and cells wrap over several lines."""
    return re.sub(r"\s+", " ", ANSI.sub("", screen))


def codes_to_the_end(child: pexpect.spawn, log: io.StringIO, seed: str) -> str:
    """Two consecutive codes of the seed, then the second notebook run to the end: the whole screen, all done."""
    totp = pyotp.TOTP(seed)
    now = time.time()
    for prompt, code in (("First code (not shown): ", totp.at(now - 30)), ("Next code (not shown): ", totp.at(now))):
        child.expect_exact(prompt)
        child.sendline(code)
    child.expect(pexpect.EOF, timeout=NOTEBOOK_RUN)
    child.close()
    screen = log.getvalue()
    assert child.exitstatus == 0, screen
    assert re.search(r"Summary: (\d+) of the \1 change\(s\) you reviewed are done", screen), screen
    return screen


def test_terminal_mode_asks_a_new_databases_master_password_twice_and_fills_it(
    tmp_path: Path, served_sandbox: str
) -> None:
    require("keepassxc-cli")
    db = tmp_path / "vault" / "aws.kdbx"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env.update(HOME=str(tmp_path), AWS_ENDPOINT_URL=served_sandbox, TMPDIR=str(tmp_path))
    args = ["run", "--output-dir", str(tmp_path / "runs"), "-p", "mfa_codes", "prompt", "-p", "user_name", "tty-kp"]
    args += ["-p", "secrets_store", "keepass", "-p", "keepass_db", str(db)]
    log = io.StringIO()
    child = pexpect.spawn(str(RUNBOOK), args, env=env, encoding="utf-8", timeout=60, dimensions=(60, 160), cwd=tmp_path)
    child.logfile_read = log

    child.expect_exact(f"The secrets go into the KeePass database {db}, which is created now.")
    child.expect_exact("New master password (not shown): ")
    child.sendline(MASTER)
    child.expect_exact("The same master password again: ")
    child.sendline(MASTER + "-typo")
    child.expect_exact("The two passwords differ; start again.")
    for prompt in ("New master password (not shown): ", "The same master password again: "):
        child.expect_exact(prompt)
        child.sendline(MASTER)
    child.expect_exact("Type yes to go on")
    review = flat(log.getvalue()).partition("Review: ")[2]  # after preflight, which names the store too
    assert f"Secrets go into a new KeePass database {db} (KDBX 4)" in log.getvalue()
    assert not db.exists(), "nothing is written before the yes"
    child.sendline("yes")

    child.expect_exact("Press Enter once the app shows the account", timeout=NOTEBOOK_RUN)
    uri = decode(qr_lines(log.getvalue(), QR_HEADING))
    group = f"AWS/{uri.split('%40')[1].split('?')[0]}"
    assert kpcli(db, "show", "-s", "-a", "otp", f"{group}/tty-kp MFA").strip() == uri  # drawn from the database
    child.sendline("")
    child.expect_exact(f"The seed is also in {db}, entry {group}/tty-kp MFA.")
    seed = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    screen = codes_to_the_end(child, log, seed)
    assert "a re-run would change nothing" in screen
    summary = flat(screen[screen.rindex("Summary: ") :])
    for what, title in (
        ("console password", "console"),
        ("MFA seed (otp)", "MFA"),
        ("CodeCommit Git password", "CodeCommit"),
    ):
        assert f"Secret: {what}: {db}, entry {group}/tty-kp {title}." in summary, summary
    assert f"Secrets go into a new KeePass database {db} (KDBX 4)" in review, "the review names the store"
    assert "mode-0600 secrets file" not in review

    show = ["show", "-s", "-a", "Password"]
    console = kpcli(db, *show, f"{group}/tty-kp console").strip()
    git = kpcli(db, *show, f"{group}/tty-kp CodeCommit").strip()
    assert console and git
    assert [str(p) for p in files_under(tmp_path) if p.suffix in (".json", ".png")] == []
    secrets = {"master password": MASTER, "console password": console, "Git password": git, "seed": seed, "uri": uri}
    places = read_all(p for p in files_under(tmp_path) if p != db)
    places["screen"] = screen.encode()
    assert leaks(places, secrets) == []


def test_terminal_mode_with_pass_names_each_entry_in_the_summary_and_shows_no_secret(
    tmp_path: Path, served_sandbox: str, pass_store: Path
) -> None:
    """The entries are put by the notebook runs (other processes); the terminal's summary still names each one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env.update(HOME=str(tmp_path), AWS_ENDPOINT_URL=served_sandbox, TMPDIR=str(tmp_path))  # and pass_store's
    args = ["run", "--output-dir", str(tmp_path / "runs"), "-p", "mfa_codes", "prompt", "-p", "user_name", "tty-pass"]
    args += ["-p", "secrets_store", "pass"]
    log = io.StringIO()
    child = pexpect.spawn(str(RUNBOOK), args, env=env, encoding="utf-8", timeout=60, dimensions=(60, 160), cwd=tmp_path)
    child.logfile_read = log
    child.expect_exact("Type yes to go on")
    review = flat(log.getvalue()).partition("Review: ")[2]  # after preflight, which names the store too
    child.sendline("yes")

    child.expect_exact("Press Enter once the app shows the account", timeout=NOTEBOOK_RUN)
    uri = decode(qr_lines(log.getvalue(), QR_HEADING))
    folder = f"aws/{uri.split('%40')[1].split('?')[0]}/tty-pass"
    assert pass_cli("show", f"{folder}/mfa").splitlines()[0] == uri  # drawn from the password store
    child.sendline("")
    child.expect_exact(f"The seed is also in pass {folder}/mfa.")
    seed = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    screen = codes_to_the_end(child, log, seed)

    summary = flat(screen[screen.rindex("Summary: ") :])
    for what, entry in (
        ("console password", "console"),
        ("MFA seed (otpauth URI)", "mfa"),
        ("CodeCommit Git password", "codecommit"),
    ):
        assert f"Secret: {what}: pass {folder}/{entry} ({pass_store}/{folder}/{entry}.gpg)." in summary, summary
    assert f"Secrets go into the password store {pass_store}, under {folder}/." in review
    assert "mode-0600 secrets file" not in review, "the review named the file store"
    console = pass_cli("show", f"{folder}/console").splitlines()[0]
    git = pass_cli("show", f"{folder}/codecommit").splitlines()[0]
    assert console and git
    assert [str(p) for p in files_under(tmp_path) if p.suffix in (".json", ".png")] == []
    secrets = {"console password": console, "Git password": git, "seed": seed, "uri": uri}
    places = read_all(files_under(tmp_path, skip=[pass_store]))
    places["screen"] = screen.encode()
    assert leaks(places, secrets) == []
