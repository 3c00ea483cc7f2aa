"""No secret lands anywhere but the secrets file and its QR image (issues 4 and 13).

Each run uses known secret values where the runbook takes them (the custom password) and reads the
ones IAM makes (seed, Git password) back from the secrets file; the QR images are redrawn from the
seed, and the MFA codes are recomputed from it over the run's time span. Then every byte the run
wrote is searched for each secret in every form `encodings` knows: plain, Python repr, JSON, XML and
URL escaping nested three deep, base64 and hex.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pyotp
import pytest

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID, mfa as sandbox_mfa
from runbook_lib.secrets import SECRET_VALUE_KEYS, binary_encodings, encodings
from tests.support.net import BIN, ROOT

pytestmark = pytest.mark.slow
PASSWORD = "Leak-Test-Passw0rd!-7f3c"
# A backslash and both quotes: Python's repr escapes them, so a log of a request shows another string.
TRICKY_PASSWORD = "Leak\\Te'st\"Pw-7f3c!"


def secret_values(secrets_dir: Path, started: float, ended: float, password: str) -> dict[str, str | bytes]:
    """Every secret the runs made, from the files they wrote: the QR images (IAM's, redrawn from the
    seed as the sandbox draws it, and the runbook's), and the TOTP codes of the run's span."""
    found: dict[str, str | bytes] = {"console_password": password}
    for path in secrets_dir.glob("*.json"):
        data = json.loads(path.read_text())
        for key in SECRET_VALUE_KEYS:
            if key in data:
                found[f"{path.name}:{key}"] = data[key]
        if "mfa_seed" in data:
            totp = pyotp.TOTP(data["mfa_seed"])
            for t in range(int(started) - 60, int(ended) + 60, 30):
                found[f"code@{t}"] = totp.at(t)
            uri = sandbox_mfa.provisioning_uri(data["mfa_seed"], data["user_name"], SANDBOX_ACCOUNT_ID)
            found[f"{path.name}:IAM's QRCodePNG"] = sandbox_mfa.qr_png(uri)
        if path.with_suffix(".qr.png").exists():
            found[f"{path.name}:qr.png"] = path.with_suffix(".qr.png").read_bytes()
    return found


def files_under(*roots: Path, skip: Iterable[Path] = ()) -> Iterable[Path]:
    """Every file below the roots, not descending into the skipped directories."""
    skipped = {str(s.resolve()) for s in skip}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if str((Path(folder) / d).resolve()) not in skipped]
            yield from (Path(folder) / f for f in files if (Path(folder) / f).is_file())


def search(paths: Iterable[Path], blobs: dict[str, str], secrets: dict[str, str | bytes]) -> list[str]:
    """Where each secret (in each encoded form) was found: 'place: secret name'."""
    hits = []
    places = {str(p): p.read_bytes() for p in paths}
    places.update({name: text.encode() for name, text in blobs.items()})
    forms_of = {
        name: [value] if name.startswith("code@") else sorted(forms(value), key=len) for name, value in secrets.items()
    }
    for place, data in places.items():
        for name, found in forms_of.items():
            codes_only = name.startswith("code@")
            for form in found:
                raw = form if isinstance(form, bytes) else form.encode()
                if raw in data and not (codes_only and not _code_in_context(data, raw)):
                    hits.append(f"{place}: {name}")
                    break
    return hits


def forms(value: str | bytes) -> set[str] | set[bytes]:
    """A secret's text forms; an image also as its own bytes (a PNG written anywhere but the store)."""
    if isinstance(value, bytes):
        return {value, *(f.encode() for f in binary_encodings(value))}
    return encodings(value)


def _code_in_context(data: bytes, code: bytes) -> bool:
    """A 6-digit code counts when it stands alone, not inside a longer number (an id, a port, a time)."""
    import re

    return re.search(rb"(?<![0-9A-Za-z])" + code + rb"(?![0-9A-Za-z])", data) is not None


class Runner:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.password = PASSWORD
        self.out: dict[str, str] = {}
        self.env["TMPDIR"] = str(tmp / "tmpdir")
        (tmp / "tmpdir").mkdir(exist_ok=True)

    def run(self, label: str, *params: str, **env: str) -> int:
        args = [str(BIN / "runbook"), "run", "--html", "--output-dir", str(self.tmp / "runs")]
        pairs = ["secrets_dir", str(self.tmp / "secrets"), *params]
        for name, value in zip(pairs[::2], pairs[1::2], strict=True):
            args += ["-p", name, value]
        done = subprocess.run(args, env={**self.env, **env}, capture_output=True, text=True, timeout=300)
        self.out[f"{label} stdout"], self.out[f"{label} stderr"] = done.stdout, done.stderr
        return done.returncode

    def leaks(self, started: float) -> list[str]:
        secrets = secret_values(self.tmp / "secrets", started, time.time(), self.password)
        assert len(secrets) >= 2, "the runs wrote no secrets file to take secrets from"
        written = files_under(self.tmp, skip=[self.tmp / "secrets"])
        # Files of the working tree this run wrote (other people may be editing the tree).
        tree = files_under(ROOT, skip=[ROOT / ".venv", ROOT / ".git", self.tmp])
        changed = [p for p in tree if p.stat().st_mtime >= started]
        return search([*written, *changed], self.out, secrets)


@pytest.fixture
def runner(cli_env: dict[str, str], tmp_path: Path) -> Runner:
    return Runner(dict(cli_env), tmp_path)


def test_successful_run_leaks_nothing(runner: Runner) -> None:
    started = time.time()
    assert runner.run("run", "user_name", "leak-ok", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD) == 0
    assert runner.leaks(started) == []


def test_run_failing_midway_leaks_nothing(runner: Runner) -> None:
    """Deferred codes that are not the new device's stop the run at MFA, after the user, its password,
    the device and its seed were made. (A stranger's device of the same name no longer does: the
    review refuses that name before any write.)"""
    started = time.time()
    code = runner.run(
        "run", "user_name", "leak-midway", "password_mode", "custom", "mfa_codes", "defer",
        RUNBOOK_PASSWORD=PASSWORD, RUNBOOK_MFA_CODES="111111,222222",
    )  # fmt: skip
    assert code == 1 and "6 MFA" in runner.out["run stderr"], runner.out["run stderr"]
    assert runner.leaks(started) == []


def test_defer_then_finish_leaks_nothing(runner: Runner) -> None:
    started = time.time()
    assert runner.run("defer", "user_name", "leak-defer", "mfa_codes", "defer") == 0
    seed = next(json.loads(p.read_text())["mfa_seed"] for p in (runner.tmp / "secrets").glob("*.json"))
    codes = ",".join((pyotp.TOTP(seed).at(time.time() - 30), pyotp.TOTP(seed).now()))
    finished = runner.run("finish", "user_name", "leak-defer", "mfa_codes", "defer", RUNBOOK_MFA_CODES=codes)
    assert finished == 0, runner.out["finish stderr"]
    assert "MFA: enabled" in runner.out["finish stdout"]
    assert runner.leaks(started) == []


DEBUG_STARTUP = {
    "basicConfig": "import logging\nlogging.basicConfig(level=logging.DEBUG)\n",
    "set_stream_logger": "import boto3\nboto3.set_stream_logger('')\n",
}


@pytest.mark.parametrize("startup", DEBUG_STARTUP)
def test_debug_logging_in_the_kernel_leaks_nothing(runner: Runner, startup: str) -> None:
    """DEBUG logging turned on in the kernel by an IPython startup file: botocore logs every request and
    response body (the password, the seed, the QR PNG, the codes, the Git password) before the runbook
    learns the secrets IAM made. Every one is masked, in every form, in every record."""
    ipython_dir = runner.tmp / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-debug.py").write_text(DEBUG_STARTUP[startup])
    runner.password = TRICKY_PASSWORD
    started = time.time()
    code = runner.run("debug", "user_name", f"leak-{startup}", "password_mode", "custom",
                      RUNBOOK_PASSWORD=TRICKY_PASSWORD, IPYTHONDIR=str(ipython_dir))  # fmt: skip
    assert code == 0, runner.out["debug stderr"]
    record = next((runner.tmp / "runs").glob("*.ipynb")).read_text()
    for logged in ("Response body", "CreateVirtualMFADevice", "Base32StringSeed", "ServicePassword", "'Password'"):
        assert logged in record, f"the kernel did not log {logged!r}: DEBUG logging was not on"
    leaks = runner.leaks(started)
    assert leaks == [], "\n".join(leaks)


def test_the_search_finds_a_planted_secret(runner: Runner) -> None:
    """The leak search can fail: a secret planted in an executed notebook's output is found, in each form
    (the whole search once, then the same search over that notebook for each form)."""
    started = time.time()
    assert runner.run("run", "user_name", "leak-plant", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD) == 0
    notebook = next((runner.tmp / "runs").glob("*.ipynb"))
    seed = next(json.loads(p.read_text())["mfa_seed"] for p in (runner.tmp / "secrets").glob("*.json"))
    original = notebook.read_text()
    notebook.write_text(original.replace("Summary", f"Summary {seed}", 1))
    assert any("mfa_seed" in hit for hit in runner.leaks(started))
    tricky = TRICKY_PASSWORD + "-planted"
    secrets = secret_values(runner.tmp / "secrets", started, time.time(), tricky)
    planted = {"mfa_seed": encodings(seed), "console_password": encodings(tricky)}
    for name, forms_of_it in planted.items():  # among them, the repr, JSON and HTML forms of a logged dict
        for form in sorted(forms_of_it):
            notebook.write_text(original.replace("Summary", f"Summary {form}", 1))
            assert any(name in hit for hit in search([notebook], {}, secrets)), form
    notebook.write_text(original)
    os.environ.pop("RUNBOOK_PASSWORD", None)
