"""The one full annual run of the test suite, and every test that reads it: the runner's outputs and
manifest, the identifier-leak check over everything written and printed, each notebook executed in the
evalkit kernel. Then the build of a data package from an office's raw files (``built``), and the round
trip that evaluates that package and compares it with the annual run: both in this module, so that
``make test`` (one module per worker) makes each once.

The run is ``evalkit clean`` of the synthetic county written as an office's messy export (full of fake
names, ID numbers and phones), then ``evalkit run -p clean_dir=...``, so that the data-quality notebook
reports on a real cleaning run. Every test of it is in this module, so that ``make test`` (one module per
worker) runs it once; other notebook tests run a notebook's cells in the test process
(``notebook_cells.run_notebook``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from browsing import browser_for, chromium_or_reason, fonts_without_cjk, pdf_cjk_fonts

from evalkit import build, cli, datasets, package, paths, report
from evalkit.io import PseudonymKey
from evalkit.runner.manifest import sha256_file
from evalkit.synth.raw import write_raw

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))

#: the pseudonym key of the run's cleaning (tests only; a real key is random and kept outside)
RUN_KEY = "c47e1a9f3b2d60e58f0a1c7d94b3e26a"


def _cli(
    command: list[str], *args: str, key: str | None = None, timeout: int = 900, extra_env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the evalkit CLI with ``key`` (or no key) as ``$EVALKIT_PSEUDONYM_KEY``."""
    env = {k: v for k, v in os.environ.items() if k != "EVALKIT_PSEUDONYM_KEY"} | (extra_env or {})
    if key is not None:
        env["EVALKIT_PSEUDONYM_KEY"] = key
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def annual_run(tmp_path_factory, evalkit_cli) -> SimpleNamespace:
    """The one full annual run of the test session, on the synthetic county written as an office's messy
    export full of fake names, ID numbers and phones: ``evalkit clean`` of that export, then ``evalkit run``
    with ``-p clean_dir=`` so the data-quality notebook reports on it. The runner, leak and notebook tests
    all read this run (``out``: the year folder; ``clean_dir``; ``cleaned`` and ``run``: the two commands'
    results; ``faults``: what was planted in the export; ``export``: its path)."""
    from evalkit.synth.export import messy_export

    root = tmp_path_factory.mktemp("annual_run")
    export = root / "raw" / "export.xlsx"
    faults = messy_export(datasets.load_county(), export)
    clean_dir, out = root / "clean", root / "outputs" / "2018"
    cleaned = _cli(
        evalkit_cli,
        "clean",
        str(export),
        "--out",
        str(clean_dir),
        "--year",
        "2018",
        "--poverty-line",
        "3134.4",
        key=RUN_KEY,
    )
    assert cleaned.returncode == 0, cleaned.stderr
    no_cjk = fonts_without_cjk(root / "fontconfig")  # the PDF printed as on a machine without CJK fonts
    run = _cli(evalkit_cli, "run", "--out", str(out), "-p", f"clean_dir={clean_dir}", extra_env=no_cjk)
    return SimpleNamespace(
        no_cjk=no_cjk,
        out=out,
        clean_dir=clean_dir,
        export=export,
        faults=faults,
        cleaned=cleaned,
        run=run,
        manifest=json.loads((out / "manifest.json").read_text(encoding="utf-8")) if run.returncode == 0 else None,
    )


def test_full_run_writes_everything(annual_run) -> None:
    done, out = annual_run.run, annual_run.out
    assert done.returncode == 0, done.stderr
    for nb in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")):
        assert (out / f"{nb.stem}.ipynb").is_file()
        assert (out / f"{nb.stem}.html").stat().st_size > 10_000
        assert (out / nb.stem / "metrics.json").is_file()
        assert any((out / nb.stem / "figures").glob("*.png"))
        assert any((out / nb.stem / "tables").glob("*.csv"))


def test_manifest(annual_run) -> None:
    out = annual_run.out
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


