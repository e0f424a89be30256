"""The one full annual run of the test suite, and every test that reads it: the runner's outputs and
manifest, the identifier-leak check over everything written and printed, each notebook executed in the
evalkit kernel.

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
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from browsing import browser_for, chromium_or_reason, fonts_without_cjk, pdf_cjk_fonts

from evalkit import paths, report
from evalkit.runner.manifest import sha256_file

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
    from evalkit import datasets
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


def test_a_package_written_by_synth_runs_with_the_same_numbers(annual_run, tmp_path, evalkit_cli) -> None:
    """`evalkit synth --out DIR` writes a data package usable as it is: `evalkit run --data DIR/package`
    validates it, records it in the manifest, and gives every metric of the run on the committed package."""
    made = _cli(evalkit_cli, "synth", "--out", str(tmp_path / "synth"))
    assert made.returncode == 0, made.stderr
    pkg, out = tmp_path / "synth" / "package", tmp_path / "out"
    only = ["01_incidence_trends", "07_registry_overview"]
    run = _cli(evalkit_cli, "run", "--data", str(pkg), "--only", *only, "--out", str(out))
    assert run.returncode == 0, run.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"] == {
        "package": "licheng-synthetic",
        "synthetic": True,
        "years": [2015, 2016, 2017, 2018],
        "key_fingerprint": None,
    }
    assert "../synth/package/datapackage.json" in {f["path"] for f in manifest["inputs"]}
    for name in only:
        assert report.read_metrics(out / name) == report.read_metrics(annual_run.out / name), name

    # the round trip: the raw files it wrote beside the package build back into the same numbers
    key = tmp_path / "key"
    assert _cli(evalkit_cli, "key", "--new", str(key)).returncode == 0
    built = tmp_path / "built"
    made = _cli(
        evalkit_cli,
        "build",
        str(tmp_path / "synth" / "raw"),
        "--out",
        str(built),
        "--key-file",
        str(key),
        "--synthetic",
    )
    assert made.returncode == 0, made.stderr
    run = _cli(
        evalkit_cli,
        "run",
        "--data",
        str(built),
        "--year",
        "2018",
        "--out",
        str(tmp_path / "rt"),
        "-p",
        f"clean_dir={annual_run.clean_dir}",  # the data-quality report of the same cleaning run
    )
    assert run.returncode == 0, run.stderr
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
    from evalkit import datasets, package

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
    run = _cli(evalkit_cli, "run", "--data", str(pkg), "--out", str(out))
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
