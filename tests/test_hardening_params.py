"""Parameters are checked completely before papermill writes anything (issue 13, item 8).

Every parameter's type, every file parameter, and secret shapes at any depth: each bad value gets an
`InputError` naming the parameter and what it takes, never a raw TypeError and never the value
itself. Properties over values drawn by hypothesis; the CLI cases show nothing reaches papermill.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from runbook_lib.errors import InputError, SecretParameterError
from runbook_lib.params import CHOICES, PARAMETER_NAMES, Parameters, known_regions, parse
from tests.support.net import BIN

KINDS = typing.get_type_hints(Parameters)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MARK = "Zq"  # in every drawn value that must not be echoed


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME and start dir, and no endpoint or credential from the caller."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "RUNBOOK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RUNBOOK_START_DIR", str(tmp_path))
    return tmp_path


def refused(raw: dict[str, Any], parameter: str, *not_shown: str) -> InputError:
    try:
        parse(raw)
    except InputError as err:
        assert err.parameter == parameter and err.fix, str(err)
        for value in not_shown:
            assert value not in str(err), str(err)
        return err
    raise AssertionError(f"{parameter} was accepted")


# --- types ----------------------------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(lambda t: f"{MARK}{t}")
nested: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)


def wrong_for(kind: Any) -> st.SearchStrategy[Any]:
    """Values of a type the parameter does not take (the CLI reads `-p` values as JSON)."""
    if kind is bool:
        return nested.filter(lambda v: not isinstance(v, bool) and not isinstance(v, str))
    if kind is str:
        return nested.filter(lambda v: not isinstance(v, str))
    return nested.filter(
        lambda v: (
            not isinstance(v, str | list)
            or (isinstance(v, list) and v and not all(isinstance(p, str) and p.strip() for p in v))
        )
    )


@SETTINGS
@given(data=st.data(), name=st.sampled_from(PARAMETER_NAMES))
def test_a_value_of_the_wrong_type_is_a_clear_input_error_for_every_parameter(data: st.DataObject, name: str) -> None:
    value = data.draw(wrong_for(KINDS[name]))
    err = refused({name: value}, name, MARK)
    if not isinstance(err, SecretParameterError):
        assert "must be" in err.message, err.message


def test_the_issues_example_a_dict_as_mfa_device_name() -> None:
    err = refused({"mfa_device_name": {"a": 1}}, "mfa_device_name")
    assert "mfa_device_name must be text, not a mapping" in err.message


@pytest.mark.parametrize(
    ("name", "value", "parsed"),
    [("confirm", 111122223333, "111122223333"), ("mfa", 0, False), ("adopt", "yes", True), ("user_name", 42, "42")],
)
def test_what_the_cli_reads_as_json_is_taken_where_it_means_the_same(name: str, value: Any, parsed: Any) -> None:
    """`-p confirm 111122223333` arrives as a number; it is still the account id."""
    assert getattr(parse({name: value}), name) == parsed


# --- values never echoed --------------------------------------------------------------------------


@SETTINGS
@given(name=st.sampled_from(sorted(CHOICES)), value=texts)
def test_a_refused_choice_names_the_allowed_values_not_the_refused_one(name: str, value: str) -> None:
    assume(value not in CHOICES[name])
    err = refused({name: value}, name, value)
    assert isinstance(err, SecretParameterError) or all(choice in str(err) for choice in CHOICES[name])


@SETTINGS
@given(
    name=st.sampled_from(
        ["user_name", "group_name", "codecommit_user", "mfa_device_name", "region", "codecommit_reset"]
    ),
    value=st.text(min_size=1, max_size=30).map(lambda t: f"{MARK} {t}/"),
)
def test_no_refusal_shows_the_refused_value(name: str, value: str) -> None:
    refused({name: value}, name, value, value.strip())


# --- secret shapes, at any depth ------------------------------------------------------------------

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def grouped(seed: str) -> str:
    return " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))


def true_random(make: Callable[[random.Random], str]) -> st.SearchStrategy[str]:
    """Drawn from real randomness, as IAM draws keys and passwords."""
    return st.randoms(use_true_random=True).map(make)


def b64(r: random.Random, n: int) -> str:
    return base64.b64encode(r.randbytes(n)).decode()


def key_text(r: random.Random) -> str:
    return "".join(r.choice(B64) for _ in range(40))


seeds = st.integers(16, 64).flatmap(lambda n: st.text(st.sampled_from(B32), min_size=n, max_size=n))
SHAPES: dict[str, st.SearchStrategy[str]] = {
    "IAM's seed": seeds,
    "seed with padding": seeds.map(lambda s: s + "===="),
    "lowercase seed": true_random(lambda r: "".join(r.choice(B32) for _ in range(r.randrange(32, 65)))).map(str.lower),
    "space-grouped seed": seeds.map(grouped),
    "lowercase space-grouped seed": seeds.map(lambda s: grouped(s).lower()),
    "two codes": st.tuples(
        st.from_regex(r"[0-9]{6}", fullmatch=True),
        st.sampled_from([",", ";", " ", ", ", " , ", "-", "/", ":", "|", "\t", " ; "]),
        st.from_regex(r"[0-9]{6}", fullmatch=True),
    ).map("".join),
    "one code": st.from_regex(r"[0-9]{6}", fullmatch=True),
    "otpauth URI": seeds.map(lambda s: f"otpauth://totp/Amazon%20Web%20Services:alice@1?secret={s}&issuer=AWS"),
    "URL-encoded otpauth URI": seeds.map(lambda s: f"otpauth%3A%2F%2Ftotp%2Fa%3Fsecret%3D{s}"),
    "access key id": st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    "secret access key": true_random(key_text),
    "KEY:SECRET (access keys)": true_random(
        lambda r: "AKIA" + "".join(r.choice(B32) for _ in range(16)) + ":" + key_text(r)
    ),
    "KEY:SECRET (Git credentials)": true_random(lambda r: f"alice-at-{r.randrange(10**11, 10**12)}:{b64(r, 32)}"),
    "KEY:SECRET (a password)": st.sampled_from(["alice:Hunter2!xyz", "admin:C0rrect-Horse", "root:Pa55word+"]),
    "Git password": true_random(lambda r: b64(r, 32)),
    "session token": true_random(lambda r: b64(r, 240)),
    "URL with a password": st.sampled_from(["https://alice:Hunter2@git-codecommit.us-east-1.amazonaws.com/v1/repos/r"]),
}


def nestings(secret: str) -> st.SearchStrategy[Any]:
    """The secret alone, inside text, or at any depth of lists, tuples and dicts (as a key too)."""
    in_text = st.sampled_from(["{}", "x, {}", '["{}"]', "a={}&b=1", "{} ", "'{}'", "({})"]).map(
        lambda f: f.format(secret)
    )
    return st.recursive(
        st.just(secret) | in_text,
        lambda inner: (
            st.lists(inner, min_size=1, max_size=2).map(lambda xs: [*xs, "AdministratorAccess"])
            | inner.map(lambda x: (x,))
            | inner.map(lambda x: {"k": x})
            | st.just({secret: "value"})
        ),
        max_leaves=4,
    )


@SETTINGS
@given(data=st.data(), shape=st.sampled_from(sorted(SHAPES)), name=st.sampled_from(PARAMETER_NAMES))
def test_a_secret_of_any_shape_at_any_depth_in_any_parameter_is_refused_and_not_shown(
    data: st.DataObject, shape: str, name: str
) -> None:
    secret = data.draw(SHAPES[shape], label="secret")
    value = data.draw(nestings(secret), label="value")
    err = refused({name: value}, name, secret, secret.replace(" ", ""))
    assert isinstance(err, SecretParameterError) and "RUNBOOK_PASSWORD" in (err.fix or "")


@pytest.mark.parametrize("int_code", [381920, 572014])
def test_a_code_that_arrives_as_a_number_is_a_code(int_code: int) -> None:
    assert isinstance(refused({"confirm": int_code}, "confirm"), SecretParameterError)


# What real runs pass: none of it may be taken for a secret.
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "user_name": st.sampled_from(
        [
            "Administrator",
            "alice",
            "alice.admin@example.com",
            "first-admin_2024",
            "FirstAdministratorForAccount2024",
            "ops+break-glass",
            "productionadmin7",
        ]
    ),
    "group_name": st.sampled_from(["Administrators", "Admins-2024", "BillingAdmins"]),
    "region": st.sampled_from(sorted(known_regions())),
    "policies": st.lists(
        st.sampled_from(
            [
                "AdministratorAccess",
                "Billing",
                "ReadOnlyAccess",
                "IAMFullAccess",
                "AWSCodeCommitPowerUser",
                "job-function/Billing",
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            ]
        ),
        min_size=1,
    ),
    "confirm": st.from_regex(r"[0-9]{12}(/[a-z]{3,12})?", fullmatch=True),
    "codecommit_reset": st.from_regex(r"ACCA[A-Z0-9]{17}", fullmatch=True),
    "profile": st.sampled_from(["", "root-or-admin", "admin", "sso-admin", "my.profile"]),
}


@SETTINGS
@given(data=st.data())
def test_the_values_real_runs_pass_are_accepted(data: st.DataObject) -> None:
    raw = {name: data.draw(strategy, label=name) for name, strategy in GOOD.items()}
    raw["target"] = "aws"
    parsed = parse(raw)
    assert parsed.user_name == raw["user_name"] and parsed.policies == raw["policies"]


# --- files ----------------------------------------------------------------------------------------

SECRET = "Fi1e-Secret-Value!"


def secret_file(home: Path, name: str, mode: int = 0o600, content: str = SECRET + "\n") -> Path:
    path = home / name
    path.write_text(content)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("parameter", ["password_file", "mfa_codes_file"])
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "cannot be read"),
        ("a directory", "not a regular file"),
        ("0644", "0644"),
        ("0640", "0640"),
        ("0604", "0604"),
        ("0660", "0660"),
        ("0602", "0602"),
        ("someone else's", "belongs to"),
        ("empty", "is empty"),
        ("huge", "larger than"),
        ("a link to a 0644 file", "0644"),
    ],
)
def test_a_secret_file_is_checked_in_parse(
    home: Path, monkeypatch: pytest.MonkeyPatch, parameter: str, case: str, reason: str
) -> None:
    path = home / "secret.txt"
    if case == "a directory":
        path.mkdir()
    elif case.startswith("0"):
        secret_file(home, "secret.txt", int(case, 8))
    elif case == "someone else's":
        secret_file(home, "secret.txt")
        if os.getuid() == 0:
            os.chown(path, 65534, 65534)  # root can make it really someone else's
        else:
            monkeypatch.setattr(os, "getuid", lambda: path.stat().st_uid + 1)
    elif case == "empty":
        secret_file(home, "secret.txt", content="")
    elif case == "huge":
        secret_file(home, "secret.txt", content="x" * 70_000)
    elif case == "a link to a 0644 file":
        secret_file(home, "real.txt", 0o644)
        path.symlink_to(home / "real.txt")
    err = refused({parameter: str(path)}, parameter, SECRET)
    assert reason in err.message, err.message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_secret_file_is_accepted_and_resolved_from_the_start_dir(home: Path, mode: int) -> None:
    secret_file(home, "pw.txt", mode)
    assert parse({"password_file": "pw.txt"}).password_file == str(home / "pw.txt")
    assert parse({"password_file": "pw.txt"}).password_mode == "custom"


# --- through the CLI: nothing reaches papermill --------------------------------------------------


def runbook_run(home: Path, *params: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    args = [str(BIN / "runbook"), "run", "--output-dir", str(home / "runs"), "-p", "secrets_dir", str(home / "s")]
    for name, value in zip(params[::2], params[1::2], strict=True):
        args += ["-p", name, value]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=home)


@pytest.mark.slow
@pytest.mark.parametrize(
    "params",
    [
        ("mfa_device_name", '{"a": 1}'),
        ("policies", "[1, 2]"),
        ("password_file", "pw.txt"),
        ("target", "prod-Zq"),
        ("user_name", json.dumps(["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])),
    ],
    ids=["dict-device-name", "numbers-as-policies", "0644-password-file", "bad-choice", "seed-in-a-list"],
)
def test_runbook_run_refuses_before_papermill_writes_the_notebook(home: Path, params: tuple[str, str]) -> None:
    secret_file(home, "pw.txt", 0o644)
    done = runbook_run(home, *params)
    assert done.returncode == 2 and "bad input, nothing was done" in done.stderr, done.stderr
    assert f"(parameter: {params[0]})" in done.stderr and "Traceback" not in done.stderr
    assert SECRET not in done.stderr + done.stdout and "prod-Zq" not in done.stderr
    assert not (home / "runs").exists()
