"""The runbook's parameters: the interface of the notebook, `runbook run -p`, and the wizard.

Every value is checked here, before any call to AWS, so that bad input gets a message naming the
parameter and the fix while nothing has been written.
"""

from __future__ import annotations

import functools
import json
import re
import typing
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .aws import sandbox_endpoint
from .errors import InputError
from .secrets import check_secret_file, check_secrets_dir, refuse_secret_parameters

# IAM's rule for user, group and MFA device names (CreateUser: pattern [\w+=,.@-]+, length 1-64).
NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
NAME_CHARACTERS = re.compile(r"[\w+=,.@-]+", re.ASCII)

CHOICES: dict[str, tuple[str, ...]] = {
    "password_mode": ("generated", "custom"),
    "mfa_codes": ("prompt", "generate", "defer"),
    "target": ("sandbox", "aws"),
    "grant_via": ("user", "group"),
    "password_policy": ("keep", "cis"),
}


@dataclass(frozen=True)
class Parameters:
    """What a run varies. The names are the interface: keep them stable."""

    user_name: str = "Administrator"
    console_access: bool = True
    password_mode: str = "generated"
    password_file: str = ""
    password_reset_required: bool = False
    replace_password: bool = False
    policies: list[str] = field(default_factory=lambda: ["AdministratorAccess", "Billing"])
    grant_via: str = "user"
    group_name: str = "Administrators"
    password_policy: str = "keep"
    mfa: bool = True
    mfa_device_name: str = ""
    mfa_codes: str = "prompt"
    mfa_codes_file: str = ""
    codecommit: bool = True
    codecommit_user: str = ""
    codecommit_reset: str = ""
    git_credential_helper: bool = False
    target: str = "sandbox"
    profile: str = ""
    region: str = "us-east-1"
    secrets_dir: str = "~/.runbook-secrets"
    confirm: str = ""
    adopt: bool = False

    @property
    def device_name(self) -> str:
        return self.mfa_device_name or self.user_name

    @property
    def git_user(self) -> str:
        return self.codecommit_user or self.user_name

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PARAMETER_NAMES = tuple(f.name for f in fields(Parameters))

# IAM's length limits (CreateUser, CreateGroup, CreateVirtualMFADevice; botocore's model).
NAME_LIMITS = {"group_name": 128, "mfa_device_name": 226}
# A service-specific credential id (serviceSpecificCredentialId: [\w]+, 20 to 128 characters).
CREDENTIAL_ID_PATTERN = re.compile(r"\w{20,128}", re.ASCII)
SECRET_FILES = ("password_file", "mfa_codes_file")


def parse(raw: Mapping[str, Any]) -> Parameters:
    """Validate raw values (from the notebook or the CLI) into `Parameters`, or raise `InputError`.

    Every parameter is checked: secret-looking names and values first (so no later message can show
    one), then its type, then its rule. Messages name the parameter and what it takes, never the
    refused value.
    """
    refuse_secret_parameters(raw)
    unknown = sorted(set(raw) - set(PARAMETER_NAMES))
    if unknown:
        raise InputError(
            f"Unknown parameter {unknown[0]!r}.",
            parameter=unknown[0],
            fix=f"Use one of: {', '.join(PARAMETER_NAMES)}.",
        )
    values = {**Parameters().as_dict(), **raw}
    for name, kind in _kinds().items():
        values[name] = _typed(name, values[name], kind)
    for name, choices in CHOICES.items():
        if values[name] not in choices:
            raise InputError(
                f"{name} must be one of: {', '.join(choices)} (the value given is not shown).",
                parameter=name,
                fix=f"Set {name} to one of: {', '.join(choices)}.",
            )
    for name in ("user_name", "group_name"):
        check_name(values[name], name)
    for name in ("codecommit_user", "mfa_device_name"):
        if values[name]:
            check_name(values[name], name)
    if values["codecommit_user"] == values["user_name"]:
        raise InputError(
            "codecommit_user is the admin user itself.",
            parameter="codecommit_user",
            fix="Leave codecommit_user empty to keep Git credentials on the admin, or name another user.",
        )
    if values["codecommit_reset"] and not CREDENTIAL_ID_PATTERN.fullmatch(values["codecommit_reset"]):
        raise InputError(
            "codecommit_reset is not a service-specific credential id.",
            parameter="codecommit_reset",
            fix="Use the ServiceSpecificCredentialId the runbook names (ACCA and 17 letters or digits), "
            "or leave it empty.",
        )
    if not values["policies"]:
        raise InputError(
            "policies is empty.",
            parameter="policies",
            fix='Name at least one policy, like ["AdministratorAccess", "Billing"].',
        )
    if values["region"] not in known_regions():
        raise InputError(
            "region is not an AWS region (the value given is not shown).",
            parameter="region",
            fix="Use a region code such as us-east-1 or eu-west-1 (see `aws ec2 describe-regions`).",
        )
    for name in SECRET_FILES:
        if values[name]:
            values[name] = str(check_secret_file(values[name], name))
    values["secrets_dir"] = str(check_secrets_dir(values["secrets_dir"]))
    if values["target"] == "sandbox":
        sandbox_endpoint()  # an endpoint setting pointing elsewhere is refused before papermill starts
    if values["password_file"] and values["password_mode"] == "generated":
        values["password_mode"] = "custom"
    return Parameters(**values)


