"""`make bench`: the runbook headless, side by side with what people use instead (issue 8).

One sandbox (`runbook sandbox`, in its own process) serves every run. Four ways of doing the job run
in alternation, several rounds, with a fresh IAM user per run:

  (a) the runbook headless: `runbook run -p user_name U` (papermill, default parameters)
  (b) a minimal boto3 script making the same 7 writes: the floor
  (c) the AWS CLI, one command per step: what most people would pick instead
  (d) papermill running a one-cell notebook: the kernel's fixed cost

It prints the medians and the ratios, where the papermill runs spend their time, the API calls of a
fresh run and of a re-run (counted by the runbook's own botocore `before-call` hook, in process), the
sandbox's time to its first answer and the import time of `runbook_lib`, then checks the targets.
The output is Markdown, ready for BENCHMARKS.md.

    .venv/bin/python bench/run.py                # 1 warm-up + 5 measured rounds: about 2 minutes
    .venv/bin/python bench/run.py --rounds 15    # tighter medians
    .venv/bin/python bench/run.py --profile      # also: import costs, (a) with its own sandbox, lean (d)

`bench/compare.py` measures a proposed change (a copy of the tree) against this one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
RUNBOOK, PAPERMILL, PYTHON = BIN / "runbook", BIN / "papermill", BIN / "python"

EXPECTED_WRITES = sorted(
    [
        "iam:CreateUser",
        "iam:CreateLoginProfile",
        "iam:AttachUserPolicy",
        "iam:AttachUserPolicy",
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:CreateServiceSpecificCredential",
    ]
)
MAX_CALLS = 24
MAX_IMPORT_SECONDS = 0.3
KERNEL_MARGIN_SECONDS = 0.6
CLI_RATIO = 0.5
VARIANTS = {
    "a": "runbook run (papermill, headless)",
    "b": "minimal boto3 script (the floor)",
    "c": "AWS CLI, one command per step",
    "d": "papermill, one-cell notebook",
}
PHASES = {
    "startup": "process start to papermill start",
    "kernel": "kernel start",
    "cells": "cells",
    "finish": "last cell to exit",
}

# The AWS CLI and the boto3 script sign with keys the sandbox takes for its root user's. The runbook
# gets none: in sandbox mode it brings its own. No one reads the user's AWS config or credentials.
DUMMY_KEYS = {"AWS_ACCESS_KEY_ID": "AKIABENCHEXAMPLE0001", "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret"}


# --- running and timing ---------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed run: wall seconds, CPU seconds of its whole process tree, and papermill's phases."""

    variant: str
    wall: float
    cpu: float
    phases: dict[str, float] = field(default_factory=dict)
    cells: dict[str, float] = field(default_factory=dict)


