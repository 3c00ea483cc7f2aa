"""A deferred MFA device finished with the codes KeePassXC itself generates (issue 17).

The first run creates the device and hands its seed to the KeePass store only; the second run finds
the pending device in IAM, reads its seed back from the store, and enables it with two consecutive
codes that `keepassxc-cli show --totp` printed: the current window's, then, after waiting for the
window to turn, the next one's. No code is computed here; the embedded sandbox checks them as IAM does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from runbook_lib import mfa, users
from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID, in_process
from runbook_lib.stores import KEEPASS_PASSWORD_ENV, Account, StoreSettings, open_store
from tests.support.stores import MASTER, in_one_window, kpcli, require

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


@pytest.fixture
def iam() -> Iterator[IAMClient]:
    with in_process():
        yield boto3.client(
            "iam", region_name="us-east-1", aws_access_key_id=SANDBOX_ROOT_ACCESS_KEY_ID, aws_secret_access_key="x"
        )


def test_deferred_device_is_enabled_with_keepassxcs_own_codes(
    iam: IAMClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("keepassxc-cli")
    monkeypatch.setenv(KEEPASS_PASSWORD_ENV, MASTER)
    db = tmp_path / "aws.kdbx"
    settings = StoreSettings("keepass", keepass_db=str(db))
    account_id = boto3.client(
        "sts", region_name="us-east-1", aws_access_key_id=SANDBOX_ROOT_ACCESS_KEY_ID, aws_secret_access_key="x"
    ).get_caller_identity()["Account"]
    account = Account(account_id, "alice", f"https://{account_id}.signin.aws.amazon.com/console")

    # run 1 (mfa_codes=defer): the device is created, its seed goes to KeePass and nowhere else
    users.create_user(iam, "alice")
    device = mfa.create_device(iam, "alice", "alice", "defer")
    assert device.seed is not None
    store = open_store(settings, account)
    store.check()
    uri = mfa.otpauth_uri(device.seed, "alice", account_id)
    store.put_mfa("alice", device.serial, device.seed, uri, device.device_id)
    del device

    # run 2: the pending device from IAM, its seed from the store, the codes from KeePassXC
    (pending,) = [d for d in mfa.find_pending(iam, "alice") if d.deferred]
    stored = open_store(settings, account).pending_seed("alice", pending.serial, pending.device_id)
    assert stored is not None
    entry = f"AWS/{account_id}/alice MFA"
    first, window = in_one_window(lambda: kpcli(db, "show", "--totp", entry))
    time.sleep(max(0.0, (window + 1) * 30 - time.time()) + 0.5)
    second, next_window = in_one_window(lambda: kpcli(db, "show", "--totp", entry))
    assert next_window == window + 1
    assert mfa.check_codes(stored.seed, first, second) == "ok"  # the seed read back makes the same codes

    with pytest.raises(ClientError) as refused:  # the sandbox does check them: swapped, they fail
        mfa.enable(iam, "alice", pending.serial, second, first)
    assert refused.value.response["Error"]["Code"] == "InvalidAuthenticationCode"
    mfa.enable(iam, "alice", pending.serial, first, second)
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [pending.serial]
