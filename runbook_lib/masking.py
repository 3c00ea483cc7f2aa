"""Secrets masked where they are made: in every log record and every error a kernel shows.

By the name of each sensitive field (botocore's `sensitive` members and the runbook's own keys), and by
every form of each secret value registered here (plain, repr, JSON, XML, URL, base64, hex).
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import re
import sys
import traceback
import urllib.parse
import xml.sax.saxutils
from collections.abc import Callable, Iterator
from typing import Any

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
