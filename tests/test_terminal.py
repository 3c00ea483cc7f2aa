"""Terminal mode, driven through a real pseudo-terminal against a served sandbox (issue 9).

Each test types what a person types: passwords and codes by getpass, a yes, a key request. The QR
code is read off the screen the way a phone would, so the test proves the text art really encodes
the device's key, and that the screen is the only place the code, its key and its URI ever appear.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pexpect
import pyotp
import pytest

from runbook_lib import mfa
from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID, Sandbox, set_root_state, start
from tests.support.net import ROOT
from tests.support.terminal_screen import decode, qr_lines

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

pytestmark = pytest.mark.slow

RUNBOOK = Path(sys.executable).parent / "runbook"
GOOD_PASSWORD = "Tty-admin-pass-7"
WEAK_PASSWORD = "short"
QR_HEADING = "Scan this QR code with your authenticator app"
ENTER_OR_KEY = "Press Enter once the app shows the account"
YES = "Type yes to go on"
NOTEBOOK_RUN = 180  # seconds: a papermill run starts a kernel


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    served = start()
    yield served
    served.stop()


@pytest.fixture
def iam(sandbox: Sandbox) -> IAMClient:
    session = boto3.Session(SANDBOX_ROOT_ACCESS_KEY_ID, "any-secret", region_name="us-east-1")
    return session.client("iam", endpoint_url=sandbox.endpoint_url)


@dataclass
class Terminal:
    """A `runbook run` on a pseudo-terminal, with everything it printed."""

    child: pexpect.spawn
    log: io.StringIO
    output_dir: Path
    secrets_dir: Path

    @property
    def screen(self) -> str:
        return self.log.getvalue()

    def answer(self, prompt: str, text: str, timeout: float = 30) -> str:
        """Wait for `prompt`, type `text` and Enter; return the screen up to the prompt."""
        self.child.expect_exact(prompt, timeout=timeout)
        before = self.screen
        self.child.sendline(text)
        return before

    def finish(self) -> int:
        self.child.expect(pexpect.EOF, timeout=NOTEBOOK_RUN)
        self.child.close()
        return int(self.child.exitstatus)


def runbook_on_tty(
    tmp_path: Path,
    sandbox: Sandbox | None,
    user: str,
    *params: str,
    env: dict[str, str] | None = None,
    columns: int = 160,
) -> Terminal:
    """Spawn `runbook run -p mfa_codes prompt` on a pty, HOME and every output under `tmp_path`.

    With a `sandbox`, the run uses it through $AWS_ENDPOINT_URL; without, the runbook starts its own.
    """
    output_dir, secrets_dir = tmp_path / "runs", tmp_path / "secrets"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    clean.update(HOME=str(tmp_path), **(env or {}))
    if sandbox is not None:
        clean["AWS_ENDPOINT_URL"] = sandbox.endpoint_url
    args = ["run", "--output-dir", str(output_dir), "-p", "mfa_codes", "prompt", "-p", "user_name", user]
    args += ["-p", "secrets_dir", str(secrets_dir), *params]
    log = io.StringIO()
    child = pexpect.spawn(
        str(RUNBOOK), args, env=clean, encoding="utf-8", timeout=30, dimensions=(60, columns), cwd=str(tmp_path)
    )
    child.logfile_read = log
    return Terminal(child, log, output_dir, secrets_dir)


def read_qr(term: Terminal) -> str:
    """The otpauth URI, decoded from the text art on the screen."""
    term.child.expect_exact(ENTER_OR_KEY, timeout=NOTEBOOK_RUN)
    return decode(qr_lines(term.screen, QR_HEADING))


def seed_of(uri: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


def type_codes(term: Terminal, seed: str) -> None:
    """A wrong pair first (refused here, before any IAM call), then two right consecutive codes."""
    totp = pyotp.TOTP(seed)
    now = time.time()
    right = (totp.at(now - 30), totp.at(now))
    wrong = f"{(int(right[0]) + 1) % 1_000_000:06d}"
    assert mfa.check_codes(seed, wrong, right[1]) == "typo"
    term.answer("First code (not shown): ", wrong)
    term.answer("Next code (not shown): ", right[1])
    term.child.expect(words(mfa.MESSAGES["typo"]))
    now = time.time()
    term.answer("First code (not shown): ", totp.at(now - 30))
    term.answer("Next code (not shown): ", totp.at(now))
    term.child.expect(words(mfa.MESSAGES["ok"]))


def words(message: str) -> str:
    """A pattern for a message however the terminal's width wrapped it."""
    return r"\s+".join(re.escape(w) for w in message.split())


