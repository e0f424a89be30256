"""The published-figures ledger: completeness, unit conversion, exact values, errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from evalkit import paths, published
from evalkit.errors import LedgerError

MULTIPLIER = {"万元": 1e4, "亿元": 1e8, "万": 1e4, "万亩": 1e4}


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return published.load()


def test_ledger_shape(ledger: pd.DataFrame) -> None:
    assert len(ledger) > 150
    assert ledger["figure_id"].is_unique
    assert list(ledger.columns) == published.LEDGER_COLUMNS
    assert ledger["value"].notna().all()
    # every area (overview + twelve lines of work) has figures
    assert set(ledger["area"]) == set(published.areas()["area"])
    assert len(published.areas()) == 13


def test_every_written_number_is_in_the_ledger() -> None:
    gaps = published.coverage_gaps()
    assert gaps.empty, gaps.to_string()


def test_source_phrases_are_verbatim(ledger: pd.DataFrame) -> None:
    text = paths.report_source().read_text(encoding="utf-8")
    assert all(phrase in text for phrase in ledger["source_phrase"])


def test_canonical_value_equals_reported_value_times_unit(ledger: pd.DataFrame) -> None:
    numeric = ledger.loc[ledger["value_reported"].fillna("").str.fullmatch(r"\d+(\.\d+)?")]
    assert len(numeric) > 110
    expected = numeric["value_reported"].astype(float) * numeric["unit_reported"].map(MULTIPLIER).fillna(1.0)
    pd.testing.assert_series_equal(numeric["value"].round(4), expected.round(4), check_names=False)


@pytest.mark.parametrize(
    ("figure_id", "value", "more_than"),
    [
        ("ov_total_pop", 165_000, False),
        ("ov_agri_pop", 130_000, False),
        ("ov_poor_hh_base", 3_601, False),
        ("ov_poor_pp_base", 8_055, False),
        ("ov_incidence_base", 6.2, False),
        ("ov_incidence_end", 0.97, False),
        ("fun_special_funds", 55_372_600, False),
        ("fun_invested", 37_900_700, False),
        ("fun_risk_fund", 7_440_000, False),
        ("fun_microcredit", 73_000_000, True),
        ("fun_microcredit_hh", 1_568, False),
        ("edu_invest", 65_921_100, False),
        ("eco_ranger_forest", 360_000, False),
        ("eco_fruit_forest_area", 30_000, False),
        ("eco_ranger_income", 3_000, True),
        ("inf_roads_invest", 200_000_000, True),
        ("inf_fitness_invest", 150_000, True),
        ("sn_insurance_payout", 2_876_300, False),
        ("cul_films", 3_000, True),
        ("ind_solar_capacity", 680, False),
    ],
)
def test_hand_checked_figures(ledger: pd.DataFrame, figure_id: str, value: float, more_than: bool) -> None:
    row = ledger.set_index("figure_id").loc[figure_id]
    assert row["value"] == pytest.approx(value)
    assert bool(row["more_than"]) is more_than


def test_years_of_exit_figures(ledger: pd.DataFrame) -> None:
    exits = ledger.loc[ledger["figure_id"].str.match(r"ov_exit_(hh|pp)_\d{4}$")]
    assert sorted(exits["year"].unique().tolist()) == [2015, 2016, 2017, 2018]
    assert published.evaluation_years() == [2015, 2016, 2017, 2018]
    assert published.latest_year() == 2018


def test_named_lists_items_are_in_the_report() -> None:
    lists = published.named_lists()
    text = paths.report_source().read_text(encoding="utf-8")
    assert lists["item_zh"].map(lambda item: item in text).all()
    sizes = lists.groupby("list_id").size()
    assert sizes["tourism_villages"] == 10
    assert sizes["workshops"] == 6
    assert sizes["ecommerce_villages"] == 7
    assert sizes["lines_of_work"] == 12
    assert sizes["microcredit_models"] == 4


def test_unstated_counts_are_flagged(ledger: pd.DataFrame) -> None:
    unstated = ledger.loc[~ledger["stated"], "figure_id"]
    assert "emp_training_courses" in set(unstated)
    # a stated figure never has an empty reported value
    stated = ledger.loc[ledger["stated"]]
    assert stated["value_reported"].fillna("").ne("").all()


def test_bad_ledger_reports_every_row_and_column(edit_csv) -> None:
    def corrupt(frame: pd.DataFrame) -> None:
        frame.loc[3, "value"] = "about 5"  # line 5 in the file
        frame.loc[7, "unit"] = "万 元"  # line 9
        frame.loc[10, "figure_id"] = frame.loc[11, "figure_id"]  # lines 12 and 13 share an id

    data = edit_csv("published/ledger.csv", corrupt)
    with pytest.raises(LedgerError) as info:
        published.load(data)
    message = str(info.value)
    assert "ledger.csv" in message
    assert re.search(r"row 5, column 'value'", message)
    assert re.search(r"row 9, column 'unit'", message)
    assert re.search(r"row 1[23], column 'figure_id'", message)
    assert "How to fix" in message


def test_phrase_not_in_report_is_rejected(edit_csv) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[0, "source_phrase"] = "报告中没有这句话"

    data = edit_csv("published/ledger.csv", change)
    with pytest.raises(LedgerError, match=r"row 2, column 'source_phrase'"):
        published.load(data)


def test_load_returns_a_new_frame() -> None:
    first = published.load()
    first.loc[0, "value"] = -1
    assert published.load().loc[0, "value"] != -1
