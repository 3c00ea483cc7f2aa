"""A person going through the runbook's panels in a browser: JupyterLab (each panel in its section) or the wizard.

Only what a person sees and does: type into fields, press keys, click buttons, read the page, scan the
QR code (from a screenshot of the image) and read codes off an authenticator (pyotp, from that seed).
At every step the page is audited with axe-core, and the time each click takes to be answered on the
page is recorded (a report, never a pass/fail: timings belong to `make bench`).
"""

from __future__ import annotations

import io
import json
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from runbook_lib import mfa
from tests.support.accessibility import Audits
from tests.support.browser import UI_TIMEOUT, Page

WEAK_PASSWORD = "abc"
GOOD_PASSWORD = "Tr1cky-Wizard-Pass!"
STEPS = ("preflight", "user", "console", "permissions", "review", "create", "mfa", "codecommit", "summary", "verify")


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


# Installed once per page: the time of the last click or Enter, and a text test for the answers.
PAGE_HELPERS = """() => {
  if (window.__rb) return;
  window.__rb = { at: null };
  const mark = () => { window.__rb.at = performance.now(); };
  document.addEventListener('click', mark, true);
  document.addEventListener('pointerup', mark, true);  // JupyterLab's menus act on release, with no click
  document.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') mark(); }, true);
  window.__rbHas = (selector, text) =>
    Array.from(document.querySelectorAll(selector)).some(e => e.offsetParent !== null && e.textContent.includes(text));
}"""


def has(selector: str, text: str = "") -> str:
    """A JS test: an element on view matching `selector` holds `text`."""
    return f"window.__rbHas({json.dumps(selector)}, {json.dumps(text)})"


class Timings:
    """How long each answer takes to show, from the click (or key) to the page holding it, in the browser's clock."""

    def __init__(self, report: Path) -> None:
        self.report = report
        self.answers: list[dict[str, Any]] = []
        self.marks: dict[str, float] = {}

    def answer(self, page: Any, label: str, act: Any, done: str, *, button: bool = True) -> float:
        """Act, then wait for `done` (JS): the time from the click or key to the answer (a button's, unless not)."""
        page.evaluate(PAGE_HELPERS)
        page.evaluate("() => { window.__rb.at = null; }")
        act()
        handle = page.wait_for_function(
            f"() => (window.__rb.at !== null && ({done})) ? {{ms: performance.now() - window.__rb.at}} : false",
            polling="raf",
            timeout=UI_TIMEOUT,
        )
        ms = float(handle.json_value()["ms"])
        if button:
            self.answers.append({"answer": label, "ms": round(ms, 1)})
            self.write()
        return ms

    def mark(self, name: str, ms: float) -> None:
        self.marks[name] = round(ms, 1)
        self.write()

    def write(self) -> None:
        values = sorted(a["ms"] for a in self.answers)
        summary = {}
        if values:
            p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
            summary = {
                "clicks": len(values),
                "median_ms": statistics.median(values),
                "p95_ms": p95,
                "max_ms": values[-1],
            }
        self.report.write_text(json.dumps({"marks": self.marks, "answers": summary, "each": self.answers}, indent=1))


