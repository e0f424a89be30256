"""Output folders written all or nothing (:mod:`evalkit.folders`): a failed write, a full disk, a second
writer or a stale lock, and the command line's message when the disk is full."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import export_fixtures as fx
from evalkit import folders, spreadsheets
from evalkit.errors import ConfigurationError
from evalkit.folders import OutputFolderError, writing

KEY = "6a2e9c41f0b7d3e85c1a4f92b06d7e3f"


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(folder: Path, text: str) -> None:
    (folder / "part.txt").write_text(text, encoding="utf-8")
    (folder / "done.json").write_text("{}", encoding="utf-8")


@pytest.fixture()
def previous(tmp_path) -> Path:
    """A complete previous output in ``tmp_path/out``."""
    out = tmp_path / "out"
    with writing(out, marker="done.json") as staging:
        _write(staging, "first")
    return out


def test_a_complete_write_replaces_the_previous_output(previous) -> None:
    with writing(previous, marker="done.json") as staging:
        _write(staging, "second")
    assert _tree(previous) == {"done.json": "{}", "part.txt": "second"}
    assert sorted(p.name for p in previous.parent.iterdir()) == ["out"]  # no staging, old or lock left


def test_a_full_disk_leaves_the_previous_output_and_nothing_half_written(previous) -> None:
    before = _tree(previous)
    with pytest.raises(OSError, match="No space left"), writing(previous, marker="done.json") as staging:
        (staging / "part.txt").write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "done.json"))
    assert _tree(previous) == before
    assert sorted(p.name for p in previous.parent.iterdir()) == ["out"]


def test_an_output_without_its_marker_replaces_nothing(previous) -> None:
    before = _tree(previous)
    with pytest.raises(ConfigurationError, match="incomplete"), writing(previous, marker="done.json") as staging:
        (staging / "part.txt").write_text("no marker", encoding="utf-8")
    assert _tree(previous) == before


def test_a_second_writer_is_refused_and_a_stale_lock_taken(previous) -> None:
    lock = previous.parent / ".out.lock"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = {"pid": sleeper.pid, "host": socket.gethostname(), "command": "evalkit run", "started_at": "now"}
        lock.write_text(json.dumps(holder), encoding="utf-8")
        with pytest.raises(OutputFolderError, match=f"evalkit run \\(process {sleeper.pid} on"):
            with writing(previous, marker="done.json"):
                pass
        assert lock.exists()  # the holder's lock is left alone
    finally:
        sleeper.kill()
        sleeper.wait()
    with writing(previous, marker="done.json") as staging:  # the holder is gone: its lock is stale
        _write(staging, "after")
    assert _tree(previous)["part.txt"] == "after" and not lock.exists()


def test_foreign_files_inputs_and_source_folders_are_refused(tmp_path, repo_root) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="removes only what it wrote itself"):
        with writing(mine, marker="done.json"):
            pass
    raw = tmp_path / "raw"
    raw.mkdir()
    for target, relation in [(raw, "is"), (raw / "x", "lies inside"), (tmp_path, "contains")]:
        with pytest.raises(OutputFolderError, match=f"{relation} an input"):
            folders.check_target(target, [raw])
    with pytest.raises(OutputFolderError, match="evalkit's own data/ folder"):
        folders.check_target(repo_root / "data" / "out")
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_the_command_line_says_a_full_disk_left_the_previous_output(tmp_path, run_cli, monkeypatch) -> None:
    export = fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows())
    out = tmp_path / "clean"
    assert run_cli("clean", str(export), "--out", str(out), key=KEY).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = spreadsheets.write_csv

    def fills_the_disk(frame, path, **kwargs):
        if Path(path).name == "households.csv":
            Path(path).write_bytes(b"household_key,")  # cut off part-way, as a full disk leaves it
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(frame, path, **kwargs)

    monkeypatch.setattr(spreadsheets, "write_csv", fills_the_disk)
    done = run_cli("clean", str(export), "--out", str(out), key=KEY)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "No space left on device" in done.stderr and "the previous output (if any) is as it was" in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "export.csv"]
