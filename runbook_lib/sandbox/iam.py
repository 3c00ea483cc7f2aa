"""moto's IAM, made to refuse what real IAM refuses.

moto keeps IAM's state but accepts much that IAM rejects: any MFA codes, any password,
deleting a user who still has credentials. A runbook rehearsed against that would pass
in the sandbox and fail on a real account, so :class:`SandboxIAMBackend` adds IAM's rules
(one small method each) and :class:`SandboxIamResponse` adds the actions moto lacks and
checks user names the way IAM's API does. Both follow moto's split: the backend holds
state and rules, the response only reads parameters.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import moto.iam.urls
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult, EmptyResult
from moto.core.serialize import never_return
from moto.core.utils import get_service_model, utcnow
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.exceptions import (
    DeleteConflictException,
    EntityAlreadyExists,
    LimitExceededException,
    NoSuchEntity,
    ValidationError,
)
from moto.iam.models import (
    AccountSummary,
    AWSManagedPolicy,
    IAMBackend,
    ManagedPolicy,
    User,
    VirtualMfaDevice,
    iam_backends,
)
from moto.iam.responses import IamResponse

from runbook_lib.sandbox import mfa, passwords
from runbook_lib.sandbox.credentials import (
    LIMIT_PER_USER_PER_SERVICE,
    SUPPORTED_SERVICES,
    ServiceSpecificCredential,
)
from runbook_lib.sandbox.exceptions import (
    InvalidAuthenticationCode,
    NotSupportedService,
    PasswordPolicyViolation,
)

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


@dataclass
class RootState:
    """What the account's root user has. IAM reports it but cannot change it."""

    mfa: bool = True
    access_keys: bool = False
    created: datetime = field(default_factory=utcnow)

    def credential_report_row(self, arn: str) -> str:
        """The ``<root_account>`` row of the credential report, in its 22 columns."""
        created = self.created.strftime(_DATE_FORMAT)
        key_1 = ["true", created] if self.access_keys else ["false", "N/A"]
        fields = [
            "<root_account>", arn, created,
            "not_supported", "no_information", "not_supported", "not_supported",
            str(self.mfa).lower(),
            *key_1, "N/A", "N/A", "N/A",
            "false", "N/A", "N/A", "N/A", "N/A",
            "false", "N/A", "false", "N/A",
        ]  # fmt: skip
        return ",".join(fields) + "\n"


@functools.cache
def _aws_policy_documents() -> dict[str, Any]:
    """AWS's managed policies, parsed once per process and shared by every account."""
    documents: dict[str, Any] = json.loads(aws_managed_policies_data)
    return documents


class SandboxAccountSummary(AccountSummary):
    """The account summary, with the root user's state and without loading AWS's policies.

    Both customer-policy counts only concern policies the account made, so they are
    counted from the policies loaded so far.
    """

    def __init__(self, backend: SandboxIAMBackend) -> None:
        super().__init__(backend)
        self._sandbox = backend

    @property
    def summary_map(self) -> dict[str, Any]:
        summary: dict[str, Any] = super().summary_map
        summary["AccountMFAEnabled"] = int(self._sandbox.root.mfa)
        summary["AccountAccessKeysPresent"] = int(self._sandbox.root.access_keys)
        return summary

    @property
    def _policies(self) -> int:
        policies = self._sandbox.policies_loaded_so_far()
        return sum(not isinstance(policy, AWSManagedPolicy) for policy in policies)

    @property
    def _policy_versions_in_use(self) -> int:
        return sum(policy.attachment_count for policy in self._sandbox.policies_loaded_so_far())


