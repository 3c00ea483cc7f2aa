"""The kernels `runbook lab` and `runbook wizard` start load the runbook while they wait (issue 14 item 8).

$PYTHONSTARTUP points at `jupyter/kernel_startup`; IPython runs it in the notebook's namespace as a
kernel starts. It must leave that namespace as it found it, and `start` waits for its thread.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from runbook_lib import cli, notebook


def test_lab_and_the_wizard_point_pythonstartup_at_the_warm_up_unless_the_person_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    assert cli._start_dir_env()["PYTHONSTARTUP"] == str(cli.KERNEL_STARTUP)
    monkeypatch.setenv("PYTHONSTARTUP", "/home/someone/.pythonrc")
    assert cli._start_dir_env()["PYTHONSTARTUP"] == "/home/someone/.pythonrc"


def test_the_startup_file_loads_the_runbook_in_a_thread_and_binds_no_name() -> None:
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(cli.KERNEL_STARTUP.read_text(), str(cli.KERNEL_STARTUP), "exec"), namespace)
    assert set(namespace) == {"__name__", "__builtins__"}
    assert any(t.name == notebook.WARM_UP for t in threading.enumerate()) or "runbook_lib.ui" in sys.modules
    notebook.warmed()
    assert "runbook_lib.ui" in sys.modules and not any(t.name == notebook.WARM_UP for t in threading.enumerate())


def test_a_kernel_started_so_has_the_runbook_loaded_before_its_first_cell(tmp_path: Path) -> None:
    """A real IPython kernel with $PYTHONSTARTUP set: the panels' modules are in before any cell asks."""
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "PYTHONSTARTUP": str(cli.KERNEL_STARTUP), "HOME": str(tmp_path)}
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        code = (
            "import sys, threading\n"
            "[t.join() for t in threading.enumerate() if t.name == 'runbook-warm-up']\n"
            "wanted = ('runbook_lib.ui', 'ipywidgets', 'botocore.session', 'qrcode')\n"
            "print(sorted(m for m in wanted if m in sys.modules))"
        )
        printed: list[str] = []
        client.execute_interactive(
            code, timeout=120, output_hook=lambda m: printed.append(m["content"].get("text", ""))
        )
        assert "".join(printed).strip() == "['botocore.session', 'ipywidgets', 'qrcode', 'runbook_lib.ui']"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
