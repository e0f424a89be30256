"""Callaway–Sant'Anna and the imputation estimator against the reference implementations on their own
example data (the county teen-employment panel of R's did, read through moderndid), did's published
numbers, hand-worked examples and the synthetic county's planted truth.

The published numbers are in tests/reference/did_mpdta.csv with the page each was printed on."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, impact
from evalkit.errors import EstimationError
from evalkit.evaluations import microcredit as mc
from evalkit.impact import imputation as bjs

REFERENCE = Path(__file__).parent / "reference" / "did_mpdta.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """did's mpdta (500 counties, 2003-2007, first treated 2004, 2006 or 2007, or never), as moderndid ships it."""
    from moderndid import load_mpdta

    return load_mpdta().to_pandas()


def _ours(mpdta: pd.DataFrame, **options: object) -> impact.Effect:
    options.setdefault("control", "never")  # did's default comparison group (evalkit's did() defaults to not_yet)
    return impact.did(
        mpdta, "lemp", None, "countyreal", "year", method="callaway_santanna", first_treated="first.treat", **options
    )


CONFIGURATIONS = {
    "unconditional": ({}, {}),
    "dr": ({"xformla": "~lpop", "est_method": "dr"}, {"covariates": ["lpop"], "estimator": "dr"}),
    "ipw": ({"xformla": "~lpop", "est_method": "ipw"}, {"covariates": ["lpop"], "estimator": "ipw"}),
    "reg": ({"xformla": "~lpop", "est_method": "reg"}, {"covariates": ["lpop"], "estimator": "reg"}),
    "not_yet": ({"control_group": "notyettreated"}, {"control": "not_yet"}),
    "anticipation": ({"anticipation": 1}, {"anticipation": 1}),
    "universal": ({"base_period": "universal"}, {"base_period": "universal"}),
    "weights": (
        {"xformla": "~lpop", "weightsname": "lpop"},
        {"covariates": ["lpop"], "weights": "lpop"},
    ),
}


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_every_configuration_equals_moderndid(mpdta, name) -> None:
    """Group-time effects, their analytic errors and the four aggregations agree with moderndid's port of
    did to machine precision."""
    import moderndid as md

    theirs_options, our_options = CONFIGURATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moderndid's notices on anticipation and dropped early cohorts
        theirs = md.att_gt(
            md.load_mpdta(), "lemp", "year", "countyreal", "first.treat", cband=False, boot=False, **theirs_options
        )
    ours = _ours(mpdta, **our_options)
    cells = ours.group_time
    assert list(zip(cells["cohort"], cells["period"], strict=True)) == [
        (int(g), int(t)) for g, t in zip(theirs.groups, theirs.times, strict=True)
    ]
    assert cells["att"].to_numpy() == pytest.approx(np.asarray(theirs.att_gt), abs=1e-12)
    assert cells["std_error"].to_numpy() == pytest.approx(np.asarray(theirs.se_gt), abs=1e-12, nan_ok=True)
    for kind in ("simple", "group", "calendar", "dynamic"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = md.aggte(theirs, type=kind, cband=False, boot=False)
        mine = ours.aggregate(kind)
        assert mine.estimate == pytest.approx(reference.overall_att, abs=1e-12), kind
        assert mine.std_error == pytest.approx(reference.overall_se, abs=1e-12), kind
    if name == "unconditional":
        assert ours.estimate == ours.aggregate("simple").estimate


@pytest.mark.parametrize("window", [{"min_e": -2, "max_e": 2}, {"balance_e": 1}, {"max_e": 1}])
def test_event_windows_equal_moderndid(mpdta, window) -> None:
    import moderndid as md

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = md.aggte(
            md.att_gt(md.load_mpdta(), "lemp", "year", "countyreal", "first.treat", cband=False, boot=False),
            type="dynamic",
            cband=False,
            boot=False,
            **window,
        )
    mine = _ours(mpdta).aggregate("dynamic", **window)
    assert mine.path["e"].tolist() == [int(e) for e in theirs.event_times]
    assert mine.path["estimate"].to_numpy() == pytest.approx(np.asarray(theirs.att_by_event), abs=1e-12)
    assert mine.path["std_error"].to_numpy() == pytest.approx(np.asarray(theirs.se_by_event), abs=1e-12)
    assert mine.estimate == pytest.approx(theirs.overall_att, abs=1e-12)


def test_dids_published_numbers_on_mpdta(mpdta) -> None:
    """R did's own numbers on mpdta (tests/reference/did_mpdta.csv, 114 rows): analytic group-time effects,
    aggregations, event windows, the universal base and the pre-test, printed to 10-16 digits by reference
    files generated with did 2.5 (agreement to 1e-8); and did's printed bootstrap table, whose point estimates
    agree to the 4 printed decimals and whose errors, random draws, within 15% of the analytic ones."""
    reference = pd.read_csv(REFERENCE)
    assert reference["source"].str.startswith("https://").all() and len(reference) == 114
    options = {name: mine for name, (_, mine) in CONFIGURATIONS.items()}
    options["universal"] = {"base_period": "universal", "covariates": [], "estimator": "reg"}
    fits = {name: _ours(mpdta, **kw) for name, kw in options.items() if name in set(reference["configuration"])}
    for _, row in reference.iterrows():
        result = fits[row["configuration"]]
        kind = row["aggregation"]
        if kind == "group_time":
            cell = result.group_time.set_index(["cohort", "period"]).loc[(int(row["cohort"]), int(row["period"]))]
            value, se = cell["att"], cell["std_error"]
        elif kind.startswith("pretest"):
            value, se = result.details["pre_cells_wald" if kind == "pretest_wald" else "pre_cells_p_value"], np.nan
        else:
            name, _, balance = kind.partition("_balance_e=")
            total = result.aggregate(name, balance_e=int(balance) if balance else None)
            if pd.isna(row["e"]):
                value, se = total.estimate, total.std_error
            else:
                label = {"dynamic": "e", "group": "cohort", "calendar": "period"}[name]
                at = total.path.set_index(label).loc[int(row["e"])]
                value, se = at["estimate"], at["std_error"]
        if row["se_kind"] == "bootstrap":
            assert round(value, 4) == pytest.approx(row["value"], abs=1.01e-4), row.to_dict()
            assert se == pytest.approx(row["std_error"], rel=0.15), row.to_dict()
        elif kind == "pretest_p_value":
            assert round(value, 5) == pytest.approx(row["value"], abs=1.01e-5), row.to_dict()
        else:
            assert value == pytest.approx(row["value"], abs=1e-8), row.to_dict()
            if pd.isna(row["std_error"]):
                assert np.isnan(se) or kind == "pretest_wald", row.to_dict()
            else:
                assert se == pytest.approx(row["std_error"], abs=1e-8), row.to_dict()


def test_first_treated_and_a_treatment_column_give_the_same_effects(mpdta) -> None:
    on = mpdta.assign(on=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])).astype(int))
    a = impact.did(on, "lemp", "on", "countyreal", "year", method="callaway_santanna", control="never")
    b = _ours(mpdta)
    pd.testing.assert_frame_equal(a.group_time, b.group_time)
    missing = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    assert _ours(missing).estimate == b.estimate  # missing means never treated
    with pytest.raises(EstimationError, match="either as a 0/1 column"):
        impact.did(on, "lemp", "on", "countyreal", "year", method="callaway_santanna", first_treated="first.treat")


