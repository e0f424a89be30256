"""Every notebook: committed clean and parameterized, executed in a kernel once (the shared annual run) and
cell by cell in this process with other parameters (``notebook_cells.run_notebook``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from english_prose import CJK, english_runs
from evalkit import paths, report
from evalkit.errors import ParameterError
from evalkit.runner import discover, editions
from evalkit.runner.execute import report_title
from notebook_cells import run_notebook

NOTEBOOKS = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_are_found() -> None:
    assert NOTEBOOKS, f"no notebooks found in {paths.notebooks_dir()}"
    assert discover() == NOTEBOOKS


def test_discover_fails_on_an_empty_folder(tmp_path) -> None:
    with pytest.raises(Exception, match="no notebooks found"):
        discover(tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_parameterized(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        "commit notebooks without outputs"
    )
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert code.index(tagged[0]) == 0
    assert "params.check(" in "".join(code[1]["source"]), "the cell after parameters must validate them"
    assert nb["metadata"]["kernelspec"]["name"] == "evalkit"
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")
    # for analysts, not in the report: the parameters and files, and the key figures as metrics.json holds
    # them (machine keys; the year page shows the headline figures in words)
    about = [c for c in nb["cells"] if "notebook-only" in c.get("metadata", {}).get("tags", [])]
    assert len(about) == 3 and "**Reads**" in "".join(about[0]["source"])
    assert "".join(about[1]["source"]).startswith("## Key figures")
    assert "".join(about[2]["source"]) == "out.write(ev.key_figures())"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_synthetic_and_an_own_data_edition(path: Path) -> None:
    """Each notebook's data notice comes in both editions, in both languages, tags are only those the runner
    knows, and the own-data edition never says SYNTHETIC (合成数据)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    tags = {t for c in cells for t in c.get("metadata", {}).get("tags", [])}
    assert tags <= editions.TAGS | {"parameters"}
    assert {"data-synthetic", "data-own", "lang-en", "lang-zh"} <= tags
    for lang, says in (("en", "SYNTHETIC"), ("zh", "合成数据")):
        own = editions.select({"cells": cells}, lang=lang, synthetic=False)["cells"]
        prose = "".join("".join(c["source"]) for c in own if c["cell_type"] == "markdown")
        assert "SYNTHETIC" not in prose and "合成数据" not in prose, lang
        synthetic = editions.select({"cells": cells}, lang=lang, synthetic=True)["cells"]
        assert says in "".join("".join(c["source"]) for c in synthetic if c["cell_type"] == "markdown"), lang


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _text(cell: dict) -> str:
    return "".join(cell["source"])


#: A markdown heading: its level, and its number if it has one ("05 ·" of a title, "1." of a section).
_HEADING = re.compile(r"^(#{1,6})\s+(\d{2} ·|\d+(?:\.\d+)*\.(?=\s))?(.*)$", re.MULTILINE)


