"""Replay every row of ``recorded.json`` against the sandbox, in process and over HTTP.

Each row is one call the runbook or its teardown makes, with the answer AWS gave to it
(recorded by LocalStack's AWS-validated tests) or, where nothing was recorded, the API
reference's expectation. A row whose ``difference`` says why the sandbox still answers
otherwise is ``xfail(strict=True)``: it fails the day the difference disappears, so the
table is corrected then.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from conformance_support import Endpoint

from runbook_lib.sandbox import SANDBOX_ACCOUNT_ID

TABLE = json.loads((Path(__file__).parent / "recorded.json").read_text())
NAMES = {
    "account": SANDBOX_ACCOUNT_ID,
    "user": "conformance-user",
    "user2": "conformance-user-2",
    "group": "conformance-group",
    "policy": "conformance-test-policy",  # at least 20 characters: the ARN rows use it as one
    "device": "conformance-device",
    "role": "conformance-role",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _params(row: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=row["difference"])] if row.get("difference") else []
    return pytest.param(row, id=row["id"], marks=marks)


class Replay:
    """One row's calls against one endpoint, with the values its setup saved."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.saved: dict[str, str] = dict(NAMES)

    def fill(self, value: Any) -> Any:
        """``{name}`` replaced by a name, a saved value, or the device's current TOTP codes."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if not isinstance(value, str):
            return value
        if "{code1}" in value or "{code2}" in value:
            totp, now = pyotp.TOTP(self.saved["seed"]), time.time()
            self.saved |= {"code1": totp.at(now - 30), "code2": totp.at(now)}
        return _PLACEHOLDER.sub(lambda m: self.saved.get(m.group(1), m.group(0)), value)

    def call(self, service: str, call: str, params: dict[str, Any], caller: dict[str, str] | None = None) -> Any:
        credentials = self.fill(caller) if caller else {}
        client = self.endpoint.client(
            service,
            **{
                key: credentials[name]
                for key, name in [
                    ("access_key_id", "AccessKeyId"),
                    ("secret_access_key", "SecretAccessKey"),
                    ("session_token", "SessionToken"),
                ]
                if name in credentials
            },
        )
        return getattr(client, _snake(client, call))(**self.fill(params))

    def setup(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            response = self.call(step.get("service", "iam"), step["call"], step["input"])
            for name, path in step.get("save", {}).items():
                value = _lookup(response, path)
                self.saved[name] = value.decode() if isinstance(value, bytes) else str(value)


def _snake(client: Any, operation: str) -> str:
    (name,) = [snake for snake, api in client.meta.method_to_api_mapping.items() if api == operation]
    return str(name)


def _lookup(value: Any, path: str) -> Any:
    for part in path.split("."):
        many = part.endswith("[]")
        value = value[part.removesuffix("[]")]
        if many:
            if len(value) != 1:
                raise LookupError(f"{path}: {len(value)} items, expected 1")
            (value,) = value
    return value


def _key_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | _key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= _key_paths(item, f"{prefix}[]")
    return paths


def _bind(text: str, row: dict[str, Any]) -> str:
    for token, replacement in row.get("source", {}).get("bind", {}).items():
        text = text.replace(token, replacement)
    return text


def differences(row: dict[str, Any], replay: Replay, answer: Any) -> list[str]:
    """How the sandbox's answer differs from AWS's; empty when it answered as AWS did."""
    expect, found = row["expect"], []
    if "error" in expect:
        want = expect["error"]
        if not isinstance(answer, ClientError):
            return [f"AWS answered {want['code']} {want['status']}; the sandbox succeeded"]
        error, status = answer.response["Error"], answer.response["ResponseMetadata"]["HTTPStatusCode"]
        if (error.get("Code"), status) != (want["code"], want["status"]):
            found.append(f"code/status {error.get('Code')} {status}, AWS {want['code']} {want['status']}")
        if "message" in want:
            if want["message"] is None:
                if error.get("Message"):
                    found.append(f"message {error['Message']!r}; AWS sent none")
            else:
                wanted = replay.fill(_bind(want["message"], row))
                if (error.get("Message") or "") != wanted:
                    found.append(f"message {error.get('Message')!r}, AWS {wanted!r}")
        return found
    if isinstance(answer, ClientError):
        return [f"AWS succeeded; the sandbox answered {answer.response['Error']}"]
    if row.get("kind") == "credential-report":
        return _report_differences(row, replay, answer)
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    status = answer["ResponseMetadata"]["HTTPStatusCode"]
    if status != expect["status"]:
        found.append(f"status {status}, AWS {expect['status']}")
    keys = _key_paths(body)
    if keys != set(expect["keys"]):
        found.append(f"keys: sandbox only {sorted(keys - set(expect['keys']))}, AWS only "
                     f"{sorted(set(expect['keys']) - keys)}")  # fmt: skip
    for path, wanted in expect.get("values", {}).items():
        try:
            value = _lookup(body, path)
        except (KeyError, LookupError, TypeError) as missing:
            found.append(f"{path}: {missing!r}")
            continue
        if value != replay.fill(wanted):
            found.append(f"{path} = {value!r}, AWS {replay.fill(wanted)!r}")
    return found


def _report_differences(row: dict[str, Any], replay: Replay, answer: Any) -> list[str]:
    expect, found = row["expect"], []
    reader = csv.DictReader(io.StringIO(answer["Content"].decode()))
    if list(reader.fieldnames or []) != expect["report_columns"]:
        found.append(f"columns {reader.fieldnames}, AWS {expect['report_columns']}")
    rows = {r["user"]: r for r in reader}
    user = rows.get(replay.fill("{user}"), {})
    for column, wanted in expect["report_row"].items():
        if user.get(column) != replay.fill(wanted):
            found.append(f"{column} = {user.get(column)!r}, AWS {replay.fill(wanted)!r}")
    return found


@pytest.mark.parametrize("row", [_params(r) for r in TABLE["rows"]])
def test_the_sandbox_answers_as_aws_did(endpoint: Endpoint, row: dict[str, Any]) -> None:
    replay = Replay(endpoint)
    replay.setup(row["given"])
    try:
        answer: Any = replay.call(row["service"], row["call"], row["input"], row.get("caller"))
    except ClientError as error:
        answer = error
    found = differences(row, replay, answer)
    source = row.get("source", {})
    where = f"{source.get('file')} {source.get('key')} ({source.get('recorded')})" if source else row["reference"]
    assert not found, f"{row['id']}: " + "; ".join(found) + f" [AWS: {where}]"
