"""The input checks IAM's front end makes before an action runs, worded as IAM words them.

botocore checks only required members, types and minimums before sending, so a request
from any client can still break the model's maximums, patterns and enums. IAM refuses
those with ``ValidationError`` (400) and a message naming each member, without echoing
its value (answers recorded on real AWS in 2026, e.g. ``1 validation error detected:
Value at 'status' failed to satisfy constraint: Member must satisfy enum value set``).
The failing members come in AWS's order (:func:`hash_map_order`), and a list of strings
with a bad item is one clause naming all its item constraints, as AWS words it.

IAM does not enforce every pattern its model lists (it takes a ``Path`` of ``/a//b/``,
and answers a bad path with a sentence of its own), so patterns are checked only for
the shapes below; paths, policy ARNs and pagination markers have their own rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
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

NOT_NULL_ITEMS = frozenset({"tagKeyListType"})
"""List shapes whose item constraints AWS lists with ``Member must not be null`` (botocore's model does not
say which): recorded for ``tagKeys`` (UntagRole, UntagPolicy, 2026-02); not for ``clientIDList`` or
``thumbprintList`` (CreateOpenIDConnectProvider, 2026-02-17)."""

PATH_SHAPES = frozenset({"pathType"})
"""Shapes checked by IAM's path rule (begin and end with ``/``) instead of their pattern."""

_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+")
_MARKER = re.compile(r"\d+", re.ASCII)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _string_constraints(shape: Shape) -> list[tuple[str, Callable[[str], bool]]]:
    """A string shape's constraints as IAM words them, each with the test a value must pass.

    Only :data:`CHECKED_PATTERNS` are tested; any other pattern is still one of the shape's
    constraints, listed among a list's item constraints as AWS lists ``tagKeys``' (IAM does
    enforce that one, recorded 2026-02; the sandbox does not: ``re`` has no ``\\p{L}``).
    """
    metadata = shape.metadata
    rules: list[tuple[str, Callable[[str], bool]]] = []
    if "max" in metadata:
        rules.append(
            (f"Member must have length less than or equal to {metadata['max']}", lambda v: len(v) <= metadata["max"])
        )
    if "min" in metadata:
        rules.append(
            (f"Member must have length greater than or equal to {metadata['min']}", lambda v: len(v) >= metadata["min"])
        )
    if enum := metadata.get("enum"):
        rules.append(("Member must satisfy enum value set", lambda v: v in enum))
    if pattern := metadata.get("pattern"):
        enforced = shape.name in CHECKED_PATTERNS
        rules.append(
            (
                f"Member must satisfy regular expression pattern: {pattern}",
                lambda v: not enforced or re.fullmatch(pattern, v, flags=re.ASCII) is not None,
            )
        )
    return rules


def _string_problems(value: str, shape: Shape) -> Iterator[str]:
    for constraint, holds in _string_constraints(shape):
        if not holds(value):
            yield constraint


def _items_problem(items: list[Any], shape: ListShape) -> Iterator[str]:
    """A list of strings breaks its item shape as one clause, naming every item constraint (not the broken one)."""
    rules = _string_constraints(shape.member)
    if any(isinstance(item, str) and not all(holds(item) for _, holds in rules) for item in items):
        constraints = [text for text, _ in rules] + (
            ["Member must not be null"] if shape.name in NOT_NULL_ITEMS else []
        )
        yield f"Member must satisfy constraint: [{', '.join(constraints)}]"


def _number_problems(value: int, shape: Shape) -> Iterator[str]:
    metadata = shape.metadata
    if "max" in metadata and value > metadata["max"]:
        yield f"Member must have value less than or equal to {metadata['max']}"
    if value < metadata.get("min", value):
        yield f"Member must have value greater than or equal to {metadata['min']}"


def _java_hash(text: str) -> int:
    """Java's ``String.hashCode()`` (over UTF-16 code units), as an unsigned 32-bit number."""
    data = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def hash_map_order(names: list[str]) -> list[str]:
    """``names`` in the order a ``java.util.HashMap`` holding them iterates: AWS's order of the failing members.

    AWS lists a structure's failing members in neither the model's order nor the alphabet's
    but in this one: recorded for UpdateAccountPasswordPolicy (minimumPasswordLength,
    passwordReusePrevention, maxPasswordAge) and CreateOpenIDConnectProvider (clientIDList,
    thumbprintList, url), and for every multi-member message in LocalStack's snapshots of other
    services. A HashMap has 16 buckets, doubled while it is over three quarters full; it walks
    them in order, and a bucket's names in the order they went in (here, the model's).
    """
    buckets = 16
    while len(names) > buckets * 3 // 4:
        buckets *= 2

    def bucket(name: str) -> int:
        h = _java_hash(name)
        return (h ^ (h >> 16)) & (buckets - 1)

    return sorted(names, key=bucket)  # stable: a bucket keeps the model's order


def _member_violations(value: Any, shape: Shape, where: str) -> Iterator[str]:
    """Each way one member's ``value`` breaks its ``shape``: items in their order, then the member itself."""
    problems: Iterator[str] = iter(())
    if isinstance(value, str) and shape.type_name == "string":
        problems = _string_problems(value, shape)
    elif isinstance(value, int) and shape.type_name in ("integer", "long"):
        problems = _number_problems(value, shape)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        problems = _number_problems(len(value), shape)
        problems = (p.replace("have value", "have length") for p in problems)
        if isinstance(shape.member, StructureShape):
            for index, item in enumerate(value, start=1):
                if isinstance(item, Mapping):
                    yield from constraint_violations(item, shape.member, f"{where}.{index}.member.")
        elif shape.member.type_name == "string":
            yield from (f"Value at '{where}' failed to satisfy constraint: {p}" for p in _items_problem(value, shape))
    elif isinstance(shape, StructureShape) and isinstance(value, Mapping):
        yield from constraint_violations(value, shape, f"{where}.")
    for problem in problems:
        yield f"Value at '{where}' failed to satisfy constraint: {problem}"


def constraint_violations(params: Mapping[str, Any], shape: StructureShape, prefix: str = "") -> Iterator[str]:
    """Each way ``params`` breaks ``shape``'s constraints, as ``Value at '<member>' failed ...``, in AWS's order."""
    found: dict[str, list[str]] = {}
    for member, member_shape in shape.members.items():
        value = params.get(member)
        if value is not None:
            name = _lower_first(member)
            found[name] = list(_member_violations(value, member_shape, f"{prefix}{name}"))
    for name in hash_map_order([name for name, problems in found.items() if problems]):
        yield from found[name]


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
