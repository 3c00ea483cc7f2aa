"""The kernel of a headless run: private, in the start directory, tied to its run id, keeping no history."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from runbook_lib import headless

pytestmark = pytest.mark.slow

PROBE = """
import json, os
from IPython import get_ipython
print(json.dumps({
    "cwd": os.getcwd(),
    "start_dir": os.environ.get("RUNBOOK_START_DIR"),
    "run_id": os.environ.get("RUNBOOK_RUN_ID"),
    "history": get_ipython().history_manager.enabled,
}))
"""


def run_cell(km: object, code: str) -> dict[str, object]:
    """Execute `code` in the kernel and return what it printed, as JSON."""
    client = km.blocking_client()  # type: ignore[attr-defined]
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def keep(message: dict[str, object]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream":
                printed.append(content["text"])  # type: ignore[index]

        reply = client.execute_interactive(code, output_hook=keep, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
    return json.loads("".join(printed))  # type: ignore[no-any-return]


def test_the_kernel_is_private_works_in_the_start_dir_and_keeps_no_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A private IPython directory: with history on, IPython would create profile_default/history.sqlite here.
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    start_dir = tmp_path / "start"
    start_dir.mkdir()
    with headless.kernel("run0123abcd", start_dir) as km:
        private = Path(km.connection_file).parent
        # 0700 (jupyter_client adds the sticky bit, which keeps tmp cleaners off its files)
        assert private.stat().st_mode & 0o777 == 0o700, "the connection file and sockets are private"
        seen = run_cell(km, PROBE)
        sockets = {p.name for p in private.iterdir()} - {"kernel.json"}
        assert len(sockets) == 5 and all(stat.S_ISSOCK((private / s).stat().st_mode) for s in sockets), sockets
    assert seen["cwd"] == str(start_dir) and seen["start_dir"] == str(start_dir)
    assert seen["run_id"] == "run0123abcd"
    assert seen["history"] is False
    assert not list(ipython_dir.rglob("history.sqlite")), "the kernel kept a history database"
    assert not private.exists(), "the private directory outlives the run"
    assert list(start_dir.iterdir()) == [], "starting the kernel wrote into the start directory"


def test_secrets_files_lists_only_the_files_the_given_run_wrote_to(tmp_path: Path) -> None:
    """Files are tied to a run by the run ids they record, not by time or name: another run's file is not ours."""
    files = {
        "alice@1.json": ["aaaaaaaaaaaa"],
        "bob@1.json": ["bbbbbbbbbbbb", "aaaaaaaaaaaa"],  # one user's file, added to by two runs
        "carol@1.json": ["bbbbbbbbbbbb"],
        "aaaaaaaaaaaa@1.json": ["cccccccccccc"],  # a user named like our run id
    }
    for name, runs in files.items():
        (tmp_path / name).write_text(json.dumps({"runs": runs}))
    (tmp_path / "alice@1.qr.png").write_bytes(b"png")
    os.utime(tmp_path / "carol@1.json", (0, 0))  # time does not matter either way
    assert [p.name for p in headless.secrets_files(tmp_path, "aaaaaaaaaaaa")] == ["alice@1.json", "bob@1.json"]
