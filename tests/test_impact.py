"""evalkit.impact.did: against linearmodels, against the planted microcredit effect, and on a staggered design
where two-way fixed effects is known to fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, impact, indicators


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    county = datasets.load_county()
    data = county["panel"].merge(county["households"][["household_id", "village_id"]], on="household_id")
    return data.assign(loan=data["microcredit_active"].astype(int))


@pytest.fixture(scope="module")
def truth() -> float:
    table = datasets.load("truth").set_index(["program", "outcome", "group"])["value"]
    return float(table.loc[("microcredit", "operating_pc", "all")])


def _linearmodels(data: pd.DataFrame) -> tuple[float, float]:
    from linearmodels.panel import PanelOLS

    indexed = data.set_index(["household_id", "year"])
    clusters = indexed["village_id"].astype("category").cat.codes.to_frame("village")
    fit = PanelOLS(
        indexed["operating_pc"], indexed[["loan"]].astype(float), entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", clusters=clusters, debiased=False, auto_df=False, count_effects=False)
    return float(fit.params.iloc[0]), float(fit.std_errors.iloc[0])


@pytest.mark.parametrize("drop", [0.0, 0.07], ids=["balanced", "unbalanced"])
def test_twfe_equals_linearmodels(panel, drop) -> None:
    data = panel.sample(frac=1 - drop, random_state=3).sort_values(["household_id", "year"]) if drop else panel
    mine = impact.did(data, "operating_pc", "loan", "household_id", "year", cluster="village_id")
    beta, raw_se = _linearmodels(data)
    g = data["village_id"].nunique()
    assert mine.estimate == pytest.approx(beta, abs=1e-8)
    # evalkit applies the small-cluster factor G / (G - 1) to the same sandwich
    assert mine.std_error == pytest.approx(raw_se * np.sqrt(g / (g - 1)), rel=1e-8)
    assert mine.n_clusters == g


def test_planted_microcredit_effect_and_the_naive_bias(panel, truth) -> None:
    twfe = impact.did(panel, "operating_pc", "loan", "household_id", "year", cluster="village_id")
    imputation = impact.did(
        panel, "operating_pc", "loan", "household_id", "year", cluster="village_id", method="imputation", reps=99
    )
    naive = impact.did(panel, "operating_pc", "loan", "household_id", "year", cluster="village_id", method="naive")
    for result in (twfe, imputation):
        low, high = result.conf_int()
        assert low <= truth <= high, result.summary()
    assert naive.estimate - truth > 3 * naive.std_error  # borrowers already farmed more before any loan
    table = pd.concat([r.to_frame() for r in (twfe, imputation, naive)])
    assert table.columns[:8].tolist() == [
        "method",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "n_clusters",
    ]


def test_event_study_has_flat_pretrends_and_recovers_the_effect(panel, truth) -> None:
    es = impact.did(panel, "operating_pc", "loan", "household_id", "year", cluster="village_id", method="event_study")
    path = es.path.set_index("relative_year")
    assert -1 not in path.index and {-3, -2, 0, 1, 2, 3} <= set(path.index)
    pre = path.loc[[-3, -2]]
    assert ((pre["ci_low"] <= 0) & (pre["ci_high"] >= 0)).all()
    assert es.details["pretrend_p_value"] > 0.05
    low, high = es.conf_int()
    assert low <= truth <= high


def test_staggered_adoption_with_growing_effects_fools_twfe_not_imputation() -> None:
    # 600 units, 8 years; cohorts start in years 3, 5 or never; the effect grows by 1 each year since start.
    rng = np.random.default_rng(11)
    units = np.arange(600)
    start = rng.choice([3, 5, 99], size=units.size, p=[0.4, 0.4, 0.2])
    rows = pd.DataFrame([(u, t) for u in units for t in range(8)], columns=["unit", "year"])
    s = start[rows["unit"]]
    treated = rows["year"].to_numpy() >= s
    effect = np.where(treated, 1.0 + (rows["year"].to_numpy() - s), 0.0)
    rows["y"] = rng.normal(0, 1, units.size)[rows["unit"]] + 0.3 * rows["year"] + effect + rng.normal(0, 0.5, len(rows))
    rows["d"] = treated.astype(int)
    true_att = effect[treated].mean()
    twfe = impact.did(rows, "y", "d", "unit", "year")
    imputation = impact.did(rows, "y", "d", "unit", "year", method="imputation", reps=99, seed=2)
    assert abs(imputation.estimate - true_att) < 2 * imputation.std_error
    for control in ("never", "not_yet"):
        cs = impact.did(rows, "y", "d", "unit", "year", method="callaway_santanna", control=control)
        assert abs(cs.estimate - true_att) < 2 * cs.std_error, cs.summary()
        # the event-time path recovers the growing effect: 1 in the start year, 2 a year later …
        path = cs.path.set_index("relative_year")["estimate"]
        assert path.loc[[0, 1, 2]].to_numpy() == pytest.approx([1, 2, 3], abs=0.25)
    assert abs(twfe.estimate - true_att) > 5 * twfe.std_error  # forbidden comparisons bias TWFE downwards
    assert twfe.estimate < true_att


def test_demeaning_removes_both_effects_exactly() -> None:
    unit = np.array([0, 0, 1, 1, 2])
    time = np.array([0, 1, 0, 1, 1])
    x = 3.0 * unit + 5.0 * time  # purely additive: nothing left after two-way demeaning
    assert np.allclose(impact.demean(x, unit, time), 0, atol=1e-9)


def test_clear_errors() -> None:
    data = pd.DataFrame({"u": [1, 1], "t": [1, 2], "y": [0.0, 1.0], "d": [0, 1]})
    with pytest.raises(
        ValueError, match="method must be one of twfe, event_study, imputation, callaway_santanna, naive"
    ):
        impact.did(data, "y", "d", "u", "t", method="synthetic_control")
    with pytest.raises(ValueError, match="columns not in the data: income"):
        impact.did(data, "income", "d", "u", "t")
    with pytest.raises(ValueError, match="control='never' applies to method='imputation' or 'callaway_santanna'"):
        impact.did(data, "y", "d", "u", "t", control="never")
    with pytest.raises(ValueError, match="does not vary within units over time"):
        impact.did(data.assign(d=[1, 1]), "y", "d", "u", "t")
    switching = pd.DataFrame({"u": [1, 1, 1, 2, 2, 2], "t": [1, 2, 3] * 2, "y": 0.0, "d": [0, 1, 0, 0, 0, 0]})
    with pytest.raises(ValueError, match="unit 1 is treated and later untreated"):
        impact.did(switching, "y", "d", "u", "t", method="callaway_santanna")


def test_missing_rows_are_counted_not_silently_dropped(panel) -> None:
    holes = panel.copy()
    holes.loc[holes.index[:25], "operating_pc"] = np.nan
    result = impact.did(holes, "operating_pc", "loan", "household_id", "year", cluster="village_id")
    assert result.details["rows_dropped_missing"] == 25 and result.n == len(panel) - 25


# ---------------------------------------------------------------- reach, depth, repayment


def test_concentration_index_by_hand_and_against_the_covariance_formula() -> None:

    rng = np.random.default_rng(5)
    income = rng.lognormal(8, 0.5, 300)
    loans = np.where(rng.random(300) < 0.4, rng.integers(1, 6, 300) * 10_000.0, 0.0)
    ci = indicators.concentration_index(income, loans, se="none").estimate
    rank = (np.argsort(np.argsort(income)) + 0.5) / income.size  # fractional rank, mid-points
    assert ci == pytest.approx(2 * np.cov(loans, rank, bias=True)[0, 1] / loans.mean())
    # the concentration index of income over its own ranking is the Gini
    assert indicators.concentration_index(income, income, se="none").estimate == pytest.approx(
        indicators.gini(income, se="none").estimate
    )
    # weights are replicated households
    w = rng.integers(1, 4, 300)
    assert indicators.concentration_index(income, loans, w, se="none").estimate == pytest.approx(
        indicators.concentration_index(np.repeat(income, w), np.repeat(loans, w), se="none").estimate
    )
    curve = indicators.concentration_curve(income, loans)
    assert curve["loan_share"].iloc[0] == 0 and curve["loan_share"].iloc[-1] == pytest.approx(1)


def test_take_up_and_repayment_by_hand() -> None:
    eligible = pd.DataFrame({"household_id": ["a", "b", "c", "d"], "town": ["x", "x", "y", "y"]})
    t = impact.take_up(eligible, ["a", "c", "d", "z"], by="town").set_index("town")
    assert t["borrowers"].tolist() == [1, 2] and t["take_up"].tolist() == [0.5, 1.0]
    loans = pd.DataFrame(
        {
            "model": ["m1", "m1", "m1", "m2"],
            "amount_yuan": [10_000, 20_000, 30_000, 50_000],
            "status_2019": ["repaid", "current", "overdue", "default"],
        }
    )
    r = impact.repayment(loans).set_index("model")
    assert r.loc["m1", ["repaid_share", "current_share", "overdue_share"]].tolist() == pytest.approx([1 / 3] * 3)
    assert r.loc["m1", "at_risk_share"] == pytest.approx(30_000 / 50_000)  # outstanding: current + overdue
    assert r.loc["m2", "at_risk_share"] == 1.0
    # of all loans: not repaid (current, overdue, default), and overdue or in default
    assert r.loc["m1", "outstanding_share"] == pytest.approx(2 / 3) and r.loc["m2", "outstanding_share"] == 1.0
    assert r.loc["m1", "overdue_or_default_share"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="unknown repayment status late"):
        impact.repayment(loans.assign(status_2019="late"))


def test_synthetic_reach_matches_the_report() -> None:
    county = datasets.load_county()
    overall = impact.take_up(county["households"], county["loans"]["household_id"])
    assert overall["borrowers"].iloc[0] == 1568 and overall["eligible"].iloc[0] == 3601  # 直接带动1568户
    r = impact.repayment(county["loans"], by=None)
    assert r["loans"].iloc[0] == 1568 and r["amount_yuan"].iloc[0] == 73_200_000
