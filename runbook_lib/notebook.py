"""The notebooks' front end: their first cell starts the run here, which picks panels or reports.

With `mfa_codes="prompt"` a person is at the notebook: `start` returns `ui.Panels`, whose methods (the
same names as the procedure's) return each section's panel. Headless it returns the procedure itself,
whose methods return each section's report. Either way the cells read the same: `run.enable_mfa()`.

The procedure logs one record per step (`sections.STEPS`); here they become "▶ step N Title: status"
lines on the cell's output, which `runbook run` picks out of papermill's log and streams.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import runbook, teardown
from .sections import STEPS

if TYPE_CHECKING:
    from .ui import Panels

STEP_MARK = "▶ "


class StepLines(logging.Handler):
    """Each step record as a line on stdout (looked up at each record, so a panel can silence it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{STEP_MARK}{record.getMessage()}", flush=True)


def show_step_lines() -> None:
    """Turn the step records into step lines, once per kernel."""
    if not any(isinstance(h, StepLines) for h in STEPS.handlers):
        STEPS.addHandler(StepLines())
    STEPS.setLevel(logging.INFO)


def start(namespace: Mapping[str, Any]) -> runbook.Runbook | Panels:
    """The create notebook's first cell: parameters, connection and preflight; then panels or reports."""
    show_step_lines()
    run = runbook.start(namespace)
    if not run.interactive:
        return run
    from .ui import Panels

    return Panels(run)


def start_teardown(namespace: Mapping[str, Any]) -> teardown.Teardown:
    """The delete notebook's first cell (headless only: it has no panels)."""
    show_step_lines()
    return teardown.start(namespace)
