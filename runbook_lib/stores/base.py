"""What every secrets store shares: the interface the procedure calls, and the values it passes.

A store is chosen by the `secrets_store` parameter and opened once per run, after preflight has
named the account. `check()` runs before the first write to IAM, so a store that cannot take the
secrets stops the run while nothing has been made; each `put_*` then hands one secret over as soon
as IAM has produced it, and registers it with the log redactor.
"""

from __future__ import annotations

import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from ..errors import InputError, RunbookError
from ..secrets import locked as locked, resolve_path

StoreKind = Literal["file", "keepass", "pass"]
STORE_KINDS: tuple[StoreKind, ...] = get_args(StoreKind)

KEEPASS_PASSWORD_ENV = "RUNBOOK_KEEPASS_PASSWORD"
DEFAULT_KEEPASS_DB = "~/.runbook-secrets/aws.kdbx"

# The parameters this package reads, with their defaults: what params.py adds to `Parameters`.
STORE_PARAMETERS: dict[str, str] = {
    "secrets_store": "file",
    "keepass_db": DEFAULT_KEEPASS_DB,
    "keepass_keyfile": "",
}

AskPassword = Callable[[Path, bool], str]
"""A front end's prompt for a KeePass master password: (database path, creating it?) -> password."""


class StoreError(RunbookError):
    """A store refused a secret while the run was writing (the check passed, then something changed)."""


@dataclass(frozen=True)
class Account:
    """Whose secrets these are: the account preflight found, and the run's admin user."""

    account_id: str
    user_name: str
    signin_url: str


Secret = Literal["console", "mfa", "codecommit"]
"""Which secret a location holds: the console password, the MFA seed, or the CodeCommit Git password."""


@dataclass(frozen=True)
class Placed:
    """Where one secret went, for the summary: every location that holds it.

    `beside` names an entry that already existed under the usual name and was left as it was;
    `plain` says the location is not encrypted (the file store), so the person should move it.
    """

    what: str
    where: tuple[str, ...]
    beside: str = ""
    plain: bool = False
    secret: Secret | None = None

    def describe(self) -> str:
        text = f"{self.what}: {' and '.join(self.where)}"
        if self.plain:
            text += " (plain text, mode 0600)"
        if self.beside:
            text += f"; added beside the existing {self.beside!r}, which was left as it was"
        return text


@dataclass(frozen=True)
class Pending:
    """A deferred MFA device's seed, read back from the store that took it (`uri` empty if it kept none)."""

    serial: str
    seed: str
    uri: str
    where: str


class SecretStore(Protocol):
    """The operations the procedure needs from wherever secrets go.

    `account` names whose secrets these are; the procedure replaces it when the person changes the
    user before anything is written.
    """

    kind: StoreKind
    account: Account

    def check(self) -> list[str]:
        """Preflight: raise `InputError` if the store cannot take secrets; else notes for the report."""
        ...

    def ready(self) -> None:
        """Right before IAM makes a secret it shows once: raise `InputError` if the store cannot take it now."""
        ...

    def put_console(self, user_name: str, password: str, signin_url: str) -> Placed: ...

    def put_mfa(self, user_name: str, serial: str, seed: str, uri: str, device_id: str = "") -> Placed:
        """`device_id` is the id the device is tagged with (`mfa.ID_TAG`): a re-created device keeps its serial."""
        ...

    def put_codecommit(self, user_name: str, git_user_name: str, password: str, endpoint: str) -> Placed:
        """`user_name` is the IAM user holding the credential; `endpoint` the region's HTTPS Git host URL."""
        ...

    def pending_seed(self, user_name: str, serial: str, device_id: str = "") -> Pending | None:
        """The newest seed stored for this device: its serial, and its id tag when it has one."""
        ...

    def holds_console(self, user_name: str) -> bool:
        """Whether the store holds a console password of this user in this account (only that: none is read out)."""
        ...

    def held(self, user_name: str) -> list[Placed]:
        """Where the store holds this user's secrets in this account now: names only, no value is read out.

        The newest console password, MFA seed and Git password, in that order, each the store has. For a
        front end whose secrets other processes put (the terminal's notebook runs), so that its summary
        still says where each secret went.
        """
        ...

    def locations(self) -> list[Placed]:
        """Everything this run put, in order."""
        ...

    def plain_files(self) -> list[Path]:
        """Every unencrypted file that holds a secret of this account's user (only the file store writes any)."""
        ...