def test_two_cohorts_by_hand_with_anticipation_and_a_universal_base() -> None:
    # three units over four periods: never treated (0), treated from 3 (A), treated from 4 (B); trend +1
    rows = pd.DataFrame(
        {
            "u": np.repeat([0, 1, 2], 4),
            "t": np.tile([1, 2, 3, 4], 3),
            "y": [0, 1, 2, 3, 5, 6, 10, 11, 2, 3.5, 4, 8],
            "g": np.repeat([0, 3, 4], 4),
        }
    )
    r = impact.did(rows, "y", None, "u", "t", method="callaway_santanna", first_treated="g", control="never")
    cells = r.group_time.set_index(["cohort", "period"])["att"]
    # A in 3: (10 - 6) - (2 - 1) = 3; A in 4: (11 - 6) - (3 - 1) = 3; B in 4: (8 - 4) - (3 - 2) = 3
    assert cells[(3, 3)] == 3 and cells[(3, 4)] == 3 and cells[(4, 4)] == 3
    # placebo of B in 3 with the varying base: (4 - 3.5) - (2 - 1) = -0.5; in 2: (3.5 - 2) - (1 - 0) = 0.5
    assert cells[(4, 3)] == pytest.approx(-0.5) and cells[(4, 2)] == pytest.approx(0.5)
    universal = impact.did(
        rows,
        "y",
        None,
        "u",
        "t",
        method="callaway_santanna",
        first_treated="g",
        control="never",
        base_period="universal",
    ).group_time.set_index(["cohort", "period"])
    # B relative to period 3: in 2, (3.5 - 4) - (1 - 2) = 0.5; the reference cell itself is 0 with no error
    assert universal.loc[(4, 2), "att"] == pytest.approx(0.5)
    assert universal.loc[(4, 3), "att"] == 0 and np.isnan(universal.loc[(4, 3), "std_error"])
    ahead = impact.did(
        rows, "y", None, "u", "t", method="callaway_santanna", first_treated="g", control="never", anticipation=1
    ).group_time.set_index(["cohort", "period"])["att"]
    # one period of anticipation: B's base is period 2: in 4, (8 - 3.5) - (3 - 1) = 2.5
    assert ahead[(4, 4)] == pytest.approx(2.5)
    with pytest.raises(EstimationError, match="anticipation must be a whole number"):
        impact.did(rows, "y", None, "u", "t", method="callaway_santanna", first_treated="g", anticipation=-1)


