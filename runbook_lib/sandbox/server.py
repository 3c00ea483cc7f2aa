"""The sandbox served over HTTP: IAM and STS only, to loopback names only, plus its two knobs.

The runbook, the AWS CLI and the browser talk to the sandbox as they would to AWS, so it
is served on a local port, by moto's request handling behind :class:`SandboxApplication`,
which lets through only what the project needs:

- IAM and STS requests; any other service is refused (``InvalidAction``, 400);
- of moto's ``/moto-api`` routes, only ``POST /moto-api/reset`` (fresh accounts, for tests)
  and :data:`ROOT_STATE_PATH` (root's keys and MFA, which IAM's API cannot change): no
  dashboard, no ``data.json`` state dump, no recorder;
- requests whose ``Host`` is a loopback name (``localhost``, ``127.x.x.x``, ``[::1]``), so a
  web page cannot reach it through a DNS name it controls (DNS rebinding);
- no CORS headers, whatever the ``Origin``: a web page the user has open cannot read it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Iterable
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

RESET_PATH = "/moto-api/reset"
"""``POST`` here to start from fresh accounts (moto's own reset)."""

SERVED_SERVICES = frozenset({"iam", "sts"})
KNOBS = frozenset({RESET_PATH, ROOT_STATE_PATH})
_MOTO_ONLY_PATHS = ("/moto-api", "/favicon.ico", "/latest/")

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


def is_loopback(host_header: str) -> bool:
    """Whether a ``Host`` header names this machine: ``localhost``, ``127.x.x.x`` or ``[::1]``, any port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.split(":")[0]
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


StartResponse = Callable[..., Any]


def _refuse(start_response: StartResponse, status: str, body: str, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body.encode())))])
    return [body.encode()]


class SandboxApplication:
    """The WSGI application served: moto's request handling behind the sandbox's gate."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self._moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not is_loopback(environ.get("HTTP_HOST", "")):
            message = "The sandbox answers only requests addressed to localhost, 127.0.0.1 or [::1].\n"
            return _refuse(start_response, "403 Forbidden", message, "text/plain")
        path = environ.get("PATH_INFO", "")
        if path.startswith(_MOTO_ONLY_PATHS) and path not in KNOBS:
            return _refuse(start_response, "404 Not Found", "Not found.\n", "text/plain")
        app = self._moto.get_application(environ)
        service = getattr(app, "service", None)
        if path not in KNOBS and service not in SERVED_SERVICES:
            from runbook_lib.sandbox.exceptions import INVALID_ACTION, error_xml

            message = f"The sandbox serves IAM and STS only, not {service}."
            body = error_xml(INVALID_ACTION, message, "https://iam.amazonaws.com/doc/2010-05-08/")
            return _refuse(start_response, "400 Bad Request", body, "text/xml")

        def without_cors(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept, *args)

        result: Iterable[bytes] = app(environ, without_cors)
        return result


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


def url_host(host: str) -> str:
    """The loopback name to reach a sandbox bound to ``host`` by: it answers no other name.

    A wildcard address (``0.0.0.0``, ``::``, e.g. inside a container) is reached as 127.0.0.1 or
    ``[::1]``; any other non-loopback address is refused, as the sandbox would refuse its requests.
    """
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}
    if host in wildcards:
        return wildcards[host]
    named = f"[{host}]" if ":" in host else host
    if not is_loopback(named):
        raise ValueError(
            f"The sandbox answers only loopback names, so it cannot serve on {host}: "
            "use 127.0.0.1 (or 0.0.0.0 in a container, reached as localhost)."
        )
    return named


def start(port: int = 0, host: str = "127.0.0.1") -> Sandbox:
    """Serve the sandbox on ``host:port`` (0 picks a free port) in a background thread."""
    from werkzeug.serving import make_server

    reached_as = url_host(host)
    from runbook_lib.sandbox import install

    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server(host, port, SandboxApplication(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="runbook-sandbox", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    sandbox = Sandbox(f"http://{reached_as}:{server.server_port}", SANDBOX_ACCOUNT_ID, stop)
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
