"""The runbook's panels in a real browser: JupyterLab (run all, click through, save) and the Voila wizard.

Each test goes through every panel as a person (see `person.py`), then checks the sandbox through
boto3: the user, its login profile, two policies, one MFA device and one Git credential. The
JupyterLab test also saves the notebook with its widget state and checks that no secret, in any
encoding, is in the saved file.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from runbook_lib import mfa
from runbook_lib.aws import SANDBOX_CREDENTIALS
from runbook_lib.secrets import encodings
from tests.support.browser import DOCS_SCREENSHOTS, NOTEBOOK, Page, Server
from tests.support.person import Seen, go_through, panel

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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


def assert_nothing_written(p: Page, endpoint: str, user: str) -> None:
    """Every cell has run and every panel is on the page, and IAM holds nothing of this user yet."""
    expect(panel(p.page, "verify")).to_be_visible(timeout=180_000)
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


def open_in_lab(p: Page, lab: Server) -> None:
    """Open the notebook, then Run > Run All Cells, as a person does."""
    page = p.page
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}", timeout=180_000)
    expect(page.locator(".jp-Notebook")).to_be_visible(timeout=180_000)
    kernel_idle = page.get_by_text("Python 3 (ipykernel) | Idle")
    select_kernel = page.get_by_role("dialog").get_by_role("button", name="Select", exact=True)
    expect(kernel_idle.or_(select_kernel)).to_be_visible(timeout=120_000)
    if select_kernel.is_visible():  # the notebook names python3; accept it, as a person would
        select_kernel.click()
        expect(kernel_idle).to_be_visible(timeout=120_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


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


def test_jupyterlab_panels_create_the_user_and_the_saved_notebook_holds_no_secret(
    page: Page, lab: Server, browser_sandbox: Any
) -> None:
    page.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
    open_in_lab(page, lab)
    assert_nothing_written(page, browser_sandbox.endpoint_url, "Administrator")
    seen = go_through(page)
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
    assert any("rb-panel-summary" in m["state"].get("_dom_classes", []) for m in state.values())
    page.shot("99-saved-notebook")


def test_voila_wizard_shows_only_the_panels_and_creates_the_user(
    page: Page, voila: Server, browser_sandbox: Any
) -> None:
    page.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=voila.url)
    page.page.goto(f"{voila.url}/?token={voila.token}", timeout=180_000)
    assert_nothing_written(page, browser_sandbox.endpoint_url, "wizard-admin")
    seen = go_through(page, user_name="wizard-admin")
    assert leaked(left_on_page(page), seen) == []
    assert page.page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0  # no code, only panels
    assert page.page.locator(".jp-MarkdownOutput, .jp-RenderedMarkdown").count() == 0  # and no prose
    assert page.page.get_by_text("Create your AWS account's first administrative IAM user").count() == 0
    assert_account_holds(browser_sandbox.endpoint_url, "wizard-admin")
    assert_secrets_match(voila, seen, "wizard-admin")
    page.shot("99-wizard")
    if os.environ.get("RUNBOOK_UPDATE_SCREENSHOTS"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in sorted(page.shots.glob("*.png")):
            (DOCS_SCREENSHOTS / shot.name).write_bytes(shot.read_bytes())
