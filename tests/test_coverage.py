"""Program coverage, combinations and money, by hand and against the report's figures."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import datasets, programs, published
from evalkit.evaluations import coverage


@pytest.fixture(scope="module")
def county() -> dict[str, pd.DataFrame]:
    return datasets.load_county()


def test_coverage_and_combinations_by_hand() -> None:
    m = pd.DataFrame(
        {
            "household_id": ["a", "b", "c", "d"],
            "cause": ["illness", "illness", "schooling", "schooling"],
            "medical_insurance": [1, 1, 1, 0],
            "microcredit": [1, 0, 1, 0],
            "relocation": [0, 0, 1, 0],
        }
    )
    overall = programs.coverage(m).set_index("program")["coverage"]
    assert overall["microcredit"] == 0.5 and overall["nothing"] == 0.25
    assert overall["no_targeted_program"] == 0.5  # b (insurance only) and d (nothing)
    by = programs.coverage(m, "cause").set_index("program")
    assert by.loc["microcredit", "illness"] == 0.5 and by.loc["relocation", "schooling"] == 0.5
    combos = programs.combinations(m).set_index("programs")["households"].to_dict()
    assert combos == {
        "medical_insurance + microcredit": 1,
        "medical_insurance": 1,
        "medical_insurance + microcredit + relocation": 1,
        "(none)": 1,
    }


def test_registry_reproduces_the_reports_program_counts(county) -> None:
    table = coverage.ledger_comparison(county, published.load()).set_index("measure")
    assert table.loc["microcredit_households", "registry_value"] == 1568
    assert table.loc["relocated_poor_households", "registry_value"] == 89
    assert table.loc["ranger_persons", "registry_value"] == 273
    assert (table["difference"] == 0).all()


def test_participation_respects_start_years(county) -> None:
    m2018 = programs.participation(county, 2018)
    m2019 = programs.participation(county, 2019)
    assert len(m2018) == 3601 and m2018["forest_ranger"].sum() == 0  # rangers were hired in 2019
    assert (
        m2019["forest_ranger"].sum() == county["programs"].query("program == 'forest_ranger'")["household_id"].nunique()
    )
    assert m2018["microcredit"].sum() == 1568 and programs.participation(county, 2016)["microcredit"].sum() == 528


def test_money_per_exit_by_hand() -> None:
    summary, investment = coverage.money(published.load())
    values = summary.set_index("measure")["value"]
    assert values["funds_received_yuan"] == 55_372_600 and values["funds_invested_yuan"] == 37_900_700
    assert values["invested_per_household_exited"] == pytest.approx(37_900_700 / 2964)
    assert values["invested_per_person_exited"] == pytest.approx(37_900_700 / 6796)
    assert "inf_roads_invest" in set(investment["figure_id"])


def test_programs_that_start_after_the_year_are_zero_and_flagged_with_their_first_year(county) -> None:
    """Forest rangers and deep-poverty support start in 2019 in the synthetic county (the report gives both
    at its 2019 date, with no start year): by the end of 2018 nobody has them, and the table says so."""
    table = coverage.coverage_table(programs.participation(county, 2018), programs.first_years(county))
    rows = table.set_index("program")
    for late in ("forest_ranger", "deep_poverty_support"):
        assert rows.loc[late, "households"] == 0 and rows.loc[late, "coverage"] == 0
        assert rows.loc[late, "first_year"] == 2019
    assert coverage.not_started(table, 2018) == {"forest_ranger": 2019, "deep_poverty_support": 2019}
    # shares of the 3,601 registered households, with the count beside them
    assert rows.loc["microcredit", "households"] == 1568
    assert rows.loc["microcredit", "coverage"] == pytest.approx(1568 / 3601)
    assert rows.loc["medical_insurance", "coverage"] == 1 and rows.loc["microcredit", "first_year"] == 2016
    assert pd.isna(rows.loc["no_targeted_program", "first_year"])
    # a year in which every program has started flags none
    later = coverage.coverage_table(programs.participation(county, 2019), programs.first_years(county))
    assert coverage.not_started(later, 2019) == {}
    assert later.set_index("program").loc["forest_ranger", "households"] > 0


def test_the_coverage_section_names_the_programs_not_yet_started_in_both_languages() -> None:
    from english_prose import CJK, english_runs

    notes = {}
    for lang in ("en", "zh"):
        section = coverage.Coverage(coverage.Params(lang=lang)).coverage()
        notes[lang] = [item for item in section.shown if isinstance(item, str)]
        shown = next(item for item in section.shown if isinstance(item, pd.DataFrame))
        assert {"households", "coverage", "first_year"} <= set(shown.columns)
        # printed as percentages, the first year as a year
        assert "43.5%" in section._repr_html_() and "<td>2019</td>" in section._repr_html_()
    assert notes["en"][0] == (
        "Forest ranger and deep-poverty support begin in 2019 in this data: nobody is covered by the end of 2018, "
        "so their coverage is 0."
    )
    assert notes["zh"][0] == "本数据中生态护林员和深度贫困户帮扶始于2019年：截至2018年底尚无农户享受，故覆盖率为0。"
    assert "(to 2019)" in notes["en"][1] and "截至2019年" in notes["zh"][1]
    assert len(notes["en"]) == len(notes["zh"])
    assert all(CJK.search(zh) and english_runs(zh) == [] for zh in notes["zh"])


def test_the_ledger_comparison_says_which_year_it_counts(county) -> None:
    """The registry counts every year in the data, as the report does to its 2019 date; beside it, the count
    by the end of the evaluation year, which is what that year's coverage holds."""
    table = coverage.ledger_comparison(county, published.load(), year=2018).set_index("measure")
    assert table.loc["ranger_persons", ["registry_value", "counted_to", "registry_by_year"]].tolist() == [273, 2019, 0]
    assert table.loc["deep_poverty_households", ["registry_value", "registry_by_year"]].tolist() == [68, 0]
    assert table.loc["microcredit_households", ["counted_to", "registry_by_year"]].tolist() == [2018, 1568]
    matrix = programs.participation(county, 2018)
    assert table.loc["relocated_poor_households", "registry_by_year"] == matrix["relocation"].sum() < 89
    assert table.loc["private_firm_jobs", "registry_by_year"] == 48  # 35 of the 83 jobs start in 2019
    assert (table["difference"] == 0).all()
    zh = coverage.ledger_comparison(county, published.load(), year=2018, lang="zh").set_index("measure")
    assert zh.loc["ranger_persons", "computed_as"] == "聘为生态护林员的建档立卡贫困人口"
    assert "registry_by_year" not in coverage.ledger_comparison(county, published.load()).columns


