"""The review panel, whose Create button makes the first write, and the create panel that shows what it made."""

from __future__ import annotations

import html

import ipywidgets as widgets

from . import fields
from .frame import SPINNER, Panel
from .parts import Reveal, Widget, copy_of, labelled


class ReviewPanel(Panel):
    name = "review"
    intro = (
        "Every change Create will make, read from the account as it is now. Nothing has been written "
        "yet: writes start only when you click <b>Create</b>."
    )
    action = "Create"
    result_first = True

    def build(self) -> list[Widget]:
        self.planned = False
        self.button.button_style = "danger" if self.run.params.target == "aws" else "primary"
        account = self.run.pre.account_id
        self.confirm = labelled(fields.Text(placeholder=account), "rb-confirm-account", "Type the account id")
        self.confirm.observe(lambda _: self.sync(), names="value")
        warning = widgets.HTML(
            f"<b>This is real AWS account {html.escape(account)}.</b> Type its id to confirm, then Create."
        )
        if self.run.params.target != "aws":
            self.confirm.layout.display = warning.layout.display = "none"
        self.inputs = [self.confirm]
        return [warning, self.confirm]

    def on_turn(self) -> None:
        """Plan as soon as the inputs are in: the plan reads IAM again and writes nothing."""
        self.planned = False
        self.result.value = ""
        plan = self.attempt("Reading IAM and planning…", lambda: self.run.review(read_again=True))
        if plan is not None:
            self.show(plan)
            self.planned = True
        self.button.description = "Create" if self.planned else "Plan again"
        self.sync()

    def can_act(self) -> bool:
        if not self.planned:
            return True  # "Plan again", after a failed plan
        return self.run.params.target != "aws" or self.confirm.value.strip() == self.run.pre.account_id

    def not_ready(self) -> str:
        return f"Type the account id {self.run.pre.account_id} to confirm that this account is to be changed."

    def edited(self) -> None:
        """The account id is a confirmation, not a choice: typing it changes no step."""

    def act(self) -> None:
        if not self.planned:
            self.on_turn()
            return
        created = self.wizard.panels.get("create")
        assert created is None or isinstance(created, CreatePanel)
        if created is not None:
            created.status.value = f"{SPINNER}Creating…"
        report = self.attempt("Creating the user…", self.run.create)
        self.wizard.results["create"] = report
        if created is not None:
            created.status.value = self.status.value
            created.render()
        if report is not None:
            self.wizard.done.add("review")
            self.wizard.complete("create")


# --- 5 create --------------------------------------------------------------------------------------


class CreatePanel(Panel):
    name = "create"
    intro = (
        "The reviewed changes, applied in order when you click <b>Create</b> in the review above. "
        "The console password is shown here once."
    )
    action = ""

    def build(self) -> list[Widget]:
        self.reveal_box = widgets.VBox()
        self.reveal: Reveal | None = None
        self.render()
        return [self.reveal_box]

    def render(self) -> None:
        report = self.wizard.results.get("create")
        if report is not None:
            self.show(report)
        secret = self.wizard.take("console_password")
        if secret is not None:
            run = self.run
            self.reveal = Reveal(
                "console_password",
                "Console password",
                secret,
                f"Dismissed: the password is no longer on this page. {copy_of(run, 'console')}",
            )
            self.reveal_box.children = (
                widgets.HTML(f"Sign in at <code>{html.escape(run.pre.signin_url)}</code> as "
                             f"<code>{html.escape(run.params.user_name)}</code> with:"),
                self.reveal.box,
            )  # fmt: skip
