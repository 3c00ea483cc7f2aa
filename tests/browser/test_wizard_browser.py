"""The runbook's panels in a real browser: JupyterLab (run all, click through, save) and the wizard (`runbook wizard`).

Each full test goes through every step as a person (see `person.py`), auditing each with axe-core and
recording how long each answer takes to show (test-artifacts/browser/<test>/timings.json, for
`make bench`), then checks the sandbox through boto3: the user, its login profile, two policies, one
MFA device and one Git credential. The JupyterLab test also saves the notebook with its widget state
and checks that no secret, in any encoding, is in the saved file.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import nbformat
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from runbook_lib import mfa
from runbook_lib.aws import SANDBOX_CREDENTIALS
from runbook_lib.secrets import encodings
from tests.support.browser import DOCS_SCREENSHOTS, NOTEBOOK, Page, Server, start_wizard, stop_server
from tests.support.net import free_port
from tests.support.person import Person, Seen, go_through, has, panel, tracker_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_TITLE = "Create your AWS account's first administrator"


def sandbox_iam(endpoint: str) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=SANDBOX_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=SANDBOX_CREDENTIALS["aws_secret_access_key"],
        aws_session_token=SANDBOX_CREDENTIALS["aws_session_token"],
    )


def assert_account_holds(endpoint: str, user: str) -> None:
    """What IAM holds after one pass through the panels (ListAttachedUserPolicies, ListMFADevices, ...)."""
    iam = sandbox_iam(endpoint)
    assert iam.get_user(UserName=user)["User"]["UserName"] == user
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["UserName"] == user
    attached = {p["PolicyName"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]}
    assert attached == {"AdministratorAccess", "Billing"}
    devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert len(devices) == 1 and devices[0]["SerialNumber"].endswith(f":mfa/{user}")
    credentials = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [c["ServiceName"] for c in credentials] == ["codecommit.amazonaws.com"]


def assert_nothing_written(endpoint: str, user: str) -> None:
    """IAM holds nothing of this user yet."""
    iam = sandbox_iam(endpoint)
    assert user not in [u["UserName"] for u in iam.list_users()["Users"]]
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert not [d for d in devices if d["SerialNumber"].endswith(f":mfa/{user}")]


def assert_secrets_match(server: Server, seen: Seen, user: str) -> None:
    """What the page revealed is what the runbook delivered to the 0600 secrets file."""
    stored = server.secrets()
    assert stored["user_name"] == user
    assert stored["console_password"] == seen.console_password
    assert stored["mfa_seed"] == seen.seed
    assert stored["mfa_otpauth_uri"] == seen.otpauth_uri
    assert stored["codecommit_username"] == seen.git_user
    assert stored["codecommit_password"] == seen.git_password


def leaked(text: str, seen: Seen) -> list[str]:
    """Which secrets (or their base64/hex/URL forms) appear in `text`."""
    found = []
    for name in ("console_password", "seed", "otpauth_uri", "git_password", "typed_password"):
        value = getattr(seen, name)
        assert value, f"the test did not read {name}"
        if any(form in text for form in encodings(value) | {base64.b32encode(value.encode()).decode()}):
            found.append(name)
    if base64.b64encode(mfa.qr_png(seen.otpauth_uri)).decode()[:200] in text:
        found.append("the QR image")
    for png in re.findall(r"iVBORw0KGgo[A-Za-z0-9+/]+=*", text):  # any PNG: does it hold a QR code of the seed?
        image = Image.open(io.BytesIO(base64.b64decode(png)))
        if any(seen.seed in str(r.text) for r in zxingcpp.read_barcodes(image)):
            found.append("a QR image of the seed")
    for code in seen.codes:  # six digits: only as a whole number, not inside an account id or hash
        if re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", text):
            found.append(f"mfa code {code}")
    return found


def left_on_page(p: Page) -> str:
    """The page as it is now: its HTML and the value of every input (values are not in the HTML)."""
    values = p.page.evaluate("Array.from(document.querySelectorAll('input')).map(i => i.value).join('\\n')")
    return f"{p.page.content()}\n{values}"


def open_notebook(p: Page, lab: Server, name: str = NOTEBOOK.name) -> None:
    """Open the notebook, and wait for its kernel to be idle (warm), as a person finds it."""
    page = p.page
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}", timeout=180_000)  # reset: this tab alone
    expect(page.locator(".jp-Notebook")).to_be_visible(timeout=180_000)
    kernel_idle = page.get_by_text("Python 3 (ipykernel) | Idle")
    select_kernel = page.get_by_role("dialog").get_by_role("button", name="Select", exact=True)
    expect(kernel_idle.or_(select_kernel)).to_be_visible(timeout=120_000)
    page.wait_for_timeout(1000)  # JupyterLab may ask which kernel a moment after the status bar shows one
    if select_kernel.is_visible():  # the notebook names python3; accept it, as a person would
        select_kernel.click()
        expect(kernel_idle).to_be_visible(timeout=120_000)


def run_all(person: Person) -> None:
    """Run > Run All Cells, timed to the first panel on the page and to every cell having run."""
    page = person.page
    page.get_by_role("menuitem", name="Run", exact=True).click()
    all_cells = page.get_by_role("menuitem", name=re.compile(r"^Run All Cells"))
    shown = person.timings.answer(page, "Run All", all_cells.click, has(".rb-panel-preflight"), button=False)
    person.timings.mark("run_all_first_panel_shown_ms", shown)
    # Usable: the first panel's button is enabled and the kernel has run every cell (a click is answered at once).
    page.wait_for_function(
        "() => document.querySelector('.rb-panel-verify') !== null"
        " && document.querySelector('.rb-panel-preflight .rb-action:not(:disabled)') !== null",
        polling="raf",
    )
    usable = page.evaluate("() => performance.now() - window.__rb.at")
    person.timings.mark("run_all_first_panel_usable_ms", usable)


def save_in_lab(p: Page, saved: Path) -> dict[str, Any]:
    """Ctrl+S, then the file as JupyterLab wrote it."""
    before = saved.stat().st_mtime_ns
    p.page.locator(".jp-Notebook .jp-MarkdownCell").first.click()
    p.page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while saved.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "JupyterLab did not save the notebook"
        p.page.wait_for_timeout(200)  # not time.sleep: the page's requests pass through this process
    expect(p.page.get_by_text("Saving completed")).to_be_visible()
    return dict(json.loads(saved.read_text()))


def focus_ring(page: Any) -> dict[str, Any]:
    """The focused element's outline, and its contrast against the page behind it (WCAG 2.4.7, 1.4.11)."""
    return dict(
        page.evaluate(
            """() => {
              const e = document.activeElement, s = getComputedStyle(e);
              const rgb = c => c.match(/[0-9.]+/g).slice(0, 3).map(Number);
              const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
              const a = lum(s.outlineColor), b = lum('rgb(255, 255, 255)');
              return {tag: e.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                      contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
            }"""
        )
    )