def records(term: Terminal) -> dict[Path, str]:
    """Every file of the run's record (`--output-dir`) and of the repository's `runs/`, as text.

    JSON files are also re-serialised without ASCII escapes, so the text art's block characters would
    be found even if a writer escaped them.
    """
    found: dict[Path, str] = {}
    for directory in (term.output_dir, ROOT / "runs"):
        for path in directory.rglob("*") if directory.is_dir() else []:
            if path.is_file() and path.suffix in (".ipynb", ".html", ".json", ".txt", ".log"):
                text = path.read_text(errors="replace")
                if path.suffix in (".ipynb", ".json"):
                    with contextlib.suppress(ValueError):  # another run may be writing it right now
                        text += json.dumps(json.loads(text), ensure_ascii=False)
                found[path] = text
    return found


def secrets_written(term: Terminal) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in sorted(term.secrets_dir.glob("*.json"), key=lambda p: p.stat().st_mtime):
        assert path.stat().st_mode & 0o777 == 0o600
        values.update(json.loads(path.read_text()))
    return values


def test_terminal_mode_walks_password_review_qr_and_codes_to_a_finished_admin(
    tmp_path: Path, sandbox: Sandbox, iam: IAMClient
) -> None:
    term = runbook_on_tty(tmp_path, sandbox, "tty-admin", "-p", "password_mode", "custom")

    term.answer("Password (not shown): ", WEAK_PASSWORD)
    term.child.expect_exact("FAIL  at least 8 characters")
    term.answer("Password (not shown): ", GOOD_PASSWORD)
    term.answer("The same password again: ", GOOD_PASSWORD)
    term.child.expect_exact("The password meets every rule.")
    review = term.answer(YES, "yes")
    assert "Preflight: who is calling, and where" in review
    for action in ("CreateUser", "CreateLoginProfile", "CreateVirtualMFADevice", "EnableMFADevice"):
        assert action in review
    assert "CreateServiceSpecificCredential" in review

    uri = read_qr(term)
    seed = seed_of(uri)
    assert uri.startswith("otpauth://totp/") and "tty-admin" in urllib.parse.unquote(uri)
    assert seed not in term.screen, "the setup key stays hidden until asked for"
    term.child.sendline("key")
    term.child.expect(r"Setup key \(time-based, 6 digits, 30 seconds\): ([A-Z2-7 ]+)\r\n")
    assert term.child.match.group(1).replace(" ", "") == seed
    type_codes(term, seed)
    assert term.finish() == 0, term.screen

    user = iam.get_user(UserName="tty-admin")["User"]
    assert iam.get_login_profile(UserName="tty-admin")["LoginProfile"]["UserName"] == "tty-admin"
    assert len(iam.list_attached_user_policies(UserName="tty-admin")["AttachedPolicies"]) == 2
    assert len(iam.list_mfa_devices(UserName="tty-admin")["MFADevices"]) == 1
    creds = iam.list_service_specific_credentials(UserName="tty-admin", ServiceName="codecommit.amazonaws.com")
    assert len(creds["ServiceSpecificCredentials"]) == 1
    assert user["UserName"] == "tty-admin"

    secrets = secrets_written(term)
    assert secrets["console_password"] == GOOD_PASSWORD
    assert secrets["mfa_seed"] == seed and secrets["mfa_otpauth_uri"] == uri
    art = [line for line in qr_lines(term.screen, QR_HEADING) if set(line) - {"█", "▀"}]  # not the plain border
    secret_values = [seed, uri, GOOD_PASSWORD, secrets["codecommit_password"]]
    secret_values += [urllib.parse.quote(uri, safe=""), *art]
    notebooks = [p for p in records(term) if p.suffix == ".ipynb" and p.parent == term.output_dir]
    assert len(notebooks) == 2, "the deferred flow underneath: one run creates, one run enables"
    for path, text in records(term).items():
        for value in secret_values:
            assert value not in text, f"a secret or a line of the QR code is in {path}"
    assert GOOD_PASSWORD not in term.screen, "getpass does not echo"
    assert "Summary" in term.screen and "Sign in at" in term.screen
    assert "the account matches the review; a re-run would change nothing" in term.screen


