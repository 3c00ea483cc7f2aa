"""The sandbox served over HTTP by moto's own threaded server, plus its root-state knob.

The runbook, the AWS CLI and the browser talk to the sandbox as they would to AWS, so it
is served on a local port. Tests also need to give the root user keys or take its MFA
away, which IAM's API cannot do; that knob sits next to moto's own test knobs under
``/moto-api/static/`` (see :data:`ROOT_STATE_PATH`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.sandbox.identity import SANDBOX_ACCOUNT_ID, SANDBOX_ROOT_ACCESS_KEY_ID

ROOT_STATE_PATH = "/moto-api/static/iam/root-state"
"""``POST`` here a JSON object to set the root user's state of a served sandbox.

Keys (all optional): ``"access_keys"`` (bool), ``"mfa"`` (bool), ``"account_id"`` (str,
default ``"123456789012"``). The answer is ``200`` with the root state now in force, as
``{"account_id": ..., "access_keys": ..., "mfa": ...}``; a malformed body gets ``400``.
Example::

    curl -X POST http://127.0.0.1:PORT/moto-api/static/iam/root-state \\
        -d '{"access_keys": true}'
"""

_PROBE_AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential={SANDBOX_ROOT_ACCESS_KEY_ID}/20240101/us-east-1/sts/aws4_request,"
    " SignedHeaders=host, Signature=0"
)


@dataclass
class Sandbox:
    """A sandbox served on ``endpoint_url``, acting as the root user of ``account_id``."""

    endpoint_url: str
    account_id: str
    _stop: Callable[[], None] = field(default=lambda: None, repr=False, compare=False)

    def stop(self) -> None:
        """Stop serving; the account state stays in this process until moto resets it."""
        self._stop()


def _root_state_response(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """Handle ``POST`` :data:`ROOT_STATE_PATH` (moto's handler signature)."""
    from runbook_lib.sandbox import set_root_state
    from runbook_lib.sandbox.iam import account_backend

    try:
        body = json.loads(request.get_data() or b"{}")
        account_id = str(body.get("account_id", SANDBOX_ACCOUNT_ID))
        wanted = {key: body.get(key) for key in ("access_keys", "mfa")}
        if request.method != "POST" or any(v not in (None, True, False) for v in wanted.values()):
            raise ValueError
    except (ValueError, AttributeError):
        message = 'POST a JSON object like {"access_keys": true, "mfa": false}'
        return 400, {"Content-Type": "application/json"}, json.dumps({"Error": message})
    set_root_state(access_keys=wanted["access_keys"], mfa=wanted["mfa"], account_id=account_id)
    root = account_backend(account_id).root
    state = {"account_id": account_id, "access_keys": root.access_keys, "mfa": root.mfa}
    return 200, {"Content-Type": "application/json"}, json.dumps(state)


def install_root_state_endpoint() -> None:
    """Add :data:`ROOT_STATE_PATH` to moto's ``/moto-api`` routes; idempotent."""
    from moto.moto_api._internal import urls

    urls.url_paths.setdefault("{0}" + ROOT_STATE_PATH, _root_state_response)


def _wait_until_answers(endpoint_url: str) -> None:
    """Ask STS who the caller is; the server has started once it answers.

    moto does not check signatures, so a SigV4-shaped header is enough to route the
    request to STS, and it warms the route the runbook's first call takes.
    """
    import urllib.request  # here, as it alone would double the package's import time

    request = urllib.request.Request(
        endpoint_url + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={
            "Authorization": _PROBE_AUTHORIZATION,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def start(port: int = 0, host: str = "127.0.0.1") -> Sandbox:
    """Serve the sandbox on ``host:port`` (0 picks a free port) in a background thread."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from runbook_lib.sandbox import install

    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    _, bound_port = server.get_host_and_port()
    sandbox = Sandbox(f"http://{host}:{bound_port}", SANDBOX_ACCOUNT_ID, server.stop)
    _wait_until_answers(sandbox.endpoint_url)
    return sandbox


def serve_forever(port: int, host: str = "127.0.0.1") -> None:
    """Serve in the foreground until interrupted (``runbook sandbox --port P``)."""
    sandbox = start(port, host)
    print(f"sandbox listening on {sandbox.endpoint_url} (account {sandbox.account_id})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
