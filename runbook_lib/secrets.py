"""Where secrets come in and where they go out, and nowhere else.

Secrets come in from an environment variable, a private file, `getpass`, or a widget that is cleared
after use, never from a parameter; they go out only to a 0600 secrets file (in a checked 0700
directory) or a reveal-once panel. Every log record and every error a kernel shows is masked where it
is made: by the name of each sensitive field, and by every form of each secret value registered here.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import html
import itertools
import json
import logging
import os
import re
import stat
import subprocess
import sys
import tempfile
import traceback
import urllib.parse
import uuid
import xml.sax.saxutils
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import InputError, SecretNotStored, SecretParameterError, StorageError

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

MASK = "********"

# Every member botocore's IAM and STS models mark `sensitive` (a test keeps this list complete).
MODEL_SENSITIVE_FIELDS: tuple[str, ...] = (
    "AddPrivateKey",
    "Base32StringSeed",
    "Issuer",
    "NewPassword",
    "OldPassword",
    "Password",
    "PrivateKey",
    "QRCodePNG",
    "SAMLAssertion",
    "SecretAccessKey",
    "ServiceCredentialSecret",
    "ServicePassword",
    "Subject",
    "SubjectType",
    "TradeInToken",
    "TrustedIdentityPropagationContext",
    "WebIdentityToken",
)

# Fields whose values are secrets, masked by name wherever a body or a record shows them: the model's,
# and what it leaves unmarked but is still secret: MFA codes, session tokens (also as the signed
# header), and the runbook's own names for its secrets.
SENSITIVE_FIELDS: tuple[str, ...] = (
    *MODEL_SENSITIVE_FIELDS,
    "AuthenticationCode1",
    "AuthenticationCode2",
    "TokenCode",
    "SessionToken",
    "X-Amz-Security-Token",
    "aws_secret_access_key",
    "aws_session_token",
    "secret",
    "console_password",
    "mfa_seed",
    "mfa_otpauth_uri",
    "codecommit_password",
)


@functools.lru_cache(maxsize=256)
def _field_patterns(names: tuple[str, ...]) -> list[tuple[re.Pattern[str], str]]:
    """Regular expressions that find a sensitive field's value in the forms bodies and logs show it.

    Names match whole (`Password` but not `PasswordResetRequired` or `password_mode`), in any case.
    Built for the names a text holds (a long alternation of names in any case is slow to search).
    """
    name = "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"
    key = rf"(?<![\w-])\\*['\"]?{name}\\*['\"]?(?![\w-])"
    literal = r"""[bBuUrR]{0,2}(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|(?P<eq>\\+['"])(?:(?!(?P=eq)).)*?(?P=eq))"""
    flags = re.IGNORECASE | re.DOTALL
    return [
        # XML, as IAM answers: <Base32StringSeed>...</Base32StringSeed>, also escaped into HTML
        (re.compile(rf"(<(?P<t>(?:\w+:)?{name})(?:\s[^<>]*)?>)[^<]*(</(?P=t)>)", flags), rf"\1{MASK}\3"),
        (re.compile(rf"(&lt;(?P<t>{name})&gt;).*?(&lt;/(?P=t)&gt;)", flags), rf"\1{MASK}\3"),
        # a quoted value after a key: dict reprs, JSON, keyword arguments ('Password': '...', "Password": "...")
        (re.compile(rf"({key}\s*[:=]\s*)(?:{literal})", flags), rf"\1'{MASK}'"),
        # a bare value: query strings and signed headers (Password=...&, x-amz-security-token:...)
        (re.compile(rf"({key}(?:\s*(?:=|%3D)\s*|:))[^\s&'\",;)}}\]<>]+", flags), rf"\1{MASK}"),
        # AWS validation messages name the member after its value: Value '...' at 'password'
        (re.compile(rf"(Value\s+)(?:'.*?'|\".*?\"|\S+)(\s+at\s+['\"]?(?:\w+\.)*{name}['\"]?)", flags), rf"\1{MASK}\2"),
    ]


# an otpauth:// key URI carries the seed whatever field holds it
_OTPAUTH = re.compile(r"otpauth(?::|%3A)(?://|%2F%2F)[^\s'\"<>\\]*", re.IGNORECASE)
_LOWER_FIELDS = tuple(sorted({name.lower() for name in SENSITIVE_FIELDS}))


def mask_fields(text: str) -> str:
    """`text` with the value of every sensitive field masked, whether or not the value is known."""
    lowered = text.lower()
    present = tuple(name for name in _LOWER_FIELDS if name in lowered)
    if present:
        for pattern, replacement in _field_patterns(present):
            text = pattern.sub(replacement, text)
    if "otpauth" in lowered:
        text = _OTPAUTH.sub(f"otpauth://{MASK}", text)
    return text


class Redactor:
    """Secrets masked out of any text before it is shown: known values in every encoded form, and
    the value of every sensitive field by its name (a secret IAM just made is masked before the
    runbook knows it).

    A secret's escaped forms all keep its longest run of ASCII letters and digits, so a text without
    that run is passed over without trying each form: a record costs little however many forms.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[str | None, list[str]]] = {}

    def add(self, value: str) -> None:
        if value and len(value) >= 6 and value not in self._known:
            runs = re.findall(r"[A-Za-z0-9]+", value)
            anchor = max(runs, key=len) if runs and max(len(r) for r in runs) >= 2 else None
            text = {f for f in encodings(value, binary=False) if len(f) >= 6}
            self._known[value] = (anchor, sorted(text, key=len, reverse=True))
            binary = {f for f in binary_encodings(value.encode()) if len(f) >= 6}
            self._known[f"{value}\0binary"] = (None, sorted(binary, key=len, reverse=True))

    def _forms(self, text: str) -> Iterator[str]:
        for anchor, forms in self._known.values():
            if anchor is None or anchor in text:
                yield from (form for form in forms if form in text)

    def redact(self, text: str) -> str:
        for form in sorted(set(self._forms(text)), key=len, reverse=True):
            text = text.replace(form, MASK)
        return mask_fields(text)

    def __contains__(self, text: str) -> bool:
        return next(self._forms(text), None) is not None


def _escapes(text: str) -> set[str]:
    """`text` as each kind of quoting writes it inside a larger text (quotes themselves left out)."""
    python = {
        text.replace("\\", "\\\\"),
        text.encode("unicode_escape").decode("ascii"),
        repr(text.encode())[2:-1],  # a bytes literal: botocore logs bodies as bytes
    }
    forms = {repr(text)[1:-1], json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    for form in python:
        forms |= {
            form,
            form.replace("'", "\\'"),
            form.replace('"', '\\"'),
            form.replace("'", "\\'").replace('"', '\\"'),
        }
    forms |= {
        html.escape(text),
        html.escape(text, quote=False),
        xml.sax.saxutils.escape(text, {"'": "&apos;", '"': "&quot;"}),
        urllib.parse.quote(text, safe=""),
        urllib.parse.quote(text),
        urllib.parse.quote_plus(text),
    }
    return forms


def binary_encodings(raw: bytes) -> set[str]:
    """Bytes as text shows them: base64 (standard and URL-safe) of `raw` alone and the part of it that
    shows whatever bytes come before or after it, and hex."""
    forms = {raw.hex(), raw.hex().upper()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode())
        for offset in range(3):
            encoded = encode(b"\0" * offset + raw).decode()
            start, stop = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
            forms.add(encoded[start:stop])
    return forms


def encodings(value: str, depth: int = 3, *, binary: bool = True) -> set[str]:
    """Every form a secret could leak in: plain; as Python (str and bytes reprs), JSON, XML/HTML and
    URL encoding write it, nested up to `depth` deep (JSON of a repr is how a notebook stores a
    logged dict, HTML of that is the exported record); base64 (also inside longer data) and hex."""
    forms = {value}
    for _ in range(depth):
        forms |= {escaped for form in forms for escaped in _escapes(form)}
    if binary:
        forms |= binary_encodings(value.encode())
    return {form for form in forms if form}


REDACTOR = Redactor()


class _RedactingFactory:
    """The log-record factory: every record of every logger, at every level, is masked when it is
    made, so no handler (added now or later, by anyone) ever sees a secret."""

    def __init__(self, previous: Callable[..., logging.LogRecord]) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it when a handler formats the record
            return record
        masked = REDACTOR.redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = REDACTOR.redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None  # formatters use exc_text; none can render the raw exception's values
        elif record.exc_text:
            record.exc_text = REDACTOR.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = REDACTOR.redact(record.stack_info)
        return record


class _Shown:
    """An exception's text, masked, in the place of the exception where IPython only shows it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _masked_result(result: Any) -> None:
    """IPython's `post_run_cell`: the kernel's execute reply repeats the error's text (ipykernel's
    `str(err)`), so an error whose text holds a secret is replaced by one of the same name, masked."""
    for attr in ("error_before_exec", "error_in_exec"):
        error = getattr(result, attr, None)
        if error is None:
            continue
        text = str(error)
        masked = REDACTOR.redact(text)
        if masked != text:
            kind = type(type(error).__name__, (Exception,), {"__str__": lambda self, t=masked: t})
            setattr(result, attr, kind())


def install_redaction() -> None:
    """Mask every log record in this process, and, in an IPython kernel, every error it shows.

    Idempotent; runs when this module is imported.
    """
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None and not getattr(shell, "_runbook_redacts", False):
        show = shell._showtraceback

        def _showtraceback(etype: type[BaseException], evalue: BaseException, stb: list[str]) -> Any:
            return show(etype, _Shown(REDACTOR.redact(str(evalue))), [REDACTOR.redact(line) for line in stb])

        shell._showtraceback = _showtraceback
        shell.events.register("post_run_cell", _masked_result)
        shell._runbook_redacts = True


def register(value: str) -> str:
    """Remember a secret so that logs and tracebacks mask it; return it unchanged."""
    REDACTOR.add(value)
    install_redaction()
    return value


install_redaction()


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


# --- secrets going out -------------------------------------------------------------------------


def _refuse(path: Path, reason: str, fix: str) -> InputError:
    return InputError(f"The secrets directory {str(path)!r} {reason}", parameter="secrets_dir", fix=fix)


OWN_DIRECTORY = "Set secrets_dir to a directory of your own, e.g. ~/.runbook-secrets (created 0700 if missing)."


def check_secrets_dir(value: str | Path) -> Path:
    """Check `secrets_dir` without changing anything; return it resolved, or raise `InputError`.

    An existing directory must be the user's, with no group or other permission; the directories
    above it must be the user's or root's and writable by no one else (unless sticky, as /tmp is);
    and it must not be in a git work tree that does not ignore it. Nothing is repaired: the runbook
    does not change a directory it did not create.
    """
    path = resolve_path(value)
    existing = next(p for p in (path, *path.parents) if os.path.lexists(p))
    real = Path(os.path.realpath(existing))
    above = real.parents if existing == path else (real, *real.parents)
    for parent in above:
        info = os.stat(parent)
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(path, f"cannot be written: {str(parent)!r} is not a directory.", OWN_DIRECTORY)
        others_write = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
        if info.st_uid not in (0, os.getuid()) or others_write:
            raise _refuse(
                path,
                f"is below {str(parent)!r} (mode {stat.S_IMODE(info.st_mode):04o}, owner uid {info.st_uid}), "
                "which others can write to: they could put a directory of their own in its place.",
                OWN_DIRECTORY,
            )
    if existing == path:
        info = os.stat(path)
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(path, "exists and is not a directory.", OWN_DIRECTORY)
        if info.st_uid != os.getuid():
            raise _refuse(
                path,
                f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()}): its owner can read the secrets.",
                OWN_DIRECTORY,
            )
        if info.st_mode & 0o077:
            raise _refuse(
                path,
                f"has mode {stat.S_IMODE(info.st_mode):04o}: its group or others can reach the secrets in it.",
                f"If it is yours to change, run `chmod 700 {path}`; or set secrets_dir to another directory. "
                "The runbook does not change the mode of a directory it did not create.",
            )
    exposed = _git_exposure(real / path.relative_to(existing), real)
    if exposed:
        raise _refuse(path, *exposed)
    return path


def _git_exposure(path: Path, existing: Path) -> tuple[str, str] | None:
    """Why `path` could end up in a commit, as (reason, fix): a git work tree holds it and does not
    ignore it. `existing` is `path` or its nearest existing ancestor; both resolved."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES")}
    outside = "Set secrets_dir to a directory outside the work tree, e.g. ~/.runbook-secrets"
    try:
        top = subprocess.run(
            ["git", "-c", "safe.directory=*", "-C", str(existing), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            env=env,
        )
    except OSError:  # git is not installed: look for a work tree by hand below
        top = None
    if top is not None and top.returncode == 0:
        root = Path(top.stdout.strip())
        relative = os.path.relpath(path, root)
        check = ["git", "-c", "safe.directory=*", "-C", str(root), "check-ignore", "-q", "--", f"{relative}/"]
        if subprocess.run(check, capture_output=True, env=env).returncode == 0:
            return None
        return (
            f"is inside the git work tree {str(root)!r} and not ignored by git: a commit could carry the secrets.",
            f"{outside}, or add it to {root / '.gitignore'}.",
        )
    if top is not None and "not a git repository" in top.stderr:
        return None
    marker = next((p for p in (existing, *existing.parents) if (p / ".git").exists()), None)
    if marker is None:
        return None
    return (
        f"is inside {str(marker)!r}, which looks like a git work tree, and git could not tell whether it is "
        "ignored (is git installed?).",
        f"{outside}, or install git so that the runbook can read {marker / '.gitignore'}.",
    )


def ensure_private_dir(path: Path | str) -> Path:
    """Check `secrets_dir` (see `check_secrets_dir`), create what is missing 0700 at every level, and
    prove it can be written; return it resolved. Fails before any write to IAM."""
    path = check_secrets_dir(path)
    missing = [p for p in (path, *path.parents) if not os.path.lexists(p)][::-1]
    try:
        for level in missing:
            try:
                os.mkdir(level, 0o700)
            except FileExistsError:  # made meanwhile by someone else: check it as any existing directory
                return ensure_private_dir(path)
            os.chmod(level, 0o700)  # ours, just made: the umask may have taken bits from it
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        raise _refuse(path, f"cannot be written: {exc.strerror}.", OWN_DIRECTORY) from None
    return path


# What one run's secrets take on disk (the JSON file is about 1 kB, the QR image 1-2 kB), with room.
STORE_NEEDS = 64 * 1024
# Free space kept beyond that: a disk this full is about to fail whatever we write.
STORE_MARGIN = 1024 * 1024


def check_can_store(directory: str | Path, needed: int = STORE_NEEDS, margin: int = STORE_MARGIN) -> Path:
    """Prove, before IAM is asked for a secret it shows only once (CreateLoginProfile,
    CreateVirtualMFADevice, Create/ResetServiceSpecificCredential), that the store can take it.

    The directory must pass `ensure_private_dir`; the file system must have `needed` bytes and a
    margin free for this user (`os.statvfs`) and free inodes; and a file of `needed` bytes must really
    be written, synced and removed there (a read-only mount, a quota or a disk that fills meanwhile
    fails here). Raises `StorageError` naming secrets_dir; returns the directory.
    """
    path = ensure_private_dir(directory)
    fix = "Free space in secrets_dir (or set secrets_dir to a directory on another disk), then run again."
    try:
        info = os.statvfs(path)
    except OSError as exc:
        raise StorageError(
            f"Cannot tell how much space {str(path)!r} has: {exc.strerror}.", parameter="secrets_dir", fix=fix
        ) from None
    free = info.f_bavail * info.f_frsize
    if free < needed + margin:
        raise StorageError(
            f"The secrets directory {str(path)!r} has {free} bytes free; a new secret needs {needed} and "
            f"{margin} more are kept free. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        )
    if info.f_files and info.f_favail < 8:
        raise StorageError(
            f"The file system of {str(path)!r} has no free inodes for the secrets file. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        )
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".store-probe-")
    except OSError as exc:
        raise StorageError(
            f"The secrets directory {str(path)!r} cannot take a new file: {exc.strerror}. Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        ) from None
    try:
        block = b"\0" * min(needed, 65536)
        written = 0
        while written < needed:
            written += os.write(fd, block[: needed - written])
        os.fsync(fd)
    except OSError as exc:
        raise StorageError(
            f"The secrets directory {str(path)!r} cannot take {needed} bytes: {exc.strerror}. "
            "Nothing was asked of IAM.",
            parameter="secrets_dir",
            fix=fix,
        ) from None
    finally:
        os.close(fd)
        os.unlink(probe)
    return path


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
