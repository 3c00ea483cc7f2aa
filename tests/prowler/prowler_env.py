"""Prowler in its own environment: a uv venv under ``.prowler/``, from the committed, hash-pinned requirements.

Prowler brings some 240 packages (its cloud SDKs) that must not mix with the project's, so it gets a
venv of its own, keyed on the requirements file's hash: a changed pin installs afresh, an unchanged
one is reused across runs (the first install takes about a minute). ``requirements.txt`` is made by
``uv pip compile --generate-hashes requirements.in``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REQUIREMENTS = HERE / "requirements.txt"
CACHE = ROOT / ".prowler"


class Unavailable(Exception):
    """Prowler cannot be installed here (the package index is unreachable); the reason says why."""


@dataclass(frozen=True)
class Prowler:
    executable: Path
    version: str
    install_seconds: float  # 0 when the cached environment was reused


def _uv() -> str:
    found = shutil.which("uv") or (str(ROOT / ".uv/bin/uv") if (ROOT / ".uv/bin/uv").exists() else None)
    if found is None:
        raise RuntimeError("uv is missing: `make testenv` installs it")
    return found


def _index_reachable(host: str = "pypi.org") -> str | None:
    """None when the package index answers on port 443, else why not."""
    try:
        socket.create_connection((host, 443), timeout=10).close()
        return None
    except OSError as error:
        return f"{host}:443 unreachable ({error})"


def install(requirements: Path = REQUIREMENTS, cache: Path = CACHE) -> Prowler:
    """Prowler from ``requirements``, installed once per requirements hash (a lock keeps parallel runs apart)."""
    key = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    venv = cache / key
    executable = venv / "bin" / "prowler"
    cache.mkdir(exist_ok=True)
    with open(cache / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        seconds = 0.0
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            uv = _uv()
            subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
            done = subprocess.run(
                [uv, "pip", "install", "-q", "--require-hashes", "-r", str(requirements)],
                env={**_plain_env(), "VIRTUAL_ENV": str(venv)},
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                unreachable = _index_reachable()
                if unreachable:
                    raise Unavailable(f"Prowler cannot be installed: {unreachable}")
                raise RuntimeError(f"installing Prowler failed:\n{done.stderr[-4000:]}")
            (venv / ".complete").touch()
            seconds = time.monotonic() - started
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=True)
    return Prowler(executable, version.stdout.strip().removeprefix("Prowler "), seconds)


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")}
