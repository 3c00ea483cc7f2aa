"""`make peer`: moto's own IAM and STS tests, run in moto's server mode against `runbook sandbox`.

The sandbox is moto with IAM's rules put back, so moto's tests are an outside judge of it: each of
them either passes, or fails where the sandbox deliberately follows IAM instead of moto. Those
intended divergences are listed, each with the IAM rule behind it, in ``divergences.toml``; any
other failure, or a listed divergence that now passes, fails the target.

The tests come from the source package of the moto version ``uv.lock`` pins (its URL and sha256
are in the lock), cached under ``.peer/``. ``--update`` (``make peer UPDATE=1``) writes the
observed divergences back to the list and the README for review: new entries have no rule yet,
and a plain run refuses an entry without one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version as installed_version
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".peer"
DIVERGENCES = HERE / "divergences.toml"
README = ROOT / "README.md"
SUITES = ("tests/test_iam", "tests/test_sts")
SUPPORT = ("pyproject.toml", "tests/__init__.py", "tests/conftest.py", "tests/markers.py")  # what the suites import
README_START = "<!-- peer-divergences: generated from tests/peer/divergences.toml by `make peer UPDATE=1` -->"
README_END = "<!-- /peer-divergences -->"


@dataclass(frozen=True)
class Sdist:
    version: str
    url: str
    sha256: str


@dataclass
class Divergence:
    """Tests that fail against the sandbox because it follows an IAM rule moto does not."""

    tests: list[str]
    failure: list[str]  # pieces of failure reasons: each listed test's reason must hold one, or it failed otherwise
    rule: str  # the IAM rule, in a sentence
    source: str  # where the rule is written down: a documentation URL, or a recorded AWS answer

    def problems(self) -> list[str]:
        missing = [name for name in ("rule", "source") if not getattr(self, name).strip()]
        missing += [] if any(piece.strip() for piece in self.failure) else ["failure"]
        return [f"{', '.join(self.tests)}: no {name}" for name in missing]

    def explains(self, reason: str) -> bool:
        return any(piece in reason for piece in self.failure)


@dataclass
class Divergences:
    entries: list[Divergence]
    excluded: dict[str, str]  # test path -> why it is not run


@dataclass
class Verdict:
    passed: int = 0
    skipped: int = 0
    failed: int = 0
    intended: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # failures no entry explains
    now_passing: list[str] = field(default_factory=list)  # listed, yet passed
    not_run: list[str] = field(default_factory=list)  # listed, yet skipped or absent
    unexplained: list[str] = field(default_factory=list)  # entries without failure, rule or source

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.now_passing or self.not_run or self.unexplained)


# --- the list ---------------------------------------------------------------------------------------


def load(path: Path = DIVERGENCES) -> Divergences:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = [
        Divergence(list(d["tests"]), _pieces(d.get("failure", [])), d.get("rule", ""), d.get("source", ""))
        for d in data.get("divergence", [])
    ]
    excluded = {e["path"]: e["reason"] for e in data.get("excluded", [])}
    return Divergences(entries, excluded)


def _pieces(failure: str | list[str]) -> list[str]:
    return [failure] if isinstance(failure, str) else list(failure)


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def dump(divergences: Divergences) -> str:
    out = [
        "# Intended divergences of the sandbox from moto's own IAM and STS tests (`make peer`).",
        "# Each entry: the moto tests that fail, a piece of each failure's reason, the IAM rule the",
        "# sandbox follows there, and where that rule is written down (a doc URL or a recorded answer).",
        "# `make peer UPDATE=1` rewrites this file from a run; fill in `rule` and `source` for new entries.",
    ]
    for path, reason in divergences.excluded.items():
        out += ["", "[[excluded]]", f"path = {_toml_str(path)}", f"reason = {_toml_str(reason)}"]
    for d in divergences.entries:
        out += ["", "[[divergence]]", "tests = ["]
        out += [f"    {_toml_str(t)}," for t in d.tests]
        out += ["]"]
        if len(d.failure) == 1:
            out += [f"failure = {_toml_str(d.failure[0])}"]
        else:
            out += ["failure = [", *(f"    {_toml_str(piece)}," for piece in d.failure), "]"]
        out += [f"rule = {_toml_str(d.rule)}"]
        out += [f"source = {_toml_str(d.source)}"]
    return "\n".join(out) + "\n"


def readme_table(divergences: Divergences) -> str:
    """The README's rendering of the list (a test keeps the two equal)."""

    def source(text: str) -> str:
        return f"[{text.split('/')[-1] or text}]({text})" if text.startswith("https://") else text

    def tests(names: list[str]) -> str:
        by_file: dict[str, list[str]] = {}
        for name in names:
            path, _, test = name.removeprefix("tests/").partition("::")
            by_file.setdefault(path, []).append(f"`{test}`")
        return "; ".join(f"{path}: {', '.join(found)}" for path, found in by_file.items())

    rows = ["| moto's tests (`tests/…`) | the IAM rule the sandbox follows | source |", "|---|---|---|"]
    rows += [f"| {tests(d.tests)} | {d.rule} | {source(d.source)} |" for d in divergences.entries]
    rows.append("")
    rows += [f"Not run: `{path}`: {reason}" for path, reason in divergences.excluded.items()]
    return "\n".join(rows)