def test_tables_of_the_report_name_things_in_its_language() -> None:
    """Measures, indicators, areas, causes and the folded sizes read in Chinese in a Chinese report."""
    from evalkit.labels import translate_columns

    zh = coverage.Coverage(coverage.Params(lang="zh"))
    compared = translate_columns(zh.against_the_report().tables["ledger_vs_registry"], "zh")
    assert compared["指标"].tolist()[:3] == [
        "获得扶贫小额信贷的建档立卡户",
        "易地扶贫搬迁建档立卡贫困户",
        "聘用的贫困生态护林员",
    ]
    assert "登记数据计算口径" in compared.columns and "截至评估年底的登记数据计算值" in compared.columns
    investment = next(item for item in zh.money().shown if isinstance(item, pd.DataFrame) and "area" in item)
    ledger = published.load().set_index("figure_id")
    assert investment["indicator"].tolist() == ledger.loc[investment["figure_id"], "indicator_zh"].tolist()
    assert investment.columns.tolist() == ["figure_id", "area", "indicator", "value"]
    assert investment.set_index("figure_id").loc["inf_roads_invest", "area"] == "基础设施"
    by_cause = zh.coverage().tables["coverage_by_cause"]
    assert {"因病", "因残", "缺技术"} <= set(by_cause.columns)
    sizes = next(item for item in zh.combinations().shown if isinstance(item, pd.DataFrame))
    assert sizes["size"].iloc[-1] == "7及以上"
    villages = zh.village_projects().tables["village_projects"]
    assert "特色旅游村" in set(villages["projects"].dropna().str.split("、").explode())


def test_coverage_by_cause_and_township_are_shares_printed_as_percentages(county) -> None:
    from evalkit.report.sections import format_share

    section = coverage.Coverage(coverage.Params()).coverage()
    by_cause = section.tables["coverage_by_cause"].set_index("program")
    shares = programs.coverage(programs.participation(county, 2018), "main_cause").set_index("program")
    assert by_cause.loc["microcredit", "illness"] == pytest.approx(shares.loc["microcredit", "illness"])
    shown = next(i for i in section.shown if isinstance(i, pd.DataFrame) and "illness" in i).set_index("program")
    assert shown.loc["microcredit", "illness"] == format_share(shares.loc["microcredit", "illness"])
    assert shown.loc["medical_insurance", "illness"] == "100.0%"
    township = section.tables["coverage_by_township"].set_index("program")
    assert (township.loc["medical_insurance"] == 1).all()
