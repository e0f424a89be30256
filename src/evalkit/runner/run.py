"""The annual evaluation: every notebook, in parallel, with a manifest, written all or nothing.

:func:`run` validates all parameters of all notebooks before running any (a parameter that names a file or
folder is checked to exist), then executes each notebook through papermill in its own process (and
kernel), exports it to HTML, and writes ``manifest.json``. A failing notebook does not stop the others; the
result says which notebook and which cell failed.

The output folder is written through :func:`evalkit.folders.writing`: one run at a time (a lock), into a
hidden folder beside the target that replaces it only when every notebook succeeded, so an interrupt, a
kill or a full disk leaves the previous complete output as it was. A run in which a notebook failed is kept
beside it as ``<year>.failed``. ``--only`` either completes the existing folder (the other notebooks' outputs
are carried over when they ran with the same year, parameters and inputs) or is refused. Outputs name paths
relative to the output folder only: parameters naming a file or folder are passed relative to it, the
kernels run in it, and the executed notebooks and the manifest are written without absolute paths.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from queue import Empty
from dataclasses import dataclass, field
from pathlib import Path

from evalkit import __version__, evaluations, folders, package, paths
from evalkit.errors import BrowserError, ConfigurationError, NotebookNotFoundError, ParameterError
from evalkit.params import notebook_parameters, path_parameters, validate
from evalkit.plots.fonts import cjk_characters, web_font_css
from evalkit.report import printing, yearpage
from evalkit.report.outputs import METRICS_FILE, read_figure_checks, read_metrics
from evalkit.runner import editions
from evalkit.runner.execute import execute_one, report_title, utc_now
from evalkit.runner.manifest import environment_summary, git_state, input_hashes, package_versions, write_manifest

__all__ = ["NotebookRun", "RunResult", "discover", "run", "DEFAULT_KERNEL", "DEFAULT_TIMEOUT"]

log = logging.getLogger(__name__)

#: Jupyter kernel the runner uses unless told otherwise.
DEFAULT_KERNEL = "evalkit"
#: Per-cell timeout in seconds.
DEFAULT_TIMEOUT = 600
_PATTERN = "[0-9][0-9]_*.ipynb"
_MANIFEST = "manifest.json"


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
    pdf: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(nb.ok for nb in self.notebooks) and self.pdf.get("status") != "failed"

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


def _one_blas_thread() -> None:
    """One BLAS thread per kernel (a value the user set is kept): results do not depend on ``--jobs`` (a sum
    split over more threads is added in another order), and kernels do not fight over the cores."""
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


#: In a worker process: the queue on which it tells the runner which section each notebook is in.
_progress_queue = None


def _figure_checks(notebook: str, out_dir: Path) -> dict[str, object]:
    """How many figures ``notebook`` saved into ``out_dir`` and checked, and what a reader could not read in
    them (each problem also logged as a warning: the run still succeeds, the report is there to look at).
    A checks file left unreadable (a kernel killed while writing it) counts as no figure checked."""
    try:
        checks = read_figure_checks(out_dir)
    except (OSError, ValueError):
        checks = {}
    problems = {name: found for name, found in checks.items() if found}
    for name, found in problems.items():
        log.warning("%s: figure %s cannot be read cleanly: %s", notebook, name, "; ".join(found))
    return {"checked": len(checks), "problems": problems}


def _start_worker(progress=None) -> None:  # noqa: ANN001  (a multiprocessing queue)
    """Prepare a worker process (and the kernels it starts, which inherit its environment): one BLAS thread
    per kernel, and the worker dies with the runner (Linux: the parent-death signal), so a killed run leaves
    no process writing; its kernels follow, since a kernel exits when its parent does. ``progress``: the
    queue for :func:`_execute_in_worker`'s section reports."""
    global _progress_queue
    _progress_queue = progress
    _one_blas_thread()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - a libc without prctl
            pass


def _execute_in_worker(*args: object) -> dict[str, object]:
    """:func:`execute_one` in a worker, each section it enters put on the runner's progress queue."""
    queue = _progress_queue

    def tell(name: str, title: str, seconds: float) -> None:
        if queue is not None:
            queue.put((name, title, seconds))

    return execute_one(*args, progress=tell)  # type: ignore[arg-type]


