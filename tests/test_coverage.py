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
