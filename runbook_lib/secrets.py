"""Where secrets come in and where they go out, and nowhere else.

Secrets come in from an environment variable, a file, `getpass`, or a widget that is cleared after
use; they go out only to a 0600 secrets file (in a 0700 directory) or a reveal-once panel. Every
secret value is registered with the redactor, so no log line can carry it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import os
import re
import subprocess
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError, SecretParameterError

PASSWORD_ENV = "RUNBOOK_PASSWORD"
MFA_CODES_ENV = "RUNBOOK_MFA_CODES"
# The run id a front end gives its kernel, so that it can name exactly the files this run wrote.
RUN_ID_ENV = "RUNBOOK_RUN_ID"

# The keys of the secrets file whose values are secrets (the rest give them context).
SECRET_VALUE_KEYS = ("console_password", "mfa_seed", "mfa_otpauth_uri", "codecommit_password")

SECRET_KEYS = (
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
)


# --- redaction ---------------------------------------------------------------------------------


class Redactor:
    """Known secret values, and their encoded forms, masked out of any text before it is shown."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        if value and len(value) >= 6:
            self._values.update(encodings(value))

    def redact(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, "********")
        return text

    def __contains__(self, text: str) -> bool:
        return any(value in text for value in self._values)


def encodings(value: str) -> set[str]:
    """The forms a secret could leak in: plain, base64, hex and URL-encoded."""
    raw = value.encode()
    return {
        value,
        base64.b64encode(raw).decode(),
        binascii.hexlify(raw).decode(),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
    }


REDACTOR = Redactor()
_factory_installed = False


def register(value: str) -> str:
    """Remember a secret so that logs mask it; return it unchanged."""
    global _factory_installed
    REDACTOR.add(value)
    if not _factory_installed:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            message = record.getMessage()
            if message in REDACTOR:
                record.msg, record.args = REDACTOR.redact(message), ()
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
    return value


