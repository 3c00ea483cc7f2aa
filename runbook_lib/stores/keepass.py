"""The `keepass` store: entries in a KDBX 4 database that KeePassXC (and any KeePass) opens.

Entries go in the group `AWS/<account id>`: `<user> console`, `<user> MFA` (the otpauth URI in the
`otp` attribute, where KeePassXC looks for it, so it shows the codes) and `<user> CodeCommit`. An
entry is never overwritten: under a taken title a new one is added beside it, with the run's time.

Saving: pykeepass writes `<name>.tmp` with the default umask (0644 here) and moves it over the
database, and two runs would share that temporary name; so the database is built in memory and
written with the secrets layer's atomic 0600 writer, under a lock on its directory. The master key
is derived once (Argon2, ~1.5 s) and reused through pykeepass's `transformed_key`.
"""

from __future__ import annotations

import io
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..secrets import _write_private, register, resolve_path
from .base import (
    DEVICE_ID_LINE,
    KEEPASS_PASSWORD_ENV,
    Account,
    AskPassword,
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

ROOT_GROUP = "AWS"
WHAT: dict[Secret, str] = {
    "console": "console password",
    "mfa": "MFA seed (otp)",
    "codecommit": "CodeCommit Git password",
}
TITLE: dict[Secret, str] = {"console": "console", "mfa": "MFA", "codecommit": "CodeCommit"}
"""An entry's title is `<user> <TITLE>`; one added beside a taken title gets the run's time after it."""


def title(user_name: str, secret: Secret) -> str:
    return f"{user_name} {TITLE[secret]}"


def titled(entries: list[Any], usual: str) -> list[tuple[int, Any]]:
    """The entries (with their place in the group) under the usual title, or added beside it: `<title> (<time>)`."""
    return [(i, e) for i, e in enumerate(entries) if e.title and (e.title == usual or e.title.startswith(f"{usual} ("))]


class KeePassStore:
    kind: StoreKind = "keepass"

    def __init__(
        self,
        db: str,
        keyfile: str,
        account: Account,
        ask_password: AskPassword | None = None,
        now: datetime | None = None,
    ) -> None:
        self.db = resolve_path(db)
        self.keyfile = str(resolve_path(keyfile)) if keyfile else None
        self.account = account
        self.ask_password = ask_password
        self.suffix = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%SZ")
        self._password: str | None = None
        self._have_credentials = False
        self._transformed: bytes | None = None
        self._placed: list[Placed] = []

    # --- preflight ------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Key file readable, directory writable, and the database opened now (or its key asked for)."""
        if self.keyfile and not os.access(self.keyfile, os.R_OK):
            raise InputError(
                f"The key file {self.keyfile!r} cannot be read.",
                parameter="keepass_keyfile",
                fix="Give the path of the database's key file, readable by you.",
            )
        if self.db.exists() and not self.db.is_file():
            raise InputError(
                f"keepass_db {str(self.db)!r} is not a file.",
                parameter="keepass_db",
                fix="Name the database file itself.",
            )
        writable(self.db.parent, "keepass_db")
        if self.db.exists():
            self._open()
            return [f"Secrets go into the KeePass database {self.db} (group {self._group_path()})."]
        self._credentials(creating=True)
        return [f"Secrets go into a new KeePass database {self.db} (KDBX 4), group {self._group_path()}."]

    def ready(self) -> None:
        """The database's directory still takes a file (the database is rewritten whole, atomically)."""
        writable(self.db.parent, "keepass_db")

    def _credentials(self, creating: bool, ask: bool = False) -> None:
        """The master password from the environment or the front end's prompt; a key file may stand alone.

        `ask` prompts even with a key file: the key file alone did not open the database.
        """
        if self._have_credentials and not ask:
            return
        password = os.environ.get(KEEPASS_PASSWORD_ENV) or None
        if password is None and (self.keyfile is None or ask):
            if self.ask_password is None:
                raise InputError(
                    f"No master password for the KeePass database {str(self.db)!r}.",
                    parameter="keepass_db",
                    fix=f"Set ${KEEPASS_PASSWORD_ENV}, or give keepass_keyfile=PATH.",
                )
            password = self.ask_password(self.db, creating) or None
            if password is None:
                raise InputError(
                    "The master password is empty.",
                    parameter="keepass_db",
                    fix="Type the database's master password, or give keepass_keyfile=PATH.",
                )
        self._password = register(password) if password else None
        self._have_credentials = True

    # --- the database ---------------------------------------------------------------------------

    def _open(self) -> Any:
        """Read the database from disk (another run may have added to it since), or start a new one."""
        from pykeepass import PyKeePass
        from pykeepass.exceptions import CredentialsError, HeaderChecksumError
        from pykeepass.pykeepass import BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD

        if not self.db.exists():
            self._credentials(creating=True)
            kp = PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)  # as pykeepass.create_database
            kp.password, kp.keyfile = self._password, self.keyfile
            self._transformed = None  # a new key: derived on save, with a fresh salt
            return kp
        if self._transformed is not None:
            try:
                return PyKeePass(str(self.db), transformed_key=self._transformed)
            except CredentialsError:
                self._transformed = None  # re-keyed since: derive again below
        self._credentials(creating=False)
        try:
            kp = PyKeePass(str(self.db), password=self._password, keyfile=self.keyfile)
        except CredentialsError:
            if self._password is None and self.ask_password is not None:
                self._credentials(creating=False, ask=True)  # the key file alone was not enough
                return self._open()
            self._have_credentials = False  # a wrong password is not kept: the next attempt asks again
            raise InputError(
                f"The KeePass database {str(self.db)!r} did not open with the key given.",
                parameter="keepass_db",
                fix=f"Check ${KEEPASS_PASSWORD_ENV} (or the password typed) and keepass_keyfile.",
            ) from None
        except HeaderChecksumError:
            raise InputError(
                f"{str(self.db)!r} is not a KeePass database.",
                parameter="keepass_db",
                fix="Name a .kdbx file, or a path where a new one can be created.",
            ) from None
        self._transformed = kp.transformed_key
        return kp

    def _save(self, kp: Any) -> None:
        if kp.version < (4, 0):
            # pykeepass rewrites a KDBX 3 header (new seeds) but not the hash of it kept in the XML,
            # which KeePassXC then refuses ("Header doesn't match hash"). It is optional in KDBX 3.1.
            for stale in kp.tree.xpath("/KeePassFile/Meta/HeaderHash"):
                stale.getparent().remove(stale)
        buffer = io.BytesIO()
        kp.save(buffer, transformed_key=self._transformed)
        _write_private(self.db.resolve(), buffer.getvalue(), replace=True)

    def _group_path(self) -> str:
        return f"{ROOT_GROUP}/{self.account.account_id}"

    def _where(self, title: str) -> str:
        return f"{self.db}, entry {self._group_path()}/{title}"

    def _group(self, kp: Any) -> Any:
        group = kp.root_group
        for name in (ROOT_GROUP, self.account.account_id):
            child = kp.find_groups(name=name, group=group, recursive=False, first=True)
            group = child if child is not None else kp.add_group(group, name)
        return group

    def _add(self, secret: Secret, usual: str, **fields: Any) -> Placed:
        self.db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(self.db.parent):
            kp = self._open()
            group = self._group(kp)
            taken = {e.title for e in group.entries}
            chosen, n = usual, 1
            while chosen in taken:
                chosen = f"{usual} ({self.suffix})" if n == 1 else f"{usual} ({self.suffix} #{n})"
                n += 1
            try:
                kp.add_entry(group, chosen, force_creation=True, **fields)
                self._save(kp)
            except OSError as exc:
                raise StoreError(
                    f"The KeePass database {str(self.db)!r} could not be written: {exc.strerror}.",
                    parameter="keepass_db",
                    fix="Free the disk or fix the permissions, then run again.",
                ) from None
        placed = Placed(WHAT[secret], (self._where(chosen),), usual if chosen != usual else "", secret=secret)
        self._placed.append(placed)
        return placed

    # --- the operations -------------------------------------------------------------------------

    def put_console(self, user_name: str, password: str, signin_url: str) -> Placed:
        register(password)
        return self._add("console", title(user_name, "console"), username=user_name, password=password, url=signin_url)

    def put_mfa(self, user_name: str, serial: str, seed: str, uri: str, device_id: str = "") -> Placed:
        register(seed)
        register(uri)
        return self._add(
            "mfa",
            title(user_name, "mfa"),
            username=user_name,
            password="",
            url=self.account.signin_url,
            otp=uri,
            notes=f"serial: {serial}" + (f"\n{DEVICE_ID_LINE}{device_id}" if device_id else ""),
        )

    def put_codecommit(self, user_name: str, git_user_name: str, password: str, endpoint: str) -> Placed:
        register(password)
        return self._add(
            "codecommit",
            title(user_name, "codecommit"),
            username=git_user_name,
            password=password,
            url=endpoint,
        )

    def pending_seed(self, user_name: str, serial: str, device_id: str = "") -> Pending | None:
        if not self.db.exists():
            return None
        found = [
            (e.ctime, i, e)
            for i, e in enumerate(self._group(self._open()).entries)
            if e.title.startswith(f"{user_name} MFA")
            and e.otp
            and same_device((e.notes or "").splitlines(), serial, device_id)
        ]
        if not found:
            return None
        newest = max(found, key=lambda found: found[:2])[2]  # a re-created device has the same serial
        uri = register(newest.otp)
        return Pending(serial, register(seed_of(uri)), uri, self._where(newest.title))

    def holds_console(self, user_name: str) -> bool:
        """An entry `<user> console` (or one added beside it) with a password, in the account's group."""
        if not self.db.exists():
            return False
        entries = self._group(self._open()).entries
        return any(e.password for _, e in titled(entries, title(user_name, "console")))

    def held(self, user_name: str) -> list[Placed]:
        """The newest entry of each secret of the user in the account's group, by creation time (titles only)."""
        if not self.db.exists():
            return []
        entries = self._group(self._open()).entries
        held = []
        for secret in TITLE:
            usual = title(user_name, secret)
            found = titled(entries, usual)
            if found:
                newest = max(found, key=lambda hit: (hit[1].ctime, hit[0]))[1].title
                beside = usual if newest != usual and any(e.title == usual for _, e in found) else ""
                held.append(Placed(WHAT[secret], (self._where(newest),), beside, secret=secret))
        return held

    def locations(self) -> list[Placed]:
        return list(self._placed)

    def plain_files(self) -> list[Path]:
        return []
