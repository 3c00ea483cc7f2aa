"""Where secrets come in: an environment variable, a private file, `getpass` or a cleared widget, never a
parameter; and the paths a user gives, resolved against the directory where the command was started.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import InputError, SecretParameterError
from .masking import MFA_CODES_ENV, PASSWORD_ENV, register

# --- paths the user gives ----------------------------------------------------------------------

START_DIR_ENV = "RUNBOOK_START_DIR"


def start_dir() -> Path:
    """Where the command was started: $RUNBOOK_START_DIR (the CLI exports it to the kernel, whose own
    cwd is notebooks/), else this process's cwd."""
    exported = os.environ.get(START_DIR_ENV, "")
    return Path(exported) if os.path.isabs(exported) else Path.cwd()


def resolve_path(value: str | Path) -> Path:
    """A path parameter as an absolute path: `~` expanded, a relative path taken from `start_dir()`."""
    path = Path(value).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else start_dir() / path))


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

# An id IAM hands out and the runbook asks for by value (codecommit_reset): a service-specific
# credential id is "ACCA" and 17 of A-Z0-9, so one in seven also looks like a base32 seed.
_PUBLIC_ID = re.compile(r"ACCA[A-Z0-9]{17}")
# Where a secret may sit inside a longer value: a list or JSON written as text, a query string; then
# each word of that (a space-grouped seed is looked at before its groups are).
_PART_SEPARATORS = re.compile(r"[,;'\"\[\](){}<>|&=]+")
_WORD_SEPARATORS = re.compile(r"\s+")


def _classes(text: str) -> int:
    """How many of uppercase, lowercase, digits and symbols `text` mixes."""
    return sum(
        any(test(c) for c in text)
        for test in (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum() and not c.isspace())
    )


def _switches(text: str) -> float:
    """How often `text` switches between uppercase, lowercase, digits and symbols, per character."""
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" if c.isdigit() else "s" for c in text]
    return sum(a != b for a, b in itertools.pairwise(kinds)) / max(len(text) - 1, 1)


def _random_looking(text: str) -> bool:
    """Both cases, switching class often, as random base64 does (0.65 per character on average) and
    chosen names do not ("FirstAdministratorForAccount2024": 0.26)."""
    return any(c.isupper() for c in text) and any(c.islower() for c in text) and _switches(text) >= 0.35


def _looks_generated(text: str) -> bool:
    """A long random token: a Git password (44 characters of base64), a session token, a key."""
    return re.fullmatch(r"[A-Za-z0-9+/=_\-]{32,}", text) is not None and _random_looking(text.rstrip("="))


def _base32_seed(text: str) -> bool:
    """A TOTP seed as IAM gives it (upper case), as apps show it (lower case, groups of four), or long."""
    grouped = re.fullmatch(r"(?:[A-Za-z2-7]{4}\s+){3,}[A-Za-z2-7]{1,4}=*", text) is not None
    compact = re.sub(r"\s+", "", text) if grouped else text
    if not re.fullmatch(r"[A-Za-z2-7]{16,}=*", compact):
        return False
    letters = compact.rstrip("=")
    if letters.isupper() or not any(c.isalpha() for c in letters):
        return True
    random_enough = len(set(letters)) >= 8  # not "x" * 65: a seed is random
    digits = sum(c in "234567" for c in letters)
    return letters.islower() and (grouped or (random_enough and (len(letters) >= 32 or digits >= 2)))


def _key_and_secret(text: str) -> bool:
    """`KEY:SECRET`, as access keys and Git credentials are pasted; an ARN or a URL is not one."""
    match = re.fullmatch(r"([^\s:]{2,}):([^\s:]{8,})", text)
    if match is None or match[1].lower() in ("arn", "http", "https"):
        return False
    secret = match[2]
    return _classes(secret) >= 3 or _looks_generated(secret) or _aws_secret_key(secret)


def _aws_secret_key(text: str) -> bool:
    """40 characters of base64 (an AWS secret access key), on its own or inside a longer text."""
    keys = re.findall(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", text)
    return any(_classes(key) >= 3 or _random_looking(key) for key in keys)


# What a parameter value must not look like, each with the name an error gives it.
SECRET_SHAPES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("an otpauth:// key URI", lambda t: re.search(r"otpauth(?::|%3A)", t, re.I) is not None),
    ("a URL with a password in it", lambda t: re.search(r"://[^/\s:@]+:[^/\s@]+@", t) is not None),
    ("two MFA codes", lambda t: re.fullmatch(r"\s*\d{6}\s*(?:[,;:/|.\-]|\s)\s*\d{6}\s*", t) is not None),
    ("an MFA code", lambda t: re.fullmatch(r"\s*\d{6}\s*", t) is not None),
    ("a base32 MFA seed", _base32_seed),
    ("an AWS access key id", lambda t: re.search(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])", t) is not None),
    ("an AWS secret access key", _aws_secret_key),
    ("a KEY:SECRET pair", _key_and_secret),
    ("a generated secret (a key, token or password)", _looks_generated),
)


