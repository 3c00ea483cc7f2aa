"""The `runbook` command: a thin layer that parses options and calls the package.

`runbook run` executes the notebook with papermill, streaming one line per step; `runbook sandbox`
serves the sandbox; `runbook lab` and `runbook wizard` open the notebook for a person.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import RunbookError
from .params import parse

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CREATE = NOTEBOOKS / "create_admin_user.ipynb"
DELETE = NOTEBOOKS / "delete_admin_user.ipynb"
WIZARD_TEMPLATES = Path(__file__).resolve().parent / "jupyter"


def _value(text: str) -> Any:
    """`-p name value`: JSON where it parses (lists, booleans, numbers), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        if text in ("True", "False"):
            return text == "True"
        return text


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
    """Start the sandbox in this process while papermill starts the kernel: the two overlap."""
    port = _free_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    holder: dict[str, Any] = {}

    def serve() -> None:
        from . import sandbox

        holder["sandbox"] = sandbox.start(port=port)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread, holder


def cmd_run(args: argparse.Namespace) -> int:
    raw = {name: _value(value) for name, value in args.parameter}
    raw.setdefault("mfa_codes", "generate")
    try:
        params = parse(raw)
    except RunbookError as exc:
        print(f"runbook: bad input, nothing was done.\n{exc}", file=sys.stderr)
        return 2
    if params.mfa_codes == "prompt":
        if not sys.stdin.isatty():
            print("runbook: mfa_codes=prompt needs a terminal (or use the notebook); "
                  "headless runs use 'generate' or 'defer'.", file=sys.stderr)  # fmt: skip
            return 2
        from .terminal import run_in_terminal

        return run_in_terminal(args, raw)
    return execute(raw, html=args.html, output_dir=Path(args.output_dir))


def _start_kernel() -> Any:
    """Launch the notebook's kernel before papermill is imported, so that it boots (its own process) meanwhile.

    papermill gets it as `km`; nbclient runs on the same per-thread event loop as `run_sync` here.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    # IPC sockets in a private runtime directory, not TCP ports on 127.0.0.1: nothing else on the
    # machine can reach the kernel, and ipykernel has no reason to warn about plain-text TCP.
    kernel = AsyncKernelManager(kernel_name="python3", transport="ipc")
    run_sync(kernel.start_kernel)(cwd=str(NOTEBOOKS))
    return kernel


def _stop_kernel(kernel: Any) -> None:
    """Kill it: the last cell has run, and a graceful shutdown would only wait for an idle kernel."""
    from jupyter_core.utils import run_sync

    run_sync(kernel.shutdown_kernel)(now=True)


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
    raw: dict[str, Any], *, html: bool = False, output_dir: Path = ROOT / "runs", notebook: Path = CREATE
) -> int:
    """Run the notebook headless with papermill and report where the record and the secrets are."""
    params = parse(raw)
    sandbox_thread = None
    if params.target == "sandbox" and not os.environ.get("AWS_ENDPOINT_URL"):
        sandbox_thread, holder = _start_sandbox_beside_kernel()
    kernel = _start_kernel()
    papermill = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    output = output_dir / f"{stamp}-{params.user_name}.ipynb"
    n = 1
    while output.exists():
        n += 1
        output = output_dir / f"{stamp}-{params.user_name}-{n}.ipynb"
    logger = logging.getLogger("papermill")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not any(isinstance(h, _StepLines) for h in logger.handlers):
        logger.addHandler(_StepLines())
    started = time.time()
    print(f"runbook: running {notebook.name} on {params.target} as user {params.user_name}", flush=True)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=raw,
            log_output=True,
            progress_bar=False,
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            km=kernel,
        )
    except PapermillExecutionError as exc:
        print(
            f"runbook: failed at step {_section_of(output, exc.cell_index)}: {exc.ename}: {exc.evalue}", file=sys.stderr
        )
        print(f"runbook: the executed notebook is {output}", file=sys.stderr)
        return 1
    finally:
        _stop_kernel(kernel)
        if sandbox_thread is not None:
            sandbox_thread.join(timeout=30)
            if "sandbox" in holder:
                holder["sandbox"].stop()
            os.environ.pop("AWS_ENDPOINT_URL", None)
    print(f"runbook: done. Executed notebook: {output}")
    for path in _new_secrets(Path(params.secrets_dir).expanduser(), started):
        print(f"runbook: secrets file (mode 0600, not printed): {path}")
    if html:
        print(f"runbook: HTML record: {export_html(output)}")
    return 0


def cmd_teardown(args: argparse.Namespace) -> int:
    """Run the teardown notebook: it reviews the removals, and makes them once confirm names the user."""
    from .teardown import parse_params

    raw = {name: _value(value) for name, value in args.parameter}
    raw["user_name"] = args.user
    try:
        parse_params(raw)
    except RunbookError as exc:
        print(f"runbook: bad input, nothing was done.\n{exc}", file=sys.stderr)
        return 2
    return execute(raw, html=args.html, output_dir=Path(args.output_dir), notebook=DELETE)


def _section_of(notebook: Path, cell_index: int) -> str:
    """The '## N. Title' heading above the failed cell: the step the user sees in the notebook."""
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells[: cell_index + 1]  # type: ignore[no-untyped-call]
    for cell in reversed(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            return str(cell.source.splitlines()[0][3:])
    return "parameters"


def _new_secrets(directory: Path, since: float) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if p.stat().st_mtime >= since - 1)


def export_html(notebook: Path) -> Path:
    """A self-contained HTML page of the executed notebook (nbconvert), the record to file."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(embed_images=True).from_filename(str(notebook))  # type: ignore[no-untyped-call]
    target = notebook.with_suffix(".html")
    target.write_text(body)
    return target