@dataclass
class Person:
    """One person at one page: in the wizard (one step on view, Back and Next) or in JupyterLab."""

    p: Page
    wizard: bool
    seen: Seen = field(default_factory=Seen)

    def __post_init__(self) -> None:
        self.audits = Audits(self.p.shots / "axe.json")
        self.timings = Timings(self.p.shots / "timings.json")

    @property
    def page(self) -> Any:
        return self.p.page

    def panel(self, name: str) -> Any:
        return panel(self.page, name)

    def audit(self, step: str) -> None:
        """axe-core on the wizard's whole page; in JupyterLab on the step's panel (JupyterLab's own UI is not
        ours), scrolled into view first: axe cannot judge the colours of what is scrolled out of view."""
        if self.wizard:
            self.audits.check(self.page, step)
            return
        name = STEPS[int(step.split()[0])]  # "6 mfa, QR code" -> mfa
        built(self.page, name).scroll_into_view_if_needed()
        self.audits.check(self.page, step, [f".rb-panel-{name}"])

    def click(self, name: str, button: str, done: str, label: str = "") -> float:
        """Click a panel's button and wait for its answer on the page; the time is recorded."""
        target = self.panel(name).get_by_role("button", name=button, exact=True)
        return self.timings.answer(self.page, label or f"{name}: {button}", target.click, done)

    def press_enter(self, name: str, selector: str, done: str) -> float:
        field_ = self.panel(name).locator(selector)
        return self.timings.answer(self.page, f"{name}: Enter", lambda: field_.press("Enter"), done)

    def on_view(self, name: str) -> None:
        """The step the person works on: in the wizard it is the one on the stage; in JupyterLab, scrolled to."""
        if self.wizard:
            expect(self.page.locator(f".rb-stage .rb-panel-{name}")).to_be_visible()
            expect(self.page.locator(".rb-panel")).to_have_count(1)
            expect(tracker_state(self.page, name)).to_have_attribute("aria-current", "step")
        else:
            expect(built(self.page, name)).to_be_visible()
            built(self.page, name).scroll_into_view_if_needed()

    def next(self, to: str) -> None:
        if self.wizard:
            self.timings.answer(
                self.page, "Next", self.page.locator(".rb-nav").get_by_role("button", name="Next").click,
                f"document.querySelector('.rb-stage .rb-panel-{to}') !== null",
            )  # fmt: skip
        self.on_view(to)


def panel(page: Any, name: str) -> Any:
    return page.locator(f".rb-panel-{name}")


def built(page: Any, name: str) -> Any:
    """The step's panel itself, not the line that stands in for it while the step waits."""
    return page.locator(f".rb-panel-{name}.widget-box")


def tracker_state(page: Any, step: str) -> Any:
    return page.locator(f".rb-tracker li[data-step='{step}']").first


def go_to(page: Any, name: str) -> None:
    """Bring step `name` on view: in the wizard with Next or Back (as far as they go), in JupyterLab by scrolling."""
    if page.locator(".rb-wizard").count() == 0:
        expect(built(page, name)).to_be_visible()
        built(page, name).scroll_into_view_if_needed()
        return
    for _ in STEPS:
        expect(page.locator(".rb-wizard .rb-spin")).to_have_count(0)  # no step at work: the view is where it stays
        viewed = page.locator(".rb-tracker li[aria-current='step']").get_attribute("data-step")
        if viewed == name:
            expect(page.locator(f".rb-stage .rb-panel-{name}")).to_be_visible()
            return
        towards = "Next" if STEPS.index(name) > STEPS.index(str(viewed)) else "Back"
        move = page.locator(".rb-nav").get_by_role("button", name=towards)
        expect(move, f"step {name} cannot be viewed from step {viewed}: {towards} is disabled").to_be_enabled()
        move.click()  # the wizard may also move by itself (after Create): read where it is, again
        expect(page.locator(".rb-tracker li[aria-current='step']")).not_to_have_attribute("data-step", str(viewed))
    raise AssertionError(f"step {name} never came on view")


def click(page: Any, name: str, button: str) -> None:
    """Go to step `name` (see `go_to`) and click its button."""
    go_to(page, name)
    panel(page, name).get_by_role("button", name=button, exact=True).click()


def read_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found in the MFA panel's image"
    return str(results[0].text)


def expect_status(page: Any, name: str, text: str, where: str = ".rb-status") -> None:
    expect(panel(page, name).locator(where).first).to_contain_text(text)


def secret_text(field_: Any) -> str:
    """The secret a field shows (its read-only monospace line), once the person chose Show."""
    return str(field_.locator(".rb-secret-value").inner_text()).strip()


