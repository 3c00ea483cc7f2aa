"""Issue 14 item 6: every fix Verify proposes can be carried out from the front end that shows it.

The panels name a control that exists in the panel they name; the terminal and a headless run print a
`runbook run` line that the command line parses back into this run's parameters plus the fix.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import checks, fixes, runbook, ui
from runbook_lib.cli import _value
from runbook_lib.params import parse
from runbook_lib.sections import CREATE
from tests.support.faults import Account, open_account


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def labels(widget: Any) -> list[str]:
    """Every label a person can read on a widget and the widgets inside it."""
    found = [str(getattr(widget, "description", "") or "")]
    found += [str(o[0] if isinstance(o, tuple) else o) for o in getattr(widget, "options", ())]
    for child in getattr(widget, "children", ()):
        found += labels(child)
    return found


def parsed(line: str) -> dict[str, Any]:
    """What `runbook run` makes of a printed line: the raw -p values."""
    words = shlex.split(line)
    assert words[:2] == ["runbook", "run"]
    pairs = words[2:]
    assert pairs[::3] == ["-p"] * (len(pairs) // 3) and len(pairs) % 3 == 0, line
    return {name: _value(value) for name, value in zip(pairs[1::3], pairs[2::3], strict=True)}


def test_every_check_verify_reports_has_a_remedy_or_is_known_to_be_manual(account: Account) -> None:
    run = account.run(until="verify")
    ids = {c.prowler for c in checks.verify(run.conn.iam, "alice")}
    assert ids == set(fixes.REMEDIES) | fixes.MANUAL
    assert not set(fixes.REMEDIES) & fixes.MANUAL
    for changes in fixes.REMEDIES.values():
        assert all(change in fixes.CONTROLS for change in changes)


def test_every_remedy_names_a_control_its_panel_has(account: Account) -> None:
    run = runbook.start(account.params(mfa_codes="prompt"))
    panels = ui.Panels(run)
    for s in CREATE:
        getattr(panels, s.method)()
    for (name, value), control in fixes.CONTROLS.items():
        shown = labels(panels.wizard.panels[control.section].box)
        assert any(control.label in label for label in shown), (name, value, control)


@pytest.mark.parametrize("front", ["headless", "terminal"])
def test_every_remedy_is_a_runbook_run_line_that_parses_back_to_this_run_with_the_fix(
    account: Account, front: fixes.Front, tmp_path: Path
) -> None:
    run = runbook.start(
        account.params(
            user_name="obrien+admin@example.com",
            policies=["AdministratorAccess", "Billing"],
            group_name="Admins,Team=1",
            secrets_dir=str(tmp_path / "my secrets"),
            mfa_codes="defer",
            codecommit=False,
            codecommit_reset="ACCAEXAMPLE1234567890",
        )
    )
    for prowler, changes in fixes.REMEDIES.items():
        check = checks.Check("x", prowler, "t", "FAIL", "d", "the check's own text")
        line = fixes.fix_text(check, front, run.params)
        raw = parsed(line)
        again = parse(raw)
        for name, value in changes:
            assert getattr(again, name) == value, line
        for name in ("user_name", "group_name", "secrets_dir", "codecommit", "policies"):
            assert getattr(again, name) == getattr(run.params, name), (name, line)
        assert "codecommit_reset" not in raw, "a one-off reset is never repeated"
        assert raw.get("mfa_codes") == ("prompt" if front == "terminal" else "defer")


def test_each_front_end_words_verifys_fixes_in_its_own_terms(account: Account) -> None:
    headless = account.run(until="verify")
    text = headless.verify().text()
    assert "Fix: runbook run -p user_name alice" in text and "-p password_policy cis" in text
    assert "-p grant_via group" in text and "Run with" not in text

    run = runbook.start(account.params(mfa_codes="prompt"))
    ui.Panels(run)
    panels_text = run.verify().text()
    assert "tick “Set the account's password policy to CIS values”" in panels_text
    assert "in 3 Permissions, choose “Add the user to a group”" in panels_text
    assert "runbook run" not in panels_text
