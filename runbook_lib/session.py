"""What both procedures (create and teardown) share: connect and read preflight, its report, run every section.

Preflight reads only; it is the one place a run learns who it is and where, before anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .aws import Connection, connect
from .identity import Preflight, run_preflight
from .params import Parameters
from .report import MARK, Report
from .sections import Section


def open_session(params: Parameters) -> tuple[Connection, Preflight]:
    """Connect to the target and read preflight; a failed preflight closes what it opened."""
    conn = connect(params.target, params.region, params.profile)
    try:
        return conn, run_preflight(conn)
    except BaseException:
        conn.close()
        raise


def preflight_report(pre: Preflight) -> Report:
    """Section 0 of both notebooks: preflight's findings, each with its fix."""
    rows = [(MARK[f.level], f.topic, f.message + (f"  Fix: {f.fix}" if f.fix else "")) for f in pre.findings]
    return Report("Preflight: who is calling, and where", rows, ("", "check", "finding"))


def caller(pre: Preflight) -> str:
    """'root in 123456789012': who preflight found, for the first step line."""
    return f"{'root' if pre.is_root else pre.caller_arn} in {pre.account_id}"


def run_sections(procedure: Any, table: tuple[Section, ...], until: str = "") -> list[Report]:
    """Call each section's method in order, as the notebook's cells do (headless; tests, the benchmark)."""
    reports = []
    for s in table:
        method: Callable[[], Report] = getattr(procedure, s.method)
        reports.append(method())
        if s.key == until:
            break
    return reports
