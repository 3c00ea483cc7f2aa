"""What the sandbox cannot do, it says in AWS's shape: never HTML, never a 5xx clients retry.

moto answers an action it lacks with an HTML page and HTTP 500, which botocore retries
and then fails to parse. IAM answers an action it does not offer with ``InvalidAction``
(400), which no client retries; the sandbox does the same, naming the action.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config

from runbook_lib.sandbox import SANDBOX_ROOT_ACCESS_KEY_ID, Sandbox
from runbook_lib.sandbox.iam import SandboxIAMBackend
from tests.support.sandbox import REGION, Target

AUDIT_ROOT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
ONE_ATTEMPT = Config(retries={"mode": "standard", "max_attempts": 1})


@pytest.mark.parametrize(
    ("service", "action", "call"),
    [
        ("iam", "TagMFADevice", lambda aws: aws.iam.tag_mfa_device(SerialNumber="arn:aws:iam::1:mfa/x", Tags=[])),
        ("iam", "ResyncMFADevice", lambda aws: aws.iam.resync_mfa_device(
            UserName="alice", SerialNumber="arn:aws:iam::1:mfa/x", AuthenticationCode1="123456",
            AuthenticationCode2="654321")),
        ("sts", "AssumeRoot", lambda aws: aws.sts.assume_root(
            TargetPrincipal="123456789012", TaskPolicyArn={"arn": AUDIT_ROOT})),
    ],
)  # fmt: skip
def test_an_action_the_sandbox_lacks_is_InvalidAction_400_naming_it_and_not_retried(
    aws: Target, service: str, action: str, call: object
) -> None:
    with aws.fails("InvalidAction", 400) as caught:
        call(aws)  # type: ignore[operator]
    response = caught.value.response
    assert f"{service}:{action} is not implemented by the sandbox" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


def test_list_organizations_features_answers_as_for_an_account_in_no_organization(aws: Target) -> None:
    """Prowler asks; a standalone account belongs to no AWS Organization."""
    with aws.fails("OrganizationNotFoundException", 400):
        aws.iam.list_organizations_features()


def _post(endpoint_url: str, form: dict[str, str]) -> tuple[int, str, str]:
    request = urllib.request.Request(
        endpoint_url + "/",
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential={SANDBOX_ROOT_ACCESS_KEY_ID}/20260101/us-east-1/iam/"
            "aws4_request, SignedHeaders=host, Signature=0",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("TagMFADevice", "iam:TagMFADevice is not implemented by the sandbox"),
        ("NoSuchAction", "Could not find operation NoSuchAction for version 2010-05-08"),
    ],
)
def test_over_http_the_answer_is_query_xml_not_html(served: Sandbox, action: str, message: str) -> None:
    status, content_type, body = _post(served.endpoint_url, {"Action": action, "Version": "2010-05-08"})
    assert status == 400 and "xml" in content_type
    assert body.startswith("<ErrorResponse") and "<Code>InvalidAction</Code>" in body and message in body
    assert "<html" not in body.lower()


def test_a_sandbox_failure_is_ServiceFailure_naming_the_action_not_the_values(
    aws: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise KeyError("a-value-that-must-not-be-echoed")

    monkeypatch.setattr(SandboxIAMBackend, "list_users", broken)
    session = boto3.Session(SANDBOX_ROOT_ACCESS_KEY_ID, "any-secret", region_name=REGION)
    iam = session.client("iam", endpoint_url=aws.endpoint_url, config=ONE_ATTEMPT)
    with aws.fails("ServiceFailure", 500) as caught:
        iam.list_users()
    message = caught.value.response["Error"]["Message"]
    assert message == "The sandbox failed on ListUsers (KeyError)."
