"""IAM errors that moto does not define, each carrying the code IAM answers with.

moto serializes any ``IAMException`` by looking its ``code`` up in botocore's IAM service
model (``service-2.json``), which also supplies the HTTP status, so each class here only
has to name the code exactly as the model does. The one code the model lacks,
``InvalidAction``, is answered by :func:`error_xml` instead.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from moto.iam.exceptions import IAMException


class PasswordPolicyViolation(IAMException):
    """The password breaks the account's password policy (HTTP 400)."""

    code = "PasswordPolicyViolation"


class InvalidAuthenticationCode(IAMException):
    """The MFA codes are not two consecutive codes of the device's seed (HTTP 403)."""

    code = "InvalidAuthenticationCode"


class ReportNotPresent(IAMException):
    """No credential report generated yet (HTTP 410); IAM's answer carries no message."""

    code = "ReportNotPresent"

    def __init__(self) -> None:
        super().__init__("")
        self.message = None  # type: ignore[assignment]  # moto writes no <Message> for None


class OrganizationNotFound(IAMException):
    """The account belongs to no AWS Organization (HTTP 400)."""

    code = "OrganizationNotFoundException"


class ServiceFailure(IAMException):
    """IAM failed on its side (HTTP 500): the sandbox hit a bug, named without the request's values."""

    code = "ServiceFailure"


INVALID_ACTION = "InvalidAction"
"""AWS's code for an action the endpoint does not offer (HTTP 400, not retried by clients)."""


def error_xml(code: str, message: str, namespace: str) -> str:
    """An error body in the Query protocol's shape, as IAM and STS send it."""
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
