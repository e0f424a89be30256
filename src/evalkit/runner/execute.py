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

from papermill.engines import NBClientEngine, papermill_engines

from evalkit.runner import editions

__all__ = [
    "execute_one",
    "export_html",
    "report_title",
    "sections",
    "utc_now",
    "run_in_process",
    "LANGUAGE_CODES",
    "ENGINE",
]


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second (manifest timestamps)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


#: Where the report's nbconvert template lives (``evalkit_report``: JupyterLab's, without online scripts).
TEMPLATES = Path(__file__).parent / "templates"

#: The HTML ``lang`` of a report, so that browsers choose fonts for the right script.
LANGUAGE_CODES = {"en": "en", "zh": "zh-Hans"}


def report_title(notebook: dict) -> str:
    """A report's title: the text of the notebook's first level-one heading (the file name if it has none).

    >>> report_title({"cells": [{"cell_type": "markdown", "source": "# 07 · The registry\\n\\nText"}]})
    '07 · The registry'
    """
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for line in text.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return str(notebook.get("metadata", {}).get("papermill", {}).get("input_path") or "evalkit report")


def sections(notebook: dict) -> list[str | None]:
    """For each cell of ``notebook``, the section it is in: the text of the last level-one or level-two
    heading at or above it (``None`` before the first).

    >>> md = lambda text: {"cell_type": "markdown", "source": text}
    >>> sections({"cells": [{"cell_type": "code", "source": ""}, md("# 02 · Credit"), md("## 1. Reach\\n\\nText")]})
    [None, '02 · Credit', '1. Reach']
    """
    out: list[str | None] = []
    current = None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for line in text.splitlines():
                if line.startswith(("# ", "## ")):
                    current = line.lstrip("#").strip()
        out.append(current)
    return out


#: The papermill engine the runner executes with: papermill's own (nbclient), telling a callback when a
#: notebook enters a new section.
ENGINE = "evalkit"


class _SectionEngine(NBClientEngine):
    """nbclient through papermill, calling ``on_section(title)`` when the first cell of a section starts."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, on_section=None, **kwargs):  # noqa: ANN001, ANN206
        if on_section is not None:
            titles = sections(nb_man.nb)
            started = nb_man.cell_start
            last: list[str | None] = [None]

            def cell_start(cell, cell_index=None, **more):  # noqa: ANN001, ANN202
                title = titles[cell_index] if cell_index is not None and cell_index < len(titles) else None
                if title and title != last[0]:
                    last[0] = title
                    on_section(title)
                return started(cell, cell_index, **more)

            nb_man.cell_start = cell_start
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(ENGINE, _SectionEngine)


def export_html(executed: Path, html: Path, *, lang: str = "en") -> None:
    """Write the report of an executed notebook: its text, tables and figures without code, prompts,
    printed output or cells tagged ``notebook-only``, titled by its first heading (the executed notebook
    keeps all of it)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = editions.for_report(nbformat.read(str(executed), as_version=4))
    notebook.metadata["title"] = report_title(notebook)
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="evalkit_report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=lang,  # nbconvert takes ISO 639-1 codes only; the script subtag is added below
    )
    body, _ = exporter.from_notebook_node(notebook)
    body = body.replace(f'<html lang="{lang}">', f'<html lang="{LANGUAGE_CODES.get(lang, lang)}">', 1)
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
    progress: Callable[[str, str, float], object] | None = None,
) -> dict[str, object]:
    """Run ``source`` into ``executed`` with ``parameters``, the kernel working in ``cwd`` (default: the
    notebook's folder); never raises. Only the cells of the edition for ``parameters["lang"]`` and the
    kind of data (``synthetic``) are executed and kept (:mod:`evalkit.runner.editions`). ``progress`` is
    called with the notebook's name, the section it enters and the seconds since it started.

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
    name = Path(source).stem

    def entered(title: str) -> None:
        if progress is not None:
            progress(name, title, time.perf_counter() - start)

    try:
        notebook = editions.select(
            nbformat.read(source, as_version=4), lang=str(parameters.get("lang", "en")), synthetic=synthetic
        )
        pm.execute_notebook(
            notebook,
            executed,
            parameters=parameters,
            kernel_name=kernel,
            engine_name=ENGINE,
            on_section=entered,
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
            # The kernel's own log stays off the terminal: its start-up notices, and the "KeyboardInterrupt caught
            # in kernel" it logs when jupyter_client's shutdown interrupts it while it handles a message (a race,
            # harmless). A cell's error reaches the record through the execution reply, not this log.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
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
            export_html(Path(executed), Path(html), lang=str(parameters.get("lang", "en")))
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
