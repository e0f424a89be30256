"""Output folders that cannot destroy an input or leave a lie behind.

Every command that writes a folder (``evalkit clean``, ``evalkit run``) goes through :func:`writing`:

* **no destructive target**: the folder may not be, contain or lie inside one of the command's inputs or
  the project's own source folders (``src``, ``notebooks``, ``data``, ``tests``, ``docs`` …), and an existing
  folder is replaced only when it holds nothing but a previous output of the same command (its ``marker``
  file lists what it wrote), so nothing evalkit did not write is ever removed;
* **one writer at a time**: a lock file beside the folder names the run holding it; a second run is refused
  with that name, and a lock left by a killed run (its process no longer exists) is recognised and taken;
* **all or nothing**: the command writes into a hidden folder beside the target and, only when everything
  is written, swaps it in with two renames; a kill, an interrupt or a full disk leaves the previous output
  as it was and no half-written one under the target's name (a staging folder a killed run left behind is
  removed by the next run).

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with writing(root / "out", marker="done.txt", inputs=[]) as staging:
...     _ = (staging / "done.txt").write_text("a\\n")
>>> sorted(p.name for p in root.iterdir())
['out']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from evalkit import paths
from evalkit.errors import ConfigurationError, UserInputError

__all__ = ["writing", "move_aside", "check_target", "SOURCE_FOLDERS", "OutputFolderError"]

#: Folders of the project that hold its source: never an output folder, never inside one.
SOURCE_FOLDERS = ("src", "notebooks", "data", "tests", "docs", "benchmarks", ".git", ".ci")


class OutputFolderError(UserInputError):
    """An output folder that would destroy an input, hold foreign files, or is being written by another run."""


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_target(target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """The absolute output folder, or :class:`OutputFolderError` if writing it could destroy something.

    Refused: a folder that is, contains or lies inside one of ``inputs`` (files or folders), the project's
    root, or one of its :data:`SOURCE_FOLDERS`; an existing file.
    """
    out = Path(target).expanduser().resolve()
    root = paths.project_root().resolve()
    guarded = [(Path(p).expanduser().resolve(), "an input") for p in inputs]
    guarded += [(root / name, f"evalkit's own {name}/ folder") for name in SOURCE_FOLDERS]
    for place, what in guarded:
        if _inside(out, place) or _inside(place, out):
            relation = "is" if out == place else "lies inside" if _inside(out, place) else "contains"
            raise OutputFolderError(
                f"the output folder {out} {relation} {what} ({place}); writing there could overwrite or remove "
                "it. Choose an output folder outside your inputs and evalkit's source folders."
            )
    if out == root or _inside(root, out):
        raise OutputFolderError(
            f"the output folder {out} contains the evalkit project ({root}); choose a folder of its own."
        )
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out} is a file, not a folder; choose another output folder.")
    return out


def _ours(out: Path, marker: str, listed: Callable[[Path], set[str] | None]) -> None:
    """Refuse to replace a folder holding anything but a previous output of this command."""
    if not out.exists() or not any(out.iterdir()):
        return
    if not (out / marker).is_file():
        raise OutputFolderError(
            f"{out} is not empty and holds no {marker}: it is not a previous evalkit output, and evalkit removes "
            "only what it wrote itself. Choose an empty or new output folder."
        )
    allowed = listed(out)
    if allowed is None:
        return
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    foreign = sorted(present - allowed - {marker})
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"{out} holds files evalkit did not write ({shown}); evalkit removes only what it wrote itself. "
            "Move them away or choose another output folder."
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _lock(out: Path, command: str) -> Iterator[None]:
    lock = out.parent / f".{out.name}.lock"
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                holder = {}
            same_host = holder.get("host") == me["host"]
            if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
                lock.unlink(missing_ok=True)  # left by a run that was killed
                continue
            raise OutputFolderError(
                f"another evalkit command is writing {out}: {holder.get('command', '?')} (process "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started_at', '?')}). "
                f"Wait for it to finish, or stop it; if it is no longer running, remove {lock}."
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(me, handle)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _remove_stale(out: Path) -> None:
    """Staging and old folders left beside ``out`` by runs that no longer exist."""
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if leftover.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def writing(
    target: str | os.PathLike[str],
    *,
    marker: str,
    inputs: Iterable[str | os.PathLike[str]] = (),
    listed: Callable[[Path], set[str] | None] = lambda folder: None,
    command: str = "evalkit",
) -> Iterator[Path]:
    """Write an output folder all or nothing (see the module docstring); yields the staging folder.

    Parameters
    ----------
    target
        The output folder.
    marker
        The file that marks a complete output of this command (``summary.json``, ``manifest.json``).
    inputs
        The command's inputs (files or folders), which the output folder must stay clear of.
    listed
        The files (relative paths) a previous output in ``target`` says it wrote; None: all its files.
    command
        What is running, for the lock (shown to a second run).

    When the block ends without an error the staging folder replaces the target, unless the caller moved
    it elsewhere (:func:`move_aside`, for a run that failed): then the target stays as it was.
    """
    out = check_target(target, inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _lock(out, command):
        _remove_stale(out)
        _ours(out, marker, listed)
        staging = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if not staging.exists():  # moved aside by the caller
            return
        if not (staging / marker).is_file():
            shutil.rmtree(staging, ignore_errors=True)
            raise ConfigurationError(f"the output for {out} is incomplete (no {marker}); nothing was replaced.")
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)


def move_aside(
    staging: Path, dest: Path, *, marker: str, listed: Callable[[Path], set[str] | None] = lambda folder: None
) -> Path:
    """Move a finished staging folder to ``dest`` instead of the target (a run that failed goes to
    ``<target>.failed``, the target keeping the last complete output), replacing a previous output there
    under the same rules as the target's."""
    _ours(dest, marker, listed)
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)
    return dest
