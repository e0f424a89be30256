"""Heterogeneity-robust DiD, the wild cluster bootstrap and effects on the treated, each against a reference
package on public data or against hand-worked numbers; then the microcredit evaluation against its planted truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, impact
from evalkit.evaluations import microcredit as mc

# ---------------------------------------------------------------- Callaway–Sant'Anna against `differences`


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    """Cheng and Hoekstra's castle-doctrine panel (50 states, 2000-2010, staggered adoption), as causaldata ships it."""
    from causaldata import castle as source

    data = source.load_pandas().data
    data["treated"] = (data.groupby("sid")["post"].cummax() > 0).astype(int)
    first = data.loc[data["post"] > 0].groupby("sid")["year"].min()
    data["cohort"] = data["sid"].map(first)
    return data


@pytest.mark.slow
@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_callaway_santanna_equals_the_differences_package(castle, control) -> None:
    from differences import ATTgt

    mine = impact.did(castle, "l_homicide", "treated", "sid", "year", method="callaway_santanna", control=control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = ATTgt(data=castle.set_index(["sid", "year"])[["l_homicide", "cohort"]], cohort_column="cohort")
        reference.fit(formula="l_homicide", control_group=f"{control}_treated", progress_bar=False)
        cells = reference.results().droplevel(0, axis=1).iloc[:, :2].set_axis(["att", "se"], axis=1).reset_index()
        simple = reference.aggregate("simple").droplevel(0, axis=1)
        event = reference.aggregate("event").droplevel(0, axis=1).iloc[:, :2].set_axis(["att", "se"], axis=1)
    both = mine.group_time.merge(cells, left_on=["cohort", "period"], right_on=["cohort", "time"], validate="1:1")
    assert len(both) == len(mine.group_time) == len(cells) == 50  # 5 cohorts x 10 periods
    # `differences` computes in single precision in places: agreement to 1e-7 on log rates of order 1
    assert both["att_x"].to_numpy() == pytest.approx(both["att_y"].to_numpy(), abs=1e-7)
    assert both["std_error"].to_numpy() == pytest.approx(both["se"].to_numpy(), abs=1e-7)
    assert mine.estimate == pytest.approx(float(simple.iloc[0, 0]), abs=1e-7)
    assert mine.std_error == pytest.approx(float(simple.iloc[0, 1]), abs=1e-7)
    path = mine.path.set_index("relative_year").join(event)
    assert path["estimate"].to_numpy() == pytest.approx(path["att"].to_numpy(), abs=1e-7)
    assert path["std_error"].to_numpy() == pytest.approx(path["se"].to_numpy(), abs=1e-7)


# ---------------------------------------------------------------- wild cluster bootstrap against `wildboottest`


def _small_panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, years = 120, 6
    data = pd.DataFrame({"u": np.repeat(np.arange(units), years), "t": np.tile(np.arange(years), units)})
    data["c"] = data["u"] % 10
    start = rng.integers(2, 7, size=units)
    start[rng.random(units) < 0.4] = 99
    data["d"] = (data["t"] >= start[data["u"]]).astype(int)
    data["y"] = (
        0.3 * data["d"]
        + rng.normal(size=len(data))
        + 0.05 * data["u"]
        + 0.2 * data["t"]
        + 0.5 * rng.normal(size=10)[data["c"]]
    )
    return data


@pytest.mark.slow
@pytest.mark.parametrize("null", [0.0, 0.3])
def test_wild_cluster_bootstrap_equals_wildboottest_with_dummies(null) -> None:
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    data = _small_panel(5)
    mine = impact.wild_cluster_bootstrap(data, "y", "d", "u", "t", cluster="c", null=null)
    assert mine.details["enumerated"] and mine.details["bootstrap_draws"] == 2**10
    dummies = pd.get_dummies(data[["u", "t"]].astype(str), drop_first=True, dtype=float)
    x = pd.concat([pd.Series(1.0, index=data.index, name="const"), data["d"].astype(float), dummies], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = wildboottest(
            sm.OLS(data["y"] - null * data["d"], x), param="d", cluster=data["c"], B=9999, seed=1, show=False
        )
    theirs = float(reference["p-value"].iloc[0])
    # both enumerate all 1,024 sign vectors; the two all-equal vectors reproduce the observed t exactly and
    # evalkit counts these ties as "at least as extreme" (conservative), so it may exceed by exactly 2/1024
    assert mine.p_value in (pytest.approx(theirs, abs=1e-12), pytest.approx(theirs + 2 / 1024, abs=1e-12))
    fit = sm.OLS(data["y"], x).fit()
    assert mine.estimate == pytest.approx(fit.params["d"], abs=1e-10)


def test_wild_bootstrap_interval_inverts_the_test() -> None:
    data = _small_panel(8)
    result = impact.wild_cluster_bootstrap(data, "y", "d", "u", "t", cluster="c")
    low, high = result.conf_int()
    assert low < result.estimate < high
    just_inside = [
        impact.wild_cluster_bootstrap(data, "y", "d", "u", "t", cluster="c", null=b).p_value
        for b in (low + 1e-6, high - 1e-6)
    ]
    just_outside = [
        impact.wild_cluster_bootstrap(data, "y", "d", "u", "t", cluster="c", null=b).p_value
        for b in (low - 1e-3, high + 1e-3)
    ]
    assert min(just_inside) > 0.05 >= max(just_outside)


# ---------------------------------------------------------------- effects on the treated, by hand


def test_att_methods_by_hand_on_a_saturated_binary_covariate() -> None:
    # x = 0: one treated (10), untreated 1, 2, 3; x = 1: treated 20 and 22, untreated 8.
    # Within-cell differences 10 - 2 = 8 and 21 - 8 = 13, weighted by treated shares 1/3 and 2/3: 34/3.
    data = pd.DataFrame(
        {"y": [10, 1, 2, 3, 20, 22, 8], "d": [1, 0, 0, 0, 1, 1, 0], "x": [0, 0, 0, 0, 1, 1, 1]}, dtype="int8"
    )
    assert impact.att(data, "y", "d").estimate == pytest.approx(52 / 3 - 14 / 4)
    for method in ("ols", "ipw", "aipw"):
        assert impact.att(data, "y", "d", ["x"], method, reps=19).estimate == pytest.approx(34 / 3), method
    # the logistic propensity of a saturated model is the treated share of each cell
    assert impact.propensity(data, "d", ["x"]) == pytest.approx([1 / 4] * 4 + [2 / 3] * 3)


def test_att_regression_adjustment_by_hand_and_no_int8_overflow() -> None:
    # untreated lie on y = 1 + 2x; treated at x = 1, 3 with y = 6, 9: effects 3 and 2
    data = pd.DataFrame({"y": [1, 3, 5, 6, 9], "d": [0, 0, 0, 1, 1], "x": [0, 1, 2, 1, 3]})
    assert impact.att(data, "y", "d", ["x"], "ols", reps=19).estimate == pytest.approx(2.5)
    big = pd.DataFrame({"y": [120, 125, 127, -128, -120], "d": [1, 1, 1, 0, 0]}, dtype="int8")
    assert impact.att(big, "y", "d").estimate == pytest.approx(124 + 124)


def test_att_difference_in_means_standard_error_is_the_two_sample_formula() -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"y": rng.normal(size=200), "d": rng.integers(0, 2, 200)})
    result = impact.att(data, "y", "d")
    y1, y0 = data.loc[data["d"] == 1, "y"], data.loc[data["d"] == 0, "y"]
    assert result.std_error == pytest.approx(np.sqrt(y1.var(ddof=0) / len(y1) + y0.var(ddof=0) / len(y0)))