@functools.cache
def _kinds() -> dict[str, Any]:
    """Each parameter's type, read from `Parameters`' annotations: str, bool or list[str]."""
    return typing.get_type_hints(Parameters)


def _typed(name: str, value: Any, kind: Any) -> Any:
    """`value` as `kind`, from what the notebook or `-p NAME VALUE` gives (the CLI reads JSON where it
    parses: `-p confirm 111122223333` is a number); a clear error naming the parameter otherwise."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        expected, example = "True or False", f"-p {name} True"
    elif kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        expected, example = "text", f"-p {name} VALUE"
    else:  # list[str]: policy names, also as one comma-separated text
        if isinstance(value, str):
            value = [p.strip() for p in value.split(",") if p.strip()]
        expected, example = "a list of policy names", f"""-p {name} '["AdministratorAccess", "Billing"]'"""
        if isinstance(value, list | tuple):
            bad = [item for item in value if not isinstance(item, str) or not item.strip()]
            if not bad:
                return [item.strip() for item in value]
            value = bad[0]
            expected += ", each one text"
    raise InputError(
        f"{name} must be {expected}, not {_kind_of(value)}.",
        parameter=name,
        fix=f"Give {name} as {expected}, like {example}.",
    )


def _kind_of(value: Any) -> str:
    """What a value is, in words, without showing it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "empty text" if not value.strip() else "text"
    if isinstance(value, Mapping):
        return "a mapping (dict)"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    return f"a {type(value).__name__}"


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows, in every partition, read once from its bundled `partitions.json`.

    Read directly (7 kB) rather than through a botocore session, which costs an import of
    `botocore.session` (0.3 s) and a parse of the 1.2 MB `endpoints.json` before the first call.
    The `aws-global`-style names are endpoint aliases, not regions.
    """
    from importlib.resources import files

    data = json.loads(files("botocore").joinpath("data/partitions.json").read_text())
    return frozenset(r for p in data["partitions"] for r in p["regions"] if not r.endswith("-global"))


def check_name(name: Any, parameter: str) -> str:
    """IAM's naming rule ([\\w+=,.@-], 1-64 characters; groups 128, MFA devices 226), checked locally so
    a bad name fails before any call. The message says what is wrong, not the name."""
    limit = NAME_LIMITS.get(parameter, 64)
    if not isinstance(name, str):
        why = f"it is {_kind_of(name)}, not text"
    elif not name:
        why = "it is empty"
    elif len(name) > limit:
        why = f"it has {len(name)} characters (at most {limit})"
    elif not NAME_CHARACTERS.fullmatch(name):
        why = "it holds a character IAM does not allow in names (a space, a slash, a non-ASCII letter...)"
    else:
        return name
    raise InputError(
        f"{parameter} is not a valid IAM name: {why}.",
        parameter=parameter,
        fix=f"Use 1-{limit} characters: letters, digits and + = , . @ _ - (no spaces).",
    )
