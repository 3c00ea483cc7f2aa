"""The peer suite's judge (`make peer`): what counts as an intended divergence, and the README's copy of the list.

The run itself (moto's tests against a served sandbox) is `make peer`; these check the rules it applies.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tests.peer import run
from tests.peer.run import Divergence, Divergences, Sdist

FAILS = "(PasswordPolicyViolation) when calling the CreateLoginProfile operation"


def listed(*tests: str, failure: str = FAILS, rule: str = "IAM's default password policy") -> Divergences:
    return Divergences([Divergence(list(tests), [failure], rule, "https://docs.aws.amazon.com/x")], {})


def outcome(state: str, reason: str = "") -> dict[str, str]:
    return {"outcome": state, "reason": reason}


def test_listed_failures_are_intended_and_the_run_passes() -> None:
    v = run.compare({"a": outcome("failed", "An error occurred " + FAILS), "b": outcome("passed")}, listed("a"))
    assert v.ok and v.intended == ["a"] and (v.passed, v.failed) == (1, 1)


def test_a_failure_nobody_listed_fails_the_run() -> None:
    v = run.compare({"a": outcome("failed", FAILS), "b": outcome("failed", "KeyError: 'x'")}, listed("a"))
    assert not v.ok and v.unexpected == ["b: KeyError: 'x'"]


def test_a_listed_divergence_that_passes_fails_the_run() -> None:
    v = run.compare({"a": outcome("passed")}, listed("a"))
    assert not v.ok and v.now_passing == ["a"]


def test_a_listed_test_failing_for_another_reason_is_not_the_divergence() -> None:
    v = run.compare({"a": outcome("failed", "AssertionError: 1 != 2")}, listed("a"))
    assert not v.ok and v.unexpected and not v.intended


@pytest.mark.parametrize("state", ["skipped", None])
def test_a_listed_test_that_did_not_run_fails_the_run(state: str | None) -> None:
    outcomes = {} if state is None else {"a": outcome(state, "needs docker")}
    assert run.compare(outcomes, listed("a")).not_run


def test_every_divergence_names_its_rule() -> None:
    v = run.compare({"a": outcome("failed", FAILS)}, listed("a", rule=""))
    assert not v.ok and v.unexplained == ["a: no rule"]


def test_update_keeps_known_rules_drops_what_passes_and_adds_new_failures_without_a_rule() -> None:
    old = listed("a", "b")
    new = run.updated(
        {"a": outcome("failed", FAILS), "b": outcome("passed"), "c": outcome("failed", "ValueError: x\nmore")}, old
    )
    assert [(d.tests, d.rule) for d in new.entries] == [(["a"], old.entries[0].rule), (["c"], "")]
    assert new.entries[1].failure == ["ValueError: x"]
    assert not run.compare({"a": outcome("failed", FAILS), "c": outcome("failed", "ValueError: x")}, new).ok


def test_the_committed_list_is_complete_and_reads_back_as_written() -> None:
    divergences = run.load()
    assert divergences.entries and all(not d.problems() for d in divergences.entries)
    assert run.dump(divergences) == run.DIVERGENCES.read_text(encoding="utf-8")


def test_readme_shows_the_committed_list() -> None:
    """README's peer-suite table is the rendering of tests/peer/divergences.toml (`make peer UPDATE=1` writes both)."""
    readme = run.README.read_text(encoding="utf-8")
    assert run.readme_section(readme) == run.readme_table(run.load())
    for d in run.load().entries:
        assert d.rule in readme


def _sdist(tmp_path: Path) -> tuple[Sdist, bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("tests/test_iam/test_x.py", "tests/__init__.py", "tests/test_ec2/test_y.py", "moto/core.py"):
            data = b"# " + name.encode()
            info = tarfile.TarInfo(f"moto-9.9.9/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    body = buffer.getvalue()
    archive = tmp_path / "moto-9.9.9.tar.gz"
    archive.write_bytes(body)
    return Sdist("9.9.9", archive.as_uri(), hashlib.sha256(body).hexdigest()), body


def test_fetch_extracts_only_the_suites_and_what_they_import(tmp_path: Path) -> None:
    sdist, _ = _sdist(tmp_path)
    tests = run.fetch_tests(sdist, tmp_path / "cache")
    found = sorted(str(p.relative_to(tests)) for p in tests.rglob("*") if p.is_file())
    assert found == [".complete", "tests/__init__.py", "tests/test_iam/test_x.py"]
    assert run.fetch_tests(sdist, tmp_path / "cache") == tests  # cached


def test_fetch_refuses_a_package_that_does_not_match_the_lock(tmp_path: Path) -> None:
    sdist, _ = _sdist(tmp_path)
    with pytest.raises(SystemExit, match="sha256"):
        run.fetch_tests(Sdist(sdist.version, sdist.url, "0" * 64), tmp_path / "cache")


def test_the_lock_pins_the_moto_whose_tests_are_fetched() -> None:
    sdist = run.locked_moto()
    assert sdist.url.endswith(f"moto-{sdist.version}.tar.gz") and len(sdist.sha256) == 64


def test_an_entry_may_name_several_failure_reasons_and_each_test_must_show_one() -> None:
    entry = Divergences([Divergence(["a", "b"], ["Group with name", "User with name"], "rule", "src")], {})
    assert run.compare(
        {"a": outcome("failed", "+ Group with name g"), "b": outcome("failed", "+ User with name u")}, entry
    ).ok
    assert not run.compare(
        {"a": outcome("failed", "+ Group with name g"), "b": outcome("failed", "KeyError")}, entry
    ).ok
