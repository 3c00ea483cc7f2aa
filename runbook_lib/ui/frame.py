"""The panel frame: what every panel shares (a title, inputs, one button, a status line, the result), and the wizard
state the panels share (the run, which steps are done, the step tracker, secrets waiting for their reveal).

Two layouts. In JupyterLab each panel stays in its notebook section, under the section's prose. In the
wizard (Voila) the page is one frame, shown by the first cell: the step tracker once, one step at a
time, and Back and Next; the other cells show nothing. `paged_here` tells the two apart.

Secrets. A widget's value travels to the kernel and is saved with the widget state, so every
widget that holds a secret (the password fields, the reveal-once fields, the QR image, the seed,
the MFA codes) is emptied as soon as the secret has been used or dismissed, and no secret is ever
written into an HTML widget or a cell's output. The secrets store (`secrets_store`) keeps the copy.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import traitlets

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

SPINNER = "<span class='rb-spin' aria-hidden='true'></span>"

# A copy button must run in the browser (the kernel has no clipboard): it copies the text of its
# secret field, so the secret never appears in this HTML or its saved state.
# The clipboard API exists only on secure origins (https, or localhost as here).
COPY_BUTTON = (
    "<button type='button' class='rb-copy jupyter-button widget-button' title='Copy the {label} to the clipboard' "
    "onclick=\"const box = this.closest('.rb-secret-field');"
    " const field = box && box.querySelector('.rb-secret-value');"
    " const failed = () => { this.textContent = 'Copy failed: show it and copy by hand'; };"
    " if (!field || !navigator.clipboard) { failed(); return; }"
    " navigator.clipboard.writeText(field.textContent.trim()).then(() => { this.textContent = 'Copied'; }, failed);"
    '">Copy</button>'
)

QR_TEXT = (
    "QR code of the MFA device's secret key, for an authenticator app. Cannot scan it? "
    "Choose Show secret key, below, to get the key as text and type it into the app."
)
"""The QR image's text alternative: what it is, and how to get the key without it."""

PanelFactory = Callable[["Wizard"], "Panel"]


def paged_here() -> bool:
    """Whether this kernel serves the wizard: Voila gives its kernels VOILA_BASE_URL; JupyterLab does not."""
    return "VOILA_BASE_URL" in os.environ


