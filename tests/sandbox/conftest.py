"""Every sandbox test runs twice: against ``in_process()`` and against a served sandbox.

The runbook meets the sandbox both ways (unit tests mock in process; the notebook, the
CLI and the browser go over HTTP), and each way routes requests through moto
differently, so each rule is checked through both routes with plain boto3 clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from runbook_lib.sandbox import (
    ROOT_STATE_PATH,
    SANDBOX_ROOT_ACCESS_KEY_ID,
    Sandbox,
    in_process,
    install,
    set_root_state,
    start,
)
from tests.support.net import reset_sandbox
from tests.support.sandbox import REGION, Target, post_json

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient


def _clients(endpoint_url: str | None) -> tuple[IAMClient, STSClient]:
    session = boto3.Session(SANDBOX_ROOT_ACCESS_KEY_ID, "any-secret", region_name=REGION)
    return (
        session.client("iam", endpoint_url=endpoint_url),
        session.client("sts", endpoint_url=endpoint_url),
    )


@pytest.fixture(scope="session")
def served() -> Iterator[Sandbox]:
    """One served sandbox for the whole session; tests reset its state instead."""
    sandbox = start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def _in_process_clients() -> tuple[IAMClient, STSClient]:
    # moto hooks into botocore when it is imported; a client made before that is never mocked.
    install()
    return _clients(None)


@pytest.fixture(scope="session")
def _served_clients(served: Sandbox) -> tuple[IAMClient, STSClient]:
    return _clients(served.endpoint_url)


@pytest.fixture(params=["in_process", "served"])
def aws(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The sandbox with fresh accounts, reached in process or over HTTP."""
    if request.param == "in_process":
        iam, sts = request.getfixturevalue("_in_process_clients")
        with in_process():
            yield Target("in_process", None, iam, sts, set_root_state)
        return
    sandbox: Sandbox = request.getfixturevalue("served")
    iam, sts = request.getfixturevalue("_served_clients")
    reset_sandbox(sandbox.endpoint_url)

    def set_root_state_over_http(**state: Any) -> None:
        post_json(sandbox.endpoint_url + ROOT_STATE_PATH, state)

    yield Target("served", sandbox.endpoint_url, iam, sts, set_root_state_over_http)
