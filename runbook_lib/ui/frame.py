"""The panel frame: what every panel shares (a title, inputs, one button, a status line, the result).

A panel is built for one run of the wizard (`state.Wizard`), which says whose turn it is; a press
acts on exactly what the page shows (`fields.Gate`), once. The pieces a panel is built of (secret
fields, reveals, labelled inputs, error HTML) are in `parts`.
"""

from __future__ import annotations

import contextlib
import html
import io
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..report import Report
from ..sections import section
from .fields import TOKEN, ActionButton, Gate
from .parts import Widget, close_tree, failure_html
from .state import ORDER, Wizard

if TYPE_CHECKING:
    from ..runbook import Runbook

SPINNER = "<span class='rb-spin' aria-hidden='true'></span>"


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
        self.error: Exception | None = None  # what the last `working` block failed with
        self.turned = False  # on_turn ran for the step's current turn
        level = "h2" if wizard.paged else "h3"  # the wizard's page has its own h1; the notebook its own h2s
        self.title = widgets.HTML(
            f"<{level} class='rb-heading'>{html.escape(section(self.name).heading)}</{level}><p>{self.intro}</p>"
        )
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
        top = [] if wizard.paged else [wizard.tracker]  # the wizard shows its tracker once, above the stage
        self.box = widgets.VBox(
            [*top, self.title, self.body, self.result, row, self.outputs]
            if self.result_first
            else [*top, self.title, self.body, row, self.outputs, self.result]
        )
        self.box.add_class("rb-panel")
        self.box.add_class(f"rb-panel-{self.name}")
        self.body.children = tuple(self.build())
        self.gate = Gate(self.button, self.reads())
        for field in self.reads():
            field.observe(lambda _: self.edited(), names="value")
        for field in self.inputs:
            if getattr(field, "_rb_submits", None) is None:  # a panel may have sent Enter elsewhere
                self.submits(field, self.button)

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

    def submits(self, field: Widget, button: Widget) -> None:
        """Enter in a text field clicks `button` (when it may be clicked), as in a form."""
        if not isinstance(field, widgets.Text | widgets.Password):
            return
        marked = getattr(field, "_rb_submits", None)
        if marked is not None:
            field.on_submit(marked, remove=True)

        def enter(_: Widget) -> None:
            if not button.disabled:
                button.click()

        field._rb_submits = enter
        with warnings.catch_warnings():  # ipywidgets 8 calls on_submit deprecated, and has nothing else for Enter
            warnings.simplefilter("ignore", DeprecationWarning)
            field.on_submit(enter)

    def focus(self) -> None:
        """Move the browser's focus (and so its view) to this panel's first control."""
        for widget in [*self.inputs, self.button]:
            if not widget.disabled and widget.layout.display != "none":
                widget.focus()
                return

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
        self.error = None
        self.sync()
        line.value = f"<span role='status'>{SPINNER}{html.escape(what)}</span>"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
            line.value = ""
        except Exception as exc:  # an unexpected failure, too, tells the person what happened
            self.error = exc
            line.value = failure_html(exc)
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

    def close(self) -> None:
        """Drop the panel's widgets (its run was replaced); a secret still on view goes with them."""
        close_tree(self.box, keep=self.wizard.tracker)