class Wizard:
    """What the panels share: the run, which steps are done, secrets waiting for a reveal, and the tracker.

    The run may be missing (its start failed: the endpoint is down, the credentials are refused) or
    replaced (the person chose another target in the first panel): each section's panel sits in a
    slot, which the cell shows and which gets the panel again whenever the run changes.
    """

    def __init__(
        self,
        run: Runbook | None,
        factories: Mapping[str, PanelFactory],
        *,
        paged: bool = False,
        raw: Mapping[str, Any] | None = None,
        failure: Exception | None = None,
    ) -> None:
        self.current = run
        self.factories = factories
        self.paged = paged
        self.raw = dict(raw if raw is not None else (run.params.as_dict() if run else {}))
        self.failure = failure
        # rb.start ran preflight before any panel exists; a KeePass store may still wait for its master password
        self.done: set[str] = {"preflight"} if run is not None and not run.store_locked else set()
        self.panels = BuiltPanels(self)
        self.slots: dict[str, Widget] = {}
        self.placeholders: dict[str, Widget] = {}
        self.tracker = widgets.HTML()
        self.tracker.add_class("rb-tracker")
        self.inbox: dict[str, str] = {}
        self.results: dict[str, Report | None] = {}
        self.focused_once = False
        self.idled = False  # every cell has run: the prefetch has started
        self.reading: threading.Thread | None = None
        if run is not None:
            run.reveal_to(self._receive)
            run.front = "panels"  # Verify words its fixes as the panels' controls
        # The wizard's own frame: the tracker once, the step on view, and Back and Next.
        self.viewing = ORDER[0]
        self.stage = widgets.VBox()
        self.stage.add_class("rb-stage")
        self.back = widgets.Button(description="Back", tooltip="The previous step")
        self.next = widgets.Button(description="Next", button_style="primary", tooltip="The next step")
        for button, step in ((self.back, -1), (self.next, 1)):
            button.add_class(f"rb-{button.description.lower()}")
            button.layout.min_width = "8em"
            button.on_click(lambda _, step=step: self.move(step))
        self.nav = widgets.HBox([self.back, self.next])
        self.nav.add_class("rb-nav")
        self.frame = widgets.VBox([self.tracker, self.stage, self.nav])
        self.frame.add_class("rb-wizard")

    @property
    def run(self) -> Runbook:
        if self.current is None:
            raise RuntimeError("No run: the first panel could not start one (its message says why).")
        return self.current

    def _receive(self, key: str, value: str) -> None:
        """The run's reveal: keep the secret for the panel that shows it, once."""
        self.inbox[key] = value

    def take(self, key: str) -> str | None:
        return self.inbox.pop(key, None)

    def panel(self, name: str) -> Widget:
        """The slot of section `name`: its panel once its turn has come, until then a line saying what it waits for."""
        if name not in self.slots:
            self.slots[name] = widgets.VBox()
            self.slots[name].add_class("rb-slot")
            self.build(name)
            self.refresh()
        return self.slots[name]

    def buildable(self, name: str) -> bool:
        """The first panel always; any other once there is a run and every step before it is done.

        A waiting step's panel is built when its turn comes, not when its cell runs: Run All then makes
        two panels' widgets instead of ten (hundreds of widget models, each a message to the page).
        """
        return name == ORDER[0] or (self.current is not None and self.ready(name))

    def build(self, name: str, *, now: bool = False) -> None:
        """The slot's panel (or, while the step waits, its placeholder); `now`: the panel, waiting or not."""
        old = self.panels.pop(name, None)
        if self.buildable(name) or (now and self.current is not None):
            self.panels[name] = self.factories[name](self)
            self.slots[name].children = (self.panels[name].box,)
            waiting = self.placeholders.pop(name, None)
            if waiting is not None:
                waiting.close()
        else:
            if name not in self.placeholders:
                self.placeholders[name] = widgets.HTML()
                self.placeholders[name].add_class("rb-placeholder")
            self.slots[name].children = (self.placeholders[name],)
        if old is not None:
            old.close()

    def placeholder_html(self, name: str) -> str:
        """A waiting step: its heading and what it does, and the step it waits for (in the panels' own look)."""
        level = "h2" if self.paged else "h3"
        first = next((n for n in ORDER if n not in self.done), ORDER[0])
        waits = (
            f"Waiting for step {html.escape(section(first).heading)} to be done."
            if self.current is not None
            else "Waiting for a connection (step 0)."
        )
        intro = getattr(self.factories[name], "intro", "")
        return (
            f"<div class='rb-panel rb-waiting rb-panel-{name}'><{level} class='rb-heading'>"
            f"{html.escape(section(name).heading)}</{level}><p>{intro}</p>"
            f"<p class='rb-status'><span class='rb-wait'>{waits}</span></p></div>"
        )

    # --- the run ------------------------------------------------------------------------------

    def restart(self, run: Runbook) -> None:
        """A new run (another target, or a first one after a failed start): every later panel anew."""
        old, self.current, self.failure = self.current, run, None
        run.reveal_to(self._receive)
        run.front = "panels"
        self.raw = run.params.as_dict()
        self.done = set() if run.store_locked else {"preflight"}
        self.inbox.clear()
        self.results.clear()
        self.viewing = ORDER[0]
        self.idled, self.reading = False, None
        for name in self.slots:
            if name != ORDER[0]:
                self.build(name)
        if old is not None and old is not run:
            old.conn.close()
        self.refresh()

    def stop(self, failure: Exception) -> None:
        """The run could not start on the target the person chose: no panel goes on with another."""
        old, self.current, self.failure = self.current, None, failure
        self.done = set()
        self.idled, self.reading = False, None
        self.inbox.clear()
        self.results.clear()
        self.viewing = ORDER[0]
        for name in self.slots:
            if name != ORDER[0]:
                self.build(name)
        if old is not None:
            old.conn.close()
        self.refresh()

    def prefetch(self) -> None:
        """Once every cell has run: read in the background what a later step needs (the policy catalogue,
        two ListPolicies pages and a second or more to parse), off the first panel's path."""
        run = self.current
        if run is not None and self.reading is None:

            def read() -> None:
                with contextlib.suppress(Exception):  # the permissions panel reads again, and says what failed
                    run.policy_catalogue()

            self.reading = threading.Thread(target=read, name="runbook-prefetch", daemon=True)
            self.reading.start()

    def prefetched(self) -> None:
        """Wait for the prefetch, if one is under way (so the catalogue is read once)."""
        if self.reading is not None:
            self.reading.join()

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
        if self.paged and name == "create" and self.viewing == "review":
            self.viewing = "create"  # Create was clicked on the review: what it made is the next thing to see
        self.refresh()

    def reopen(self, name: str) -> None:
        """A step before Create failed its check: it, and the steps after it, are to do again."""
        if name in BEFORE_CREATE and "create" not in self.done:
            self.done.difference_update(BEFORE_CREATE[BEFORE_CREATE.index(name) :])
            self.refresh()

    # --- the wizard's pages -------------------------------------------------------------------

    def move(self, step: int) -> None:
        """Back or Next: the neighbouring step, if it may be viewed (a step is viewable once it is ready)."""
        index = ORDER.index(self.viewing) + step
        if 0 <= index < len(ORDER) and self.viewable(ORDER[index]):
            self.viewing = ORDER[index]
            self.refresh()

    def viewable(self, name: str) -> bool:
        return name in self.panels and self.ready(name)

    def show_frame(self) -> None:
        """The step on view on the stage, the tracker naming it, and Back and Next where they lead somewhere."""
        slot = self.slots.get(self.viewing)
        self.stage.children = (slot,) if slot is not None else ()
        index = ORDER.index(self.viewing)
        self.back.disabled = index == 0
        self.next.disabled = index + 1 >= len(ORDER) or not self.viewable(ORDER[index + 1])

    def refresh(self) -> None:
        """Redraw the tracker and enable exactly the panels whose turn it is (or was)."""
        items = "".join(
            f"<li data-step='{n}' data-state='{self.state(n)}'"
            + (" aria-current='step'" if self.paged and n == self.viewing else "")
            + f">{'✓ ' if n in self.done else ''}{ORDER.index(n)} {html.escape(section(n).label)}"
            f"<span class='rb-sr-only'> ({self.state(n)})</span></li>"
            for n in ORDER
        )
        self.tracker.value = f"{STYLE}<ol class='rb-steps' aria-label='Steps'>{items}</ol>"
        for name in ORDER:  # a step whose turn has come gets its panel; a waiting one says what it waits for
            if name in self.slots and name not in self.panels and self.buildable(name):
                self.build(name)
            elif name in self.placeholders:
                self.placeholders[name].value = self.placeholder_html(name)
        if self.paged:
            self.show_frame()
        for name in ORDER:
            if name in self.panels:
                self.panels[name].sync()
        for name in ORDER:  # a step that needs no click (a skip, the plan, the summary) does itself
            p = self.panels.get(name)
            if p is not None and self.state(name) == "current" and not p.busy:
                p.turn()
        if not self.idled and all(n in self.slots for n in ORDER):  # every cell has run
            self.idled = True
            self.prefetch()
            if not self.paged and not self.focused_once:
                # "Run All" leaves JupyterLab's view on the last cell: bring the first panel into view.
                self.focused_once = True
                self.panels[ORDER[0]].focus()


