"""The panel frame: what every panel shares (a title, inputs, one button, a status line, the result), and the wizard
state the panels share (which steps are done, the step tracker, secrets waiting for their reveal).

Secrets. A widget's value travels to the kernel and is saved with the widget state, so every
widget that holds a secret (the password fields, the reveal-once fields, the QR image, the seed,
the MFA codes) is emptied as soon as the secret has been used or dismissed, and no secret is ever
written into an HTML widget or a cell's output. The secrets store (`secrets_store`) keeps the copy.
"""

from __future__ import annotations

import contextlib
import html
import io
import weakref
from collections.abc import Callable, Iterator, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import RunbookError
from ..report import Report
from ..secrets import REDACTOR
from ..sections import CREATE, section
from ..stores import Secret
from .fields import TOKEN, ActionButton, Gate

if TYPE_CHECKING:
    from ..runbook import Runbook

Widget = Any  # ipywidgets ships no type information

ORDER = tuple(s.key for s in CREATE)
BEFORE_CREATE = ORDER[: ORDER.index("create")]

STYLE = f"<style>\n{files(__package__).joinpath('style.css').read_text()}</style>"
"""The panels' stylesheet (`style.css`, shipped as package data), carried by the step tracker."""

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

PanelFactory = Callable[["Wizard"], "Panel"]


class Wizard:
    """What the panels share: which steps are done, secrets waiting for a reveal, and the tracker."""

    def __init__(self, run: Runbook, factories: Mapping[str, PanelFactory]) -> None:
        self._run = weakref.ref(run)
        self.factories = factories
        # rb.start ran preflight before any panel exists; a KeePass store may still wait for its master password
        self.done: set[str] = set() if run.store_locked else {"preflight"}
        self.panels: dict[str, Panel] = {}
        self.tracker = widgets.HTML()
        self.tracker.add_class("rb-tracker")
        self.inbox: dict[str, str] = {}
        self.results: dict[str, Report | None] = {}
        run.reveal_to(self._receive)
        run.front = "panels"  # Verify words its fixes as the panels' controls

    @property
    def run(self) -> Runbook:
        run = self._run()
        if run is None:  # pragma: no cover - the notebook's `run` holds it while panels exist
            raise RuntimeError("This run has ended; run the notebook's cells again.")
        return run

    def _receive(self, key: str, value: str) -> None:
        """The run's reveal: keep the secret for the panel that shows it, once."""
        self.inbox[key] = value

    def take(self, key: str) -> str | None:
        return self.inbox.pop(key, None)

    def panel(self, name: str) -> Widget:
        if name not in self.panels:
            self.panels[name] = self.factories[name](self)
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
            f"{'✓ ' if n in self.done else ''}{ORDER.index(n)} {html.escape(section(n).label)}</li>"
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
        self.busy = False  # from a press until its action is over: a repeated press is ignored
        self.quiet = False  # the panel itself is setting its fields: not an edit by the person
        self.turned = False  # on_turn ran for the step's current turn
        self.title = widgets.HTML(f"<h3>{html.escape(section(self.name).heading)}</h3><p>{self.intro}</p>")
        self.button = ActionButton(description=self.action, button_style="primary")
        self.button.add_class("rb-action")
        self.button.on_click(lambda _: self.press())
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
        self.gate = Gate(self.button, self.reads())
        for field in self.reads():
            field.observe(lambda _: self.edited(), names="value")

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

    def not_ready(self) -> str:
        """Why a press did nothing, when `can_act` says no once the fields are in."""
        return "Complete the fields above first."

    def reads(self) -> list[Widget]:
        """The fields the button's action reads (made with `ui.fields`, so the page can confirm them)."""
        return [w for w in self.inputs if w.has_trait(TOKEN)]

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
                f"<span class='rb-wait'>Waiting for step {html.escape(section(first).heading)} to be done.</span>"
            )

    def press(
        self,
        action: Callable[[], None] | None = None,
        gate: Gate | None = None,
        ready: Callable[[], bool] | None = None,
        status: Widget | None = None,
    ) -> None:
        """A click on the button (or Enter in a field): act on exactly what the page shows, once.

        The panel is busy from the press on, so a second press (a double click, Enter then a click) is
        ignored; the action runs when the page has sent every field it reads (`fields.Gate`), and only
        if the fields, as they now are, allow it.
        """
        if self.busy or not self.open:
            return
        line = self.status if status is None else status
        working = [p for p in self.wizard.panels.values() if p.busy]
        if working:  # one step at a time: a step still working may yet change this one's turn
            heading = html.escape(section(working[0].name).heading)
            line.value = f"<span class='rb-note'>Step {heading} is still working: press again when it is done.</span>"
            return
        self.busy = True
        self.sync()

        def go() -> None:
            try:
                if (ready or self.can_act)():
                    (action or self.act)()
                else:
                    line.value = f"<span class='rb-note'>{html.escape(self.not_ready())}</span>"
            finally:
                self.busy = False
                self.sync()

        def lost() -> None:
            self.busy = False
            line.value = (
                "<div class='rb-error'><b>The page did not send its fields in time, so nothing was done.</b>"
                "<br>Fix: check the connection to the notebook server, then press again.</div>"
            )
            self.sync()

        (gate or self.gate).request(go, lost)

    def edited(self) -> None:
        """The person changed a field after the step was done: the step is to be done again, before Create."""
        w = self.wizard
        if self.busy or self.quiet or self.name not in w.done or w.settled(self.name):
            return
        w.reopen(self.name)
        self.status.value = (
            f"<span class='rb-note'>Changed: press {html.escape(self.action)} to use what is shown.</span>"
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


def copy_of(run: Runbook, secret: Secret) -> str:
    """Where the store put this run's secret of one kind ('console', 'mfa', 'codecommit'), for a dismissed reveal."""
    placed = run.delivery.placed(secret)
    return f"Where it went: {placed.describe()}." if placed is not None else ""


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
            "it is gone from this page (the secrets store keeps it, unless the summary says otherwise)."
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
