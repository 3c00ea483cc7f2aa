"""The `file` store: today's 0600 JSON secrets file and QR image, behind the store interface.

It adds nothing to `SecretsFile`: the file is created on the first secret (with the account, the
user and the sign-in URL as context) and rewritten as each secret arrives, so a crash after a
write to IAM still leaves the secret on disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..secrets import SecretsFile, ensure_private_dir, register
from .base import Account, Pending, Placed, StoreKind


class FileStore:
    """Secrets in `<secrets_dir>/<time>-<user>.json` (and `.qr.png`), mode 0600 in a 0700 directory."""

    kind: StoreKind = "file"

    def __init__(self, directory: str, account: Account, qr_png: Callable[[str], bytes] | None = None) -> None:
        """`qr_png` renders the otpauth URI as a PNG (the procedure passes `mfa.qr_png`); None writes no image."""
        self.directory = directory
        self.account = account
        self.qr_png = qr_png
        self.secrets: SecretsFile | None = None
        self.png: Path | None = None
        self._placed: list[Placed] = []

    def check(self) -> list[str]:
        ensure_private_dir(Path(self.directory).expanduser())
        return [f"Secrets go to a new file in {self.directory} (plain text, mode 0600)."]

    def _file(self) -> SecretsFile:
        if self.secrets is None:
            a = self.account
            self.secrets = SecretsFile.for_run(self.directory, a.user_name)
            self.secrets.put(user_name=a.user_name, account_id=a.account_id, console_signin_url=a.signin_url)
        return self.secrets

    def _place(self, what: str, *paths: Path) -> Placed:
        placed = Placed(what, tuple(str(p) for p in paths), plain=True)
        self._placed.append(placed)
        return placed

    def put_console(self, user_name: str, password: str, signin_url: str) -> Placed:
        return self._place("console password", self._file().put(console_password=password))

    def put_mfa(self, user_name: str, serial: str, seed: str, uri: str) -> Placed:
        path = self._file().put(mfa_serial=serial, mfa_seed=seed, mfa_otpauth_uri=uri)
        if self.qr_png is None:
            return self._place("MFA seed and otpauth URI", path)
        self.png = self._file().put_png(self.qr_png(uri))
        return self._place("MFA seed, otpauth URI and QR image", path, self.png)

    def put_codecommit(self, user_name: str, git_user_name: str, password: str, endpoint: str) -> Placed:
        path = self._file().put(codecommit_username=git_user_name, codecommit_password=password)
        return self._place("CodeCommit Git password", path)

    def pending_seed(self, user_name: str, serial: str) -> Pending | None:
        """The newest secrets file in the directory that holds this device's seed (any run's)."""
        directory = Path(self.directory).expanduser()
        for path in sorted(directory.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True):
            values = json.loads(path.read_text())
            if values.get("mfa_serial") == serial and values.get("mfa_seed") and values.get("mfa_otpauth_uri"):
                return Pending(serial, register(values["mfa_seed"]), register(values["mfa_otpauth_uri"]), str(path))
        return None

    def locations(self) -> list[Placed]:
        return list(self._placed)