def test_sampling_weights_equal_duplicated_units(mpdta) -> None:
    weights = (mpdta["countyreal"] % 3 + 1).astype(float)
    weighted = _ours(mpdta.assign(w=weights), covariates=["lpop"], weights="w")
    copies = mpdta.loc[mpdta.index.repeat(weights.astype(int))].copy()
    copies["countyreal"] = copies["countyreal"] * 10 + copies.groupby(["countyreal", "year"]).cumcount()
    duplicated = _ours(copies, covariates=["lpop"])
    assert weighted.group_time["att"].to_numpy() == pytest.approx(duplicated.group_time["att"].to_numpy(), abs=1e-10)
    for kind in ("simple", "dynamic"):
        assert weighted.aggregate(kind).estimate == pytest.approx(duplicated.aggregate(kind).estimate, abs=1e-10)


def test_uniform_bands_are_wider_than_pointwise_intervals_and_bootstrap_errors_match(mpdta) -> None:
    result = _ours(mpdta, bootstrap=True, reps=2000, seed=3)
    analytic = _ours(mpdta)
    cells = result.group_time
    assert (cells["band_high"] - cells["band_low"] > cells["ci_high"] - cells["ci_low"]).all()
    assert cells["std_error"].to_numpy() == pytest.approx(analytic.group_time["std_error"].to_numpy(), rel=0.1)
    dynamic = result.aggregate("dynamic")
    assert dynamic.se_method == "multiplier bootstrap"
    assert {"band_low", "band_high"} <= set(dynamic.path.columns)
    again = _ours(mpdta, bootstrap=True, reps=2000, seed=3)
    pd.testing.assert_frame_equal(again.group_time, cells)  # the seed fixes the draws


def test_uniform_bands_cover_every_cell_at_once_in_repeated_samples() -> None:
    """With true effects known, a 95% band should cover all cells together in about 95% of samples, while
    pointwise intervals cover all of them together less often."""
    rng = np.random.default_rng(21)
    n, periods = 400, 6
    covered_band, covered_points = 0, 0
    samples = 60
    for _ in range(samples):
        unit = np.repeat(np.arange(n), periods)
        t = np.tile(np.arange(1, periods + 1), n)
        first = rng.choice([0, 3, 4, 5], n)
        treated = (first[unit] > 0) & (t >= first[unit])
        y = rng.normal(0, 1, n)[unit] + 0.3 * t + 0.5 * treated + rng.normal(0, 1, n * periods)
        frame = pd.DataFrame({"u": unit, "t": t, "y": y, "g": first[unit]})
        r = impact.did(
            frame,
            "y",
            None,
            "u",
            "t",
            method="callaway_santanna",
            first_treated="g",
            control="never",
            bootstrap=True,
            reps=499,
            seed=int(rng.integers(1 << 30)),
        )
        cells = r.group_time
        truth = np.where(cells["period"] >= cells["cohort"], 0.5, 0.0)
        covered_band += bool(((cells["band_low"] <= truth) & (truth <= cells["band_high"])).all())
        covered_points += bool(((cells["ci_low"] <= truth) & (truth <= cells["ci_high"])).all())
    assert covered_band / samples >= 0.85
    assert covered_points < covered_band


