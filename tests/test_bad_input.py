"""Bad input: each case gets a message naming the parameter and the fix, before any write, and leaves
nothing behind (issue 6, "Bad input").

`refused` runs the procedure and checks all three: the error names a parameter and a fix, no
write call was attempted (counted on the wire, not by the runbook), and IAM holds what it held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
import pytest

from runbook_lib import mfa
from runbook_lib.errors import CodeError, ConflictError, InputError, PreflightError, RunbookError
from runbook_lib.params import parse
from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID
from tests.support.faults import Account, assert_full_end_state, holdings, merged, open_account


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Account:
    return open_account(monkeypatch, tmp_path)


def refused(
    account: Account, parameter: str, *, attempted: tuple[str, ...] = (), list_policies: bool = False, **params: Any
) -> RunbookError:
    """Run with bad input: a clear error, no write on the wire (but `attempted`), IAM unchanged."""
    before = holdings(account.iam)
    with pytest.raises(RunbookError) as caught:
        account.run(list_policies=list_policies, **params)
    err = caught.value
    assert err.parameter == parameter and err.fix, f"{type(err).__name__}: {err}"
    assert f"(parameter: {parameter})" in str(err) and "\nFix: " in str(err)
    assert tuple(account.faults.writes) == attempted, account.faults.writes
    assert holdings(account.iam) == before
    return err


def aws_credentials(account: Account) -> None:
    """Dummy keys in the environment, as a profile-less `target="aws"` run would find them."""
    account.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDUMMYKEY1")
    account.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy-secret")


# --- parameters ------------------------------------------------------------------------------------


NAMES = {"space": "has space", "empty": "", "65-characters": "x" * 65, "slash": "alice/admin", "non-ascii": "élise"}


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_an_invalid_user_name_is_refused_with_iams_naming_rule(account: Account, name: str) -> None:
    err = refused(account, "user_name", user_name=name)
    assert "1-64 characters" in (err.fix or "")
    assert account.faults.calls == []


def test_an_unknown_region_is_refused_before_any_call(account: Account) -> None:
    err = refused(account, "region", region="us-nowhere-1")
    assert "us-east-1" in (err.fix or "") and account.faults.calls == []


def test_a_secrets_directory_that_cannot_be_written_is_refused_before_any_call(
    account: Account, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    err = refused(account, "secrets_dir", secrets_dir=str(tmp_path / "a-file" / "secrets"))
    assert "cannot be written" in err.message and account.faults.calls == []


# --- the user ---------------------------------------------------------------------------------------


def test_a_name_taken_by_a_user_the_runbook_did_not_create_is_refused_and_left_untouched(account: Account) -> None:
    account.iam.create_user(UserName="alice")
    err = refused(account, "user_name")
    assert isinstance(err, ConflictError) and "adopt=True" in (err.fix or "")
    assert account.iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []
    with pytest.raises(account.iam.exceptions.NoSuchEntityException):
        account.iam.get_login_profile(UserName="alice")


# --- the password -------------------------------------------------------------------------------------

WEAK = [
    # (password policy, password, every rule it fails, as named to the user)
    ("keep", "short", ["at least 8 characters", "three of: uppercase, lowercase, digits, symbols"]),
    ("keep", "alllowercaseletters", ["three of: uppercase, lowercase, digits, symbols"]),
    ("keep", "alice", ["at least 8 characters", "three of: uppercase, lowercase, digits, symbols",
                       "not the same as the user name"]),
    ("cis", "Password1!", ["at least 14 characters"]),
    ("cis", "onlylowercaseletters", ["at least one uppercase", "at least one digit", "at least one symbol"]),
]  # fmt: skip


@pytest.mark.parametrize(("policy", "password", "failed"), WEAK, ids=[f"{p}-{w}" for p, w, _ in WEAK])
def test_a_weak_password_is_refused_naming_each_failed_rule(
    account: Account, policy: str, password: str, failed: list[str]
) -> None:
    account.monkeypatch.setenv("RUNBOOK_PASSWORD", password)
    err = refused(account, "password", password_mode="custom", password_policy=policy)
    named = err.message.split(": ", 1)[1].rstrip(".").split("; ")
    assert named == failed
    assert password not in str(err)


def test_a_password_that_differs_from_its_confirmation_is_refused(account: Account) -> None:
    run = account.run(until="user", password_mode="custom")
    with pytest.raises(InputError) as caught:
        run.console_access(password="Correct-Horse-9-Battery", confirm="Correct-Horse-9-Batery")
    assert caught.value.parameter == "password" and "same password" in (caught.value.fix or "")
    assert account.faults.writes == [] and holdings(account.iam).empty


def test_a_custom_password_mode_without_a_password_is_refused(account: Account) -> None:
    err = refused(account, "password_mode", password_mode="custom")
    assert "RUNBOOK_PASSWORD" in (err.fix or "")


# --- policies ------------------------------------------------------------------------------------------


def test_an_unknown_policy_name_is_refused(account: Account) -> None:
    err = refused(account, "policies", policies=["AdministratorAcces"])
    assert "AdministratorAcces" in err.message


def test_a_policy_search_matching_several_policies_lists_them_and_asks_for_the_exact_name(account: Account) -> None:
    err = refused(account, "policies", policies=["ReadOnly"])
    assert "matches" in err.message and "ReadOnlyAccess" in err.message and "exact policy name" in (err.fix or "")


# --- MFA codes -----------------------------------------------------------------------------------------

now = mfa.current_codes  # the two codes an authenticator shows now: the previous window's and the current one's


def later(seed: str) -> tuple[str, str]:
    """Two consecutive codes from ten minutes ahead: a phone whose clock is off."""
    import time

    return mfa.current_codes(seed, time.time() + 600)


def typo(seed: str) -> tuple[str, str]:
    first, second = now(seed)
    return f"{(int(first) + 1) % 10**6:06d}", second


BAD_CODES = {
    "typo": typo,
    "swapped": lambda seed: tuple(reversed(now(seed))),
    "same": lambda seed: (now(seed)[1], now(seed)[1]),  # a reused code: the same one twice
    "skew": later,
}


@pytest.mark.parametrize("verdict", BAD_CODES)
def test_wrong_swapped_or_reused_mfa_codes_are_refused_before_enable_and_the_device_stays_usable(
    account: Account, verdict: str
) -> None:
    """Checked against the seed before EnableMFADevice, which IAM would answer InvalidAuthenticationCode."""
    run = account.run(mfa_codes="prompt", until="mfa")  # the panel flow: the device waits for two codes
    assert run.applied.device is not None and run.applied.device.seed is not None
    codes = BAD_CODES[verdict](run.applied.device.seed)

    with pytest.raises(CodeError) as caught:
        run.submit_codes(*codes)

    assert caught.value.parameter == "mfa_codes" and str(caught.value).startswith(mfa.MESSAGES[verdict])  # type: ignore[index]
    assert "EnableMFADevice" not in account.faults.calls
    assert holdings(account.iam).unassigned_devices == (run.applied.device.serial,)
    run.submit_codes(*now(run.applied.device.seed))
    held = holdings(account.iam)
    assert held.assigned_devices == (run.applied.device.serial,) and held.unassigned_devices == ()


def test_wrong_deferred_mfa_codes_are_refused_and_the_delivered_device_is_reused_with_right_ones(
    account: Account,
) -> None:
    """defer: the seed goes to the secrets file; the codes come in a later run. IAM checks them there."""
    account.run(mfa_codes="defer")
    (pending,) = holdings(account.iam).unassigned_devices
    seed = merged(account.secrets())["mfa_seed"]
    first, second = typo(seed)
    account.monkeypatch.setenv("RUNBOOK_MFA_CODES", f"{first},{second}")

    with pytest.raises(CodeError) as caught:
        account.run(mfa_codes="defer")

    assert caught.value.parameter == "mfa_codes" and "new consecutive codes" in (caught.value.fix or "")
    assert holdings(account.iam).unassigned_devices == (pending,)
    account.monkeypatch.setenv("RUNBOOK_MFA_CODES", ",".join(now(seed)))
    finished = account.run(mfa_codes="defer")
    assert finished.conn.call_log.writes == ["iam:EnableMFADevice", "iam:CreateServiceSpecificCredential"]
    assert_full_end_state(account)


# --- CodeCommit ------------------------------------------------------------------------------------------


def test_the_codecommit_limit_of_two_already_reached_offers_reset_or_skip(account: Account) -> None:
    """IAM allows two service-specific credentials per user and service (LimitExceeded beyond)."""
    account.iam.create_user(UserName="alice")
    ids = [
        account.iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")[
            "ServiceSpecificCredential"
        ]["ServiceSpecificCredentialId"]
        for _ in range(2)
    ]
    err = refused(account, "codecommit", adopt=True)
    assert "codecommit_reset" in (err.fix or "") and "codecommit=False" in (err.fix or "")
    assert all(i in (err.fix or "") for i in ids)

    reset = account.run(adopt=True, codecommit_reset=ids[0])
    assert reset.conn.call_log.writes[-1] == "iam:ResetServiceSpecificCredential"
    listed = account.iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"]
    assert sorted(c["ServiceSpecificCredentialId"] for c in listed) == sorted(ids)


def test_a_credential_id_that_happens_to_look_like_base32_is_not_taken_for_a_secret() -> None:
    """A service-specific credential id is ACCA and 17 of A-Z0-9: one in seven has no 0, 1, 8 or 9."""
    assert parse({"codecommit_reset": "ACCAQWERTYUIOPASDFGHJ"}).codecommit_reset == "ACCAQWERTYUIOPASDFGHJ"


# --- credentials, permissions, target ---------------------------------------------------------------------


def test_no_credentials_at_all_is_refused_before_any_call(account: Account) -> None:
    err = refused(account, "profile", target="aws")
    assert isinstance(err, PreflightError) and "No AWS credentials" in err.message
    assert account.faults.calls == []


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId"])
def test_expired_or_rejected_credentials_are_refused_with_how_to_refresh_them(account: Account, code: str) -> None:
    aws_credentials(account)
    account.faults.answer("GetCallerIdentity", code, 1, status=403)
    err = refused(account, "profile", target="aws")
    assert code in err.message and "aws sso login" in (err.fix or "")


DENIED = ["ListAccountAliases", "GetAccountPasswordPolicy", "GetAccountSummary", "GetUser", "GetPolicy"]


@pytest.mark.parametrize("action", [*DENIED, "CreateUser"])
def test_a_caller_lacking_a_permission_is_told_the_missing_iam_action(account: Account, action: str) -> None:
    """IAM answers AccessDenied (HTTP 403); the message names `iam:<Action>`, the policy's own word."""
    account.faults.deny(action)
    attempted = ("CreateUser",) if action == "CreateUser" else ()
    err = refused(account, "profile", attempted=attempted, list_policies=action == "GetPolicy")
    assert isinstance(err, PreflightError) and f"iam:{action}" in str(err)


def test_target_aws_without_confirmation_is_refused_after_review_and_names_the_account(account: Account) -> None:
    aws_credentials(account)
    err = refused(account, "confirm", target="aws")
    assert SANDBOX_ACCOUNT_ID in err.message and f"confirm={SANDBOX_ACCOUNT_ID!r}" in (err.fix or "")
    refused(account, "confirm", target="aws", confirm="210987654321")
    account.run(target="aws", confirm=SANDBOX_ACCOUNT_ID)
    assert_full_end_state(account)


def test_each_refusal_above_leaves_a_later_good_run_free_to_finish(account: Account) -> None:
    """Nothing a refused run did stands in the way: the same account then takes a full run."""
    account.monkeypatch.setenv("RUNBOOK_PASSWORD", "short")
    refused(account, "password", password_mode="custom")
    refused(account, "policies", policies=["ReadOnly"])
    account.monkeypatch.delenv("RUNBOOK_PASSWORD")
    account.run()
    assert_full_end_state(account)
    assert pyotp.TOTP(merged(account.secrets())["mfa_seed"]).now()
