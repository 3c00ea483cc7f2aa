"""axe-core, the accessibility engine of the browsers' own audit tools, run on the page under test.

axe-core comes from npm, pinned by `tests/browser/axe/package.json` and its `package-lock.json`, and
installed into `tests/browser/axe/node_modules` (git-ignored) by `make axe`. Only the rules of WCAG 2.0
and 2.1, levels A and AA, are run; a violation whose impact is serious or critical fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.net import ROOT

AXE_DIR = ROOT / "tests" / "browser" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")


def axe_source() -> str:
    """The pinned axe-core; missing is a failure with the fix, never a skip."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is not installed at {AXE_SCRIPT}. Run `make axe` (npm ci in {AXE_DIR}).")
    return AXE_SCRIPT.read_text()


def audit(page: Any, include: list[str] | None = None) -> list[dict[str, Any]]:
    """Every WCAG 2 A/AA violation axe finds on the page (or inside the `include` selectors)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    context = {"include": [[s] for s in include]} if include else {"exclude": []}
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("([context, options]) => axe.run(context, options)", [context, options])
    return list(result["violations"])


def failing(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and node: the rule, its impact, the element and axe's summary of the fix."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"{v['id']} ({v['impact']}): {target}: {summary}")
    return "\n".join(lines)


class Audits:
    """The audits of one test, step by step, written to a JSON report beside the screenshots."""

    def __init__(self, report: Path) -> None:
        self.report = report
        self.steps: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Any, step: str, include: list[str] | None = None) -> None:
        found = audit(page, include)
        self.steps[step] = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found
        ]
        self.report.write_text(json.dumps(self.steps, indent=1))
        bad = failing(found)
        assert not bad, f"axe-core at step {step!r}: serious or critical WCAG 2 A/AA violations:\n{describe(bad)}"
