"""The panels before anything is written: preflight, the user, console access and permissions.

Each reads its fields when its button is clicked and hands them to one method of the procedure,
which holds every rule; a panel only shows what the procedure answers.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .. import policies
from ..errors import RunbookError
from ..passwords import CIS_POLICY
from . import fields
from .frame import Panel, Widget, choice, error_html, labelled, unexpected_html

SEARCH_ROWS = 10  # policy search results shown at once, as the console pages them


# --- 0 preflight -------------------------------------------------------------------------------------


class PreflightPanel(Panel):
    name = "preflight"
    intro = (
        "Who is calling, in which account, and whether root is safe: read from STS and IAM, "
        "nothing is written. Fix any warning before you go on. Choose where the secrets go."
    )
    action = "Check again"

    STORES = (
        ("File (plain JSON, mode 0600)", "file"),
        ("KeePass database", "keepass"),
        ("pass", "pass"),
    )

    def build(self) -> list[Widget]:
        """The report; where the secrets go; and, while a KeePass database waits for it, its master password."""
        run = self.run
        self.show(run.preflight())
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
        self.store = widgets.VBox(
            [self.kind, self.db, self.keyfile, widgets.HBox([self.use, self.use_status]), self.locked]
        )
        self.store.add_class("rb-store")
        self.inputs = [self.kind, self.db, self.keyfile, self.use, self.master, self.master_again, self.unlock]
        self.show_store()
        return [self.store]

    def reads(self) -> list[Widget]:
        return []  # Check again reads no field; the store's two buttons read theirs, through their own gates

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

    def act(self) -> None:
        report = self.attempt("Reading the caller and the account…", self.run.recheck_preflight)
        if report is not None:
            self.show(report)
            if not self.run.store_locked:
                self.wizard.complete(self.name)


# --- 1 user --------------------------------------------------------------------------------------


class UserPanel(Panel):
    name = "user"
    intro = (
        "The IAM user to create: 1-64 letters, digits and <code>+ = , . @ _ -</code>. The runbook reads "
        "IAM first and leaves alone a user of that name that it did not create."
    )
    action = "Check name"

    def build(self) -> list[Widget]:
        self.user_name = labelled(fields.Text(value=self.run.params.user_name), "rb-user-name", "User name")
        self.inputs = [self.user_name]
        return [self.user_name]

    def act(self) -> None:
        name = self.user_name.value.strip()
        self.do("Reading IAM…", lambda: self.run.choose_user(name))


# --- 2 console access ----------------------------------------------------------------------------


class ConsolePanel(Panel):
    name = "console"
    intro = (
        "A console password, as the console offers it: autogenerated (a random one that meets the "
        "account's password policy), or custom, checked here rule by rule as you type."
    )
    action = "Use this password"

    def build(self) -> list[Widget]:
        chosen, p = self.run.console, self.run.params
        self.access = choice(
            fields.Checkbox(
                value=chosen.access, description="Provide access to the AWS Management Console", indent=False
            ),
            "rb-console-access",
        )
        self.kept = widgets.HTML()
        self.kept.add_class("rb-password-kept")
        self.replace = choice(
            fields.Checkbox(
                value=chosen.replace,
                description="Replace it with a new password (UpdateLoginProfile, shown in the review)",
                indent=False,
            ),
            "rb-replace-password",
        )
        self.mode = choice(
            fields.ToggleButtons(
                options=[("Autogenerated password", "generated"), ("Custom password", "custom")],
                value=chosen.mode,
            ),
            "rb-password-mode",
        )
        self.password = labelled(fields.Password(placeholder="Password"), "rb-password", "Custom password")
        self.confirm = labelled(fields.Password(placeholder="Type it again"), "rb-confirm", "Confirm password")
        self.rules = widgets.HTML()
        self.rules.add_class("rb-rules-box")
        self.reset = choice(
            fields.Checkbox(
                value=chosen.reset_required,
                description="User must create a new password at next sign-in",
                indent=False,
            ),
            "rb-reset-required",
        )
        self.policy = choice(
            fields.Checkbox(
                value=p.password_policy == "cis",
                description=f"Set the account's password policy to CIS values ({CIS_POLICY.describe()})",
                indent=False,
            ),
            "rb-password-policy",
        )
        self.custom = widgets.VBox([self.password, self.confirm, self.rules])
        self.new = widgets.VBox([self.mode, self.custom, self.reset])
        self.existing = widgets.VBox([self.kept, self.replace])
        self.options = widgets.VBox([self.existing, self.new])
        for widget in (self.access, self.replace, self.mode, self.password, self.confirm, self.policy):
            widget.observe(lambda _: self.live(), names="value")
        self.inputs = [self.access, self.replace, self.mode, self.password, self.confirm, self.reset, self.policy]
        self.live()
        return [self.access, self.options, self.policy]

    def has_password(self) -> bool:
        """The user already has a console password (known once step 1 has read the user)."""
        return self.run.observed is not None and self.run.has_password

    def on_turn(self) -> None:
        self.live()  # step 1 has just read the user: it may have a password to keep

    def policy_choice(self) -> str:
        return "cis" if self.policy.value else "keep"

    def live(self) -> None:
        """Every rule, passing or failing, on each keystroke (the values are never shown)."""
        has = self.has_password()
        setting = not has or bool(self.replace.value)
        self.options.layout.display = "" if self.access.value else "none"
        self.existing.layout.display = "" if has else "none"
        self.new.layout.display = "" if setting else "none"
        self.custom.layout.display = "" if self.mode.value == "custom" else "none"
        if has:
            user = html.escape(self.run.params.user_name)
            self.kept.value = f"<b>{user} already has a console password.</b> " + (
                "It will be replaced by the one chosen below." if setting else "It is kept as it is."
            )
        typed, again = self.password.value, self.confirm.value
        if not typed:
            self.rules.value = (
                "<i>A custom password was accepted; type a new one to change it.</i>"
                if self.run.custom_password_accepted
                else "<i>Type a password to see each rule of the password policy.</i>"
            )
        else:
            results = self.run.password_rules(typed, again, self.policy_choice())
            items = "".join(
                f"<li data-ok='{'true' if r.ok else 'false'}'>{'✓' if r.ok else '✗'} {html.escape(r.rule)}</li>"
                for r in results
            )
            self.rules.value = f"<ul class='rb-rules'>{items}</ul>"
        self.sync()

    def can_act(self) -> bool:
        return self.run.console_ready(
            bool(self.access.value),
            self.mode.value,
            self.password.value,
            self.confirm.value,
            bool(self.replace.value),
            self.policy_choice(),
        )

    def not_ready(self) -> str:
        if self.has_password() and not self.replace.value:
            return "The existing password is kept: clear the password fields, or tick Replace it."
        return "Type a password that meets every rule, the same in both fields."

    def act(self) -> None:
        access, mode, reset = bool(self.access.value), self.mode.value, bool(self.reset.value)
        replace_password, policy = bool(self.replace.value), self.policy_choice()
        typed, again = self.password.value, self.confirm.value
        self.password.value = ""  # used once: out of the widget (and its saved state) before anything else
        self.confirm.value = ""
        self.do(
            "Checking the password against the policy…",
            lambda: self.run.console_access(
                access,
                mode,
                reset,
                typed or None,
                again if typed else None,
                replace_password=replace_password,
                password_policy=policy,
            ),
        )
        self.live()


# --- 3 permissions -----------------------------------------------------------------------------------


class PermissionsPanel(Panel):
    name = "permissions"
    intro = (
        "The managed policies the user gets. Search AWS managed policies by name, as in the console; "
        "<code>AdministratorAccess</code> and <code>Billing</code> are selected."
    )
    action = "Use these permissions"

    def build(self) -> list[Widget]:
        run, p = self.run, self.run.params
        self.selected: list[policies.PolicyRef] = []
        self.shown: list[policies.PolicyRef] = []
        self.grant = choice(
            fields.RadioButtons(
                options=[("Attach policies directly to the user", "user"), ("Add the user to a group", "group")],
                value=p.grant_via,
            ),
            "rb-grant-via",
        )
        self.group = labelled(fields.Text(value=p.group_name), "rb-group-name", "Group name")
        self.search = labelled(
            widgets.Text(placeholder="Filter policies by name, e.g. Billing", continuous_update=True),
            "rb-policy-search",
            "Search",
        )
        self.count = widgets.HTML()
        self.count.add_class("rb-policy-count")
        self.rows = [fields.Checkbox(indent=False, layout=widgets.Layout(width="auto")) for _ in range(SEARCH_ROWS)]
        for i, row in enumerate(self.rows):
            row.add_class("rb-policy-row")
            row.observe(self.on_tick(i), names="value")
        self.chosen = widgets.HTML()
        self.chosen.add_class("rb-policies-selected")
        self.grant.observe(lambda _: self.sync_group(), names="value")
        self.search.observe(lambda _: self.filter(), names="value")
        self.inputs = [self.grant, self.group, self.search, *self.rows]
        try:
            self.selected = policies.resolve(run.policy_catalogue(), p.policies)
        except RunbookError as exc:
            self.status.value = error_html(exc)
        except Exception as exc:  # e.g. AccessDenied on ListPolicies: say so in the panel
            self.status.value = unexpected_html(exc)
        self.sync_group()
        self.filter()
        return [self.grant, self.group, self.search, self.count, *self.rows, self.chosen]

    def sync_group(self) -> None:
        self.group.layout.display = "" if self.grant.value == "group" else "none"

    def filter(self) -> None:
        """The first rows matching the search (the selection when the box is empty)."""
        catalogue = self.run.catalogue or []
        text = self.search.value.strip()
        hits = policies.search(catalogue, text) if text else list(self.selected)
        self.shown = hits[:SEARCH_ROWS]
        self.quiet = True  # the search shows other rows: not a change of the selection
        for i, row in enumerate(self.rows):
            row.layout.display = "" if i < len(self.shown) else "none"
            if i < len(self.shown):
                ref = self.shown[i]
                row.description = ref.name
                row.tooltip = ref.arn
                row.value = ref in self.selected
        self.quiet = False
        if text:
            more = f", showing the first {SEARCH_ROWS}" if len(hits) > SEARCH_ROWS else ""
            self.count.value = f"{len(hits)} of {len(catalogue)} AWS managed policies match{more}."
        else:
            self.count.value = f"Type to search the {len(catalogue)} AWS managed policies. Selected:"
        self.show_selection()

    def on_tick(self, row: int) -> Callable[[dict[str, Any]], None]:
        return lambda change: self.ticked(row, bool(change["new"]))

    def ticked(self, row: int, on: bool) -> None:
        if self.quiet or row >= len(self.shown):
            return
        ref = self.shown[row]
        if on and ref not in self.selected:
            self.selected.append(ref)
        elif not on and ref in self.selected:
            self.selected.remove(ref)
        self.show_selection()

    def show_selection(self) -> None:
        names = ", ".join(f"<code>{html.escape(p.name)}</code>" for p in self.selected) or "none"
        self.chosen.value = f"<b>Selected ({len(self.selected)}):</b> {names}"
        self.sync()

    def can_act(self) -> bool:
        return bool(self.selected)

    def not_ready(self) -> str:
        return "Select at least one policy."

    def act(self) -> None:
        arns, grant, group = [p.arn for p in self.selected], self.grant.value, self.group.value.strip()
        self.do("Resolving the policies…", lambda: self.run.choose_permissions(arns, grant, group))
