"""Execute one notebook with papermill and export it to HTML (runs in a worker process), or run its code
cells in this process.

:func:`run_in_process` executes a notebook's code cells one after another in the calling process, with
``parameters`` injected after the ``parameters`` cell as papermill injects them, but no kernel, no
executed copy and no HTML: what tests and the annual-run benchmark use to run the notebooks' own code
quickly, and a way to debug a notebook in a plain Python session.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from evalkit.runner import editions

__all__ = ["execute_one", "export_html", "utc_now", "run_in_process"]


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second (manifest timestamps)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def export_html(executed: Path, html: Path) -> None:
    """Write an HTML rendering of an executed notebook."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(executed), as_version=4)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    html.write_text(body, encoding="utf-8")


def execute_one(
    source: str,
    executed: str,
    html: str,
    parameters: dict[str, object],
    kernel: str,
    timeout: int,
    cwd: str | None = None,
    synthetic: bool = True,
) -> dict[str, object]:
    """Run ``source`` into ``executed`` with ``parameters``, the kernel working in ``cwd`` (default: the
    notebook's folder); never raises. Only the cells of the edition for ``parameters["lang"]`` and the
    kind of data (``synthetic``) are executed and kept (:mod:`evalkit.runner.editions`).

    Returns a record with ``status`` ('ok' or 'failed'), timings, and for a
    failure the failing cell (index in the executed notebook, execution count,
    first source line) and the error name and value.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    record: dict[str, object] = {
        "status": "ok",
        "started_at": utc_now(),
        "failed_cell_index": None,
        "failed_cell_execution_count": None,
        "failed_cell_source": None,
        "error": None,
    }
    start = time.perf_counter()
    try:
        notebook = editions.select(
            nbformat.read(source, as_version=4), lang=str(parameters.get("lang", "en")), synthetic=synthetic
        )
        pm.execute_notebook(
            notebook,
            executed,
            parameters=parameters,
            kernel_name=kernel,
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
            cwd=cwd or str(Path(source).parent),
        )
    except PapermillExecutionError as exc:
        record.update(
            status="failed",
            failed_cell_index=exc.cell_index,
            failed_cell_execution_count=exc.exec_count,
            failed_cell_source=(exc.source or "").strip().splitlines()[0][:200] if exc.source else "",
            error=f"{exc.ename}: {exc.evalue}",
        )
    except Exception as exc:  # kernel death, timeout, unreadable notebook: recorded, never fatal to the run
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(limit=3))
    record["wall_seconds"] = round(time.perf_counter() - start, 3)
    record["finished_at"] = utc_now()
    if Path(executed).is_file():
        try:
            export_html(Path(executed), Path(html))
        except Exception as exc:  # an HTML failure must not hide the notebook's own status
            record["html_error"] = f"{type(exc).__name__}: {exc}"
    return record


def run_in_process(
    source: str | os.PathLike[str],
    parameters: dict[str, object],
    *,
    display: Callable[..., object] | None = None,
    synthetic: bool = True,
) -> dict[str, object]:
    """Execute the code cells of the notebook ``source`` in this process; return their namespace. As in
    :func:`execute_one`, only the cells of the edition for ``parameters["lang"]`` and ``synthetic`` run.

    The cells run from the notebook's folder (as papermill runs them), with ``display`` as the builtin a
    kernel provides (default: discard). Figures are left open for the caller (matplotlib's backend is the
    caller's). An exception in a cell propagates, naming the cell in its traceback.
    """
    path = Path(source)
    notebook = editions.select(
        json.loads(path.read_text(encoding="utf-8")), lang=str(parameters.get("lang", "en")), synthetic=synthetic
    )
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    namespace: dict[str, object] = {"__name__": "__main__", "display": display or (lambda *args, **kwargs: None)}
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        for index, cell in enumerate(cells):
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            exec(compile(text, f"{path.name}[code cell {index}]", "exec"), namespace)  # noqa: S102
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                namespace.update(parameters)
    finally:
        os.chdir(here)
    return namespace
