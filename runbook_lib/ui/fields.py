"""Fields an action reads exactly as the page shows them, whatever the typing speed or the key that acts.

Why a button cannot simply read `field.value`: ipywidgets' front end sends a model's state changes
one at a time. While one update waits for the kernel's reply, the later ones are held in that model's
buffer (the "message throttle": ipywidgets #1383, #1557), but a button's click is a custom message,
which is never held. Type `kbd.admin` fast, then Tab and Enter: the kernel has `k`, the rest is still
held in the page, and the click arrives first. `continuous_update=False` only moves the problem: the
value then goes out on blur or Enter, and a Text's own Enter ("submit") is sent before it.

The fix keeps order where ipywidgets keeps it, within one model. A press does not act at once: the
kernel bumps the button's `_rb_ask`, and a front-end link (`jsdlink`, part of ipywidgets, no custom
JavaScript) copies it into every field's `_rb_token` and saves it from the page. That update leaves
each field's model behind any value it still holds. When every field has answered with the new token,
the kernel holds what the page shows, and the action runs. Without a page (a kernel-less test) there is
nothing to wait for. A page that never answers gets nothing done and a message, never a stale action.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import traitlets
from comm import DummyComm

Widget = Any  # ipywidgets ships no type information

ASK = "_rb_ask"
TOKEN = "_rb_token"
TIMEOUT = 15.0  # seconds for the page to answer; a round trip takes milliseconds


class Text(widgets.Text):  # type: ignore[misc]
    _rb_token = traitlets.Int(0).tag(sync=True)


class Password(widgets.Password):  # type: ignore[misc]
    _rb_token = traitlets.Int(0).tag(sync=True)


class Checkbox(widgets.Checkbox):  # type: ignore[misc]
    _rb_token = traitlets.Int(0).tag(sync=True)


class ToggleButtons(widgets.ToggleButtons):  # type: ignore[misc]
    _rb_token = traitlets.Int(0).tag(sync=True)


class RadioButtons(widgets.RadioButtons):  # type: ignore[misc]
    _rb_token = traitlets.Int(0).tag(sync=True)


class ActionButton(widgets.Button):  # type: ignore[misc]
    """A panel's button: `_rb_ask` is what the page copies into its fields' tokens when asked."""

    _rb_ask = traitlets.Int(0).tag(sync=True)


def has_page(widget: Widget) -> bool:
    """A front end can answer: the widget has a real comm (a kernel's), not the kernel-less stand-in."""
    return widget.comm is not None and not isinstance(widget.comm, DummyComm)


class Gate:
    """One button and the fields its action reads: `request` runs the action once the page has sent them all."""

    def __init__(self, button: ActionButton, fields: Sequence[Widget], timeout: float = TIMEOUT) -> None:
        self.button = button
        self.fields = list(fields)
        self.timeout = timeout
        self.asked = 0
        self.waiting: set[int] = set()
        self.then: Callable[[], None] | None = None
        self.failed: Callable[[], None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.links = []
        for field in self.fields:
            if not field.has_trait(TOKEN):
                raise TypeError(f"{type(field).__name__} cannot report its value: make it with runbook_lib.ui.fields")
            self.links.append(widgets.jsdlink((button, ASK), (field, TOKEN)))
            field.observe(self._answered, names=TOKEN)

    @property
    def pending(self) -> bool:
        return self.then is not None

    def request(self, then: Callable[[], None], failed: Callable[[], None]) -> None:
        """Ask the page for every field, then run `then`; `failed` if it does not answer in time."""
        if not self.fields or not has_page(self.button):
            then()
            return
        self.asked += 1
        self.waiting = {id(f) for f in self.fields}
        self.then, self.failed = then, failed
        self.timer = _later(self.timeout, self._expired)
        if self.timer is None:  # no event loop to wait on: act on what the kernel has, as ipywidgets would
            self._finish(then)
            return
        setattr(self.button, ASK, self.asked)

    def _answered(self, change: dict[str, Any]) -> None:
        if self.then is None or change["new"] != self.asked:
            return
        self.waiting.discard(id(change["owner"]))
        if not self.waiting:
            self._finish(self.then)

    def _expired(self) -> None:
        if self.failed is not None:
            self._finish(self.failed)

    def _finish(self, action: Callable[[], None]) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer, self.then, self.failed, self.waiting = None, None, None, set()
        action()


def _later(delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle | None:
    """A timer on the kernel's event loop (ipykernel runs on asyncio), or None where there is none."""
    with contextlib.suppress(RuntimeError):
        return asyncio.get_running_loop().call_later(delay, callback)
    with contextlib.suppress(RuntimeError):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if loop.is_running():
            return loop.call_later(delay, callback)
    return None
