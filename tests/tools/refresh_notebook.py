"""Refresh the committed notebook's outputs from a headless sandbox run (`make notebook`).

The sources stay exactly as committed (their parameter defaults are the interactive ones); only the
outputs are taken from a papermill run with `HEADLESS`, and papermill's own metadata is dropped, so
the committed file holds no injected-parameters cell and no parameters in its metadata.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

from runbook_lib.headless import CREATE as NOTEBOOK

# What the committed outputs were made with, and what nbval re-runs them with.
HEADLESS = {"mfa_codes": "generate"}


def execute_headless(source: Path, target: Path, secrets_dir: str) -> None:
    """Run in the target's (temporary) directory: nothing of the run lands beside the package's notebook."""
    papermill.execute_notebook(
        str(source),
        str(target),
        parameters={**HEADLESS, "secrets_dir": secrets_dir},
        progress_bar=False,
        cwd=str(target.parent),
        kernel_name="python3",
    )


def refresh(notebook: Path = NOTEBOOK) -> None:
    committed = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        executed_path = Path(tmp) / "executed.ipynb"
        execute_headless(notebook, executed_path, str(Path(tmp) / "secrets"))
        executed = nbformat.read(executed_path, as_version=4)
    cells = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert len(cells) == len(committed.cells), "the executed notebook does not match the committed one"
    for mine, ran in zip(committed.cells, cells, strict=True):
        if mine.cell_type == "code":
            mine.outputs = ran.outputs
            mine.execution_count = ran.execution_count
            mine.metadata.pop("execution", None)
            mine.metadata.pop("papermill", None)
    committed.metadata.pop("papermill", None)
    committed.metadata.pop("widgets", None)
    nbformat.write(committed, notebook)


if __name__ == "__main__":
    refresh(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOK)
