"""Where secrets come in and where they go out, and nowhere else.

Secrets come in from an environment variable, a file, `getpass`, or a widget that is cleared after
use; they go out only to a 0600 secrets file (in a 0700 directory) or a reveal-once panel. Every
secret value is registered with the redactor, so no log line can carry it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError, SecretParameterError

PASSWORD_ENV = "RUNBOOK_PASSWORD"
MFA_CODES_ENV = "RUNBOOK_MFA_CODES"

# The keys of the secrets file whose values are secrets (the rest give them context).
SECRET_VALUE_KEYS = ("console_password", "mfa_seed", "mfa_otpauth_uri", "codecommit_password")

SECRET_KEYS = (
    "user_name",
    "account_id",
    "console_signin_url",
    "console_password",
    "mfa_serial",
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
    "password_policy",
    "mfa_codes",
    "mfa_codes_file",
    "codecommit",
    "codecommit_user",
    "codecommit_reset",
    "git_credential_helper",
    "secrets_dir",
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


STORE_NEEDS = 1 << 20
"""Free bytes a secrets directory must have before IAM makes a one-time secret: a secrets file and its
QR image take a few kB, and the margin covers the file system's own blocks and other writers."""


def check_can_store(directory: str | Path, needs: int = STORE_NEEDS) -> Path:
    """Refuse, before IAM makes a one-time secret, a secrets directory that could not take it.

    Free space from `statvfs` (what an unprivileged writer may use), then a real write of a small
    probe, synced and removed: a read-only file system, a quota, or a directory gone since the run
    started fail here, not after IAM has issued a password it shows only once.
    """
    path = Path(directory).expanduser()
    try:
        stats = os.statvfs(path)
        free = stats.f_bavail * stats.f_frsize
        if free < needs:
            raise InputError(
                f"The secrets directory {str(path)!r} has {free // 1024} kB of space left; a new secret needs "
                f"{needs // 1024} kB. Nothing was created.",
                parameter="secrets_dir",
                fix="Free some space on that file system, or point secrets_dir at a directory with space, then run "
                "again: the run goes on from where it stopped.",
            )
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-") as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise InputError(
            f"The secrets directory {str(path)!r} cannot take a new secret: {exc.strerror}. Nothing was created.",
            parameter="secrets_dir",
            fix="Make it a writable directory with free space (or point secrets_dir at one), then run again: "
            "the run goes on from where it stopped.",
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


@dataclass
class SecretsFile:
    """This run's secrets file: created on the first secret, then kept current as secrets are made.

    A crash after a write to IAM still leaves the secret it produced on disk.
    """

    directory: Path
    stem: str
    values: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def for_run(cls, directory: str, user_name: str) -> SecretsFile:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        return cls(ensure_private_dir(Path(directory).expanduser()), f"{stamp}-{user_name}")

    def put(self, **values: str) -> Path:
        """Add secrets (and their context) and write the file; return its path."""
        for key, value in values.items():
            if key not in SECRET_KEYS:
                raise KeyError(key)
            self.values[key] = value
        for key in SECRET_VALUE_KEYS:
            if key in values:
                register(values[key])
        data = json.dumps(self.values, indent=2, sort_keys=True).encode() + b"\n"
        if self.path is None:
            path = self.directory / f"{self.stem}.json"
            n = 1
            while path.exists():
                n += 1
                path = self.directory / f"{self.stem}-{n}.json"
            _write_private(path, data, replace=False)
            self.path = path
        else:
            _write_private(self.path, data, replace=True)
        return self.path

    def put_png(self, png: bytes) -> Path:
        """The QR image beside the JSON file, also 0600."""
        if self.path is None:
            raise RuntimeError("write the secrets file before the QR image")
        target = self.path.with_suffix(".qr.png")
        _write_private(target, png, replace=target.exists())
        return target


def delivered(directory: str) -> list[tuple[Path, dict[str, str]]]:
    """Every secrets file in `directory` with its values, newest first (a later run looks for a seed here)."""
    files = sorted(Path(directory).expanduser().glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
    return [(path, json.loads(path.read_text())) for path in files]


def git_credential_approve(host: str, username: str, password: str) -> None:
    """Hand the Git credentials to the user's own credential helper (`git credential approve`)."""
    payload = f"protocol=https\nhost={host}\nusername={username}\npassword={password}\n\n"
    subprocess.run(
        ["git", "credential", "approve"],
        input=payload.encode(),
        check=True,
        capture_output=True,
    )