def publish(p: Page) -> None:
    """`make screenshots` (RUNBOOK_UPDATE_SCREENSHOTS=1): this test's screenshots become the README's."""
    if os.environ.get("RUNBOOK_UPDATE_SCREENSHOTS"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in sorted(p.shots.glob("*.png")):
            if shot.name != "failure.png":
                (DOCS_SCREENSHOTS / shot.name).write_bytes(shot.read_bytes())


def assert_visible_focus(page: Any) -> None:
    ring = focus_ring(page)
    assert ring["style"] != "none" and ring["width"] >= 3 and ring["contrast"] >= 3, ring


def test_jupyterlab_panels_create_the_user_and_the_saved_notebook_holds_no_secret(
    page: Page, lab: Server, browser_sandbox: Any
) -> None:
    page.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
    open_notebook(page, lab)
    page.page.wait_for_timeout(1000)  # anything the page writes into the notebook on opening, it has written
    tab = page.page.locator(".lm-TabBar-tab", has_text=NOTEBOOK.name)
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))  # opening it changed nothing
    person = Person(page, wizard=False)
    run_all(person)
    expect(panel(page.page, "preflight")).to_be_in_viewport(ratio=0.2)  # Run All brings the first panel into view
    assert_nothing_written(browser_sandbox.endpoint_url, "Administrator")
    seen = go_through(person)
    assert leaked(left_on_page(page), seen) == []  # dismissed, cleared, gone from the page
    assert_account_holds(browser_sandbox.endpoint_url, "Administrator")
    assert_secrets_match(lab, seen, "Administrator")

    saved_path = lab.root / NOTEBOOK.name
    notebook = save_in_lab(page, saved_path)
    text = saved_path.read_text()
    assert leaked(text, seen) == []
    # the check above covered the widgets' saved values, not just the cell outputs
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "PasswordModel" for m in state.values())
    assert any(m["model_name"] == "LabelModel" for m in state.values())  # the secret fields, emptied
    assert any("rb-panel-summary" in m["state"].get("_dom_classes", []) for m in state.values())
    assert "▶ step" not in text  # the panels carry the news; no step line in their outputs
    page.shot("99-saved-notebook")


