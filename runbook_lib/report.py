"""What the notebook and the log show: small tables, as plain text and as HTML.

Nothing here ever receives a secret; reports carry names, ARNs, states and file paths only.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

MARK = {
    "ok": "✓",
    "info": "·",
    "warn": "!",
    "todo": "→",
}


@dataclass
class Report:
    """A section's result: a headline and rows, rendered for both people and logs."""

    title: str
    rows: Sequence[Sequence[str]] = ()
    header: Sequence[str] = ()
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [self.title]
        table = [list(self.header)] if self.header else []
        table += [list(r) for r in self.rows]
        if table:
            widths = [max(len(r[i]) for r in table if i < len(r)) for i in range(max(map(len, table)))]
            for n, row in enumerate(table):
                cells = [c.ljust(widths[i]) for i, c in enumerate(row)]
                lines.append("  " + "  ".join(cells).rstrip())
                if n == 0 and self.header:
                    lines.append("  " + "  ".join("-" * w for w in widths))
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        out = [f"<div class='runbook-report'><b>{html.escape(self.title)}</b>"]
        if self.rows or self.header:
            out.append("<table>")
            if self.header:
                out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in self.header) + "</tr>")
            for r in self.rows:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
            out.append("</table>")
        out += [f"<p>{html.escape(n)}</p>" for n in self.notes]
        out.append("</div>")
        return "".join(out)
