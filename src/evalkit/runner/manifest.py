"""The run manifest: what ran, with which inputs, software and results."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from evalkit import paths

__all__ = [
    "sha256_file",
    "input_hashes",
    "package_versions",
    "git_state",
    "write_manifest",
    "environment_summary",
    "PACKAGES",
]

#: Packages whose versions the manifest records.
PACKAGES = (
    "evalkit",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbformat",
    "nbconvert",
    "ipykernel",
    "jupyter_client",
    "pandera",
    "linearmodels",
    "pyarrow",
    "openpyxl",
    "mplfonts",
)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _display(path: Path, relative_to: Path | None) -> str:
    """A path as the manifest records it: relative to the project when inside it, else to ``relative_to``
    (the output folder); never absolute."""
    path = path.resolve()
    try:
        return str(path.relative_to(paths.project_root()))
    except ValueError:
        return os.path.relpath(path, relative_to) if relative_to is not None else path.name


def input_hashes(files: list[Path], *, relative_to: Path | None = None) -> list[dict[str, object]]:
    """SHA-256 and size of each input file, sorted by path (paths as :func:`_display` writes them)."""
    return [
        {"path": _display(f, relative_to), "sha256": sha256_file(f), "bytes": f.stat().st_size}
        for f in sorted({f.resolve() for f in files if f.is_file()})
    ]


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a run depends on."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_state() -> dict[str, object]:
    """Commit and whether the work tree has uncommitted changes (None outside git)."""
    root = paths.project_root()

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def write_manifest(path: Path, manifest: dict[str, object]) -> Path:
    """Write the manifest as pretty JSON (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def environment_summary() -> dict[str, str]:
    """Interpreter and platform of the run (no paths)."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "in_virtual_environment": sys.prefix != sys.base_prefix,
    }
