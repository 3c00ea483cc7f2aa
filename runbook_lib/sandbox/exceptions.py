"""IAM errors that moto does not define, each carrying the code IAM's API model gives it.

moto serializes any ``IAMException`` by looking its ``code`` up in botocore's IAM service
model (``service-2.json``), which also supplies the HTTP status, so each class here only
has to name the code exactly as the model does.
"""

from __future__ import annotations

from moto.iam.exceptions import IAMException


class PasswordPolicyViolation(IAMException):
    """The password breaks the account's password policy (HTTP 400)."""

    code = "PasswordPolicyViolation"


class InvalidAuthenticationCode(IAMException):
    """The MFA codes are not two consecutive codes of the device's seed (HTTP 403)."""

    code = "InvalidAuthenticationCode"


class NotSupportedService(IAMException):
    """The service takes no service-specific credentials (HTTP 404).

    The model names this shape ``ServiceNotSupportedException``; its wire code is
    ``NotSupportedService``, which is what clients see.
    """

    code = "NotSupportedService"
