"""Installed the way users install it (issue 12): outside the repository, from the package alone.

The commands are the README's CloudShell section, verbatim (`test_the_readme_shows_exactly_the_tested_commands`
keeps the two in step: change both together). The test runs them with $HOME in a temporary directory,
with two substitutions that stand for CloudShell's own steps: the repository is copied (not cloned:
the working tree is what is under test) to ~/first-admin, and `python3.11` is the interpreter running
this test. uv keeps its cache where it is (warm), which is the only thing the test takes from this machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.net import ROOT

# README, "Run it in AWS CloudShell": the install (after `git clone … first-admin`, from the home directory).
INSTALL = [
    "uv venv --python python3.11 ~/runbook",
    "uv pip install --python ~/runbook/bin/python -r first-admin/requirements.txt ./first-admin",
]
# README, the same section: a first run on the sandbox and its teardown, from an empty directory.
RUN_DIR = "mkdir ~/first-admin-runs && cd ~/first-admin-runs"
VERSION = "~/runbook/bin/runbook --version"
RUN = "~/runbook/bin/runbook run -p user_name Administrator"
TEARDOWN = "~/runbook/bin/runbook teardown Administrator -p confirm Administrator"
EXPORT = ["export", "--frozen", "--no-dev", "--no-emit-project"]  # what `make lock` writes to requirements.txt


def uv() -> str:
    """uv as the Makefile finds it: on PATH, or the private copy `make` installs into .uv/."""
    found = shutil.which("uv") or (str(ROOT / ".uv" / "bin" / "uv") if (ROOT / ".uv" / "bin" / "uv").exists() else None)
    if found is None:
        pytest.fail("uv is not installed: `make testenv` installs it (into .uv/ when it is not on PATH).")
    return found


def cloudshell_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Run it in AWS CloudShell", 1)[1].split("\n## ", 1)[0]


def test_the_readme_shows_exactly_the_tested_commands() -> None:
    section = cloudshell_section()
    for command in [*INSTALL, RUN_DIR, VERSION, RUN, TEARDOWN]:
        assert command in section, f"README's CloudShell section no longer shows: {command}"


def test_requirements_txt_is_the_lock_exported() -> None:
    """requirements.txt (pip, conda, CloudShell) pins exactly what uv.lock pins for running, with hashes."""
    exported = subprocess.run(
        [uv(), *EXPORT, "--no-header", "-q"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    committed = (ROOT / "requirements.txt").read_text()
    assert _pins(committed) == _pins(exported), "requirements.txt differs from uv.lock: run `make lock`"


def _pins(text: str) -> str:
    """The requirements without uv's header comment (which names the command's output file)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#")).strip()


def _source_copy(target: Path) -> None:
    """The working tree as `git clone` would give it (tracked and new files; nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not os.path.lexists(source):
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target / name, follow_symlinks=False)


def _files(directory: Path) -> dict[str, float]:
    """Every file below `directory` with its mtime; Python's own bytecode cache aside."""
    return {
        str(p.relative_to(directory)): p.lstat().st_mtime
        for p in directory.rglob("*")
        if "__pycache__" not in p.parts and not p.is_dir()
    }


@pytest.mark.slow
def test_the_wheel_installed_in_a_clean_venv_runs_and_tears_down_from_an_empty_directory(tmp_path: Path) -> None:
    """uv builds the wheel from the source and installs it (not editable) with the lock's pins, into a venv
    outside the repository; then `runbook` runs from an empty directory against its embedded sandbox."""
    home = tmp_path / "home"
    home.mkdir()
    _source_copy(home / "first-admin")
    uv_bin = Path(uv()).parent
    cache = subprocess.run([uv(), "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_", "VIRTUAL_ENV", "UV_"))}
    env.update(HOME=str(home), UV_CACHE_DIR=cache, PATH=os.pathsep.join([str(uv_bin), env.get("PATH", "")]))
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))

    def sh(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        command = re.sub(r"\bpython3\.11\b", python, command)
        return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

    for command in INSTALL:
        done = sh(command, home)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    venv_python = home / "runbook" / "bin" / "python"
    where = sh(f"{venv_python} -c 'import runbook_lib; print(runbook_lib.__file__)'", home)
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(home / "runbook"), f"not installed from a wheel into the venv: {package}"
    assert sorted(p.name for p in (package / "notebooks").glob("*.ipynb")) == [
        "create_admin_user.ipynb",
        "delete_admin_user.ipynb",
    ]

    assert sh(RUN_DIR, home).returncode == 0
    start_dir = home / "first-admin-runs"
    assert list(start_dir.iterdir()) == []
    before = {"package": _files(package), "source": _files(home / "first-admin")}

    shown = sh(VERSION, start_dir)
    assert shown.returncode == 0 and shown.stdout.strip() == f"runbook {version('runbook-first-admin')}", shown
    run = sh(RUN, start_dir)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "step 9 Verify" in run.stdout
    teardown = sh(TEARDOWN, start_dir)
    assert teardown.returncode == 0, teardown.stdout + teardown.stderr
    assert "delete_admin_user.ipynb" in teardown.stdout and "Verify: Administrator is gone" in teardown.stdout

    assert [p.name for p in start_dir.iterdir()] == ["runs"], "a run wrote beside ./runs"
    records = sorted(p.name for p in (start_dir / "runs").iterdir())
    assert len(records) == 2 and all(r.endswith(".ipynb") for r in records), records
    assert any("-Administrator-" in r for r in records)
    secrets = list((home / ".runbook-secrets").glob("*.json"))
    assert len(secrets) == 1 and str(secrets[0]) in run.stdout
    after = {"package": _files(package), "source": _files(home / "first-admin")}
    assert after == before, "a run wrote into the installed package or the source's notebooks/"