def timed(argv: Sequence[object], env: dict[str, str]) -> tuple[float, float, float]:
    """Run to completion: (start as epoch seconds, wall seconds, CPU seconds of it and its children).

    CPU time counts every descendant that has exited (papermill's kernel too), not the sandbox, and
    is less disturbed than wall time when other work shares the machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    epoch, started = time.time(), time.perf_counter()
    done = subprocess.run([str(a) for a in argv], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {done.returncode}:\n{tail}")
    return epoch, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def papermill_phases(notebook: Path, epoch: float, wall: float) -> tuple[dict[str, float], dict[str, float]]:
    """Split a papermill run at the timestamps papermill writes into the executed notebook (see PHASES)."""
    nb = json.loads(notebook.read_text())

    def stamp(cell: dict[str, Any], key: str) -> float:
        return datetime.fromisoformat(cell["metadata"]["papermill"][key]).timestamp()

    cells = [c for c in nb["cells"] if c["metadata"].get("papermill", {}).get("start_time")]
    start = datetime.fromisoformat(nb["metadata"]["papermill"]["start_time"]).timestamp()
    first, last = stamp(cells[0], "start_time"), stamp(cells[-1], "end_time")
    phases = {"startup": start - epoch, "kernel": first - start, "cells": last - first}
    phases["finish"] = wall - sum(phases.values())
    per_cell = {
        "".join(c["source"]).strip().splitlines()[-1][:48]: float(c["metadata"]["papermill"]["duration"] or 0)
        for c in cells
        if c["cell_type"] == "code"
    }
    # Between and around the code cells: markdown cells, and papermill writing the notebook at each
    # cell's start and end.
    phases["between_cells"] = phases["cells"] - sum(per_cell.values())
    return phases, per_cell


class Bench:
    """The four ways, each run against one sandbox with a fresh user."""

    def __init__(self, work: Path, endpoint: str) -> None:
        self.work, self.endpoint = work, endpoint
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.base_env.update(
            AWS_CONFIG_FILE=str(work / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(work / "no-aws-credentials"),
            AWS_DEFAULT_REGION="us-east-1",
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.users = 0

    def user(self, variant: str) -> str:
        self.users += 1
        return f"bench-{variant}-{self.users:03d}-{secrets.token_hex(2)}"

    @staticmethod
    def password() -> str:
        """Meets AWS's default password policy: upper, lower, digits and a symbol, 20 characters."""
        return "Bx7!" + secrets.token_hex(8)

    def run_a(self) -> Sample:
        """`runbook run` with the default parameters; only the secrets and the record go to the work dir."""
        user, out = self.user("a"), self.work / "runs"
        env = {**self.base_env, **({"AWS_ENDPOINT_URL": self.endpoint} if self.endpoint else {})}
        secrets_dir = self.work / "secrets"
        argv = [RUNBOOK, "run", "-p", "user_name", user, "-p", "secrets_dir", secrets_dir, "--output-dir", out]
        epoch, wall, cpu = timed(argv, env)
        phases, cells = papermill_phases(next(out.glob(f"*-{user}-*.ipynb")), epoch, wall)  # <time>-<user>-<run id>
        return Sample("a", wall, cpu, phases, cells)

    def run_b(self) -> Sample:
        env = {**self.base_env, **DUMMY_KEYS, "AWS_ENDPOINT_URL": self.endpoint}
        _, wall, cpu = timed([PYTHON, BENCH / "floor_boto3.py", self.user("b"), self.password()], env)
        return Sample("b", wall, cpu)

    def run_c(self) -> Sample:
        argv = ["bash", BENCH / "aws_cli.sh", self.endpoint, self.user("c"), self.password(), self.work]
        _, wall, cpu = timed(argv, {**self.base_env, **DUMMY_KEYS})
        return Sample("c", wall, cpu)

    def run_d(self) -> Sample:
        out = self.work / f"one-cell-{secrets.token_hex(3)}.ipynb"
        argv = [PAPERMILL, "--no-progress-bar", "--kernel", "python3", BENCH / "one_cell.ipynb", out]
        epoch, wall, cpu = timed(argv, self.base_env)
        phases, cells = papermill_phases(out, epoch, wall)
        return Sample("d", wall, cpu, phases, cells)

    def runners(self) -> dict[str, Callable[[], Sample]]:
        return {"a": self.run_a, "b": self.run_b, "c": self.run_c, "d": self.run_d}