def test_executed_notebook_carries_the_numbers(annual_run) -> None:
    out = annual_run.out
    metrics = json.loads((out / "01_incidence_trends" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["remaining_households"] == 637
    assert metrics["remaining_persons"] == 1259
    html = (out / "01_incidence_trends.html").read_text(encoding="utf-8")
    assert "health_subgroups" in html


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_ran_in_a_kernel_and_says_what_its_data_is(annual_run, path: Path) -> None:
    """The shared annual run executed every notebook in the evalkit kernel; each says whether its data is
    synthetic (the data-quality report there reads a cleaning run, so it names that instead)."""
    assert annual_run.run.returncode == 0, annual_run.run.stderr
    executed = (annual_run.out / f"{path.stem}.ipynb").read_text(encoding="utf-8")
    if path.stem == "00_data_quality":
        assert "cleaning run" in executed
    else:
        assert "SYNTHETIC DATA" in executed and "合成数据" in executed
    assert "Traceback" not in executed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_report_has_a_title_and_no_code_printed_output_or_parameters(annual_run, path: Path) -> None:
    """A report is for readers: titled by the notebook's heading (not "Notebook"), in the run's language,
    no code cell showing its input, nothing Python printed, no parameters table; the executed notebook keeps
    its code for analysts. The run printed no kernel notices."""
    from html import unescape

    from evalkit.runner.execute import report_title

    html = (annual_run.out / f"{path.stem}.html").read_text(encoding="utf-8")
    title = unescape(re.search(r"<title>(.*?)</title>", html).group(1))
    assert title == report_title(json.loads(path.read_text(encoding="utf-8")))
    assert title.startswith(path.stem[:2] + " · ") and '<html lang="en"' in html
    code_cells = re.findall(r'class="jp-Cell jp-CodeCell([^"]*)"', html)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
    assert 'data-mime-type="application/vnd.jupyter.std' not in html
    assert "<strong>Parameters</strong>" not in html
    executed = json.loads((annual_run.out / f"{path.stem}.ipynb").read_text(encoding="utf-8"))
    assert any("params.check(" in "".join(c["source"]) for c in executed["cells"] if c["cell_type"] == "code")
    assert "IPKernelApp" not in annual_run.run.stderr and "Warning" not in html


def test_every_figure_was_checked_and_reads_cleanly(annual_run) -> None:
    """Every figure of the eight notebooks was checked as it was saved (tests/test_figures.py tests the
    check): in English, no text overlaps another and no character is drawn as a box."""
    assert annual_run.run.returncode == 0, annual_run.run.stderr
    figures = {n["name"]: n["figures"] for n in annual_run.manifest["notebooks"]}
    for name, found in figures.items():
        assert found["checked"] == len(list((annual_run.out / name / "figures").glob("*.png"))), name
    assert sum(found["checked"] for found in figures.values()) >= 19
    assert {name: found["problems"] for name, found in figures.items() if found["problems"]} == {}


def test_the_year_page_links_every_report_and_shows_the_headlines(annual_run) -> None:
    """``index.html``: titled by the year, every report linked (and there), the headline figures equal to
    the notebooks' metrics, and listed in the manifest."""
    page = (annual_run.out / "index.html").read_text(encoding="utf-8")
    assert "<title>Annual evaluation 2018</title>" in page and "SYNTHETIC DATA" in page
    links = re.findall(r'href="([^"]+)"', page)
    pdf = [annual_run.manifest["pdf"]["file"]] if annual_run.manifest["pdf"]["status"] == "ok" else []
    assert sorted(links) == sorted([f"{p.stem}.html" for p in NOTEBOOKS] + pdf)
    assert all((annual_run.out / link).is_file() for link in links)
    incidence = report.read_metrics(annual_run.out / "01_incidence_trends")["registry_incidence_pct"]
    assert f'<td class="num">{incidence:.2f}%</td>' in page
    assert "index.html" in annual_run.manifest["files"]


BROWSER, WHY_NOT = chromium_or_reason()


@pytest.fixture(scope="module")
def browser(annual_run):
    yield from browser_for(annual_run.no_cjk)


@pytest.mark.parametrize("name", ["index", *(p.stem for p in NOTEBOOKS)])
def test_in_a_browser_without_cjk_fonts_each_page_reads_cleanly(browser, annual_run, name) -> None:
    """Opened in headless Chromium on a machine with no CJK font: no console error or failed request, no
    broken link or image, a real title, no visible code or Python repr, every Chinese character drawn in
    the font the page embeds."""
    assert browser.problems(annual_run.out / f"{name}.html", lang="en") == []


def test_the_year_pdf_holds_every_page_with_chinese_in_the_embedded_font(annual_run) -> None:
    """One PDF: the year page then each report in order, a bookmark each, titled by the year; printed with
    no CJK font on the machine, its Chinese is drawn only in the font the pages embed. Without a browser
    the manifest says why there is no PDF."""
    from pypdf import PdfReader

    from evalkit.runner.execute import report_title

    from evalkit.report.printing import find_browser

    record = annual_run.manifest["pdf"]
    if find_browser() is None:  # the run had none either
        assert record["status"] == "skipped" and "no browser found" in record["reason"]
        pytest.skip(WHY_NOT)
    assert record == {"status": "ok", "file": "evalkit-report-2018-en.pdf"}
    reader = PdfReader(annual_run.out / record["file"])
    titles = [report_title(json.loads(p.read_text(encoding="utf-8"))) for p in NOTEBOOKS]
    assert [item.title for item in reader.outline] == ["Annual evaluation 2018", *titles]
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
    assert starts[0] == 0 and starts == sorted(set(starts)) and len(reader.pages) > starts[-1]  # each report its pages
    links = [  # no link in the filed PDF names the folder the run was written in
        str(a.get_object()["/A"].get_object().get("/URI", ""))
        for page in reader.pages
        for a in (page.get("/Annots") or [])
        if "/A" in a.get_object()
    ]
    assert links and not [uri for uri in links if uri.startswith(("file:", "/"))]
    assert reader.metadata.title == "Annual evaluation 2018"
    assert "Annual evaluation 2018" in reader.pages[0].extract_text()
    drawn = pdf_cjk_fonts(annual_run.out / record["file"])
    assert sum(drawn.values()) > 0 and set(drawn) == {"/Type3"}, drawn  # the pages' embedded font, no other
    assert record["file"] in annual_run.manifest["files"]


def test_incidence_trends_in_english_for_2018(annual_run) -> None:
    out = annual_run.out / "01_incidence_trends"
    metrics = report.read_metrics(out)
    assert metrics["incidence_published_pct"] == 0.97
    assert metrics["incidence_start_pct"] == 6.2
    assert metrics["cumulative_exits_households"] == 2964
    assert metrics["identities_failed"] == 1
    assert metrics["below_exit_threshold"] == 1
    exits = report.read_table(out, "exits_by_year")
    assert exits["Households"].tolist() == [183, 494, 996, 1291]
    ledger = report.read_table(out, "ledger")
    assert len(ledger) == metrics["ledger_figures"] > 150
    # household data: registry trend, survey indicators with intervals
    assert metrics["registry_poor_persons"] == 1259 and metrics["registry_incidence_pct"] == 0.9685
    survey = report.read_table(out, "survey_indicators").set_index("Indicator")
    assert (
        survey.loc["headcount ratio", "Standard error method"] == "linearized"
        and survey.loc["Sen index", "Standard error method"] == "cluster bootstrap"
    )
    low, high = survey.loc["headcount ratio", ["95% CI low", "95% CI high"]]
    assert low < metrics["survey_headcount"] < high
    af = report.read_table(out, "guarantees_dimensions")
    assert af["Contribution"].sum() == pytest.approx(1.0)


def test_program_coverage_notebook(annual_run) -> None:
    out = annual_run.out / "06_program_coverage"
    metrics = report.read_metrics(out)
    assert metrics["microcredit_households"] == 1568
    assert metrics["relocated_poor_households"] == 89 and metrics["ranger_persons"] == 273
    assert metrics["ledger_differences"] == 0
    assert (out / "figures" / "combinations.png").stat().st_size > 10_000


def test_no_identifier_reaches_any_output_of_cleaning_and_evaluation(annual_run) -> None:
    """The synthetic messy export is full of fake names, ID numbers and phones; none may come out anywhere:
    not in the cleaning run, not in any file of the annual evaluation on it, not in anything printed."""
    secrets_ = _identifiers_of(annual_run.export)
    assert len(secrets_) > 20_000  # names (some shared), ID numbers and phones of 8,055 members
    cleaned, run, faults = annual_run.cleaned, annual_run.run, annual_run.faults
    summary = json.loads((annual_run.clean_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_in"] == faults.rows_in == summary["rows_kept"] + summary["rows_quarantined"]
    assert summary["rows_quarantined"] == len(faults.quarantined_rows)
    assert run.returncode == 0, run.stderr
    metrics = json.loads((annual_run.out / "00_data_quality" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["rows_in"] == summary["rows_in"] and metrics["synthetic"] == 0
    texts = [cleaned.stdout, cleaned.stderr, run.stdout, run.stderr]
    for folder in (annual_run.clean_dir, annual_run.out):
        texts.extend(_written(folder).values())
    assert _leaked(secrets_, "\n".join(texts)) == []


def _written(folder: Path) -> dict[Path, str]:
    return {
        p: p.read_bytes().decode("utf-8", errors="ignore")
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".png"
    }


def test_no_output_names_an_absolute_path(annual_run, repo_root) -> None:
    """Reports, executed notebooks, manifests, tables and the cleaning run name paths relative to their
    folder only: not the machine's folders, the project's, the interpreter's or the user's."""
    import sys

    places = {str(annual_run.out.parents[1]), str(repo_root), sys.prefix, sys.base_prefix, str(Path.home())}
    places |= {str(Path(p).resolve()) for p in places}
    for folder in (annual_run.out, annual_run.clean_dir):
        for path, text in _written(folder).items():
            named = sorted(place for place in places if place in text)
            assert not named, f"{path.relative_to(folder.parent)} names {named}"


def test_published_village_tables_show_no_small_counts(annual_run) -> None:
    """Every table of the report at village level shows no count from 1 to 4 (the default ``min_count``);
    tables listing households or persons per village are written apart, under internal/, and the reports
    show nothing of them."""
    village_tables = 0
    for table in sorted(annual_run.out.glob("*/tables/*.csv")):
        frame = report.read_table(table.parents[1], table.stem)
        if "Village" not in frame.columns:
            continue
        village_tables += 1
        counts = [c for c in frame.columns if re.search("household|person|borrower", c, re.I)]
        counts = [c for c in counts if not re.search("share|%|mean", c, re.I)]  # rates and means of counts
        assert counts, f"{table}: no count column recognised among {frame.columns.tolist()}"
        for column in counts:
            values = frame[column]
            small = values.loc[(values > 0) & (values < 5)]
            assert small.empty, f"{table.parent.parent.name}/{table.name}: {column} shows {small.tolist()[:5]}"
    assert village_tables >= 4
    internal = sorted(str(p.relative_to(annual_run.out)) for p in annual_run.out.glob("*/internal/*.csv"))
    assert internal == [
        "00_data_quality/internal/by_village.csv",
        "00_data_quality/internal/quarantine_sample.csv",
        "05_exit_assessment/internal/results_template.csv",
        "05_exit_assessment/internal/visit_list.csv",
    ]
    visit = report.read_table(annual_run.out / "05_exit_assessment", "visit_list", internal=True)
    report_html = (annual_run.out / "05_exit_assessment.html").read_text(encoding="utf-8")
    assert len(visit) > 100 and not any(key in report_html for key in visit.iloc[:, 2])


def _identifiers_of(export: Path) -> set[str]:
    import openpyxl

    book = openpyxl.load_workbook(export, read_only=True)
    values: set[str] = set()
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        next(rows)  # title
        header = list(next(rows))  # upper header row: single cells merged down hold the names
        next(rows)
        cols = [header.index(h) for h in ("姓名", "证件号码", "联系电话")]
        for row in rows:
            for c in cols:
                if c < len(row) and row[c] not in (None, ""):
                    value = row[c]
                    values.add(str(value) if not isinstance(value, float) else f"{value:.0f}")
    book.close()
    return values


_CJK = "\u3400-\u9fff"


def _leaked(secrets_: set[str], blob: str) -> list[str]:
    """The secrets found in ``blob``, in one pass over it (not one search per secret).

    ID numbers and phones (ASCII) count wherever they occur, even inside a longer run of digits; names
    (2-3 Chinese characters) count where they stand as a whole word: not inside a longer run of Chinese
    characters (a name's characters occur in ordinary words too).
    """
    ascii_ = {v for v in secrets_ if v.isascii()}
    cjk = {v for v in secrets_ if re.fullmatch(f"[{_CJK}]+", v)}
    other = secrets_ - ascii_ - cjk
    found = set()
    lengths = {len(v) for v in ascii_}
    alphabet = "".join(sorted({re.escape(c) for v in ascii_ for c in v}))
    for run in re.findall(f"[{alphabet}]+", blob) if alphabet else []:
        for n in lengths:
            found.update(run[i : i + n] for i in range(len(run) - n + 1))
    found = (found & ascii_) | (set(re.findall(f"[{_CJK}]+", blob)) & cjk)
    found |= {v for v in other if re.search(rf"(?<![{_CJK}]){re.escape(v)}(?![{_CJK}])", blob)}
    return sorted(found)


def test_the_leak_check_finds_what_it_should() -> None:
    """Hand-made: an ID inside a longer number is found; a name inside a longer Chinese word is not."""
    blob = "row 7: x1404261960030501129, 王小明 called 13900000011; 张三丰收 village"
    secrets_ = {"140426196003050112", "13900000011", "王小明", "张三", "13800000000"}
    assert _leaked(secrets_, blob) == ["13900000011", "140426196003050112", "王小明"]


def test_the_raw_files_build_back_into_every_metric(annual_run, built, tmp_path, evalkit_cli) -> None:
    """The round trip: the raw files `evalkit synth --out` writes beside its package (an office's registry
    exports 2014-2019 in six forms, the place roster, the bank's ledger, the rosters), built into a package
    (the ``built`` fixture below; `evalkit build` itself is run on the plain exports below) and evaluated with `evalkit run --data`, give every metric of every notebook of the run
    on the committed package, the planted truth aside. The raw files are written as the command writes them
    for its default seed (`write_raw` of the county it generates, which is the committed one byte for byte:
    tests/test_synth.py)."""
    folder = built[1]
    run = _cli(
        evalkit_cli,
        "run",
        "--data",
        str(folder),
        "--year",
        "2018",
        "--out",
        str(tmp_path / "rt"),
        "--pdf",
        "no",
        "-p",
        f"clean_dir={annual_run.clean_dir}",  # the data-quality report of the same cleaning run
    )
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "rt" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"] == {  # the package as built, recorded in the manifest
        "package": json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["name"],
        "synthetic": True,
        "years": [2015, 2016, 2017, 2018, 2019],
        "key_fingerprint": KEY.fingerprint,
    }
    inputs = {f["path"] for f in manifest["inputs"]}  # an outside package is named relative to the output
    assert any(p.startswith("../") and p.endswith("/package/datapackage.json") for p in inputs), sorted(inputs)[:5]
    for path in NOTEBOOKS:
        ours, committed = (
            report.read_metrics(tmp_path / "rt" / path.stem),
            report.read_metrics(annual_run.out / path.stem),
        )
        planted = {k for k in committed if k.endswith(("_truth_in_ci", "_true"))}  # the truth is not in raw files
        assert set(committed) - set(ours) <= planted, path.stem
        same = set(committed) - planted
        assert {k: ours[k] for k in same} == {k: committed[k] for k in same}, path.stem


def test_a_package_with_only_the_required_tables_runs_to_the_end(tmp_path, evalkit_cli) -> None:
    """An office's package holding only the required tables (no survey, loan ledger, programs, training
    follow-up or published figures; not SYNTHETIC): every notebook runs to the end, and each section that
    needs a missing table says so in one sentence."""
    pkg = tmp_path / "pkg"
    core = ["townships", "villages", "households", "members", "panel"]
    (pkg / "synthetic").mkdir(parents=True)
    for name in core:
        (pkg / "synthetic" / f"synthetic_{name}.csv").write_bytes(
            (paths.data_dir() / "synthetic" / f"synthetic_{name}.csv").read_bytes()
        )
    package.describe_files(
        pkg,
        datasets.synthetic_files(core, published=False),
        name="core-only",
        title="Core tables only",
        synthetic=False,
        years=[2015, 2016, 2017, 2018],
    )
    out = tmp_path / "out"
    run = _cli(evalkit_cli, "run", "--data", str(pkg), "--out", str(out), "--pdf", "no")
    assert run.returncode == 0, run.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"]["synthetic"] is False and manifest["status"] == "ok"
    html = {nb.stem: (out / f"{nb.stem}.html").read_text(encoding="utf-8") for nb in NOTEBOOKS}
    says = "This data package has no {} table, so this section is not computed."
    assert says.format("poverty-alleviation loans (loans)") in html["02_microcredit"]
    assert says.format("assessment survey (survey)") in html["01_incidence_trends"]
    assert says.format("published figures (published)") in html["01_incidence_trends"]
    assert says.format("training and employment follow-up (labour)") in html["03_training_outcomes"]
    assert "No cleaning run was given (clean_dir)" in html["00_data_quality"]
    metrics = {nb.stem: report.read_metrics(out / nb.stem) for nb in NOTEBOOKS}
    assert all(m["synthetic"] == 0 for name, m in metrics.items() if "synthetic" in m)
    # what the required tables give is still computed, equal to the full package's run
    assert metrics["04_return_to_poverty"]["screened_households"] == 18
    assert metrics["01_incidence_trends"]["registry_poor_persons"] > 0
    for table in out.rglob("*.csv"):
        assert "truth" not in table.read_text(encoding="utf-8-sig").splitlines()[0].split(","), table.name


# ---------------------------------------------------------------- building a package from raw files
# The SYNTHETIC county written as an office's raw files (registry exports 2014-2019 in six forms, place
# roster, bank ledger) builds back into the committed numbers, identifiers never reach the package, and what
# cannot be used is refused with a message.

KEY = PseudonymKey(b"9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e0b9d27a6")  # tests only, like RUN_KEY


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The SYNTHETIC county written as an office's raw files (`evalkit synth --out` writes these beside its
    package) and built back into a package with :data:`KEY`: ``(result, folder, raw, county)``."""
    root = tmp_path_factory.mktemp("build")
    county = datasets.load_county()
    raw = root / "raw"
    write_raw(county, raw)
    result = build.build([raw], KEY, synthetic=True)
    folder = build.write(result, root / "package", inputs=[raw])
    return result, folder, raw, county


def test_the_raw_files_come_in_the_forms_offices_produce(built) -> None:
    _, _, raw, _ = built
    names = sorted(p.name for p in (raw / "registry").iterdir())
    assert names == [f"registry_{y}.{'xlsx' if y in (2014, 2017, 2019) else 'csv'}" for y in range(2014, 2020)]
    (raw / "registry" / "registry_2015.csv").read_bytes().decode("gbk")  # GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        (raw / "registry" / "registry_2015.csv").read_bytes().decode("utf-8")
    kinds = {p.name: build.classify(p) for p in raw.glob("*.csv")}
    assert kinds == {
        "places.csv": "places",
        "bank_loans.csv": "loans",
        "program_rosters.csv": "programs",
        "training_followup.csv": "labour",
        "assessment_survey.csv": "survey",
    }
    assert build.classify(raw / "published" / "ledger.csv") == "published"


def test_every_row_is_accounted_for(built) -> None:
    result, *_ = built
    files = result.files.set_index("year")
    registry = files.loc[files["kind"] == "registry"]
    assert (registry["rows_in"] == registry["rows_kept"] + registry["rows_quarantined"]).all()
    # the 2014 workbook's totals row and the 2018 CSV's three rows exported twice, nothing else
    assert registry["rows_quarantined"].to_dict() == {2014: 1, 2015: 0, 2016: 0, 2017: 0, 2018: 3, 2019: 0}
    assert sorted(result.quarantine["reasons"].unique()) == ["duplicate_row", "total_row"]


def test_the_build_gives_back_the_committed_tables(built) -> None:
    _, folder, _, county = built
    pkg = package.open_package(folder)
    assert pkg.names == [n for n in package.tables() if n not in ("truth", "parameters")]
    for name in ("households", "members", "programs", "loans", "labour", "survey"):
        ours, committed = pkg.load(name), county[name]
        assert list(ours.columns) == list(committed.columns), name
        pd.testing.assert_frame_equal(ours, committed, check_dtype=False, obj=name)
    for name in ("townships", "villages"):  # the roster has no English names or report annotations
        ours = pkg.load(name)
        pd.testing.assert_frame_equal(ours, county[name][list(ours.columns)], check_dtype=False, obj=name)
    panel, committed = pkg.load("panel"), county["panel"]
    assert list(panel.columns) == list(committed.columns)
    numbers = [c for c in committed.columns if pd.api.types.is_float_dtype(committed[c])]
    others = [c for c in committed.columns if c not in numbers]
    pd.testing.assert_frame_equal(panel[others], committed[others], check_dtype=False)
    # incomes are household totals to the fen in the exports: per-capita values come back to the fen
    assert np.abs(panel[numbers].to_numpy() - committed[numbers].to_numpy()).max() < 1e-9
    assert pkg.load("published").equals(package.open_package().load("published"))


def test_the_package_is_valid_says_what_it_is_and_holds_no_identifier(built) -> None:
    result, folder, raw, _ = built
    assert package.validate(folder) == []
    pkg = package.open_package(folder)
    assert pkg.synthetic and pkg.years == [2015, 2016, 2017, 2018, 2019]
    assert pkg.key_fingerprint == KEY.fingerprint
    summary = json.loads((folder / "build" / "summary.json").read_text(encoding="utf-8"))
    # one per household back in poverty; the 124 program participants outside the registry stay unlinked,
    # and the rosters say so too (no contradiction listed)
    assert summary["links"] == {"return_to_poverty": 24}
    export = pd.read_csv(raw / "registry" / "registry_2016.csv", dtype=str)
    identifiers = set(export["姓名"]) | set(export["证件号码"]) | set(export["联系电话"])
    ledger = pd.read_csv(raw / "bank_loans.csv", dtype=str)
    identifiers |= set(ledger["借款人"]) | set(ledger["身份证号"])
    for roster in ("program_rosters.csv", "training_followup.csv"):
        identifiers |= set(pd.read_csv(raw / roster, dtype=str)["身份证号"])
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            cells = set(pd.Series(text.replace("\n", ",").split(",")).str.strip('"'))
            assert not identifiers & cells, path.name
            assert str(raw) not in text, path.name


def test_a_build_without_a_place_roster_or_over_its_inputs_is_refused(built, tmp_path, capsys) -> None:
    _, _, raw, _ = built
    key_file = tmp_path / "key"
    key_file.write_text("9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e0b9d27a6")
    key_file.chmod(0o600)
    registry_only = str(raw / "registry" / "registry_2015.csv")
    assert cli.main(["build", registry_only, "--out", str(tmp_path / "pkg"), "--key-file", str(key_file)]) == 2
    assert "exactly one place roster" in capsys.readouterr().err
    assert not (tmp_path / "pkg").exists()
    inside = raw / "package"
    assert cli.main(["build", str(raw), "--out", str(inside), "--key-file", str(key_file)]) == 2
    assert not inside.exists()


def test_cleaning_keeps_the_registry_columns_the_panel_needs(built) -> None:
    result, *_ = built
    panel = result.tables["panel"]
    assert panel.loc[panel["year"] == 2019, "status"].value_counts().to_dict()["returned"] == 24
    assert (result.links["kind"] == "return_to_poverty").sum() == 24


def test_a_year_added_into_a_package_gives_the_package_of_all_years(built, tmp_path) -> None:
    """2014-2018 built, then 2019 added with --into: byte for byte the package built from all six years; the
    same year added again changes nothing; another key is refused and changes nothing."""
    _, full, raw, _ = built
    early = tmp_path / "early"
    early.mkdir()
    for path in raw.iterdir():
        if path.is_file():
            (early / path.name).write_bytes(path.read_bytes())
    (early / "registry").mkdir()
    for year in range(2014, 2019):
        source = next((raw / "registry").glob(f"registry_{year}.*"))
        (early / "registry" / source.name).write_bytes(source.read_bytes())
    shutil.copytree(raw / "published", early / "published")
    package_dir = tmp_path / "pkg"
    build.write(build.build([early], KEY, synthetic=True), package_dir, inputs=[early])
    assert package.open_package(package_dir).years == [2015, 2016, 2017, 2018]
    export_2019 = next((raw / "registry").glob("registry_2019.*"))
    for _ in range(2):  # the second time changes nothing
        build.write(build.build([export_2019], KEY, into=package_dir), package_dir, inputs=[export_2019])
        for name in ("datapackage.json", "households.csv", "members.csv", "panel.csv", "loans.csv", "survey.csv"):
            assert (package_dir / name).read_bytes() == (full / name).read_bytes(), name
    other = PseudonymKey(b"0" * 8 + b"9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e")
    before = (package_dir / "panel.csv").read_bytes()
    with pytest.raises(Exception, match="built with another pseudonym key"):
        build.build([export_2019], other, into=package_dir)
    assert (package_dir / "panel.csv").read_bytes() == before


def test_the_year_added_is_evaluated(built, tmp_path, evalkit_cli) -> None:
    """The 2019 evaluation on the package built from raw files: the registry's 2019 poor are those still
    registered or back in poverty (counted from the committed panel), and the risk model, which needs a year
    after 2019, says so instead of failing."""
    import subprocess

    _, folder, _, county = built
    out = tmp_path / "2019"
    only = ["01_incidence_trends", "04_return_to_poverty"]
    done = subprocess.run(
        [
            *evalkit_cli,
            "run",
            "--data",
            str(folder),
            "--year",
            "2019",
            "--only",
            *only,
            "--out",
            str(out),
            "--pdf",
            "no",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    panel, households = county["panel"], county["households"].set_index("household_id")
    poor = panel.loc[(panel["year"] == 2019) & panel["status"].isin(["registered", "returned"]), "household_id"]
    metrics = json.loads((out / "01_incidence_trends" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["registry_poor_persons"] == int(households.loc[poor, "household_size"].sum()) == 1021
    html = (out / "04_return_to_poverty.html").read_text(encoding="utf-8")
    assert "the panel ends in 2019" in html


def test_on_an_office_package_the_reports_never_say_synthetic_and_report_the_build(built, tmp_path, evalkit_cli):
    """The same package marked as an office's own: the data-quality report shows the build (every file,
    every kind of link, the year's cleaning run) and no report or executed notebook says SYNTHETIC."""
    import subprocess

    _, folder, _, county = built
    own = tmp_path / "own"
    shutil.copytree(folder, own)
    descriptor = json.loads((own / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["evalkit"]["synthetic"] = False
    (own / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    out = tmp_path / "out"
    only = ["00_data_quality", "02_microcredit", "07_registry_overview"]
    done = subprocess.run(
        [*evalkit_cli, "run", "--data", str(own), "--only", *only, "--out", str(out), "--pdf", "no"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    for name in only:  # what the notebook says and shows (its code's comments describe the defaults)
        executed = json.loads((out / f"{name}.ipynb").read_text(encoding="utf-8"))
        said = [
            "".join(c["source"])
            if c["cell_type"] == "markdown"
            else json.dumps(c.get("outputs", []), ensure_ascii=False)
            for c in executed["cells"]
        ]
        for text in said:
            assert "SYNTHETIC" not in text and "合成数据" not in text, (name, text[:300])
    tables = out / "00_data_quality" / "tables"
    files = pd.read_csv(tables / "build_files.csv", encoding="utf-8-sig")
    size = len(county["members"])  # each year's export lists every member once, plus the totals row of
    exports = files.loc[files["Kind"] == "registry"].set_index("File")  # 2014's workbook and three rows
    years = exports.dropna(subset=["Year"]).set_index("Year")  # 2018's CSV repeats (quarantined)
    assert years["Rows in"].to_dict() == {
        2014: size + 1,
        2015: size,
        2016: size,
        2017: size,
        2018: size + 3,
        2019: size,
    }
    assert (years["Rows kept"] == size).all()
    assert exports.loc["all exports", "Rows in"] == 6 * size + 4 and exports.loc["all exports", "Rows kept"] == 6 * size
    links = pd.read_csv(tables / "build_links.csv", encoding="utf-8-sig").set_index("Kind")["Cases"]
    assert set(build.LINK_KINDS) <= set(links.index)
    back = county["panel"].query("status == 'returned'")["household_id"].nunique()
    assert links["return_to_poverty"] == back == 24
    metrics = json.loads((out / "00_data_quality" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["synthetic"] == 0 and metrics["rows_in"] == size and metrics["build_return_to_poverty"] == 24


def test_splits_merges_and_corrected_id_numbers_are_reported_not_resolved(built, tmp_path) -> None:
    """The 2019 export changed as registries change: one member moved to a new household (a split), two
    households of a village made one (a merge), one ID number corrected (a new pseudonym). Each is reported
    once in build/links.csv, and nothing is joined or dropped. Built from 2018 and the changed 2019: each
    year's export lists every member, so two years link every person the six would."""
    from evalkit.io.ids import check_character

    _, _, raw, county = built
    changed = tmp_path / "raw"
    changed.mkdir()
    (changed / "places.csv").write_bytes((raw / "places.csv").read_bytes())
    for year in (2018,):  # the year before the changed one is enough to link across (every member is in it)
        source = next((raw / "registry").glob(f"registry_{year}.*"))
        (changed / source.name).write_bytes(source.read_bytes())
    rows = pd.read_excel(raw / "registry" / "registry_2019.xlsx", dtype=str)
    sizes = rows.groupby("户编号")["证件号码"].transform("size")
    # a split: a member who is not the head moves to a new household
    mover = rows.index[(sizes >= 3) & (rows["与户主关系"] != "户主")][0]
    old_home = rows.at[mover, "户编号"]
    rows.loc[rows["户编号"] == old_home, "家庭人口数"] = str(int(rows.at[mover, "家庭人口数"]) - 1)
    rows.loc[mover, ["户编号", "家庭人口数", "与户主关系"]] = ["140426009999999", "1", "户主"]
    # a merge: a one-person household joins another household of its village
    single = rows.index[(sizes == 1) & (rows["户编号"] != old_home)][0]
    village = rows.at[single, "行政村代码"]
    host = rows.loc[(rows["行政村代码"] == village) & (rows["户编号"] != rows.at[single, "户编号"])].index[0]
    host_home = rows.at[host, "户编号"]
    rows.loc[rows["户编号"] == host_home, "家庭人口数"] = str(int(rows.at[host, "家庭人口数"]) + 1)
    rows.loc[single, ["户编号", "家庭人口数", "与户主关系"]] = [host_home, rows.at[host, "家庭人口数"], "其他"]
    # an ID number corrected: the same person, another sequence number of the same sex
    fixed = rows.index[~rows.index.isin([mover, single]) & (rows["户编号"] != host_home)][5]
    old_id = rows.at[fixed, "证件号码"]
    first17 = old_id[:14] + f"{(int(old_id[14:16]) + 7) % 100:02d}" + old_id[16]
    rows.at[fixed, "证件号码"] = first17 + check_character(first17)
    rows.to_csv(changed / "registry_2019.csv", index=False, encoding="utf-8")

    result = build.build([changed], KEY, synthetic=True)
    kinds = result.links["kind"].value_counts()
    assert kinds.get("household_split") == 1 and kinds.get("household_merged") == 1
    assert kinds.get("id_number_changed") == 1
    assert kinds.get("person_in_two_households") == 2  # the mover and the one who joined
    files = result.files.set_index("year")
    assert files.loc[2019, "rows_in"] == files.loc[2019, "rows_kept"] == len(rows)  # nothing dropped
    assert len(result.tables["members"]) == len(county["members"]) + 1  # the corrected ID is a new person
    assert len(result.tables["households"]) == len(county["households"]) + 1  # the new household


def test_plain_exports_build_the_same_package_as_disturbed_ones(built, tmp_path) -> None:
    """The round trip without the offices' disturbances: every registry year as a plain UTF-8 CSV builds
    tables byte for byte equal to those built from the disturbed exports (order, GBK, title and totals rows,
    the 户主关系 alias, 万元, repeated rows), so every notebook's metrics, which read only these tables, are
    the same as in the disturbed round trip (tests/test_annual_run.py)."""
    _, folder, raw, county = built
    plain = tmp_path / "plain"
    write_raw(county, plain, plain=True)
    assert sorted(p.suffix for p in (plain / "registry").iterdir()) == [".csv"] * 6
    for path in plain.iterdir():  # the ledgers, rosters and published figures are the same files
        if path.is_file():
            assert path.read_bytes() == (raw / path.name).read_bytes(), path.name
    key_file = tmp_path / "key"  # built by the command this time (the same code as build.build and write)
    key_file.write_bytes(KEY.secret)
    key_file.chmod(0o600)
    out = tmp_path / "package"
    assert cli.main(["build", str(plain), "--out", str(out), "--key-file", str(key_file), "--synthetic"]) == 0
    quarantined = (out / "build" / "quarantine.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(quarantined) <= 1, quarantined[:3]  # nothing quarantined (at most a header)
    for name in ("townships", "villages", "households", "members", "panel", "loans", "programs", "labour", "survey"):
        assert (out / f"{name}.csv").read_bytes() == (folder / f"{name}.csv").read_bytes(), name