def test_the_wizard_is_one_step_at_a_time_and_creates_the_user(page: Page, voila: Server, browser_sandbox: Any) -> None:
    p = page.page
    p.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=voila.url)
    p.goto(f"{voila.url}/?token={voila.token}", timeout=180_000)
    expect(p.locator(".rb-wizard")).to_be_visible(timeout=180_000)
    person = Person(page, wizard=True)
    person.timings.mark("page_to_wizard_ms", p.evaluate("performance.now()"))
    assert p.title() == PAGE_TITLE
    expect(p.get_by_role("heading", level=1)).to_have_text(PAGE_TITLE)
    expect(p.locator(".rb-lede")).to_contain_text("nothing is written until you click Create")
    expect(p.get_by_text("▶")).to_have_count(0)  # no log lines
    expect(p.get_by_text("There was an error")).to_have_count(0)
    assert p.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0  # no code, only panels
    assert p.locator(".jp-MarkdownOutput, .jp-RenderedMarkdown").count() == 0  # and no notebook prose
    assert_nothing_written(browser_sandbox.endpoint_url, "wizard-admin")

    # The keyboard: a focus ring that shows, on a field and on a button.
    person.next("user")
    p.locator(".rb-panel-user .rb-user-name input").click()
    p.keyboard.press("Tab")
    assert_visible_focus(p)
    p.keyboard.press("Shift+Tab")
    assert_visible_focus(p)
    person.p.shot("01-user-focus", p.locator(".rb-wizard"))
    person.timings.answer(
        p, "Back", p.locator(".rb-nav").get_by_role("button", name="Back").click, has(".rb-stage .rb-panel-preflight")
    )

    seen = go_through(person, user_name="wizard-admin")
    assert leaked(left_on_page(page), seen) == []
    assert_account_holds(browser_sandbox.endpoint_url, "wizard-admin")
    assert_secrets_match(voila, seen, "wizard-admin")
    page.shot("99-wizard")
    publish(page)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any) -> None:
        return None


