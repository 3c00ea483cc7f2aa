"""The notebooks' front end: their first cell starts the run here, which picks panels or reports.

With `mfa_codes="prompt"` a person is at the notebook: `start` returns `ui.Panels`, whose methods (the
same names as the procedure's) return each section's panel. Headless it returns the procedure itself,
whose methods return each section's report. Either way the cells read the same: `run.enable_mfa()`.

The procedure logs one record per step (`sections.STEPS`). Headless they become "▶ step N Title: status"
lines on the cell's output, which `runbook run` picks out of papermill's log and streams. A person at
the panels reads the panels instead: no step line is printed there (nor in the wizard's page).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import runbook, teardown
from .params import Parameters
from .sections import STEPS

if TYPE_CHECKING:
    from .ui import Panels

STEP_MARK = "▶ "
WARM_UP = "runbook-warm-up"
"""The thread in which a kernel that `runbook lab` or `runbook wizard` started loads the runbook (`warm_up`)."""


class StepLines(logging.Handler):
    """Each step record as a line on stdout (looked up at each record, so a panel can silence it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{STEP_MARK}{record.getMessage()}", flush=True)


def show_step_lines(show: bool = True) -> None:
    """Turn the step records into step lines (once per kernel), or stop printing them."""
    printing = [h for h in STEPS.handlers if isinstance(h, StepLines)]
    if show and not printing:
        STEPS.addHandler(StepLines())
    for handler in printing if not show else []:
        STEPS.removeHandler(handler)
    STEPS.setLevel(logging.INFO)


def interactive(namespace: Mapping[str, Any]) -> bool:
    """A person answers in panels: `mfa_codes` is "prompt" (the notebook's default)."""
    return bool(namespace.get("mfa_codes", Parameters.mfa_codes) == "prompt")


def warm_up() -> None:
    """What the first cell needs, loaded while a new kernel waits for it (about a second of a first Run All).

    `runbook lab` and `runbook wizard` point $PYTHONSTARTUP at `jupyter/kernel_startup`, which runs this
    in the WARM_UP thread: the panels (ipywidgets), botocore's STS and IAM models, and the QR library.
    """
    from . import aws, ui  # noqa: F401
    from .mfa import qr_png

    aws.preload()
    qr_png("otpauth://totp/warm-up")


def warmed() -> None:
    """Wait for a warm-up still under way, so the first cell never imports what that thread is importing."""
    for thread in threading.enumerate():
        if thread.name == WARM_UP and thread is not threading.current_thread():
            thread.join()


def start(namespace: Mapping[str, Any]) -> runbook.Runbook | Panels:
    """The create notebook's first cell: parameters, connection and preflight; then panels or reports."""
    warmed()
    if not interactive(namespace):
        show_step_lines()
        return runbook.start(namespace)
    show_step_lines(False)
    from .ui import Panels

    return Panels.start(namespace)


def start_teardown(namespace: Mapping[str, Any]) -> teardown.Teardown:
    """The delete notebook's start (headless only: it has no panels)."""
    show_step_lines()
    return teardown.start(namespace)
