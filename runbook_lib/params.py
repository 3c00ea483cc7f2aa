"""The runbook's parameters: the interface of the notebook, `runbook run -p`, and the wizard.

Every value is checked here, before any call to AWS, so that bad input gets a message naming the
parameter and the fix while nothing has been written.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, cast

from .errors import InputError
from .secrets import refuse_secret_parameters
from .stores import STORE_PARAMETERS, StoreKind, StoreSettings, parse_settings

# IAM's rule for user and group names (CreateUser: pattern [\w+=,.@-]+, length 1-64).
NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
MFA_DEVICE_PATTERN = re.compile(r"[\w+=,.@-]{1,226}", re.ASCII)

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
    secrets_store: str = STORE_PARAMETERS["secrets_store"]
    keepass_db: str = STORE_PARAMETERS["keepass_db"]
    keepass_keyfile: str = STORE_PARAMETERS["keepass_keyfile"]
    confirm: str = ""
    adopt: bool = False

    @property
    def device_name(self) -> str:
        return self.mfa_device_name or self.user_name

    @property
    def git_user(self) -> str:
        return self.codecommit_user or self.user_name

    @property
    def store(self) -> StoreSettings:
        """Where the run's secrets go (`secrets_store` and its settings), as `parse` checked them."""
        kind = cast(StoreKind, self.secrets_store)
        return StoreSettings(kind, self.secrets_dir, self.keepass_db, self.keepass_keyfile)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PARAMETER_NAMES = tuple(f.name for f in fields(Parameters))


def parse(raw: Mapping[str, Any]) -> Parameters:
    """Validate raw values (from the notebook or the CLI) into `Parameters`, or raise `InputError`."""
    refuse_secret_parameters(raw)
    unknown = sorted(set(raw) - set(PARAMETER_NAMES))
    if unknown:
        raise InputError(
            f"Unknown parameter {unknown[0]!r}.",
            parameter=unknown[0],
            fix=f"Use one of: {', '.join(PARAMETER_NAMES)}.",
        )
    values = {**Parameters().as_dict(), **raw}
    for name, choices in CHOICES.items():
        if values[name] not in choices:
            raise InputError(
                f"{name}={values[name]!r} is not one of {', '.join(choices)}.",
                parameter=name,
                fix=f"Set {name} to one of: {', '.join(choices)}.",
            )
    for name in (
        "console_access",
        "password_reset_required",
        "replace_password",
        "mfa",
        "codecommit",
        "adopt",
        "git_credential_helper",
    ):
        values[name] = _boolean(name, values[name])
    check_name(values["user_name"], "user_name")
    if values["codecommit_user"]:
        check_name(values["codecommit_user"], "codecommit_user")
        if values["codecommit_user"] == values["user_name"]:
            raise InputError(
                "codecommit_user is the admin user itself.",
                parameter="codecommit_user",
                fix="Leave codecommit_user empty to keep Git credentials on the admin, or name another user.",
            )
    check_name(values["group_name"], "group_name")
    if values["mfa_device_name"] and not MFA_DEVICE_PATTERN.fullmatch(values["mfa_device_name"]):
        raise InputError(
            f"mfa_device_name {values['mfa_device_name']!r} is not a valid device name.",
            parameter="mfa_device_name",
            fix="Use letters, digits and + = , . @ _ - only.",
        )
    if isinstance(values["policies"], str):
        values["policies"] = [p.strip() for p in values["policies"].split(",") if p.strip()]
    if not isinstance(values["policies"], list) or not all(isinstance(p, str) for p in values["policies"]):
        raise InputError(
            "policies must be a list of policy names.",
            parameter="policies",
            fix='Write it like ["AdministratorAccess", "Billing"].',
        )
    if str(values["region"]) not in known_regions():
        raise InputError(
            f"region {values['region']!r} is not an AWS region.",
            parameter="region",
            fix="Use a region code such as us-east-1 or eu-west-1 (see `aws ec2 describe-regions`).",
        )
    parse_settings(values)  # secrets_store, keepass_db, keepass_keyfile
    if values["password_file"] and values["password_mode"] == "generated":
        values["password_mode"] = "custom"
    return Parameters(**values)


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
    """IAM's user-name rule, checked locally so a bad name fails before any call."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"{parameter} {name!r} is not a valid IAM name.",
            parameter=parameter,
            fix="Use 1-64 characters: letters, digits and + = , . @ _ - (no spaces).",
        )
    return name


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise InputError(
        f"{name}={value!r} is not true or false.",
        parameter=name,
        fix=f"Set {name} to True or False.",
    )
