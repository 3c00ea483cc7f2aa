"""The gate between a press and its action (ui.fields), without a browser: the page is played here.

What the page does is what ipywidgets' front end does: a field's value can still be held in the page
when the click arrives, and the token the kernel asks for travels behind it, in the same model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runbook_lib.ui import fields


class Timer:
    """A stand-in for the kernel's event-loop timer: it fires only when the test says so."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[Timer]:
    made: list[Timer] = []

    def later(delay: float, callback: Callable[[], None]) -> Timer:
        made.append(Timer(callback))
        return made[-1]

    monkeypatch.setattr(fields, "has_page", lambda widget: True)
    monkeypatch.setattr(fields, "_later", later)
    return made


def page_sends(field: Any, **state: Any) -> None:
    """What one update message from the page does in the kernel (ipywidgets' `set_state`)."""
    field.set_state(state)


def test_the_action_waits_for_every_field_and_reads_what_the_page_held(timers: list[Timer]) -> None:
    button = fields.ActionButton()
    name, group = fields.Text(value="k"), fields.Text(value="Admins")
    gate = fields.Gate(button, [name, group])
    seen: list[str] = []
    gate.request(lambda: seen.append(name.value), lambda: seen.append("lost"))
    assert seen == [] and getattr(button, fields.ASK) == 1, "the click alone does not act"
    page_sends(name, value="kbd.admin", _rb_token=1)  # the held value, then the token, in one model's order
    assert seen == []
    page_sends(group, _rb_token=1)
    assert seen == ["kbd.admin"] and timers[0].cancelled


def test_an_old_token_does_not_release_a_new_request(timers: list[Timer]) -> None:
    button, name = fields.ActionButton(), fields.Text()
    gate = fields.Gate(button, [name])
    runs: list[int] = []
    gate.request(lambda: runs.append(1), lambda: None)
    page_sends(name, _rb_token=1)
    gate.request(lambda: runs.append(2), lambda: None)
    page_sends(name, _rb_token=1)  # a late echo of the first answer
    assert runs == [1]
    page_sends(name, _rb_token=2)
    assert runs == [1, 2]


def test_a_page_that_never_answers_gets_nothing_done_and_a_message(timers: list[Timer]) -> None:
    gate = fields.Gate(fields.ActionButton(), [fields.Text()])
    happened: list[str] = []
    gate.request(lambda: happened.append("acted"), lambda: happened.append("told"))
    timers[0].callback()
    assert happened == ["told"] and not gate.pending


def test_without_a_page_the_action_runs_at_once() -> None:
    gate = fields.Gate(fields.ActionButton(), [fields.Text(value="x")])
    ran: list[bool] = []
    gate.request(lambda: ran.append(True), lambda: None)
    assert ran == [True]


def test_a_field_that_cannot_report_its_value_is_refused() -> None:
    import ipywidgets as widgets

    with pytest.raises(TypeError, match=r"ui\.fields"):
        fields.Gate(fields.ActionButton(), [widgets.Text()])
