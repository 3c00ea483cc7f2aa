"""The input checks IAM's front end makes before an action runs, worded as IAM words them.

botocore checks only required members, types and minimums before sending, so a request
from any client can still break the model's maximums, patterns and enums. IAM refuses
those with ``ValidationError`` (400) and a message naming each member, without echoing
its value (answers recorded on real AWS in 2026, e.g. ``1 validation error detected:
Value at 'status' failed to satisfy constraint: Member must satisfy enum value set``).

IAM does not enforce every pattern its model lists (it takes a ``Path`` of ``/a//b/``,
and answers a bad path with a sentence of its own), so patterns are checked only for
the shapes below; paths, policy ARNs and pagination markers have their own rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.model import ListShape, OperationModel, Shape, StructureShape
from moto.iam.exceptions import ValidationError

from runbook_lib.sandbox.devices import check_path

CHECKED_PATTERNS = frozenset(
    {
        # names: [\w+=,.@-]+
        "userNameType", "existingUserNameType", "groupNameType", "roleNameType", "policyNameType",
        "instanceProfileNameType", "serverCertificateNameType", "virtualMFADeviceName", "customSuffixType",
        # identifiers: [\w]+ and the like
        "accessKeyIdType", "certificateIdType", "publicKeyIdType", "serviceSpecificCredentialId",
        "serialNumberType", "policyVersionIdType", "authenticationCodeType", "accountAliasType",
    }
)  # fmt: skip
"""The model shapes whose pattern IAM enforces (recorded for credential and version ids)."""

PATH_SHAPES = frozenset({"pathType"})
"""Shapes checked by IAM's path rule (begin and end with ``/``) instead of their pattern."""

_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+")
_MARKER = re.compile(r"\d+", re.ASCII)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _string_problems(value: str, shape: Shape) -> Iterator[str]:
    metadata = shape.metadata
    if "max" in metadata and len(value) > metadata["max"]:
        yield f"Member must have length less than or equal to {metadata['max']}"
    if len(value) < metadata.get("min", 0):
        yield f"Member must have length greater than or equal to {metadata['min']}"
    enum = metadata.get("enum")
    if enum and value not in enum:
        yield "Member must satisfy enum value set"
    pattern = metadata.get("pattern")
    if shape.name in CHECKED_PATTERNS and pattern and not re.fullmatch(pattern, value, flags=re.ASCII):
        yield f"Member must satisfy regular expression pattern: {pattern}"


def _number_problems(value: int, shape: Shape) -> Iterator[str]:
    metadata = shape.metadata
    if "max" in metadata and value > metadata["max"]:
        yield f"Member must have value less than or equal to {metadata['max']}"
    if value < metadata.get("min", value):
        yield f"Member must have value greater than or equal to {metadata['min']}"


def constraint_violations(params: Mapping[str, Any], shape: StructureShape, prefix: str = "") -> Iterator[str]:
    """Each way ``params`` breaks ``shape``'s constraints, as ``Value at '<member>' failed ...``."""
    for member, member_shape in shape.members.items():
        value = params.get(member)
        if value is None:
            continue
        where = f"{prefix}{_lower_first(member)}"
        problems: Iterator[str] = iter(())
        if isinstance(value, str) and member_shape.type_name == "string":
            problems = _string_problems(value, member_shape)
        elif isinstance(value, int) and member_shape.type_name in ("integer", "long"):
            problems = _number_problems(value, member_shape)
        elif isinstance(member_shape, ListShape) and isinstance(value, list):
            problems = _number_problems(len(value), member_shape)
            problems = (p.replace("have value", "have length") for p in problems)
            if isinstance(member_shape.member, StructureShape):
                for index, item in enumerate(value, start=1):
                    if isinstance(item, Mapping):
                        yield from constraint_violations(item, member_shape.member, f"{where}.{index}.member.")
        elif isinstance(member_shape, StructureShape) and isinstance(value, Mapping):
            yield from constraint_violations(value, member_shape, f"{where}.")
        for problem in problems:
            yield f"Value at '{where}' failed to satisfy constraint: {problem}"


def check_request(operation: OperationModel, params: Mapping[str, Any]) -> None:
    """Raise IAM's ``ValidationError`` for a request its front end would refuse."""
    shape = operation.input_shape
    if shape is None:
        return
    problems = list(constraint_violations(params, shape))
    if problems:
        plural = "s" if len(problems) > 1 else ""
        raise ValidationError(f"{len(problems)} validation error{plural} detected: {'; '.join(problems)}")
    for member, member_shape in shape.members.items():
        value = params.get(member)
        if not isinstance(value, str):
            continue
        if member_shape.name in PATH_SHAPES:
            check_path(value)
        elif member == "PolicyArn" and not _ARN.fullmatch(value):
            raise ValidationError(f"ARN {value} is not valid.")
        elif member == "Marker" and not _MARKER.fullmatch(value):
            raise ValidationError("Invalid Marker.")
