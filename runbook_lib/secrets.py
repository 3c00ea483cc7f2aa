"""Where secrets go out: a 0600 secrets file in a checked 0700 directory, and nowhere else.

Secrets come in through `intake` (environment, a private file, `getpass`, a cleared widget; never a
parameter) and every record and error is masked by `masking`; `secrets_dir` checks the directory and
proves it has room. All three are re-exported here, so that the rest of the package names one secrets layer.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import SecretNotStored
from .intake import (
    _ALLOWED_NAMES as _ALLOWED_NAMES,
    _PART_SEPARATORS as _PART_SEPARATORS,
    _PUBLIC_ID as _PUBLIC_ID,
    _SECRET_NAME as _SECRET_NAME,
    _WORD_SEPARATORS as _WORD_SEPARATORS,
    HOW_TO_PASS as HOW_TO_PASS,
    MAX_SECRET_FILE as MAX_SECRET_FILE,
    SECRET_SHAPES as SECRET_SHAPES,
    START_DIR_ENV as START_DIR_ENV,
    _aws_secret_key as _aws_secret_key,
    _base32_seed as _base32_seed,
    _classes as _classes,
    _key_and_secret as _key_and_secret,
    _looks_generated as _looks_generated,
    _random_looking as _random_looking,
    _strings as _strings,
    _switches as _switches,
    check_secret_file as check_secret_file,
    parse_codes as parse_codes,
    read_mfa_codes as read_mfa_codes,
    read_password as read_password,
    refuse_secret_parameters as refuse_secret_parameters,
    resolve_path as resolve_path,
    secret_shape as secret_shape,
    start_dir as start_dir,
)
from .masking import (
    _LOWER_FIELDS as _LOWER_FIELDS,
    _OTPAUTH as _OTPAUTH,
    MASK as MASK,
    MFA_CODES_ENV as MFA_CODES_ENV,
    MODEL_SENSITIVE_FIELDS as MODEL_SENSITIVE_FIELDS,
    PASSWORD_ENV as PASSWORD_ENV,
    REDACTOR as REDACTOR,
    RUN_ID_ENV as RUN_ID_ENV,
    SECRET_KEYS as SECRET_KEYS,
    SECRET_VALUE_KEYS as SECRET_VALUE_KEYS,
    SENSITIVE_FIELDS as SENSITIVE_FIELDS,
    Redactor as Redactor,
    _escapes as _escapes,
    _field_patterns as _field_patterns,
    _masked_result as _masked_result,
    _RedactingFactory as _RedactingFactory,
    _Shown as _Shown,
    binary_encodings as binary_encodings,
    encodings as encodings,
    install_redaction as install_redaction,
    mask_fields as mask_fields,
    register as register,
)
from .secrets_dir import (
    OWN_DIRECTORY as OWN_DIRECTORY,
    STORE_MARGIN as STORE_MARGIN,
    STORE_NEEDS as STORE_NEEDS,
    check_can_store as check_can_store,
    check_secrets_dir as check_secrets_dir,
    ensure_private_dir as ensure_private_dir,
)

# --- secrets going out -------------------------------------------------------------------------


def _reason(cause: BaseException) -> str:
    """Why a write failed, without the exception's full text (which could quote what was written)."""
    return cause.strerror if isinstance(cause, OSError) and cause.strerror else type(cause).__name__


def git_password_not_stored(credential_id: str, user_name: str, cause: BaseException, step: str) -> SecretNotStored:
    """The error for a Git password IAM issued (CreateServiceSpecificCredential or Reset...) that the
    store could not take: IAM never shows it again, so it names the credential and the reset."""
    return SecretNotStored(
        f"IAM issued the CodeCommit Git credential {credential_id} for {user_name}, but its password could "
        f"not be written to the secrets file ({_reason(cause)}); IAM never shows that password again.",
        parameter="secrets_dir",
        step=step,
        fix=f"Free space in secrets_dir (or choose another), then run again with codecommit_reset={credential_id}: "
        "IAM gives that credential a new password, and the run stores it.",
    )


def mfa_seed_not_stored(serial: str, cause: BaseException, step: str = "CreateVirtualMFADevice") -> SecretNotStored:
    """The error for a virtual MFA device whose seed the store could not take: the device is not assigned,
    so the next run deletes it and makes a new one."""
    return SecretNotStored(
        f"IAM created the virtual MFA device {serial}, but its seed could not be written to the secrets file "
        f"({_reason(cause)}); IAM never shows that seed again. The device is not enabled.",
        parameter="secrets_dir",
        step=step,
        fix="Free space in secrets_dir (or choose another), then run again: the run deletes the unassigned "
        "device and creates a new one.",
    )


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
def locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on a directory: runs adding to one store (file, database, pass folder) take turns."""
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
        with locked(self.directory):
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
        with locked(self.directory):
            _write_private(self.qr_path, png, replace=True)
        return self.qr_path


def entries(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """A secrets file's values, newest first: the top level, then each earlier value, newest first."""
    top = {k: v for k, v in values.items() if k in SECRET_KEYS}
    context = {k: top[k] for k in ("user_name", "account_id", "console_signin_url") if k in top}
    earlier = [{**context, **e} for e in values.get(EARLIER, []) if isinstance(e, dict)]
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
