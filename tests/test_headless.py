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


def test_secrets_files_lists_only_the_given_runs_files(tmp_path: Path) -> None:
    """A file is the run's when it lists the run id, whatever its time or name: a newer file of another run is not."""
    files = {
        "alice@111111111111.json": ["aaaaaaaaaaaa"],
        "bob@111111111111.json": ["bbbbbbbbbbbb", "aaaaaaaaaaaa"],
        "carol@111111111111.json": ["bbbbbbbbbbbb"],
        "aaaaaaaaaaaa@111111111111.json": ["cccccccccccc"],  # a user named like our run id
    }
    for name, runs in files.items():
        (tmp_path / name).write_text(json.dumps({"runs": runs}))
    os.utime(tmp_path / "carol@111111111111.json", (0, 0))  # older than ours: time does not matter either way
    found = [p.name for p in headless.secrets_files(tmp_path, "aaaaaaaaaaaa")]
    assert found == ["alice@111111111111.json", "bob@111111111111.json"]


@pytest.mark.parametrize("source", [headless.CREATE, headless.DELETE], ids=lambda p: p.stem)
def test_a_failed_cell_is_named_by_its_notebooks_own_sections_whatever_the_record_is_called(
    source: Path, tmp_path: Path
) -> None:
    """The record is named `<time>-<user>-<run id>.ipynb`: the section table comes from the notebook run."""
    import nbformat

    from runbook_lib import sections

    record = tmp_path / "20261129T230000Z-alice-0123456789ab.ipynb"
    record.write_text(source.read_text())
    cells = nbformat.read(source, as_version=4).cells  # type: ignore[no-untyped-call]
    table = sections.NOTEBOOKS[source.stem]
    named = {headless._section_of(record, i, source) for i in range(len(cells))}
    assert named == {"parameters"} | {s.heading for s in table}, named