class BuiltPanels(dict[str, "Panel"]):
    """The panels built so far; asking for a waiting step's panel by name builds it then (as code and tests
    that drive the panels expect), while iterating or `get` leaves the waiting steps as they are."""

    def __init__(self, wizard: Wizard) -> None:
        super().__init__()
        self.wizard = wizard

    def __missing__(self, name: str) -> Panel:
        if name not in self.wizard.slots or self.wizard.current is None:
            raise KeyError(name)
        self.wizard.build(name, now=True)
        self.wizard.refresh()
        if name not in self:
            raise KeyError(name)
        return dict.__getitem__(self, name)


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


def close_tree(widget: Widget, keep: Widget = None) -> None:
    """Close a widget and everything in it (their models leave the kernel and the page), but `keep`."""
    if widget is keep:
        return
    for child in getattr(widget, "children", ()):
        close_tree(child, keep)
    widget.close()


def error_html(exc: RunbookError) -> str:
    """A runbook error as the person needs it: what went wrong, and the fix."""
    text = f"<div class='rb-error' role='alert'><b>{html.escape(REDACTOR.redact(exc.message))}</b>"
    if exc.fix:
        text += f"<br>Fix: {html.escape(REDACTOR.redact(exc.fix))}"
    return text + "</div>"


def unexpected_html(exc: Exception) -> str:
    name, text = html.escape(type(exc).__name__), html.escape(REDACTOR.redact(str(exc)))
    return f"<div class='rb-error' role='alert'><b>Unexpected error:</b> {name}: {text}</div>"


def failure_html(exc: Exception) -> str:
    return error_html(exc) if isinstance(exc, RunbookError) else unexpected_html(exc)


def copy_of(run: Runbook, secret: Secret) -> str:
    """Where the store put this run's secret of one kind ('console', 'mfa', 'codecommit'), for a dismissed reveal."""
    placed = run.delivery.placed(secret)
    return f"Where it went: {placed.describe()}." if placed is not None else ""


