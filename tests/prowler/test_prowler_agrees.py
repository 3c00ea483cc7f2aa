"""Issue 15: Verify says what Prowler says.

After a runbook run on a fresh served sandbox, Prowler (the checker auditors run; its own venv, see
``prowler_env``) runs the IAM checks Verify names against the same account, and each Verify row's
verdict must equal Prowler's for the same resource, in both variants: the blog's (policies on the
user, no password policy) and the group + CIS one. The runbook's own reading ("expected for the
first administrator") sits beside Prowler's verdict, never in its place.

Skipped only where Prowler cannot be installed because the package index is unreachable.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.aws import SANDBOX_CREDENTIALS
from runbook_lib.checks import Check, verify
from runbook_lib.runbook import run_headless
from tests.peer.run import served_sandbox
from tests.prowler import prowler_env

pytestmark = pytest.mark.slow
FULL_ADMIN_CHECK = "iam_aws_attached_policy_no_administrative_privileges"

VARIANTS: dict[str, dict[str, str]] = {
    "blog": {},
    "group+cis": {"grant_via": "group", "password_policy": "cis"},
}


@pytest.fixture(scope="module")
def prowler() -> prowler_env.Prowler:
    try:
        found = prowler_env.install()
    except prowler_env.Unavailable as unavailable:
        pytest.skip(str(unavailable))
    print(f"Prowler {found.version}, installed in {found.install_seconds:.0f} s (0: cached)")
    return found


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh `runbook sandbox` per variant: Prowler reads the whole account."""
    with served_sandbox(tmp_path / "sandbox.log") as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url


def run_prowler(prowler: prowler_env.Prowler, endpoint: str, checks: Sequence[str], out: Path) -> list[dict[str, Any]]:
    """Prowler's findings (OCSF JSON) for ``checks``, with the sandbox's fake credentials."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(out),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": SANDBOX_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": SANDBOX_CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": SANDBOX_CREDENTIALS["aws_session_token"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(out / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(out / "no-credentials"),
    }
    argv = [str(prowler.executable), "aws", "--no-banner", "--no-color", "--ignore-exit-code-3"]
    argv += ["--region", "us-east-1", "--checks", *checks, "--output-formats", "json-ocsf"]
    argv += ["--output-directory", str(out), "--output-filename", "prowler"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    findings: list[dict[str, Any]] = json.loads((out / "prowler.ocsf.json").read_text())
    return findings


def prowler_verdict(findings: list[dict[str, Any]], check: Check) -> str:
    """Prowler's verdict on the resources a Verify row stands for: FAIL if any finding fails, N/A if none."""
    mine = [
        f
        for f in findings
        if f["metadata"]["event_code"] == check.prowler
        and (not check.resources or any(r.get("uid") in check.resources for r in f["resources"]))
    ]
    if not mine:
        return "N/A"
    return "FAIL" if any(f["status_code"] == "FAIL" for f in mine) else "PASS"


@pytest.mark.parametrize("variant", VARIANTS)
def test_verify_gives_prowlers_verdict_on_every_row(
    variant: str, prowler: prowler_env.Prowler, endpoint: str, tmp_path: Path
) -> None:
    user = "admin-" + variant.replace("+", "-")
    run = run_headless(
        {"mfa_codes": "generate", "secrets_dir": str(tmp_path / "s"), "user_name": user, **VARIANTS[variant]}
    )
    checks = verify(run.conn.iam, user)
    shown = {row[2]: row[0] for row in run.verify().rows}  # what the run itself shows
    findings = run_prowler(prowler, endpoint, [c.prowler for c in checks], tmp_path)

    theirs = {c.prowler: prowler_verdict(findings, c) for c in checks}
    print(f"{variant}: Prowler {prowler.version}")
    for c in checks:
        print(f"  {c.prowler:52} runbook {c.status:4}  Prowler {theirs[c.prowler]:4}  {c.reading}")
    assert {c.prowler: c.status for c in checks} == theirs
    assert shown == theirs
    assert {f["metadata"]["event_code"] for f in findings} <= set(theirs)  # Prowler ran the checks asked for
    # The first administrator's full access: Prowler's verdict, with the runbook's reading beside it.
    direct, full = checks_by_name(checks, "iam_user_administrator_access_policy", FULL_ADMIN_CHECK)
    assert full.status == "FAIL" and full.expected and "first administrator" in full.reading
    if variant == "blog":
        assert direct.status == "FAIL" and direct.expected and "first administrator" in direct.reading
    else:
        assert direct.status == "PASS" and "through group Administrators" in direct.reading


def checks_by_name(checks: Sequence[Check], *names: str) -> list[Check]:
    return [next(c for c in checks if c.prowler == name) for name in names]
