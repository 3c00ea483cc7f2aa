"""The `pass` store: entries in the standard Unix password manager, through its own CLI.

Entries are `aws/<account id>/<user>/console`, `.../mfa` and `.../codecommit`, in pass's
conventional layout: the secret on the first line (for `pass -c`), then `login:` and `url:` lines;
the MFA entry's first line is the otpauth URI, which is what `pass otp` reads. Secrets reach
`pass insert -m` on its standard input, never in its arguments.

With its standard input not a terminal, `pass insert` overwrites an existing entry without asking,
so the free name is chosen and written under a lock on the store's directory; a taken name gets a
new entry beside it (`console-2`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import InputError
from ..secrets import REDACTOR, register
from .base import (
    DEVICE_ID_LINE,
    Account,
    Pending,
    Placed,
    Secret,
    StoreError,
    StoreKind,
    locked,
    same_device,
    seed_of,
    writable,
)

WHAT: dict[Secret, str] = {
    "console": "console password",
    "mfa": "MFA seed (otpauth URI)",
    "codecommit": "CodeCommit Git password",
}
"""What each entry holds; an entry is named after its secret (`console`), or `console-2`, ... beside a taken one."""

INSTALL = "Install pass (Debian: apt-get install pass pass-extension-otp oathtool), or choose another secrets_store."


def store_dir() -> Path:
    """Where pass keeps its entries: $PASSWORD_STORE_DIR, else ~/.password-store (as pass decides)."""
    return Path(os.environ.get("PASSWORD_STORE_DIR") or "~/.password-store").expanduser()


class PassStore:
    kind: StoreKind = "pass"

    def __init__(self, account: Account) -> None:
        self.account = account
        self.dir = store_dir()
        self._placed: list[Placed] = []

    def _folder(self, user_name: str) -> str:
        return f"aws/{self.account.account_id}/{user_name}"

    # --- preflight ------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """pass installed, the store initialised for these entries, writable, and GPG able to encrypt to its keys."""
        if shutil.which("pass") is None:
            raise InputError(
                "secrets_store='pass', but the pass command is not installed.", parameter="secrets_store", fix=INSTALL
            )
        recipients = self._recipients()
        if not recipients:
            raise InputError(
                f"The password store {str(self.dir)!r} is not initialised (no .gpg-id).",
                parameter="secrets_store",
                fix="Run `pass init <your GPG key id>` (PASSWORD_STORE_DIR picks another store), "
                "or choose another secrets_store.",
            )
        writable(self.dir, "secrets_store")
        self._probe_gpg(recipients)
        notes = [f"Secrets go into the password store {self.dir}, under {self._folder(self.account.user_name)}/."]
        otp = subprocess.run(["pass", "otp", "version"], capture_output=True, check=False)
        if otp.returncode != 0 or shutil.which("oathtool") is None:
            notes.append(
                "pass-otp or oathtool is not installed: the MFA entry is stored, but `pass otp` cannot show "
                "its codes (Debian: apt-get install pass-extension-otp oathtool)."
            )
        return notes

    def ready(self) -> None:
        """The store's directory still takes a file; a store that is not there is not made here (`pass init` does)."""
        if not self.dir.is_dir():
            raise InputError(
                f"The password store {str(self.dir)!r} does not exist.",
                parameter="secrets_store",
                fix="Run `pass init <your GPG key id>` (PASSWORD_STORE_DIR picks another store), "
                "or choose another secrets_store.",
            )
        writable(self.dir, "secrets_store")

    def _recipients(self) -> list[str]:
        """The GPG ids of the nearest .gpg-id above the account's folder, as pass reads them."""
        folder = self.dir / "aws" / self.account.account_id
        for candidate in (folder, *folder.parents):
            gpg_id = candidate / ".gpg-id"
            if gpg_id.is_file():
                lines = (line.split("#", 1)[0].strip() for line in gpg_id.read_text().splitlines())
                return [line for line in lines if line]
            if candidate == self.dir:
                break
        return []

    def _probe_gpg(self, recipients: list[str]) -> None:
        """Encrypt nothing to the store's keys, as pass will: a missing or untrusted key fails here."""
        gpg = shutil.which("gpg2") or shutil.which("gpg")
        if gpg is None:
            raise InputError("pass needs GnuPG, and gpg is not installed.", parameter="secrets_store", fix=INSTALL)
        args = [gpg, "--batch", "--quiet", "--yes", "--no-encrypt-to", "--encrypt", "--output", os.devnull]
        for r in recipients:
            args += ["--recipient", r]
        probe = subprocess.run(args, input=b"", capture_output=True, check=False)
        if probe.returncode != 0:
            reason = probe.stderr.decode(errors="replace").strip().splitlines()
            raise InputError(
                f"GPG cannot encrypt to the password store's key(s) {', '.join(recipients)}: "
                f"{reason[-1] if reason else 'unknown error'}.",
                parameter="secrets_store",
                fix="Import and trust the public key named in the store's .gpg-id (gpg --edit-key ID trust), "
                "or choose another secrets_store.",
            )

    # --- writing --------------------------------------------------------------------------------

    def _insert(self, secret: Secret, name: str, content: str) -> Placed:
        """Write `content` as a new entry at `name`, or beside it (`name-2`, ...) if taken."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(self.dir):
            chosen, n = name, 1
            while (self.dir / f"{chosen}.gpg").exists():
                n += 1
                chosen = f"{name}-{n}"
            done = subprocess.run(
                ["pass", "insert", "--multiline", chosen], input=content.encode(), capture_output=True, check=False
            )
        if done.returncode != 0:
            reason = REDACTOR.redact(done.stderr.decode(errors="replace")).strip()
            raise StoreError(
                f"pass could not store {chosen}: {reason or 'no reason given'}.",
                parameter="secrets_store",
                fix="Fix the password store (try `pass insert` by hand), then run again.",
            )
        placed = self._entry(secret, chosen, name if chosen != name else "")
        self._placed.append(placed)
        return placed

    def _entry(self, secret: Secret, name: str, beside: str) -> Placed:
        return Placed(WHAT[secret], (f"pass {name} ({self.dir / name}.gpg)",), beside, secret=secret)

    def _entries(self, user_name: str, secret: Secret) -> list[Path]:
        """The user's entry files of one secret: the usual name and those added beside it (`console-2`)."""
        found = (self.dir / self._folder(user_name)).glob(f"{secret}*.gpg")
        return [p for p in found if re.fullmatch(rf"{secret}(-\d+)?\.gpg", p.name)]

    def put_console(self, user_name: str, password: str, signin_url: str) -> Placed:
        content = f"{register(password)}\nlogin: {user_name}\nurl: {signin_url}\n"
        return self._insert("console", f"{self._folder(user_name)}/console", content)

    def put_mfa(self, user_name: str, serial: str, seed: str, uri: str, device_id: str = "") -> Placed:
        register(seed)
        content = f"{register(uri)}\nlogin: {user_name}\nserial: {serial}\n"
        if device_id:
            content += f"{DEVICE_ID_LINE}{device_id}\n"
        return self._insert("mfa", f"{self._folder(user_name)}/mfa", content)

    def put_codecommit(self, user_name: str, git_user_name: str, password: str, endpoint: str) -> Placed:
        content = f"{register(password)}\nlogin: {git_user_name}\nurl: {endpoint}\n"
        return self._insert("codecommit", f"{self._folder(user_name)}/codecommit", content)

    # --- reading back ---------------------------------------------------------------------------

    def pending_seed(self, user_name: str, serial: str, device_id: str = "") -> Pending | None:
        """The newest `mfa` entry (by file time) of this user that names the device."""
        for path in sorted(self._entries(user_name, "mfa"), key=lambda p: p.stat().st_mtime, reverse=True):
            name = f"{self._folder(user_name)}/{path.name[: -len('.gpg')]}"
            shown = subprocess.run(["pass", "show", name], capture_output=True, check=False)
            if shown.returncode != 0:
                raise StoreError(
                    f"pass could not read {name}: {REDACTOR.redact(shown.stderr.decode(errors='replace')).strip()}.",
                    parameter="secrets_store",
                    fix="Unlock your GPG key (gpg-agent), then run again.",
                )
            lines = shown.stdout.decode().splitlines()
            if lines and lines[0].startswith("otpauth://") and same_device(lines, serial, device_id):
                uri = register(lines[0])
                return Pending(serial, register(seed_of(uri)), uri, f"pass {name}")
        return None

    def holds_console(self, user_name: str) -> bool:
        """An entry `console` (or `console-N`, added beside it) in the user's folder; nothing is decrypted."""
        return bool(self._entries(user_name, "console"))

    def held(self, user_name: str) -> list[Placed]:
        """The newest entry of each secret in the user's folder, by file time; nothing is decrypted."""
        held = []
        for secret in WHAT:
            found = self._entries(user_name, secret)
            if found:
                newest = max(found, key=lambda p: (p.stat().st_mtime_ns, _number(p)))
                usual = f"{self._folder(user_name)}/{secret}"
                beside = usual if newest.name != f"{secret}.gpg" and (self.dir / f"{usual}.gpg").exists() else ""
                held.append(self._entry(secret, f"{self._folder(user_name)}/{newest.stem}", beside))
        return held

    def locations(self) -> list[Placed]:
        return list(self._placed)

    def plain_files(self) -> list[Path]:
        return []


def _number(entry: Path) -> int:
    """The n of an entry `<secret>-n.gpg` added beside others (1 for the usual name): the later, the larger."""
    tail = entry.stem.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 1
