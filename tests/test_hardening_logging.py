"""Secrets are masked at the source (issue 13, item 1): by field name in every request and response
body, by value in every encoded form, in every record of every logger at every level, whatever
handler shows it, and in the tracebacks a kernel shows.

The bodies are written the way botocore and IAM write them (XML answers, query-string requests, dict
reprs, JSON, a bytes repr of the body); the values are drawn by hypothesis.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.parse
import xml.sax.saxutils
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError
from botocore.loaders import create_loader
from hypothesis import HealthCheck, given, settings, strategies as st

from runbook_lib import secrets

MARK = "Zq"  # begins and ends every drawn secret; no encoding below changes it, so it must vanish

LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]

# How a body carries a field, as botocore logs it (request params, response body) or IAM answers it.
BODIES: dict[str, Callable[[str, str], str]] = {
    "dict repr": lambda k, v: str({"body": {"Action": "CreateLoginProfile", k: v, "UserName": "alice"}}),
    "JSON": lambda k, v: json.dumps({"Action": "Create", k: v, "Other": 1}),
    "XML": lambda k, v: f"<R><Result><{k}>{xml.sax.saxutils.escape(v)}</{k}><Status>Active</Status></Result></R>",
    "bytes repr of XML": lambda k, v: repr(f"<R><{k}>{xml.sax.saxutils.escape(v)}</{k}></R>".encode()),
    "query string": lambda k, v: urllib.parse.urlencode({"Action": "CreateLoginProfile", k: v, "UserName": "a"}),
    "keyword arguments": lambda k, v: f"create({k}={v!r}, UserName='alice')",
}


# Nested once more, as a repr of the text above would show it. Field-name masking there is for what
# IAM makes (base32, base64: no quote or backslash); a password the user chose is also registered.
def _repr_of(body: Callable[[str, str], str]) -> Callable[[str, str], str]:
    return lambda k, v: repr(body(k, v))


NESTED = {f"repr of {name}": _repr_of(body) for name, body in BODIES.items()}

any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)
iam_made = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567+/=", min_size=1, max_size=40)


@contextmanager
def handler_added_after_import(name: str) -> Iterator[io.StringIO]:
    """A handler a user adds at any time (basicConfig, set_stream_logger): this one on a fresh logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def logged(logger_name: str, level: int, message: str, *args: object, **kwargs: object) -> str:
    with handler_added_after_import(logger_name) as stream:
        logging.getLogger(logger_name).log(level, message, *args, **kwargs)
    return stream.getvalue()


def test_the_masked_fields_include_every_member_botocores_iam_and_sts_models_mark_sensitive() -> None:
    loader = create_loader()
    marked = set()
    for service in ("iam", "sts"):
        shapes = loader.load_service_model(service, "service-2")["shapes"]
        sensitive = {name for name, shape in shapes.items() if shape.get("sensitive")}
        for shape in shapes.values():
            for member, ref in shape.get("members", {}).items():
                if ref["shape"] in sensitive or ref.get("sensitive"):
                    marked.add(member)
    assert marked <= set(secrets.MODEL_SENSITIVE_FIELDS), sorted(marked - set(secrets.MODEL_SENSITIVE_FIELDS))
    named = ("Password", "NewPassword", "OldPassword", "AuthenticationCode1", "AuthenticationCode2", "Base32StringSeed",
             "QRCodePNG", "ServicePassword", "SecretAccessKey", "SessionToken", "PrivateKey")  # fmt: skip
    assert set(named) <= set(secrets.SENSITIVE_FIELDS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(secrets.SENSITIVE_FIELDS),
    body=st.sampled_from(sorted(BODIES)),
    middle=any_text,
    level=st.sampled_from(LEVELS),
    logger_name=st.sampled_from(["botocore.parsers", "botocore.endpoint", "urllib3", "", "some.library"]),
    as_argument=st.booleans(),
)
def test_an_unknown_secret_is_masked_by_its_field_name_in_any_body_logger_and_level(
    field: str, body: str, middle: str, level: int, logger_name: str, as_argument: bool
) -> None:
    """What IAM just made (a seed, a QR code, a Git password) is masked before the runbook learns it."""
    value = f"{MARK}{middle}{MARK}"
    text = BODIES[body](field, value)
    out = logged(logger_name, level, "Response body:\n%s", text) if as_argument else logged(logger_name, level, text)
    assert MARK not in out, out
    assert field.lower() in out.lower(), "the field's name stays: only its value is masked"


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(secrets.SENSITIVE_FIELDS), body=st.sampled_from(sorted(NESTED)), middle=iam_made)
def test_a_secret_iam_made_is_masked_by_field_name_in_a_repr_of_a_body(field: str, body: str, middle: str) -> None:
    out = logged("botocore.parsers", logging.DEBUG, "%s", NESTED[body](field, f"{MARK}{middle}{MARK}"))
    assert MARK not in out, out


