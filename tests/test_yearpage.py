"""The year's landing page (:mod:`evalkit.report.yearpage`): headline figures and their sentences from
hand-made metrics, the comparison with earlier years, links to every report, both languages."""

from __future__ import annotations

import json
import re

from evalkit.report import yearpage
from evalkit.runner.run import _earlier_years

METRICS = {
    "01_incidence_trends": {"registry_incidence_pct": 2.5, "exit_threshold_pct": 2.0, "exits_households": 1291},
    "05_exit_assessment": {
        "approval_rate": 0.9646,
        "approval_rate_ci_low": 0.9534,
        "approval_rate_ci_high": 0.9732,
        "approval_rate_p_below_threshold": 0.0,
        "approval_rate_passes": 1,
        "wrong_exit_rate": 0.025,
        "wrong_exit_rate_passes": 0,
        "wrong_exit_rate_p_below_threshold": 0.2,
    },
}
MANIFEST = {
    "evalkit_version": "0.0",
    "data": {"synthetic": False, "package": "county-package", "years": [2015, 2016]},
    "inputs": {"a.csv": "x", "b.csv": "y"},
    "notebooks": [
        {"name": "01_incidence_trends", "html": "01_incidence_trends.html", "status": "ok", "wall_seconds": 12.34},
        {"name": "05_exit_assessment", "html": "05_exit_assessment.html", "status": "failed", "wall_seconds": 3},
    ],
}


def test_headlines_read_each_verdict_in_a_sentence() -> None:
    table = yearpage.headlines(METRICS).set_index("figure")
    assert table.loc["Registered-poverty incidence", "value"] == "2.50%"
    assert table.loc["Registered-poverty incidence", "reading"] == "not below the exit threshold of 2%"
    assert table.loc["Households exiting poverty this year", "value"] == "1,291"
    approval = table.loc["Public approval (assessment)", "reading"]
    assert approval == "meets its threshold (probability it meets it: 100%); 95% interval 95.34% to 97.32%"
    wrong = table.loc["Wrong-exit rate (assessment)", "reading"]
    assert wrong == "does not meet its threshold (probability it meets it: 20%)"
    assert table.loc["Households screened as at risk of returning", "reading"] == "not computed in this run"
    zh = yearpage.headlines(METRICS, "zh").set_index("figure")
    assert zh.loc["建档立卡贫困发生率", "reading"] == "未低于2%的退出标准"


def test_changes_put_earlier_years_beside_this_one() -> None:
    earlier = {2016: {"01_incidence_trends": {"registry_incidence_pct": 3.104, "exits_households": 996}}}
    table = yearpage.changes(METRICS, earlier).set_index("figure")
    assert table.columns.tolist() == ["2016", "value"]
    assert table.loc["Registered-poverty incidence"].tolist() == ["3.10%", "2.50%"]
    assert table.loc["Public approval (assessment)"].tolist() == ["–", "96.46%"]


def test_page_links_every_report_says_what_data_and_is_in_the_run_language() -> None:
    text = yearpage.page(2016, METRICS, MANIFEST, titles={"01_incidence_trends": "01 · Incidence"})
    assert "<title>Annual evaluation 2016</title>" in text and '<html lang="en">' in text
    assert re.findall(r'href="([^"]+)"', text) == ["01_incidence_trends.html", "05_exit_assessment.html"]
    assert "01 · Incidence" in text and "SYNTHETIC" not in text and "county-package" in text
    assert "No earlier year" in text and "2 input files" in text
    zh = yearpage.page(2016, METRICS, {**MANIFEST, "data": {"synthetic": True}}, lang="zh")
    assert '<html lang="zh-Hans">' in zh and "2016年度评估报告" in zh and "合成数据" in zh and "失败" in zh


def test_earlier_years_are_the_successful_runs_beside_this_one(tmp_path) -> None:
    county = {"package": "county-package", "synthetic": False}

    def run(year: int, status: str, folder: str | None = None, data: dict | None = None) -> None:
        target = tmp_path / (folder or str(year))
        target.mkdir()
        notebooks = [{"name": "01_incidence_trends", "metrics": {"registry_incidence_pct": float(year - 2010)}}]
        manifest = {"year": year, "status": status, "notebooks": notebooks, "data": data or county}
        (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    run(2016, "ok")
    run(2017, "failed")
    run(2015, "ok", folder="2015-copy")  # not a year folder
    run(2014, "ok", data={"package": "evalkit-synthetic-county", "synthetic": True})  # other data
    run(2019, "ok")  # later than the year evaluated
    found = _earlier_years(tmp_path / "2018", 2018, county)
    assert found == {2016: {"01_incidence_trends": {"registry_incidence_pct": 6.0}}}


def test_an_effect_reads_with_its_interval_in_both_languages() -> None:
    metrics = {
        "02_microcredit": {
            "effect_callaway_santanna": 437.5681,
            "effect_callaway_santanna_ci_low": 416.8,
            "effect_callaway_santanna_ci_high": 458.3,
        }
    }
    for lang, reading in (("en", "95% interval 416.8 to 458.3"), ("zh", "95%区间 416.8 至 458.3")):
        table = yearpage.headlines(metrics, lang).set_index("number")
        assert table.loc[437.5681, "value"] == "437.6" and table.loc[437.5681, "reading"] == reading