# --- secrets coming in -------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"(passw|secret|token|seed|otp|credential|access_key|codes?$)", re.I)
_ALLOWED_NAMES = {
    "password_mode",
    "password_reset_required",
    "password_file",
    "replace_password",
    "password_policy",
    "mfa_codes",
    "mfa_codes_file",
    "codecommit",
    "codecommit_user",
    "codecommit_reset",
    "git_credential_helper",
    "secrets_dir",
    "secrets_store",
}
_SECRET_VALUES = (
    (re.compile(r"^\s*\d{6}\s*[,; ]\s*\d{6}\s*$"), "two MFA codes"),
    (re.compile(r"^[A-Z2-7]{16,}=*$"), "a base32 MFA seed"),
    (re.compile(r"otpauth://", re.I), "an otpauth URI"),
    (re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$"), "an AWS access key id"),
    (re.compile(r"^[A-Za-z0-9/+]{40}$"), "an AWS secret access key"),
)

# An id IAM hands out and the runbook asks for by value (codecommit_reset): a service-specific
# credential id is "ACCA" and 17 of A-Z0-9, so one in seven also looks like a base32 seed.
_PUBLIC_ID = re.compile(r"ACCA[A-Z0-9]{17}")

HOW_TO_PASS = (
    "Secrets never go in parameters, which papermill saves in plain text. Pass the console password "
    f"in ${PASSWORD_ENV} or password_file=PATH, MFA codes in ${MFA_CODES_ENV}=123456,654321 or "
    "mfa_codes_file=PATH, and AWS credentials through a profile or the environment."
)


def refuse_secret_parameters(params: Mapping[str, Any]) -> None:
    """Raise before any AWS call if a parameter is, or looks like, a secret (by name or value)."""
    for name, value in params.items():
        if name not in _ALLOWED_NAMES and _SECRET_NAME.search(name):
            raise SecretParameterError(
                f"Parameter {name!r} looks like a secret and was refused (its value is not shown).",
                parameter=name,
                fix=HOW_TO_PASS,
            )
        for text in _strings(value):
            if _PUBLIC_ID.fullmatch(text):
                continue
            for pattern, what in _SECRET_VALUES:
                if pattern.search(text):
                    raise SecretParameterError(
                        f"Parameter {name!r} holds what looks like {what}; it was refused and is not shown.",
                        parameter=name,
                        fix=HOW_TO_PASS,
                    )


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def read_password(password_file: str = "") -> str | None:
    """The custom password from `password_file` or $RUNBOOK_PASSWORD; None when neither is set."""
    if password_file:
        path = Path(password_file).expanduser()
        try:
            value = path.read_text().rstrip("\n")
        except OSError as exc:
            raise InputError(
                f"Cannot read the password file: {exc.strerror}.",
                parameter="password_file",
                fix="Give the path of a readable file that holds only the password.",
            ) from None
        return register(value)
    env = os.environ.get(PASSWORD_ENV)
    return register(env) if env else None


def parse_codes(text: str, source: str) -> tuple[str, str]:
    """Two six-digit codes from 'a,b' (also space or semicolon separated)."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) != 2 or not all(re.fullmatch(r"\d{6}", p) for p in parts):
        raise InputError(
            "Expected two six-digit MFA codes (the value is not shown).",
            parameter=source,
            fix=f"Give two consecutive codes from the authenticator, like {MFA_CODES_ENV}=123456,654321.",
        )
    for p in parts:
        register(p)
    return parts[0], parts[1]


def read_mfa_codes(codes_file: str = "") -> tuple[str, str] | None:
    """Deferred MFA codes from `mfa_codes_file` or $RUNBOOK_MFA_CODES; None when neither is set."""
    if codes_file:
        try:
            return parse_codes(Path(codes_file).expanduser().read_text(), "mfa_codes_file")
        except OSError as exc:
            raise InputError(
                f"Cannot read the MFA codes file: {exc.strerror}.",
                parameter="mfa_codes_file",
                fix="Give the path of a readable file holding two codes, like 123456,654321.",
            ) from None
    env = os.environ.get(MFA_CODES_ENV)
    return parse_codes(env, MFA_CODES_ENV) if env else None


# --- secrets going out -------------------------------------------------------------------------


def ensure_private_dir(path: Path) -> Path:
    """Create (or check) a 0700 directory for secrets; fail before any write if it cannot be used."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise InputError(
            f"The secrets directory {str(path)!r} cannot be written: {exc.strerror}.",
            parameter="secrets_dir",
            fix="Point secrets_dir at a directory you own, e.g. ~/.runbook-secrets.",
        ) from None
    return path


def _write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write atomically with mode 0600; without `replace`, never clobber an existing file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the name exists: an existing file is never overwritten
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


SECRET_GROUPS: dict[str, tuple[str, ...]] = {
    "console": ("console_password",),
    "mfa": ("mfa_serial", "mfa_device_id", "mfa_seed", "mfa_otpauth_uri"),
    "codecommit": ("codecommit_username", "codecommit_password"),
}
"""The secrets that belong together: a later value of one replaces the group as a whole."""

