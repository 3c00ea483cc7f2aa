"""The `runbook` command: a thin layer that parses options and calls the package.

`runbook run` and `runbook teardown` execute a notebook headless (`headless.py`); `runbook sandbox`
serves the sandbox; `runbook lab` and `runbook wizard` open the notebook for a person. Every command
works from any directory: the notebooks ship inside the package, and what a run writes goes below the
directory where the command was started.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import RunbookError
from .headless import CREATE, DELETE, NOTEBOOKS, execute
from .params import parse
from .secrets import START_DIR_ENV

PACKAGE = Path(__file__).resolve().parent
WIZARD_TEMPLATES = PACKAGE / "jupyter"
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
    """The environment for JupyterLab and Voila: their kernels resolve relative paths against $RUNBOOK_START_DIR."""
    return {**os.environ, START_DIR_ENV: str(Path.cwd())}


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


def wizard_command(notebook: Path = CREATE, *extra: str) -> tuple[list[str], dict[str, str]]:
    """Voila on the notebook with the `wizard` template, which shows only the panels (no prose, no code).

    The template ships in this package; JUPYTER_PATH points Voila at it.
    """
    env = _start_dir_env()
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(WIZARD_TEMPLATES), env.get("JUPYTER_PATH")]))
    argv = [sys.executable, "-m", "voila", str(notebook), "--template=wizard", "--strip_sources=True", *extra]
    return argv, env


def cmd_wizard(args: argparse.Namespace) -> int:
    argv, env = wizard_command(CREATE, *args.rest)
    os.execvpe(argv[0], argv, env)


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
