"""Return-to-poverty screening rules on hand-made households, the report's 18 households / 40 people, and an
out-of-time risk model that cannot see the future."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, published, reference, risk

RULES = risk.ScreeningRules.from_table()


def _panel(rows: dict[str, list[tuple[float, float, bool]]], years=(2016, 2017, 2018)) -> pd.DataFrame:
    """rows: household -> [(income, transfer, major_event) per year]."""
    records = [
        {"household_id": h, "year": y, "income_pc": inc, "transfer_pc": tr, "major_event": ev, "poverty_line": 3000.0}
        for h, values in rows.items()
        for y, (inc, tr, ev) in zip(years[-len(values) :], values, strict=True)
    ]
    return pd.DataFrame(records)


def test_each_criterion_and_its_edges() -> None:
    panel = _panel(
        {
            "all_four": [(3900, 2000, False), (3700, 2000, False), (3500, 2000, True)],
            "at_4000": [(4200, 2100, False), (4100, 2100, False), (4000, 2100, True)],  # not below 4,000
            "half_transfer": [(3900, 1900, False), (3800, 1900, False), (3600, 1800, True)],  # exactly 50%
            "flat_then_fall": [(3500, 2000, False), (3500, 2000, False), (3400, 2000, True)],  # one fall only
            "short_history": [(3600, 2000, False), (3500, 2000, True)],  # two years of income
            "no_event": [(3900, 2000, False), (3700, 2000, False), (3500, 2000, False)],
        }
    )
    flags = risk.screen(panel, 2018, RULES).set_index("household_id")
    assert flags.loc["all_four", "reasons"] == "low_income; falling_income; transfer_dependent; major_event"
    assert flags["report_rule"].to_dict() == {
        "all_four": True,
        "at_4000": False,
        "half_transfer": False,
        "flat_then_fall": False,
        "short_history": False,
        "no_event": False,
    }
    assert not flags.loc["at_4000", "low_income"] and flags.loc["at_4000", "transfer_dependent"]
    assert not flags.loc["half_transfer", "transfer_dependent"]  # above 50% means strictly above
    assert not flags.loc["flat_then_fall", "falling_income"]
    assert flags.loc["short_history", "income_history"] == 2 and not flags.loc["short_history", "falling_income"]
    assert flags.loc["no_event", "reasons"] == "low_income; falling_income; transfer_dependent"


def test_monitoring_categories_by_hand() -> None:
    panel = _panel(
        {
            "unstable": [(4600, 1000, False), (4400, 1000, False), (4300, 1000, False)],  # falling, below 4,500
            "above_line": [(4700, 1000, False), (4600, 1000, False), (4550, 1000, False)],  # above 1.5 x 3,000
            "hardship": [(6000, 0, False), (6000, 0, False), (5000, 0, True)],  # event and a fall
        }
    )
    flags = risk.screen(panel, 2018, RULES, exited={"unstable", "above_line"}).set_index("household_id")
    assert flags["unstable_exited"].to_dict() == {"unstable": True, "above_line": False, "hardship": False}
    assert flags["sudden_hardship"].to_dict() == {"unstable": False, "above_line": False, "hardship": True}
    assert (
        risk.screen(panel, 2018, dataclasses.replace(RULES, monitoring_line=5000), exited={"above_line"})
        .set_index("household_id")
        .loc["above_line", "unstable_exited"]
    )


def test_rules_are_versioned_data() -> None:
    assert reference.rule_value("report_screening", "income_below", 2018) == 4000
    assert reference.rule_value("monitoring", "monitoring_line", 2024, region="Yunnan") == 8700
    assert reference.rule_value("monitoring", "monitoring_line_multiple", 2021, region="Shanxi") == 1.5  # default
    with pytest.raises(Exception, match="no value of 'income_below' in rule set 'report_screening'.*2030"):
        reference.rule_value("report_screening", "income_below", 2030)


def test_the_rule_is_the_reports_published_rule() -> None:
    """risk_rules.csv is where the thresholds are read from; it must agree with the report's figures."""
    assert RULES.income_below == published.figure("dp_screen_income_line") == 4000
    assert RULES.transfer_share_above == published.figure("dp_screen_transfer_share") / 100 == 0.5
    assert reference.poverty_line("screening", 2016)[0] == 4000


def test_the_report_screening_finds_18_households_and_40_people() -> None:
    county = datasets.load_county()
    households = county["households"]
    exited = set(households.loc[households["exit_year"] <= 2018, "household_id"])
    flags = risk.screen(county["panel"], 2018, RULES, exited=exited)
    flagged = flags.loc[flags["report_rule"], "household_id"]
    assert len(flagged) == 18  # 排查稳定脱贫困难户18户40人
    assert households.set_index("household_id").loc[flagged, "household_size"].sum() == 40
    villages = risk.by_village(flags, households, min_count=5)
    assert villages["suppressed"].sum() > 0 and villages["households"].isna().sum() == villages["suppressed"].sum()
    assert "household_id" not in villages.columns


def test_out_of_time_model_cannot_see_the_future() -> None:
    county = datasets.load_county()
    frame = risk.features(county["panel"], county["households"])
    model = risk.fit(frame, train_until=2018)
    # scramble every 2019 value: neither the fitted model nor the 2018 scores may change
    future = county["panel"].copy()
    rng = np.random.default_rng(0)
    later = future["year"] == 2019
    future.loc[later, "income_pc"] = rng.permutation(future.loc[later, "income_pc"].to_numpy())
    future.loc[later, "major_event"] = ~future.loc[later, "major_event"]
    frame_future = risk.features(future, county["households"])
    model_future = risk.fit(frame_future, train_until=2018)
    pd.testing.assert_series_equal(model.params, model_future.params)
    test, test_future = frame.loc[frame["year"] == 2018], frame_future.loc[frame_future["year"] == 2018]
    assert np.array_equal(model.predict(test), model_future.predict(test_future))
    # the labels of the test year are the only thing that moved
    assert not test["falls"].equals(test_future["falls"])
    # and nothing after train_until entered the training rows
    assert model.n_train == int((frame["label_year"] <= 2018).sum())


def test_model_predicts_next_years_falls_and_returns_out_of_time() -> None:
    county = datasets.load_county()
    frame = risk.features(county["panel"], county["households"])
    model = risk.fit(frame, train_until=2018)
    test = frame.loc[frame["year"] == 2018]
    score = model.predict(test)
    assert risk.roc_auc(score, test["falls"].astype(float)) > 0.9
    exited = test["returns"].notna().to_numpy()
    assert test["returns"][exited].sum() == 24  # the planted 2019 returns
    assert risk.roc_auc(score[exited], test["returns"][exited].astype(float)) > 0.8
    odds = model.odds_ratios().set_index("term")
    assert odds.loc["fell_last_year", "ci_low"] > 1  # a fall this year predicts another


def test_auc_and_precision_by_hand() -> None:
    # events scored 0.35 and 0.8, non-events 0.1 and 0.4: 3 of 4 pairs ordered correctly
    assert risk.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert risk.roc_auc([0.5, 0.5], [0, 1]) == 0.5
    pr = risk.precision_recall_at([0.9, 0.8, 0.1, 0.7], [1, 0, 1, 1], k=2)
    assert pr["precision"] == 0.5 and pr["recall"] == pytest.approx(1 / 3)
