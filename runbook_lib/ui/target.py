"""The first panel: where the runbook works (the sandbox, or an AWS account), who is calling, preflight, and
where the secrets go.

Before anything else the person sees the target, where the credentials come from, the caller and the
account. Choosing another target starts a new run there (preflight only reads); the panels after this
one start over for it. A start that fails (the endpoint is down, the credentials are refused) is this
panel's message, with a way to try again.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..runbook import Runbook, start as start_run
from . import fields
from .frame import Panel
from .parts import Widget, choice, close_tree, failure_html, labelled

# botocore's names for where it found the credentials (Credentials.method), as a person knows them.
CREDENTIAL_SOURCES = {
    "explicit": "the sandbox's own keys",
    "env": "environment variables (AWS_ACCESS_KEY_ID, …)",
    "shared-credentials-file": "the shared credentials file (~/.aws/credentials)",
    "config-file": "the AWS config file (~/.aws/config)",
    "sso": "IAM Identity Center (SSO) in ~/.aws/config",
    "assume-role": "a role assumed through ~/.aws/config",
    "assume-role-with-web-identity": "a web identity role",
    "custom-process": "a credential_process in ~/.aws/config",
    "container-role": "the container's role (CloudShell, ECS)",
    "iam-role": "the instance's role (EC2 metadata)",
    "login": "aws login",
}


def credential_source(run: Runbook) -> str:
    method = run.conn.credential_method
    where = CREDENTIAL_SOURCES.get(method, method or "unknown")
    return f"{where}, profile {run.params.profile}" if run.params.profile else where


def identity_html(run: Runbook) -> str:
    """Target, credential source, caller and account: the first things the person reads."""
    pre, p = run.pre, run.params
    if p.target == "sandbox":
        target = f"the sandbox (local, fictional account) at {pre.endpoint_url}"
    else:
        target = "real AWS" + (f" at {pre.endpoint_url}" if pre.endpoint_url else "")
    caller = f"{pre.caller_arn} ({'the root user' if pre.is_root else 'an IAM principal'})"
    account = pre.account_id + (f" (alias {pre.alias})" if pre.alias else "")
    rows = [("Target", target), ("Credentials", credential_source(run)), ("Caller", caller), ("Account", account)]
    cells = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f"<dl class='rb-identity-list'>{cells}</dl>"


class PreflightPanel(Panel):
    name = "preflight"
    intro = (
        "Where the runbook works, and who is calling. The sandbox is a rehearsal on a local, fictional "
        "account; an AWS account is reached through the standard credential chain (CloudShell, SSO, the "
        "environment, <code>~/.aws</code>) or a named profile. Preflight only reads, from STS and IAM. "
        "Fix any warning before you go on. Choose where the secrets go."
    )
    action = "Check again"

    STORES = (
        ("File (plain JSON, mode 0600)", "file"),
        ("KeePass database", "keepass"),
        ("pass", "pass"),
    )

    def build(self) -> list[Widget]:
        """The target first; then the report; where the secrets go, and a KeePass database's master password."""
        raw = self.wizard.raw
        self.target = choice(
            fields.RadioButtons(
                options=[
                    ("The sandbox: a rehearsal, nothing real is touched", "sandbox"),
                    ("An AWS account: the standard credential chain, or a profile", "aws"),
                ],
                value=raw.get("target", "sandbox"),
                description="Target",
            ),
            "rb-target",
        )
        self.profile = labelled(
            fields.Text(value=str(raw.get("profile", "")), placeholder="none: the default credential chain"),
            "rb-profile",
            "AWS profile (optional)",
        )
        self.identity = widgets.HTML()
        self.identity.add_class("rb-identity")
        for widget in (self.target, self.profile):
            widget.observe(lambda _: self.relabel(), names="value")
        self.inputs = [self.target, self.profile]
        self.store = widgets.VBox()  # where the secrets go: once there is a run to ask
        self.store.add_class("rb-store")
        run = self.wizard.current
        if run is not None:
            self.shown(run)
        elif self.wizard.failure is not None:
            self.status.value = failure_html(self.wizard.failure)
        self.relabel()
        return [self.target, self.profile, self.identity, self.store]

    def reads(self) -> list[Widget]:
        return [self.target, self.profile]  # the store's two buttons read theirs, through their own gates

    def chosen(self) -> tuple[str, str]:
        return str(self.target.value), str(self.profile.value).strip() if self.target.value == "aws" else ""

    def relabel(self) -> None:
        """The button says what it will do: check the same target again, or connect to another."""
        target, profile = self.chosen()
        self.profile.layout.display = "" if target == "aws" else "none"
        run = self.wizard.current
        if run is not None and (run.params.target, run.params.profile) == (target, profile):
            self.button.description = "Check again"
        elif run is None and self.wizard.failure is not None:
            self.button.description = "Try again"
        else:
            self.button.description = "Connect to AWS" if target == "aws" else "Connect to the sandbox"

    def edited(self) -> None:
        """Another target chosen after preflight: the steps after it wait until the button connects there."""
        super().edited()
        if self.status.value.startswith("<span class='rb-note'>Changed"):
            self.status.value = (
                f"<span class='rb-note'>Changed: press {html.escape(self.button.description)} "
                "to use what is shown.</span>"
            )

    def shown(self, run: Runbook) -> None:
        self.identity.value = identity_html(run)
        self.show(run.preflight())
        self.make_store(run)

    # --- the run: connect, or check again ------------------------------------------------------

    def act(self) -> None:
        target, profile = self.chosen()
        run = self.wizard.current
        if run is not None and (run.params.target, run.params.profile) == (target, profile):
            report = self.attempt("Reading the caller and the account…", run.recheck_preflight)
            if report is not None:
                self.identity.value = identity_html(run)
                self.show(report)
                if not run.store_locked:
                    self.wizard.complete(self.name)
            return
        where = "AWS" if target == "aws" else "the sandbox"
        started: list[Runbook] = []
        with self.working(f"Connecting to {where} and reading the caller and the account…"):
            started.append(start_run({**self.wizard.raw, "target": target, "profile": profile}))
        if started:
            self.wizard.restart(started[0])
            self.shown(started[0])
        else:  # the message is on the panel; nothing goes on with a target the person did not choose
            self.identity.value = ""
            self.result.value = ""
            self.store.children = ()
            self.wizard.stop(self.error or RuntimeError("the run did not start"))
        self.relabel()

    # --- where the secrets go -----------------------------------------------------------------

    def make_store(self, run: Runbook) -> None:
        """The store's controls, for this run: its kind, a KeePass database and key file, its master password."""
        for widget in self.store.children:
            close_tree(widget)
        self.kind = choice(
            fields.ToggleButtons(options=self.STORES, value=run.params.secrets_store, description="Secrets store"),
            "rb-secrets-store",
        )
        self.db = labelled(fields.Text(value=run.params.keepass_db), "rb-keepass-db", "KeePass database")
        self.keyfile = labelled(
            fields.Text(value=run.params.keepass_keyfile, placeholder="optional"), "rb-keepass-keyfile", "Key file"
        )
        self.use = fields.ActionButton(description="Use this store")
        self.use.add_class("rb-use-store")
        self.use.layout.width = "auto"
        self.use_gate = fields.Gate(self.use, [self.kind, self.db, self.keyfile])
        self.use_status = widgets.HTML()
        self.use_status.add_class("rb-use-store-status")
        self.use.on_click(lambda _: self.press(self.use_store, self.use_gate, lambda: True, self.use_status))
        self.kind.observe(lambda _: self.show_store(), names="value")
        self.master = labelled(fields.Password(placeholder="not shown, never saved"), "rb-master", "Master password")
        self.master_again = labelled(fields.Password(placeholder="the same again"), "rb-master-again", "Again")
        self.unlock = fields.ActionButton(description="Open the database", button_style="primary")
        self.unlock.add_class("rb-unlock")
        self.unlock.layout.width = "auto"
        self.unlock_gate = fields.Gate(self.unlock, [self.master, self.master_again])
        self.unlock.on_click(lambda _: self.press_unlock())
        self.unlock_status = widgets.HTML()
        self.unlock_status.add_class("rb-unlock-status")
        self.locked = widgets.VBox(
            [
                widgets.HTML(
                    "The secrets go into a KeePass database: type its master password "
                    "(it is used here, never saved or shown)."
                ),
                self.master,
                self.master_again,
                widgets.HBox([self.unlock, self.unlock_status]),
            ]
        )
        self.locked.add_class("rb-store-locked")
        self.store.children = (
            self.kind, self.db, self.keyfile, widgets.HBox([self.use, self.use_status]), self.locked,
        )  # fmt: skip
        self.inputs = [self.target, self.profile, self.kind, self.db, self.keyfile, self.use, self.master,
                       self.master_again, self.unlock]  # fmt: skip
        for field, button in ((self.db, self.use), (self.keyfile, self.use), (self.master, self.unlock),
                              (self.master_again, self.unlock)):  # fmt: skip
            self.submits(field, button)  # Enter in a store field presses that field's own button
        self.show_store()
        self.sync()

    def show_store(self) -> None:
        run = self.run
        keepass = "" if self.kind.value == "keepass" else "none"
        self.db.layout.display = self.keyfile.layout.display = keepass
        self.locked.layout.display = "" if run.store_locked else "none"
        self.master_again.layout.display = "" if run.store_creating else "none"

    def use_store(self) -> None:
        """Open and check the chosen store; nothing is written, and the steps after preflight are checked again."""
        kind, db, keyfile = self.kind.value, self.db.value, self.keyfile.value
        report = self.attempt(
            "Checking the secrets store…", lambda: self.run.choose_store(kind, db, keyfile), self.use_status
        )
        if report is not None:
            self.show(report)
            self.after_store()

    def press_unlock(self) -> None:
        self.press(self.open_store, self.unlock_gate, lambda: self.run.store_locked, self.unlock_status)

    def open_store(self) -> None:
        password, again = self.master.value, self.master_again.value
        self.master.value = ""  # a secret: never left in the saved widget state
        self.master_again.value = ""
        report = self.attempt(
            "Opening the KeePass database…", lambda: self.run.unlock_store(password, again), self.unlock_status
        )
        if report is not None:
            self.show(report)
            self.after_store()

    def after_store(self) -> None:
        """Preflight is done once the store can take the secrets; until then nothing after it can run."""
        self.show_store()
        if self.run.store_locked:
            self.wizard.reopen(self.name)
        else:
            self.wizard.complete(self.name)