def test_att_errors() -> None:
    data = pd.DataFrame({"y": [1.0, 2.0], "d": [0, 1]})
    with pytest.raises(ValueError, match="method='ipw' needs covariates"):
        impact.att(data, "y", "d", method="ipw")
    with pytest.raises(ValueError, match="treatment must be coded 0/1"):
        impact.att(data.assign(d=[0, 2]), "y", "d")
    with pytest.raises(ValueError, match="method must be one of diff, ols, ipw, aipw"):
        impact.att(data, "y", "d", method="forest")


# ---------------------------------------------------------------- the microcredit evaluation against the truth


@pytest.fixture(scope="module")
def county() -> dict[str, pd.DataFrame]:
    return datasets.load_county()


@pytest.fixture(scope="module")
def panel_2018(county) -> pd.DataFrame:
    return mc.analysis_panel(county, 2018)


def test_truths_follow_from_the_cohort_truths_by_hand(county) -> None:
    t = mc.truths(county["truth"], "operating_pc", 2018)
    # cohorts 2016, 2017, 2018: 528, 610, 430 households, effects 437.6373, 447.6454, 413.1226 (rounded),
    # observed 3, 2 and 1 post-loan years up to 2018
    assert t["post_years"] == pytest.approx((1584 * 437.6373 + 1220 * 447.6454 + 430 * 413.1226) / 3234, abs=1e-3)
    assert t["borrowers_in_year"] == pytest.approx((528 * 437.6373 + 610 * 447.6454 + 430 * 413.1226) / 1568, abs=1e-3)
    assert mc.truths(county["truth"], "operating_pc", 2019)["post_years"] == pytest.approx(437.0609, abs=1e-3)


