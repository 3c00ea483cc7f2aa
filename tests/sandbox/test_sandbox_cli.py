"""The real AWS CLI against a served sandbox: each rule holds for any client, not just boto3.

The CLI has its own botocore and its own handling of blobs and errors, and people will
try the runbook's steps by hand with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.sandbox import ROOT_STATE_PATH, SANDBOX_ACCOUNT_ID, SANDBOX_ROOT_ACCESS_KEY_ID, Sandbox
from tests.support.sandbox import current_codes, post_json, read_qr

AWS = Path(sys.executable).with_name("aws")
STRONG = "Corr3ct-Horse-Battery"


@dataclass
class Cli:
    """``aws iam ...`` / ``aws sts ...`` pointed at the sandbox, signed with the root key."""

    endpoint_url: str
    workdir: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= {
            "AWS_ACCESS_KEY_ID": SANDBOX_ROOT_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": "any-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        command = [str(AWS), "--endpoint-url", self.endpoint_url, "--output", "json", *args]
        return subprocess.run(command, env=env, cwd=self.workdir, capture_output=True, text=True, timeout=60)

    def ok(self, *args: str) -> Any:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    def fails(self, code: str, *args: str) -> None:
        """The command exits non-zero and names IAM's error ``code``."""
        result = self.run(*args)
        assert result.returncode != 0, result.stdout
        assert f"({code})" in result.stderr, result.stderr


@pytest.fixture
def cli(served: Sandbox, tmp_path: Path) -> Iterator[Cli]:
    post_json(served.endpoint_url + "/moto-api/reset")
    yield Cli(served.endpoint_url, tmp_path)


def test_get_caller_identity_shows_the_root_user(cli: Cli) -> None:
    identity = cli.ok("sts", "get-caller-identity")
    assert identity["Arn"] == f"arn:aws:iam::{SANDBOX_ACCOUNT_ID}:root"
    assert identity["UserId"] == SANDBOX_ACCOUNT_ID


def test_service_specific_credentials_created_listed_without_password_and_unsupported_service_NoSuchEntity(
    cli: Cli,
) -> None:
    cli.ok("iam", "create-user", "--user-name", "alice")
    created = cli.ok(
        "iam",
        "create-service-specific-credential",
        "--user-name",
        "alice",
        "--service-name",
        "codecommit.amazonaws.com",
    )["ServiceSpecificCredential"]
    assert created["ServiceUserName"] == f"alice-at-{SANDBOX_ACCOUNT_ID}"
    assert created["ServicePassword"]

    listed = cli.ok("iam", "list-service-specific-credentials", "--user-name", "alice")
    assert [c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]] == [
        created["ServiceSpecificCredentialId"]
    ]
    assert "ServicePassword" not in listed["ServiceSpecificCredentials"][0]

    cli.fails(
        "NoSuchEntity",
        *("iam", "create-service-specific-credential", "--user-name", "alice", "--service-name", "s3.amazonaws.com"),
    )


def test_enable_mfa_device_takes_only_the_seeds_current_codes_and_pins_the_device(cli: Cli) -> None:
    cli.ok("iam", "create-user", "--user-name", "alice")
    seed_file = cli.workdir / "seed.txt"
    device = cli.ok(
        "iam",
        "create-virtual-mfa-device",
        *("--virtual-mfa-device-name", "alice-phone"),
        *("--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed"),
    )["VirtualMFADevice"]
    serial = device["SerialNumber"]
    enable = ("iam", "enable-mfa-device", "--user-name", "alice", "--serial-number", serial)

    cli.fails(
        "InvalidAuthenticationCode", *enable, "--authentication-code1", "123456", "--authentication-code2", "654321"
    )

    code_1, code_2 = current_codes(seed_file.read_text().strip())
    cli.ok(*enable, "--authentication-code1", code_1, "--authentication-code2", code_2)

    cli.fails("DeleteConflict", "iam", "delete-virtual-mfa-device", "--serial-number", serial)
    cli.fails("DeleteConflict", "iam", "delete-user", "--user-name", "alice")


def test_qr_code_png_written_by_the_cli_decodes_to_the_otpauth_uri(cli: Cli) -> None:
    png = cli.workdir / "qr.png"
    cli.ok(
        "iam",
        "create-virtual-mfa-device",
        *("--virtual-mfa-device-name", "alice-phone", "--outfile", str(png), "--bootstrap-method", "QRCodePNG"),
    )
    assert read_qr(png.read_bytes()).startswith(
        "otpauth://totp/Amazon%20Web%20Services:alice-phone%40123456789012?secret="
    )


def test_login_profile_policy_violation_reset_flag_and_delete_conflict(cli: Cli) -> None:
    cli.ok("iam", "create-user", "--user-name", "alice")
    profile = ("iam", "create-login-profile", "--user-name", "alice", "--password")

    cli.fails("PasswordPolicyViolation", *profile, "weak")
    cli.ok(*profile, STRONG, "--password-reset-required")

    shown = cli.ok("iam", "get-login-profile", "--user-name", "alice")["LoginProfile"]
    assert shown["PasswordResetRequired"] is True
    cli.fails("EntityAlreadyExists", *profile, STRONG)
    cli.fails("DeleteConflict", "iam", "delete-user", "--user-name", "alice")


def test_user_name_outside_the_pattern_is_ValidationError(cli: Cli) -> None:
    cli.fails("ValidationError", "iam", "create-user", "--user-name", "bad name!")


def test_account_summary_reports_root_state_set_over_http(cli: Cli) -> None:
    summary = cli.ok("iam", "get-account-summary")["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (1, 0)

    answer = post_json(cli.endpoint_url + ROOT_STATE_PATH, {"access_keys": True, "mfa": False})
    assert answer == {"account_id": SANDBOX_ACCOUNT_ID, "access_keys": True, "mfa": False}

    summary = cli.ok("iam", "get-account-summary")["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 1)


def test_aws_managed_policies_are_there(cli: Cli) -> None:
    policy = cli.ok("iam", "get-policy", "--policy-arn", "arn:aws:iam::aws:policy/job-function/Billing")["Policy"]
    assert policy["PolicyName"] == "Billing"
    listed = cli.ok("iam", "list-policies", "--scope", "AWS", "--max-items", "5")["Policies"]
    assert len(listed) == 5
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in listed)
