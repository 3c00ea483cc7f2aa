"""The interactive runbook: one ipywidgets panel per notebook section, which Voila serves as a wizard.

Each panel says what its step will do, takes the step's inputs, has one button that does it, and
shows the result. A tracker at the top of every panel shows which steps are done. A panel stays
disabled until the steps before it are done, and building a panel never writes to IAM: every
write happens in a click handler, the first of them behind the review panel's Create button.

Secrets. A widget's value travels to the kernel and is saved with the widget state, so every
widget that holds a secret (the password fields, the reveal-once fields, the QR image, the seed,
the MFA codes) is emptied as soon as the secret has been used or dismissed, and no secret is ever
written into an HTML widget or a cell's output. The secrets file (mode 0600) keeps the copy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import io
import re
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import codecommit, mfa, passwords, policies
from .errors import InputError, RunbookError
from .identity import run_preflight
from .params import check_name
from .report import Report
from .runbook import SECTIONS
from .secrets import REDACTOR

if TYPE_CHECKING:
    from .runbook import Runbook

Widget = Any  # ipywidgets ships no type information

ORDER = ("preflight", "user", "console", "permissions", "review", "create", "mfa", "codecommit", "summary", "verify")
BEFORE_CREATE = ORDER[: ORDER.index("create")]
LABELS = {
    "preflight": "Preflight",
    "user": "User",
    "console": "Console access",
    "permissions": "Permissions",
    "review": "Review",
    "create": "Create",
    "mfa": "MFA",
    "codecommit": "CodeCommit",
    "summary": "Summary",
    "verify": "Verify",
}
SEARCH_ROWS = 10  # policy search results shown at once, as the console pages them

STYLE = """<style>
.rb-panel { border: 1px solid #d5dbdb; border-radius: 6px; padding: 6px 12px 10px; margin: 4px 0; }
.rb-panel.rb-waiting { opacity: 0.55; }
.rb-panel h3 { margin: 6px 0 2px; }
.rb-steps { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; padding: 0; margin: 2px 0; }
.rb-steps li { padding: 1px 9px; border-radius: 10px; font-size: 12px; background: #eaeded; color: #545b64; }
.rb-steps li[data-state="done"] { background: #e9f5ec; color: #1d8102; }
.rb-steps li[data-state="current"] { background: #0073bb; color: #fff; font-weight: 600; }
.rb-spin { display: inline-block; width: 11px; height: 11px; margin-right: 6px; vertical-align: -1px;
  border: 2px solid #d5dbdb; border-top-color: #0073bb; border-radius: 50%; animation: rb-spin .8s linear infinite; }
@keyframes rb-spin { to { transform: rotate(360deg); } }
.rb-error { color: #d13212; }
.rb-banner { background: #e9f5ec; border-left: 4px solid #1d8102; padding: 4px 8px; }
.rb-rules { list-style: none; padding-left: 4px; margin: 2px 0; }
.rb-rules li[data-ok="true"] { color: #1d8102; }
.rb-rules li[data-ok="false"] { color: #d13212; }
.rb-reveal { border: 1px dashed #ec7211; border-radius: 4px; padding: 4px 8px; margin: 4px 0; }
.runbook-report table { border-collapse: collapse; margin: 4px 0; }
.runbook-report td, .runbook-report th { border-bottom: 1px solid #eaeded; padding: 2px 8px; text-align: left; }
</style>"""

SPINNER = "<span class='rb-spin'></span>"

# A copy button must run in the browser (the kernel has no clipboard): it copies the value of the
# reveal's password field, so the secret never appears in this HTML or its saved state.
# The clipboard API exists only on secure origins (https, or localhost as here).
COPY_BUTTON = (
    "<button type='button' class='rb-copy jupyter-button widget-button' title='Copy to the clipboard' "
    "onclick=\"const box = this.closest('.rb-reveal'); const field = box && box.querySelector('.rb-secret input');"
    " const failed = () => { this.textContent = 'Copy failed: show it and copy by hand'; };"
    " if (!field || !navigator.clipboard) { failed(); return; }"
    " navigator.clipboard.writeText(field.value).then(() => { this.textContent = 'Copied'; }, failed);"
    '">Copy</button>'
)


def panel(run: Runbook, name: str) -> Widget:
    """The panel of section `name` for this run (the same widget if the cell runs again)."""
    if name not in ORDER:
        raise ValueError(f"No panel for section {name!r}; the panels are: {', '.join(ORDER)}.")
    return wizard_for(run).panel(name)


# --- the wizard: shared state and the step tracker -------------------------------------------------

_WIZARDS: dict[int, Wizard] = {}


def wizard_for(run: Runbook) -> Wizard:
    """One wizard per run: a new `rb.start()` in the notebook starts the panels afresh."""
    wizard = _WIZARDS.get(id(run))
    if wizard is None or wizard.run is not run:
        wizard = Wizard(run)
        _WIZARDS[id(run)] = wizard
        weakref.finalize(run, _WIZARDS.pop, id(run), None)
    return wizard


class Wizard:
    """What the panels share: which steps are done, secrets waiting for a reveal, and the tracker."""

    def __init__(self, run: Runbook) -> None:
        self._run = weakref.ref(run)
        self.done: set[str] = {"preflight"}  # rb.start ran preflight before any panel exists
        self.panels: dict[str, Panel] = {}
        self.tracker = widgets.HTML()
        self.tracker.add_class("rb-tracker")
        self.inbox: dict[str, str] = {}
        self.results: dict[str, Report | None] = {}
        run.on_reveal = self._receive

    @property
    def run(self) -> Runbook:
        run = self._run()
        if run is None:  # pragma: no cover - the notebook's `run` holds it while panels exist
            raise RuntimeError("This run has ended; run the notebook's cells again.")
        return run

    def _receive(self, key: str, value: str) -> None:
        """Runbook's reveal callback: keep the secret for the panel that shows it, once."""
        self.inbox[key] = value
        self.run.reveal.pop(key, None)

    def take(self, key: str) -> str | None:
        return self.inbox.pop(key, None)

    def panel(self, name: str) -> Widget:
        if name not in self.panels:
            self.panels[name] = PANELS[name](self)
            self.refresh()
        return self.panels[name].box

    # --- step states --------------------------------------------------------------------------

    def ready(self, name: str) -> bool:
        """Every step before this one is done."""
        return all(s in self.done for s in ORDER[: ORDER.index(name)])

    def settled(self, name: str) -> bool:
        """Done and no longer changeable: everything up to Create once it ran, and MFA and Git once made."""
        if name not in self.done or name in ("summary", "verify"):
            return False
        return name in ("create", "mfa", "codecommit") or "create" in self.done

    def state(self, name: str) -> str:
        if name in self.done:
            return "done"
        return "current" if self.ready(name) else "waiting"

    def complete(self, name: str) -> None:
        """Mark a step done; changing a step before Create means the later ones are done again."""
        self.done.add(name)
        if name in BEFORE_CREATE:
            self.done.difference_update(BEFORE_CREATE[BEFORE_CREATE.index(name) + 1 :])
        self.refresh()

    def reopen(self, name: str) -> None:
        """A step before Create failed its check: it, and the steps after it, are to do again."""
        if name in BEFORE_CREATE and "create" not in self.done:
            self.done.difference_update(BEFORE_CREATE[BEFORE_CREATE.index(name) :])
            self.refresh()

    def refresh(self) -> None:
        """Redraw the tracker and enable exactly the panels whose turn it is (or was)."""
        items = "".join(
            f"<li data-step='{n}' data-state='{self.state(n)}'>"
            f"{'✓ ' if n in self.done else ''}{ORDER.index(n)} {html.escape(LABELS[n])}</li>"
            for n in ORDER
        )
        self.tracker.value = f"{STYLE}<ol class='rb-steps' aria-label='Steps'>{items}</ol>"
        for name in ORDER:
            if name in self.panels:
                self.panels[name].sync()
        for name in ORDER:  # a step that needs no click (a skip, the plan, the summary) does itself
            p = self.panels.get(name)
            if p is not None and self.state(name) == "current" and not p.busy:
                p.turn()


# --- the panel frame ---------------------------------------------------------------------------------


class Panel:
    """One section: a title, what it does, its inputs, one button, a status line and the result."""

    name = ""
    intro = ""
    action = ""
    result_first = False  # the review shows its table before its button

    def __init__(self, wizard: Wizard) -> None:
        self.wizard = wizard
        self.busy = False
        self.turned = False  # on_turn ran for the step's current turn
        self.title = widgets.HTML(f"<h3>{html.escape(SECTIONS[self.name])}</h3><p>{self.intro}</p>")
        self.button = widgets.Button(description=self.action, button_style="primary")
        self.button.add_class("rb-action")
        self.button.on_click(lambda _: self.act())
        self.status = widgets.HTML()
        self.status.add_class("rb-status")
        self.result = widgets.HTML()
        self.result.add_class("rb-result")
        self.inputs: list[Widget] = []  # disabled with the panel
        self.button.layout.width = "auto"
        self.button.layout.min_width = "12em"
        self.body = widgets.VBox()
        self.outputs = widgets.VBox()  # what the button produces: a reveal, a QR code, a form
        row = widgets.HBox([self.button, self.status] if self.action else [self.status])
        self.box = widgets.VBox(
            [wizard.tracker, self.title, self.body, self.result, row, self.outputs]
            if self.result_first
            else [wizard.tracker, self.title, self.body, row, self.outputs, self.result]
        )
        self.box.add_class("rb-panel")
        self.box.add_class(f"rb-panel-{self.name}")
        self.body.children = tuple(self.build())

    @property
    def run(self) -> Runbook:
        return self.wizard.run

    # --- for each step to fill in -------------------------------------------------------------

    def build(self) -> list[Widget]:
        """The step's inputs."""
        return []

    def act(self) -> None:
        """The button."""

    def on_turn(self) -> None:
        """Called once when the step becomes current: work that needs no click and writes nothing."""

    def can_act(self) -> bool:
        """Whether the button may be clicked now, beyond it being this step's turn."""
        return True

    # --- shared behaviour ---------------------------------------------------------------------

    @property
    def open(self) -> bool:
        w = self.wizard
        return w.ready(self.name) and not w.settled(self.name)

    def sync(self) -> None:
        """Enable or disable the inputs and the button, and say why the panel waits."""
        open_ = self.open and not self.busy
        for widget in self.inputs:
            widget.disabled = not open_
        self.button.disabled = not (open_ and self.can_act())
        if self.wizard.state(self.name) != "current":
            self.turned = False
        if self.wizard.ready(self.name):
            self.box.remove_class("rb-waiting")
            if self.status.value.startswith("<span class='rb-wait'>"):
                self.status.value = ""
        else:
            self.box.add_class("rb-waiting")
            first = next(n for n in ORDER if n not in self.wizard.done)
            self.status.value = (
                f"<span class='rb-wait'>Waiting for step {html.escape(SECTIONS[first])} to be done.</span>"
            )

    def turn(self) -> None:
        if not self.turned:
            self.turned = True
            self.on_turn()

    @contextlib.contextmanager
    def working(self, what: str, status: Widget | None = None) -> Iterator[None]:
        """A spinner and a disabled panel while a step runs; the runbook's step lines stay in the log."""
        line = self.status if status is None else status
        self.busy = True
        self.sync()
        line.value = f"{SPINNER}{html.escape(what)}"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
            line.value = ""
        except RunbookError as exc:
            line.value = error_html(exc)
        except Exception as exc:  # an unexpected failure still tells the person what happened
            line.value = unexpected_html(exc)
        finally:
            self.busy = False
            self.sync()

    def attempt(self, what: str, work: Callable[[], Report], status: Widget | None = None) -> Report | None:
        """Run `work` under `working`: its report, or None when it failed (the error is on the page)."""
        report = None
        with self.working(what, status):
            report = work()
        return report

    def do(self, what: str, work: Callable[[], Report]) -> None:
        """The usual step: run it, show its report and mark it done; a failed check opens it again."""
        report = self.attempt(what, work)
        if report is None:
            self.wizard.reopen(self.name)
        else:
            self.show(report)
            self.wizard.complete(self.name)

    def show(self, report: Report) -> None:
        self.result.value = report._repr_html_()


def error_html(exc: RunbookError) -> str:
    """A runbook error as the person needs it: what went wrong, and the fix."""
    text = f"<div class='rb-error'><b>{html.escape(REDACTOR.redact(exc.message))}</b>"
    if exc.fix:
        text += f"<br>Fix: {html.escape(REDACTOR.redact(exc.fix))}"
    return text + "</div>"


def unexpected_html(exc: Exception) -> str:
    name, text = html.escape(type(exc).__name__), html.escape(REDACTOR.redact(str(exc)))
    return f"<div class='rb-error'><b>Unexpected error:</b> {name}: {text}</div>"


def banner(text: str) -> str:
    return f"<div class='rb-banner'>✓ {html.escape(text)}</div>"


def labelled(widget: Widget, css: str, description: str = "") -> Widget:
    """A labelled input with a class the tests and the stylesheet can find."""
    widget.add_class(css)
    if description:
        widget.description = description
        widget.style.description_width = "14em"
    widget.layout.width = "36em"
    return widget


def choice(widget: Widget, css: str) -> Widget:
    """A checkbox or toggle whose whole label shows (ipywidgets cuts labels short by default)."""
    widget.add_class(css)
    widget.layout.width = "auto"
    if isinstance(widget, widgets.ToggleButtons):
        widget.style.button_width = "auto"
    return widget


class Reveal:
    """A secret shown once: hidden until asked, copyable, and emptied when the person dismisses it."""

    def __init__(self, key: str, label: str, secret: str, after: str) -> None:
        self.after = after
        self.hidden = labelled(widgets.Password(value=secret, disabled=True), "rb-secret", label)
        self.shown = labelled(widgets.Text(value="", disabled=True), "rb-shown", label)
        self.shown.layout.display = "none"
        self.toggle = widgets.ToggleButton(description="Show", tooltip="Show or hide the value")
        self.toggle.add_class("rb-toggle")
        self.toggle.observe(self._toggled, names="value")
        self.copy = widgets.HTML(COPY_BUTTON)
        self.dismiss = widgets.Button(description="I have saved it", button_style="warning")
        self.dismiss.add_class("rb-dismiss")
        self.dismiss.on_click(lambda _: self.close())
        self.note = widgets.HTML(
            "<b>Shown once.</b> Save it in your password manager now; after you dismiss it, "
            "it is gone from this page (a copy stays in the secrets file)."
        )
        self.box = widgets.VBox(
            [self.note, widgets.HBox([self.hidden, self.shown, self.toggle, self.copy]), self.dismiss]
        )
        self.box.add_class("rb-reveal")
        self.box.add_class(f"rb-reveal-{key}")

    def _toggled(self, change: dict[str, Any]) -> None:
        show = bool(change["new"])
        self.shown.value = self.hidden.value if show else ""
        self.shown.layout.display = "" if show else "none"
        self.hidden.layout.display = "none" if show else ""
        self.toggle.description = "Hide" if show else "Show"

    def close(self) -> None:
        """Empty every widget that held the secret, then say where the copy is."""
        self.hidden.value = ""
        self.shown.value = ""
        self.box.children = (widgets.HTML(f"<i>{html.escape(self.after)}</i>"),)
        for widget in (self.hidden, self.shown, self.toggle, self.copy, self.dismiss, self.note):
            widget.close()


# --- 0 preflight -------------------------------------------------------------------------------------


class PreflightPanel(Panel):
    name = "preflight"
    intro = (
        "Who is calling, in which account, and whether root is safe: read from STS and IAM, "
        "nothing is written. Fix any warning before you go on."
    )
    action = "Check again"

    def build(self) -> list[Widget]:
        self.show(self.run.preflight_report())
        return []

    def act(self) -> None:
        run = self.run

        def work() -> Report:
            run.pre = run_preflight(run.conn)
            return run.preflight_report()

        self.do("Reading the caller and the account…", work)


# --- 1 user --------------------------------------------------------------------------------------


class UserPanel(Panel):
    name = "user"
    intro = (
        "The IAM user to create: 1-64 letters, digits and <code>+ = , . @ _ -</code>. The runbook reads "
        "IAM first and leaves alone a user of that name that it did not create."
    )
    action = "Check name"

    def build(self) -> list[Widget]:
        self.user_name = labelled(widgets.Text(value=self.run.params.user_name), "rb-user-name", "User name")
        self.inputs = [self.user_name]
        return [self.user_name]

    def act(self) -> None:
        run = self.run

        def work() -> Report:
            name = check_name(self.user_name.value.strip(), "user_name")
            if name != run.params.user_name:
                run.params = dataclasses.replace(run.params, user_name=name)
                run.desired = None
            return run.check_user()

        self.do("Reading IAM…", work)


# --- 2 console access ----------------------------------------------------------------------------


class ConsolePanel(Panel):
    name = "console"
    intro = (
        "A console password, as the console offers it: autogenerated (a random one that meets the "
        "account's password policy), or custom, checked here rule by rule as you type."
    )
    action = "Use this password"

    def build(self) -> list[Widget]:
        p = self.run.params
        self.access = choice(
            widgets.Checkbox(
                value=p.console_access, description="Provide access to the AWS Management Console", indent=False
            ),
            "rb-console-access",
        )
        self.mode = choice(
            widgets.ToggleButtons(
                options=[("Autogenerated password", "generated"), ("Custom password", "custom")],
                value="custom" if p.password_mode == "custom" else "generated",
            ),
            "rb-password-mode",
        )
        self.password = labelled(widgets.Password(placeholder="Password"), "rb-password", "Custom password")
        self.confirm = labelled(widgets.Password(placeholder="Type it again"), "rb-confirm", "Confirm password")
        self.rules = widgets.HTML()
        self.rules.add_class("rb-rules-box")
        self.reset = choice(
            widgets.Checkbox(
                value=p.password_reset_required,
                description="User must create a new password at next sign-in",
                indent=False,
            ),
            "rb-reset-required",
        )
        self.custom = widgets.VBox([self.password, self.confirm, self.rules])
        self.options = widgets.VBox([self.mode, self.custom, self.reset])
        for widget in (self.access, self.mode, self.password, self.confirm):
            widget.observe(lambda _: self.live(), names="value")
        self.inputs = [self.access, self.mode, self.password, self.confirm, self.reset]
        self.live()
        return [self.access, self.options]

    def live(self) -> None:
        """Every rule, passing or failing, on each keystroke (the values are never shown)."""
        self.options.layout.display = "" if self.access.value else "none"
        self.custom.layout.display = "" if self.mode.value == "custom" else "none"
        typed, again = self.password.value, self.confirm.value
        if not typed:
            accepted = self.run.password is not None and self.run.params.password_mode == "custom"
            self.rules.value = (
                "<i>A custom password was accepted; type a new one to change it.</i>"
                if accepted
                else "<i>Type a password to see each rule of the password policy.</i>"
            )
        else:
            results = passwords.check(typed, self.run.effective_policy, self.user())
            results.append(passwords.RuleResult("both fields match", bool(again) and again == typed))
            items = "".join(
                f"<li data-ok='{'true' if r.ok else 'false'}'>{'✓' if r.ok else '✗'} {html.escape(r.rule)}</li>"
                for r in results
            )
            self.rules.value = f"<ul class='rb-rules'>{items}</ul>"
        self.sync()

    def user(self) -> str:
        return self.run.params.user_name

    def can_act(self) -> bool:
        if not self.access.value or self.mode.value == "generated":
            return True
        typed, again = self.password.value, self.confirm.value
        if not typed:
            return self.run.password is not None and not again  # keep the accepted password
        return again == typed and not passwords.failures(typed, self.run.effective_policy, self.user())

    def act(self) -> None:
        run = self.run
        typed, again = self.password.value, self.confirm.value
        self.password.value = ""  # used once: out of the widget (and its saved state) before anything else
        self.confirm.value = ""

        def work() -> Report:
            mode = self.mode.value
            keep = mode == "custom" and run.params.password_mode == "custom" and run.password is not None
            run.params = dataclasses.replace(
                run.params,
                console_access=bool(self.access.value),
                password_mode=mode,
                password_reset_required=bool(self.reset.value),
            )
            if mode == "generated" or not keep:
                run.password = None
            if self.access.value and mode == "custom" and typed:
                try:
                    return run.check_password(typed, again)
                except RunbookError:
                    run.password = None  # a refused password is not kept
                    raise
            if self.access.value and mode == "custom" and run.password is None:
                raise InputError(
                    "Custom password is chosen, but no password was typed.",
                    parameter="password",
                    fix="Type the password in both fields, or choose Autogenerated password.",
                )
            return run.check_password()

        self.do("Checking the password against the policy…", work)
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
        self.filling = False
        self.grant = choice(
            widgets.RadioButtons(
                options=[("Attach policies directly to the user", "user"), ("Add the user to a group", "group")],
                value=p.grant_via,
            ),
            "rb-grant-via",
        )
        self.group = labelled(widgets.Text(value=p.group_name), "rb-group-name", "Group name")
        self.search = labelled(
            widgets.Text(placeholder="Filter policies by name, e.g. Billing", continuous_update=True),
            "rb-policy-search",
            "Search",
        )
        self.count = widgets.HTML()
        self.count.add_class("rb-policy-count")
        self.rows = [widgets.Checkbox(indent=False, layout=widgets.Layout(width="auto")) for _ in range(SEARCH_ROWS)]
        for i, row in enumerate(self.rows):
            row.add_class("rb-policy-row")
            row.observe(self.on_tick(i), names="value")
        self.chosen = widgets.HTML()
        self.chosen.add_class("rb-policies-selected")
        self.grant.observe(lambda _: self.sync_group(), names="value")
        self.search.observe(lambda _: self.filter(), names="value")
        self.inputs = [self.grant, self.group, self.search, *self.rows]
        try:
            if run.catalogue is None:
                run.catalogue = policies.list_aws_managed(run.conn.iam)
            self.selected = policies.resolve(run.catalogue, p.policies)
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
        self.filling = True
        for i, row in enumerate(self.rows):
            row.layout.display = "" if i < len(self.shown) else "none"
            if i < len(self.shown):
                ref = self.shown[i]
                row.description = ref.name
                row.tooltip = ref.arn
                row.value = ref in self.selected
        self.filling = False
        if text:
            more = f", showing the first {SEARCH_ROWS}" if len(hits) > SEARCH_ROWS else ""
            self.count.value = f"{len(hits)} of {len(catalogue)} AWS managed policies match{more}."
        else:
            self.count.value = f"Type to search the {len(catalogue)} AWS managed policies. Selected:"
        self.show_selection()

    def on_tick(self, row: int) -> Callable[[dict[str, Any]], None]:
        return lambda change: self.ticked(row, bool(change["new"]))

    def ticked(self, row: int, on: bool) -> None:
        if self.filling or row >= len(self.shown):
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

    def act(self) -> None:
        run = self.run

        def work() -> Report:
            group = check_name(self.group.value.strip(), "group_name")
            run.params = dataclasses.replace(
                run.params, policies=[p.arn for p in self.selected], grant_via=self.grant.value, group_name=group
            )
            return run.resolve_policies()

        self.do("Resolving the policies…", work)


# --- 4 review --------------------------------------------------------------------------------------


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
        self.confirm = labelled(widgets.Text(placeholder=account), "rb-confirm-account", "Type the account id")
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
        run = self.run
        self.planned = False
        self.result.value = ""

        def work() -> Report:
            run.check_user()
            return run.review()

        plan = self.attempt("Reading IAM and planning…", work)
        if plan is not None:
            self.show(plan)
            self.planned = True
        self.button.description = "Create" if self.planned else "Plan again"
        self.sync()

    def can_act(self) -> bool:
        if not self.planned:
            return True  # "Plan again", after a failed plan
        return self.run.params.target != "aws" or self.confirm.value.strip() == self.run.pre.account_id

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
            path = run.secrets.path if run.secrets else "the secrets file"
            self.reveal = Reveal(
                "console_password",
                "Console password",
                secret,
                f"Dismissed: the password is no longer on this page. A copy is in {path} (mode 0600).",
            )
            self.reveal_box.children = (
                widgets.HTML(f"Sign in at <code>{html.escape(run.pre.signin_url)}</code> as "
                             f"<code>{html.escape(run.params.user_name)}</code> with:"),
                self.reveal.box,
            )  # fmt: skip


# --- 6 MFA -----------------------------------------------------------------------------------------


class MfaPanel(Panel):
    name = "mfa"
    intro = (
        "A virtual MFA device: scan the QR code with an authenticator app, then type two consecutive "
        "codes it shows. They are checked here first, so a typo, a swapped pair, the same code twice "
        "or a phone clock that is off each get their own message."
    )
    action = "Assign MFA device"

    def build(self) -> list[Widget]:
        self.qr = widgets.Image(format="png", width=240, height=240)
        self.qr.add_class("rb-qr")
        self.show_key = widgets.ToggleButton(description="Show secret key")
        self.show_key.add_class("rb-show-seed")
        self.seed = labelled(widgets.Text(value="", disabled=True), "rb-seed", "Secret key")
        self.seed.layout.width = "44em"
        self.seed.style.description_width = "6em"
        self.seed.layout.display = "none"
        self.show_key.observe(lambda _: self.toggle_key(), names="value")
        self.code1 = labelled(widgets.Text(placeholder="6 digits"), "rb-code1", "MFA code 1")
        self.code2 = labelled(widgets.Text(placeholder="the next code, 6 digits"), "rb-code2", "MFA code 2")
        self.enable = widgets.Button(description="Enable MFA", button_style="primary")
        self.enable.add_class("rb-enable-mfa")
        self.enable.on_click(lambda _: self.submit())
        self.verdict = widgets.HTML()  # the codes' diagnosis, next to the fields
        self.verdict.add_class("rb-verdict")
        self.device = widgets.VBox(
            [
                widgets.HTML("Scan this QR code with your authenticator app:"),
                self.qr,
                widgets.HBox([self.show_key, self.seed]),
                self.code1,
                self.code2,
                widgets.HBox([self.enable, self.verdict]),
            ]
        )
        self.device.add_class("rb-mfa-device")
        self.device.layout.display = "none"
        self.seed_value: str | None = None
        self.inputs = [self.code1, self.code2, self.enable, self.show_key]
        self.outputs.children = (self.device,)
        return []

    def pending(self) -> bool:
        return any(s.phase == "mfa" and s not in self.run.done for s in self.run.steps)

    def on_turn(self) -> None:
        if not self.pending():  # mfa=False, or the user has MFA already: say so, write nothing
            self.act()

    def can_act(self) -> bool:
        return self.seed_value is None

    def act(self) -> None:
        report = self.attempt("Creating the virtual MFA device…", self.run.enable_mfa)
        if report is None:
            return
        seed, uri = self.wizard.take("mfa_seed"), self.wizard.take("mfa_otpauth_uri")
        if seed is not None and uri is not None:
            self.seed_value = seed
            self.qr.value = mfa.qr_png(uri)
            self.device.layout.display = ""
            self.status.value = "Device created. Scan the code, then enter two consecutive codes."
            self.sync()
        elif not self.pending():  # skipped, or enabled already
            self.finished(report)
        else:
            self.show(report)

    def toggle_key(self) -> None:
        show = bool(self.show_key.value) and self.seed_value is not None
        self.seed.value = self.seed_value if show and self.seed_value else ""
        self.seed.layout.display = "" if show else "none"
        self.show_key.description = "Hide secret key" if show else "Show secret key"

    def submit(self) -> None:
        first, second = self.code1.value.strip(), self.code2.value.strip()
        self.code1.value = ""  # single-use, and never left in the saved widget state
        self.code2.value = ""
        if not (re.fullmatch(r"\d{6}", first) and re.fullmatch(r"\d{6}", second)):
            self.verdict.value = error_html(
                InputError(
                    "Each code is six digits.",
                    parameter="mfa_codes",
                    fix="Type the code the app shows, wait for the next one, and type that too.",
                )
            )
            return
        report = self.attempt(
            "Checking the codes and enabling the device…", lambda: self.run.submit_codes(first, second), self.verdict
        )
        if report is not None and not self.pending():
            self.finished(report)

    def finished(self, report: Report) -> None:
        """MFA is on: the QR image and the seed leave the page."""
        self.qr.value = b""
        self.seed.value = ""
        self.seed_value = None
        self.show_key.value = False
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
        return any(s.phase == "codecommit" and s not in self.run.done for s in self.run.steps)

    def on_turn(self) -> None:
        if not self.pending():  # codecommit=False, or credentials made by an earlier run
            self.act()

    def can_act(self) -> bool:
        return self.pending()

    def act(self) -> None:
        run = self.run
        report = self.attempt("Generating the Git credentials…", run.create_git_credentials)
        if report is None:
            return
        self.show(report)
        secret = self.wizard.take("codecommit_password")
        if secret is not None and run.git is not None:
            path = run.secrets.path if run.secrets else "the secrets file"
            self.reveal = Reveal(
                "codecommit_password",
                "Git password",
                secret,
                f"Dismissed: the Git password is no longer on this page. A copy is in {path} (mode 0600).",
            )
            user = widgets.HTML(f"Git user name: <code class='rb-git-user'>{html.escape(run.git.username)}</code>")
            self.reveal_box.children = (user, self.reveal.box)
        if run.params.codecommit:
            self.form.layout.display = ""
        if not self.pending():
            self.wizard.complete(self.name)


# --- 8 summary -----------------------------------------------------------------------------------


class SummaryPanel(Panel):
    name = "summary"
    intro = "What was done, where to sign in, and what is still manual, with the reason."
    action = "Refresh summary"

    def on_turn(self) -> None:
        self.act()

    def act(self) -> None:
        self.do("Summing up…", self.run.summary)


# --- 9 verify ------------------------------------------------------------------------------------


class VerifyPanel(Panel):
    name = "verify"
    intro = (
        "The controls an auditor's checker reports (CIS AWS Foundations v3.0, with each Prowler check id), "
        "read back from IAM: the credential report, the account summary, the user's policies and MFA."
    )
    action = "Run the checks"

    def act(self) -> None:
        self.do("Reading the account back…", self.run.verify)


PANELS: dict[str, Callable[[Wizard], Panel]] = {
    p.name: p
    for p in (
        PreflightPanel,
        UserPanel,
        ConsolePanel,
        PermissionsPanel,
        ReviewPanel,
        CreatePanel,
        MfaPanel,
        CodeCommitPanel,
        SummaryPanel,
        VerifyPanel,
    )
}
