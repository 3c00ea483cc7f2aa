"""A person going through the runbook's panels in a browser, the same in JupyterLab and in Voila.

Only what a person sees and does: type into fields, click buttons, read the page, scan the QR code
(from a screenshot of the image) and read codes off an authenticator (pyotp, from that seed).
"""

from __future__ import annotations

import io
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pyotp
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from runbook_lib import mfa
from tests.support.browser import Page

WEAK_PASSWORD = "abc"
GOOD_PASSWORD = "Tr1cky-Wizard-Pass!"


@dataclass
class Seen:
    """What the person typed or read: every secret the saved notebook must not hold."""

    console_password: str = ""
    copied_password: str = ""
    seed: str = ""
    otpauth_uri: str = ""
    qr_screenshot: bytes = b""
    git_user: str = ""
    git_password: str = ""
    codes: list[str] = field(default_factory=list)
    typed_password: str = GOOD_PASSWORD


def panel(page: Any, name: str) -> Any:
    return page.locator(f".rb-panel-{name}")


def tracker_state(page: Any, step: str) -> Any:
    return page.locator(f".rb-tracker li[data-step='{step}']").first


def click(page: Any, name: str, button: str) -> None:
    panel(page, name).get_by_role("button", name=button, exact=True).click()


def read_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the MFA panel's image"
    return str(results[0].text)


def enter_codes(page: Any, first: str, second: str, seen: Seen) -> None:
    seen.codes += [first, second]
    mfa_panel = panel(page, "mfa")
    mfa_panel.locator(".rb-code1 input").fill(first)
    mfa_panel.locator(".rb-code2 input").fill(second)
    mfa_panel.get_by_role("button", name="Enable MFA").click()


def expect_status(page: Any, name: str, text: str, where: str = ".rb-status") -> None:
    expect(panel(page, name).locator(where).first).to_contain_text(text)