def secret_shape(text: str) -> str | None:
    """What secret `text`, or a part of it, looks like; None if nothing."""
    parts = [part.strip() for part in [text, *_PART_SEPARATORS.split(text)]]
    words = [word for part in parts for word in _WORD_SEPARATORS.split(part)]
    for candidate in dict.fromkeys([*parts, *words]):
        if not candidate or _PUBLIC_ID.fullmatch(candidate):
            continue
        for what, looks_like in SECRET_SHAPES:
            if looks_like(candidate):
                return what
    return None


HOW_TO_PASS = (
    "Secrets never go in parameters, which papermill saves in plain text. Pass the console password "
    f"in ${PASSWORD_ENV} or password_file=PATH, MFA codes in ${MFA_CODES_ENV}=123456,654321 or "
    "mfa_codes_file=PATH, and AWS credentials through a profile or the environment."
)


def refuse_secret_parameters(params: Mapping[str, Any]) -> None:
    """Raise before any AWS call if a parameter is, or looks like, a secret: by its name, or by a value
    at any depth (inside lists, tuples, sets and dicts, keys included, or inside a longer text)."""
    for name, value in params.items():
        if name not in _ALLOWED_NAMES and _SECRET_NAME.search(str(name)):
            raise SecretParameterError(
                f"Parameter {name!r} looks like a secret and was refused (its value is not shown).",
                parameter=name,
                fix=HOW_TO_PASS,
            )
        for text, key in _strings(value):
            what = "a field named like a secret" if key and _SECRET_NAME.search(text) else secret_shape(text)
            if what:
                raise SecretParameterError(
                    f"Parameter {name!r} holds what looks like {what}; it was refused and is not shown.",
                    parameter=name,
                    fix=HOW_TO_PASS,
                )


def _strings(value: Any, seen: frozenset[int] = frozenset()) -> Iterator[tuple[str, bool]]:
    """Every text in `value`, at any depth, with whether it is a mapping's key."""
    if isinstance(value, str):
        yield value, False
    elif isinstance(value, bytes | bytearray):
        yield bytes(value).decode("utf-8", "replace"), False
    elif value is None or isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        yield str(value), False
    elif id(value) in seen:
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from ((text, True) for text, _ in _strings(key, seen | {id(value)}))
            yield from _strings(item, seen | {id(value)})
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, seen | {id(value)})
    else:
        yield str(value), False


MAX_SECRET_FILE = 64 * 1024


def check_secret_file(value: str | Path, parameter: str) -> Path:
    """A file holding a secret (`password_file`, `mfa_codes_file`), resolved as `secrets_dir` is; refused
    unless it is a regular file of the user's that no one else may read or write (mode 0600 or 0400),
    readable, not empty and no bigger than a secret. Its content is neither read nor shown here."""
    path = resolve_path(value)
    fix = f"Give {parameter} the path of a file of your own, mode 0600 (`chmod 600 FILE`), holding only the secret."
    problem = None
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            problem = "is not a regular file"
        elif info.st_uid != os.getuid():
            problem = f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()})"
        elif info.st_mode & 0o077:
            problem = f"has mode {stat.S_IMODE(info.st_mode):04o}: its group or others can read or change it"
        elif info.st_size == 0:
            problem = "is empty"
        elif info.st_size > MAX_SECRET_FILE:
            problem = f"is larger than any secret ({info.st_size} bytes)"
        else:
            with open(path, "rb"):
                pass
    except OSError as exc:
        problem = f"cannot be read: {exc.strerror}"
    if problem:
        raise InputError(f"The {parameter} {str(path)!r} {problem}.", parameter=parameter, fix=fix)
    return path


def read_password(password_file: str = "") -> str | None:
    """The custom password from `password_file` or $RUNBOOK_PASSWORD; None when neither is set."""
    if password_file:
        value = check_secret_file(password_file, "password_file").read_text().rstrip("\n")
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
        return parse_codes(check_secret_file(codes_file, "mfa_codes_file").read_text(), "mfa_codes_file")
    env = os.environ.get(MFA_CODES_ENV)
    return parse_codes(env, MFA_CODES_ENV) if env else None
