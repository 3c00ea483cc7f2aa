"""nbval keeps the committed notebook's outputs true: re-run headless, they must match (sanitized)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import papermill
import pytest

from runbook_lib.headless import NOTEBOOKS
from tests.support.net import ROOT
from tests.tools.refresh_notebook import HEADLESS, NOTEBOOK, TEARDOWN_HEADLESS, TEARDOWN_NOTEBOOK, teardown_account

pytestmark = pytest.mark.slow


def nbval(notebook: Path, tmp_path: Path, parameters: dict[str, object], *flags: str) -> None:
    """Inject `parameters` as papermill would (keeping the committed outputs), then run nbval on the copy."""
    prepared = tmp_path / notebook.name
    papermill.execute_notebook(
        str(notebook), str(prepared), parameters=parameters, prepare_only=True, progress_bar=False
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags, str(prepared)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_committed_notebook_outputs_match_a_fresh_headless_run(tmp_path: Path) -> None:
    """The notebook reads as a finished tutorial, and what it shows is what a run prints today."""
    sanitize = str(ROOT / "tests" / "nbval_sanitize.cfg")
    parameters = {**HEADLESS, "secrets_dir": str(tmp_path / "secrets")}
    nbval(NOTEBOOK, tmp_path, parameters, "--nbval", "--sanitize-with", sanitize, "--nbval-cell-timeout", "120")


def test_committed_notebooks_carry_no_run_metadata_or_widget_state() -> None:
    """Papermill parameters and saved widget state are where secrets travel (papermill #416, ipywidgets #1793)."""
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert "papermill" not in nb["metadata"] and "widgets" not in nb["metadata"], path
        tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
        assert "injected-parameters" not in tags and tags.count("parameters") == 1, path
        assert all(o.get("output_type") != "error" for c in nb["cells"] for o in c.get("outputs", [])), path


def test_committed_teardown_notebook_outputs_match_a_fresh_sandbox_run(tmp_path: Path) -> None:
    """The delete notebook reads as a finished tutorial too: on a sandbox where the create run made the
    user, it reviews, removes and verifies, and shows what a run prints today."""
    sanitize = str(ROOT / "tests" / "nbval_sanitize.cfg")
    with teardown_account(str(tmp_path / "secrets")):
        nbval(TEARDOWN_NOTEBOOK, tmp_path, TEARDOWN_HEADLESS, "--nbval", "--sanitize-with", sanitize)


def test_teardown_notebook_runs_clean_under_nbval_where_the_user_is_absent(tmp_path: Path) -> None:
    """On an account without the user it reviews, removes nothing, verifies, and raises nowhere."""
    nbval(TEARDOWN_NOTEBOOK, tmp_path, {"user_name": "nobody-here"}, "--nbval-lax")
