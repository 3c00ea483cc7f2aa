"""The panels without a browser: the same widgets, driven from Python against the served sandbox.

Fast checks of what the browser tests cannot see from outside: exactly which IAM calls a panel
makes (the connection's call log), and what each secret-holding widget holds after use.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from runbook_lib import mfa, ui
from runbook_lib.runbook import Runbook, run_headless, start as start_run
from runbook_lib.sections import CREATE
from runbook_lib.ui import fields

GOOD = "Tr1cky-Kernel-Pass!"


def all_panels(tmp_path: Path, **params: Any) -> tuple[Runbook, ui.Wizard]:
    """What "Run All Cells" does: start, then one panel per section."""
    run = start_run({"secrets_dir": str(tmp_path / "secrets"), **params})
    panels = ui.Panels(run)
    for section in CREATE:
        getattr(panels, section.method)()
    return run, panels.wizard


def states(wizard: ui.Wizard) -> dict[str, str]:
    return {name: wizard.state(name) for name in ui.ORDER}


def text(html_value: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_value)))


def through_review(wizard: ui.Wizard) -> None:
    for name in ("user", "console", "permissions"):
        wizard.panels[name].button.click()


def test_running_every_cell_writes_nothing_and_opens_only_the_first_step(endpoint: str, tmp_path: Path) -> None:
    run, wizard = all_panels(tmp_path, user_name="untouched")
    assert run.conn.call_log.writes == []
    assert states(wizard)["preflight"] == "done" and states(wizard)["user"] == "current"
    assert {n for n, s in states(wizard).items() if s == "waiting"} == set(ui.ORDER[2:])
    # A waiting step gets its panel when its turn comes; until then its slot says what it waits for.
    assert set(wizard.panels) == {"preflight", "user"}
    for name in ui.ORDER[2:]:
        (waiting,) = wizard.slots[name].children
        assert "Waiting for step 1 Create the IAM user to be done" in text(waiting.value)


def test_a_custom_password_is_checked_rule_by_rule_and_cleared_from_the_fields(endpoint: str, tmp_path: Path) -> None:
    run, wizard = all_panels(tmp_path, user_name="custom-pw")
    wizard.panels["user"].button.click()
    console = wizard.panels["console"]
    assert isinstance(console, ui.ConsolePanel)
    console.mode.value = "custom"
    console.password.value = "abc"
    assert "data-ok='false'>✗ at least 8 characters" in console.rules.value
    assert console.button.disabled
    console.password.value = console.confirm.value = GOOD
    assert "data-ok='false'" not in console.rules.value and not console.button.disabled
    console.button.click()
    assert console.password.value == "" and console.confirm.value == ""
    assert GOOD not in console.rules.value + console.result.value + console.status.value
    assert run.password == GOOD and wizard.state("console") == "done"


def test_create_reveals_the_password_once_and_mfa_names_each_wrong_code(endpoint: str, tmp_path: Path) -> None:
    run, wizard = all_panels(tmp_path, user_name="kernel-admin")
    through_review(wizard)
    assert run.conn.call_log.writes == []
    wizard.panels["review"].button.click()
    assert [c.split(":")[1] for c in run.conn.call_log.writes] == [
        "CreateUser",
        "CreateLoginProfile",
        "AttachUserPolicy",
        "AttachUserPolicy",
    ]
    create = wizard.panels["create"]
    assert isinstance(create, ui.CreatePanel) and create.reveal is not None
    reveal = create.reveal
    assert reveal.value == run.password
    assert reveal.field.value.layout.display == "none"  # masked until asked
    reveal.field.toggle.value = True
    assert reveal.field.value.layout.display == "" and reveal.field.masked.layout.display == "none"
    reveal.dismiss.click()
    assert reveal.value == ""
    assert "Dismissed" in text(create.reveal_box.children[1].children[0].value)

    panel = wizard.panels["mfa"]
    assert isinstance(panel, ui.MfaPanel)
    panel.button.click()
    assert panel.qr.value and panel.seed_value
    totp = pyotp.TOTP(panel.seed_value)
    now = time.time()
    wrong: list[tuple[str, str, mfa.Verdict]] = [
        ("123456", "654321", "typo"),
        (totp.at(now), totp.at(now - mfa.STEP), "swapped"),
        (totp.at(now), totp.at(now), "same"),
        (totp.at(now - 11 * mfa.STEP), totp.at(now - 10 * mfa.STEP), "skew"),
    ]
    for first, second, verdict in wrong:
        panel.code1.value, panel.code2.value = first, second
        panel.enable.click()
        assert mfa.MESSAGES[verdict] in text(panel.verdict.value)
        assert panel.code1.value == panel.code2.value == ""
    now = time.time()
    panel.code1.value, panel.code2.value = totp.at(now - mfa.STEP), totp.at(now)
    panel.enable.click()
    assert "MFA is enabled for kernel-admin" in panel.status.value
    assert panel.qr.value == b"" and panel.key.value.value == "" and panel.seed_value is None
    assert wizard.state("codecommit") == "current"

    git = wizard.panels["codecommit"]
    assert isinstance(git, ui.CodeCommitPanel)
    git.button.click()
    assert git.reveal is not None and run.applied.git is not None
    assert git.reveal.value == run.applied.git.password
    git.reveal.dismiss.click()
    assert git.reveal.value == ""
    assert [c.split(":")[1] for c in run.conn.call_log.writes][-3:] == [
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "CreateServiceSpecificCredential",
    ]


def test_a_rerun_on_a_finished_user_plans_nothing_and_writes_nothing(endpoint: str, tmp_path: Path) -> None:
    run_headless({"mfa_codes": "generate", "user_name": "finished", "secrets_dir": str(tmp_path / "headless")})
    run, wizard = all_panels(tmp_path, user_name="finished")
    through_review(wizard)
    assert "nothing to do" in wizard.panels["review"].result.value
    wizard.panels["review"].button.click()
    assert run.conn.call_log.writes == []
    assert all(wizard.state(n) == "done" for n in ui.ORDER[:-1])  # MFA and Git: already in place


def test_a_failed_check_opens_the_step_again(endpoint: str, tmp_path: Path) -> None:
    _, wizard = all_panels(tmp_path, user_name="first-name")
    through_review(wizard)
    user = wizard.panels["user"]
    assert isinstance(user, ui.UserPanel)
    user.user_name.value = "not valid"
    user.button.click()
    assert "not a valid IAM name" in user.status.value
    assert [wizard.state(n) for n in ("user", "console", "review")] == ["current", "waiting", "waiting"]


def test_real_aws_needs_the_account_id_typed_before_create(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLESANDBOX01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "sandbox")
    run, wizard = all_panels(tmp_path, user_name="careful", target="aws")
    through_review(wizard)
    review = wizard.panels["review"]
    assert isinstance(review, ui.ReviewPanel)
    assert review.button.disabled
    review.confirm.value = "000000000000"
    assert review.button.disabled
    review.confirm.value = run.pre.account_id
    assert not review.button.disabled


def test_a_press_acts_once_on_the_value_the_page_sends_after_the_click(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page of ipywidgets holds a fast typist's later keystrokes until the kernel answers the first; the
    click overtakes them. The panel waits for the page to confirm the field, then acts once."""
    run, wizard = all_panels(tmp_path, user_name="Administrator")
    timers: list[object] = []
    monkeypatch.setattr(fields, "has_page", lambda widget: True)
    monkeypatch.setattr(fields, "_later", lambda delay, callback: timers.append(callback) or DummyTimer())
    user = wizard.panels["user"]
    assert isinstance(user, ui.UserPanel)
    user.user_name.set_state({"value": "k"})  # the first keystroke reached the kernel
    user.button.click()
    user.button.click()  # a double click, or Enter then a click
    assert run.params.user_name == "Administrator" and user.button.disabled, "nothing done yet, and busy"
    user.user_name.set_state({"value": "kbd.admin", "_rb_token": user.gate.asked})  # the held value, then the token
    assert run.params.user_name == "kbd.admin" and "User kbd.admin" in text(user.result.value)
    assert user.gate.asked == 1, "the second click was ignored"

    user.button.click()  # checked again, while the page has not answered yet ...
    console = wizard.panels["console"]
    console.button.click()  # ... the next step's press waits its turn: the first may yet undo it
    assert "is still working" in text(console.status.value) and wizard.state("console") == "current"
    user.user_name.set_state({"_rb_token": user.gate.asked})
    assert not user.busy and wizard.state("user") == "done"

    user.user_name.set_state({"value": "someone.else"})  # changed after the check: the step is to do again
    assert wizard.state("user") == "current" and "Changed" in text(user.status.value)


class DummyTimer:
    def cancel(self) -> None:
        pass
