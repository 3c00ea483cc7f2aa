"""No secret lands anywhere but the secrets file and its QR image (issue 4).

Each run uses known secret values where the runbook takes them (the custom password) and reads the
ones IAM makes (seed, Git password) back from the secrets file; the MFA codes are recomputed from the
seed over the run's time span. Then every byte the run wrote is searched for each secret in plain,
base64, hex and URL-encoded form.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import boto3
import pyotp
import pytest

from runbook_lib.secrets import SECRET_VALUE_KEYS, encodings
from tests.support.net import BIN, ROOT

pytestmark = pytest.mark.slow
PASSWORD = "Leak-Test-Passw0rd!-7f3c"


def secret_values(secrets_dir: Path, started: float, ended: float) -> dict[str, str]:
    """Every secret the runs made, from the files they wrote, plus the TOTP codes of the run's span."""
    found: dict[str, str] = {"console_password": PASSWORD}
    for path in secrets_dir.glob("*.json"):
        data = json.loads(path.read_text())
        for key in SECRET_VALUE_KEYS:
            if key in data:
                found[f"{path.name}:{key}"] = data[key]
        if "mfa_seed" in data:
            totp = pyotp.TOTP(data["mfa_seed"])
            for t in range(int(started) - 60, int(ended) + 60, 30):
                found[f"code@{t}"] = totp.at(t)
    return found


def files_under(*roots: Path, skip: Iterable[Path] = ()) -> Iterable[Path]:
    """Every file below the roots, not descending into the skipped directories."""
    skipped = {str(s.resolve()) for s in skip}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if str((Path(folder) / d).resolve()) not in skipped]
            yield from (Path(folder) / f for f in files if (Path(folder) / f).is_file())


def search(paths: Iterable[Path], blobs: dict[str, str], secrets: dict[str, str]) -> list[str]:
    """Where each secret (in each encoded form) was found: 'place: secret name'."""
    hits = []
    places = {str(p): p.read_bytes() for p in paths}
    places.update({name: text.encode() for name, text in blobs.items()})
    for place, data in places.items():
        for name, value in secrets.items():
            codes_only = name.startswith("code@")
            forms = {value} if codes_only else encodings(value)
            for form in forms:
                if form.encode() in data and not (codes_only and not _code_in_context(data, form)):
                    hits.append(f"{place}: {name}")
    return hits


def _code_in_context(data: bytes, code: str) -> bool:
    """A 6-digit code counts when it stands alone, not inside a longer number (an id, a port, a time)."""
    import re

    return re.search(rb"(?<![0-9A-Za-z])" + code.encode() + rb"(?![0-9A-Za-z])", data) is not None


class Runner:
    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env, self.tmp = env, tmp
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
        secrets = secret_values(self.tmp / "secrets", started, time.time())
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


def test_run_failing_midway_leaks_nothing(runner: Runner, served_sandbox: str) -> None:
    """A stranger's MFA device of the same name makes CreateVirtualMFADevice fail (EntityAlreadyExists)
    after the user and its password were made."""
    iam = boto3.client("iam", endpoint_url=served_sandbox, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")  # fmt: skip
    iam.create_virtual_mfa_device(VirtualMFADeviceName="leak-midway")
    started = time.time()
    code = runner.run("run", "user_name", "leak-midway", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD)
    assert code == 1 and "6. MFA" in runner.out["run stderr"]
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


def test_the_search_finds_a_planted_secret(runner: Runner) -> None:
    """The leak search can fail: a secret planted in an executed notebook's output is found, in each form."""
    started = time.time()
    assert runner.run("run", "user_name", "leak-plant", "password_mode", "custom", RUNBOOK_PASSWORD=PASSWORD) == 0
    notebook = next((runner.tmp / "runs").glob("*.ipynb"))
    seed = next(json.loads(p.read_text())["mfa_seed"] for p in (runner.tmp / "secrets").glob("*.json"))
    for form in sorted(encodings(seed)):
        original = notebook.read_text()
        notebook.write_text(original.replace("Summary", f"Summary {form}", 1))
        assert any("mfa_seed" in hit for hit in runner.leaks(started)), form
        notebook.write_text(original)
    os.environ.pop("RUNBOOK_PASSWORD", None)
