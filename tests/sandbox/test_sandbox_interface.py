"""The package's own promises: cheap to import, idempotent wiring, a server that starts and stops."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import pytest

import runbook_lib.sandbox as sandbox
from tests.support.net import free_port
from tests.support.sandbox import post_json


def test_importing_the_package_does_not_import_moto() -> None:
    """The runbook imports it on every start; moto loads only when a sandbox is used."""
    code = "import sys, runbook_lib.sandbox; print('moto' in sys.modules, 'boto3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_install_twice_keeps_the_accounts_state() -> None:
    with sandbox.in_process():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        sandbox.install()
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]


def test_in_process_starts_from_fresh_accounts() -> None:
    with sandbox.in_process():
        boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
    with sandbox.in_process():
        assert boto3.client("iam", region_name="us-east-1").list_users()["Users"] == []


def test_root_state_endpoint_refuses_a_malformed_body_with_400(served: sandbox.Sandbox) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        post_json(served.endpoint_url + sandbox.ROOT_STATE_PATH, {"mfa": "yes"})
    assert caught.value.code == 400


def test_stop_closes_the_port() -> None:
    second = sandbox.start()
    assert second.account_id == sandbox.SANDBOX_ACCOUNT_ID
    second.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(second.endpoint_url + "/moto-api/config", timeout=2)


def test_serve_forever_prints_where_it_listens_then_answers() -> None:
    """``runbook sandbox --port P`` relies on this one line to tell a person where to point."""
    port = free_port()
    code = f"from runbook_lib.sandbox import serve_forever; serve_forever({port})"
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        assert line == f"sandbox listening on http://127.0.0.1:{port} (account 123456789012)"
        sts = boto3.client(
            "sts",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id=sandbox.SANDBOX_ROOT_ACCESS_KEY_ID,
            aws_secret_access_key="any-secret",
        )
        assert sts.get_caller_identity()["Arn"].endswith(":root")
    finally:
        server.terminate()
        server.wait(timeout=10)
