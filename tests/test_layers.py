"""The layers of ARCHITECTURE.md, held against every import in runbook_lib (function-level and typing-only too).

Front ends -> procedure -> IAM calls -> foundations -> base: a module imports only its own layer or
those below, and no modules import each other in a circle. And no module is over 450 lines (issue 16).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.net import ROOT

PACKAGE = ROOT / "runbook_lib"
LAYERS = {
    "front end": ["__init__", "cli", "headless", "terminal", "screen", "notebook", "ui"],
    "procedure": ["runbook", "run_state", "console_steps", "write_steps", "mfa_steps", "teardown", "plan", "apply",
                  "choices", "reading", "delivery", "summary", "session", "fixes", "sections"],
    "IAM calls": ["identity", "users", "mfa", "codecommit", "policies", "passwords", "checks"],
    "foundations": ["aws", "secrets", "secrets_dir", "intake", "masking", "params", "stores", "sandbox"],
    "base": ["errors", "report"],
}  # fmt: skip
RANK = {top: rank for rank, names in enumerate(reversed(LAYERS.values())) for top in names}

# Being removed on another branch: papermill execution moves from cli.py to headless.py.
KNOWN_CIRCLES: set[frozenset[str]] = set()  # none: every circle fails


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


def imports(path: Path) -> set[str]:
    """The runbook_lib modules `path` imports anywhere in it, as dotted names under the package."""
    here = module_of(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("runbook_lib"):
                target = node.module.split(".")[1:]
            else:
                continue
            names = [a.name for a in node.names]
            candidates = [".".join([*target, n]) for n in names] + [".".join(target)]
            found.update(c for c in candidates if c and _exists(c))
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".", 1)[1] for a in node.names if a.name.startswith("runbook_lib."))
    found.discard(module_of(path))
    return found


def _exists(dotted: str) -> bool:
    path = PACKAGE.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    return {module_of(p): imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_is_in_a_layer() -> None:
    assert {m.split(".")[0] for m in graph()} <= set(RANK)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        (m, t) for m, targets in graph().items() for t in targets if RANK[t.split(".")[0]] > RANK[m.split(".")[0]]
    ]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph().items()}
    circles = set()
    for start in edges:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    circles.add(frozenset(path))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles <= KNOWN_CIRCLES, circles - KNOWN_CIRCLES


MAX_LINES = 450  # issue 16: small units, each read in one sitting


def test_no_module_is_over_450_lines() -> None:
    lengths = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}
