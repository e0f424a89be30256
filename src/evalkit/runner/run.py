"""The annual evaluation: every notebook, in parallel, with a manifest.

:func:`run` validates all parameters of all notebooks before running any, then
executes each notebook through papermill in its own process (and kernel),
exports it to HTML, and writes ``manifest.json``. A failing notebook does not
stop the others; the result says which notebook and which cell failed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from evalkit import __version__, paths
from evalkit.errors import ConfigurationError, NotebookNotFoundError, ParameterError
from evalkit.params import notebook_parameters, validate
from evalkit.published import latest_year
from evalkit.report.outputs import METRICS_FILE, read_metrics
from evalkit.runner.execute import execute_one, utc_now
from evalkit.runner.manifest import environment_summary, git_state, input_hashes, package_versions, write_manifest

__all__ = ["NotebookRun", "RunResult", "discover", "run", "DEFAULT_KERNEL", "DEFAULT_TIMEOUT"]

log = logging.getLogger(__name__)

#: Jupyter kernel the runner uses unless told otherwise.
DEFAULT_KERNEL = "evalkit"
#: Per-cell timeout in seconds.
DEFAULT_TIMEOUT = 600
_PATTERN = "[0-9][0-9]_*.ipynb"


@dataclass
class NotebookRun:
    """What happened to one notebook in a run."""

    name: str
    source: Path
    executed: Path
    html: Path
    out_dir: Path
    parameters: dict[str, object]
    record: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.record.get("status") == "ok"

    def describe_failure(self) -> str:
        """One line naming the notebook, the failing cell and the error."""
        rec = self.record
        where = ""
        if rec.get("failed_cell_index") is not None:
            where = f" at cell {rec['failed_cell_index']} (execution count {rec.get('failed_cell_execution_count')}: {rec.get('failed_cell_source')!r})"
        return f"{self.name}: failed{where}: {rec.get('error')}. See {self.executed}"


@dataclass
class RunResult:
    """Outcome of :func:`run`."""

    year: int
    out_dir: Path
    manifest_path: Path
    notebooks: list[NotebookRun]
    wall_seconds: float

    @property
    def ok(self) -> bool:
        return all(nb.ok for nb in self.notebooks)

    @property
    def failed(self) -> list[NotebookRun]:
        return [nb for nb in self.notebooks if not nb.ok]


def discover(folder: Path | None = None, only: list[str] | None = None) -> list[Path]:
    """Notebooks to run: ``NN_name.ipynb`` files in ``folder``, in name order.

    Raises
    ------
    NotebookNotFoundError
        When there is none, or a name in ``only`` matches none.
    """
    folder = Path(folder) if folder else paths.notebooks_dir()
    if not folder.is_dir():
        raise NotebookNotFoundError(f"notebook folder {folder} does not exist.")
    found = sorted(folder.glob(_PATTERN))
    if not found:
        raise NotebookNotFoundError(
            f"no notebooks found in {folder} (expected files named like 01_incidence_trends.ipynb)."
        )
    if only:
        by_stem = {p.stem: p for p in found}
        missing = [name for name in only if Path(name).stem not in by_stem]
        if missing:
            raise NotebookNotFoundError(
                f"no notebook named {', '.join(missing)} in {folder}; available: {', '.join(by_stem)}."
            )
        found = [by_stem[Path(name).stem] for name in only]
    return found


def _check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ConfigurationError(
            f"the Jupyter kernel {kernel!r} is not installed. Run `make setup`, or "
            f"`python -m ipykernel install --sys-prefix --name {kernel}` in evalkit's environment."
        ) from None


def _metrics_or_none(folder: Path) -> dict[str, int | float] | None:
    """A notebook's metrics.json, or None when it wrote none (e.g. it failed early)."""
    return read_metrics(folder) if (folder / METRICS_FILE).is_file() else None


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _start_worker(threads: int) -> None:
    """Each worker (and the kernels it starts, which inherit its environment) uses its share of the cores:
    ``jobs`` kernels each running a BLAS pool as wide as the machine would fight over the same cores.
    A value the user set is kept."""
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    # papermill imports nbformat, which imports jsonschema, which compiles 38 IRI grammars at import when
    # rfc3987-syntax is installed (4 s here). nbformat validates without format checks, so nothing in a
    # worker uses them: the import is declined in the workers only (jsonschema expects it may be missing).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill  # noqa: F401  (imported while the other workers start, not at the first notebook)


