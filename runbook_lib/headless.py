"""Headless execution: one notebook run with papermill, in a kernel of its own, one line per step.

A front end (`runbook run`, `runbook teardown`, terminal mode) calls `execute`. Each run gets a run id
and a private kernel: its connection file and IPC sockets live in a 0700 temporary directory that goes
away with the run, so runs at once on one machine share nothing, and a run writes nothing into the
package or `notebooks/`. The kernel works in the directory where the command was started, knows it as
$RUNBOOK_START_DIR, and records its run id ($RUNBOOK_RUN_ID) in the user's secrets file it adds to, which
is how the run reports exactly the files it wrote.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .params import parse
from .secrets import RUN_ID_ENV, START_DIR_ENV, files_of_run

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
CREATE = NOTEBOOKS / "create_admin_user.ipynb"
DELETE = NOTEBOOKS / "delete_admin_user.ipynb"
# IPython keeps every cell it runs (the parameters cell too) in a history database; a run keeps none.
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _StepLines(logging.Handler):
    """Print only the runbook's own step lines out of papermill's cell-output log."""

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            if line.startswith("▶ "):
                print(line[2:], flush=True)


def _start_sandbox_beside_kernel() -> Any:
    """Start the sandbox in this process while the kernel starts: the two overlap."""
    port = _free_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    holder: dict[str, Any] = {}

    def serve() -> None:
        from . import sandbox

        holder["sandbox"] = sandbox.start(port=port)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread, holder


@contextmanager
def kernel(run_id: str, start_dir: Path) -> Iterator[Any]:
    """A python3 kernel for one run, launched before papermill is imported so that it boots meanwhile.

    IPC sockets, not TCP ports on 127.0.0.1: nothing else on the machine can reach the kernel. They and
    the connection file are in a private temporary directory (mkdtemp: 0700), removed when the run
    ends. papermill gets the kernel as `km`; nbclient runs on the same per-thread event loop as
    `run_sync` here.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    with tempfile.TemporaryDirectory(prefix="runbook-kernel-") as private:
        manager = AsyncKernelManager(
            kernel_name="python3",
            transport="ipc",
            connection_file=os.path.join(private, "kernel.json"),
            ip=os.path.join(private, "ipc"),
        )
        env = {**os.environ, RUN_ID_ENV: run_id, START_DIR_ENV: str(start_dir)}
        run_sync(manager.start_kernel)(cwd=str(start_dir), env=env, extra_arguments=list(KERNEL_ARGUMENTS))
        try:
            yield manager
        finally:
            # Kill it: the last cell has run, and a graceful shutdown would only wait for an idle kernel.
            run_sync(manager.shutdown_kernel)(now=True)


def _import_papermill() -> Any:
    """papermill, without the 1.2 s that jsonschema spends building rfc3987-syntax's IRI parsers.

    nbformat validates notebooks with jsonschema, whose format checkers import rfc3987_syntax (about
    35 Lark grammars built at import time). No notebook schema uses the `iri` format, and jsonschema
    leaves that checker out when the module cannot be imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill

    return papermill


def execute(
    raw: dict[str, Any],
    *,
    html: bool = False,
    output_dir: Path | None = None,
    notebook: Path = CREATE,
    run_id: str | None = None,
) -> int:
    """Run the notebook headless with papermill and report where the record and this run's secrets are.

    The record goes to `output_dir` (default: ./runs of the directory the command was started in).
    """
    params = parse(raw)
    run_id = run_id or new_run_id()
    start_dir = Path.cwd()
    output_dir = (output_dir or Path("runs")).absolute()
    sandbox_thread = None
    if params.target == "sandbox" and not os.environ.get("AWS_ENDPOINT_URL"):
        sandbox_thread, holder = _start_sandbox_beside_kernel()
    try:
        with kernel(run_id, start_dir) as km:
            papermill = _import_papermill()
            from papermill.exceptions import PapermillExecutionError

            output_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            output = output_dir / f"{stamp}-{params.user_name}-{run_id}.ipynb"
            logger = logging.getLogger("papermill")
            logger.setLevel(logging.INFO)
            logger.propagate = False
            if not any(isinstance(h, _StepLines) for h in logger.handlers):
                logger.addHandler(_StepLines())
            print(f"runbook: running {notebook.name} on {params.target} as user {params.user_name}", flush=True)
            try:
                papermill.execute_notebook(
                    str(notebook),
                    str(output),
                    parameters=raw,
                    log_output=True,
                    progress_bar=False,
                    cwd=str(start_dir),
                    kernel_name="python3",
                    km=km,
                )
            except PapermillExecutionError as exc:
                step = _section_of(output, exc.cell_index, notebook)
                print(f"runbook: failed at step {step}: {exc.ename}: {exc.evalue}", file=sys.stderr)
                print(f"runbook: the executed notebook is {output}", file=sys.stderr)
                return 1
    finally:
        if sandbox_thread is not None:
            sandbox_thread.join(timeout=30)
            if "sandbox" in holder:
                holder["sandbox"].stop()
            os.environ.pop("AWS_ENDPOINT_URL", None)
    print(f"runbook: done. Executed notebook: {output}")
    for path in secrets_files(Path(params.secrets_dir).expanduser(), run_id):
        print(f"runbook: secrets file (mode 0600, not printed): {path}")
    if html:
        print(f"runbook: HTML record: {export_html(output)}")
    return 0


def secrets_files(directory: Path, run_id: str) -> list[Path]:
    """The secrets files run `run_id` wrote to: each user's file lists the runs that added to it."""
    return files_of_run(str(directory), run_id) if directory.is_dir() else []


def _section_of(executed: Path, cell_index: int, source: Path) -> str:
    """The section of the failed cell, by its `section:<key>` tag (never by headings or cell source).

    The tags are read from the executed record; their table is that of the notebook that ran (`source`),
    since the record's own name (`<time>-<user>-<run id>`) says nothing of which notebook it was.
    """
    import nbformat

    from . import sections

    table = sections.NOTEBOOKS[source.stem]
    cells = nbformat.read(executed, as_version=4).cells  # type: ignore[no-untyped-call]
    # papermill puts its error banner on top of the saved notebook; cell_index counts without it.
    cells = [c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    return sections.failed_section(cells, cell_index, table)


def export_html(notebook: Path) -> Path:
    """A self-contained HTML page of the executed notebook (nbconvert), the record to file."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(embed_images=True).from_filename(str(notebook))  # type: ignore[no-untyped-call]
    target = notebook.with_suffix(".html")
    target.write_text(body)
    return target
