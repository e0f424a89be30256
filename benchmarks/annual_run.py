"""Benchmark: the annual run (``evalkit run``) against the same analyses as one plain Python process.

The floor executes every code cell of every notebook, in notebook order, in this one process with the
parameters ``evalkit run`` would pass (no kernel, no papermill, no HTML export, no manifest, one notebook
after another, matplotlib's Agg backend, printed output discarded). ``evalkit run`` starts one kernel per
notebook in ``--jobs`` worker processes, executes, exports HTML and writes the manifest. The table gives the
median of ``--repeats`` runs of each, per notebook and in total, and the ratio run / floor (target: at most
1.5). Both write into temporary folders; nothing under ``outputs/`` is touched.

Run: ``.venv/bin/python benchmarks/annual_run.py [--repeats 3] [--jobs N] [--year 2018]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

from _timing import machine


def _floor(year: int, out_root: Path) -> dict[str, float]:
    """Every notebook's code in this process, one after another; seconds per notebook."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.display import display  # a kernel's builtin; outside one it prints the text form

    from evalkit.runner import discover
    from evalkit.runner.execute import run_in_process

    seconds = {}
    for source in discover():
        values = {"year": year, "out_dir": str(out_root / source.stem)}
        Path(values["out_dir"]).mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                run_in_process(source, values, display=display)
        finally:
            plt.close("all")
        seconds[source.stem] = time.perf_counter() - start
    return seconds


def _run(year: int, out_root: Path, jobs: int | None) -> tuple[float, dict[str, float]]:
    from evalkit.runner import run

    result = run(year, out=out_root, jobs=jobs)
    if not result.ok:
        raise SystemExit("evalkit run failed: " + "; ".join(nb.describe_failure() for nb in result.failed))
    return result.wall_seconds, {nb.name: float(nb.record["wall_seconds"]) for nb in result.notebooks}


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="evalkit run's worker processes (default: cores)")
    parser.add_argument("--year", type=int, default=2018)
    args = parser.parse_args()
    print(machine())
    floors, runs = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            per = _floor(args.year, Path(tmp))
            floors.append((time.perf_counter() - start, per))
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(_run(args.year, Path(tmp), args.jobs))
    names = list(floors[0][1])
    table = pd.DataFrame(
        {
            "notebook": [*names, "TOTAL (wall)"],
            "floor_s": [statistics.median(f[1][n] for f in floors) for n in names]
            + [statistics.median(f[0] for f in floors)],
            "evalkit_run_s": [statistics.median(r[1][n] for r in runs) for n in names]
            + [statistics.median(r[0] for r in runs)],
        }
    )
    table["ratio"] = table["evalkit_run_s"] / table["floor_s"]
    print(f"median of {args.repeats} run(s); evalkit run per notebook includes its kernel start and HTML export,")
    print("its total runs the notebooks in parallel; the floor runs them one after another in this process")
    print(table.round(2).to_string(index=False))
    total = table.iloc[-1]
    verdict = "met" if total["ratio"] <= 1.5 else f"missed by {100 * (total['ratio'] / 1.5 - 1):.0f}%"
    print(f"target run/floor <= 1.5: {total['ratio']:.2f} ({verdict})")


if __name__ == "__main__":
    main()
