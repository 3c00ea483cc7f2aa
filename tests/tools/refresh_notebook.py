"""Refresh the committed notebooks' outputs from headless sandbox runs (`make notebook`).

The sources stay exactly as committed (their parameter defaults are the interactive ones); only the
outputs are taken from a papermill run with `HEADLESS`, and papermill's own metadata is dropped, so
the committed file holds no injected-parameters cell and no parameters in its metadata.

The delete notebook needs a user to remove: it runs against a sandbox served here, on which the
create procedure has just made `TEARDOWN_USER` (`teardown_account`); nbval re-runs it the same way.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import papermill

from runbook_lib.headless import CREATE as NOTEBOOK, DELETE as TEARDOWN_NOTEBOOK

# What the committed outputs were made with, and what nbval re-runs them with.
HEADLESS = {"mfa_codes": "generate"}
TEARDOWN_USER = "Administrator"
TEARDOWN_HEADLESS = {"user_name": TEARDOWN_USER, "confirm": TEARDOWN_USER}


def execute_headless(source: Path, target: Path, parameters: dict[str, Any]) -> None:
    """Run in the target's (temporary) directory: nothing of the run lands beside the package's notebook."""
    papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters,
        progress_bar=False,
        cwd=str(target.parent),
        kernel_name="python3",
    )


@contextlib.contextmanager
def teardown_account(secrets_dir: str) -> Iterator[str]:
    """A served sandbox (in `AWS_ENDPOINT_URL` for the block) holding the user a create run made."""
    from runbook_lib import sandbox
    from runbook_lib.runbook import run_headless

    served = sandbox.start()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("AWS_", "RUNBOOK_"))}
    os.environ["AWS_ENDPOINT_URL"] = served.endpoint_url
    try:
        run_headless({"user_name": TEARDOWN_USER, "mfa_codes": "generate", "secrets_dir": secrets_dir}).conn.close()
        yield served.endpoint_url
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.update(saved)
        served.stop()


def refresh(notebook: Path = NOTEBOOK) -> None:
    committed = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        executed_path = Path(tmp) / "executed.ipynb"
        secrets_dir = str(Path(tmp) / "secrets")
        if notebook.name == TEARDOWN_NOTEBOOK.name:
            with teardown_account(secrets_dir):
                execute_headless(notebook, executed_path, TEARDOWN_HEADLESS)
        else:
            execute_headless(notebook, executed_path, {**HEADLESS, "secrets_dir": secrets_dir})
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
    for path in [Path(a) for a in sys.argv[1:]] or [NOTEBOOK, TEARDOWN_NOTEBOOK]:
        refresh(path)