class SandboxIAMBackend(IAMBackend):
    """One account's IAM, with IAM's rules on top of moto's state."""

    def __init__(self, region_name: str, account_id: str) -> None:
        self._aws_policies_loaded = False
        self._policy_lock = threading.Lock()
        super().__init__(region_name=region_name, account_id=account_id)
        self.root = RootState()
        self.service_credentials: dict[str, ServiceSpecificCredential] = {}
        self.account_summary = SandboxAccountSummary(self)

    @property
    def _url_module(self) -> Any:
        """moto routes a backend's requests via ``<backend's module>.urls``; route to ours."""
        return ROUTES

    # AWS managed policies: always there, loaded on first use

    def _init_aws_policies(self) -> list[ManagedPolicy]:
        return []

    def _init_managed_policies(self) -> dict[str, ManagedPolicy]:
        return {}

    @property
    def aws_managed_policies(self) -> list[ManagedPolicy]:
        self._load_aws_policies()
        return self._aws_managed_policies

    @aws_managed_policies.setter
    def aws_managed_policies(self, policies: list[ManagedPolicy]) -> None:
        self._aws_managed_policies = policies

    @property
    def managed_policies(self) -> dict[str, ManagedPolicy]:
        self._load_aws_policies()
        return self._managed_policies

    @managed_policies.setter
    def managed_policies(self, policies: dict[str, ManagedPolicy]) -> None:
        self._managed_policies = policies

    def policies_loaded_so_far(self) -> list[ManagedPolicy]:
        """The managed policies, without loading AWS's if nothing needed them yet."""
        return list(self._managed_policies.values())

    def _load_aws_policies(self) -> None:
        """Load AWS's managed policies, as real accounts have them, without moto's opt-in.

        Building ~1,500 policies is the slowest thing the backend does, and moto builds
        a backend per partition per account seen, so it waits until a call needs them.
        """
        if self._aws_policies_loaded:
            return
        with self._policy_lock:
            if self._aws_policies_loaded:
                return
            aws_policies: list[ManagedPolicy] = [
                AWSManagedPolicy.from_data(name, self.account_id, self.region_name, document)
                for name, document in _aws_policy_documents().items()
            ]
            self._aws_managed_policies = aws_policies
            self._managed_policies = {p.arn: p for p in aws_policies} | self._managed_policies
            self._aws_policies_loaded = True

    # The root user

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def get_credential_report(self) -> str:
        """The report, with the ``<root_account>`` row IAM puts first."""
        header, users = super().get_credential_report().split("\n", 1)
        return f"{header}\n{self.root.credential_report_row(self.root_arn)}{users}"

    # Users

    def delete_user(self, user_name: str) -> None:
        """IAM refuses to delete a user who still has anything attached."""
        leftover = next(self._leftovers(self.get_user(user_name)), None)
        if leftover is not None:
            raise DeleteConflictException(f"Cannot delete entity, must {leftover} first.")
        super().delete_user(user_name)

    def _leftovers(self, user: User) -> Iterator[str]:
        """What must go before ``user`` can be deleted, as IAM words it."""
        if user.password is not None:
            yield "delete login profile"
        if user.mfa_devices:
            yield "delete MFA device"
        if user.access_keys:
            yield "delete access keys"
        if self._credentials_of(user.name):
            yield "delete service specific credentials"
        if user.signing_certificates:
            yield "delete signing certificates"
        if user.ssh_public_keys:
            yield "delete SSH public keys"
        if user.managed_policies:
            yield "detach all policies"
        if user.policies:
            yield "delete policies"
        if self.get_groups_for_user(user.name):
            yield "remove user from all groups"

    # Console passwords

    def _check_password(self, user_name: str, password: str) -> None:
        rules = passwords.rules_for(self.account_password_policy)
        broken = passwords.violations(password, rules, user_name)
        if broken:
            raise PasswordPolicyViolation("; ".join(broken))

    def create_login_profile(self, user_name: str, password: str, password_reset_required: bool = False) -> User:
        """IAM checks the password policy and keeps ``PasswordResetRequired``."""
        user = self.get_user(user_name)
        if user.password is None:
            self._check_password(user_name, password)
        user = super().create_login_profile(user_name, password)
        user.password_reset_required = password_reset_required
        return user

    def update_login_profile(self, user_name: str, password: str | None, password_reset_required: bool | None) -> User:
        """Either field may be left out, leaving it as it was; a new password is checked."""
        user = self.get_login_profile(user_name)
        if password is not None:
            self._check_password(user_name, password)
        return super().update_login_profile(
            user_name,
            password if password is not None else user.password or "",
            user.password_reset_required if password_reset_required is None else password_reset_required,
        )

    # Virtual MFA devices

    def _virtual_mfa_device(self, serial_number: str) -> VirtualMfaDevice:
        device = self.virtual_mfa_devices.get(serial_number)
        if device is None:
            raise NoSuchEntity(f"MFA Device with serial number {serial_number} does not exist.")
        return device

    def create_virtual_mfa_device(
        self, device_name: str, path: str, tags: list[dict[str, str]] | None = None
    ) -> VirtualMfaDevice:
        """A device whose QR code an authenticator app can scan, with its tags kept."""
        self._tag_verification(tags or [])
        device = super().create_virtual_mfa_device(device_name, path)
        uri = mfa.provisioning_uri(device.base32_string_seed, device_name, self.account_id)
        device.qr_code_png = mfa.qr_png(uri)
        self.tagger.tag_resource(device.serial_number, tags or [])
        return device

    def list_mfa_device_tags(self, serial_number: str) -> list[dict[str, str]]:
        self._virtual_mfa_device(serial_number)
        tags: list[dict[str, str]] = self.tagger.list_tags_for_resource(serial_number)["Tags"]
        return tags

    def enable_mfa_device(
        self,
        user_name: str,
        serial_number: str,
        authentication_code_1: str,
        authentication_code_2: str,
    ) -> None:
        """IAM enables a device only with two consecutive, current codes from its seed."""
        self.get_user(user_name)
        device = self._virtual_mfa_device(serial_number)
        if device.user is not None:
            raise EntityAlreadyExists("MFA Device is already in use.")
        seed = device.base32_string_seed
        if not mfa.consecutive_codes(seed, authentication_code_1, authentication_code_2):
            raise InvalidAuthenticationCode("Authentication code for device is not valid.")
        super().enable_mfa_device(user_name, serial_number, authentication_code_1, authentication_code_2)

    def delete_virtual_mfa_device(self, serial_number: str) -> None:
        """IAM refuses to delete a device that is still assigned to a user."""
        if self._virtual_mfa_device(serial_number).user is not None:
            raise DeleteConflictException("Cannot delete entity, must deactivate MFA device first.")
        super().delete_virtual_mfa_device(serial_number)
        self.tagger.delete_all_tags_for_resource(serial_number)

    # Service-specific credentials

    def _credentials_of(self, user_name: str, service_name: str | None = None) -> list[ServiceSpecificCredential]:
        return [
            credential
            for credential in self.service_credentials.values()
            if credential.user_name == user_name and service_name in (None, credential.service_name)
        ]

    def _check_service(self, service_name: str) -> None:
        if service_name not in SUPPORTED_SERVICES:
            raise NotSupportedService(f"No such service {service_name} is supported for Service-Specific Credentials")

    def create_service_specific_credential(
        self, user_name: str, service_name: str, credential_age_days: int | None = None
    ) -> ServiceSpecificCredential:
        """At most two per user and service, so that one can be rotated at a time."""
        self.get_user(user_name)
        self._check_service(service_name)
        if len(self._credentials_of(user_name, service_name)) >= LIMIT_PER_USER_PER_SERVICE:
            raise LimitExceededException(
                f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {LIMIT_PER_USER_PER_SERVICE}"
            )
        credential = ServiceSpecificCredential.issue(user_name, service_name, self.account_id, credential_age_days)
        self.service_credentials[credential.service_specific_credential_id] = credential
        return credential

    def list_service_specific_credentials(
        self, user_name: str | None, service_name: str | None, all_users: bool = False
    ) -> list[ServiceSpecificCredential]:
        if service_name is not None:
            self._check_service(service_name)
        if all_users:
            return [
                credential
                for credential in self.service_credentials.values()
                if service_name in (None, credential.service_name)
            ]
        if user_name is None:
            return []
        self.get_user(user_name)
        return self._credentials_of(user_name, service_name)

    def get_service_specific_credential(self, credential_id: str, user_name: str | None) -> ServiceSpecificCredential:
        """The credential, which must belong to ``user_name`` when one is given."""
        if user_name is not None:
            self.get_user(user_name)
        credential = self.service_credentials.get(credential_id)
        if credential is None or user_name not in (None, credential.user_name):
            raise NoSuchEntity(f"The Service Specific Credential with id {credential_id} cannot be found.")
        return credential

    def reset_service_specific_credential(self, credential_id: str, user_name: str | None) -> ServiceSpecificCredential:
        credential = self.get_service_specific_credential(credential_id, user_name)
        credential.reset()
        return credential

    def update_service_specific_credential(self, credential_id: str, status: str, user_name: str | None) -> None:
        self.get_service_specific_credential(credential_id, user_name).status = status

    def delete_service_specific_credential(self, credential_id: str, user_name: str | None) -> None:
        self.get_service_specific_credential(credential_id, user_name)
        del self.service_credentials[credential_id]


