"""The `file` store (the default): the user's 0600 JSON secrets file and QR image, behind the store interface.

It adds nothing to `SecretsFile`: one file per user and account, `<user>@<account>.json`, that every
run adds to (a replaced value is kept under `earlier`), rewritten as each secret arrives, so a crash
after a write to IAM still leaves the secret on disk. These are the only secrets the runbook writes in
plain text, and the summary says to move them and delete the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..secrets import SecretsFile, check_can_store, delivered, entries, holding, register, resolve_path
from .base import Account, Pending, Placed, Secret, StoreKind

WHAT: dict[Secret, str] = {
    "console": "console password",
    "mfa": "MFA seed and otpauth URI",
    "codecommit": "CodeCommit Git password",
}
VALUE_KEY: dict[Secret, str] = {"console": "console_password", "mfa": "mfa_seed", "codecommit": "codecommit_password"}
"""The key of the file's top level that holds each secret."""


class FileStore:
    """Secrets in `<secrets_dir>/<user>@<account>.json` (and `.qr.png`), mode 0600 in a 0700 directory."""

    kind: StoreKind = "file"

    def __init__(self, directory: str, account: Account, qr_png: Callable[[str], bytes] | None = None) -> None:
        """`qr_png` renders the otpauth URI as a PNG (the procedure passes `mfa.qr_png`); None writes no image."""
        self.directory = directory
        self.account = account
        self.qr_png = qr_png
        self._secrets: tuple[Account, SecretsFile] | None = None
        self._placed: list[Placed] = []

    def check(self) -> list[str]:
        self.ready()
        return [f"Secrets go to {self._path()} (plain text, mode 0600), in a 0700 directory."]

    def ready(self) -> None:
        """The directory is private and really takes a file of a secret's size, with room to spare."""
        check_can_store(self.directory)

    def _path(self) -> Path:
        a = self.account
        return resolve_path(self.directory) / f"{a.user_name}@{a.account_id}.json"

    def _file(self) -> SecretsFile:
        """The account user's file (the user may have changed before the first secret), with its context."""
        a = self.account
        if self._secrets is None or self._secrets[0] != a:
            secrets = SecretsFile.for_user(self.directory, a.user_name, a.account_id)
            secrets.put(user_name=a.user_name, account_id=a.account_id, console_signin_url=a.signin_url)
            self._secrets = (a, secrets)
        return self._secrets[1]

    def _place(self, secret: Secret, *paths: Path) -> Placed:
        placed = _placed(secret, *paths)
        self._placed.append(placed)
        return placed

    def put_console(self, user_name: str, password: str, signin_url: str) -> Placed:
        return self._place("console", self._file().put(console_password=password))

    def put_mfa(self, user_name: str, serial: str, seed: str, uri: str, device_id: str = "") -> Placed:
        secrets = self._file()
        ids = {"mfa_device_id": device_id} if device_id else {}
        path = secrets.put(mfa_serial=serial, **ids, mfa_seed=seed, mfa_otpauth_uri=uri)
        if self.qr_png is None:
            return self._place("mfa", path)
        return self._place("mfa", path, secrets.put_png(self.qr_png(uri)))

    def put_codecommit(self, user_name: str, git_user_name: str, password: str, endpoint: str) -> Placed:
        path = self._file().put(codecommit_username=git_user_name, codecommit_password=password)
        return self._place("codecommit", path)

    def pending_seed(self, user_name: str, serial: str, device_id: str = "") -> Pending | None:
        """The seed recorded for this very device in any secrets file of the directory (newest entry first).

        Any file, not only this user's: files of older runs were named by run, and a seed may sit under
        `earlier` once a later value replaced it.
        """
        for path, values in delivered(self.directory):
            if values.get("mfa_serial") != serial or not values.get("mfa_seed"):
                continue
            if device_id and values.get("mfa_device_id") != device_id:
                continue
            uri = values.get("mfa_otpauth_uri", "")
            return Pending(serial, register(values["mfa_seed"]), register(uri) if uri else "", str(path))
        return None

    def holds_console(self, user_name: str) -> bool:
        """A secrets file of this user in this account records a console password (now or under `earlier`)."""
        return any(
            values.get("user_name") == user_name
            and values.get("account_id", self.account.account_id) == self.account.account_id
            and any("console_password" in entry for entry in entries(values))
            for _path, values in _files(self.directory)
        )

    def held(self, user_name: str) -> list[Placed]:
        """For each secret, the newest file of this user in this account whose top level holds it (the QR image too).

        Only which keys a file has is looked at; older runs' files, named by run, count as well.
        """
        account_id = self.account.account_id
        mine = [
            (path, values)
            for path, values in _files(self.directory)
            if values.get("user_name") == user_name and values.get("account_id", account_id) == account_id
        ]
        mine.sort(key=lambda found: found[0].stat().st_mtime, reverse=True)
        held = []
        for secret, key in VALUE_KEY.items():
            path = next((path for path, values in mine if key in values), None)
            if path is not None:
                png = path.with_suffix(".qr.png")
                held.append(_placed(secret, path, png) if secret == "mfa" and png.exists() else _placed(secret, path))
        return held

    def locations(self) -> list[Placed]:
        return list(self._placed)

    def plain_files(self) -> list[Path]:
        """Every file of the directory that still holds a secret of this user in this account, QR images too."""
        return holding(self.directory, self.account.user_name, self.account.account_id)


def _placed(secret: Secret, *paths: Path) -> Placed:
    """The file (and the QR image beside it, which encodes the seed) that holds one secret, in plain text."""
    what = "MFA seed, otpauth URI and QR image" if len(paths) > 1 else WHAT[secret]
    return Placed(what, tuple(str(p) for p in paths), plain=True, secret=secret)


def _files(directory: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each secrets file in the directory that reads as one, with its content (others are left alone)."""
    for path in sorted(resolve_path(directory).glob("*.json")):
        try:
            values = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(values, dict):
            yield path, values
