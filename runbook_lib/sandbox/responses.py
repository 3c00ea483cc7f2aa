"""IAM's request handling in the sandbox: parameters in, the backend's answer out.

The response classes only read parameters and shape answers (the rules are in the
backend's mixins). On top of moto they add what IAM's front end does before an action
runs (:mod:`validation`), answer for the caller when a ``UserName`` is left out (the
root user gets its own answers, see ``root.py``), and answer actions the sandbox lacks,
and its own failures, as AWS-shaped errors rather than moto's HTML 500, which clients
retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.serialize import never_return
from moto.core.utils import camelcase_to_underscores, get_service_model
from moto.iam.exceptions import ValidationError
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sts.models import sts_backends

from runbook_lib.sandbox.exceptions import INVALID_ACTION, OrganizationNotFound, ServiceFailure, error_xml
from runbook_lib.sandbox.validation import check_request

if TYPE_CHECKING:
    from moto.iam.models import User

IMPLICIT_USER_ACTIONS = frozenset(
    {
        "CreateAccessKey", "CreateLoginProfile", "DeactivateMFADevice", "DeleteAccessKey", "DeleteLoginProfile",
        "DeleteServiceSpecificCredential", "DeleteSigningCertificate", "GetLoginProfile", "GetMFADevice", "GetUser",
        "ListAccessKeys", "ListMFADevices", "ListSSHPublicKeys", "ListServiceSpecificCredentials",
        "ListSigningCertificates", "ResetServiceSpecificCredential", "UpdateAccessKey",
        "UpdateServiceSpecificCredential", "UpdateSigningCertificate", "UploadSigningCertificate",
    }
)  # fmt: skip
"""The actions whose ``UserName`` IAM takes from the caller's credentials when it is left out."""

NOT_A_USER = "Must specify userName when calling with non-User credentials"
"""IAM's answer when a role session leaves ``UserName`` out (recorded 2026-02-24)."""

NAME_PARAMETERS = {"UserName": "user", "GroupName": "group", "RoleName": "role"}
CREATES = {"CreateUser": "UserName", "CreateGroup": "GroupName", "CreateRole": "RoleName"}


class GuardedResponse(BaseResponse):
    """Every answer AWS-shaped: a missing action is ``InvalidAction`` (400), a sandbox bug ``ServiceFailure``."""

    SERVICE = ""
    NAMESPACE = ""
    VERSION = ""

    def parse_parameters(self, request: Any) -> None:
        """An action the model lacks has no parameters to parse: :meth:`call_action` answers it."""
        if self._get_action() in get_service_model(self.SERVICE).operation_names:
            super().parse_parameters(request)
        else:
            self.params = {}

    def call_action(self) -> TYPE_RESPONSE:
        action = self._get_action()
        known = action in get_service_model(self.SERVICE).operation_names
        if not known or not hasattr(self, camelcase_to_underscores(action)):
            message = (
                f"{self.SERVICE}:{action} is not implemented by the sandbox; real {self.SERVICE.upper()} has it "
                "(see the README, Sandbox vs real IAM)."
                if known
                else f"Could not find operation {action} for version {self.VERSION}"
            )
            return 400, {"Content-Type": "text/xml"}, error_xml(INVALID_ACTION, message, self.NAMESPACE)
        try:
            early = self.before_action(action)
            return self.answer(early) if early is not None else super().call_action()
        except ServiceException as error:
            return self.answer(ActionResult(error))
        except Exception as error:  # a sandbox bug: named, without the request's values
            failure = ServiceFailure(f"The sandbox failed on {action} ({type(error).__name__}).")
            return self.answer(ActionResult(failure))

    def before_action(self, action: str) -> ActionResult | None:
        """Checks and rewrites before the action runs; an answer here replaces the action's."""
        return None

    def serialized(self, action_result: ActionResult) -> TYPE_RESPONSE:
        """Every answer whose shape has ``IsTruncated`` carries it, as AWS's do (moto leaves it out of some)."""
        result = action_result.result
        if isinstance(result, dict) and "IsTruncated" not in result:
            model = get_service_model(self.SERVICE)
            action = self._get_action()
            output = model.operation_model(action).output_shape if action in model.operation_names else None
            if output is not None and "IsTruncated" in output.members:
                action_result = ActionResult({**result, "IsTruncated": bool(result.get("Marker"))})
        return super().serialized(action_result)

    def answer(self, result: ActionResult) -> TYPE_RESPONSE:
        status, headers, body = self.serialized(result)
        headers, body = self._enrich_response(headers, body)
        return status, headers, body


