"""One table of sections: the notebooks, the panels, the step lines and the CLI's failure line all read it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import sections, teardown
from runbook_lib.runbook import Runbook
from runbook_lib.sections import CREATE, TEARDOWN, Section, failed_section, section_of_cell
from runbook_lib.teardown import Teardown
from runbook_lib.ui import Panels
from tests.support.faults import GROUP_VARIANT, Account, open_account
from tests.support.net import ROOT

NOTEBOOKS = {
    "create": (ROOT / "notebooks" / "create_admin_user.ipynb", CREATE),
    "delete": (ROOT / "notebooks" / "delete_admin_user.ipynb", TEARDOWN),
}


def cells(name: str) -> list[dict[str, Any]]:
    return list(json.loads(NOTEBOOKS[name][0].read_text())["cells"])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_section_has_one_tagged_cell_in_order_calling_its_method(name: str) -> None:
    """The cells follow the table: tagged `section:<key>`, in order, each calling the section's method."""
    table = NOTEBOOKS[name][1]
    tagged = [(c, section_of_cell(c, table)) for c in cells(name)]
    found = [s for _, s in tagged if s is not None]
    assert [s.key for s in found] == [s.key for s in table]
    for cell, s in tagged:
        if s is not None:
            assert f".{s.method}()" in "".join(cell["source"]), s


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_sections_prose_names_the_iam_calls_of_the_table(name: str) -> None:
    """The markdown right above a section's cell carries the table's "IAM calls:" line, word for word."""
    table, nb = NOTEBOOKS[name][1], cells(name)
    for i, cell in enumerate(nb):
        s = section_of_cell(cell, table)
        if s is not None:
            prose = "".join(nb[i - 1]["source"])
            assert nb[i - 1]["cell_type"] == "markdown" and s.calls_line() in prose.splitlines(), s.key


@pytest.mark.parametrize(("procedure", "table"), [(Runbook, CREATE), (Panels, CREATE), (Teardown, TEARDOWN)])
def test_every_front_end_answers_every_sections_method(procedure: type, table: tuple[Section, ...]) -> None:
    """Headless the cells get the procedure (reports), interactive the panels: the same method names."""
    missing = [s.method for s in table if not callable(getattr(procedure, s.method, None))]
    assert missing == []


def test_a_failed_cell_is_named_by_its_sections_tag_not_by_a_heading() -> None:
    nb = cells("create")
    mfa = next(i for i, c in enumerate(nb) if section_of_cell(c) == sections.section("mfa"))
    assert failed_section(nb, mfa) == "6 MFA"
    renamed = [{**c, "source": ["## a heading someone renamed"]} if c["cell_type"] == "markdown" else c for c in nb]
    assert failed_section(renamed, mfa) == "6 MFA"
    assert failed_section(nb, 0) == "parameters"
    assert failed_section(cells("delete"), len(cells("delete")) - 1, TEARDOWN) == "4 Verify"


def test_step_lines_go_through_logging_for_each_front_end_to_show(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="runbook_lib.steps"):
        sections.progress("mfa", "enabled")
        sections.progress("remove", "3 removal(s) made", TEARDOWN)
    assert [r.getMessage() for r in caplog.records] == ["step 6 MFA: enabled", "step 3 Remove: 3 removal(s) made"]
    assert [getattr(r, "section", None) for r in caplog.records] == ["mfa", "remove"]


# --- the calls each section makes, as the call log records them ---------------------------------------


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def calls_by_section(procedure: Any, table: tuple[Section, ...], before: int) -> dict[str, set[str]]:
    """Run each section's method in order; what the call log gained during each."""
    seen: dict[str, set[str]] = {}
    log = procedure.conn.call_log.calls
    for s in table:
        start = len(log) if s.key != "preflight" else before
        getattr(procedure, s.method)()
        seen[s.key] = {c.split(":", 1)[1] for c in log[start:]}
    return seen


VARIANTS: dict[str, dict[str, Any]] = {
    "blog": {},
    "group-cis": GROUP_VARIANT,
    "git-user": {"codecommit_user": "alice-git"},
    "defer": {"mfa_codes": "defer"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_section_makes_only_the_calls_its_table_row_names(account: Account, variant: str) -> None:
    """Fresh and re-run: every API call falls in the section that the table says makes it."""
    from runbook_lib.runbook import start

    for _run in ("fresh", "rerun"):
        run = start(account.params(**VARIANTS[variant]))
        seen = calls_by_section(run, CREATE, 0)
        for key, made in seen.items():
            assert made <= set(sections.section(key).calls), (key, made - set(sections.section(key).calls))


def test_each_teardown_section_makes_only_the_calls_its_table_row_names(account: Account) -> None:
    account.run(**GROUP_VARIANT)
    td = teardown.start({"user_name": "alice", "confirm": "alice"})
    for key, made in calls_by_section(td, TEARDOWN, 0).items():
        assert made <= set(sections.section(key, TEARDOWN).calls), (key, made)