def go_through(p: Page, *, user_name: str | None = None) -> Seen:
    """Every panel in order, as a person would, with a screenshot of each step."""
    page, seen = p.page, Seen()

    # The notebook ran to the end: every panel is there, nothing was written, only step 1 is open.
    expect(panel(page, "summary")).to_be_visible(timeout=180_000)
    expect(tracker_state(page, "preflight")).to_have_attribute("data-state", "done")
    expect(tracker_state(page, "user")).to_have_attribute("data-state", "current")
    expect(panel(page, "review").get_by_role("button", name="Create")).to_be_disabled()
    expect(panel(page, "mfa").get_by_role("button", name="Assign MFA device")).to_be_disabled()
    expect(panel(page, "console")).to_contain_text("Waiting for step 1 Create the IAM user")
    p.shot("00-preflight", panel(page, "preflight"))

    # 1 user
    if user_name:
        panel(page, "user").locator(".rb-user-name input").fill(user_name)
    click(page, "user", "Check name")
    expect(panel(page, "user").locator(".rb-result")).to_contain_text("does not exist yet")
    expect(tracker_state(page, "user")).to_have_attribute("data-state", "done")
    p.shot("01-user", panel(page, "user"))

    # 2 console access: a weak password shows which rules fail, live, before any submit
    console = panel(page, "console")
    console.get_by_role("button", name="Custom password").click()
    console.locator(".rb-password input").fill(WEAK_PASSWORD)
    failing = console.locator(".rb-rules li[data-ok='false']")
    expect(failing.filter(has_text="at least 8 characters")).to_have_count(1)
    expect(failing.filter(has_text="three of: uppercase, lowercase, digits, symbols")).to_have_count(1)
    expect(console.locator(".rb-rules li[data-ok='true']").filter(has_text="at most 128")).to_have_count(1)
    expect(console.get_by_role("button", name="Use this password")).to_be_disabled()
    p.shot("02-console-weak-password", console)
    console.locator(".rb-password input").fill(GOOD_PASSWORD)
    console.locator(".rb-confirm input").fill(GOOD_PASSWORD)
    expect(failing).to_have_count(0)
    expect(console.locator(".rb-rules li[data-ok='true']").filter(has_text="both fields match")).to_have_count(1)
    p.shot("02-console-good-password", console)
    click(page, "console", "Use this password")
    expect(console.locator(".rb-result")).to_contain_text("custom password: meets every rule")
    expect(console.locator(".rb-password input")).to_have_value("")  # cleared after use
    expect(console.locator(".rb-confirm input")).to_have_value("")

    # 3 permissions: the two policies are preselected; the search box finds Billing
    permissions = panel(page, "permissions")
    expect(permissions.locator(".rb-policies-selected")).to_contain_text("Selected (2): AdministratorAccess, Billing")
    permissions.locator(".rb-policy-search input").fill("Billing")
    expect(permissions.locator(".rb-policy-count")).to_contain_text("AWS managed policies match")
    expect(permissions.get_by_role("checkbox", name="Billing", exact=True)).to_be_checked()
    expect(permissions.get_by_role("checkbox", name="AWSBillingReadOnlyAccess")).not_to_be_checked()
    p.shot("03-permissions", permissions)
    click(page, "permissions", "Use these permissions")
    expect(permissions.locator(".rb-result")).to_contain_text("arn:aws:iam::aws:policy/job-function/Billing")

    # 4 review: the plan, then Create (the first write)
    review = panel(page, "review")
    expect(review.locator(".rb-result")).to_contain_text("CreateLoginProfile")
    expect(review.locator(".rb-result")).to_contain_text("EnableMFADevice")
    p.shot("04-review", review)
    click(page, "review", "Create")

    # 5 create: the password, shown once
    create = panel(page, "create")
    expect(create.locator(".rb-result")).to_contain_text("Created")
    reveal = create.locator(".rb-reveal-console_password")
    expect(reveal.locator(".rb-secret input")).to_have_attribute("type", "password")
    p.shot("05-create", create)
    reveal.get_by_role("button", name="Copy").click()
    expect(reveal.get_by_role("button", name="Copied")).to_be_visible()
    seen.copied_password = page.evaluate("navigator.clipboard.readText()")
    reveal.get_by_role("button", name="Show").click()
    expect(reveal.locator(".rb-shown input")).to_have_value(GOOD_PASSWORD)
    seen.console_password = reveal.locator(".rb-shown input").input_value()
    assert seen.copied_password == seen.console_password
    reveal.get_by_role("button", name="Hide").click()
    expect(reveal.locator(".rb-shown input")).to_have_value("")
    reveal.get_by_role("button", name="I have saved it").click()
    expect(reveal).to_contain_text("Dismissed: the password is no longer on this page")
    expect(reveal.locator("input")).to_have_count(0)

    # 6 MFA: scan the QR code, check the key behind its toggle, then codes
    click(page, "mfa", "Assign MFA device")
    mfa_panel = panel(page, "mfa")
    qr = mfa_panel.locator(".rb-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    seen.qr_screenshot = qr.screenshot()
    seen.otpauth_uri = read_qr(seen.qr_screenshot)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(seen.otpauth_uri).query)
    seen.seed = query["secret"][0]
    assert query["issuer"] == [mfa.ISSUER]
    p.shot("06-mfa-scan", mfa_panel)
    mfa_panel.get_by_role("button", name="Show secret key").click()
    expect(mfa_panel.locator(".rb-seed input")).to_have_value(seen.seed)
    mfa_panel.get_by_role("button", name="Hide secret key").click()
    expect(mfa_panel.locator(".rb-seed input")).to_have_value("")

    totp = pyotp.TOTP(seen.seed)
    enter_codes(page, "123456", "654321", seen)  # a typo
    expect_status(page, "mfa", mfa.MESSAGES["typo"], ".rb-verdict")
    p.shot("06-mfa-wrong-code", mfa_panel)
    now = time.time()
    enter_codes(page, totp.at(now), totp.at(now - mfa.STEP), seen)  # the right codes, swapped
    expect_status(page, "mfa", mfa.MESSAGES["swapped"], ".rb-verdict")
    now = time.time()
    enter_codes(page, totp.at(now), totp.at(now), seen)  # the same code twice
    expect_status(page, "mfa", mfa.MESSAGES["same"], ".rb-verdict")
    now = time.time() - 10 * mfa.STEP
    enter_codes(page, totp.at(now - mfa.STEP), totp.at(now), seen)  # a phone five minutes slow
    expect_status(page, "mfa", mfa.MESSAGES["skew"], ".rb-verdict")
    now = time.time()
    enter_codes(page, totp.at(now - mfa.STEP), totp.at(now), seen)  # previous window, then current
    expect_status(page, "mfa", "MFA is enabled for")
    expect(mfa_panel.locator(".rb-mfa-device")).to_be_hidden()  # the QR and the key leave the page
    expect(mfa_panel.locator(".rb-seed input")).to_have_value("")
    expect(tracker_state(page, "mfa")).to_have_attribute("data-state", "done")
    p.shot("06-mfa-enabled", mfa_panel)

    # 7 CodeCommit: generate, the password shown once, the clone URL
    click(page, "codecommit", "Generate credentials")
    git = panel(page, "codecommit")
    expect(git.locator(".rb-result")).to_contain_text("CodeCommit HTTPS Git credentials: created")
    seen.git_user = git.locator(".rb-git-user").inner_text()
    git_reveal = git.locator(".rb-reveal-codecommit_password")
    git_reveal.get_by_role("button", name="Show").click()
    expect(git_reveal.locator(".rb-shown input")).not_to_have_value("")
    seen.git_password = git_reveal.locator(".rb-shown input").input_value()
    assert len(seen.git_password) > 20
    git_reveal.get_by_role("button", name="Hide").click()
    git.locator(".rb-repository input").fill("my-first-repo")
    expect(git.locator(".rb-clone-url")).to_contain_text(
        "git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-first-repo"
    )
    p.shot("07-codecommit", git)
    git_reveal.get_by_role("button", name="I have saved it").click()
    expect(git_reveal).to_contain_text("Dismissed: the Git password is no longer on this page")

    # 8 summary, as headless
    summary = panel(page, "summary")
    expect(summary.locator(".rb-result")).to_contain_text("CreateServiceSpecificCredential")
    expect(summary.locator(".rb-result")).to_contain_text("Manual: turn on IAM user access to billing")
    p.shot("08-summary", summary)

    # 9 verify: the auditors' controls, read back
    click(page, "verify", "Run the checks")
    verify = panel(page, "verify")
    expect(verify.locator(".rb-result")).to_contain_text("iam_user_mfa_enabled_console_access")
    for step in ("user", "console", "permissions", "review", "create", "mfa", "codecommit", "summary", "verify"):
        expect(tracker_state(page, step)).to_have_attribute("data-state", "done")
    p.shot("09-verify", verify)
    return seen