def _report_progress(queue) -> None:  # noqa: ANN001
    """Log the sections the workers entered since the last call (INFO: not shown with ``--quiet``)."""
    while True:
        try:
            name, title, seconds = queue.get_nowait()
        except Empty:
            return
        log.info("%s · %s (%.0f s)", name, title, seconds)


def _listed(folder: Path) -> set[str] | None:
    """The files a previous run's manifest says it wrote (None for a manifest that does not list them)."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = manifest.get("files")
    return set(files) if isinstance(files, list) else None


def _resolve_paths(extra: dict[str, object], sources: list[Path], cwd: Path) -> dict[str, Path]:
    """Absolute paths of the parameters that name a file or folder (relative ones are read from ``cwd``)."""
    named: dict[str, Path] = {}
    for source in sources:
        for name in path_parameters(source.stem):
            value = extra.get(name)
            if isinstance(value, str) and value:
                named[name] = (cwd / Path(value).expanduser()).resolve()
    return named


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)


def _scrub_paths(text: str, places: dict[str, str]) -> str:
    """``text`` with every absolute path of ``places`` (longest first) replaced by its stand-in."""
    for place, stand_in in sorted(places.items(), key=lambda item: -len(item[0])):
        text = text.replace(place, stand_in)
    return text


def _relativize(notebook: Path, places: dict[str, str]) -> None:
    """Remove absolute paths from an executed notebook (papermill's metadata, tracebacks, warnings)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    meta = data.get("metadata", {}).get("papermill", {})
    if meta and not isinstance(meta.get("input_path"), str):  # executed from the selected edition's cells
        meta["input_path"] = notebook.name
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    notebook.write_text(_scrub_paths(json.dumps(data, ensure_ascii=False, indent=1), places) + "\n", encoding="utf-8")


def _carry_over(
    previous: Path, staging: Path, planned: list[NotebookRun], all_values: dict[str, dict[str, object]], year: int
) -> list[dict[str, object]]:
    """With ``--only``: the other notebooks' outputs of the run in ``previous``, when it was the same year and
    they ran with the parameters this run would give them; else :class:`ParameterError`."""
    if not (previous / _MANIFEST).is_file():
        return []
    manifest = json.loads((previous / _MANIFEST).read_text(encoding="utf-8"))
    rerun = {nb.name for nb in planned}
    kept = [n for n in manifest.get("notebooks", []) if n.get("name") not in rerun]
    problems = []
    if manifest.get("year") != year:
        problems.append(f"it is a run for {manifest.get('year')}, not {year}")
    for entry in kept:
        expected = all_values.get(entry["name"])
        if expected is None:
            problems.append(f"its notebook {entry['name']} is not in this run's notebook folder")
        elif entry.get("parameters") != expected:
            problems.append(f"{entry['name']} ran there with other parameters ({entry.get('parameters')})")
        elif entry.get("status") != "ok":
            problems.append(f"{entry['name']} failed there")
    if problems:
        raise ParameterError(
            f"--only would leave {previous} mixing runs: "
            + "; ".join(problems)
            + ". Run every notebook, or write to another --out."
        )
    for entry in kept:
        for name in (f"{entry['name']}.ipynb", f"{entry['name']}.html", entry["name"]):
            source = previous / name
            if source.is_dir():
                shutil.copytree(source, staging / name)
            elif source.is_file():
                shutil.copy2(source, staging / name)
        if "figures" not in entry:  # a manifest written before figures were checked: what its folder says
            entry["figures"] = _figure_checks(entry["name"], staging / entry["name"])
    return kept


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
    pdf: str = "auto",
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
        Extra parameters for every notebook (e.g. ``{"lang": "zh"}``); those naming a file or folder may be
        relative to the current folder.
    data_dir
        Data folder passed to the notebooks (empty: the embedded data).
    kernel, timeout
        Jupyter kernel name and per-cell timeout in seconds.
    pdf
        The whole year's report as one PDF (the year page, then every report), printed by a headless
        Chromium: ``"auto"`` when a browser is found (otherwise the manifest says why there is none),
        ``"yes"`` (no browser is an error before anything runs), ``"no"``.

    Raises
    ------
    ParameterError
        Before anything runs, listing every unknown or ill-typed parameter and every missing file or folder.
    OutputFolderError
        The output folder would overwrite an input or foreign files, or another run is writing it.
    BrowserError
        ``pdf="yes"`` and no browser is found (or ``EVALKIT_CHROMIUM`` names no executable).
    """
    if pdf not in ("auto", "yes", "no"):
        raise ParameterError(f"pdf must be 'auto', 'yes' or 'no', got {pdf!r}.")
    browser = printing.find_browser() if pdf != "no" else None
    if pdf == "yes" and browser is None:
        raise BrowserError(
            f"no browser to print the year's PDF with: {printing.BROWSER_HINT}; or run without --pdf yes."
        )
    if jobs is not None and jobs < 1:
        raise ParameterError(f"jobs must be at least 1, got {jobs}.")
    if timeout < 1:
        raise ParameterError(f"timeout must be at least 1 second, got {timeout}.")
    started_at = utc_now()
    start = time.perf_counter()
    cwd = Path.cwd()
    data_root = paths.data_dir(data_dir or None)  # a missing folder is refused here
    pkg = package.check(data_root)  # every problem of the package listed before anything runs
    year = max(pkg.years) if year is None else year
    out_dir = folders.check_target(out if out else paths.year_output_dir(year))
    every = discover(Path(notebooks_dir) if notebooks_dir else None)
    sources = discover(Path(notebooks_dir) if notebooks_dir else None, only)
    extra = dict(params or {})
    named = _resolve_paths(extra, every, cwd)
    if data_dir:
        named["data_dir"] = data_root

    problems: list[str] = []
    declared_by = {source: notebook_parameters(source) for source in every}
    known = sorted({name for source in sources for name in declared_by[source]})
    for name in extra:
        if name not in known:
            problems.append(f"unknown parameter {name!r}: no notebook run here takes it; they take: {', '.join(known)}")
    all_values: dict[str, dict[str, object]] = {}
    checks: dict[str, dict[str, object]] = {}
    for source in every:
        declared = declared_by[source]
        values: dict[str, object] = {"year": year, **{k: v for k, v in extra.items() if k in declared}}
        values.update({k: _relative(v, out_dir) for k, v in named.items() if k in declared})
        values["out_dir"] = source.stem
        all_values[source.stem] = values
        checks[source.stem] = {
            **values,
            **{k: str(v) for k, v in named.items() if k in declared},  # checked where the user named them
        }
    for source in sources:
        problems += validate(source.stem, declared_by[source], checks[source.stem], data_dir=data_dir or None)
        if source.stem in evaluations.NOTEBOOKS:
            lacking = [t for t in evaluations.evaluation_class(source.stem).REQUIRES if not pkg.has(t)]
            if lacking:
                problems.append(
                    f"{source.stem} needs the table(s) {', '.join(lacking)}, which the data package does not hold"
                )
    if problems:
        raise ParameterError("parameters rejected before any notebook ran:\n  " + "\n  ".join(problems))
    _check_kernel(kernel)

    inputs = [p for p in named.values()]
    places = {str(out_dir.parent): "..", str(paths.project_root()): ".", sys.prefix: "[python]"}
    places.update({str(Path.home()): "~"})
    cores = os.cpu_count() or 1
    workers = max(1, min(jobs or cores, len(sources)))
    with folders.writing(
        out_dir, marker=_MANIFEST, inputs=inputs, listed=_listed, command=f"evalkit run {year}"
    ) as staging:
        places[str(staging)] = "."
        planned = [
            NotebookRun(
                name=source.stem,
                source=source,
                executed=staging / f"{source.stem}.ipynb",
                html=staging / f"{source.stem}.html",
                out_dir=staging / source.stem,
                parameters=all_values[source.stem],
            )
            for source in sources
        ]
        carried = _carry_over(out_dir, staging, planned, all_values, year) if only else []
        for nb in planned:
            nb.out_dir.mkdir(parents=True)
        log.info("running %d notebook(s) for %d with %d worker(s) into %s", len(planned), year, workers, out_dir)
        context = multiprocessing.get_context("spawn")
        progress = context.Queue()
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(progress,)
        )
        try:
            futures = {
                nb.name: pool.submit(
                    _execute_in_worker,
                    str(nb.source),
                    str(nb.executed),
                    str(nb.html),
                    nb.parameters,
                    kernel,
                    timeout,
                    str(staging),
                    pkg.synthetic,
                )
                for nb in planned
            }
            by_future = {futures[nb.name]: nb for nb in planned}
            pending = set(by_future)
            while pending:  # as each notebook enters a section or ends, say so
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                _report_progress(progress)
                for future in sorted(done, key=lambda f: by_future[f].name):
                    nb = by_future[future]
                    nb.record = future.result()
                    if nb.ok:
                        log.info("%s: ok (%.1f s)", nb.name, nb.record["wall_seconds"])
                    else:
                        log.error(nb.describe_failure())
        except BaseException:  # an interrupt or an error: stop every worker now (their kernels follow)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()

        for nb in planned:
            for file in (nb.executed, nb.html):
                if file.is_file():
                    if file.suffix == ".ipynb":
                        _relativize(file, places)
                    else:
                        file.write_text(_scrub_paths(file.read_text(encoding="utf-8"), places), encoding="utf-8")
        wall = round(time.perf_counter() - start, 3)
        entries = [
            {
                "name": nb.name,
                "source": _display_source(nb.source),
                "executed": nb.executed.name,
                "html": nb.html.name,
                "out_dir": nb.out_dir.name,
                "parameters": nb.parameters,
                **{k: _scrub_paths(v, places) if isinstance(v, str) else v for k, v in nb.record.items()},
                "metrics": _metrics_or_none(nb.out_dir),
                "figures": _figure_checks(nb.name, nb.out_dir),
            }
            for nb in planned
        ]
        ok = all(nb.ok for nb in planned)
        manifest = {
            "evalkit_version": __version__,
            "year": year,
            "started_at": started_at,
            "finished_at": utc_now(),
            "wall_seconds": wall,
            "jobs": workers,
            "kernel": kernel,
            "cell_timeout_seconds": timeout,
            "status": "ok" if ok else "failed",
            "git": git_state(),
            "environment": environment_summary(),
            "packages": package_versions(),
            "data": {
                "package": pkg.descriptor.get("name"),
                "synthetic": pkg.synthetic,
                "years": pkg.years,
                "key_fingerprint": pkg.key_fingerprint,
            },
            "inputs": input_hashes(
                [p for p in data_root.rglob("*") if p.is_file()]
                + [nb.source for nb in planned]
                + [f for place in named.values() for f in ([place] if place.is_file() else place.rglob("*"))],
                relative_to=out_dir,
            ),
            "notebooks": sorted([*carried, *entries], key=lambda n: n["name"]),
        }
        lang = str(extra.get("lang", "en"))
        titles = {  # each report's title in the run's language (the first heading of its edition)
            source.stem: report_title(
                editions.select(json.loads(source.read_text(encoding="utf-8")), lang=lang, synthetic=pkg.synthetic)
            )
            for source in every
        }
        pdf_file = printing.pdf_name(year, lang)

        def landing(link: str | None) -> Path:
            index = yearpage.write(
                staging,
                yearpage.page(
                    year,
                    {e["name"]: e["metrics"] or {} for e in manifest["notebooks"]},
                    manifest,
                    earlier=_earlier_years(out_dir, year, manifest["data"]),
                    lang=lang,
                    titles=titles,
                    pdf=link,
                ),
            )
            _finish_pages([index, *[staging / e["html"] for e in manifest["notebooks"]]])
            return index

        printable = ok and browser is not None
        index = landing(pdf_file if printable else None)
        if not ok:
            manifest["pdf"] = {"status": "skipped", "reason": "a notebook failed"}
        elif browser is None:
            reason = "not asked for (--pdf no)" if pdf == "no" else f"no browser found: {printing.BROWSER_HINT}"
            manifest["pdf"] = {"status": "skipped", "reason": reason}
            if pdf == "auto":
                log.warning("no PDF of the year's report: %s", reason)
        else:
            pages = [(yearpage.title(year, lang), index)] + [
                (titles.get(e["name"], e["name"]), staging / e["html"]) for e in manifest["notebooks"]
            ]
            log.info("printing the year's report (%d pages) into %s", len(pages), pdf_file)
            try:
                printing.print_pdf(pages, staging / pdf_file, browser=browser, title=yearpage.title(year, lang))
                manifest["pdf"] = {"status": "ok", "file": pdf_file}
            except Exception as exc:  # noqa: BLE001  (the browser, pypdf or the disk: never loses the reports)
                error = _scrub_paths(
                    f"{type(exc).__name__}: {exc}" if not isinstance(exc, BrowserError) else str(exc), places
                )
                for leftover in staging.glob("*.pdf*"):
                    leftover.unlink()
                landing(None)
                if pdf == "yes":  # asked for: the run fails (its reports kept beside the previous output)
                    log.error("the year's PDF could not be printed: %s", error)
                    manifest["pdf"] = {"status": "failed", "error": error}
                    ok = False
                    manifest["status"] = "failed"
                else:  # --pdf auto: the reports are the run; the PDF is said to be missing, and why
                    log.warning("no PDF of the year's report: it could not be printed: %s", error)
                    manifest["pdf"] = {"status": "skipped", "reason": f"printing failed: {error}"}
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        manifest["files"] = sorted([*files, _MANIFEST])
        write_manifest(staging / _MANIFEST, manifest)
        final = out_dir
        if not ok:
            final = folders.move_aside(
                staging, out_dir.parent / f"{out_dir.name}.failed", marker=_MANIFEST, listed=_listed
            )
    for nb in planned:
        nb.executed, nb.html, nb.out_dir = (final / nb.executed.name, final / nb.html.name, final / nb.out_dir.name)
    return RunResult(
        year=year,
        out_dir=final,
        manifest_path=final / _MANIFEST,
        notebooks=planned,
        wall_seconds=wall,
        pdf=manifest["pdf"],
    )


#: The id of the style block :func:`_finish_pages` gives each page (replaced, never added twice).
_PAGE_STYLE = "evalkit-page-style"


def _finish_pages(pages: list[Path]) -> None:
    """Give every page its print style, and embed the CJK characters the ``pages`` use, cut from evalkit's
    font, into each page that has any, so that Chinese renders on a machine without a CJK font and each page
    stays one file (one cut of the font serves all)."""
    texts = {page: page.read_text(encoding="utf-8") for page in pages if page.is_file()}
    font = web_font_css("".join(texts.values()))
    for page, text in texts.items():
        css = printing.PAGE_CSS + (font if cjk_characters(text) else "")
        block = f'<style id="{_PAGE_STYLE}">\n{css}</style>\n'
        earlier = re.compile(rf'<style id="{_PAGE_STYLE}">.*?</style>\n', flags=re.S)  # a carried-over page's
        text = earlier.sub("", text)
        page.write_text(text.replace("</head>", f"{block}</head>", 1), encoding="utf-8")


def _earlier_years(
    out_dir: Path, year: int, data: dict[str, object] | None = None
) -> dict[int, dict[str, dict[str, float]]]:
    """The metrics of the successful runs of earlier years found beside ``out_dir`` (folders named by
    their year holding a manifest) on the same data package as ``data`` (the manifest's ``data`` entry:
    the package's name and whether it is synthetic), by year and notebook."""
    same = {k: (data or {}).get(k) for k in ("package", "synthetic")}
    found: dict[int, dict[str, dict[str, float]]] = {}
    for folder in out_dir.parent.iterdir() if out_dir.parent.is_dir() else ():
        if not (folder.name.isdigit() and int(folder.name) < year and (folder / _MANIFEST).is_file()):
            continue
        try:
            manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        theirs = manifest.get("data") or {}
        if data is not None and any(theirs.get(k) != v for k, v in same.items()):
            continue  # another package's figures are not this county's earlier years
        if manifest.get("status") == "ok" and manifest.get("year") == int(folder.name):
            found[int(folder.name)] = {n["name"]: n.get("metrics") or {} for n in manifest.get("notebooks", [])}
    return found


def _display_source(source: Path) -> str:
    try:
        return str(source.resolve().relative_to(paths.project_root()))
    except ValueError:
        return source.name
