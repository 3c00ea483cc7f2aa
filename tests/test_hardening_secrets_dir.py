"""Secrets directories are checked, never repaired (issue 13, item 5).

A relative `secrets_dir` means a place under the directory the command was started in
($RUNBOOK_START_DIR, else the process's cwd), never under notebooks/. An existing directory whose
owner or mode lets someone else in, one below a directory others can write, or one inside a git work
tree that git does not ignore, is refused with the reason and the fix, and left as it was. What the
run creates is 0700 at every level.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_lib import secrets
from runbook_lib.errors import InputError
from runbook_lib.params import parse


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def refused(path: Path | str, *reasons: str) -> InputError:
    """Refused by the run (ensure_private_dir) and, before papermill, by parse; nothing changed."""
    target = Path(path)
    before = (target.exists(), target.exists() and mode(target), target.exists() and target.stat().st_uid)
    with pytest.raises(InputError) as caught:
        secrets.ensure_private_dir(target)
    err = caught.value
    assert err.parameter == "secrets_dir" and err.fix and "secrets_dir" in str(err)
    for reason in reasons:
        assert reason in str(err), str(err)
    with pytest.raises(InputError):
        parse({"secrets_dir": str(path)})
    after = (target.exists(), target.exists() and mode(target), target.exists() and target.stat().st_uid)
    assert after == before, "a refused directory is left exactly as it was"
    return err


@pytest.fixture
def start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A command started in `start/`, whose kernel runs in `notebooks/` (as papermill's does)."""
    (tmp_path / "start").mkdir(mode=0o700)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setenv("RUNBOOK_START_DIR", str(tmp_path / "start"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield tmp_path / "start"


@pytest.mark.parametrize("relative", ["secrets", "my/secrets", "./s", "../start/s2"])
def test_a_relative_secrets_dir_resolves_against_the_directory_the_command_started_in(
    start: Path, relative: str
) -> None:
    made = secrets.ensure_private_dir(Path(relative))
    assert made == (start / relative).resolve() and made.is_dir()
    assert not any((start.parent / "notebooks").iterdir()), "nothing under the kernel's cwd (notebooks/)"
    assert parse({"secrets_dir": relative}).secrets_dir == str((start / relative).resolve())
    assert secrets.SecretsFile.for_run(relative, "alice").directory == made


def test_without_a_start_dir_a_relative_secrets_dir_resolves_against_the_cwd(
    start: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNBOOK_START_DIR")
    monkeypatch.chdir(start)
    assert secrets.ensure_private_dir(Path("here")) == start / "here"


@pytest.mark.parametrize(
    "bits", [0o755, 0o750, 0o705, 0o710, 0o701, 0o770, 0o777, 0o1777, 0o2770], ids=lambda bits: f"{bits:04o}"
)
def test_an_existing_directory_others_can_enter_is_refused_and_its_mode_left_alone(start: Path, bits: int) -> None:
    """`-p secrets_dir /tmp` used to chmod /tmp to 0700 for everyone."""
    shared = start / "shared"
    shared.mkdir()
    os.chmod(shared, bits)
    err = refused(shared, f"{stat.S_IMODE(bits) & 0o777:o}", "chmod 700")
    assert mode(shared) == stat.S_IMODE(bits)
    assert "others" in err.message or "group" in err.message


def test_an_existing_directory_owned_by_someone_else_is_refused(start: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = start / "theirs"
    theirs.mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(theirs, 65534, 65534)  # root can make it really someone else's
    else:
        monkeypatch.setattr(os, "getuid", lambda: os.stat(theirs).st_uid + 1)
    refused(theirs, "belongs to", "a directory of your own")


def test_a_directory_below_one_that_others_can_write_is_refused(start: Path) -> None:
    """Whoever can write the parent can swap the secrets directory for their own."""
    open_parent = start / "open"
    open_parent.mkdir()
    os.chmod(open_parent, 0o777)
    refused(open_parent / "secrets", str(open_parent), "others")
    (open_parent / "existing").mkdir(mode=0o700)
    refused(open_parent / "existing", str(open_parent))


def test_below_a_sticky_shared_directory_like_tmp_a_new_private_directory_is_fine(start: Path) -> None:
    sticky = start / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    assert mode(secrets.ensure_private_dir(sticky / "mine")) == 0o700


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o002, 0o077, 0o277], ids=lambda umask: f"umask-{umask:03o}")
def test_every_level_the_run_creates_is_0700(start: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        secrets.ensure_private_dir(start / "a" / "b" / "c")
    finally:
        os.umask(old)
    assert [mode(start / p) for p in ("a", "a/b", "a/b/c")] == [0o700, 0o700, 0o700]


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(start: Path) -> Path:
    """A git work tree, as the runbook's own checkout is."""
    work = start / "checkout"
    work.mkdir(mode=0o700)
    git("init", "-q", ".", cwd=work)
    (work / "notebooks").mkdir(mode=0o700)
    return work


@pytest.mark.parametrize("where", ["secrets", "notebooks/secrets", "notebooks", "."])
def test_a_directory_inside_a_git_work_tree_and_not_ignored_is_refused(repo: Path, where: str) -> None:
    refused(repo / where, str(repo), ".gitignore")


def test_an_existing_private_directory_in_the_work_tree_is_refused_too(repo: Path) -> None:
    (repo / "kept").mkdir(mode=0o700)
    refused(repo / "kept", "not ignored by git")


def test_the_issues_example_a_relative_dir_from_the_kernels_cwd_inside_the_checkout_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a start dir the kernel's cwd is notebooks/ in the checkout: refused, not created there."""
    monkeypatch.delenv("RUNBOOK_START_DIR")
    monkeypatch.chdir(repo / "notebooks")
    refused(Path("secrets"), "not ignored by git")
    assert not (repo / "notebooks" / "secrets").exists()


@pytest.mark.parametrize("pattern", ["secrets/", "/secrets", "secrets", "*"])
def test_a_directory_git_ignores_is_accepted(repo: Path, pattern: str) -> None:
    (repo / ".gitignore").write_text(pattern + "\n")
    assert mode(secrets.ensure_private_dir(repo / "secrets")) == 0o700


def test_with_git_missing_a_directory_inside_what_looks_like_a_work_tree_is_refused(
    repo: Path, start: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (repo / ".gitignore").write_text("secrets/\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    refused(repo / "secrets", "git", str(repo))
    assert mode(secrets.ensure_private_dir(start / "outside")) == 0o700, "outside any work tree: fine"


def test_git_environment_variables_do_not_hide_the_work_tree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo))
    refused(repo / "secrets", "not ignored by git")


def test_a_file_where_the_directory_should_be_is_refused(start: Path) -> None:
    (start / "file").write_text("")
    refused(start / "file", "not a directory")
    refused(start / "file" / "below", "secrets_dir")


def test_a_good_existing_directory_is_used_as_it_is(start: Path) -> None:
    mine = start / "mine"
    mine.mkdir(mode=0o700)
    (mine / "old.json").write_text("{}")
    assert secrets.ensure_private_dir(mine) == mine and (mine / "old.json").exists()
    assert parse({"secrets_dir": str(mine)}).secrets_dir == str(mine)
