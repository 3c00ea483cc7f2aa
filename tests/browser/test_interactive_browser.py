"""Issue 14 in a real browser (the Voila wizard): what a person does that the happy path does not.

- Fast typing, then Tab and Enter: the kernel acts on the whole value the field shows (it got `k`
  for `kbd.admin`, and once created an IAM user named `k`).
- Double clicks on Create and on "Generate credentials" keep the first result.
- A reload during MFA shows the same QR code again, and the device is enabled with the app's codes.
- A re-run keeps the existing console password; replacing it is a choice the review shows.

Every check ends at IAM (the sandbox, read with boto3), not only at the page.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from runbook_lib import mfa
from tests.browser.test_wizard_browser import sandbox_iam
from tests.support.browser import Page, Server
from tests.support.faults import iam_holds_console_password
from tests.support.person import click, go_to, panel, read_qr, tracker_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "Replaced-Wizard-Pass-9!"


def open_wizard(p: Page, voila: Server) -> Any:
    p.page.goto(f"{voila.url}/?token={voila.token}", timeout=180_000)
    expect(p.page.locator(".rb-wizard")).to_be_visible(timeout=180_000)
    expect(tracker_state(p.page, "user")).to_have_attribute("data-state", "current")
    return p.page


def type_fast_then_tab_enter(page: Any, field: Any, text: str) -> None:
    """What a quick typist does: the whole value at once (no delay between keys), Tab to the button, Enter."""
    field.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text, delay=0)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def user_step(page: Any, name: str) -> None:
    go_to(page, "user")
    field = panel(page, "user").locator(".rb-user-name input")
    type_fast_then_tab_enter(page, field, name)
    expect(panel(page, "user").locator(".rb-result")).to_contain_text(f"User {name}")
    expect(tracker_state(page, "user")).to_have_attribute("data-state", "done")


def through_review(page: Any, name: str) -> None:
    user_step(page, name)
    click(page, "console", "Use this password")
    expect(tracker_state(page, "console")).to_have_attribute("data-state", "done")
    click(page, "permissions", "Use these permissions")
    go_to(page, "review")
    expect(panel(page, "review").locator(".rb-result")).to_contain_text("Review:")


def scan(page: Any) -> str:
    """The seed, read off the QR code on the page as a phone would."""
    qr = panel(page, "mfa").locator(".rb-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    uri = read_qr(qr.screenshot())
    return urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]


def enter_codes(page: Any, seed: str) -> None:
    totp = pyotp.TOTP(seed)
    now = time.time()
    mfa_panel = panel(page, "mfa")
    mfa_panel.locator(".rb-code1 input").fill(totp.at(now - mfa.STEP))
    mfa_panel.locator(".rb-code2 input").fill(totp.at(now))
    mfa_panel.get_by_role("button", name="Enable MFA").click()
    expect(mfa_panel.locator(".rb-status")).to_contain_text("MFA is enabled for")


def test_fast_typing_then_tab_and_enter_acts_on_the_whole_value_every_time(
    page: Page, voila: Server, browser_sandbox: Any
) -> None:
    tab = open_wizard(page, voila)
    for name in ("kbd.admin", "quick.brown.fox"):  # three tries (the third below): the old code failed two of three
        user_step(tab, name)
    through_review(tab, "kbd.admin")
    expect(panel(tab, "review").locator(".rb-result")).to_contain_text("create IAM user kbd.admin")
    click(tab, "review", "Create")
    expect(panel(tab, "create").locator(".rb-result")).to_contain_text("Created")
    users = [u["UserName"] for u in sandbox_iam(browser_sandbox.endpoint_url).list_users()["Users"]]
    assert "kbd.admin" in users and not [u for u in users if "kbd.admin".startswith(u) and u != "kbd.admin"]


def test_a_name_changed_after_its_check_is_checked_again_before_create(
    page: Page, voila: Server, browser_sandbox: Any
) -> None:
    tab = open_wizard(page, voila)
    through_review(tab, "first.choice")
    go_to(tab, "user")
    field = panel(tab, "user").locator(".rb-user-name input")
    field.fill("second.choice")
    field.press("Tab")
    expect(tracker_state(tab, "user")).to_have_attribute("data-state", "current")
    expect(tracker_state(tab, "review")).to_have_attribute("data-state", "waiting")  # Create cannot be reached
    expect(tab.locator(".rb-nav").get_by_role("button", name="Next")).to_be_disabled()
    users = [u["UserName"] for u in sandbox_iam(browser_sandbox.endpoint_url).list_users()["Users"]]
    assert "first.choice" not in users


def test_double_clicks_on_create_and_generate_keep_the_first_result(
    page: Page, voila: Server, browser_sandbox: Any
) -> None:
    tab = open_wizard(page, voila)
    through_review(tab, "double.click")
    panel(tab, "review").get_by_role("button", name="Create").dblclick()
    create = panel(tab, "create").locator(".rb-result")
    expect(create).to_contain_text("Created")
    click(tab, "mfa", "Assign MFA device")
    enter_codes(tab, scan(tab))
    go_to(tab, "codecommit")
    panel(tab, "codecommit").get_by_role("button", name="Generate credentials").dblclick()
    git = panel(tab, "codecommit").locator(".rb-result")
    expect(git).to_contain_text("CodeCommit HTTPS Git credentials: created")
    tab.wait_for_timeout(1500)  # what a second click would have done, it would have done by now
    expect(git).to_contain_text("CodeCommit HTTPS Git credentials: created")
    go_to(tab, "create")
    expect(create).to_contain_text("Created")
    expect(create).not_to_contain_text("Nothing to create")
    iam = sandbox_iam(browser_sandbox.endpoint_url)
    credentials = iam.list_service_specific_credentials(UserName="double.click")["ServiceSpecificCredentials"]
    assert len(credentials) == 1


def test_a_reload_during_mfa_shows_the_same_qr_code_and_a_rerun_keeps_or_replaces_the_password(
    page: Page, voila: Server, browser_sandbox: Any
) -> None:
    tab = open_wizard(page, voila)
    through_review(tab, "reloaded")
    click(tab, "review", "Create")
    expect(panel(tab, "create").locator(".rb-result")).to_contain_text("Created")
    click(tab, "mfa", "Assign MFA device")
    seed = scan(tab)  # the person scans it, then the page is reloaded

    tab = open_wizard(page, voila)
    user_step(tab, "reloaded")
    go_to(tab, "console")
    console = panel(tab, "console")
    expect(console.locator(".rb-password-kept")).to_contain_text("already has a console password")
    expect(console.locator(".rb-password input")).to_be_hidden()
    click(tab, "console", "Use this password")
    expect(console.locator(".rb-result")).to_contain_text("the existing password is kept")
    click(tab, "permissions", "Use these permissions")
    go_to(tab, "review")
    review = panel(tab, "review").locator(".rb-result")
    expect(review).to_contain_text("EnableMFADevice")
    expect(review).not_to_contain_text("DeleteVirtualMFADevice")
    expect(review).not_to_contain_text("CreateVirtualMFADevice")
    click(tab, "review", "Create")
    expect(tracker_state(tab, "create")).to_have_attribute("data-state", "done")
    click(tab, "mfa", "Assign MFA device")
    assert scan(tab) == seed, "the reloaded page shows the device the app already has"
    enter_codes(tab, seed)
    iam = sandbox_iam(browser_sandbox.endpoint_url)
    assert len(iam.list_mfa_devices(UserName="reloaded")["MFADevices"]) == 1
    waiting = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert not [d for d in waiting if d["SerialNumber"].endswith("/reloaded")]

    tab = open_wizard(page, voila)  # a re-run that replaces the password, as the review shows
    user_step(tab, "reloaded")
    go_to(tab, "console")
    console = panel(tab, "console")
    console.get_by_role("checkbox", name="Replace it with a new password").check()
    console.get_by_role("button", name="Custom password").click()
    console.locator(".rb-password input").fill(NEW_PASSWORD)
    console.locator(".rb-confirm input").fill(NEW_PASSWORD)
    click(tab, "console", "Use this password")
    expect(console.locator(".rb-result")).to_contain_text("custom password: meets every rule")
    click(tab, "permissions", "Use these permissions")
    go_to(tab, "review")
    expect(panel(tab, "review").locator(".rb-result")).to_contain_text("UpdateLoginProfile")
    click(tab, "review", "Create")
    expect(panel(tab, "create").locator(".rb-result")).to_contain_text("UpdateLoginProfile")
    assert iam_holds_console_password("reloaded", NEW_PASSWORD)