def run(
    year: int | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    only: list[str] | None = None,
    params: dict[str, object] | None = None,
    data_dir: str = "",
    kernel: str = DEFAULT_KERNEL,
    timeout: int = DEFAULT_TIMEOUT,
) -> RunResult:
    """Run the annual evaluation.

    Parameters
    ----------
    year
        Evaluation year; default the latest year the data covers.
    out
        Output folder; default ``outputs/<year>/``.
    jobs
        Notebooks run at once, each in its own process; default the number of cores.
    notebooks_dir, only
        Where the notebooks are, and optionally which of them to run.
    params
        Extra parameters for every notebook (e.g. ``{"lang": "zh"}``).
    data_dir
        Data folder passed to the notebooks (empty: the embedded data).
    kernel, timeout
        Jupyter kernel name and per-cell timeout in seconds.

    Raises
    ------
    ParameterError
        Before anything runs, listing every unknown or ill-typed parameter.
    """
    if jobs is not None and jobs < 1:
        raise ParameterError(f"jobs must be at least 1, got {jobs}.")
    if timeout < 1:
        raise ParameterError(f"timeout must be at least 1 second, got {timeout}.")
    started_at = utc_now()
    start = time.perf_counter()
    year = latest_year(data_dir or None) if year is None else year
    out_dir = Path(out).expanduser().resolve() if out else paths.year_output_dir(year)
    sources = discover(Path(notebooks_dir) if notebooks_dir else None, only)
    extra = dict(params or {})

    planned: list[NotebookRun] = []
    problems: list[str] = []
    declared_by = {source: notebook_parameters(source) for source in sources}
    known = sorted({name for declared in declared_by.values() for name in declared})
    for name in extra:
        if name not in known:
            problems.append(f"unknown parameter {name!r}: no notebook run here takes it; they take: {', '.join(known)}")
    for source in sources:
        declared = declared_by[source]
        # an extra parameter goes to the notebooks that declare it
        values: dict[str, object] = {"year": year, **{k: v for k, v in extra.items() if k in declared}}
        if data_dir:
            values["data_dir"] = str(Path(data_dir).expanduser().resolve())
        nb_out = out_dir / source.stem
        values["out_dir"] = str(nb_out)
        problems += validate(source.stem, declared, values, data_dir=data_dir or None)
        planned.append(
            NotebookRun(
                name=source.stem,
                source=source,
                executed=out_dir / f"{source.stem}.ipynb",
                html=out_dir / f"{source.stem}.html",
                out_dir=nb_out,
                parameters=values,
            )
        )
    if problems:
        raise ParameterError("parameters rejected before any notebook ran:\n  " + "\n  ".join(problems))
    _check_kernel(kernel)

    out_dir.mkdir(parents=True, exist_ok=True)
    for nb in planned:  # a rerun replaces exactly what this runner wrote for each notebook
        shutil.rmtree(nb.out_dir, ignore_errors=True)
        for stale in (nb.executed, nb.html):
            stale.unlink(missing_ok=True)
        nb.out_dir.mkdir(parents=True)

    cores = os.cpu_count() or 1
    workers = max(1, min(jobs or cores, len(planned)))
    log.info("running %d notebook(s) for %d with %d worker(s) into %s", len(planned), year, workers, out_dir)
    context = multiprocessing.get_context("spawn")
    threads = max(1, cores // workers)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(threads,)
    ) as pool:
        futures = {
            nb.name: pool.submit(
                execute_one, str(nb.source), str(nb.executed), str(nb.html), nb.parameters, kernel, timeout
            )
            for nb in planned
        }
        for nb in planned:
            nb.record = futures[nb.name].result()
            if nb.ok:
                log.info("%s: ok (%.1f s)", nb.name, nb.record["wall_seconds"])
            else:
                log.error(nb.describe_failure())

    wall = round(time.perf_counter() - start, 3)
    data_root = paths.data_dir(data_dir or None)
    manifest = {
        "evalkit_version": __version__,
        "year": year,
        "out_dir": str(out_dir),
        "started_at": started_at,
        "finished_at": utc_now(),
        "wall_seconds": wall,
        "jobs": workers,
        "kernel": kernel,
        "cell_timeout_seconds": timeout,
        "status": "ok" if all(nb.ok for nb in planned) else "failed",
        "git": git_state(),
        "environment": environment_summary(),
        "packages": package_versions(),
        "inputs": input_hashes([p for p in data_root.rglob("*") if p.is_file()] + [nb.source for nb in planned]),
        "notebooks": [
            {
                "name": nb.name,
                "source": str(nb.source),
                "executed": str(nb.executed),
                "html": str(nb.html),
                "out_dir": str(nb.out_dir),
                "parameters": nb.parameters,
                **nb.record,
                "metrics": _metrics_or_none(nb.out_dir),
            }
            for nb in planned
        ],
    }
    manifest_path = write_manifest(out_dir / "manifest.json", manifest)
    return RunResult(year=year, out_dir=out_dir, manifest_path=manifest_path, notebooks=planned, wall_seconds=wall)