def cmd_sandbox(args: argparse.Namespace) -> int:
    from . import sandbox

    sandbox.serve_forever(args.port, args.host)
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    os.execvp(sys.executable, [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", *args.rest])


def wizard_command(notebook: Path = CREATE, *extra: str) -> tuple[list[str], dict[str, str]]:
    """Voila on the notebook with the `wizard` template, which shows only the panels (no prose, no code).

    The template ships in this package; JUPYTER_PATH points Voila at it.
    """
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(WIZARD_TEMPLATES), env.get("JUPYTER_PATH")]))
    argv = [sys.executable, "-m", "voila", str(notebook), "--template=wizard", "--strip_sources=True", *extra]
    return argv, env


def cmd_wizard(args: argparse.Namespace) -> int:
    argv, env = wizard_command(CREATE, *args.rest)
    os.execvpe(argv[0], argv, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runbook", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the runbook headless with papermill")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    run.add_argument("--html", action="store_true", help="also export the executed notebook as HTML")
    run.add_argument("--output-dir", default=str(ROOT / "runs"))
    run.set_defaults(func=cmd_run)
    down = sub.add_parser("teardown", help="remove a user the runbook created (review, then -p confirm USER)")
    down.add_argument("user", metavar="USER", help="the IAM user to remove")
    down.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    down.add_argument("--html", action="store_true", help="also export the executed notebook as HTML")
    down.add_argument("--output-dir", default=str(ROOT / "runs"))
    down.set_defaults(func=cmd_teardown)
    sb = sub.add_parser("sandbox", help="serve the IAM sandbox on 127.0.0.1 in the foreground")
    sb.add_argument("--port", type=int, default=5000)
    sb.add_argument("--host", default="127.0.0.1")
    sb.set_defaults(func=cmd_sandbox)
    lab = sub.add_parser("lab", help="open JupyterLab on notebooks/")
    lab.set_defaults(func=cmd_lab)
    wiz = sub.add_parser("wizard", help="serve the runbook as a wizard page with Voila")
    wiz.set_defaults(func=cmd_wizard)
    # lab and wizard pass any further options on to JupyterLab or Voila (e.g. --port=8888).
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in ("lab", "wizard"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
