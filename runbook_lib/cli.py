"""The `runbook` command: a thin layer that parses options and calls the package.

`runbook run` and `runbook teardown` execute a notebook headless (`headless.py`); `runbook sandbox`
serves the sandbox; `runbook lab` and `runbook wizard` open the notebook for a person. Every command
works from any directory: the notebooks ship inside the package, and what a run writes goes below the
directory where the command was started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Sequence
from html import escape as html_escape
from pathlib import Path
from typing import Any

from .errors import RunbookError
from .headless import CREATE, DELETE, NOTEBOOKS, execute
from .params import CHOICES, WIZARD_ENV, parse
from .secrets import START_DIR_ENV

PACKAGE = Path(__file__).resolve().parent
WIZARD_TEMPLATES = PACKAGE / "jupyter"
KERNEL_STARTUP = PACKAGE / "jupyter" / "kernel_startup"
# A source checkout has `notebooks -> runbook_lib/notebooks` beside the package: readers open them there.
CHECKOUT_NOTEBOOKS = PACKAGE.parent / "notebooks"
# An installed package's notebooks are copied here (below the start directory) before JupyterLab opens them.
LAB_COPY = "runbook-notebooks"


def _value(text: str) -> Any:
    """`-p name value`: JSON where it parses (lists, booleans, numbers), else the plain string."""
    try:
        return json.loads(text)
    except ValueError:
        if text in ("True", "False"):
            return text == "True"
        return text


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


def cmd_sandbox(args: argparse.Namespace) -> int:
    from . import sandbox

    sandbox.serve_forever(args.port, args.host)
    return 0


def _start_dir_env() -> dict[str, str]:
    """The environment for JupyterLab and Voila: their kernels resolve relative paths against $RUNBOOK_START_DIR,
    and load the runbook while they wait for the first cell (`KERNEL_STARTUP`, unless $PYTHONSTARTUP is set)."""
    return {"PYTHONSTARTUP": str(KERNEL_STARTUP), **os.environ, START_DIR_ENV: str(Path.cwd())}


def lab_notebooks(start_dir: Path) -> Path:
    """Where JupyterLab opens the notebooks: the checkout's notebooks/, or a copy for an installed package.

    A person saves notebooks in JupyterLab; that must never write into an installed package, so an
    installed package's notebooks are copied to ./runbook-notebooks/ first. An existing copy is kept
    (it may hold the person's work).
    """
    if CHECKOUT_NOTEBOOKS.resolve() == NOTEBOOKS:
        return CHECKOUT_NOTEBOOKS
    target = start_dir / LAB_COPY
    target.mkdir(exist_ok=True)
    for source in NOTEBOOKS.glob("*.ipynb"):
        if not (target / source.name).exists():
            shutil.copyfile(source, target / source.name)
    return target


def lab_command(start_dir: Path, extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "jupyterlab", f"--notebook-dir={lab_notebooks(start_dir)}", *extra]


def cmd_lab(args: argparse.Namespace) -> int:
    argv = lab_command(Path.cwd(), args.rest)
    os.execvpe(argv[0], argv, _start_dir_env())


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
    env = _start_dir_env()
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((WIZARD_HOST, 0))
        return int(s.getsockname()[1])


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


class _Version(argparse.Action):
    """`runbook --version`: the installed distribution's version (read only when asked for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from . import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runbook", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action=_Version, help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the runbook headless with papermill")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    run.add_argument("--html", action="store_true", help="also export the executed notebook as HTML")
    run.add_argument("--output-dir", default="runs", help="where the executed notebook goes (default: ./runs)")
    run.set_defaults(func=cmd_run)
    down = sub.add_parser("teardown", help="remove a user the runbook created (review, then -p confirm USER)")
    down.add_argument("user", metavar="USER", help="the IAM user to remove")
    down.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    down.add_argument("--html", action="store_true", help="also export the executed notebook as HTML")
    down.add_argument("--output-dir", default="runs", help="where the executed notebook goes (default: ./runs)")
    down.set_defaults(func=cmd_teardown)
    sb = sub.add_parser("sandbox", help="serve the IAM sandbox on 127.0.0.1 in the foreground")
    sb.add_argument("--port", type=int, default=5000)
    sb.add_argument("--host", default="127.0.0.1")
    sb.set_defaults(func=cmd_sandbox)
    lab = sub.add_parser("lab", help="open JupyterLab on the notebooks")
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
