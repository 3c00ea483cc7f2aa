"""`runbook run` end to end: papermill executes the notebook against a served sandbox, and the AWS CLI
sees the result, as issue 2's "done when" states."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.net import BIN

pytestmark = pytest.mark.slow


def runbook(
    env: dict[str, str], tmp_path: Path, *params: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / "runbook"), "run", "--output-dir", str(tmp_path / "runs"), *extra]
    pairs = ["secrets_dir", str(tmp_path / "secrets"), *params]
    for name, value in zip(pairs[::2], pairs[1::2], strict=True):
        args += ["-p", name, value]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def aws(env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run(
        [str(BIN / "aws"), "--output", "json", "iam", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_run_then_the_aws_cli_sees_device_policies_and_git_credential(cli_env: dict[str, str], tmp_path: Path) -> None:
    done = runbook(cli_env, tmp_path, "user_name", "alice", extra=("--html",))
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("step ")]
    assert len(steps) == 10 and "Review: 7 change(s) planned" in done.stdout
    devices = aws(cli_env, "list-mfa-devices", "--user-name", "alice")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == ["arn:aws:iam::123456789012:mfa/alice"]  # type: ignore[index]
    attached = aws(cli_env, "list-attached-user-policies", "--user-name", "alice")["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == [  # type: ignore[attr-defined]
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/job-function/Billing",
    ]
    creds = aws(cli_env, "list-service-specific-credentials", "--user-name", "alice")["ServiceSpecificCredentials"]
    assert len(creds) == 1  # type: ignore[arg-type]
    assert aws(cli_env, "get-login-profile", "--user-name", "alice")["LoginProfile"]["UserName"] == "alice"  # type: ignore[index]

    secrets = sorted((tmp_path / "secrets").glob("*.json"))
    assert len(secrets) == 1 and stat.S_IMODE(secrets[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    data = json.loads(secrets[0].read_text())
    assert set(data) == {
        "user_name",
        "account_id",
        "console_signin_url",
        "console_password",
        "mfa_serial",
        "mfa_device_id",
        "mfa_seed",
        "mfa_otpauth_uri",
        "codecommit_username",
        "codecommit_password",
        "runs",
    }
    assert stat.S_IMODE(secrets[0].with_suffix(".qr.png").stat().st_mode) == 0o600
    record = [p for p in (tmp_path / "runs").iterdir()]
    assert {p.suffix for p in record} == {".ipynb", ".html"}
    for path in record:
        text = path.read_text()
        for key in ("console_password", "mfa_seed", "codecommit_password"):
            assert data[key] not in text, f"{key} leaked into {path.name}"


def test_rerun_of_a_finished_runbook_plans_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert runbook(cli_env, tmp_path, "user_name", "bob").returncode == 0
    again = runbook(cli_env, tmp_path, "user_name", "bob")
    assert again.returncode == 0, again.stderr
    assert "Review: nothing to do" in again.stdout and "Create: nothing to do" in again.stdout
    assert len(list((tmp_path / "secrets").glob("*.json"))) == 1  # the re-run made no secret, so no new file


def test_failed_run_exits_non_zero_naming_the_parameter_and_the_fix(cli_env: dict[str, str], tmp_path: Path) -> None:
    failed = runbook(cli_env, tmp_path, "user_name", "carol", "password_mode", "custom")
    assert failed.returncode == 1
    assert "failed at step 2 Console access" in failed.stderr
    assert "password_mode" in failed.stderr and "Fix:" in failed.stderr and "RUNBOOK_PASSWORD" in failed.stderr


def test_bad_parameter_is_refused_before_papermill_starts(cli_env: dict[str, str], tmp_path: Path) -> None:
    refused = runbook(cli_env, tmp_path, "user_name", "bad name!")
    assert refused.returncode == 2 and "user_name" in refused.stderr and "Fix:" in refused.stderr
    assert not (tmp_path / "runs").exists()