EARLIER = "earlier"  # the secrets file's list of values a later run replaced, oldest first
RUNS = "runs"  # the run ids that wrote to the file


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the secrets directory: runs adding to one file take turns (fcntl.flock)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _read(path: Path) -> dict[str, Any] | None:
    """A secrets file's content; {} when it does not exist, None when it cannot be read as one."""
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return values if isinstance(values, dict) else None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SecretsFile:
    """One user's secrets in one account: one 0600 file, `<user>@<account>.json`, that every run adds to.

    The top level holds the newest value of each secret (what a person copies into a password manager);
    `earlier` keeps every value a later run replaced (an old console password, a replaced device's seed),
    with when, so no run ever loses a secret. Runs at once take turns under an exclusive lock on the
    directory and re-read the file before adding to it; `runs` names each run that wrote, so a run can
    report its own file. A file that cannot be read is never overwritten: the secret goes to a new file
    beside it, and `path` says which.
    """

    directory: Path
    stem: str
    run_id: str = field(default_factory=lambda: os.environ.get(RUN_ID_ENV) or uuid.uuid4().hex[:12])
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.path = self.directory / f"{self.stem}.json"

    @classmethod
    def for_user(cls, directory: str, user_name: str, account_id: str = "") -> SecretsFile:
        name = f"{user_name}@{account_id}" if account_id else user_name
        return cls(ensure_private_dir(Path(directory).expanduser()), name)

    for_run = for_user  # the name earlier callers use; every run of a user now shares its file

    def put(self, **values: str) -> Path:
        """Add secrets (and their context) to the file, keeping any value they replace; return its path."""
        for key in values:
            if key not in SECRET_KEYS:
                raise KeyError(key)
        for key in SECRET_VALUE_KEYS:
            if key in values:
                register(values[key])
        with _locked(self.directory):
            current = _read(self.path)
            n = 1
            while current is None:  # unreadable: leave it as it is, and write beside it
                n += 1
                self.path = self.directory / f"{self.stem}-{n}.json"
                current = _read(self.path)
            for keys in SECRET_GROUPS.values():
                old = {k: current[k] for k in keys if k in current}
                if old and any(k in values and values[k] != old.get(k) for k in keys):
                    current.setdefault(EARLIER, []).append({"replaced": _now(), **old})
                    for k in keys:
                        current.pop(k, None)
            current.update(values)
            runs = current.setdefault(RUNS, [])
            if self.run_id not in runs:
                runs.append(self.run_id)
            self.values = current
            _write_private(self.path, json.dumps(current, indent=2, sort_keys=True).encode() + b"\n", replace=True)
        return self.path

    @property
    def qr_path(self) -> Path:
        return self.path.with_suffix(".qr.png")

    def put_png(self, png: bytes) -> Path:
        """The QR image of the newest device beside the JSON file, also 0600 (its seed stays in the JSON)."""
        if not self.path.exists():
            raise RuntimeError("write the secrets file before the QR image")
        with _locked(self.directory):
            _write_private(self.qr_path, png, replace=True)
        return self.qr_path


def entries(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """A secrets file's values, newest first: the top level, then each earlier value, newest first."""
    top = {k: v for k, v in values.items() if k in SECRET_KEYS}
    earlier = [e for e in values.get(EARLIER, []) if isinstance(e, dict)]
    return [top, *reversed(earlier)]


def delivered(directory: str) -> list[tuple[Path, dict[str, str]]]:
    """Every secret value recorded in `directory`, newest file first, with the file that holds it."""
    files = sorted(Path(directory).expanduser().glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
    found = []
    for path in files:
        values = _read(path)
        for entry in entries(values or {}):
            found.append((path, entry))
    return found


def holding(directory: str, user_name: str, account_id: str) -> list[Path]:
    """Every file in `directory` that still holds a secret of this user in this account, QR images included.

    Older runs wrote one file per run; those count too, whatever their name.
    """
    found = []
    for path in sorted(Path(directory).expanduser().glob("*.json")):
        values = _read(path) or {}
        if values.get("user_name") != user_name or values.get("account_id", account_id) != account_id:
            continue
        if any(k in e for e in entries(values) for k in SECRET_VALUE_KEYS):
            found.append(path)
        if path.with_suffix(".qr.png").exists():
            found.append(path.with_suffix(".qr.png"))
    return found


def files_of_run(directory: str, run_id: str) -> list[Path]:
    """The secrets files run `run_id` wrote to (each file lists the runs that wrote it)."""
    found = []
    for path in sorted(Path(directory).expanduser().glob("*.json")):
        values = _read(path) or {}
        if run_id in values.get(RUNS, []):
            found.append(path)
    return found


def git_credential_approve(host: str, username: str, password: str) -> None:
    """Hand the Git credentials to the user's own credential helper (`git credential approve`)."""
    payload = f"protocol=https\nhost={host}\nusername={username}\npassword={password}\n\n"
    subprocess.run(
        ["git", "credential", "approve"],
        input=payload.encode(),
        check=True,
        capture_output=True,
    )