USER_NAME_SHAPES = frozenset({"userNameType", "existingUserNameType"})
"""The model's shapes for a user name; their constraints are checked on every action."""


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def constraint_violations(value: str, member: str, metadata: dict[str, Any]) -> list[str]:
    """How ``value`` breaks the model's length and pattern constraints, in IAM's words."""
    where = f"Value '{value}' at '{_lower_first(member)}' failed to satisfy constraint: Member must"
    found = []
    if len(value) < metadata.get("min", 0):
        found.append(f"{where} have length greater than or equal to {metadata['min']}")
    if "max" in metadata and len(value) > metadata["max"]:
        found.append(f"{where} have length less than or equal to {metadata['max']}")
    pattern = metadata.get("pattern")
    if pattern is not None and not re.fullmatch(pattern, value, flags=re.ASCII):
        found.append(f"{where} satisfy regular expression pattern: {pattern}")
    return found


class SandboxIamResponse(IamResponse):
    """IAM's request handling, plus the actions and input checks moto leaves out."""

    # IAM hands out a virtual device's seed and QR code once, from CreateVirtualMFADevice;
    # moto repeats them in every ListVirtualMFADevices answer.
    RESPONSE_KEY_PATH_TO_TRANSFORMER = {  # noqa: RUF012 (moto reads it as a class attribute)
        **IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER,
        "ListVirtualMFADevicesResponse.VirtualMFADevices.VirtualMFADevice.Base32StringSeed": never_return,
        "ListVirtualMFADevicesResponse.VirtualMFADevices.VirtualMFADevice.QRCodePNG": never_return,
    }

    @property
    def backend(self) -> SandboxIAMBackend:
        return account_backend(self.current_account, self.partition)

    def call_action(self) -> TYPE_RESPONSE:
        """Check user names before any action runs, as IAM's front end does."""
        try:
            self._validate_user_names()
        except ValidationError as error:
            status, headers, body = self.serialized(ActionResult(error))
            headers, body = self._enrich_response(headers, body)
            return status, headers, body
        return super().call_action()

    def _validate_user_names(self) -> None:
        """Raise ``ValidationError`` if any user-name parameter breaks the model's constraints.

        botocore checks only minimum lengths before sending, so the pattern and maximum
        must be checked here, for every action that takes a user name.
        """
        service_model = get_service_model("iam")
        action = self._get_action()
        if action not in service_model.operation_names:
            return
        input_shape = service_model.operation_model(action).input_shape
        problems = [
            problem
            for member, shape in (input_shape.members.items() if input_shape else [])
            if shape.name in USER_NAME_SHAPES and self._get_param(member) is not None
            for problem in constraint_violations(self._get_param(member), member, shape.metadata)
        ]
        if problems:
            plural = "s" if len(problems) > 1 else ""
            raise ValidationError(f"{len(problems)} validation error{plural} detected: {'; '.join(problems)}")

    def create_login_profile(self) -> ActionResult:
        user = self.backend.create_login_profile(
            self._get_param("UserName"),
            self._get_param("Password"),
            bool(self._get_param("PasswordResetRequired", False)),
        )
        return ActionResult({"LoginProfile": _login_profile(user)})

    def update_login_profile(self) -> ActionResult:
        self.backend.update_login_profile(
            self._get_param("UserName"),
            self._get_param("Password"),
            self._get_param("PasswordResetRequired"),
        )
        return EmptyResult()

    def create_virtual_mfa_device(self) -> ActionResult:
        tags = self._get_param("Tags", [])
        device = self.backend.create_virtual_mfa_device(
            self._get_param("VirtualMFADeviceName"), self._get_param("Path"), tags
        )
        result = {
            "SerialNumber": device.serial_number,
            "Base32StringSeed": device.base32_string_seed,
            "QRCodePNG": device.qr_code_png,
            "Tags": tags,
        }
        return ActionResult({"VirtualMFADevice": result})

    def list_mfa_device_tags(self) -> ActionResult:
        tags = self.backend.list_mfa_device_tags(self._get_param("SerialNumber"))
        return ActionResult({"Tags": tags, "IsTruncated": False})

    def create_service_specific_credential(self) -> ActionResult:
        credential = self.backend.create_service_specific_credential(
            self._get_param("UserName"),
            self._get_param("ServiceName"),
            self._get_param("CredentialAgeDays"),
        )
        return ActionResult({"ServiceSpecificCredential": credential})

    def list_service_specific_credentials(self) -> ActionResult:
        """The model's metadata shape has no password field, so none is ever listed."""
        credentials = self.backend.list_service_specific_credentials(
            self._get_param("UserName") or self._caller_user_name(),
            self._get_param("ServiceName"),
            bool(self._get_param("AllUsers", False)),
        )
        return ActionResult({"ServiceSpecificCredentials": credentials, "IsTruncated": False})

    def reset_service_specific_credential(self) -> ActionResult:
        credential = self.backend.reset_service_specific_credential(
            self._get_param("ServiceSpecificCredentialId"), self._get_param("UserName")
        )
        return ActionResult({"ServiceSpecificCredential": credential})

    def update_service_specific_credential(self) -> ActionResult:
        self.backend.update_service_specific_credential(
            self._get_param("ServiceSpecificCredentialId"),
            self._get_param("Status"),
            self._get_param("UserName"),
        )
        return EmptyResult()

    def delete_service_specific_credential(self) -> ActionResult:
        self.backend.delete_service_specific_credential(
            self._get_param("ServiceSpecificCredentialId"), self._get_param("UserName")
        )
        return EmptyResult()

    def _caller_user_name(self) -> str | None:
        """The IAM user who signed the request; ``None`` for the root user."""
        user = self.backend.get_user_from_access_key_id(self.get_access_key())
        return user.name if user else None


def _login_profile(user: User) -> dict[str, Any]:
    return {
        "UserName": user.name,
        "CreateDate": user.create_date,
        "PasswordResetRequired": user.password_reset_required,
    }


ROUTES = SimpleNamespace(
    url_bases=moto.iam.urls.url_bases,
    url_paths={path: SandboxIamResponse.dispatch for path in moto.iam.urls.url_paths},
)
"""moto's IAM routes, answered by :class:`SandboxIamResponse` (mock_aws and server alike)."""


def account_backend(account_id: str, partition: str = "aws") -> SandboxIAMBackend:
    """The sandbox backend of one account, created on first use like moto's own."""
    backend = iam_backends[account_id][partition]
    if not isinstance(backend, SandboxIAMBackend):
        raise RuntimeError("runbook_lib.sandbox.install() must run before IAM is used")
    return backend


def install() -> None:
    """Make moto build :class:`SandboxIAMBackend` for every account; idempotent.

    Accounts moto built before this were plain moto IAM and are dropped.
    """
    if iam_backends.backend is not SandboxIAMBackend:
        iam_backends.backend = SandboxIAMBackend
        iam_backends.clear()
