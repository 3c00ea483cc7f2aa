"""A pytest plugin for the peer suite: one outcome per test id, written as JSON to ``$PEER_OUTCOMES``.

JUnit XML names tests by class path, which cannot be turned back into pytest's ids for certain;
this keeps pytest's own ids and the failure's one-line reason, which the divergence list matches.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_outcomes: dict[str, dict[str, str]] = {}
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def _reason(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        return str(report.longrepr[2])
    return str(report.longrepr or "")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = "failed" if report.failed else "skipped" if report.skipped else "passed"
    if report.when != "call" and outcome == "passed":
        return
    seen = _outcomes.get(report.nodeid)
    if seen is None or _RANK[outcome] > _RANK[seen["outcome"]]:
        _outcomes[report.nodeid] = {"outcome": outcome, "reason": _reason(report) if outcome != "passed" else ""}


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("PEER_OUTCOMES")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_outcomes, f, indent=1, sort_keys=True)