def answer_without_redirects(url: str) -> int:
    """The HTTP status of a plain GET, not following a redirect (to a login page)."""
    try:
        with urllib.request.build_opener(_NoRedirects).open(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (Linux's /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_wizard_listens_on_this_machine_only_and_refuses_a_request_without_its_token(
    page: Page, voila: Server
) -> None:
    port = int(voila.url.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else (no 0.0.0.0, no ::)
    for attempt in (f"{voila.url}/", f"{voila.url}/?token=not-the-token", f"{voila.url}/api/kernels"):
        assert answer_without_redirects(attempt) in (302, 401, 403), attempt  # to the login page, or refused
    page.page.goto(f"{voila.url}/", timeout=60_000)  # no token: a login page, no wizard, no kernel
    expect(page.page.locator("body")).to_contain_text("token")
    assert page.page.locator(".rb-wizard, .rb-panel").count() == 0
    page.page.goto(f"{voila.url}/?token=not-the-token", timeout=60_000)
    assert page.page.locator(".rb-wizard, .rb-panel").count() == 0
    page.page.goto(f"{voila.url}/?token={voila.token}", timeout=180_000)
    expect(page.page.locator(".rb-wizard")).to_be_visible(timeout=180_000)


def test_runbook_wizard_on_aws_with_a_profile_asks_for_the_account_id_before_create(
    page: Page, browser_sandbox: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`runbook wizard --target aws --profile P`, with the sandbox standing in for AWS (AWS_ENDPOINT_URL)."""
    base = tmp_path_factory.mktemp("wizard-aws")
    credentials = base / "aws-credentials"
    credentials.write_text("[rehearsal]\naws_access_key_id = ASIAEXAMPLESANDBOX01\naws_secret_access_key = x\n"
                           "aws_session_token = x\n")  # fmt: skip
    server = start_wizard(
        "voila-aws",
        base,
        browser_sandbox.endpoint_url,
        "--target",
        "aws",
        "--profile",
        "rehearsal",
        extra_env={"AWS_SHARED_CREDENTIALS_FILE": str(credentials)},
    )
    try:
        p = page.page
        p.goto(f"{server.url}/?token={server.token}", timeout=180_000)
        expect(p.locator(".rb-wizard")).to_be_visible(timeout=180_000)
        person = Person(page, wizard=True)
        first = panel(p, "preflight")
        expect(first.get_by_role("radio", name=re.compile("^An AWS account"))).to_be_checked()
        identity = first.locator(".rb-identity")
        expect(identity).to_contain_text("real AWS at")
        expect(identity).to_contain_text("the shared credentials file (~/.aws/credentials), profile rehearsal")
        expect(identity).to_contain_text("123456789012")
        person.audit("0 preflight, AWS")
        page.shot("00-preflight-aws", first)
        for step, button in (("user", "Check name"), ("console", "Use this password"),
                             ("permissions", "Use these permissions")):  # fmt: skip
            person.next(step)
            person.click(step, button, f"document.querySelector('.rb-tracker li[data-step={step}]')"
                         ".dataset.state === 'done'")  # fmt: skip
        person.next("review")
        review = panel(p, "review")
        expect(review).to_contain_text("This is real AWS account 123456789012")
        create = review.get_by_role("button", name="Create")
        expect(create).to_be_disabled()
        review.get_by_role("textbox", name="Type the account id").fill("111122223333")
        expect(create).to_be_disabled()
        review.get_by_role("textbox", name="Type the account id").fill("123456789012")
        expect(create).to_be_enabled()
        person.audit("4 review, AWS")
        page.shot("04-review-aws", review)
        publish(page)
    finally:
        stop_server(server)


def test_the_wizard_with_its_endpoint_down_says_what_and_the_way_out(
    page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from runbook_lib import sandbox

    port = free_port()
    server = start_wizard("voila-down", tmp_path_factory.mktemp("voila-down"), f"http://127.0.0.1:{port}")
    try:
        p = page.page
        p.goto(f"{server.url}/?token={server.token}", timeout=180_000)
        expect(p.locator(".rb-wizard")).to_be_visible(timeout=180_000)
        first = panel(p, "preflight")
        message = first.locator(".rb-status .rb-error")
        expect(message).to_contain_text(f"http://127.0.0.1:{port} (AWS_ENDPOINT_URL) could not be reached")
        expect(message).to_contain_text(f"runbook sandbox --port {port}", timeout=60_000)
        expect(message).to_contain_text("unset AWS_ENDPOINT_URL")
        expect(p.get_by_text("There was an error when executing cell")).to_have_count(0)
        expect(p.get_by_text("Traceback")).to_have_count(0)
        expect(p.locator(".rb-error")).to_have_count(1)  # one message, not one per cell
        expect(p.locator(".rb-nav").get_by_role("button", name="Next")).to_be_disabled()
        Person(page, wizard=True).audit("0 preflight, endpoint down")
        page.shot("00-endpoint-down", p.locator(".rb-wizard"))
        publish(page)

        served = sandbox.start(port=port)  # the way out: the person starts the sandbox there
        try:
            first.get_by_role("button", name="Try again").click()
            expect(first.locator(".rb-identity")).to_contain_text("Caller", timeout=60_000)
            expect(tracker_state(p, "user")).to_have_attribute("data-state", "current")
            expect(p.locator(".rb-error")).to_have_count(0)
        finally:
            served.stop()
    finally:
        stop_server(server)


def test_jupyterlab_with_the_endpoint_down_shows_one_message(page: Page, lab: Server) -> None:
    """The kernel's endpoint is down: the first panel says so, and no cell shows a traceback."""
    down = lab.root / "endpoint-down.ipynb"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    dead = f"http://127.0.0.1:{free_port()}"
    first_code = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    point_at_dead = nbformat.v4.new_code_cell(f"import os\nos.environ['AWS_ENDPOINT_URL'] = '{dead}'")
    notebook.cells.insert(first_code, point_at_dead)
    nbformat.write(notebook, down)
    open_notebook(page, lab, down.name)
    p = page.page
    p.get_by_role("menuitem", name="Run", exact=True).click()
    p.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    message = panel(p, "preflight").locator(".rb-status .rb-error")
    expect(message).to_contain_text(f"{dead} (AWS_ENDPOINT_URL) could not be reached", timeout=120_000)
    expect(message).to_contain_text("unset AWS_ENDPOINT_URL")
    expect(p.locator(".jp-Cell").last.locator(".jp-InputPrompt")).to_contain_text(re.compile(r"\[\d+\]"))
    expect(p.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
    expect(p.get_by_text("Traceback")).to_have_count(0)
    expect(p.locator(".rb-error")).to_have_count(1)
    Person(page, wizard=False).audit("0 preflight, endpoint down")