def test_declining_the_review_changes_nothing(tmp_path: Path, sandbox: Sandbox, iam: IAMClient) -> None:
    term = runbook_on_tty(tmp_path, sandbox, "tty-declined")
    review = term.answer(YES, "no")
    assert "Review: " in review and "Password (not shown)" not in review, "generated: no password prompt"
    assert term.finish() == 1
    assert "nothing was changed" in term.screen
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="tty-declined")
    assert not term.output_dir.exists() or not list(term.output_dir.glob("*.ipynb")), "no notebook ran"
    assert not list(term.secrets_dir.glob("*.json"))


def test_a_stopped_terminal_run_resumes_with_the_same_device_and_no_password_prompt(
    tmp_path: Path, sandbox: Sandbox, iam: IAMClient
) -> None:
    term = runbook_on_tty(tmp_path, sandbox, "tty-resumed", "-p", "password_mode", "custom")
    term.answer("Password (not shown): ", GOOD_PASSWORD)
    term.answer("The same password again: ", GOOD_PASSWORD)
    term.answer(YES, "yes")
    first_uri = read_qr(term)
    term.child.sendline("")
    term.child.expect_exact("First code (not shown): ")
    term.child.sendintr()
    assert term.finish() == 130
    assert "run the same command again" in term.screen
    assert not iam.list_mfa_devices(UserName="tty-resumed")["MFADevices"]

    again = runbook_on_tty(tmp_path, sandbox, "tty-resumed", "-p", "password_mode", "custom")
    review = again.answer(YES, "yes")
    assert "already has a console password" in review and "Password (not shown)" not in review
    assert "EnableMFADevice" in review and "CreateVirtualMFADevice" not in review
    assert read_qr(again) == first_uri, "the waiting device, with the seed the first run saved"
    again.child.sendline("")
    type_codes(again, seed_of(first_uri))
    assert again.finish() == 0, again.screen
    assert len(iam.list_mfa_devices(UserName="tty-resumed")["MFADevices"]) == 1
    waiting = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert not [d for d in waiting if d["SerialNumber"].endswith("/tty-resumed")], "no second device was made"


def test_without_an_endpoint_one_embedded_sandbox_serves_the_planning_and_both_notebook_runs(tmp_path: Path) -> None:
    """The second run enables the device the first run created: only one account can make that work."""
    term = runbook_on_tty(tmp_path, None, "tty-own-sandbox", "-p", "codecommit", "False")
    term.answer(YES, "yes")
    uri = read_qr(term)
    term.child.sendline("")
    type_codes(term, seed_of(uri))
    assert term.finish() == 0, term.screen
    assert term.screen.count("the embedded IAM sandbox is serving at") == 1
    assert "Summary: 6 of the 6 change(s) you reviewed are done" in term.screen
    assert "the account matches the review; a re-run would change nothing" in term.screen


