"""The annual runner end to end, through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from evalkit import paths
from evalkit.runner.manifest import sha256_file


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


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, evalkit_cli) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("run") / "2018"
    return _cli(evalkit_cli, "run", "--out", str(out)), out


def test_full_run_writes_everything(full_run) -> None:
    done, out = full_run
    assert done.returncode == 0, done.stderr
    for nb in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")):
        assert (out / f"{nb.stem}.ipynb").is_file()
        assert (out / f"{nb.stem}.html").stat().st_size > 10_000
        assert (out / nb.stem / "metrics.json").is_file()
        assert any((out / nb.stem / "figures").glob("*.png"))
        assert any((out / nb.stem / "tables").glob("*.csv"))


def test_manifest(full_run) -> None:
    _, out = full_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["year"] == 2018 and manifest["status"] == "ok"
    assert manifest["wall_seconds"] > 0 and manifest["started_at"] <= manifest["finished_at"]
    assert manifest["packages"]["pandas"] and manifest["packages"]["papermill"]
    assert "commit" in manifest["git"]
    inputs = {item["path"]: item["sha256"] for item in manifest["inputs"]}
    ledger = paths.published_dir() / "ledger.csv"
    assert inputs["data/published/ledger.csv"] == sha256_file(ledger)
    assert "notebooks/01_incidence_trends.ipynb" in inputs
    nb = {n["name"]: n for n in manifest["notebooks"]}["01_incidence_trends"]
    assert nb["status"] == "ok" and nb["wall_seconds"] > 0
    assert nb["parameters"]["year"] == 2018 and nb["parameters"]["out_dir"].endswith("01_incidence_trends")
    assert nb["metrics"]["remaining_persons"] == 1259


def test_executed_notebook_carries_the_numbers(full_run) -> None:
    _, out = full_run
    metrics = json.loads((out / "01_incidence_trends" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["remaining_households"] == 637
    assert metrics["remaining_persons"] == 1259
    html = (out / "01_incidence_trends.html").read_text(encoding="utf-8")
    assert "health_subgroups" in html


def test_failing_notebook_does_not_stop_the_others(tmp_path, evalkit_cli) -> None:
    folder = tmp_path / "nbs"
    folder.mkdir()
    shutil.copy(paths.notebooks_dir() / "01_incidence_trends.ipynb", folder)
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


def test_unknown_parameter_stops_before_running(tmp_path, evalkit_cli) -> None:
    out = tmp_path / "out"
    done = _cli(evalkit_cli, "run", "--out", str(out), "-p", "colour=red")
    assert done.returncode == 2
    assert (
        "unknown parameter 'colour': no notebook run here takes it; they take: af_k, budget, caliper, clean_dir, "
        "cluster, comparison, covariates, data_dir, dataset, estimators, group_by, icc, lang, line, min_count, "
        "monitoring_line, out_dir, outcome, p_true, per_village, power, region, remaining_persons, reps, "
        "rural_persons, seed, survey_file, treatment, year" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (out / "manifest.json").exists()


def test_wrong_type_and_value_are_reported_with_allowed_values(tmp_path, evalkit_cli) -> None:
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(
        folder / "01_typed.ipynb",
        "pass",
        params='year: int = 2018  # year\nratio: float = 0.5  # a share\nout_dir: str = ""  # out',
    )
    done = _cli(
        evalkit_cli,
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


def test_jobs_must_be_positive(tmp_path, evalkit_cli) -> None:
    done = _cli(evalkit_cli, "run", "--out", str(tmp_path / "o"), "--jobs", "0")
    assert done.returncode == 2 and "jobs must be at least 1, got 0" in done.stderr


def test_no_notebooks_is_an_error(tmp_path, evalkit_cli) -> None:
    done = _cli(evalkit_cli, "run", "--notebooks-dir", str(tmp_path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "no notebooks found" in done.stderr


def test_params_command(evalkit_cli) -> None:
    done = _cli(evalkit_cli, "params", "01_incidence_trends")
    assert done.returncode == 0
    assert "year: int = 2018" in done.stdout and "allowed: 2015, 2016, 2017, 2018" in done.stdout
    assert "lang: str = 'en'" in done.stdout and "allowed: en, zh" in done.stdout


def test_reconcile_command(evalkit_cli) -> None:
    done = _cli(evalkit_cli, "reconcile", "--failing")
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