def banner(text: str) -> str:
    return f"<div class='rb-banner' role='status'>✓ {html.escape(text)}</div>"


def labelled(widget: Widget, css: str, description: str = "") -> Widget:
    """A labelled input with a class the tests and the stylesheet can find."""
    widget.add_class(css)
    if description:
        widget.description = description
        widget.style.description_width = "14em"
    widget.layout.width = "36em"
    widget.layout.max_width = "100%"
    return widget


def choice(widget: Widget, css: str) -> Widget:
    """A checkbox or toggle whose whole label shows (ipywidgets cuts labels short by default)."""
    widget.add_class(css)
    widget.layout.width = "auto"
    if isinstance(widget, widgets.ToggleButtons):
        widget.style.button_width = "auto"
    return widget


class TitledImage(widgets.Image):  # type: ignore[misc]
    """ipywidgets' Image with a text alternative: its tooltip becomes the <img>'s title.

    ipywidgets 8 has no alt text; its views set the tooltip as the title only when the widget's
    `description` is empty, and an Image has no `description` at all (its view fails on the tooltip).
    """

    description = traitlets.Unicode("").tag(sync=True)


def qr_image() -> Widget:
    """An empty image for a QR code, with its text alternative."""
    image = TitledImage(format="png", width=240, height=240, tooltip=QR_TEXT)
    image.add_class("rb-qr")
    return image


class SecretField:
    """A secret on the page: masked until asked, then in a read-only monospace line as wide as the panel, with Copy.

    The value is plain text (never a disabled input: those are greyed out, cut long values short and
    are skipped by screen readers), out of view while masked. `clear` empties every widget that held it.
    """

    def __init__(self, key: str, label: str, secret: str = "", *, show: str = "Show", hide: str = "Hide") -> None:
        self.words = (show, hide)
        self.label = widgets.HTML(f"<span class='rb-secret-label'>{html.escape(label)}</span>")
        self.masked = widgets.HTML("<span class='rb-secret-mask'>•••••••••••• (hidden)</span>")
        self.value = widgets.Label(value=secret)
        self.value.add_class("rb-secret-value")
        self.value.layout.display = "none"
        self.toggle = widgets.ToggleButton(description=show, tooltip=f"{show} the {label.lower()}")
        self.toggle.add_class("rb-toggle")
        self.toggle.observe(self._toggled, names="value")
        self.copy = widgets.HTML(COPY_BUTTON.replace("{label}", html.escape(label.lower(), quote=True)))
        self.box = widgets.VBox(
            [self.label, self.masked, self.value, widgets.HBox([self.toggle, self.copy])],
        )
        self.box.add_class("rb-secret-field")
        self.box.add_class(f"rb-secret-{key}")

    def fill(self, secret: str) -> None:
        self.value.value = secret

    def _toggled(self, change: dict[str, Any]) -> None:
        show = bool(change["new"])
        self.value.layout.display = "" if show else "none"
        self.masked.layout.display = "none" if show else ""
        self.toggle.description = self.words[1] if show else self.words[0]

    def clear(self) -> None:
        self.toggle.value = False
        self.value.value = ""

    def widgets(self) -> list[Widget]:
        return [self.label, self.masked, self.value, self.toggle, self.copy, self.box]


class Reveal:
    """A secret shown once: hidden until asked, copyable, and emptied when the person dismisses it."""

    def __init__(self, key: str, label: str, secret: str, after: str) -> None:
        self.after = after
        self.field = SecretField(key, label, secret)
        self.dismiss = widgets.Button(description="I have saved it", button_style="warning")
        self.dismiss.add_class("rb-dismiss")
        self.dismiss.on_click(lambda _: self.close())
        self.note = widgets.HTML(
            "<b>Shown once.</b> Save it in your password manager now; after you dismiss it, "
            "it is gone from this page (the secrets store keeps it, unless the summary says otherwise)."
        )
        self.box = widgets.VBox([self.note, self.field.box, self.dismiss])
        self.box.add_class("rb-reveal")
        self.box.add_class(f"rb-reveal-{key}")

    @property
    def value(self) -> str:
        return str(self.field.value.value)

    def close(self) -> None:
        """Empty every widget that held the secret, then say where the copy is."""
        self.field.clear()
        self.box.children = (widgets.HTML(f"<i>{html.escape(self.after)}</i>"),)
        for widget in [*self.field.widgets(), self.dismiss, self.note]:
            widget.close()