def test_the_conditional_estimator_recovers_the_planted_effect_where_selection_was_on_trends() -> None:
    """Borrowing in the synthetic county was selected on income trends: with the pre-loan covariates
    (2014-15 trend among them) the doubly robust Callaway–Sant'Anna lands on the planted effect, closer than
    the unconditional one."""
    county = datasets.load_county()
    panel = mc.analysis_panel(county, 2017)
    truth = mc.truths(county["truth"], "income_pc", 2017)["post_years"]
    args = (panel, "income_pc", "loan", "household_id", "year")
    plain = impact.did(*args, cluster="village_id", method="callaway_santanna")
    conditional = impact.did(*args, cluster="village_id", method="callaway_santanna", covariates=mc.COVARIATES)
    low, high = conditional.conf_int()
    assert low <= truth <= high
    assert abs(conditional.estimate - truth) < abs(plain.estimate - truth) / 3
    assert conditional.details["estimator"] == "dr" and "main_cause" not in conditional.details["covariates"]


# ---------------------------------------------------------------- imputation (Borusyak, Jaravel, Spiess)


def _staggered(seed: int, n: int = 300, periods: int = 8) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n), periods)
    t = np.tile(np.arange(periods), n)
    start = rng.choice([3, 5, 7, 99], n)
    d = (t >= start[u]).astype(float)
    effect = np.where(d > 0, 1 + 0.3 * (t - start[u]), 0.0)
    y = rng.normal(0, 1, n)[u] + np.linspace(0, 2, periods)[t] + effect + rng.normal(0, 1, n * periods)
    return y, d, u, t, rng.uniform(1, 2, n)[u], effect


@pytest.mark.parametrize("control", ["not_yet", "never"])
def test_the_imputation_weights_reproduce_the_estimator_on_any_outcome(control) -> None:
    """The estimator is linear in the outcomes: the weights behind the analytic variance must give the
    estimate for the data and for any other outcome (checked against a refit)."""
    y, d, u, t, w, _ = _staggered(1)
    a, b, wu, wt, _ = bjs.impute(y, d, u, t, w, control)
    target = np.where(d > 0, w, 0.0) / w[d > 0].sum()
    v = np.where(d > 0, target, bjs._untreated_weights(target, u, t, w, d, control))
    assert v @ y == pytest.approx(bjs.att(y, d, u, t, w, control), abs=1e-9)
    other = np.random.default_rng(2).normal(0, 3, y.size)
    assert v @ other == pytest.approx(bjs.att(other, d, u, t, w, control), abs=1e-9)


