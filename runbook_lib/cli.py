"""The `runbook` command: a thin layer that parses options and calls the package.

`runbook run` executes the notebook with papermill, streaming one line per step; `runbook sandbox`
serves the sandbox; `runbook lab` and `runbook wizard` open the notebook for a person.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from html import escape as html_escape
from pathlib import Path
from typing import Any

from .errors import RunbookError
from .params import CHOICES, WIZARD_ENV, parse

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


WIZARD_HOST = "127.0.0.1"
WIZARD_REFUSED = ("--ip", "--Voila.ip", "--token", "--Voila.token", "--Voila.auto_token", "--port", "--Voila.port")
"""Options `runbook wizard` sets itself: it listens on 127.0.0.1 only, with a token of its own."""


def wizard_command(
    notebook: Path = CREATE, *extra: str, port: int, config_dir: Path, target: str = "", profile: str = ""
) -> tuple[list[str], dict[str, str]]:
    """Voila on the notebook with the `wizard` template (the panels, one step at a time), on 127.0.0.1:`port`.

    The template ships in this package; JUPYTER_PATH points Voila at it. The token is in `config_dir`'s
    voila.json (mode 0600), the only configuration Voila reads, never in the process arguments.
    `target` and `profile` reach the wizard's kernels through the environment (params.WIZARD_ENV).
    """
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(WIZARD_TEMPLATES), env.get("JUPYTER_PATH")]))
    for name, value in (("target", target), ("profile", profile)):
        if value:
            env[WIZARD_ENV[name]] = value
    argv = [
        sys.executable, "-m", "voila", str(notebook), "--template=wizard", "--strip_sources=True",
        f"--Voila.ip={WIZARD_HOST}", f"--port={port}", "--Voila.port_retries=0", "--no-browser",
        f"--Voila.config_file_paths={config_dir}", *extra,
    ]  # fmt: skip
    return argv, env


def wizard_config(config_dir: Path, token: str) -> None:
    """Voila's configuration for one wizard: its token, in a 0600 file of a 0700 directory."""
    config_dir.chmod(0o700)
    path = config_dir / "voila.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"Voila": {"token": token}}, out)


def _listening(port: int, proc: Any) -> bool:
    """Wait until the server listens on `port`; False if it exited first (e.g. `--version`)."""
    while proc.poll() is None:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((WIZARD_HOST, port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _open_browser(url: str, private: Path) -> None:
    """Open the URL through a 0600 file (as Jupyter does), so the token is not on a browser's command line."""
    import webbrowser

    page = private / "open.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f'<!doctype html><meta http-equiv="refresh" content="0;url={html_escape(url)}">')
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(page.as_uri())


def cmd_wizard(args: argparse.Namespace) -> int:
    """Serve the wizard on 127.0.0.1 with a fresh token, and print the URL that carries it."""
    import secrets
    import subprocess
    import tempfile

    refused = [a for a in args.rest if a.split("=", 1)[0] in WIZARD_REFUSED]
    if refused:
        print(f"runbook: {' '.join(refused)}: the wizard listens on {WIZARD_HOST} only, with a token of its own "
              "(use --port for the port).", file=sys.stderr)  # fmt: skip
        return 2
    port = args.port or _free_port()
    target = args.target or ("aws" if args.profile else "")  # a profile means an AWS account
    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="runbook-wizard-") as private:
        config_dir = Path(private)
        wizard_config(config_dir, token)
        argv, env = wizard_command(
            CREATE, *args.rest, port=port, config_dir=config_dir, target=target, profile=args.profile or ""
        )
        proc = subprocess.Popen(argv, env=env)
        try:
            if _listening(port, proc):
                (config_dir / "voila.json").unlink()  # read at start: the token need not stay on disk
                url = f"http://{WIZARD_HOST}:{port}/?token={token}"
                print(f"runbook: the wizard is at {url}", flush=True)
                print("runbook: only this machine can reach it, with that token. Ctrl-C stops it.", flush=True)
                if not args.no_browser:
                    _open_browser(url, config_dir)
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait()


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
    wiz = sub.add_parser("wizard", help="serve the runbook as a wizard page (Voila) on 127.0.0.1, with a token")
    wiz.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    wiz.add_argument("--target", choices=CHOICES["target"], help="open on this target (default: the sandbox)")
    wiz.add_argument("--profile", help="with --target aws: the AWS profile (default: the standard credential chain)")
    wiz.add_argument("--no-browser", action="store_true", help="only print the URL")
    wiz.set_defaults(func=cmd_wizard)
    # lab and wizard pass any further options on to JupyterLab or Voila (e.g. --port=8888).
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in ("lab", "wizard"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
