"""The runbook in process, twice (fresh, then re-run), against $AWS_ENDPOINT_URL: what it calls.

Run in a fresh interpreter by `bench/run.py`, so that `sys.modules` afterwards shows what a headless
run imports and nothing the benchmark itself imported. It counts calls with the runbook's own call log
(botocore's `before-call` hook), and adds two hooks of its own on the same clients: the request
parameters (to find a fact read twice) and each call's duration. It also records every `time.sleep`.

Usage: python bench/headless_probe.py USER_NAME SECRETS_DIR OUT.json
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

WATCHED = ("ipywidgets", "qrcode", "PIL", "pyotp", "moto", "IPython", "papermill", "nbformat", "boto3")

_sleeps: list[dict[str, Any]] = []
_real_sleep = time.sleep


# Answers that mean "not yet": a wait after one of these is IAM's doing, not a fixed delay.
NOT_YET = (
    "STARTED",
    "INPROGRESS",
    "NoSuchEntity",
    "EntityTemporarilyUnmodifiable",
    "Throttling",
    "ThrottlingException",
)
_last_call: dict[str, str] = {"call": "", "answer": ""}


def _recording_sleep(seconds: float) -> None:
    caller = sys._getframe(1)
    where = f"{Path(caller.f_code.co_filename).name}:{caller.f_lineno}"
    after = dict(_last_call)
    _sleeps.append({"seconds": seconds, "where": where, **after, "waits_on_iam": after["answer"] in NOT_YET})
    _real_sleep(seconds)


def _redact(key: str, value: Any) -> Any:
    """Keep secrets (the password, the MFA codes) out of the trace file."""
    secret = key.endswith("Password") or key.startswith("AuthenticationCode")
    return "<redacted>" if secret else value


class Trace:
    """One run's calls: operation, the request's parameters, and the round trip in seconds."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body")
        args = (
            {k: _redact(k, v) for k, v in body.items() if k not in ("Action", "Version")}
            if isinstance(body, dict)
            else {}
        )
        context["bench_started"] = time.perf_counter()
        context["bench_index"] = len(self.calls)
        self.calls.append({"call": f"{model.service_model.endpoint_prefix}:{model.name}", "args": args})

    def after(self, context: dict[str, Any], parsed: dict[str, Any], **_: Any) -> None:
        if "bench_index" in context:
            call = self.calls[context["bench_index"]]
            call["seconds"] = time.perf_counter() - context["bench_started"]
            call["answer"] = parsed.get("Error", {}).get("Code") or parsed.get("State") or "ok"
            _last_call.update(call=call["call"], answer=call["answer"])


def _instrument(trace_holder: list[Trace]) -> None:
    """Hook every client the runbook opens; the current trace is the last one in `trace_holder`."""
    from runbook_lib import aws

    original = aws.Connection._client

    def _client(self: aws.Connection, service: str) -> Any:
        new = service not in self._clients
        client = original(self, service)
        if new:
            client.meta.events.register("before-call.*.*", lambda **kw: trace_holder[-1].before(**kw))
            client.meta.events.register("after-call.*.*", lambda **kw: trace_holder[-1].after(**kw))
        return client

    aws.Connection._client = _client  # type: ignore[method-assign]


def _summary(run: Any, trace: Trace, seconds: float) -> dict[str, Any]:
    from runbook_lib.aws import is_write

    calls = list(run.conn.call_log.calls)
    for c in trace.calls:
        c["write"] = is_write(c["call"].split(":", 1)[1])
    # A read repeated right after a "not yet" answer is a poll; any other repeat reads a fact again.
    pairs = zip(trace.calls, trace.calls[1:], strict=False)
    polls = {id(c) for prev, c in pairs if prev.get("answer") in NOT_YET and _same(prev, c)}
    reads = [
        (c["call"], json.dumps(c["args"], sort_keys=True)) for c in trace.calls if not c["write"] and id(c) not in polls
    ]
    repeated = [
        {"call": call, "args": json.loads(args), "times": n} for (call, args), n in Counter(reads).items() if n > 1
    ]
    return {
        "seconds": seconds,
        "calls": calls,
        "writes": list(run.conn.call_log.writes),
        "planned": [s.action for s in run.steps],
        "trace": trace.calls,
        "repeated_reads": repeated,
        "polls": len(polls),
    }


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return bool(one["call"] == other["call"] and one["args"] == other["args"])


def main() -> int:
    user_name, secrets_dir, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    time.sleep = _recording_sleep  # type: ignore[assignment]
    traces: list[Trace] = []
    started = time.perf_counter()
    _instrument(traces)
    from runbook_lib.runbook import run_headless

    imported = time.perf_counter() - started
    namespace = {"user_name": user_name, "mfa_codes": "generate", "secrets_dir": secrets_dir}
    results: dict[str, Any] = {"import_seconds": imported}
    for label in ("fresh", "rerun"):
        traces.append(Trace())
        before = len(_sleeps)
        t0 = time.perf_counter()
        run = run_headless(dict(namespace))
        results[label] = _summary(run, traces[-1], time.perf_counter() - t0)
        results[label]["sleeps"] = _sleeps[before:]
        run.conn.close()
    results["modules"] = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in WATCHED})
    out.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