class SandboxIamResponse(GuardedResponse, IamResponse):
    """IAM's request handling, plus the actions and input checks moto leaves out."""

    SERVICE = "iam"
    NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
    VERSION = "2010-05-08"

    # IAM hands out a virtual device's seed and QR code once, from CreateVirtualMFADevice;
    # moto repeats them in every ListVirtualMFADevices answer.
    RESPONSE_KEY_PATH_TO_TRANSFORMER = {  # noqa: RUF012 (moto reads it as a class attribute)
        **IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER,
        "ListVirtualMFADevicesResponse.VirtualMFADevices.VirtualMFADevice.Base32StringSeed": never_return,
        "ListVirtualMFADevicesResponse.VirtualMFADevices.VirtualMFADevice.QRCodePNG": never_return,
    }

    @property
    def backend(self) -> Any:
        """The account's backend: a `SandboxIAMBackend` once `sandbox.install()` has run (read from moto's
        registry, so that this module need not import the backend's, which imports this one)."""
        return iam_backends[self.current_account][self.partition]

    def before_action(self, action: str) -> ActionResult | None:
        """Validate as IAM's front end does, resolve names without regard to case, find the caller."""
        check_request(get_service_model("iam").operation_model(action), self.params)
        for parameter, kind in NAME_PARAMETERS.items():
            value = self.params.get(parameter)
            if isinstance(value, str) and CREATES.get(action) != parameter:
                self.params[parameter] = self.backend.stored_name(kind, value)
        if action in IMPLICIT_USER_ACTIONS and not self.params.get("UserName"):
            return self._for_the_caller(action)
        return None

    def _for_the_caller(self, action: str) -> ActionResult | None:
        """IAM answers for whoever signed the request: an IAM user, a role session, or root."""
        access_key_id = self.get_access_key()
        user = self.backend.get_user_from_access_key_id(access_key_id)
        if user is not None:
            self.params["UserName"] = user.name
            return None
        if sts_backends[self.current_account][self.partition].get_assumed_role_from_access_key(access_key_id):
            raise ValidationError(NOT_A_USER)
        root = self.backend.root
        answers: dict[str, Any] = {
            "GetUser": lambda: {"User": root.user(self.current_account, self.partition)},
            "ListMFADevices": lambda: {
                "MFADevices": root.mfa_devices(self.current_account, self.partition),
                "IsTruncated": False,
            },
            "ListAccessKeys": lambda: {"AccessKeyMetadata": root.access_key_metadata(), "IsTruncated": False},
            "ListSigningCertificates": lambda: {"Certificates": [], "IsTruncated": False},
            "ListSSHPublicKeys": lambda: {"SSHPublicKeys": [], "IsTruncated": False},
            "ListServiceSpecificCredentials": lambda: {"ServiceSpecificCredentials": [], "IsTruncated": False},
        }
        if action not in answers:
            raise ValidationError(f"The sandbox does not model {action} for the root user: give a UserName.")
        return ActionResult(answers[action]())

    # Console passwords

    def create_login_profile(self) -> ActionResult:
        user = self.backend.create_login_profile(
            self._get_param("UserName"),
            self._get_param("Password"),
            bool(self._get_param("PasswordResetRequired", False)),
        )
        return ActionResult({"LoginProfile": _login_profile(user)})

    def get_login_profile(self) -> ActionResult:
        return ActionResult(
            {"LoginProfile": _login_profile(self.backend.get_login_profile(self._get_param("UserName")))}
        )

    def update_login_profile(self) -> ActionResult:
        self.backend.update_login_profile(
            self._get_param("UserName"),
            self._get_param("Password"),
            self._get_param("PasswordResetRequired"),
        )
        return EmptyResult()

    # Virtual MFA devices

    def create_virtual_mfa_device(self) -> ActionResult:
        tags = self._get_param("Tags")
        device = self.backend.create_virtual_mfa_device(
            self._get_param("VirtualMFADeviceName"), self._get_param("Path"), tags
        )
        result: dict[str, Any] = {
            "SerialNumber": device.serial_number,
            "Base32StringSeed": device.base32_string_seed,
            "QRCodePNG": device.qr_code_png,
        }
        if tags:
            result["Tags"] = tags
        return ActionResult({"VirtualMFADevice": result})

    def list_mfa_device_tags(self) -> ActionResult:
        tags = self.backend.list_mfa_device_tags(self._get_param("SerialNumber"))
        return ActionResult({"Tags": tags, "IsTruncated": False})

    # Service-specific credentials

    def create_service_specific_credential(self) -> ActionResult:
        credential, password = self.backend.create_service_specific_credential(
            self._get_param("UserName"),
            self._get_param("ServiceName"),
            self._get_param("CredentialAgeDays"),
        )
        return ActionResult({"ServiceSpecificCredential": credential.with_password(password)})

    def list_service_specific_credentials(self) -> ActionResult:
        """The model's metadata shape has no password field, so none is ever listed."""
        credentials = self.backend.list_service_specific_credentials(
            self._get_param("UserName"),
            self._get_param("ServiceName"),
            bool(self._get_param("AllUsers", False)),
        )
        return ActionResult({"ServiceSpecificCredentials": credentials, "IsTruncated": False})

    def reset_service_specific_credential(self) -> ActionResult:
        credential, password = self.backend.reset_service_specific_credential(
            self._get_param("ServiceSpecificCredentialId"), self._get_param("UserName")
        )
        return ActionResult({"ServiceSpecificCredential": credential.with_password(password)})

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

    # The password policy

    def get_account_password_policy(self) -> ActionResult:
        """IAM leaves out the optional settings the policy does not set (recorded 2026-02-13)."""
        policy = self.backend.get_account_password_policy()
        shown: dict[str, Any] = {
            "MinimumPasswordLength": policy.minimum_password_length,
            "RequireSymbols": policy.require_symbols,
            "RequireNumbers": policy.require_numbers,
            "RequireUppercaseCharacters": policy.require_uppercase_characters,
            "RequireLowercaseCharacters": policy.require_lowercase_characters,
            "AllowUsersToChangePassword": policy.allow_users_to_change_password,
            "ExpirePasswords": policy.expire_passwords,
        }
        if policy.max_password_age:
            shown["MaxPasswordAge"] = policy.max_password_age
        if policy.password_reuse_prevention:
            shown["PasswordReusePrevention"] = policy.password_reuse_prevention
        if policy.hard_expiry:
            shown["HardExpiry"] = policy.hard_expiry
        return ActionResult({"PasswordPolicy": shown})

    # The credential report

    def generate_credential_report(self) -> ActionResult:
        state, description = self.backend.generate_credential_report()
        result = {"State": state}
        if description is not None:
            result["Description"] = description
        return ActionResult(result)

    def get_credential_report(self) -> ActionResult:
        report = self.backend.get_stored_credential_report()
        return ActionResult({"Content": report.content, "ReportFormat": "text/csv", "GeneratedTime": report.generated})

    # Organizations features: the sandbox account belongs to no organization

    def list_organizations_features(self) -> ActionResult:
        raise OrganizationNotFound("The request was rejected because no organization is associated with your account.")


def _login_profile(user: User) -> dict[str, Any]:
    from runbook_lib.sandbox.report import password_changed

    return {
        "UserName": user.name,
        "CreateDate": password_changed(user),
        "PasswordResetRequired": user.password_reset_required,
    }
