"""The annual runner through the command line: a failing notebook, rejected parameters, the other verbs."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest


def _cli(evalkit_cli: list[str], *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*evalkit_cli, *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _notebook(
    path: Path,
    body: str,
    params: str = 'year: int = 2018  # year\nlang: str = "en"  # language\nout_dir: str = ""  # output folder',
) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "evalkit", "display_name": "evalkit", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(path))


@pytest.mark.slow
def test_failing_notebook_does_not_stop_the_others(tmp_path, evalkit_cli) -> None:
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(
        folder / "01_incidence_trends.ipynb",
        "from evalkit import report\nreport.write_metrics(out_dir, {'year': year})",
    )
    _notebook(folder / "02_broken.ipynb", "x = 1\nraise RuntimeError('deliberate failure for the test')")
    out = tmp_path / "out"
    done = _cli(
        evalkit_cli,
        "run",
        "--notebooks-dir",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--timeout",
        "120",
        "--pdf",
        "no",
    )
    assert done.returncode == 1
    assert "02_broken: failed at cell" in done.stderr
    assert "RuntimeError: deliberate failure for the test" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()  # a failed run replaces no output: it is kept beside, as out.failed
    out = tmp_path / "out.failed"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert status == {"01_incidence_trends": "ok", "02_broken": "failed"}
    assert manifest["status"] == "failed" and manifest["jobs"] == 2
    broken = {n["name"]: n for n in manifest["notebooks"]}["02_broken"]
    assert broken["failed_cell_source"].startswith("x = 1")
    assert (out / "02_broken.html").is_file()
    assert (out / "01_incidence_trends" / "metrics.json").is_file()


@pytest.mark.slow
def test_quiet_prints_nothing_on_success_and_only_the_error_on_failure(tmp_path, evalkit_cli) -> None:
    """``--quiet`` is for cron: a run that succeeds prints nothing at all (no progress, no kernel notices);
    one that fails prints only what failed, on stderr, and exits 1."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(
        folder / "01_incidence_trends.ipynb",
        "from evalkit import report\nreport.write_metrics(out_dir, {'year': year})",
    )
    done = _cli(evalkit_cli, "run", "--quiet", "--notebooks-dir", str(folder), "--out", str(tmp_path / "ok"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    _notebook(folder / "02_broken.ipynb", "raise RuntimeError('deliberate failure for the test')")
    done = _cli(evalkit_cli, "run", "-q", "--notebooks-dir", str(folder), "--out", str(tmp_path / "bad"))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[0].startswith("evalkit: 02_broken: failed at cell")
    assert all(line.startswith("evalkit: ") or line.startswith("  ") for line in done.stderr.splitlines())


def test_progress_names_each_section_a_notebook_enters_with_its_elapsed_time(tmp_path, evalkit_cli) -> None:
    """On a terminal, each notebook says which section it has reached (its level-one and level-two headings)
    and how long it has run, then that it ended; --quiet would print none of it (test above)."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01_incidence_trends.ipynb", "import time\ntime.sleep(1.2)")
    nb = nbformat.read(str(folder / "01_incidence_trends.ipynb"), as_version=4)
    nb.cells[1:1] = [nbformat.v4.new_markdown_cell("# 01 · Trends\n\nText")]
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("## 1. Reach\n\nText"))
    nb.cells.append(nbformat.v4.new_markdown_cell("### a detail, not a section"))
    nb.cells.append(nbformat.v4.new_code_cell("from evalkit import report\nreport.write_metrics(out_dir, {'year': 1})"))
    nbformat.write(nb, str(folder / "01_incidence_trends.ipynb"))
    done = _cli(evalkit_cli, "run", "--notebooks-dir", str(folder), "--out", str(tmp_path / "out"), "--pdf", "no")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("evalkit: 01_incidence_trends")]
    assert [re.sub(r"\(\d+ s\)|\(\d+\.\d s\)", "(T)", line) for line in lines] == [
        "evalkit: 01_incidence_trends · 01 · Trends (T)",
        "evalkit: 01_incidence_trends · 1. Reach (T)",
        "evalkit: 01_incidence_trends: ok (T)",
    ]
    entered = [int(re.search(r"\((\d+) s\)", line).group(1)) for line in lines[:2]]
    assert entered[1] >= entered[0] + 1  # the second section began after the 1.2 s cell


def test_unknown_parameter_stops_before_running(tmp_path, run_cli) -> None:
    out = tmp_path / "out"
    done = run_cli("run", "--out", str(out), "-p", "colour=red")
    assert done.returncode == 2
    assert (
        "unknown parameter 'colour': no notebook run here takes it; they take: af_k, budget, caliper, clean_dir, "
        "cluster, comparison, covariates, data_dir, dataset, estimators, group_by, icc, lang, line, min_count, "
        "monitoring_line, out_dir, outcome, p_true, per_village, power, region, relative_share, remaining_persons, reps, "
        "rural_persons, seed, survey_file, treatment, wild_cluster, year" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (out / "manifest.json").exists()


def test_wrong_type_and_value_are_reported_with_allowed_values(tmp_path, run_cli) -> None:
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(
        folder / "01_typed.ipynb",
        "pass",
        params='year: int = 2018  # year\nratio: float = 0.5  # a share\nout_dir: str = ""  # out',
    )
    done = run_cli(
        "run",
        "--notebooks-dir",
        str(folder),
        "--out",
        str(tmp_path / "o"),
        "-p",
        "ratio=abc",
        "--year",
        "2031",
    )
    assert done.returncode == 2
    assert "01_typed: parameter 'ratio' must be float, got str 'abc'" in done.stderr
    assert "01_typed: parameter 'year' = 2031 is not allowed; allowed values: 2015, 2016, 2017, 2018" in done.stderr


def test_jobs_must_be_positive(tmp_path, run_cli) -> None:
    done = run_cli("run", "--out", str(tmp_path / "o"), "--jobs", "0")
    assert done.returncode == 2 and "jobs must be at least 1, got 0" in done.stderr


def test_no_notebooks_is_an_error(tmp_path, run_cli) -> None:
    done = run_cli("run", "--notebooks-dir", str(tmp_path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "no notebooks found" in done.stderr


def test_params_command(run_cli) -> None:
    done = run_cli("params", "01_incidence_trends")
    assert done.returncode == 0
    assert "year: int = 2018" in done.stdout and "allowed: 2015, 2016, 2017, 2018" in done.stdout
    assert "lang: str = 'en'" in done.stdout and "allowed: en, zh" in done.stdout


def test_reconcile_command(run_cli) -> None:
    done = run_cli("reconcile", "--failing")
    assert done.returncode == 0
    assert "health_subgroups" in done.stdout and "-12" in done.stdout


def test_every_kernel_gets_one_blas_thread(monkeypatch) -> None:
    """Results do not depend on --jobs: every kernel adds in the same order (one BLAS thread), unless the
    user set a number."""
    import importlib

    run_module = importlib.import_module("evalkit.runner.run")  # the module, not the function it exports

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    run_module._one_blas_thread()
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "3"


def _sleeper(folder: Path, pid_file: Path, seconds: int = 120) -> None:
    """A notebook whose kernel writes its process id, then waits."""
    _notebook(
        folder / "01_sleep.ipynb",
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep({seconds})",
    )


def _wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def _gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["interrupt", "kill"])
def test_a_stopped_run_leaves_the_previous_output_and_no_process(tmp_path, evalkit_cli, how) -> None:
    """Ctrl-C or a kill during a run: the previous complete output stays as it was, nothing half-written
    is visible, and no worker or kernel outlives the run; a second run meanwhile is refused."""
    quick, slow, out = tmp_path / "quick", tmp_path / "slow", tmp_path / "runs" / "2018"
    quick.mkdir()
    slow.mkdir()
    _notebook(quick / "01_quick.ipynb", "from evalkit import report\nreport.write_metrics(out_dir, {'year': year})")
    first = _cli(evalkit_cli, "run", "--notebooks-dir", str(quick), "--out", str(out), "--pdf", "no")
    assert first.returncode == 0, first.stderr
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    pid_file = tmp_path / "kernel.pid"
    _sleeper(slow, pid_file)
    running = subprocess.Popen(
        [*evalkit_cli, "run", "--notebooks-dir", str(slow), "--out", str(out), "--pdf", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(pid_file)
        second = _cli(evalkit_cli, "run", "--notebooks-dir", str(quick), "--out", str(out), "--pdf", "no")
        assert second.returncode == 2 and "another evalkit command is writing" in second.stderr
        running.send_signal(how)
        running.wait(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
    assert running.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL)
    assert _gone(int(pid_file.read_text())), "the kernel outlived the run"
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    visible = sorted(p.name for p in out.parent.iterdir() if not p.name.startswith("."))
    assert visible == ["2018"]
    again = _cli(
        evalkit_cli, "run", "--notebooks-dir", str(quick), "--out", str(out), "--pdf", "no"
    )  # a stale lock is taken
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["2018"]  # leftovers of the killed run removed


def test_outputs_over_inputs_or_foreign_files_are_refused(tmp_path, run_cli, repo_root) -> None:
    done = run_cli("run", "--only", "07_registry_overview", "--out", str(repo_root / "notebooks"))
    assert done.returncode == 2 and "evalkit's own notebooks/ folder" in done.stderr
    assert (repo_root / "notebooks" / "07_registry_overview.ipynb").is_file()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    done = run_cli("run", "--only", "07_registry_overview", "--out", str(foreign))
    assert done.returncode == 2 and "removes only what it wrote itself" in done.stderr
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    done = run_cli("run", "--only", "00_data_quality", "-p", f"clean_dir={tmp_path / 'nowhere'}")
    assert done.returncode == 2 and "not a folder written by `evalkit clean`" in done.stderr


def test_a_browser_that_cannot_print_skips_the_pdf_unless_it_was_asked_for(tmp_path, evalkit_cli) -> None:
    """``--pdf auto``: the reports are the run; a browser that fails leaves no PDF, a warning and the reason
    in the manifest, exit 0. ``--pdf yes``: the run fails (exit 1) and says it was the PDF."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(
        folder / "01_incidence_trends.ipynb", "from evalkit import report\nreport.write_metrics(out_dir, {'year': 1})"
    )
    env = {"EVALKIT_CHROMIUM": "/bin/false"}
    done = _cli(evalkit_cli, "run", "--notebooks-dir", str(folder), "--out", str(tmp_path / "auto"), env=env)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "auto" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok" and manifest["pdf"]["status"] == "skipped"
    assert manifest["pdf"]["reason"].startswith("printing failed: ") and "no PDF of the year's report" in done.stderr
    assert not list((tmp_path / "auto").glob("*.pdf*")) and ".pdf" not in (tmp_path / "auto" / "index.html").read_text()
    assert (tmp_path / "auto" / "index.html").read_text().count('id="evalkit-page-style"') == 1
    done = _cli(
        evalkit_cli,
        "run",
        "-q",
        "--notebooks-dir",
        str(folder),
        "--out",
        str(tmp_path / "yes"),
        "--pdf",
        "yes",
        env=env,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "evalkit: the year's PDF could not be printed: " in done.stderr
