"""The `runbook` command's own options: lab and wizard hand the rest to JupyterLab and Voila."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.net import BIN


@pytest.mark.parametrize(("command", "tool"), [("lab", "jupyterlab"), ("wizard", "voila")])
def test_lab_and_wizard_pass_options_through(command: str, tool: str) -> None:
    done = subprocess.run([str(BIN / "runbook"), command, "--version"], capture_output=True, text=True, timeout=120)
    from importlib.metadata import version

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == version(tool)


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    done = subprocess.run([str(BIN / "runbook"), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == f"runbook {version('runbook-first-admin')}\n", done


def test_other_commands_refuse_unknown_options() -> None:
    done = subprocess.run([str(BIN / "runbook"), "run", "--bogus"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr


def _embedded_sandbox_env(home: Path) -> dict[str, str]:
    """No endpoint and no AWS settings: each `runbook run` starts its own embedded sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RUNBOOK_"))}
    env["HOME"] = str(home)
    home.mkdir(exist_ok=True)
    return env


def _tree(directory: Path) -> set[tuple[str, float]]:
    """Every file below `directory` with its mtime, Python's bytecode cache aside."""
    return {
        (str(p.relative_to(directory)), p.stat().st_mtime)
        for p in directory.rglob("*")
        if "__pycache__" not in p.parts and not p.is_dir()
    }


@pytest.mark.slow
def test_concurrent_runs_each_finish_and_report_only_their_own_secrets_file(tmp_path: Path) -> None:
    """Issue 13 item 4: runs at once on one machine share nothing (kernel sockets, secrets files).

    The three runs share one secrets directory, the worst case for matching files by time; each must
    name exactly the one file its own kernel wrote, and write nothing beside the package or notebooks/.
    """
    import runbook_lib

    package = Path(runbook_lib.__file__).parent
    before = _tree(package)
    start_dir, secrets_dir = tmp_path / "start", tmp_path / "secrets"
    start_dir.mkdir()
    env = _embedded_sandbox_env(tmp_path / "home")
    names = ["alice", "bob", "carol"]
    procs = {
        name: subprocess.Popen(
            [str(BIN / "runbook"), "run", "-p", "user_name", name, "-p", "secrets_dir", str(secrets_dir)],
            cwd=start_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in names
    }
    outputs = {name: proc.communicate(timeout=600)[0] for name, proc in procs.items()}
    reported = {}
    for name, proc in procs.items():
        assert proc.returncode == 0, outputs[name]
        files = [
            Path(line.rsplit(": ", 1)[1])
            for line in outputs[name].splitlines()
            if line.startswith("runbook: secrets file")
        ]
        assert len(files) == 1, f"{name} reported {files}"
        assert json.loads(files[0].read_text())["user_name"] == name, f"{name} reported another run's file"
        reported[name] = files[0]
    assert sorted(secrets_dir.glob("*.json")) == sorted(reported.values())
    records = sorted(p.name for p in (start_dir / "runs").glob("*.ipynb"))
    assert len(records) == 3 and all(any(n in r for r in records) for n in names), records
    assert _tree(package) == before, "a run wrote into the package (or notebooks/)"
    assert sorted(p.name for p in start_dir.iterdir()) == ["runs"]


def test_lab_opens_the_checkouts_notebooks_or_a_kept_copy_of_an_installed_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JupyterLab saves what it opens: from an installed package it opens a copy below the start directory."""
    from runbook_lib import cli

    assert cli.lab_notebooks(tmp_path) == cli.CHECKOUT_NOTEBOOKS, "in a checkout: notebooks/, where readers look"
    assert list(tmp_path.iterdir()) == []

    monkeypatch.setattr(cli, "CHECKOUT_NOTEBOOKS", tmp_path / "no-checkout" / "notebooks")  # as when installed
    copy = cli.lab_notebooks(tmp_path)
    assert copy == tmp_path / "runbook-notebooks"
    assert sorted(p.name for p in copy.iterdir()) == ["create_admin_user.ipynb", "delete_admin_user.ipynb"]
    (copy / "create_admin_user.ipynb").write_text("{}")  # the person's work
    cli.lab_notebooks(tmp_path)
    assert (copy / "create_admin_user.ipynb").read_text() == "{}", "an existing copy was overwritten"
