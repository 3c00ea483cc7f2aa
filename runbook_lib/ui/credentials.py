"""The panels that make credentials: the MFA device (QR code, then two codes) and the Git credentials."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import codecommit, mfa
from ..report import Report
from . import fields
from .frame import Panel
from .parts import Reveal, SecretField, Widget, banner, copy_of, labelled, qr_image


class MfaPanel(Panel):
    name = "mfa"
    intro = (
        "A virtual MFA device: scan the QR code with an authenticator app, then type two consecutive "
        "codes it shows. They are checked here first, so a typo, a swapped pair, the same code twice "
        "or a phone clock that is off each get their own message."
    )
    action = "Assign MFA device"

    def build(self) -> list[Widget]:
        self.qr = qr_image()
        self.key = SecretField("mfa_seed", "Secret key", show="Show secret key", hide="Hide secret key")
        self.code1 = labelled(fields.Text(placeholder="6 digits"), "rb-code1", "MFA code 1")
        self.code2 = labelled(fields.Text(placeholder="the next code, 6 digits"), "rb-code2", "MFA code 2")
        self.enable = fields.ActionButton(description="Enable MFA", button_style="primary")
        self.enable.add_class("rb-enable-mfa")
        self.codes = fields.Gate(self.enable, [self.code1, self.code2])
        self.enable.on_click(lambda _: self.press_enable())
        self.verdict = widgets.HTML()  # the codes' diagnosis, next to the fields
        self.verdict.add_class("rb-verdict")
        self.device = widgets.VBox(
            [
                widgets.HTML(
                    "Scan this QR code with your authenticator app, or choose <b>Show secret key</b> "
                    "to type the key into the app instead:"
                ),
                self.qr,
                self.key.box,
                self.code1,
                self.code2,
                widgets.HBox([self.enable, self.verdict]),
            ]
        )
        self.device.add_class("rb-mfa-device")
        self.device.layout.display = "none"
        self.seed_value: str | None = None
        self.inputs = [self.code1, self.code2, self.enable, self.key.toggle]
        self.outputs.children = (self.device,)
        for code in (self.code1, self.code2):
            self.submits(code, self.enable)  # Enter in a code field enables, as the button does
        return []

    def reads(self) -> list[Widget]:
        return []  # Assign reads no field; Enable MFA reads the two codes, through its own gate

    def press_enable(self) -> None:
        """Enable MFA (a click, or Enter in a code field): with the two codes exactly as typed, once."""
        self.press(self.submit, self.codes, lambda: self.seed_value is not None, self.verdict)

    def pending(self) -> bool:
        return bool(self.run.pending("mfa"))

    def on_turn(self) -> None:
        if not self.pending():  # mfa=False, or the user has MFA already: say so, write nothing
            self.act()

    def can_act(self) -> bool:
        return self.seed_value is None

    def not_ready(self) -> str:
        return "The device is on the page: enter two consecutive codes from your app."

    def act(self) -> None:
        report = self.attempt("Creating the virtual MFA device…", self.run.enable_mfa)
        if report is None:
            return
        seed, uri = self.wizard.take("mfa_seed"), self.wizard.take("mfa_otpauth_uri")
        if seed is not None and uri is not None:
            self.seed_value = seed
            self.key.fill(seed)
            self.qr.value = mfa.qr_png(uri)
            self.device.layout.display = ""
            made = any(row[1] == "CreateVirtualMFADevice" for row in report.rows)
            self.status.value = (
                "Device created. Scan the code, then enter two consecutive codes."
                if made
                else "This device was made by an earlier run: if your app already has it, enter two codes from "
                "that entry; if not, scan the code first."
            )
            self.show(report)
            self.sync()
        elif not self.pending():  # skipped, or enabled already
            self.finished(report)
        else:
            self.show(report)

    def submit(self) -> None:
        first, second = self.code1.value, self.code2.value
        self.code1.value = ""  # single-use, and never left in the saved widget state
        self.code2.value = ""
        report = self.attempt(
            "Checking the codes and enabling the device…", lambda: self.run.submit_codes(first, second), self.verdict
        )
        if report is not None and not self.pending():
            self.finished(report)

    def finished(self, report: Report) -> None:
        """MFA is on: the QR image and the seed leave the page."""
        self.qr.value = b""
        self.key.clear()
        self.seed_value = None
        self.device.layout.display = "none"
        self.show(report)
        run = self.run
        if run.params.mfa:
            self.status.value = banner(f"MFA is enabled for {run.params.user_name}.")
        self.wizard.complete(self.name)


# --- 7 CodeCommit --------------------------------------------------------------------------------


class CodeCommitPanel(Panel):
    name = "codecommit"
    intro = (
        "HTTPS Git credentials for CodeCommit: a user name and password made for Git (at most two per "
        "user). The password is shown once."
    )
    action = "Generate credentials"

    def build(self) -> list[Widget]:
        self.reveal_box = widgets.VBox()
        self.reveal: Reveal | None = None
        self.repository = labelled(widgets.Text(value="", placeholder="my-repository"), "rb-repository", "Repository")
        self.clone = widgets.HTML()
        self.clone.add_class("rb-clone-url")
        self.repository.observe(lambda _: self.show_clone(), names="value")
        self.form = widgets.VBox(
            [widgets.HTML("Clone a repository with these credentials:"), self.repository, self.clone]
        )
        self.form.layout.display = "none"
        self.show_clone()
        self.outputs.children = (self.reveal_box, self.form)
        return []

    def show_clone(self) -> None:
        name = self.repository.value.strip() or "REPOSITORY"
        url = codecommit.clone_url(self.run.params.region, name)
        self.clone.value = f"<code>git clone {html.escape(url)}</code>"

    def pending(self) -> bool:
        return bool(self.run.pending("codecommit"))

    def on_turn(self) -> None:
        if not self.pending():  # codecommit=False, or credentials made by an earlier run
            self.act()

    def can_act(self) -> bool:
        return self.pending()

    def act(self) -> None:
        run = self.run
        report = self.attempt("Generating the Git credentials…", run.git_credentials)
        if report is None:
            return
        self.show(report)
        secret = self.wizard.take("codecommit_password")
        git = run.applied.git
        if secret is not None and git is not None:
            self.reveal = Reveal(
                "codecommit_password",
                "Git password",
                secret,
                f"Dismissed: the Git password is no longer on this page. {copy_of(run, 'codecommit')}",
            )
            user = widgets.HTML(f"Git user name: <code class='rb-git-user'>{html.escape(git.username)}</code>")
            self.reveal_box.children = (user, self.reveal.box)
        if run.params.codecommit:
            self.form.layout.display = ""
        if not self.pending():
            self.wizard.complete(self.name)
