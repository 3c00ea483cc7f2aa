"""The rules every front end asks the procedure (panels, terminal, headless), tested without a kernel or a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_lib import passwords
from runbook_lib.choices import Console, code_pair, console_from, console_rows, password_rules, typed_password
from runbook_lib.errors import CodeError, InputError
from runbook_lib.runbook import Runbook, start
from tests.support.faults import Account, open_account

GOOD = "Correct-Horse-9-Battery"


@pytest.mark.parametrize(
    ("first", "second"),
    [("12345", "654321"), ("123456", ""), ("12345a", "654321"), ("123 456", "654321"), ("123456,1", "654321")],
)
def test_a_code_pair_is_two_six_digit_codes_or_a_code_error_naming_mfa_codes(first: str, second: str) -> None:
    with pytest.raises(CodeError) as caught:
        code_pair(first, second)
    assert caught.value.parameter == "mfa_codes" and "six digits" in caught.value.message
    assert first not in str(caught.value) or not first


def test_a_code_pair_is_stripped_of_the_spaces_a_paste_brings() -> None:
    assert code_pair(" 123456", "654321 \n") == ("123456", "654321")


def test_an_accepted_custom_password_is_kept_only_while_custom_stays_chosen() -> None:
    accepted = Console(access=True, mode="custom", reset_required=False, password=GOOD)
    assert console_from(accepted, None, None, True).password == GOOD
    assert console_from(accepted, None, "generated", None).password is None
    assert console_from(accepted, False, None, None) == Console(False, "custom", False, GOOD)


def test_a_consoles_password_never_shows_in_its_repr() -> None:
    assert GOOD not in repr(Console(True, "custom", False, GOOD))


def test_two_fields_that_differ_are_refused_naming_the_password() -> None:
    with pytest.raises(InputError) as caught:
        typed_password(GOOD, GOOD + "x")
    assert caught.value.parameter == "password" and GOOD not in str(caught.value)
    assert typed_password(GOOD, GOOD) == GOOD and typed_password("", None) is None


def test_the_live_rules_add_both_fields_match_only_when_a_confirmation_is_typed() -> None:
    policy = passwords.PasswordPolicy()
    assert [r.rule for r in password_rules(GOOD, None, policy, "alice")][-1] == "not the same as the user name"
    assert password_rules(GOOD, GOOD, policy, "alice")[-1] == passwords.RuleResult("both fields match", True)
    assert password_rules(GOOD, "", policy, "alice")[-1] == passwords.RuleResult("both fields match", False)


def test_a_custom_password_failing_the_policy_is_refused_with_every_failed_rule() -> None:
    weak = Console(True, "custom", False, "short")
    with pytest.raises(InputError) as caught:
        console_rows(weak, passwords.CIS_POLICY, "alice")
    assert caught.value.parameter == "password"
    assert "at least 14 characters" in caught.value.message and "short" not in caught.value.message
    rows, how = console_rows(Console(True, "custom", True, GOOD + "!x"), passwords.CIS_POLICY, "alice")
    assert how == "custom password: meets every rule" and rows[-1] == ("reset at sign-in", "required")
    assert console_rows(Console(True, "generated", False), passwords.CIS_POLICY, "alice")[1].startswith("a generated")


# --- the same rules through the run, as the panels and the terminal ask them (a sandbox, no kernel) ------


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def started(account: Account, **params: object) -> Runbook:
    run = start(account.params(**params))
    run.choose_user()
    return run


def test_where_the_password_comes_from_decides_whether_a_front_end_asks(account: Account) -> None:
    assert started(account).password_source() == "generated"
    assert started(account, console_access=False).password_source() == "none"
    assert started(account, password_mode="custom").password_source() == "ask"
    account.monkeypatch.setenv("RUNBOOK_PASSWORD", GOOD)
    assert started(account, password_mode="custom").password_source() == "given"
    account.monkeypatch.delenv("RUNBOOK_PASSWORD")
    account.run()  # alice now has a console password
    assert started(account, password_mode="custom").password_source() == "kept"


def test_the_console_button_is_ready_only_for_a_choice_that_can_be_submitted(account: Account) -> None:
    run = started(account, mfa_codes="prompt")
    assert run.console_ready(True, "generated", "", "") and run.console_ready(False, "custom", "", "")
    assert not run.console_ready(True, "custom", "", "")  # nothing typed, nothing accepted
    assert not run.console_ready(True, "custom", "short", "short")
    assert not run.console_ready(True, "custom", GOOD, GOOD + "x")
    assert run.console_ready(True, "custom", GOOD, GOOD)
    run.console_access(True, "custom", False, GOOD, GOOD)
    assert run.custom_password_accepted and run.console_ready(True, "custom", "", "")  # keep the accepted one
    run.console_access(True, "generated", False)
    assert not run.custom_password_accepted and run.password is None


def test_a_panels_custom_choice_with_nothing_typed_is_refused_and_a_refused_password_is_not_kept(
    account: Account,
) -> None:
    run = started(account, mfa_codes="prompt")
    with pytest.raises(InputError) as caught:
        run.console_access(True, "custom", False)
    assert caught.value.parameter == "password" and "no password was typed" in caught.value.message
    run.console_access(True, "custom", False, GOOD, GOOD)
    with pytest.raises(InputError):
        run.console_access(True, "custom", False, "short", "short")
    assert run.password is None and not run.custom_password_accepted


def test_what_is_pending_is_the_reviewed_steps_not_yet_done_by_phase(account: Account) -> None:
    run = started(account, mfa_codes="prompt")
    run.permissions()
    run.review()
    assert [s.action for s in run.pending("mfa")] == ["CreateVirtualMFADevice", "EnableMFADevice"]
    run.create()
    run.enable_mfa()  # creates the device; enabling waits for the person's two codes
    assert [s.action for s in run.pending("mfa")] == ["EnableMFADevice"]
    with pytest.raises(CodeError):
        run.submit_codes("12345", "654321")
    assert [s.action for s in run.pending("mfa")] == ["EnableMFADevice"]
