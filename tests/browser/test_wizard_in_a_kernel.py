"""The wizard's frame without a browser: one step at a time, Enter, the target, a failed start (issue 14).

The same widgets the browser tests click, driven from Python against the served sandbox: what the
page shows (the stage, Back and Next, the tracker) and what each control does.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import notebook, ui
from runbook_lib.errors import EndpointUnreachable
from runbook_lib.runbook import start as start_run
from runbook_lib.sections import CREATE
from tests.support.net import free_port

GOOD = "Tr1cky-Kernel-Pass!"


def text(value: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)))


def every_cell(panels: ui.Panels) -> list[Any]:
    """What "Run All" (or Voila) does after the first cell: each section's method, in order."""
    return [getattr(panels, s.method)() for s in CREATE]


def wizard_page(tmp_path: Path, **params: Any) -> tuple[ui.Panels, list[Any]]:
    panels = ui.Panels(start_run({"secrets_dir": str(tmp_path / "secrets"), **params}), paged=True)
    return panels, every_cell(panels)


def on_stage(wizard: ui.Wizard) -> str:
    (slot,) = wizard.stage.children
    (box,) = slot.children
    return next(c.replace("rb-panel-", "") for c in box._dom_classes if c.startswith("rb-panel-"))


def submit(field: Any) -> None:
    """What the browser sends when the person presses Enter in a text field."""
    field._handle_custom_msg({"event": "submit"}, [])