def replace_readme_section(text: str, table: str) -> str:
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    return text[:start] + "\n" + table + "\n" + text[end:]


def readme_section(text: str) -> str:
    return text[text.index(README_START) + len(README_START) : text.index(README_END)].strip("\n")


# --- comparing ---------------------------------------------------------------------------------------


def compare(outcomes: Mapping[str, Mapping[str, str]], divergences: Divergences) -> Verdict:
    """Judge a run: every failure must be a listed divergence, and every listed divergence must fail."""
    verdict = Verdict()
    for outcome in outcomes.values():
        setattr(verdict, outcome["outcome"], getattr(verdict, outcome["outcome"]) + 1)
    listed: dict[str, Divergence] = {}
    for d in divergences.entries:
        verdict.unexplained += d.problems()
        for test in d.tests:
            listed[test] = d
    for test, d in listed.items():
        seen = outcomes.get(test)
        if seen is None or seen["outcome"] == "skipped":
            verdict.not_run.append(f"{test}: {'not collected' if seen is None else 'skipped: ' + seen['reason']}")
        elif seen["outcome"] == "passed":
            verdict.now_passing.append(test)
        elif not d.explains(seen["reason"]):
            verdict.unexpected.append(f"{test}: {seen['reason']} (listed as failing with {d.failure!r})")
        else:
            verdict.intended.append(test)
    for test, seen in sorted(outcomes.items()):
        if seen["outcome"] == "failed" and test not in listed:
            verdict.unexpected.append(f"{test}: {seen['reason']}")
    return verdict


def updated(outcomes: Mapping[str, Mapping[str, str]], old: Divergences) -> Divergences:
    """The list as this run observed it: known entries keep their rule, new failures get an empty one."""
    failed = {t: o["reason"] for t, o in outcomes.items() if o["outcome"] == "failed"}
    entries: list[Divergence] = []
    claimed: set[str] = set()
    for d in old.entries:
        tests = [t for t in d.tests if t in failed and d.explains(failed[t])]
        claimed.update(tests)
        if tests:
            entries.append(Divergence(tests, d.failure, d.rule, d.source))
    for test in sorted(set(failed) - claimed):
        entries.append(Divergence([test], [failed[test].splitlines()[0][:160]], "", ""))
    return Divergences(entries, old.excluded)


# --- running ------------------------------------------------------------------------------------------


def locked_moto(lock: Path = ROOT / "uv.lock") -> Sdist:
    """The moto source package uv.lock pins: its version, URL and sha256."""
    for package in tomllib.loads(lock.read_text(encoding="utf-8"))["package"]:
        if package["name"] == "moto":
            sdist = package["sdist"]
            algorithm, _, digest = sdist["hash"].partition(":")
            assert algorithm == "sha256", sdist["hash"]
            return Sdist(package["version"], sdist["url"], digest)
    raise SystemExit("peer: uv.lock pins no moto")