def _headings(text: str) -> list[tuple[int, str | None]]:
    return [(len(m.group(1)), m.group(2)) for m in _HEADING.finditer(text)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_text_of_the_report_comes_in_english_and_then_in_chinese(path: Path) -> None:
    """Every markdown cell of the report is in one language: an English cell (lang-en) followed by its
    Chinese cell (lang-zh) with the same data-* tags, headings of the same levels and numbers, in Chinese
    (no run of four English words outside code). Cells for analysts only (notebook-only) are in English
    and belong to both editions."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        languages = [t for t in _tags(cell) if t.startswith("lang-")]
        if "notebook-only" in _tags(cell):
            assert languages == [], f"{cell['id']}: a cell for analysts belongs to both editions"
        else:
            assert languages in (["lang-en"], ["lang-zh"]), f"{cell['id']} is in no language, or in two"
    english = [i for i, c in enumerate(cells) if "lang-en" in _tags(c)]
    chinese = [i for i, c in enumerate(cells) if "lang-zh" in _tags(c)]
    assert english and chinese == [i + 1 for i in english], "each English cell is followed by its Chinese cell"
    for i in english:
        en, zh = cells[i], cells[i + 1]
        where = f"{path.stem}, cell {zh['id']}"
        assert zh["cell_type"] == "markdown", where
        assert [t for t in _tags(en) if t != "lang-en"] == [t for t in _tags(zh) if t != "lang-zh"], where
        assert CJK.search(_text(zh)) and english_runs(_text(zh)) == [], (where, english_runs(_text(zh)))
        assert _headings(_text(zh)) == _headings(_text(en)), where
        for m in _HEADING.finditer(_text(zh)):
            assert CJK.search(m.group(3)), f"{where}: heading {m.group(0)!r} is not in Chinese"
    ids = [c["id"] for c in cells]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_edition_is_titled_in_its_language(path: Path) -> None:
    """A report's title is the first heading of its edition: "NN · " and the title in the run's language."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for synthetic in (True, False):
        en = report_title(editions.select(notebook, lang="en", synthetic=synthetic))
        zh = report_title(editions.select(notebook, lang="zh", synthetic=synthetic))
        assert en.startswith(path.stem[:2] + " · ") and not CJK.search(en), en
        assert zh.startswith(path.stem[:2] + " · ") and CJK.search(zh) and english_runs(zh) == [], zh


def _execute(name: str, tmp_path: Path, **parameters) -> Path:
    out = tmp_path / name
    run_notebook(name, out, **parameters)
    return out


@pytest.mark.slow
def test_incidence_trends_in_chinese_for_2016(tmp_path) -> None:
    out = _execute("01_incidence_trends", tmp_path, year=2016, lang="zh")
    path = report.read_table(out, "incidence_path")
    assert path["年份"].tolist() == [2014, 2015, 2016]
    assert path["建档立卡贫困人口"].tolist() == [8055, 8055 - 424, 8055 - 424 - 1204]
    assert path["来源"].tolist() == ["公布值", "由公布的脱贫人数推算", "由公布的脱贫人数推算"]
    rec = report.read_table(out, "reconciliation")
    failing = rec.loc[~rec["是否成立"]]
    assert failing["勾稽关系"].tolist() == ["health_subgroups"]
    assert failing["差额"].tolist() == [-12]
    metrics = report.read_metrics(out)
    assert metrics["remaining_persons"] == 6427 and metrics["year"] == 2016
    assert sorted(p.name for p in (out / "figures").iterdir() if p.name != "checks.json") == [
        "bunching.png",
        "exits_by_year.png",
        "incidence_path.png",
        "registry_incidence.png",
        "time_to_exit.png",
        "villages_exited.png",
    ]
    # the registry reproduces the published path (the same persons, from household data)
    assert metrics["registry_poor_persons"] == 6427 and metrics["registry_incidence_pct"] == round(
        100 * 6427 / 130000, 4
    )
    registry = report.read_table(out, "registry_incidence")
    assert registry["建档立卡贫困人口"].tolist() == path["建档立卡贫困人口"].tolist()
    decomposition = report.read_table(out, "decomposition")
    assert decomposition["贡献"].iloc[:-1].sum() == pytest.approx(decomposition["贡献"].iloc[-1])
    shapley = report.read_table(out, "growth_redistribution").set_index("成分")["Shapley分解"]
    assert shapley.loc["残差"] == 0 and shapley.loc[["增长效应", "再分配效应"]].sum() == pytest.approx(
        shapley.loc["合计"]
    )


@pytest.mark.slow
def test_incidence_trends_by_cause_on_the_screening_line(tmp_path) -> None:
    out = _execute("01_incidence_trends", tmp_path, year=2017, line="screening", group_by="cause", af_k=0.4)
    decomposition = report.read_table(out, "decomposition")
    assert "illness" in decomposition["Group"].tolist()
    assert decomposition["Share of total"].iloc[:-1].sum() == pytest.approx(1.0)


def test_bad_parameter_fails_inside_the_notebook(tmp_path) -> None:
    with pytest.raises(ParameterError, match="allowed values: 2015, 2016, 2017, 2018"):
        _execute("01_incidence_trends", tmp_path, year=2030)
    with pytest.raises(ParameterError, match="allowed values: national, screening"):
        _execute("01_incidence_trends", tmp_path, line="dollar_a_day")
    with pytest.raises(ParameterError, match=r"'af_k' = 1.5 must be in \(0, 1\]"):
        _execute("01_incidence_trends", tmp_path, af_k=1.5)


@pytest.mark.slow
def test_registry_overview_on_the_synthetic_county(tmp_path) -> None:
    out = _execute("07_registry_overview", tmp_path, year=2017, lang="zh")
    metrics = report.read_metrics(out)
    assert metrics["synthetic"] == 1
    assert metrics["crosscheck_differs"] == 0 and metrics["crosscheck_matches"] == 67
    assert metrics["registered_persons_end_of_year"] == 8055 - 424 - 1204 - 2398
    assert metrics["borrowers_to_date"] < 1568  # loans of 2018 are not counted for 2017
    headcount = report.read_table(out, "headcount")
    assert headcount["差异"].eq(0).all()
    assert headcount["年份"].tolist() == [2014, 2015, 2016, 2017]
    causes = report.read_table(out, "by_cause")
    assert causes["户数"].sum() == 3601


@pytest.mark.slow
def test_data_quality_report_on_the_synthetic_export_in_chinese(tmp_path) -> None:
    out = _execute("00_data_quality", tmp_path, year=2018, lang="zh")
    metrics = report.read_metrics(out)
    assert metrics["synthetic"] == 1 and metrics["accounting_balanced"] == 1
    assert metrics["rows_in"] == metrics["rows_kept"] + metrics["rows_quarantined"] == 8055 + 2 + 20
    assert metrics["rows_quarantined"] == 27 and metrics["planted_faults_all_found"] == 1
    accounting = report.read_table(out, "accounting")
    assert accounting.columns.tolist() == ["指标", "行数"]
    assert accounting["指标"].tolist()[:5] == ["输入行数", "保留行数", "原样保留", "更正后保留", "隔离"]
    planted = report.read_table(out, "planted_vs_found")
    assert (planted["植入数"] == planted["吻合数"]).all()


def test_data_quality_report_rejects_a_folder_that_is_not_a_cleaning_run(tmp_path) -> None:
    with pytest.raises(ParameterError, match="not a folder written by `evalkit clean`"):
        _execute("00_data_quality", tmp_path, clean_dir=str(tmp_path))


@pytest.mark.slow
def test_exit_assessment_on_the_synthetic_survey(tmp_path) -> None:
    out = tmp_path / "05"
    ns = run_notebook("05_exit_assessment", out, year=2018, lang="zh", icc=0.02)
    metrics = report.read_metrics(out)
    for name in ("wrong_exit_rate", "missed_rate", "composite_incidence", "approval_rate"):
        assert metrics[f"{name}_ci_low"] <= metrics[name] <= metrics[f"{name}_ci_high"]
        assert 0 <= metrics[f"{name}_p_below_threshold"] <= 1
    assert metrics["wrong_exit_rate_true"] == pytest.approx(0.011772, abs=1e-6)
    assert metrics["approval_rate_p_below_threshold"] < 0.01 and metrics["approval_rate_passes"] == 1
    assert metrics["plan_villages"] == 59 and metrics["plan_households"] == 59 * 25  # icc 0.02: design effect 1.48
    assert abs(metrics["plan_simulated_power"] - 0.8) < 0.03
    visit = report.read_table(out, "visit_list", internal=True)
    assert visit.columns.tolist()[:3] == ["乡镇", "村", "户(假名)"] and visit["户(假名)"].str.match(r"^H\d{5}$").all()
    # a list of households is for the field team: written apart, never in the published tables or shown
    assert not (out / "tables" / "visit_list.csv").exists()
    section = ns["ev"].visit_list()
    assert "visit_list" in section.internal and visit["户(假名)"].iloc[0] not in section._repr_html_()


@pytest.mark.slow
def test_exit_assessment_for_a_year_without_a_survey_still_plans(tmp_path) -> None:
    out = _execute("05_exit_assessment", tmp_path, year=2016)
    metrics = report.read_metrics(out)
    assert metrics["assessment_available"] == 0 and metrics["plan_villages"] == 87


@pytest.mark.slow
def test_exit_assessment_on_entered_results(tmp_path) -> None:
    from evalkit import datasets

    entered = tmp_path / "results.csv"
    datasets.load("survey").to_csv(entered, index=False, encoding="gbk")
    out = _execute(
        "05_exit_assessment", tmp_path, survey_file=str(entered), remaining_persons=1259, rural_persons=130000
    )
    metrics = report.read_metrics(out)
    (tmp_path / "default").mkdir()
    default = report.read_metrics(_execute("05_exit_assessment", tmp_path / "default"))
    assert metrics["synthetic"] == 0 and "wrong_exit_rate_true" not in metrics
    for name in ("wrong_exit_rate", "missed_rate", "composite_incidence", "approval_rate"):
        assert metrics[name] == default[name]
    template = report.read_table(out, "results_template", internal=True)
    assert {"meets_exit_criteria", "approves", "income_pc_2018"} <= set(template.columns)


@pytest.mark.slow
def test_microcredit_notebook_in_chinese_answers_reach_depth_repayment_and_effect(tmp_path) -> None:
    out = _execute("02_microcredit", tmp_path, year=2018, lang="zh", reps=39, comparison="never", cluster="village")
    metrics = report.read_metrics(out)
    assert metrics["synthetic"] == 1 and metrics["borrowers"] == 1568 and metrics["loans_yuan"] == 73_200_000
    assert metrics["leverage_published"] == pytest.approx(73_000_000 / 7_440_000, abs=1e-4)
    assert metrics["take_up"] == pytest.approx(1568 / 3601, abs=1e-6)
    effects = report.read_table(out, "effects")  # the one result table keeps English column names in any lang
    assert effects.columns[:8].tolist() == [
        "method",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "n_clusters",
    ]
    rows = effects.set_index("method")
    for method in ("twfe", "imputation", "callaway_santanna", "long_difference_aipw", "long_difference_ipw"):
        assert rows.loc[method, "ci_low"] <= rows.loc[method, "truth"] <= rows.loc[method, "ci_high"], method
    assert not rows.loc["naive", "truth_in_ci"]
    assert metrics["pretrend_p_value_cs"] > 0.05
    for method in rows.index:  # every effect's 95% interval is a key figure too (the year page reads them)
        assert metrics[f"effect_{method}_ci_low"] == round(rows.loc[method, "ci_low"], 4), method
        assert metrics[f"effect_{method}_ci_high"] == round(rows.loc[method, "ci_high"], 4), method
    low, high = metrics["effect_callaway_santanna_ci_low"], metrics["effect_callaway_santanna_ci_high"]
    assert low < metrics["effect_callaway_santanna"] < high
    repayment = report.read_table(out, "repayment_cohort")
    assert repayment["贷款笔数"].sum() == 1568
    matured = repayment.set_index("放贷年度").loc[2016]  # all due by 2019: what is outstanding is overdue or in default
    assert matured["未还清(占贷款笔数的比例)"] == pytest.approx(matured["逾期或违约比例"]) == pytest.approx(19 / 528)
    for figure in ("event_study", "reach", "concentration"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 10_000
    assert report.read_table(out, "event_study")["方法"].str.startswith("事件研究").all()  # tables in Chinese


@pytest.mark.slow
def test_microcredit_notebook_before_any_loan(tmp_path) -> None:
    out = _execute("02_microcredit", tmp_path, year=2015)
    metrics = report.read_metrics(out)
    assert metrics["borrowers"] == 0 and "effect_twfe" not in metrics and "concentration_index" not in metrics


@pytest.mark.slow
def test_training_notebook_on_the_county(tmp_path) -> None:
    out = _execute("03_training_outcomes", tmp_path, reps=39)
    metrics = report.read_metrics(out)
    assert metrics["synthetic"] == 1 and metrics["treated"] == 409
    effects = report.read_table(out, "effects").set_index("method")
    assert effects.columns[:7].tolist() == ["estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters"]
    for method in ("ols", "ipw", "aipw", "match", "did"):
        assert effects.loc[method, "ci_low"] <= effects.loc[method, "truth"] <= effects.loc[method, "ci_high"]
    assert not effects.loc["diff", "truth_in_ci"]
    courses = report.read_table(out, "participation_course")
    assert courses["Trained"].sum() == 409 and courses["Share of all trainees"].sum() == pytest.approx(1.0)
    assert "not trained" not in set(courses["Course"])
    assert report.read_table(out, "participation_sex")["Sex"].tolist() == ["men", "women"]
    for method in effects.index:
        assert metrics[f"effect_{method}_ci_low"] == round(effects.loc[method, "ci_low"], 4), method
        assert metrics[f"effect_{method}_ci_high"] == round(effects.loc[method, "ci_high"], 4), method
    assert metrics["effect_aipw_ci_low"] < metrics["effect_aipw"] < metrics["effect_aipw_ci_high"]
    for figure in ("estimates", "love_plot", "overlap"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 10_000


@pytest.mark.slow
def test_training_notebook_on_nsw_in_chinese(tmp_path) -> None:
    out = _execute(
        "03_training_outcomes", tmp_path, dataset="nsw_experimental", lang="zh", estimators="diff,aipw", reps=39
    )
    effects = report.read_table(out, "effects").set_index("method")
    assert round(effects.loc["diff", "estimate"], 2) == 1794.34 and effects.loc["diff", "truth"] == 1794.34
    assert report.read_metrics(out)["synthetic"] == 0
    assert "标准化均值差(调整前)" in report.read_table(out, "balance").columns


def test_training_notebook_rejects_unknown_columns_and_estimators(tmp_path) -> None:
    with pytest.raises(ParameterError, match="dataset 'county' has no column 'salary'"):
        _execute("03_training_outcomes", tmp_path, outcome="salary")
    with pytest.raises(ParameterError, match="'estimators' = 'diff,forest' must be a comma-separated list of diff"):
        _execute("03_training_outcomes", tmp_path, estimators="diff,forest", reps=39)
    with pytest.raises(ParameterError, match="allowed values: county, nsw_experimental, nsw_cps"):
        _execute("03_training_outcomes", tmp_path, dataset="psid")


@pytest.mark.slow
def test_return_to_poverty_notebook(tmp_path) -> None:
    out = _execute("04_return_to_poverty", tmp_path, lang="zh")
    metrics = report.read_metrics(out)
    assert metrics["screened_households"] == 18 and metrics["screened_persons"] == 40  # 18户40人
    assert metrics["risk_model_auc_out_of_time"] > 0.9 and metrics["return_auc_out_of_time"] > 0.8
    assert {"screened_households_2017", "risk_model_auc_out_of_time_2017"} <= set(metrics)
    villages = report.read_table(out, "by_village")
    assert "户(假名)" not in villages.columns and villages["小数抑制"].any()
    assert villages.columns[:2].tolist() == ["乡镇", "村"]
    shown = villages["户数"].dropna()
    assert ((shown == 0) | (shown >= 5)).all()
    # no township with a single blank village: its published total would give the blank away
    blanks = villages.groupby("乡镇")["小数抑制"].sum()
    assert not (blanks == 1).any() or villages.groupby("乡镇").size()[blanks == 1].eq(1).all()