DEVICE_ID_LINE = "device id: "
"""How the keepass and pass stores record a device's id tag beside its serial."""


def same_device(lines: list[str], serial: str, device_id: str) -> bool:
    """An MFA entry's lines name this device: its serial, and its id when the device carries one.

    A device that carries an id is never matched by an entry without one: that entry's seed may be of
    an earlier device of the same serial.
    """
    if f"serial: {serial}" not in lines:
        return False
    return not device_id or f"{DEVICE_ID_LINE}{device_id}" in lines


@dataclass(frozen=True)
class StoreSettings:
    """The store parameters, validated."""

    kind: StoreKind = "file"
    secrets_dir: str = "~/.runbook-secrets"
    keepass_db: str = DEFAULT_KEEPASS_DB
    keepass_keyfile: str = ""


def parse_settings(values: Mapping[str, Any]) -> StoreSettings:
    """Check the store parameters before any call to AWS; params.py calls this with the raw values."""
    kind = values.get("secrets_store", "file")
    if kind not in STORE_KINDS:
        raise InputError(
            f"secrets_store={kind!r} is not one of {', '.join(STORE_KINDS)}.",
            parameter="secrets_store",
            fix=f"Set secrets_store to one of: {', '.join(STORE_KINDS)}.",
        )
    db = values.get("keepass_db", DEFAULT_KEEPASS_DB)
    keyfile = values.get("keepass_keyfile", "")
    for name, value in (("keepass_db", db), ("keepass_keyfile", keyfile)):
        if not isinstance(value, str):
            raise InputError(f"{name} must be a path.", parameter=name, fix=f"Give {name} as a path string.")
    if kind != "keepass":
        for name, value, default in (("keepass_db", db, DEFAULT_KEEPASS_DB), ("keepass_keyfile", keyfile, "")):
            if value != default:
                raise InputError(
                    f"{name} is set, but secrets_store is {kind!r}.",
                    parameter=name,
                    fix=f"Set secrets_store='keepass' to use the KeePass database, or leave {name} out.",
                )
    elif not db.strip():
        raise InputError("keepass_db is empty.", parameter="keepass_db", fix=f"Leave it at {DEFAULT_KEEPASS_DB}.")
    elif resolve_path(db).is_dir():
        raise InputError(
            f"keepass_db {db!r} is a directory.",
            parameter="keepass_db",
            fix="Name the database file itself, e.g. ~/.runbook-secrets/aws.kdbx.",
        )
    elif keyfile and not resolve_path(keyfile).is_file():
        raise InputError(
            f"keepass_keyfile {keyfile!r} is not a file.",
            parameter="keepass_keyfile",
            fix="Give the path of the database's key file, or leave keepass_keyfile empty.",
        )
    secrets_dir = values.get("secrets_dir", StoreSettings.secrets_dir)
    return StoreSettings(kind, str(secrets_dir), db, keyfile)


def seed_of(uri: str) -> str:
    """The base32 secret of an otpauth URI."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query).get("secret", [""])[0]


def writable(directory: Path, parameter: str) -> None:
    """Create a missing directory 0700; fail now, naming the parameter, if a file cannot be made in it."""
    try:
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as exc:
        raise InputError(
            f"Cannot write in {str(directory)!r}: {exc.strerror}.",
            parameter=parameter,
            fix="Choose a location you own and can write to.",
        ) from None
