"""Quantiles, relative poverty lines, the EU indicators, generalized entropy, equivalence scales, and the
design's finite-population correction, replicate weights and domains: hand-worked examples and
independent computations (the EU-SILC reference checks are in test_reference_eusilc.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evalkit import indicators as ind
from evalkit.indicators import Design


def _srs_variance(t: np.ndarray) -> float:
    """With-replacement variance of a total from per-observation totals t (one stratum, n clusters)."""
    n = t.size
    return n / (n - 1) * float(((t - t.mean()) ** 2).sum())


def _normal_density(x: float, y: np.ndarray, w: np.ndarray) -> float:
    """Gaussian kernel density at x with bandwidth sd * N^-0.2, written out in full."""
    n = w.sum()
    mean = (w * y).sum() / n
    sd = math.sqrt((w * (y - mean) ** 2).sum() / n)
    h = sd / n**0.2
    return sum(
        wi * math.exp(-(((x - yi) / h) ** 2) / 2) / math.sqrt(2 * math.pi) for yi, wi in zip(y, w, strict=True)
    ) / (n * h)


# ---------------------------------------------------------------- quantiles


def test_weighted_quantile_is_the_inverse_distribution_function() -> None:
    # cumulative shares 1/6, 2/6, 3/6, 1: the median is the income where the share first reaches 1/2
    assert ind.quantile([1, 2, 3, 4], 0.5, [1, 1, 1, 3], se="none").estimate == 3.0
    assert ind.quantile([4, 1, 3, 2], 0.2, se="none").estimate == 1.0
    assert ind.quantile([4, 1, 3, 2], 0.25, se="none").estimate == 1.0  # share 0.25 reached at 1
    assert ind.quantile([4, 1, 3, 2], 0.26, se="none").estimate == 2.0
    assert ind.median([5, 1, 3], se="none").estimate == 3.0


def test_the_quantiles_linearized_standard_error_written_out() -> None:
    y = np.array([3.0, 7.0, 1.0, 9.0, 4.0, 6.0, 2.0, 8.0, 5.0, 10.0])
    w = np.array([1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0])
    e = ind.median(y, w)
    # sorted incomes 1..10 with weights 1,2,1,3,1,1,1,1,1,2 (N = 15): cumulative 1,3,4,7,8 -> 8/15 >= 1/2 at 5
    assert e.estimate == 5.0
    f = _normal_density(5.0, y, w)
    z = -((y <= 5.0) - 0.5) / (15 * f)
    assert e.std_error == pytest.approx(math.sqrt(_srs_variance(w * z)), rel=1e-12)
    assert e.se_method == "linearized"


def test_the_quantiles_linearized_error_agrees_with_the_bootstrap_on_a_large_sample() -> None:
    rng = np.random.default_rng(1)
    y = rng.lognormal(8, 0.7, 20_000)
    lin = ind.quantile(y, 0.3)
    boot = ind.quantile(y, 0.3, se="bootstrap", reps=400, seed=2)
    assert lin.estimate == boot.estimate
    assert boot.std_error == pytest.approx(lin.std_error, rel=0.15)


# ---------------------------------------------------------------- relative lines


def test_a_relative_line_is_a_share_of_the_median_or_the_mean() -> None:
    y = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert ind.relative_line().value(y) == 3.0
    assert ind.relative_line(0.5, "mean").value(y) == 2.75
    assert ind.relative_line(0.5, "quantile", p=0.8).value(y) == 4.0
    assert ind.fgt(y, ind.relative_line(), se="none").estimate == 0.2
    with pytest.raises(ValueError, match="statistic must be one of"):
        ind.relative_line(0.6, "mode")
    with pytest.raises(ValueError, match="use statistic='quantile'"):
        ind.relative_line(0.6, "median", p=0.4)
    with pytest.raises(TypeError, match="takes a fixed line"):
        ind.sen(y, ind.relative_line())


def test_the_at_risk_of_poverty_rates_error_adds_the_lines_term_written_out() -> None:
    rng = np.random.default_rng(3)
    y = rng.lognormal(9, 0.6, 400)
    w = rng.uniform(1, 3, 400)
    e = ind.arpr(y, w)
    n = w.sum()
    order = np.argsort(y)
    cum = np.cumsum(w[order]) / n
    median = y[order][np.searchsorted(cum, 0.5)]
    t = 0.6 * median
    rate = (w * (y < t)).sum() / n
    assert e.estimate == pytest.approx(rate)
    line_z = 0.6 * -((y <= median) - 0.5) / (n * _normal_density(median, y, w))
    z = ((y < t) - rate) / n + _normal_density(t, y, w) * line_z
    assert e.std_error == pytest.approx(math.sqrt(_srs_variance(w * z)), rel=1e-10)
    fixed = ind.fgt(y, t, 0, w)
    assert fixed.estimate == e.estimate and fixed.std_error != e.std_error


@pytest.mark.parametrize("order", [0, 1, 2])
def test_relative_fgt_linearized_errors_agree_with_a_bootstrap_that_re_estimates_the_line(order) -> None:
    rng = np.random.default_rng(4)
    y = rng.lognormal(8, 0.8, 20_000)
    lin = ind.fgt(y, ind.relative_line(), order)
    boot = ind.fgt(y, ind.relative_line(), order, se="bootstrap", reps=400, seed=5)
    assert boot.std_error == pytest.approx(lin.std_error, rel=0.15)
    fixed = ind.fgt(y, lin.details["line"], order)
    if order == 0:  # the line's estimation offsets the rate's own error: a fixed line overstates it
        assert fixed.std_error > lin.std_error


def test_relative_watts_and_the_mean_line_agree_with_the_bootstrap() -> None:
    rng = np.random.default_rng(6)
    y = rng.lognormal(8, 0.8, 20_000)
    for line, index in ((ind.relative_line(0.5, "mean"), ind.fgt), (ind.relative_line(), ind.watts)):
        lin = index(y, line)
        boot = index(y, line, se="bootstrap", reps=400, seed=7)
        assert boot.std_error == pytest.approx(lin.std_error, rel=0.15), index.__name__


def test_group_rates_under_a_relative_line_equal_domain_estimates() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    y = rng.lognormal(8, 0.7, n)
    w = rng.uniform(1, 4, n)
    strata = rng.integers(0, 4, n)
    clusters = strata * 100 + rng.integers(0, 12, n)
    groups = np.where(rng.uniform(size=n) < 0.3, "a", np.where(rng.uniform(size=n) < 0.5, "b", "c"))
    design = Design.of(n, weights=w, strata=strata, clusters=clusters)
    table = ind.fgt_by_group(y, ind.relative_line(), groups, 1, design=design).set_index("group")
    for g in ("a", "b", "c"):  # two code paths: grouped sums expanded by hand, and a dense domain influence
        e = ind.fgt(y, ind.relative_line(), 1, design=design, domain=groups == g)
        assert table.loc[g, "estimate"] == pytest.approx(e.estimate, rel=1e-12)
        assert table.loc[g, "std_error"] == pytest.approx(e.std_error, rel=1e-9)
    total = ind.fgt(y, ind.relative_line(), 1, design=design)
    assert table.loc["total", "std_error"] == pytest.approx(total.std_error)


# ---------------------------------------------------------------- EU indicators by hand


def test_eu_indicators_by_hand() -> None:
    y = list(range(1, 11))  # median 5, threshold 3; poor (<= 3): 1, 2, 3
    assert ind.arpt(y, se="none").estimate == 3.0
    assert ind.arpr(y, se="none").estimate == 0.2  # 1 and 2 are below 3
    assert ind.poor_median(y, se="none").estimate == 2.0
    assert ind.rmpg(y, se="none").estimate == pytest.approx(1 / 3)
    # S20: incomes at or below the 20% quantile (2): 1 + 2; S80: above the 80% quantile (8): 9 + 10
    assert ind.qsr(y, se="none").estimate == pytest.approx(19 / 3)


def test_eu_indicators_linearized_errors_agree_with_the_bootstrap() -> None:
    rng = np.random.default_rng(9)
    y = rng.lognormal(9, 0.6, 20_000)
    for f in (ind.arpt, ind.arpr, ind.poor_median, ind.rmpg, ind.qsr):
        lin = f(y)
        boot = f(y, se="bootstrap", reps=300, seed=10)
        assert lin.se_method == "linearized"
        assert boot.std_error == pytest.approx(lin.std_error, rel=0.2), f.__name__


# ---------------------------------------------------------------- generalized entropy


def test_generalized_entropy_by_hand_and_its_limits() -> None:
    y = np.array([1.0, 3.0])
    assert ind.generalized_entropy(y, 2, se="none").estimate == pytest.approx(0.125)
    cv2 = y.var() / y.mean() ** 2  # GE(2) is half the squared coefficient of variation
    assert ind.generalized_entropy(y, 2, se="none").estimate == pytest.approx(cv2 / 2)
    # GE(-1) = (mean of (mu / y) - 1) / 2 = ((2 + 2/3) / 2 - 1) / 2
    assert ind.generalized_entropy(y, -1, se="none").estimate == pytest.approx((4 / 3 - 1) / 2)
    rng = np.random.default_rng(11)
    x = rng.lognormal(8, 0.5, 500)
    for theta, kind in ((0, "L"), (1, "T")):
        assert ind.generalized_entropy(x, theta).estimate == ind.theil(x, kind=kind).estimate
    near = ind.generalized_entropy(x, 1 + 1e-6, se="none").estimate
    assert near == pytest.approx(ind.theil(x, kind="T", se="none").estimate, rel=1e-4)
    with pytest.raises(ValueError, match="positive incomes"):
        ind.generalized_entropy([0, 1, 2], 0.5)


@pytest.mark.parametrize("theta", [-1.0, 0.5, 2.0, 3.0])
def test_generalized_entropy_linearized_errors_agree_with_the_bootstrap(theta) -> None:
    rng = np.random.default_rng(12)
    y = rng.lognormal(8, 0.5, 20_000)
    lin = ind.generalized_entropy(y, theta)
    boot = ind.generalized_entropy(y, theta, se="bootstrap", reps=300, seed=13)
    assert boot.std_error == pytest.approx(lin.std_error, rel=0.2)


# ---------------------------------------------------------------- design: fpc, replicates, domains


def test_a_census_stratum_contributes_no_variance() -> None:
    rng = np.random.default_rng(14)
    y = rng.normal(10, 2, 40)
    strata = np.repeat([0, 1], 20)
    full = ind.mean_income(y, strata=strata)
    census = Design.of(40, strata=strata, fpc=np.where(strata == 0, 20, 1000))
    e = ind.mean_income(y, design=census)
    only_second = Design.of(40, strata=strata)
    z = np.where(strata == 1, y - y.mean(), 0.0) / 40
    assert e.std_error == pytest.approx(math.sqrt(only_second.variance(z) * (1 - 20 / 1000)))
    assert e.std_error < full.std_error
    fractions = Design.of(40, strata=strata, fpc=np.where(strata == 0, 1.0, 0.02))
    assert ind.mean_income(y, design=fractions).std_error == pytest.approx(e.std_error)
    with pytest.raises(ValueError, match="fewer clusters"):
        Design.of(40, strata=strata, fpc=np.full(40, 10))


def test_jackknife_replicates_give_the_textbook_variance_of_a_mean() -> None:
    rng = np.random.default_rng(15)
    y = rng.normal(50, 10, 30)
    n = y.size
    replicates = (np.ones((n, n)) - np.eye(n)) * n / (n - 1)  # delete-one jackknife weights, one column each
    design = Design.of(n, replicates=replicates, replicate_type="jk1")
    e = ind.mean_income(y, design=design)
    assert e.se_method == "replicate"
    assert e.std_error == pytest.approx(y.std(ddof=1) / math.sqrt(n), rel=1e-12)
    # the median under the same replicates: (n - 1) / n times the squared spread of the delete-one medians
    m = ind.median(y, design=design)
    manual = [ind.median(np.delete(y, i), se="none").estimate for i in range(n)]
    assert m.std_error == pytest.approx(math.sqrt((n - 1) / n * ((np.array(manual) - np.mean(manual)) ** 2).sum()))


def test_replicate_weights_reestimate_a_relative_line() -> None:
    rng = np.random.default_rng(16)
    n = 200
    y = rng.lognormal(8, 0.7, n)
    replicates = (np.ones((n, n)) - np.eye(n)) * n / (n - 1)
    design = Design.of(n, replicates=replicates, replicate_type="jk1")
    e = ind.arpr(y, design=design)
    values = []
    for i in range(n):
        rest = np.delete(y, i)
        values.append(ind.fgt(rest, ind.relative_line(), se="none").estimate)
    values = np.array(values)
    assert e.std_error == pytest.approx(math.sqrt((n - 1) / n * ((values - values.mean()) ** 2).sum()), rel=1e-12)
    with pytest.raises(ValueError, match="replicate_type must be one of"):
        Design.of(n, replicates=replicates, replicate_type="sdr")


def test_every_indicator_gives_domain_estimates_with_the_full_designs_variance() -> None:
    rng = np.random.default_rng(17)
    n = 600
    y = rng.lognormal(8, 0.6, n)
    w = rng.uniform(1, 3, n)
    domain = rng.uniform(size=n) < 0.4
    # the mean of a domain: influence (y - mean_d) / N_d inside, zero outside; the full design's variance
    e = ind.mean_income(y, w, domain=domain)
    mean_d = (w * domain) @ y / (w * domain).sum()
    z = np.where(domain, (y - mean_d) / (w * domain).sum(), 0.0)
    assert e.estimate == pytest.approx(mean_d)
    assert e.std_error == pytest.approx(math.sqrt(_srs_variance(w * z)))
    # every unit indicator: the domain's value is the value on the domain's rows
    for f in (ind.gini, ind.median, ind.qsr, lambda v, ww, **k: ind.generalized_entropy(v, 2, ww, **k)):
        inside = f(y, w, domain=domain, se="none").estimate
        alone = f(y[domain], w[domain], se="none").estimate
        assert inside == pytest.approx(alone, rel=1e-12)
    amount = np.where(y < 3000, y / 10, 0.0)
    inside = ind.concentration_index(y, amount, w, domain=domain, se="none").estimate
    assert inside == pytest.approx(ind.concentration_index(y[domain], amount[domain], w[domain], se="none").estimate)
    table = ind.fgt_by_group(y, 3000, domain, 0, w).set_index("group")
    assert table.loc[True, "std_error"] == pytest.approx(ind.fgt(y, 3000, 0, w, domain=domain).std_error)


# ---------------------------------------------------------------- equivalence scales


def test_equivalize_counts_adults_and_children() -> None:
    households = pd.DataFrame({"household_id": ["A", "B", "C"], "income": [21000.0, 10000.0, 6000.0]})
    members = pd.DataFrame({"household_id": ["A", "A", "A", "A", "B", "C", "C"], "age": [40, 38, 10, 6, 70, 12, 9]})
    out = ind.equivalize(households, "income", members)
    assert out["equivalent_adults"].tolist() == pytest.approx([2.1, 1.0, 1.3])  # C: children only
    assert out["income_equivalized"].tolist() == pytest.approx([10000.0, 10000.0, 6000 / 1.3])
    original = ind.equivalize(households, "income", members, scale="oecd")
    assert original["equivalent_adults"].tolist() == pytest.approx([1 + 0.7 + 2 * 0.5, 1.0, 1.5])
    given = households.assign(adults=[2, 1, 0], children=[2, 0, 2])
    assert ind.equivalize(given, "income", ("adults", "children"), scale=(1, 0.6, 0.4))[
        "equivalent_adults"
    ].tolist() == pytest.approx([2.4, 1.0, 1.4])
    assert "equivalent_adults" not in households.columns  # a new frame; the input is untouched
    with pytest.raises(ValueError, match="1 households have no members listed"):
        ind.equivalize(households.assign(household_id=["A", "B", "D"]), "income", members)


# ---------------------------------------------------------------- any indicator by group; Watts decomposition


def test_by_group_gives_each_groups_domain_estimate_and_the_total() -> None:
    rng = np.random.default_rng(18)
    n = 900
    y = rng.lognormal(8, 0.6, n)
    w = rng.uniform(1, 3, n)
    groups = rng.choice(["east", "west", "north"], n)
    table = ind.by_group(ind.gini, y, groups, w).set_index("group")
    assert list(table.index) == ["east", "north", "west", "total"]
    for g in ("east", "north", "west"):
        direct = ind.gini(y, w, domain=groups == g)
        assert table.loc[g, "estimate"] == direct.estimate and table.loc[g, "std_error"] == direct.std_error
    assert table.loc["total", "estimate"] == ind.gini(y, w).estimate
    arpr = ind.by_group(ind.arpr, y, groups, w).set_index("group")
    assert arpr.loc["east", "estimate"] == pytest.approx(
        (w * (groups == "east")) @ (y < ind.relative_line().value(y, w)) / (w * (groups == "east")).sum()
    )  # the whole sample's line applied to the group


def test_the_watts_decomposition_multiplies_out_and_its_errors_agree_with_the_bootstrap() -> None:
    rng = np.random.default_rng(19)
    y = rng.lognormal(8, 0.8, 20_000)
    for line in (2000.0, ind.relative_line()):
        table = ind.watts_decomposition(y, line).set_index("component")
        h, gap, theil = (table.loc[k, "estimate"] for k in ("headcount", "watts_gap_ratio", "theil_poor"))
        assert table.loc["watts", "estimate"] == pytest.approx(h * (gap + theil), rel=1e-12)
        assert table.loc["watts", "std_error"] == pytest.approx(ind.watts(y, line).std_error, rel=1e-12)
        # components by the bootstrap: resample persons, recompute the decomposition (the line too)
        draws = []
        for _ in range(200):
            pick = rng.integers(0, y.size, y.size)
            draws.append(ind.watts_decomposition(y[pick], line, se="none").set_index("component")["estimate"])
        spread = pd.concat(draws, axis=1).std(axis=1, ddof=1)
        for component in ("headcount", "watts_gap_ratio", "theil_poor"):
            assert spread[component] == pytest.approx(table.loc[component, "std_error"], rel=0.2), (line, component)


def test_review_cases_domains_and_orders_below_one() -> None:
    rng = np.random.default_rng(20)
    y = rng.lognormal(8, 0.6, 2000)
    domain = rng.uniform(size=y.size) < 0.3
    for f in (ind.poor_median, ind.rmpg):  # se="none" keeps the domain
        assert f(y, domain=domain, se="none").estimate == f(y, domain=domain).estimate
    one = np.array(["all"] * y.size)
    table = ind.fgt_by_group(y, ind.relative_line(), one, 0.5).set_index("group")
    assert table.loc["all", "std_error"] == pytest.approx(table.loc["total", "std_error"], rel=1e-10)
    with pytest.raises(ValueError, match="linearized standard errors"):
        ind.fgt_by_group(y, 3000, one, 0, se="bootstrap")
    clusters = np.arange(y.size) // 100
    tiny = clusters == 0  # a domain inside one cluster: some bootstrap replicates leave it empty
    with pytest.raises(ValueError, match="replicates leave the domain"):
        ind.median(y, clusters=clusters, domain=tiny, se="bootstrap", reps=200)
    with pytest.raises(ValueError, match="replicates leave the domain"):
        ind.mean_income(y, clusters=clusters, domain=tiny, se="bootstrap", reps=200)