@pytest.mark.slow
def test_microcredit_effects_table_against_the_planted_truth(panel_2018, county) -> None:
    truth = mc.truths(county["truth"], "operating_pc", 2018)
    table = mc.effects(panel_2018, "operating_pc", year=2018, truth=truth, reps=99).set_index("method")
    assert table.columns[:7].tolist() == ["estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters"]
    robust = [
        "twfe",
        "twfe_wild_bootstrap",
        "event_study",
        "imputation",
        "callaway_santanna",
        "long_difference_ols",
        "long_difference_ipw",
        "long_difference_aipw",
    ]
    assert table.loc[robust, "truth_in_ci"].all(), table
    naive = table.loc["naive"]
    assert naive["estimate"] - naive["truth"] > 5 * naive["std_error"]  # borrowers farmed more before any loan
    assert table.loc["twfe_wild_bootstrap", "n_clusters"] == 10
    assert table.loc["callaway_santanna", "n_clusters"] == 227


def test_pretrends_are_flat_and_the_placebo_is_null(panel_2018) -> None:
    args = (panel_2018, "operating_pc", "loan", "household_id", "year")
    cs = impact.did(*args, cluster="village_id", method="callaway_santanna")
    assert cs.details["pretrend_p_value"] > 0.05
    pre = cs.path.loc[cs.path["relative_year"] < 0]
    assert ((pre["ci_low"] <= 0) & (pre["ci_high"] >= 0)).all()
    fake = impact.placebo(*args, cluster="village_id", shift=2)
    low, high = fake.conf_int()
    assert low <= 0 <= high and fake.details["shift"] == 2


@pytest.mark.slow
def test_on_total_income_the_pretrend_test_warns_and_covariates_repair(county) -> None:
    # borrowing was selected on income trends: two-way FE on total income misses, the pre-trend test says
    # so, and the doubly robust long difference with the 2014-15 trend as a covariate recovers the truth
    panel = mc.analysis_panel(county, 2017)
    truth = mc.truths(county["truth"], "income_pc", 2017)
    table = mc.effects(panel, "income_pc", year=2017, truth=truth, reps=99).set_index("method")
    assert not table.loc["twfe", "truth_in_ci"]
    cs = impact.did(
        panel, "income_pc", "loan", "household_id", "year", cluster="village_id", method="callaway_santanna"
    )
    assert cs.details["pretrend_p_value"] < 0.01
    assert table.loc["long_difference_aipw", "truth_in_ci"]


def test_heterogeneity_by_model_against_the_truth(panel_2018, county) -> None:
    table = mc.heterogeneity(panel_2018, "operating_pc", "model", truth=county["truth"]).set_index("model")
    assert table["borrowers"].sum() == 1568
    for model in ("self_development", "partnership", "coop_operation"):
        row = table.loc[model]
        assert row["ci_low"] <= row["truth"] <= row["ci_high"], model
    # the cooperation model earns no operating income from the loan (its effect is a dividend); the pre-trend
    # test flags its comparison as not credible, which is why the notebook shows the test beside each group
    assert table.loc["coop_cooperation", "truth"] == 0
    assert table.loc["coop_cooperation", "pretrend_p_value"] < 0.05


