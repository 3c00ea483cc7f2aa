"""The error codes the runbook acts on are codes IAM and STS answer with.

The runbook reads an error's code to choose its message and fix (``runbook._explain``),
to ride out propagation (``aws.PROPAGATION_CODES``), to name a denied action, to spot
rejected credentials, and to fall back from an exact policy name (``policies.lookup``).
A code nobody returns is dead code at best; at worst the runbook waits for an answer AWS
never gives (as it would have for ``NotSupportedService``, which the API reference
documents and AWS does not send: recorded ``NoSuchEntity``). This reads the codes out of
``runbook_lib``'s source and checks each against the recorded answers in ``recorded.json``,
then against botocore's IAM and STS models and AWS's common errors.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
import pytest

import runbook_lib

PACKAGE = Path(runbook_lib.__file__).parent
TABLE = json.loads((Path(__file__).parent / "recorded.json").read_text())

COMMON_ERRORS = frozenset(
    {"AccessDenied", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "Throttling", "ValidationError"}
)
"""AWS's common errors for Query APIs like IAM and STS, which no service model lists:
https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html"""

NOT_FROM_IAM_OR_STS = {
    "AccessDeniedException": "JSON-protocol services' spelling; IAM answers AccessDenied (recorded 2026-02-24)",
    "UnrecognizedClientException": "JSON-protocol services' answer to unknown keys; STS answers InvalidClientTokenId",
}
"""Codes the runbook also accepts, harmlessly, that IAM and STS never send (reported to the lead)."""


def _code_compared(node: ast.expr) -> bool:
    """``code``, ``x["Code"]`` or ``x.get("Code")``: an expression holding an error code."""
    if isinstance(node, ast.Name):
        return node.id == "code"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "Code"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "Code"
    return False


def _strings(node: ast.expr, constants: dict[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for element in node.elts for s in _strings(element, constants)]
    if isinstance(node, ast.Name):
        return constants.get(node.id, [])
    return []


def _modeled_exceptions() -> dict[str, str]:
    """botocore's exception class names (``NoSuchEntityException``) and the codes they stand for."""
    session = botocore.session.get_session()
    names = {}
    for service in ("iam", "sts"):
        model = session.get_service_model(service)
        for shape in model.error_shapes:
            names[shape.name] = shape.metadata.get("error", {}).get("code", shape.name)
    return names


def codes_the_runbook_handles() -> dict[str, set[str]]:
    """Code -> the modules that act on it, read from ``runbook_lib`` (the sandbox excluded)."""
    exceptions = _modeled_exceptions()
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {
            target.id: _strings(node.value, {})
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id.endswith("_CODES")
        }
        for node in ast.walk(tree):
            codes: list[str] = []
            if isinstance(node, ast.Compare) and _code_compared(node.left):
                codes = [c for comparator in node.comparators for c in _strings(comparator, constants)]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith("_CODES") for t in node.targets
            ):
                codes = _strings(node.value, {})
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "exceptions"
                and node.attr in exceptions
            ):
                codes = [exceptions[node.attr]]
            for code in codes:
                found.setdefault(code, set()).add(path.name)
    return found


def _recorded_codes() -> dict[str, list[str]]:
    recorded: dict[str, list[str]] = {}
    for row in TABLE["rows"]:
        error = row["expect"].get("error")
        if error and row["recording"] == "recorded":
            recorded.setdefault(error["code"], []).append(row["id"])
    return recorded


def _model_codes() -> set[str]:
    return set(_modeled_exceptions().values())


HANDLED = codes_the_runbook_handles()


def test_the_source_reading_finds_the_codes_the_runbook_is_known_to_act_on() -> None:
    """A guard on the reader itself: these are in runbook.py, aws.py, identity.py and policies.py today."""
    assert {"InvalidAuthenticationCode", "PasswordPolicyViolation", "LimitExceeded", "NoSuchEntity"} <= set(HANDLED)
    assert {"EntityTemporarilyUnmodifiable", "AccessDenied", "InvalidClientTokenId", "ValidationError"} <= set(HANDLED)


@pytest.mark.parametrize("code", sorted(HANDLED))
def test_each_code_the_runbook_acts_on_is_one_iam_or_sts_sends(code: str) -> None:
    """Recorded on AWS first; else in IAM's or STS's model, or a common error; else known and harmless."""
    if code in _recorded_codes() or code in NOT_FROM_IAM_OR_STS:
        return
    assert code in _model_codes() | COMMON_ERRORS, (
        f"{code} (acted on in {sorted(HANDLED[code])}) is neither recorded from AWS nor in IAM's or STS's model"
    )


def test_the_runbook_does_not_wait_for_NotSupportedService() -> None:
    """The API reference's code for an unsupported service; AWS answers NoSuchEntity (recorded 2025 and 2026)."""
    assert "NotSupportedService" not in HANDLED
    recorded = _recorded_codes()
    unsupported = [r for r in TABLE["rows"] if r["id"].startswith("CreateServiceSpecificCredential/unsupported")]
    assert unsupported and {r["expect"]["error"]["code"] for r in unsupported} == {"NoSuchEntity"}
    assert "NotSupportedService" not in recorded


def test_limit_exceeded_comes_from_more_than_the_git_credential_quota() -> None:
    """Recorded LimitExceeded answers name other quotas too: the code alone does not say which fix applies."""
    messages = {
        row["expect"]["error"].get("message")
        for row in TABLE["rows"]
        if row["expect"].get("error", {}).get("code") == "LimitExceeded"
    }
    assert "Cannot exceed quota for PoliciesPerUser: 10" in messages
    assert "LimitExceeded" in HANDLED
