"""No one-time secret is made unless it can be stored (issue 13, item 9, the storage half).

`check_can_store` runs before IAM is asked for a secret it shows only once; it fails on a full disk
(as statvfs reports it, as a write finds it, and for real on a tiny tmpfs), on a directory that
cannot take a file, and on a file system without inodes. If the store fails anyway after IAM issued
a Git password, the error names the credential and `codecommit_reset`.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbook_lib import secrets
from runbook_lib.errors import InputError, SecretNotStored, StorageError


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return secrets.ensure_private_dir(tmp_path / "secrets")


def refused(store: Path, *words: str) -> StorageError:
    before = sorted(store.iterdir())
    with pytest.raises(StorageError) as caught:
        secrets.check_can_store(store)
    err = caught.value
    assert isinstance(err, InputError) and err.parameter == "secrets_dir" and err.fix
    assert "Nothing was asked of IAM" in err.message and "Free space" in err.fix
    for word in words:
        assert word in str(err), str(err)
    assert sorted(store.iterdir()) == before, "the probe leaves nothing behind"
    return err


def test_a_store_with_room_is_accepted_and_left_as_it_was(store: Path) -> None:
    (store / "earlier.json").write_text("{}")
    assert secrets.check_can_store(store) == store
    assert [p.name for p in store.iterdir()] == ["earlier.json"]


def statvfs_with(free_blocks: int, free_inodes: int = 1000) -> Any:
    real = os.statvfs

    def fake(path: Any) -> os.statvfs_result:
        s = real(path)
        fields = list(s)
        fields[4], fields[7] = free_blocks, free_inodes  # f_bavail, f_favail
        return os.statvfs_result(fields)

    return fake


@pytest.mark.parametrize("free", [0, 1, secrets.STORE_NEEDS, secrets.STORE_NEEDS + secrets.STORE_MARGIN - 1])
def test_a_disk_statvfs_reports_full_or_nearly_full_is_refused(
    store: Path, monkeypatch: pytest.MonkeyPatch, free: int
) -> None:
    block = os.statvfs(store).f_frsize
    monkeypatch.setattr(os, "statvfs", statvfs_with(free // block))
    refused(store, "bytes free")


def test_a_file_system_without_free_inodes_is_refused(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "statvfs", statvfs_with(10**9, free_inodes=0))
    refused(store, "inodes")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO])
def test_a_write_that_fails_although_statvfs_said_there_was_room_is_refused(
    store: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """A quota, a read-only remount, a disk that fills meanwhile: the probe really writes."""

    def failing_write(fd: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", failing_write)
    refused(store, os.strerror(code))


def test_a_directory_that_cannot_take_a_new_file_is_refused(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = secrets.tempfile.mkstemp

    def read_only(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("prefix") == ".store-probe-":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*args, **kwargs)

    monkeypatch.setattr(secrets.tempfile, "mkstemp", read_only)
    refused(store, os.strerror(errno.EROFS))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 200 kB tmpfs, owned by us and 0700 (this machine's tests run as root)."""
    mount = tmp_path / "tiny"
    mount.mkdir(mode=0o700)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k,mode=0700", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_really_full_tiny_disk_is_refused_before_iam_is_asked(tiny_disk: Path) -> None:
    store = secrets.ensure_private_dir(tiny_disk / "secrets")
    with pytest.raises(StorageError):  # 200 kB is less than what a secret needs plus the margin
        secrets.check_can_store(store)
    assert secrets.check_can_store(store, needed=4096, margin=0) == store  # a small need fits
    with open(tiny_disk / "filler", "wb", buffering=0) as filler:  # now fill the disk for real
        with pytest.raises(OSError) as full:
            while True:
                filler.write(b"\0" * 4096)
        assert full.value.errno == errno.ENOSPC
    with pytest.raises(StorageError) as caught:
        secrets.check_can_store(store, needed=4096, margin=0)
    assert "bytes free" in caught.value.message or os.strerror(errno.ENOSPC) in caught.value.message
    assert sorted(p.name for p in store.iterdir()) == []


def test_a_git_password_the_store_could_not_take_names_the_credential_and_the_reset(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the procedure raises when SecretsFile.put fails after CreateServiceSpecificCredential."""
    secrets_file = secrets.SecretsFile.for_run(str(store), "alice")
    secrets_file.put(user_name="alice")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    password = "Git-Pa55word/+=only-once"
    with pytest.raises(OSError) as failed:
        secrets_file.put(codecommit_username="alice-at-123456789012", codecommit_password=password)
    err = secrets.git_password_not_stored(
        "ACCAEXAMPLE1234567890", "alice", failed.value, "CreateServiceSpecificCredential"
    )
    assert isinstance(err, SecretNotStored) and err.step == "CreateServiceSpecificCredential"
    assert "ACCAEXAMPLE1234567890" in err.message and "codecommit_reset=ACCAEXAMPLE1234567890" in (err.fix or "")
    assert os.strerror(errno.ENOSPC) in err.message and password not in str(err)
    assert not [p for p in store.iterdir() if p.name.startswith(".tmp-")], "no half-written file is left"


def test_an_mfa_seed_the_store_could_not_take_says_the_next_run_replaces_the_device() -> None:
    cause = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/secret/path/with-JBSWY3DPEHPK3PXP")
    err = secrets.mfa_seed_not_stored("arn:aws:iam::123456789012:mfa/alice", cause)
    assert "arn:aws:iam::123456789012:mfa/alice" in err.message and "deletes the unassigned device" in (err.fix or "")
    assert "JBSWY3DPEHPK3PXP" not in str(err), "the cause's text is not repeated, only its reason"
