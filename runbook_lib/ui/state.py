"""The wizard's state, which the panels share: the run, which steps are done, each section's slot, the step
tracker, secrets waiting for their reveal, and the wizard's page.

Two layouts. In JupyterLab each panel stays in its notebook section, under the section's prose. In the
wizard (Voila) the page is one frame, shown by the first cell: the step tracker once, one step at a
time, and Back and Next; the other cells show nothing. `paged_here` tells the two apart.
"""

from __future__ import annotations

import contextlib
import html
import os
import threading
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Protocol

import ipywidgets as widgets

from ..report import Report
from ..sections import CREATE, section
from .parts import Widget

if TYPE_CHECKING:
    from ..runbook import Runbook

ORDER = tuple(s.key for s in CREATE)
BEFORE_CREATE = ORDER[: ORDER.index("create")]

STYLE = f"<style>\n{files(__package__).joinpath('style.css').read_text()}</style>"
"""The panels' stylesheet (`style.css`, shipped as package data), carried by the step tracker."""


class StepPanel(Protocol):
    """What the wizard asks of a section's panel: `frame.Panel` is the one kind, and naming only this keeps
    the wizard's state below the frame (frame imports this module, not the other way round)."""

    name: str
    box: Widget
    busy: bool

    def sync(self) -> None: ...

    def turn(self) -> None: ...

    def focus(self) -> None: ...

    def close(self) -> None: ...


PanelFactory = Callable[["Wizard"], StepPanel]


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


class BuiltPanels(dict[str, StepPanel]):
    """The panels built so far; asking for a waiting step's panel by name builds it then (as code and tests
    that drive the panels expect), while iterating or `get` leaves the waiting steps as they are."""

    def __init__(self, wizard: Wizard) -> None:
        super().__init__()
        self.wizard = wizard

    def __missing__(self, name: str) -> StepPanel:
        if name not in self.wizard.slots or self.wizard.current is None:
            raise KeyError(name)
        self.wizard.build(name, now=True)
        self.wizard.refresh()
        if name not in self:
            raise KeyError(name)
        return dict.__getitem__(self, name)
