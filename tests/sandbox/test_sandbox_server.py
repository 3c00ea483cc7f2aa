"""The served sandbox answers IAM and STS, to this machine only, and keeps nothing a page could read.

Issue 13: moto's server exposes ``/moto-api/`` (``data.json`` returned the rehearsal's console
password), answers any ``Origin`` with a permissive CORS header and any ``Host``, so a web page
the user has open could read it (directly, or by DNS rebinding a name it controls).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from runbook_lib.sandbox import ROOT_STATE_PATH, SANDBOX_ROOT_ACCESS_KEY_ID, Sandbox, start
from runbook_lib.sandbox.server import is_loopback, url_host
from tests.support.sandbox import post_json

STRONG = "Corr3ct-Horse-Battery"


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={SANDBOX_ROOT_ACCESS_KEY_ID}/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def _request(
    sandbox: Sandbox,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    """One request with full control of its headers (``Host`` included)."""
    url = urlparse(sandbox.endpoint_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    body = urllib.parse.urlencode(form).encode() if form is not None else None
    sent = {"Host": url.netloc, **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def sandbox(served: Sandbox) -> Iterator[Sandbox]:
    post_json(served.endpoint_url + "/moto-api/reset")
    yield served


def _iam(sandbox: Sandbox, action: str, **params: str) -> tuple[int, dict[str, str], str]:
    form = {"Action": action, "Version": "2010-05-08", **params}
    return _request(sandbox, "POST", "/", form, {"Authorization": _auth("iam")})


@pytest.mark.parametrize(
    "path",
    [
        "/moto-api/data.json",
        "/moto-api/",
        "/moto-api/dashboard",
        "/moto-api/config",
        "/moto-api/seed?a=1",
        "/moto-api/recorder/download-recording",
        "/moto-api/reset-auth",
        "/favicon.ico",
        "/latest/meta-data/",
    ],
)
def test_no_moto_api_route_but_the_two_knobs(sandbox: Sandbox, path: str) -> None:
    _iam(sandbox, "CreateUser", UserName="alice")
    _iam(sandbox, "CreateLoginProfile", UserName="alice", Password=STRONG)
    for method in ("GET", "POST"):
        status, _, body = _request(sandbox, method, path, {} if method == "POST" else None)
        assert status == 404, (method, path, status)
        assert STRONG not in body and "alice" not in body


def test_the_two_knobs_answer(sandbox: Sandbox) -> None:
    status, _, body = _request(sandbox, "POST", ROOT_STATE_PATH, headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["mfa"] is True
    assert _request(sandbox, "POST", "/moto-api/reset")[0] == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:8888", "null"])
def test_no_cors_header_for_any_origin_nor_for_a_preflight(sandbox: Sandbox, origin: str) -> None:
    assert _iam(sandbox, "ListUsers")[0] == 200
    cors = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    for method in ("OPTIONS", "POST"):
        form = {"Action": "ListUsers", "Version": "2010-05-08"} if method == "POST" else None
        _, headers, _ = _request(sandbox, method, "/", form, {**cors, "Authorization": _auth("iam")})
        assert not [name for name in headers if name.startswith("access-control-")], (method, headers)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "localhost.evil.example", "10.0.0.1", "[::2]", ""])
def test_a_host_that_is_not_a_loopback_name_is_refused_403(sandbox: Sandbox, host: str) -> None:
    status, _, body = _request(
        sandbox,
        "POST",
        "/",
        {"Action": "ListUsers", "Version": "2010-05-08"},
        {"Host": host, "Authorization": _auth("iam")},
    )
    assert status == 403 and "<ListUsersResponse" not in body
    status, _, _ = _request(sandbox, "POST", ROOT_STATE_PATH, headers={"Host": host})
    assert status == 403


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:{port}", "127.0.0.1:{port}", "127.0.0.2", "[::1]:{port}"])
def test_loopback_names_are_answered(sandbox: Sandbox, host: str) -> None:
    port = urlparse(sandbox.endpoint_url).port
    status, _, body = _request(
        sandbox,
        "POST",
        "/",
        {"Action": "ListUsers", "Version": "2010-05-08"},
        {"Host": host.format(port=port), "Authorization": _auth("iam")},
    )
    assert status == 200 and "<ListUsersResponse" in body


def test_is_loopback_reads_the_host_without_its_port() -> None:
    assert all(map(is_loopback, ["localhost:1", "127.0.0.1", "127.255.0.9:80", "[::1]", "[::1]:5000"]))
    assert not any(map(is_loopback, ["evil.example", "127.0.0.1.evil.example", "0.0.0.0", "[::]", "::1x", "", " "]))


@pytest.mark.parametrize(
    ("service", "form"),
    [
        ("sqs", {"Action": "ListQueues", "Version": "2012-11-05"}),
        ("ec2", {"Action": "DescribeInstances", "Version": "2016-11-15"}),
    ],
)
def test_services_other_than_iam_and_sts_are_refused(sandbox: Sandbox, service: str, form: dict[str, str]) -> None:
    status, _, body = _request(sandbox, "POST", "/", form, {"Authorization": _auth(service)})
    assert status == 400 and "<Code>InvalidAction</Code>" in body and "IAM and STS only" in body


def test_sts_is_served(sandbox: Sandbox) -> None:
    form = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    status, _, body = _request(sandbox, "POST", "/", form, {"Authorization": _auth("sts")})
    assert status == 200 and ":root</Arn>" in body


def test_a_sandbox_bound_to_a_wildcard_is_reached_by_a_loopback_name() -> None:
    assert (url_host("127.0.0.1"), url_host("localhost"), url_host("::1")) == ("127.0.0.1", "localhost", "[::1]")
    assert (url_host("0.0.0.0"), url_host("::")) == ("127.0.0.1", "[::1]")


@pytest.mark.parametrize("host", ["192.168.1.5", "10.0.0.1", "example.com"])
def test_serving_on_an_address_it_would_refuse_is_refused_before_binding(host: str) -> None:
    with pytest.raises(ValueError, match="only loopback names"):
        start(host=host)
