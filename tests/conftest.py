"""Test set-up: outputs of notebooks run by tests go to a temporary folder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_OUTPUT_ROOT = Path(tempfile.mkdtemp(prefix="evalkit-test-outputs-"))


def pytest_configure(config: pytest.Config) -> None:
    # Set before any kernel starts, so notebooks executed by the tests inherit it.
    os.environ["EVALKIT_OUTPUT_ROOT"] = str(_OUTPUT_ROOT)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_OUTPUT_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def evalkit_cli() -> list[str]:
    """Command that runs the evalkit CLI of this environment (in a new process)."""
    return [sys.executable, "-m", "evalkit.cli"]


@pytest.fixture()
def run_cli(monkeypatch):
    """Run ``evalkit ARGS`` in this process through :func:`evalkit.cli.main` (no interpreter start-up):
    ``run_cli("run", "--jobs", "0", key=...)`` returns its exit status and what it printed, like
    :func:`subprocess.run`. ``key`` is the pseudonym key in ``$EVALKIT_PSEUDONYM_KEY`` (None: unset)."""
    from evalkit import cli

    def run(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        if key is None:
            monkeypatch.delenv("EVALKIT_PSEUDONYM_KEY", raising=False)
        else:
            monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", key)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
        return subprocess.CompletedProcess(["evalkit", *args], code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def repo_root() -> Path:
    from evalkit import paths

    return paths.project_root()


@pytest.fixture()
def data_copy(tmp_path: Path, repo_root: Path) -> Path:
    """A writable copy of data/ for tests that corrupt it on purpose."""
    target = tmp_path / "data"
    shutil.copytree(repo_root / "data", target)
    return target


@pytest.fixture()
def edit_csv(data_copy: Path):
    """Edit one CSV of the data copy: ``edit_csv("published/ledger.csv", func)``; returns the data folder."""
    import pandas as pd

    def edit(relative: str, change) -> Path:
        path = data_copy / relative
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        change(frame)
        frame.to_csv(path, index=False)
        return data_copy

    return edit