@settings(max_examples=200, deadline=None)
@given(
    middle=any_text,
    body=st.sampled_from(sorted({**BODIES, **NESTED})),
    field=st.sampled_from(["Password", "Comment", "Tags"]),
    level=st.sampled_from(LEVELS),
)
def test_a_registered_secret_is_masked_in_every_escaped_form_under_any_field(
    middle: str, body: str, field: str, level: int
) -> None:
    """A password with a backslash or quote is logged in its repr form: that form is masked too."""
    value = secrets.register(f"{MARK}\\'\"{middle}{MARK}")
    out = logged("botocore.endpoint", level, "params: %s", BODIES.get(body, NESTED.get(body))(field, value))  # type: ignore[misc]
    assert MARK not in out, out


def test_a_registered_secret_is_masked_as_base64_hex_and_url_encoding() -> None:
    value = secrets.register("Zq-R3gistered\\'\"-secret-Zq")
    for form in sorted(secrets.encodings(value, depth=1)):
        out = logged("x.y", logging.INFO, "carried: <%s>", form)
        assert "carried: <********>" in out, (form, out)


def test_tracebacks_in_log_records_are_masked() -> None:
    """logger.exception: the traceback's text, an IAM error message that passes a secret through."""
    password = secrets.register("Tr4ceback-Pass\\word'!")
    try:
        raise ClientError(
            {
                "Error": {
                    "Code": "ValidationError",
                    "Message": f"Value '{password}' at 'password' failed; Password={MARK}x",
                }
            },
            "CreateLoginProfile",
        )
    except ClientError:
        out = logged("runbook.test", logging.ERROR, "call failed", exc_info=True)
    assert "ValidationError" in out and "Traceback" in out
    assert "Tr4ceback" not in out and MARK not in out, out


def test_a_bad_format_string_still_reaches_logging_own_error_handling() -> None:
    """The factory never raises: logging reports the broken record as it always has."""
    record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "%d", ("not a number",), None)
    with pytest.raises(TypeError):
        record.getMessage()


def test_the_redaction_is_in_place_for_loggers_and_handlers_made_after_import() -> None:
    assert isinstance(logging.getLogRecordFactory(), secrets._RedactingFactory)
    out = logged("made.later", logging.DEBUG, "<QRCodePNG>%s</QRCodePNG>", f"{MARK}iVBORw0KGgo")
    assert MARK not in out


@pytest.mark.slow
def test_a_kernel_shows_an_error_that_carries_a_secret_masked() -> None:
    """A ClientError whose message holds the password (registered) or a field's value (not registered):
    the error a notebook shows (ename, evalue, traceback) and papermill reports is masked."""
    from jupyter_client.manager import KernelManager

    code = (
        "from botocore.exceptions import ClientError\n"
        "from runbook_lib import secrets\n"
        "pw = secrets.register('K3rnel-Pass\\\\w\"ord!')\n"
        "raise ClientError({'Error': {'Code': 'ValidationError', 'Message': 'Value ' + repr(pw) + ' or ' + pw"
        " + ' at password; <Base32StringSeed>Zq1Zq</Base32StringSeed>'}}, 'CreateLoginProfile')\n"
    )
    km = KernelManager(kernel_name="python3", transport="ipc")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    errors: list[dict[str, object]] = []
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda msg: errors.append(msg["content"]) if msg["msg_type"] == "error" else None,
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    shown = json.dumps([reply["content"], *errors])
    assert reply["content"]["ename"] == "ClientError" and errors and "ValidationError" in shown
    assert "K3rnel" not in shown and "Zq1Zq" not in shown, shown
