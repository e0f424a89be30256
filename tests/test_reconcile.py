"""Reconciliation of the report's identities, with hand-worked values."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import published


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return published.reconcile().set_index("identity")


def test_columns_and_size(table: pd.DataFrame) -> None:
    assert {"lhs", "rhs", "gap", "holds"} <= set(table.columns)
    stored = len(published.identities())
    lists = published.named_lists()["list_id"].nunique()
    assert len(table) == stored + lists


def test_the_illness_figures_do_not_add_up(table: pd.DataFrame) -> None:
    failing = table.loc[~table["holds"]]
    assert failing.index.tolist() == ["health_subgroups"]
    row = failing.loc["health_subgroups"]
    # 343 major + 42 severe + 2,160 chronic = 2,545, not the 2,557 reported
    assert (row["lhs"], row["rhs"], row["gap"]) == (343 + 42 + 2160, 2557, -12)


@pytest.mark.parametrize(
    ("identity", "lhs", "rhs"),
    [
        ("exits_hh_sum", 183 + 494 + 996 + 1291, 2964),
        ("exits_pp_sum", 424 + 1204 + 2398 + 2770, 6796),
        ("remaining_hh", 3601 - 2964, 637),
        ("remaining_pp", 8055 - 6796, 1259),
        ("reloc_status_hh", 89 + 16, 105),
        ("reloc_status_pp", 309 + 36, 345),
        ("reloc_settlement_hh", 76 + 29, 105),
        ("reloc_settlement_pp", 235 + 110, 345),
        ("reloc_sites_hh", 10 + 14 + 52, 76),
        ("reloc_sites_pp", 26 + 45 + 164, 235),
        ("supervision_handled", 22 + 15, 37),
        ("villages_exited_by_year", 2 + 8, 10),
        ("list_tourism_villages", 10, 10),
        ("list_workshops", 6, 6),
    ],
)
def test_exact_identities(table: pd.DataFrame, identity: str, lhs: float, rhs: float) -> None:
    row = table.loc[identity]
    assert (row["lhs"], row["rhs"], row["gap"], row["holds"]) == (lhs, rhs, lhs - rhs, True)


def test_incidence_identities_hold_within_rounding(table: pd.DataFrame) -> None:
    start = table.loc["incidence_base"]
    assert start["lhs"] == pytest.approx(8055 / 130_000 * 100)  # 6.1962 -> reported 6.2
    assert start["gap"] == pytest.approx(8055 / 1300 - 6.2)
    assert start["holds"] and abs(start["gap"]) <= 0.05
    end = table.loc["incidence_end"]
    assert end["lhs"] == pytest.approx(1259 / 1300)  # 0.9685 -> reported 0.97
    assert end["holds"] and abs(end["gap"]) <= 0.005


def test_microcredit_average_is_below_the_cap(table: pd.DataFrame) -> None:
    row = table.loc["microcredit_average_cap"]
    assert row["lhs"] == pytest.approx(73_000_000 / 1568)  # 46,556 yuan
    assert row["rhs"] == 50_000 and row["holds"]


def test_a_broken_part_whole_is_found_with_its_gap(edit_csv) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame["figure_id"] == "hou_site_jinxiu_pp", "value"] = "160"

    table = published.reconcile(edit_csv("published/ledger.csv", change)).set_index("identity")
    assert table.loc["reloc_sites_pp", "gap"] == -4
    assert not table.loc["reloc_sites_pp", "holds"]


@pytest.mark.parametrize("expression", ["__import__('os')", "a.b", "a ** 2", "count('x')", "lambda: 1"])
def test_expressions_are_restricted(expression: str) -> None:
    with pytest.raises(ValueError):
        published.evaluate(expression, {"a": 1.0}, {"x": 1})


def test_unknown_figure_in_identity_names_the_row(edit_csv) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[2, "rhs"] = "ov_remaining_households"

    data = edit_csv("published/identities.csv", change)
    with pytest.raises(Exception, match=r"identities.csv, row 4.*unknown figure id 'ov_remaining_households'"):
        published.reconcile(data)