def assert_readable(field_: Any, length: int) -> None:
    """A revealed secret: plain text, not a (greyed-out) input, monospace, as wide as its panel, not cut off."""
    value = field_.locator(".rb-secret-value")
    expect(value).to_be_visible()
    assert field_.locator("input").count() == 0
    style = value.evaluate(
        "e => { const s = getComputedStyle(e); return {font: s.fontFamily, width: e.getBoundingClientRect().width,"
        " panel: e.closest('.rb-panel').getBoundingClientRect().width, scroll: e.scrollWidth - e.clientWidth,"
        " inside: e.getBoundingClientRect().right <= e.closest('.rb-panel').getBoundingClientRect().right,"
        " opacity: s.opacity, text: e.innerText.trim().length}; }"
    )
    assert "mono" in style["font"].lower(), style
    assert style["width"] >= 0.85 * style["panel"], style
    assert style["scroll"] <= 0 and style["inside"] and style["text"] == length, style  # all of it, in the panel
    assert float(style["opacity"]) == 1.0, style


def go_through(person: Person, *, user_name: str | None = None) -> Seen:
    """Every step in order, as a person would, with a screenshot, an audit and timed answers at each."""
    page, p, seen = person.page, person.p, person.seen

    # Everything ran: nothing was written, only step 1 is open (the wizard shows step 0 first).
    expect(panel(page, "preflight")).to_be_visible(timeout=180_000)
    expect(tracker_state(page, "preflight")).to_have_attribute("data-state", "done")
    expect(tracker_state(page, "user")).to_have_attribute("data-state", "current")
    if person.wizard:
        person.on_view("preflight")
        expect(page.locator(".rb-tracker")).to_have_count(1)
    else:
        expect(panel(page, "verify")).to_be_visible()
        for waiting in STEPS[2:]:  # a waiting step's panel comes with its turn: nothing to click before
            expect(panel(page, waiting)).to_contain_text("Waiting for step 1 Create the IAM user")
            expect(panel(page, waiting).get_by_role("button")).to_have_count(0)
    first = panel(page, "preflight")
    expect(first.locator(".rb-identity")).to_contain_text("Credentials")
    expect(first.get_by_role("radio", name="The sandbox: a rehearsal, nothing real is touched")).to_be_checked()
    person.audit("0 preflight")
    p.shot("00-preflight", first)

    # 1 user: Enter in the field does what the button does
    person.next("user")
    user = panel(page, "user")
    if user_name:
        user.locator(".rb-user-name input").fill(user_name)
    person.press_enter("user", ".rb-user-name input", has(".rb-panel-user .rb-result", "does not exist yet"))
    expect(tracker_state(page, "user")).to_have_attribute("data-state", "done")
    person.audit("1 user")
    p.shot("01-user", user)

    # 2 console access: a weak password shows which rules fail, live, before any submit
    person.next("console")
    console = panel(page, "console")
    console.get_by_role("button", name="Custom password").click()
    console.locator(".rb-password input").fill(WEAK_PASSWORD)
    failing = console.locator(".rb-rules li[data-ok='false']")
    expect(failing.filter(has_text="at least 8 characters")).to_have_count(1)
    expect(failing.filter(has_text="three of: uppercase, lowercase, digits, symbols")).to_have_count(1)
    expect(console.locator(".rb-rules li[data-ok='true']").filter(has_text="at most 128")).to_have_count(1)
    expect(console.get_by_role("button", name="Use this password")).to_be_disabled()
    person.audit("2 console, weak password")
    p.shot("02-console-weak-password", console)
    console.locator(".rb-password input").fill(GOOD_PASSWORD)
    console.locator(".rb-confirm input").fill(GOOD_PASSWORD)
    expect(failing).to_have_count(0)
    expect(console.locator(".rb-rules li[data-ok='true']").filter(has_text="both fields match")).to_have_count(1)
    p.shot("02-console-good-password", console)
    person.click("console", "Use this password", has(".rb-panel-console .rb-result", "custom password: meets every"))
    expect(console.locator(".rb-password input")).to_have_value("")  # cleared after use
    expect(console.locator(".rb-confirm input")).to_have_value("")

    # 3 permissions: the two policies are preselected; the search box finds Billing
    person.next("permissions")
    permissions = panel(page, "permissions")
    expect(permissions.locator(".rb-policies-selected")).to_contain_text("Selected (2): AdministratorAccess, Billing")
    permissions.locator(".rb-policy-search input").fill("Billing")
    expect(permissions.locator(".rb-policy-count")).to_contain_text("AWS managed policies match")
    expect(permissions.get_by_role("checkbox", name="Billing", exact=True)).to_be_checked()
    expect(permissions.get_by_role("checkbox", name="AWSBillingReadOnlyAccess")).not_to_be_checked()
    person.audit("3 permissions")
    p.shot("03-permissions", permissions)
    person.click(
        "permissions",
        "Use these permissions",
        has(".rb-panel-permissions .rb-result", "arn:aws:iam::aws:policy/job-function/Billing"),
    )

    # 4 review: the plan, then Create (the first write)
    person.next("review")
    review = panel(page, "review")
    expect(review.locator(".rb-result")).to_contain_text("CreateLoginProfile")
    expect(review.locator(".rb-result")).to_contain_text("EnableMFADevice")
    person.audit("4 review")
    p.shot("04-review", review)
    person.click("review", "Create", has(".rb-panel-create .rb-result", "Created"))

    # 5 create: the password, shown once, in a readable field with Copy
    person.on_view("create")
    create = panel(page, "create")
    reveal = create.locator(".rb-reveal-console_password")
    expect(reveal.locator(".rb-secret-value")).to_be_hidden()  # masked until asked
    person.audit("5 create")
    p.shot("05-create", create)
    reveal.get_by_role("button", name="Copy").click()
    expect(reveal.get_by_role("button", name="Copied")).to_be_visible()
    seen.copied_password = page.evaluate("navigator.clipboard.readText()")
    person.click("create", "Show", has(".rb-reveal-console_password .rb-secret-value", GOOD_PASSWORD))
    seen.console_password = secret_text(reveal)
    assert seen.copied_password == seen.console_password == GOOD_PASSWORD
    assert_readable(reveal, len(GOOD_PASSWORD))
    person.audit("5 create, password shown")
    p.shot("05-create-shown", create)
    person.click("create", "Hide", "document.querySelector('.rb-reveal-console_password .rb-secret-value')"
                 ".offsetParent === null")  # fmt: skip
    person.click("create", "I have saved it", has(".rb-panel-create", "Dismissed: the password is no longer"))
    expect(reveal.locator(".rb-secret-value")).to_have_count(0)

    # 6 MFA: scan the QR code, or show the key as text; then codes (Enter submits them)
    person.next("mfa")
    mfa_panel = panel(page, "mfa")
    person.click("mfa", "Assign MFA device", "document.querySelector('.rb-panel-mfa .rb-qr')?.complete === true"
                 " && document.querySelector('.rb-panel-mfa .rb-qr').naturalWidth > 0")  # fmt: skip
    qr = mfa_panel.locator(".rb-qr")
    expect(qr).to_be_visible()
    assert "Show secret key" in (qr.get_attribute("title") or "")  # the image's text alternative
    seen.qr_screenshot = qr.screenshot()
    seen.otpauth_uri = read_qr(seen.qr_screenshot)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(seen.otpauth_uri).query)
    seen.seed = query["secret"][0]
    assert query["issuer"] == [mfa.ISSUER]
    person.audit("6 mfa, QR code")
    p.shot("06-mfa-scan", mfa_panel)
    key = mfa_panel.locator(".rb-secret-mfa_seed")
    person.click("mfa", "Show secret key", has(".rb-secret-mfa_seed .rb-secret-value", seen.seed))
    assert secret_text(key) == seen.seed
    assert_readable(key, len(seen.seed))  # the whole key (64 characters from IAM), not cut off
    person.audit("6 mfa, key shown")
    p.shot("06-mfa-key", mfa_panel)
    person.click("mfa", "Hide secret key", "document.querySelector('.rb-secret-mfa_seed .rb-secret-value')"
                 ".offsetParent === null")  # fmt: skip

    def codes(first: str, second: str, answer: str) -> None:
        seen.codes += [first, second]
        mfa_panel.locator(".rb-code1 input").fill(first)
        mfa_panel.locator(".rb-code2 input").fill(second)
        person.press_enter("mfa", ".rb-code2 input", has(".rb-panel-mfa", answer))

    totp = pyotp.TOTP(seen.seed)
    codes("123456", "654321", mfa.MESSAGES["typo"])  # a typo
    person.audit("6 mfa, wrong code")
    p.shot("06-mfa-wrong-code", mfa_panel)
    now = time.time()
    codes(totp.at(now), totp.at(now - mfa.STEP), mfa.MESSAGES["swapped"])  # the right codes, swapped
    now = time.time()
    codes(totp.at(now), totp.at(now), mfa.MESSAGES["same"])  # the same code twice
    now = time.time() - 10 * mfa.STEP
    codes(totp.at(now - mfa.STEP), totp.at(now), mfa.MESSAGES["skew"])  # a phone five minutes slow
    now = time.time()
    codes(totp.at(now - mfa.STEP), totp.at(now), "MFA is enabled for")  # previous window, then current
    expect(mfa_panel.locator(".rb-mfa-device")).to_be_hidden()  # the QR and the key leave the page
    expect(mfa_panel.locator(".rb-secret-value")).to_have_text("")
    expect(tracker_state(page, "mfa")).to_have_attribute("data-state", "done")
    person.audit("6 mfa, enabled")
    p.shot("06-mfa-enabled", mfa_panel)

    # 7 CodeCommit: generate, the password shown once, the clone URL
    person.next("codecommit")
    git = panel(page, "codecommit")
    person.click("codecommit", "Generate credentials", has(".rb-panel-codecommit .rb-result", "credentials: created"))
    seen.git_user = git.locator(".rb-git-user").inner_text()
    git_reveal = git.locator(".rb-reveal-codecommit_password")
    git_reveal.get_by_role("button", name="Show").click()
    expect(git_reveal.locator(".rb-secret-value")).to_be_visible()
    seen.git_password = secret_text(git_reveal)
    assert len(seen.git_password) > 20
    assert_readable(git_reveal, len(seen.git_password))
    git_reveal.get_by_role("button", name="Hide").click()
    git.locator(".rb-repository input").fill("my-first-repo")
    expect(git.locator(".rb-clone-url")).to_contain_text(
        "git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-first-repo"
    )
    person.audit("7 codecommit")
    p.shot("07-codecommit", git)
    git_reveal.get_by_role("button", name="I have saved it").click()
    expect(git_reveal).to_contain_text("Dismissed: the Git password is no longer on this page")

    # 8 summary, as headless
    person.next("summary")
    summary = panel(page, "summary")
    expect(summary.locator(".rb-result")).to_contain_text("CreateServiceSpecificCredential")
    expect(summary.locator(".rb-result")).to_contain_text("Manual: turn on IAM user access to billing")
    person.audit("8 summary")
    p.shot("08-summary", summary)

    # 9 verify: the auditors' controls, read back
    person.next("verify")
    verify = panel(page, "verify")
    person.click("verify", "Run the checks", has(".rb-panel-verify .rb-result", "iam_user_mfa_enabled_console_access"))
    for step in STEPS[1:]:
        expect(tracker_state(page, step)).to_have_attribute("data-state", "done")
    person.audit("9 verify")
    p.shot("09-verify", verify)

    if person.wizard:  # the steps before Create can be looked at again, not redone
        for back_to in ("summary", "codecommit", "mfa", "create", "review"):
            person.timings.answer(
                page, "Back", page.locator(".rb-nav").get_by_role("button", name="Back").click,
                f"document.querySelector('.rb-stage .rb-panel-{back_to}') !== null",
            )  # fmt: skip
        person.on_view("review")
        expect(panel(page, "review").get_by_role("button", name="Create")).to_be_disabled()
    return seen