def test_reach_depth_and_outstanding(panel_2018, county) -> None:
    loans = county["loans"]
    by_type = mc.reach_by(panel_2018, 2018, "household_type").set_index("household_type")
    assert by_type["eligible"].sum() == 3601 and by_type["borrowers"].sum() == 1568
    quintiles = mc.reach_by(panel_2018, 2018, "base_income_quintile")
    assert quintiles["eligible"].tolist() == [721, 720, 720, 720, 720]
    index, poorest = mc.depth(panel_2018, loans, 2018)
    households = panel_2018.loc[panel_2018["year"] == 2018]
    q = pd.qcut(households["base_income_pc"], 5, labels=False)
    borrowed = households["loan_year"].notna()
    assert poorest == pytest.approx(((q == 0) & borrowed).sum() / borrowed.sum())
    out = mc.outstanding_by_year(loans, [2016, 2017, 2018]).set_index("year")
    assert (
        out.loc[2016, "loans"]
        == (loans["loan_year"] == 2016).sum() - ((loans["loan_year"] == 2016) & (loans["due_year"] <= 2016)).sum()
    )
    sizes = mc.loan_sizes(loans, 2018)
    assert sizes["loans"].sum() == 1568 and sizes["amount_yuan"].sum() == 73_200_000


# ---------------------------------------------------------------- repayment by cohort


def test_a_matured_cohort_reads_by_its_share_overdue_or_in_default_not_as_100_percent_at_risk() -> None:
    """The 2016 three-year loans had all fallen due by 2019, when status was recorded: nothing is current, so
    the amount at risk of what is outstanding is 100%; the table shows instead the share of the cohort's loans
    still outstanding, which for that cohort is exactly the share overdue or in default."""
    loans = datasets.load_county()["loans"]
    cohorts = mc.repayment_by_cohort(loans.loc[loans["loan_year"] <= 2018]).set_index("loan_year")
    assert "at_risk_share" not in cohorts
    first = cohorts.loc[2016]
    bad = int(loans.query("loan_year == 2016")["status_2019"].isin(["overdue", "default"]).sum())
    assert first["loans"] == 528 and bad == 19 and first["current_share"] == 0 and first["due_by"] == 2019
    assert first["outstanding_share"] == first["overdue_or_default_share"] == pytest.approx(19 / 528)
    later = cohorts.loc[[2017, 2018]]
    assert (later["outstanding_share"] > 0.7).all() and (later["overdue_or_default_share"] < 0.05).all()
    assert (later["due_by"] > 2019).all()
    assert mc.matured(cohorts.reset_index())["loan_year"].tolist() == [2016]
    # what the same cohort would show as the share of its outstanding amount at risk
    assert impact.repayment(loans, by="loan_year").set_index("loan_year").loc[2016, "at_risk_share"] == 1.0


def test_the_repayment_section_explains_matured_cohorts_in_both_languages() -> None:
    from english_prose import CJK, english_runs

    notes = {}
    for lang in ("en", "zh"):
        section = mc.Microcredit(mc.Params(lang=lang)).repayment()
        notes[lang] = [item for item in section.shown if isinstance(item, str)]
    assert len(notes["en"]) == len(notes["zh"]) == 1
    assert notes["en"][0].startswith("The loans of 2016 had all fallen due by 2019") and "3.6%" in notes["en"][0]
    assert "2016年发放的贷款" in notes["zh"][0] and "3.6%" in notes["zh"][0]
    assert CJK.search(notes["zh"][0]) and english_runs(notes["zh"][0]) == []
    # status is recorded in 2019 whatever the evaluation year: the 2016 cohort has matured in a 2016 report too
    assert len([i for i in mc.Microcredit(mc.Params(year=2016)).repayment().shown if isinstance(i, str)]) == 1
    assert [i for i in mc.Microcredit(mc.Params(year=2015)).repayment().shown if isinstance(i, str)] == []
