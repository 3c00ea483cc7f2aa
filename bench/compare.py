"""Measure a proposed change: the runbook from this checkout and from another, in alternation.

The other checkout is a copy of the repository with the change applied; its `runbook_lib` is put first
on PYTHONPATH (the kernel inherits it), so both use this virtual environment. One sandbox serves both.

    .venv/bin/python bench/compare.py /tmp/patched                # (a): `runbook run`, wall and CPU
    .venv/bin/python bench/compare.py /tmp/patched --own-sandbox  # (a) without AWS_ENDPOINT_URL
    .venv/bin/python bench/compare.py /tmp/patched --probe        # run_headless in process: time and calls
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PHASES, Bench, run_probe, start_sandbox, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("other", type=Path, help="root of a checkout holding the changed runbook_lib")
    parser.add_argument("--base", type=Path, help="compare against this checkout instead of this one")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--own-sandbox", action="store_true", help="no AWS_ENDPOINT_URL: each run starts its own")
    parser.add_argument("--probe", action="store_true", help="time run_headless in process instead of (a)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="runbook-compare-"))
    labels = [str(args.base) if args.base else "this checkout", str(args.other)]
    paths = [args.base, args.other]
    sandbox, endpoint, _ = start_sandbox(work / "sandbox.log")
    try:
        runners = [runner(work, endpoint, path, args) for path in paths]
        results: dict[str, list[dict[str, Any]]] = {label: [] for label in labels}
        for r in range(args.warmup + args.rounds):
            order = [0, 1] if r % 2 == 0 else [1, 0]
            for i in order:
                result = runners[i]()
                if r >= args.warmup:
                    results[labels[i]].append(result)
                headline, value = next(iter(result.items()))
                print(f"{labels[i]}: {headline} {value:.2f}", file=sys.stderr, flush=True)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    keys = list(results[labels[0]][0])
    rows = [(label, *(f"{statistics.median(r[k] for r in runs):.2f}" for k in keys)) for label, runs in results.items()]
    print(table(["from", *keys], rows))
    print(f"\nmedians of {args.rounds} alternating rounds; load average at end: {os.getloadavg()[0]:.2f}")
    return 0


def runner(work: Path, endpoint: str, path: Path | None, args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    """One measurement of the checkout at `path` (None: this one), as a flat dict of numbers."""
    pythonpath = {"PYTHONPATH": str(path.resolve())} if path else {}
    if args.probe:

        def probe() -> dict[str, Any]:
            p = run_probe(work, endpoint, **pythonpath)
            fresh, rerun = p["fresh"], p["rerun"]
            return {
                "fresh run s": fresh["seconds"],
                "re-run s": rerun["seconds"],
                "fresh calls": len(fresh["calls"]),
                "re-run calls": len(rerun["calls"]),
            }

        return probe
    bench = Bench(work, "" if args.own_sandbox else endpoint)
    bench.base_env.update(pythonpath)

    def a() -> dict[str, Any]:
        s = bench.run_a()
        return {"wall s": s.wall, "cpu s": s.cpu, **{k: s.phases[k] for k in PHASES}}

    return a


if __name__ == "__main__":
    sys.exit(main())