def test_static_root_keys_are_warned_about_before_the_yes_and_the_summary_says_how_to_delete_them(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Preflight: caller is root (GetCallerIdentity ARN ends in :root) and the keys are static env keys."""
    set_root_state(access_keys=True)
    try:
        keys = {"AWS_ACCESS_KEY_ID": SANDBOX_ROOT_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": "anything"}
        term = runbook_on_tty(tmp_path, sandbox, "tty-root-keys", "-p", "mfa", "False", env=keys)
        before_yes = flat(term.answer(YES, "yes"))
        preflight, _, review = before_yes.partition("Review: ")
        assert "! root keys" in preflight and "This run uses long-term root access keys" in preflight
        assert "Warning: This run uses long-term root access keys" in review, "repeated right above the question"
        assert "sign in as the new admin and delete the root keys" in review
        assert term.finish() == 0, term.screen
        summary = flat(term.screen[term.screen.rindex("Summary") :])
        assert "Manual: delete the root user's access keys" in summary
    finally:
        set_root_state(access_keys=False)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def flat(screen: str) -> str:
    """The screen's words in order, whatever the width: a table cell wraps its text over several lines."""
    return re.sub(r"\s+", " ", ANSI.sub("", screen))


def whole(line: str) -> bool:
    """A line that may be wider than the terminal: one path alone, or a command meant to be copied whole."""
    return len(line.split()) == 1 or line.strip().startswith("runbook run ")


def lines_of(screen: str) -> list[str]:
    """The screen's lines as a person sees them: colours and bold taken out."""
    return ANSI.sub("", screen).replace("\r\n", "\n").replace("\r", "\n").split("\n")


@pytest.mark.parametrize("columns", [80, 120])
def test_terminal_mode_reads_as_one_flow_that_fits_the_width_and_leaves_one_secrets_file(
    tmp_path: Path, sandbox: Sandbox, iam: IAMClient, columns: int
) -> None:
    """Issue 14 item 7: the person sees only their own steps, counted against the review they approved."""
    term = runbook_on_tty(tmp_path, sandbox, f"tty-flow-{columns}", columns=columns)
    review = term.answer(YES, "yes")
    assert "Review: 7 change(s) will be made" in review
    uri = read_qr(term)
    term.child.sendline("")
    type_codes(term, seed_of(uri))
    assert term.finish() == 0, term.screen

    lines = lines_of(term.screen)
    too_wide = [line for line in lines if len(line) > columns and not whole(line)]
    assert too_wide == [], f"lines wider than {columns} columns"
    text = flat(term.screen)
    assert "Make these 7 change(s) in the sandbox?" in text
    assert "Done: 5 of the 7 change(s) you reviewed" in text  # the device waits for codes, Git for MFA
    assert "Summary: 7 of the 7 change(s) you reviewed are done" in text
    counts = re.findall(r"(?:Review: |Done: |Make these |Summary: )(\d+)(?: of the (\d+))?", text)
    assert {n for pair in counts for n in pair if n} == {"5", "7"}, counts
    assert not [line for line in lines if re.match(r"\s*(▶ )?step \d", line)], "an inner run's step line"
    assert "change(s) planned" not in text and "runbook: running create_admin_user" not in text
    assert text.count("Verification:") == 1 and text.index("Verification:") > text.index("Summary")
    json_file = term.secrets_dir / f"tty-flow-{columns}@123456789012.json"
    summary = text[text.rindex("Summary: ") : text.index("Verification:")]
    for what, where in (
        ("console password", json_file),
        ("MFA seed, otpauth URI and QR image", f"{json_file} and {json_file.with_suffix('.qr.png')}"),
        ("CodeCommit Git password", json_file),
    ):
        assert f"Secret: {what}: {where} (plain text, mode 0600)." in summary, "where each secret went"
    commands = [dict(zip(w[3::3], w[4::3], strict=True)) for w in (shlex.split(line) for line in lines if whole(line))
                if w[:2] == ["runbook", "run"]]  # fmt: skip
    fixes = {(c.get("grant_via"), c.get("password_policy")) for c in commands}
    assert fixes == {("group", None), (None, "cis")}, commands
    assert all(c["mfa_codes"] == "prompt" and c["user_name"] == f"tty-flow-{columns}" for c in commands)
    files = sorted(p.name for p in term.secrets_dir.iterdir())
    assert files == [f"tty-flow-{columns}@123456789012.json", f"tty-flow-{columns}@123456789012.qr.png"]
    assert str(term.secrets_dir / files[0]) in text and str(term.secrets_dir / files[1]) in text.replace("\n", "")
