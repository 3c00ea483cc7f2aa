"""The replay reaches the sandbox both ways the runbook does: in process and over HTTP."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from conformance_support import Endpoint

from runbook_lib.sandbox import Sandbox, in_process, install, start


@pytest.fixture(scope="session")
def served() -> Iterator[Sandbox]:
    sandbox = start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(params=["in_process", "served"])
def endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    """Fresh accounts, reached in process or over HTTP."""
    if request.param == "in_process":
        install()  # before any client is made, so that moto's hook sees them
        with in_process():
            yield Endpoint("in_process", None)
        return
    sandbox: Sandbox = request.getfixturevalue("served")
    reset = urllib.request.Request(sandbox.endpoint_url + "/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    yield Endpoint("served", sandbox.endpoint_url)
