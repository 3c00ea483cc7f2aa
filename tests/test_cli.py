"""The `runbook` command's own options: lab and wizard hand the rest to JupyterLab and Voila."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.net import BIN


@pytest.mark.parametrize(("command", "tool"), [("lab", "jupyterlab"), ("wizard", "voila")])
def test_lab_and_wizard_pass_options_through(command: str, tool: str) -> None:
    done = subprocess.run([str(BIN / "runbook"), command, "--version"], capture_output=True, text=True, timeout=120)
    from importlib.metadata import version

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == version(tool)


def test_other_commands_refuse_unknown_options() -> None:
    done = subprocess.run([str(BIN / "runbook"), "run", "--bogus"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unrecognized arguments: --bogus" in done.stderr
