"""Matching, balance and sensitivity by hand; the training estimators against the planted truth and against
LaLonde's NSW experiment (Dehejia-Wahba sample, from causaldata)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit import impact
from evalkit.impact import diagnostics as dx
from evalkit.evaluations import training
from evalkit.impact.matching import match_att, nearest

# treated at 0.25 and 0.35 (outcomes 10, 14); untreated at 0.0, 0.3, 0.9 (outcomes 1, 3, 7)
Y, D, S = [10, 14, 1, 3, 7], [1, 1, 0, 0, 0], [0.25, 0.35, 0.0, 0.3, 0.9]


def test_matching_with_replacement_by_hand() -> None:
    r = match_att(Y, D, S, variance_neighbours=1)
    # both treated match the unit at 0.3: tau = ((10 - 3) + (14 - 3)) / 2 = 9
    assert r.estimate == 9.0
    # Abadie-Imbens: K = 2 for that unit, K' = 2; its variance from its nearest other untreated unit (0.0,
    # outcome 1): (3 - 1)^2 / 2 = 2. V = [(7 - 9)^2 + (11 - 9)^2 + (4 - 2) * 2] / 2^2 = 3
    assert r.std_error**2 == pytest.approx(3.0)
    # with two variance neighbours (outcomes 1 and 7, mean 4): sigma^2 = 2/3 (3 - 4)^2; V = (8 + 4/3) / 4
    assert match_att(Y, D, S, variance_neighbours=2).std_error ** 2 == pytest.approx((8 + 4 / 3) / 4)
    assert r.details["controls_used"] == 1 and r.details["unmatched_treated"] == 0


def test_matching_without_replacement_and_caliper_by_hand() -> None:
    # greedy, highest score first: 0.35 takes 0.3 (outcome 3); 0.25 then takes 0.0 (outcome 1)
    assert match_att(Y, D, S, replace=False).estimate == ((10 - 1) + (14 - 3)) / 2
    # within a caliper of 0.1, 0.25 has no untreated unit left: only the pair (14, 3) remains
    r = match_att(Y, D, S, replace=False, caliper=0.1)
    assert r.estimate == 11.0 and r.details["unmatched_treated"] == 1
    # two neighbours each: 0.35 -> 0.3 then 0.0 (0.35 away, nearer than 0.9)
    assert [m.tolist() for m in nearest([0.25, 0.35], [0.0, 0.3, 0.9], neighbours=2)] == [[1, 0], [1, 0]]
    with pytest.raises(ValueError, match="needs at least 4 untreated units, there are 3"):
        match_att(Y, D, S, replace=False, neighbours=2)


def test_balance_after_weighting_a_saturated_score_is_exact() -> None:
    data = pd.DataFrame({"x": [0, 0, 0, 0, 1, 1, 1], "d": [1, 0, 0, 0, 1, 1, 0]}, dtype="int8")
    score = impact.propensity(data, "d", ["x"])
    weights = dx.att_weights(data["d"], score)
    row = dx.balance(data, "d", ["x"], weights).iloc[0]
    assert row["mean_treated"] == pytest.approx(2 / 3) and row["mean_untreated"] == pytest.approx(1 / 4)
    assert row["smd_adjusted"] == pytest.approx(0, abs=1e-9)
    assert dx.balance_test(data, "d", ["x"], weights)["f_statistic"] == pytest.approx(0, abs=1e-9)


def test_rosenbaum_bound_at_gamma_one_is_the_signed_rank_test() -> None:
    rng = np.random.default_rng(4)
    diffs = rng.normal(0.3, 1, 80).round(1)  # rounding makes ties; mid-ranks handle them
    bounds = dx.rosenbaum_bounds(diffs, gammas=[1, 1.5, 2, 3])
    reference = stats.wilcoxon(diffs, alternative="greater", method="approx", correction=False, zero_method="wilcox")
    assert bounds["p_upper"].iloc[0] == pytest.approx(reference.pvalue, rel=1e-10)
    assert bounds["p_upper"].is_monotonic_increasing


def test_e_value_is_one_when_the_interval_contains_zero() -> None:
    assert dx.e_value(0.5, -0.1, 1.1, 1.0)["e_value_ci"] == 1.0
    values = dx.e_value(-0.5, -0.9, -0.1, 1.0)  # symmetric in the sign of the effect
    assert values["e_value"] == pytest.approx(dx.e_value(0.5, 0.1, 0.9, 1.0)["e_value"])
    rr = np.exp(0.91 * 0.1)
    assert values["e_value_ci"] == pytest.approx(rr + np.sqrt(rr * (rr - 1)))


def test_int8_columns_do_not_overflow() -> None:
    # 100 int8 rows of 100: sums reach 10,000, far beyond int8
    data = pd.DataFrame({"y": [100] * 100 + [-100] * 100, "d": [1] * 100 + [0] * 100, "x": [100] * 200}, dtype="int8")
    assert impact.att(data, "y", "d").estimate == 200.0
    assert dx.balance(data, "d", ["x"])["mean_treated"].iloc[0] == 100.0


# ---------------------------------------------------------------- LaLonde's NSW (causaldata)


@pytest.fixture(scope="module")
def nsw_cps() -> training.Dataset:
    return training.training_data("nsw_cps")


def test_nsw_experimental_benchmark_to_the_dollar() -> None:
    ds = training.training_data("nsw_experimental")
    result = impact.att(ds.data, "re78", "treat")
    assert round(result.estimate, 2) == training.NSW_EXPERIMENTAL_BENCHMARK  # Dehejia-Wahba: $1,794
    assert ds.data["treat"].sum() == 185 and (ds.data["treat"] == 0).sum() == 260


@pytest.mark.slow
def test_nsw_against_cps_lands_near_the_experiment(nsw_cps) -> None:
    outcome, treatment, covariates = training.resolve(nsw_cps)
    table = training.estimate_all(nsw_cps, outcome, treatment, covariates, reps=99).set_index("method")
    # the naive comparison: Dehejia and Wahba (1999, Table 3) report -8,498
    assert round(table.loc["diff", "estimate"]) == -8498
    assert not table.loc["diff", "truth_in_ci"]
    for method in ("ols", "ipw", "aipw", "match"):
        assert table.loc[method, "truth_in_ci"], (method, table.loc[method, "estimate"])
        assert table.loc[method, "estimate"] > 1000, method  # the sign and size the literature finds
    # age squared of int8 ages must not wrap around
    assert nsw_cps.data["age2"].max() == nsw_cps.data["age"].astype(int).max() ** 2


def test_nsw_diagnostics(nsw_cps) -> None:
    outcome, treatment, covariates = training.resolve(nsw_cps)
    diag = training.diagnostics(nsw_cps, outcome, treatment, covariates)
    before = diag.balance.set_index("covariate")
    assert before.loc["black", "smd"] > 2  # trainees are mostly Black; the CPS is not
    assert diag.balance["smd_ipw"].abs().max() < 0.1 and diag.balance["smd_matched"].abs().max() < 0.2
    tests = diag.tests.set_index("adjustment")
    assert tests.loc["none", "p_value"] < 1e-10 and tests.loc["ipw", "p_value"] > 0.5
    overlap = diag.overlap.set_index("group")
    assert overlap.loc["untreated", "outside_common_support"] > 10_000  # most CPS adults look nothing like trainees


# ---------------------------------------------------------------- the synthetic county


@pytest.mark.slow
def test_county_training_estimates_against_the_planted_truth() -> None:
    ds = training.training_data("county")
    outcome, treatment, covariates = training.resolve(ds)
    for y in ("wage_2019", "employed_2019"):
        table = training.estimate_all(ds, y, treatment, covariates, reps=99).set_index("method")
        sound = ["ols", "ipw", "aipw", "match", "match_no_replacement", "did"]
        assert table.loc[sound, "truth_in_ci"].all(), table
        assert table.loc["diff", "estimate"] - table.loc["diff", "truth"] > 3 * table.loc["diff", "std_error"]
    work = training.households_with_work(ds)
    assert work["households_with_labour"].iloc[0] == ds.data["household_id"].nunique()
    by_course = training.participation(ds, "course")
    assert by_course["trained"].sum() == ds.data["trained"].sum() == 409


def test_participation_tables_say_something_and_name_their_groups() -> None:
    """By course: each course's trainees and share of all trainees (no 'training rate' of 1 for every course,
    no untrained row); by sex and by education: named groups (women/men, the registry's levels), not codes."""
    from evalkit.labels import label, translate_columns

    ds = training.training_data("county")
    course = training.participation(ds, "course")
    assert "untrained" not in set(course["course"]) and "training_rate" not in course
    assert course["share_of_trainees"].sum() == pytest.approx(1.0)
    assert course["trained"].sum() == 409 and course.set_index("course").loc["excavator", "trained"] == 78
    assert course["share_of_trainees"].tolist() == pytest.approx((course["trained"] / 409).tolist())
    assert (course["completion_rate"] == course["completed"] / course["trained"]).all()

    sex = training.participation(ds, "sex").set_index("sex")
    assert sex.index.tolist() == ["men", "women"] and sex["eligible_persons"].sum() == len(ds.data) == 3720
    assert sex.loc["women", "eligible_persons"] == int(ds.data["female"].sum())
    assert sex["trained"].sum() == 409
    assert translate_columns(sex.reset_index(), "zh")["性别"].tolist() == ["男性", "女性"]

    education = training.participation(ds, "education")
    assert education["education"].tolist() == list(training.EDUCATION_LEVELS)  # lowest first, every level
    assert education["eligible_persons"].tolist() == [int((ds.data["education"] == level).sum()) for level in range(5)]
    zh = translate_columns(education, "zh")
    assert zh["文化程度"].tolist() == ["文盲或半文盲", "小学", "初中", "高中", "大专及以上"]
    # the Chinese names are the registry's own (data/reference/registry_codes.csv)
    from evalkit import paths

    codes = pd.read_csv(paths.reference_dir() / "registry_codes.csv", keep_default_na=False)
    registry = codes.loc[codes["column"] == "education"].set_index("code")["label_zh"]
    assert [label(code, "zh") for code in training.EDUCATION_LEVELS] == registry[
        list(training.EDUCATION_LEVELS)
    ].tolist()


def test_the_jobs_table_sets_workshops_beside_workshops() -> None:
    """The report counts six workshops, not their workers: the registry's workshops stand beside that figure,
    and the workers it holds have no published figure beside them."""
    jobs = training.Training(training.Params()).participation().tables["jobs"].set_index("measure")
    assert jobs.loc["workshops", ["registry_value", "ledger_value"]].tolist() == [6, 6]
    assert jobs.loc["workshop_workers", "registry_value"] == 85 and pd.isna(
        jobs.loc["workshop_workers", "ledger_value"]
    )
    assert jobs.loc["private_firm_jobs", ["registry_value", "ledger_value"]].tolist() == [83, 83]