def run_rounds(bench: Bench, rounds: int, warmup: int) -> list[Sample]:
    """Round robin; each round starts one variant later, so no variant always follows the same one."""
    runners = bench.runners()
    order = list(runners)
    samples: list[Sample] = []
    for r in range(warmup + rounds):
        shift = r % len(order)
        line = []
        for name in order[shift:] + order[:shift]:
            sample = runners[name]()
            line.append(f"{name} {sample.wall:.2f}s")
            if r >= warmup:
                samples.append(sample)
        label = "warm-up" if r < warmup else f"round {r - warmup + 1}/{rounds}"
        print(f"{label}: {', '.join(line)}  (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    return samples


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sandbox(log: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """`runbook sandbox` in its own process; seconds from spawning it to STS's first answer."""
    import boto3
    from botocore.config import Config

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    sts = boto3.Session(DUMMY_KEYS["AWS_ACCESS_KEY_ID"], DUMMY_KEYS["AWS_SECRET_ACCESS_KEY"]).client(
        "sts",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=30),
    )
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen([str(RUNBOOK), "sandbox", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    while True:
        try:
            sts.get_caller_identity()
            return process, endpoint, time.perf_counter() - started
        except Exception:
            if process.poll() is not None:
                raise RuntimeError(f"the sandbox exited {process.returncode}: {log.read_text()[-2000:]}") from None
            if time.perf_counter() - started > 60:
                process.kill()
                raise RuntimeError("the sandbox did not answer within 60 s") from None
            time.sleep(0.01)


def run_probe(work: Path, endpoint: str, **extra_env: str) -> dict[str, Any]:
    """The calls of a fresh run and of a re-run: `run_headless` in a fresh interpreter (headless_probe.py)."""
    out = work / f"probe-{secrets.token_hex(3)}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_CONFIG_FILE=str(work / "no-aws-config"), **extra_env)
    argv = [PYTHON, BENCH / "headless_probe.py", f"bench-probe-{secrets.token_hex(2)}", work / "probe-secrets", out]
    subprocess.run([str(a) for a in argv], env=env, check=True, stdout=subprocess.DEVNULL)
    return dict(json.loads(out.read_text()))


# --- import time ----------------------------------------------------------------------------------


def importtime(statement: str) -> dict[str, tuple[int, int]]:
    """`python -X importtime -c statement`: {module: (self µs, cumulative µs)}, fresh interpreter.

    The key `""` holds the whole statement's import time: the sum over the top-level imports.
    """
    done = subprocess.run([PYTHON, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True)
    out: dict[str, tuple[int, int]] = {}
    total = 0
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if m:
            out[m.group(4)] = (int(m.group(1)), int(m.group(2)))
            total += int(m.group(2)) if not m.group(3) else 0
    out[""] = (0, total)
    return out


def import_seconds(module: str, rounds: int) -> tuple[float, float]:
    """(median cumulative seconds by -X importtime, median wall of the import minus a bare interpreter)."""
    cumulative = [importtime(f"import {module}")[module][1] / 1e6 for _ in range(rounds)]
    bare: list[float] = []
    loaded: list[float] = []
    for _ in range(rounds):
        for statement, bucket in (("pass", bare), (f"import {module}", loaded)):
            started = time.perf_counter()
            subprocess.run([PYTHON, "-c", statement], check=True)
            bucket.append(time.perf_counter() - started)
    return statistics.median(cumulative), statistics.median(loaded) - statistics.median(bare)


def heaviest_imports(statement: str, top: int = 6) -> list[tuple[str, float, float]]:
    """The modules with the most import time of their own: (name, self s, cumulative s)."""
    times = importtime(statement)
    ranked = sorted(times.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
    return [(name, own / 1e6, cum / 1e6) for name, (own, cum) in ranked]


def profile(bench: Bench, rounds: int) -> dict[str, Any]:
    """Where (a)'s fixed costs come from: imports in each process, and (a) starting its own sandbox.

    `runbook run` without AWS_ENDPOINT_URL starts the sandbox in a thread while the kernel starts;
    it alternates here with (a) on the shared sandbox.
    """
    out: dict[str, Any] = {
        "papermill_import": importtime("import papermill")["papermill"][1] / 1e6,
        "papermill_import_top": heaviest_imports("import papermill"),
        "kernel_imports": importtime("import runbook_lib.runbook, boto3")[""][1] / 1e6,
        "sandbox_import": importtime("import runbook_lib.sandbox.iam")[""][1] / 1e6,
    }
    own = Bench(bench.work, "")
    own.base_env = dict(bench.base_env)
    runners = {"shared_sandbox_wall": bench.run_a, "own_sandbox_wall": own.run_a, "lean_papermill_wall": lean_d(bench)}
    for key in runners:
        out[key] = []
    for r in range(rounds):
        for key, runner in runners.items():
            out[key].append(runner().wall)
        walls = ", ".join(f"{key} {values[-1]:.2f}s" for key, values in out.items() if key.endswith("_wall"))
        print(f"profile {r + 1}/{rounds}: {walls}", file=sys.stderr, flush=True)
    return out


def lean_d(bench: Bench) -> Callable[[], Sample]:
    """(d) without the import of rfc3987_syntax (1.2 s of Lark grammars that no notebook schema uses)."""
    lean = "import sys; sys.modules['rfc3987_syntax'] = None; from papermill.cli import papermill; papermill()"

    def run() -> Sample:
        out = bench.work / f"one-cell-{secrets.token_hex(3)}.ipynb"
        argv = [PYTHON, "-c", lean, "--no-progress-bar", "--kernel", "python3", BENCH / "one_cell.ipynb", out]
        epoch, wall, cpu = timed(argv, bench.base_env)
        return Sample("d-lean", wall, cpu, *papermill_phases(out, epoch, wall))

    return run


# --- reporting ------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU": model,
        "Python": platform.python_version(),
        "OS": f"{platform.system()} {platform.release()}",
        "date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "load average at start (1, 5, 15 min)": loadavg(),
    }


def _sleeps_text(sleeps: list[dict[str, Any]]) -> str:
    if not sleeps:
        return "no sleep"
    return "; ".join(
        f"{s['seconds']:.2f} s at {s['where']} after {s['call']} answered {s['answer']}"
        + ("" if s["waits_on_iam"] else " (a fixed sleep)")
        for s in sleeps
    )


def report_times(results: dict[str, Any], samples: list[Sample]) -> dict[str, float]:
    wall = {v: [s.wall for s in samples if s.variant == v] for v in VARIANTS}
    cpu = {v: [s.cpu for s in samples if s.variant == v] for v in VARIANTS}
    m = {v: median(wall[v]) for v in VARIANTS}
    print(f"## Wall time: median of {results['rounds']} rounds, after {results['warmup']} warm-up\n")
    rows = [
        (f"({v}) {label}", f"{m[v]:.2f} s", f"{min(wall[v]):.2f} to {max(wall[v]):.2f} s", f"{median(cpu[v]):.2f} s")
        for v, label in VARIANTS.items()
    ]
    print(table(["way", "median wall", "range", "median CPU, process tree"], rows), "\n")
    ratios = [(f"a/{v}", f"{m['a'] / m[v]:.2f}") for v in "bcd"] + [("a minus d", f"{m['a'] - m['d']:+.2f} s")]
    print(table(["ratio", "value"], ratios), "\n")

    print("## Where the papermill runs spend their time (medians)\n")
    phase_rows = []
    for v in ("a", "d"):
        phases = [s.phases for s in samples if s.variant == v]
        phase_rows.append((f"({v})", *(f"{median([p[k] for p in phases]):.2f} s" for k in PHASES)))
    print(table(["way", *PHASES.values()], phase_rows))
    print("\n(a)'s code cells, median seconds:\n")
    cells = [s.cells for s in samples if s.variant == "a"]
    cell_rows = [(f"`{k}`", f"{median([c.get(k, 0.0) for c in cells]):.3f}") for k in cells[0]]
    between = median([s.phases["between_cells"] for s in samples if s.variant == "a"])
    cell_rows.append(
        ("markdown cells, and papermill saving the notebook at each cell's start and end", f"{between:.3f}")
    )
    print(table(["cell", "median"], cell_rows), "\n")
    return m


def report_calls(probe: dict[str, Any]) -> None:
    print("## API calls per run\n")
    print("`run_headless(dict(user_name=U, mfa_codes='generate', secrets_dir=D))` in a fresh interpreter, fresh")
    print("user then the same again; counted by the runbook's `before-call` hook (`run.conn.call_log`).\n")
    rows = []
    for label, run in (("fresh", probe["fresh"]), ("re-run", probe["rerun"])):
        reads = len(run["calls"]) - len(run["writes"])
        again = ", ".join(f"{r['call']} x{r['times']}" for r in run["repeated_reads"]) or "none"
        rows.append(
            (label, len(run["calls"]), len(run["writes"]), reads, run["polls"], again, f"{run['seconds']:.2f} s")
        )
    header = ["run", "calls", "writes", "reads", "of which polls", "same fact read again", "in-process time"]
    print(table(header, rows), "\n")
    for label, run in (("Fresh run", probe["fresh"]), ("Re-run", probe["rerun"])):
        print(f"{label}, in order (W = write; the answer; the round trip):\n")
        for i, c in enumerate(run["trace"], 1):
            args = f" {json.dumps(c['args'])}" if c["args"] else ""
            answer = f"{c.get('answer', '?')}, {1000 * c.get('seconds', 0):.0f} ms"
            print(f"{i}. {'W ' if c['write'] else ''}{c['call']}{args} ({answer})")
        print()


def report_startup(results: dict[str, Any], probe: dict[str, Any]) -> None:
    imp = results["import"]
    print("## Startup and imports\n")
    rows = [
        ("sandbox (`runbook sandbox`): process start to first STS answer", f"{results['sandbox_first_answer']:.2f} s"),
        ("`import runbook_lib`: -X importtime, cumulative (median)", f"{1000 * imp['importtime']:.0f} ms"),
        ("`import runbook_lib`: wall minus a bare interpreter (median)", f"{1000 * imp['wall_delta']:.0f} ms"),
        ("`from runbook_lib.runbook import run_headless` (probe)", f"{1000 * probe['import_seconds']:.0f} ms"),
        ("watched modules a headless run has loaded", ", ".join(probe["modules"]) or "none"),
    ]
    prof = results.get("profile")
    if prof:
        rows += [
            (
                "`import papermill`, stock (what (d) pays; `runbook run` hides rfc3987_syntax)",
                f"{prof['papermill_import']:.2f} s",
            ),
            ("`import runbook_lib.runbook, boto3` (the first cell, in the kernel)", f"{prof['kernel_imports']:.2f} s"),
            ("`import runbook_lib.sandbox.iam` (moto: most of the sandbox's start)", f"{prof['sandbox_import']:.2f} s"),
            (
                "`runbook run` starting its own sandbox vs (a), medians of the same alternation",
                f"{median(prof['own_sandbox_wall']):.2f} s vs {median(prof['shared_sandbox_wall']):.2f} s",
            ),
            (
                "(d) without importing rfc3987_syntax, median of the same alternation",
                f"{median(prof['lean_papermill_wall']):.2f} s",
            ),
        ]
    print(table(["measure", "value"], rows), "\n")
    if prof:
        print("Heaviest imports under `import papermill` (own time):\n")
        top = prof["papermill_import_top"]
        print(table(["module", "own", "cumulative"], [(f"`{n}`", f"{s:.3f} s", f"{c:.3f} s") for n, s, c in top]), "\n")


def report_targets(results: dict[str, Any], m: dict[str, float], probe: dict[str, Any]) -> bool:
    fresh, rerun = probe["fresh"], probe["rerun"]
    sleeps = fresh["sleeps"] + rerun["sleeps"]
    imp = results["import"]["importtime"]
    targets = [
        (
            f"(a) at most (d) + {KERNEL_MARGIN_SECONDS} s",
            f"{m['a']:.2f} s vs {m['d'] + KERNEL_MARGIN_SECONDS:.2f} s",
            m["a"] <= m["d"] + KERNEL_MARGIN_SECONDS,
        ),
        (
            f"(a) at most {CLI_RATIO} x (c)",
            f"{m['a']:.2f} s vs {CLI_RATIO * m['c']:.2f} s",
            m["a"] <= CLI_RATIO * m["c"],
        ),
        ('waits only while IAM answers "not yet"', _sleeps_text(sleeps), all(s["waits_on_iam"] for s in sleeps)),
        ("fresh run: exactly the 7 writes", ", ".join(fresh["writes"]), sorted(fresh["writes"]) == EXPECTED_WRITES),
        (f"fresh run: at most {MAX_CALLS} calls", f"{len(fresh['calls'])} calls", len(fresh["calls"]) <= MAX_CALLS),
        ("fresh run: no fact read twice", f"{len(fresh['repeated_reads'])} read again", not fresh["repeated_reads"]),
        ("re-run: 0 writes", f"{len(rerun['writes'])} writes", not rerun["writes"]),
        (f"`import runbook_lib` at most {MAX_IMPORT_SECONDS} s", f"{1000 * imp:.0f} ms", imp <= MAX_IMPORT_SECONDS),
        ("headless run: no widgets", "ipywidgets " + ("loaded" if "ipywidgets" in probe["modules"] else "absent"),
         "ipywidgets" not in probe["modules"]),
    ]  # fmt: skip
    print("## Targets\n")
    print(table(["target", "measured", "verdict"], [(t, got, "met" if ok else "**missed**") for t, got, ok in targets]))
    if "qrcode" in probe["modules"]:
        print("\nqrcode (with PIL) is imported by the MFA step, when it draws the QR PNG for the secrets file.")
    return all(ok for *_, ok in targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds of each way (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted (default 1)")
    parser.add_argument("--import-rounds", type=int, default=7, help="fresh interpreters per import measure")
    parser.add_argument("--profile", action="store_true", help="also measure import costs and the default path")
    parser.add_argument("--json", type=Path, help="also write every sample and the call lists here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (executed notebooks)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="runbook-bench-"))
    results: dict[str, Any] = {"machine": machine(), "rounds": args.rounds, "warmup": args.warmup}
    print("# runbook benchmark\n")
    print(table(["machine", ""], list(results["machine"].items())), "\n", flush=True)
    importtime_s, wall_delta = import_seconds("runbook_lib", args.import_rounds)
    results["import"] = {"importtime": importtime_s, "wall_delta": wall_delta}
    sandbox, endpoint, results["sandbox_first_answer"] = start_sandbox(work / "sandbox.log")
    try:
        probe = results["probe"] = run_probe(work, endpoint)
        bench = Bench(work, endpoint)
        samples = run_rounds(bench, args.rounds, args.warmup)
        if args.profile:
            results["profile"] = profile(bench, max(3, args.rounds // 2))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    results["samples"] = [s.__dict__ for s in samples]
    results["load_at_end"] = loadavg()

    medians = report_times(results, samples)
    report_calls(probe)
    report_startup(results, probe)
    all_met = report_targets(results, medians, probe)
    print(f"\nLoad average at the end (1, 5, 15 min): {results['load_at_end']}. ", end="")
    print(f"The benchmark took {time.perf_counter() - started:.0f} s: `.venv/bin/python bench/run.py", end="")
    print(f" --rounds {args.rounds} --warmup {args.warmup}{' --profile' if args.profile else ''}`.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.keep:
        print(f"Work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if args.strict and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
