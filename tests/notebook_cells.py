"""Run a notebook's code cells in the test process (:func:`evalkit.runner.execute.run_in_process`): the
same code and the same outputs as a papermill run with the same parameters, seconds faster per run.

Every notebook is also executed for real, in a kernel, once per test session: the shared annual run
(``annual_run`` in conftest.py), which the runner, leak and notebook tests read.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from evalkit import paths  # noqa: E402
from evalkit.runner.execute import run_in_process  # noqa: E402


def run_notebook(name: str, out_dir: Path, **parameters: object) -> dict[str, object]:
    """Execute ``notebooks/<name>.ipynb`` cell by cell into ``out_dir``; return the namespace (``p``, ``ev`` …)."""
    try:
        return run_in_process(paths.notebooks_dir() / f"{name}.ipynb", {**parameters, "out_dir": str(out_dir)})
    finally:
        plt.close("all")
