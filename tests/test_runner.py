"""The annual runner through the command line: a failing notebook, rejected parameters, the other verbs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest


def _cli(evalkit_cli: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*evalkit_cli, *args], capture_output=True, text=True, timeout=900, check=False)


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
        evalkit_cli, "run", "--notebooks-dir", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "120"
    )
    assert done.returncode == 1
    assert "02_broken: failed at cell" in done.stderr
    assert "RuntimeError: deliberate failure for the test" in done.stderr
    assert "Traceback" not in done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert status == {"01_incidence_trends": "ok", "02_broken": "failed"}
    assert manifest["status"] == "failed" and manifest["jobs"] == 2
    broken = {n["name"]: n for n in manifest["notebooks"]}["02_broken"]
    assert broken["failed_cell_source"].startswith("x = 1")
    assert (out / "02_broken.html").is_file()
    assert (out / "01_incidence_trends" / "metrics.json").is_file()


def test_unknown_parameter_stops_before_running(tmp_path, run_cli) -> None:
    out = tmp_path / "out"
    done = run_cli("run", "--out", str(out), "-p", "colour=red")
    assert done.returncode == 2
    assert (
        "unknown parameter 'colour': no notebook run here takes it; they take: af_k, budget, caliper, clean_dir, "
        "cluster, comparison, covariates, data_dir, dataset, estimators, group_by, icc, lang, line, min_count, "
        "monitoring_line, out_dir, outcome, p_true, per_village, power, region, remaining_persons, reps, "
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


def test_workers_share_the_cores(monkeypatch) -> None:
    """Each worker's kernels get cores / jobs BLAS threads, unless the user set a number."""
    import importlib
    import os
    import sys

    run_module = importlib.import_module("evalkit.runner.run")  # the module, not the function it exports

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    monkeypatch.setitem(sys.modules, "rfc3987_syntax", sys.modules.get("rfc3987_syntax"))
    run_module._start_worker(1)
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "3"