def test_the_imputation_path_recovers_growing_effects_and_its_errors_cover() -> None:
    hits, total, ratios = 0, 0, []
    for seed in range(30):
        y, d, u, t, w, effect = _staggered(seed)
        frame = pd.DataFrame({"y": y, "d": d, "u": u, "t": t, "w": w, "c": u // 3})
        r = impact.did(frame, "y", "d", "u", "t", cluster="c", weights="w", method="imputation", reps=0)
        assert r.se_method == "BJS analytic"
        truth = 1 + 0.3 * r.path["relative_year"]
        hits += int(((r.path["ci_low"] <= truth) & (truth <= r.path["ci_high"])).sum())
        total += len(truth)
        ratios.append(r.std_error)
    assert 0.9 <= hits / total <= 1.0  # conservative by construction: at least nominal, up to sampling noise
    y, d, u, t, w, effect = _staggered(0)
    frame = pd.DataFrame({"y": y, "d": d, "u": u, "t": t, "w": w, "c": u // 3})
    r = impact.did(frame, "y", "d", "u", "t", cluster="c", weights="w", method="imputation", reps=199, seed=4)
    assert r.details["bootstrap_std_error"] == pytest.approx(r.std_error, rel=0.3)
    assert r.path["relative_year"].tolist() == [0, 1, 2, 3, 4]


def test_the_imputation_error_by_hand_on_two_periods() -> None:
    """Four never-treated units and one unit treated in period 2: the estimate is the treated unit's change
    minus the mean change of the others, and BJS's variance reduces to sum (change_i - mean change)^2 / N^2
    (the treated observation is alone in its cohort and period, so its residual is zero)."""
    change = np.array([1.0, 2.0, 4.0, 5.0])
    rows = pd.DataFrame(
        {
            "u": np.repeat(np.arange(5), 2),
            "t": np.tile([1, 2], 5),
            "y": np.concatenate([[[0.0, c] for c in change], [[10.0, 20.0]]]).ravel(),
            "d": [0, 0] * 4 + [0, 1],
        }
    )
    r = impact.did(rows, "y", "d", "u", "t", method="imputation", reps=0)
    assert r.estimate == pytest.approx(10 - change.mean())
    assert r.std_error == pytest.approx(np.sqrt(((change - change.mean()) ** 2).sum()) / 4)
    assert r.path.to_dict("records")[0]["estimate"] == pytest.approx(r.estimate)


def test_units_treated_in_a_period_numbered_zero_are_treated_in_the_first_period_not_controls() -> None:
    """Periods numbered from 0: units treated from period 0 are left out as treated in the first period (they
    have no untreated base), never taken for never-treated comparison units; a first_treated of 0 is then
    ambiguous and refused."""
    rng = np.random.default_rng(7)
    n, periods = 300, 5
    unit = np.repeat(np.arange(n), periods)
    first = rng.choice([-1, 0, 2, 3], n)  # -1: never
    noise = rng.normal(0, 0.1, unit.size)
    shifted = []
    for origin in (0, 1):
        t = np.tile(np.arange(periods), n) + origin
        start = np.where(first[unit] >= 0, first[unit] + origin, 10**6)
        treated = t >= start
        y = 0.5 * t + np.where(treated, 2.0 + (t - start), 0.0) + noise
        frame = pd.DataFrame({"u": unit, "t": t, "y": y, "d": treated.astype(int)})
        r = impact.did(frame, "y", "d", "u", "t", method="callaway_santanna", control="never")
        assert r.details["cohorts_treated_in_first_period"] == int((first == 0).sum())
        shifted.append(r.estimate)
    assert shifted[0] == pytest.approx(shifted[1], abs=1e-9)
    zero = pd.DataFrame({"u": [0, 0, 1, 1], "t": [0, 1, 0, 1], "y": [0.0, 1, 0, 2], "g": [0, 0, 1, 1]})
    with pytest.raises(EstimationError, match="0 means never treated"):
        impact.did(zero, "y", None, "u", "t", method="callaway_santanna", first_treated="g")


def test_imputation_leaves_out_treated_cells_its_untreated_graph_does_not_connect() -> None:
    """Never-treated units seen only in periods 1-2, or only in 3-4: a unit treated from period 3 and seen
    untreated only in 1-2 cannot have its period-3 outcome imputed (the two halves' levels are not tied);
    it is left out and counted, and with nothing identifiable the estimator says so."""
    rows = []
    for i in range(6):  # never treated, first half or second half of the periods
        periods = (1, 2) if i < 3 else (3, 4)
        rows += [{"u": i, "t": p, "y": float(i + p + (10 if p > 2 else 0)), "d": 0} for p in periods]
    rows += [{"u": 6, "t": p, "y": float(p + (2 if p >= 3 else 0)), "d": int(p >= 3)} for p in (1, 2, 3, 4)]
    rows += [{"u": 7, "t": p, "y": float(p + 11 + (2 if p == 4 else 0)), "d": int(p == 4)} for p in (3, 4)]
    frame = pd.DataFrame(rows)
    r = impact.did(frame, "y", "d", "u", "t", method="imputation", reps=0)
    assert r.details["treated_observations"] == 1  # unit 7 in period 4 only
    assert r.details["treated_without_untreated_cell"] == 2
    assert r.estimate == pytest.approx(2.0)
    never = frame.loc[frame["u"] >= 6]
    with pytest.raises(EstimationError, match="no treated observation has an imputable"):
        impact.did(never, "y", "d", "u", "t", method="imputation", control="never", reps=0)