def test_a_person_gets_no_step_lines_and_headless_gets_them(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook.start({"secrets_dir": str(tmp_path / "a"), "mfa_codes": "prompt"})
    assert capsys.readouterr().out == ""  # the panels say it; the wizard's page shows no log line
    notebook.start({"secrets_dir": str(tmp_path / "b"), "mfa_codes": "generate"})
    assert capsys.readouterr().out.startswith("▶ step 0 Preflight: root in ")
    notebook.start({"secrets_dir": str(tmp_path / "c"), "mfa_codes": "prompt"})
    assert capsys.readouterr().out == ""  # not even after a headless start in the same kernel


def test_the_wizard_is_one_page_with_one_step_on_view(endpoint: str, tmp_path: Path) -> None:
    panels, shown = wizard_page(tmp_path, user_name="paged")
    wizard = panels.wizard
    assert shown[0] is wizard.frame and shown[1:] == [None] * (len(CREATE) - 1)  # only the first cell shows
    assert wizard.frame.children == (wizard.tracker, wizard.stage, wizard.nav)
    assert all(wizard.tracker not in p.box.children for p in wizard.panels.values())  # the tracker, once
    assert on_stage(wizard) == "preflight" and wizard.back.disabled and not wizard.next.disabled
    assert "aria-current='step'>✓ 0 Preflight" in wizard.tracker.value

    wizard.next.click()
    assert on_stage(wizard) == "user" and not wizard.back.disabled
    assert wizard.next.disabled  # step 1 is not done: step 2 cannot be viewed yet
    wizard.panels["user"].button.click()
    assert not wizard.next.disabled
    wizard.next.click()
    console = wizard.panels["console"]
    assert isinstance(console, ui.ConsolePanel)
    console.button.click()
    wizard.next.click()
    wizard.panels["permissions"].button.click()
    wizard.next.click()
    assert on_stage(wizard) == "review" and "CreateUser" in wizard.panels["review"].result.value
    wizard.panels["review"].button.click()
    assert on_stage(wizard) == "create"  # what Create made, with the password, comes into view by itself

    wizard.back.click()
    wizard.back.click()
    assert on_stage(wizard) == "permissions"  # steps before Create can be viewed ...
    assert wizard.panels["permissions"].button.disabled  # ... and not redone
    assert all(w.disabled for w in wizard.panels["permissions"].inputs)


def test_enter_in_a_field_does_what_the_panels_button_does(endpoint: str, tmp_path: Path) -> None:
    panels, _ = wizard_page(tmp_path, user_name="first")
    wizard = panels.wizard
    user = wizard.panels["user"]
    assert isinstance(user, ui.UserPanel)
    user.user_name.value = "by-enter"
    submit(user.user_name)
    assert wizard.state("user") == "done" and panels.runbook.params.user_name == "by-enter"

    console = wizard.panels["console"]
    assert isinstance(console, ui.ConsolePanel)
    console.mode.value = "custom"
    console.password.value = "weak"
    submit(console.password)  # the button is disabled while the password fails a rule: Enter does nothing
    assert wizard.state("console") == "current"
    console.password.value = console.confirm.value = GOOD
    submit(console.confirm)
    assert wizard.state("console") == "done" and panels.runbook.password == GOOD


def test_the_first_panel_switches_to_aws_and_names_the_credentials_caller_and_account(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panels, _ = wizard_page(tmp_path, user_name="switcher")
    wizard = panels.wizard
    first = wizard.panels["preflight"]
    assert isinstance(first, ui.PreflightPanel)
    assert "the sandbox" in text(first.identity.value) and "the sandbox's own keys" in text(first.identity.value)
    assert first.button.description == "Check again"
    wizard.panels["user"].button.click()
    old_user_panel = wizard.panels["user"]

    # "AWS" is the sandbox here: the standard chain finds keys in the environment.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLESANDBOX01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "sandbox")
    first.target.value = "aws"
    assert first.button.description == "Connect to AWS"
    first.button.click()
    run = panels.runbook
    assert run.params.target == "aws" and run.params.user_name == "switcher"
    shown = text(first.identity.value)
    for expected in ("Target real AWS at", "Credentials environment variables", f"Account {run.pre.account_id}"):
        assert expected in shown
    assert run.pre.caller_arn in shown
    assert wizard.panels["user"] is not old_user_panel  # every later step starts over on the new target
    assert wizard.state("user") == "current" and first.button.description == "Check again"
    for name in ("user", "console", "permissions"):
        wizard.panels[name].button.click()
    review = wizard.panels["review"]
    assert isinstance(review, ui.ReviewPanel)
    assert review.button.disabled  # on AWS, Create asks for the account id
    review.confirm.value = run.pre.account_id
    assert not review.button.disabled


def test_a_failed_start_is_the_first_panels_message_and_try_again_goes_on(
    browser_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("runbook_lib.aws.ENDPOINT_WAIT", 0.2)
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    panels = notebook.start({"secrets_dir": str(tmp_path / "s"), "mfa_codes": "prompt", "user_name": "later"})
    assert isinstance(panels, ui.Panels)
    shown = every_cell(panels)
    wizard = panels.wizard
    assert isinstance(wizard.failure, EndpointUnreachable)
    first = wizard.panels["preflight"]
    message = text(first.status.value)
    assert f"{dead} (AWS_ENDPOINT_URL) could not be reached" in message and "unset AWS_ENDPOINT_URL" in message
    assert "Traceback" not in message and first.button.description == "Try again" and not first.button.disabled
    assert set(wizard.panels) == {"preflight"}  # nothing else goes on without a run
    assert all("Waiting for a connection (step 0)" in text(s.children[0].value) for s in shown[1:])
    assert all(wizard.state(n) == "waiting" for n in ui.ORDER[1:])

    monkeypatch.setenv("AWS_ENDPOINT_URL", browser_sandbox.endpoint_url)  # the person started the sandbox
    first.button.click()
    assert wizard.failure is None and set(wizard.panels) == {"preflight", "user"}
    assert shown[1].children == (wizard.panels["user"].box,)
    assert all("Waiting for step 1 Create the IAM user" in text(s.children[0].value) for s in shown[2:])
    assert wizard.state("user") == "current" and first.status.value == ""


def test_the_qr_image_says_how_to_get_the_key_as_text(endpoint: str, tmp_path: Path) -> None:
    panels, _ = wizard_page(tmp_path, user_name="qr-alt")
    for name in ("user", "console", "permissions", "review"):
        panels.wizard.panels[name].button.click()
    mfa_panel = panels.wizard.panels["mfa"]
    assert isinstance(mfa_panel, ui.MfaPanel)
    assert "QR code" in mfa_panel.qr.tooltip and "Show secret key" in mfa_panel.qr.tooltip