def fetch_tests(sdist: Sdist, cache: Path = CACHE) -> Path:
    """moto's test tree for the suites, from the pinned source package (downloaded once, hash-checked)."""
    target = cache / f"moto-{sdist.version}-{sdist.sha256[:12]}"
    if (target / ".complete").exists():
        return target
    cache.mkdir(exist_ok=True)
    archive = cache / f"moto-{sdist.version}.tar.gz"
    if not archive.exists() or hashlib.sha256(archive.read_bytes()).hexdigest() != sdist.sha256:
        print(f"peer: downloading {sdist.url}", flush=True)
        with urllib.request.urlopen(sdist.url, timeout=120) as response:
            body = response.read()
        if hashlib.sha256(body).hexdigest() != sdist.sha256:
            raise SystemExit(f"peer: {sdist.url} does not match the sha256 uv.lock records")
        archive.write_bytes(body)
    prefix = f"moto-{sdist.version}/"
    wanted = tuple(prefix + s for s in SUITES)
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(wanted) or m.name in {prefix + s for s in SUPPORT}]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp, members, filter="data")
        else:  # pragma: no cover (Python < 3.11.4)
            tar.extractall(tmp, members)  # the archive is hash-checked and the names filtered above
        Path(tmp, prefix, ".complete").touch()
        Path(tmp, prefix).rename(target)
    return target


@contextmanager
def served_sandbox(log: Path) -> Iterator[str]:
    """`runbook sandbox` on a free port (it binds port 0 and says which), stopped afterwards.

    Its output goes to ``log``, never to a pipe nobody reads (a full pipe would stall the server).
    """
    runbook = Path(sys.executable).parent / "runbook"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(runbook), "sandbox", "--port", "0", "--host", "127.0.0.1"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while (url := re.search(r"http://127\.0\.0\.1:\d+", log.read_text())) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"peer: runbook sandbox did not say where it listens:\n{log.read_text()}")
            time.sleep(0.1)
        yield url.group(0)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_suites(tests: Path, endpoint: str, excluded: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """moto's suites in server mode against ``endpoint``: {test id: {outcome, reason}}."""
    outcomes = tests / "outcomes.json"
    outcomes.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "TEST_SERVER_"))}
    env.update(
        TEST_SERVER_MODE="true",
        TEST_SERVER_MODE_ENDPOINT=endpoint,
        PEER_OUTCOMES=str(outcomes),
        PYTHONPATH=str(HERE),  # the outcomes plugin only: `tests` must be moto's tests package
        PYTHONDONTWRITEBYTECODE="1",
    )
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_outcomes"]
    argv += ["--color=no", "-o", "addopts=", "--tb=no", "-rN", *(f"--ignore={p}" for p in excluded), *SUITES]
    subprocess.run(argv, cwd=tests, env=env, check=False, timeout=1800)
    if not outcomes.exists():
        raise SystemExit("peer: moto's tests did not run (no outcomes written); see pytest's output above")
    result: dict[str, dict[str, str]] = json.loads(outcomes.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make peer", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--update", action="store_true", help="write the observed divergences to the list and README")
    args = parser.parse_args(argv)
    sdist = locked_moto()
    if installed_version("moto") != sdist.version:
        raise SystemExit(f"peer: moto {installed_version('moto')} is installed, uv.lock pins {sdist.version}")
    divergences = load()
    tests = fetch_tests(sdist)
    started = time.monotonic()
    with served_sandbox(CACHE / "sandbox.log") as endpoint:
        print(f"peer: moto {sdist.version}'s {' and '.join(SUITES)} in server mode against {endpoint}", flush=True)
        outcomes = run_suites(tests, endpoint, divergences.excluded)
    if args.update:
        new = updated(outcomes, divergences)
        DIVERGENCES.write_text(dump(new), encoding="utf-8")
        README.write_text(replace_readme_section(README.read_text(encoding="utf-8"), readme_table(new)))
        divergences = new
        print(f"peer: wrote {DIVERGENCES.relative_to(ROOT)} and README's list; review them")
    v = compare(outcomes, divergences)
    print(
        f"peer: {v.passed} passed, {v.skipped} skipped, {v.failed} failed in {time.monotonic() - started:.0f} s: "
        f"{len(v.intended)} intended divergences, {len(v.unexpected)} unexpected failures, "
        f"{len(v.now_passing)} listed divergences now passing"
    )
    for title, items in (
        ("unexpected failure (fix the sandbox, or list it with its IAM rule)", v.unexpected),
        ("listed divergence now passes (remove it from the list)", v.now_passing),
        ("listed divergence did not run", v.not_run),
        ("listed divergence without its reason", v.unexplained),
    ):
        for item in items:
            print(f"peer: {title}: {item}")
    if not v.ok and not args.update:
        print("peer: FAILED; `make peer UPDATE=1` writes what this run saw to the list for review")
        print(f"peer: the sandbox's log: {(CACHE / 'sandbox.log').relative_to(ROOT)}")
    return 0 if v.ok else 1


if __name__ == "__main__":
    sys.exit(main())
