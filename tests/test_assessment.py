"""The exit assessment: the four figures by hand, sample size against simulation, the draw, coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_indicators import _loop_variance

from evalkit import assessment, datasets, sampling, synth
from evalkit.errors import DataError


def _survey() -> pd.DataFrame:
    # two townships, two villages each, two households per village
    return pd.DataFrame(
        {
            "township_id": ["A"] * 4 + ["B"] * 4,
            "village_id": ["a1", "a1", "a2", "a2", "b1", "b1", "b2", "b2"],
            "weight": [10.0, 10, 20, 20, 5, 5, 15, 15],
            "household_size": [2, 3, 1, 4, 2, 2, 3, 1],
            "registry_status_2018": [
                "exited",
                "exited",
                "not_registered",
                "exited",
                "not_registered",
                "registered",
                "exited",
                "not_registered",
            ],
            "income_pc_2018": [5000, 2500, 2000, 6000, 9000, 2000, 4000, 8000],
            "poverty_line_2018": [3000.0] * 8,
            "meets_exit_criteria": [True, False, False, True, True, False, True, True],
            "approves": [True, False, True, True, True, True, True, False],
        }
    )


def test_the_four_figures_by_hand() -> None:
    s = _survey()
    persons = (s["weight"] * s["household_size"]).to_numpy()  # 20 30 20 80 10 10 45 15
    wrong = assessment.wrong_exit_rate(s)
    # exited persons: 20 + 30 + 80 + 45 = 175; failing: 30
    assert wrong.estimate == pytest.approx(30 / 175)
    u = np.array([0, 1, 0, 0, 0, 0, 0, 0.0])
    d = np.array([1, 1, 0, 1, 0, 0, 1, 0.0])
    z = (u - 30 / 175 * d) / 175
    assert wrong.std_error == pytest.approx(
        math.sqrt(_loop_variance(z, persons, s["township_id"].to_numpy(), s["village_id"].to_numpy()))
    )
    assert wrong.threshold == 0.02 and not wrong.passes
    missed = assessment.missed_rate(s)
    # not registered: 20 + 10 + 15 = 45 persons; below the line: the 20 (income 2,000)
    assert missed.estimate == pytest.approx(20 / 45)
    composite = assessment.composite_incidence(s, remaining_persons=10, rural_persons=1000)
    assert composite.estimate == pytest.approx((10 + 20 + 30) / 1000)
    approval = assessment.approval_rate(s)
    # households weighted: 10 + 20 + 20 + 5 + 5 + 15 approve of 100
    assert approval.estimate == pytest.approx(75 / 100) and approval.direction == "at_least" and not approval.passes
    table = assessment.assess(s, remaining_persons=10, rural_persons=1000)
    assert table["indicator"].tolist() == ["wrong_exit_rate", "missed_rate", "composite_incidence", "approval_rate"]
    assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()
    assert ((table["ci_low"] >= 0) & (table["ci_high"] <= 1)).all()


def test_probability_of_meeting_the_threshold_moves_the_right_way() -> None:
    low = assessment.rate_estimate("r", [0] * 500 + [1] * 2, [1] * 502, threshold=0.02)
    high = assessment.rate_estimate("r", [0] * 480 + [1] * 22, [1] * 502, threshold=0.02)
    assert low.p_meets > 0.99 and high.p_meets < 0.05
    approval = assessment.rate_estimate("a", [1] * 95 + [0] * 5, [1] * 100, threshold=0.9, direction="at_least")
    assert (
        approval.passes and approval.p_meets > 0.9 and approval.p_below_threshold == pytest.approx(1 - approval.p_meets)
    )


def test_missing_columns_are_listed_at_once() -> None:
    with pytest.raises(DataError, match=r"lacks columns: weight .*; approves"):
        assessment.wrong_exit_rate(_survey().drop(columns=["weight", "approves"]))


def test_thresholds_come_from_reference_data() -> None:
    assert assessment.thresholds() == {
        "wrong_exit_rate": 0.02,
        "missed_rate": 0.02,
        "composite_incidence": 0.02,
        "approval_rate": 0.9,
    }
    assert assessment.thresholds("west")["composite_incidence"] == 0.03


@pytest.mark.slow
@pytest.mark.parametrize(("icc", "power"), [(0.0, 0.8), (0.02, 0.8), (0.05, 0.9)])
def test_sample_size_achieves_its_power_in_simulation(icc, power) -> None:
    plan = assessment.sample_size(p_true=0.01, threshold=0.02, icc=icc, power=power, per_village=25)
    assert plan.households_needed == plan.villages_needed * 25 >= plan.households_srs * plan.design_effect
    achieved = assessment.simulated_power(plan, reps=20000, seed=1)
    assert abs(achieved - power) < 0.03, achieved  # Monte Carlo s.e. about 0.003


def test_allocation_and_a_reproducible_visit_list() -> None:
    assert sampling.allocate(7, [10, 0.5, 5], minimum=1).tolist() == [4, 1, 2]
    county = datasets.load_county()
    exited = county["households"].loc[county["households"]["exit_year"].notna()]
    by_town = exited.merge(county["villages"][["village_id", "township_id"]]).groupby("township_id").size()
    counts = pd.Series(sampling.allocate(20, by_town.to_numpy(), minimum=1), index=by_town.index)
    visit = assessment.draw_visit_list(county["households"], county["villages"], counts, 10, seed=7)
    again = assessment.draw_visit_list(county["households"], county["villages"], counts, 10, seed=7)
    pd.testing.assert_frame_equal(visit, again)
    assert visit["village_id"].nunique() == 20 and visit["household_id"].is_unique
    assert set(visit["household_id"]) <= set(exited["household_id"])
    assert list(visit.columns) == [
        "township_id",
        "village_id",
        "household_id",
        "village_prob",
        "household_prob",
        "weight",
    ]
    # weights estimate the number of exited households (Horvitz-Thompson), roughly
    assert visit["weight"].sum() == pytest.approx(len(exited), rel=0.25)


@pytest.mark.slow
def test_intervals_cover_the_true_county_values_in_repeated_samples() -> None:
    from evalkit.synth.survey import draw_survey

    county = synth.generate(include_frame=True)
    frame, p = county["frame"], synth.SynthParams()
    truth = county["truth"].query("program == 'exit_assessment'").set_index("outcome")["value"]
    line = float(county["survey"]["poverty_line_2018"].iloc[0])
    remaining = county["households"].loc[county["households"]["exit_year"].isna(), "household_size"].sum()
    covered = {name: [] for name in truth.index}
    for i in range(200):
        s = draw_survey(np.random.default_rng([2018, i]), p, county["villages"], frame, line)
        table = assessment.assess(s, remaining_persons=remaining, rural_persons=130_000).set_index("indicator")
        for name in covered:
            covered[name].append(table.loc[name, "ci_low"] <= truth[name] <= table.loc[name, "ci_high"])
    rates = {name: float(np.mean(v)) for name, v in covered.items()}
    assert all(0.90 <= r <= 0.99 for r in rates.values()), rates  # nominal 95%; Monte Carlo s.e. 1.5 points


def test_entered_results_with_bad_values_are_listed(tmp_path) -> None:
    s = _survey().astype({"approves": object, "weight": object})
    s.loc[2, "approves"] = "maybe"
    s.loc[5, "weight"] = "-"
    path = tmp_path / "entered.csv"
    s.to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"row 4, column 'approves': 'maybe' is not true/false\n  row 7, column 'weight'"
    ):
        assessment.read_survey(str(path))
    s = _survey()
    s.to_csv(path, index=False)
    assert assessment.read_survey(str(path))["approves"].tolist() == _survey()["approves"].tolist()


def test_icc_estimate_recovers_a_simulated_correlation() -> None:
    rng = np.random.default_rng(4)
    rho, p, k, m = 0.1, 0.2, 400, 30
    pi = rng.beta(p * (1 - rho) / rho, (1 - p) * (1 - rho) / rho, k)
    y = (rng.random((k, m)) < pi[:, None]).ravel()
    assert assessment.estimate_icc(y, np.repeat(np.arange(k), m)) == pytest.approx(rho, abs=0.02)
