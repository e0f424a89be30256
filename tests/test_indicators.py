"""Indicators: hand-worked examples, independent computations of weighted and survey cases, properties, coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import datasets, synth
from evalkit import indicators as ind

Y = [2, 5, 8, 12, 20]  # line 10: the worked example of the docs


# ---------------------------------------------------------------- hand-worked values


def test_fgt_family_by_hand() -> None:
    assert ind.fgt(Y, 10, 0, se="none").estimate == pytest.approx(3 / 5)
    assert ind.fgt(Y, 10, 1, se="none").estimate == pytest.approx((0.8 + 0.5 + 0.2) / 5)
    assert ind.fgt(Y, 10, 2, se="none").estimate == pytest.approx((0.64 + 0.25 + 0.04) / 5)
    assert ind.fgt(Y, 10, 3, se="none").estimate == pytest.approx((0.512 + 0.125 + 0.008) / 5)
    # an income exactly at the line is not poor
    assert ind.fgt([10, 9.99], 10, se="none").estimate == 0.5


def test_watts_sen_sst_by_hand() -> None:
    assert ind.watts(Y, 10, se="none").estimate == pytest.approx((math.log(5) + math.log(2) + math.log(1.25)) / 5)
    # Sen: H = 0.6, I = 1 - 5/10 = 0.5, Gini of (2, 5, 8) = 24 / (2 * 9 * 5) = 0.2667
    assert ind.sen(Y, 10, se="none").estimate == pytest.approx(0.6 * (0.5 + 0.5 * 24 / 90))
    # SST: gaps (0.8, 0.5, 0.2, 0, 0), mean 0.3, Gini 8.4 / (2 * 25 * 0.3) = 0.56
    assert ind.sst(Y, 10, se="none").estimate == pytest.approx(0.3 * 1.56)
    with pytest.raises(ValueError, match="undefined for incomes <= 0"):
        ind.watts([0, 5], 10)


def test_inequality_by_hand() -> None:
    assert ind.gini([1, 2, 3, 4], se="none").estimate == pytest.approx(0.25)
    assert ind.gini([5, 5, 5], se="none").estimate == pytest.approx(0.0)
    assert ind.theil([1, 3], kind="T", se="none").estimate == pytest.approx(
        0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))
    )
    assert ind.theil([1, 3], kind="L", se="none").estimate == pytest.approx(0.5 * (math.log(2) + math.log(2 / 3)))
    assert ind.atkinson([1, 3], 1, se="none").estimate == pytest.approx(1 - math.sqrt(3) / 2)
    assert ind.atkinson([1, 3], 2, se="none").estimate == pytest.approx(0.25)
    lz = ind.lorenz([1, 2, 3, 4], points=None)
    assert lz["lorenz"].tolist() == pytest.approx([0, 0.1, 0.3, 0.6, 1.0])
    assert lz["generalized"].iloc[-1] == pytest.approx(2.5)


def test_alkire_foster_by_hand() -> None:
    d = pd.DataFrame({"food": [1, 1, 0, 0], "school": [1, 0, 0, 1], "house": [1, 0, 0, 0]}).astype(bool)
    r = ind.alkire_foster(d, k=1 / 3)
    # scores 1, 1/3, 0, 1/3: all but the third are poor: H = 3/4, A = (1 + 1/3 + 1/3) / 3 = 5/9
    assert (r.H, r.A, r.M0) == pytest.approx((0.75, 5 / 9, 0.75 * 5 / 9))
    assert r.dimensions["censored_headcount"].tolist() == pytest.approx([0.5, 0.5, 0.25])
    assert r.dimensions["contribution"].sum() == pytest.approx(1.0)
    strict = ind.alkire_foster(d, k=2 / 3)
    assert strict.H == pytest.approx(0.25) and strict.M0 == pytest.approx(0.25)


def test_growth_redistribution_adds_up_and_isolates_pure_cases() -> None:
    rng = np.random.default_rng(1)
    y1, y2 = rng.lognormal(8, 0.6, 500), rng.lognormal(8.2, 0.5, 400)
    d = ind.growth_redistribution(y1, y2, 3000, 3100).set_index("component")
    assert d.loc["growth", "shapley"] + d.loc["redistribution", "shapley"] == pytest.approx(d.loc["total", "shapley"])
    assert d.loc["residual", "shapley"] == pytest.approx(0, abs=1e-15)
    assert d.loc[["growth", "redistribution", "residual"], "datt_ravallion"].sum() == pytest.approx(
        d.loc["total", "datt_ravallion"]
    )
    same_mean = np.array([1, 9.0]), np.array([4, 6.0])  # redistribution only: gaps (0.8, 0) become (0.2, 0)
    r = ind.growth_redistribution(*same_mean, 5, order=1).set_index("component")
    assert r.loc["growth", "shapley"] == 0 and r.loc["redistribution", "shapley"] == pytest.approx(-0.3)


# ---------------------------------------------------------------- standard errors against independent computations


def _loop_variance(z: np.ndarray, w: np.ndarray, strata: np.ndarray, clusters: np.ndarray) -> float:
    """The with-replacement first-stage variance, written out with loops (independent of Design)."""
    total = 0.0
    for h in sorted(set(strata)):
        in_h = strata == h
        t = [float(np.sum(w[in_h & (clusters == c)] * z[in_h & (clusters == c)])) for c in sorted(set(clusters[in_h]))]
        k = len(t)
        if k > 1:
            mean = sum(t) / k
            total += k / (k - 1) * sum((x - mean) ** 2 for x in t)
    return total


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    s = datasets.load("survey")
    return s.assign(persons=s["weight"] * s["household_size"])


def test_iid_headcount_standard_error_is_the_textbook_one() -> None:
    u = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=float)
    e = ind.fgt(np.where(u == 1, 5, 50), 10)
    p = 0.3
    assert e.std_error == pytest.approx(math.sqrt(p * (1 - p) / 9))
    assert e.df == 9


def test_survey_headcount_standard_error_matches_a_loop(survey) -> None:
    y, z, w = survey["income_pc_2018"].to_numpy(), 4000.0, survey["persons"].to_numpy()
    strata, clusters = survey["township_id"].to_numpy(), survey["village_id"].to_numpy()
    e = ind.fgt(y, z, 0, w, strata=strata, clusters=clusters)
    u = (y < z).astype(float)
    p = w @ u / w.sum()
    assert e.estimate == pytest.approx(p)
    assert e.std_error == pytest.approx(math.sqrt(_loop_variance((u - p) / w.sum(), w, strata, clusters)))
    assert e.df == survey["village_id"].nunique() - survey["township_id"].nunique()


def test_group_standard_errors_match_domain_estimation_by_loop(survey) -> None:
    y, w = survey["income_pc_2018"].to_numpy(), survey["persons"].to_numpy()
    strata, clusters = survey["township_id"].to_numpy(), survey["village_id"].to_numpy()
    table = ind.fgt_by_group(y, 4000, strata, 1, w, strata=strata, clusters=clusters).set_index("group")
    total = ind.fgt(y, 4000, 1, w).estimate
    assert table.loc[table.index != "total", "contribution"].sum() == pytest.approx(total, rel=1e-12)
    assert table.loc[table.index != "total", "contribution_share"].sum() == pytest.approx(1.0)
    g = "T03"
    member = strata == g
    u = np.where(y < 4000, (4000 - y) / 4000, 0.0)
    p_g = (w * member) @ u / (w * member).sum()
    z = np.where(member, (u - p_g) / (w * member).sum(), 0.0)
    assert table.loc[g, "estimate"] == pytest.approx(p_g)
    assert table.loc[g, "std_error"] == pytest.approx(math.sqrt(_loop_variance(z, w, strata, clusters)))


@pytest.mark.slow
def test_linearized_gini_agrees_with_a_cluster_jackknife(survey) -> None:
    y, w, clusters = survey["income_pc_2018"].to_numpy(), survey["persons"].to_numpy(), survey["village_id"].to_numpy()

    def gini_pairs(yy: np.ndarray, ww: np.ndarray) -> float:  # the definition, pair by pair (independent)
        diff = np.abs(yy[:, None] - yy[None, :])
        return float(ww @ diff @ ww / (2 * ww.sum() ** 2 * (ww @ yy / ww.sum())))

    full = gini_pairs(y, w)
    assert ind.gini(y, w, se="none").estimate == pytest.approx(full)
    names = sorted(set(clusters))
    reps = np.array([gini_pairs(y[clusters != c], w[clusters != c]) for c in names])
    jackknife = math.sqrt((len(names) - 1) / len(names) * ((reps - reps.mean()) ** 2).sum())
    linearized = ind.gini(y, w, clusters=clusters).std_error
    assert 0.85 < linearized / jackknife < 1.15, (linearized, jackknife)
    boot = ind.gini(y, w, clusters=clusters, se="bootstrap", reps=400, seed=3).std_error
    assert 0.8 < boot / jackknife < 1.2, (boot, jackknife)


def test_theil_and_atkinson_linearized_agree_with_bootstrap(survey) -> None:
    y, w = survey["income_pc_2018"].to_numpy(), survey["persons"].to_numpy()
    design = {"strata": survey["township_id"], "clusters": survey["village_id"]}
    for f in (
        lambda **k: ind.theil(y, w, kind="T", **k),
        lambda **k: ind.theil(y, w, kind="L", **k),
        lambda **k: ind.atkinson(y, 0.5, w, **k),
        lambda **k: ind.atkinson(y, 2, w, **k),
    ):
        lin = f(se="linearized", **design).std_error
        boot = f(se="bootstrap", reps=800, seed=5, **design).std_error
        assert 0.8 < lin / boot < 1.25, (lin, boot)


def test_change_between_years_uses_the_panel_covariance() -> None:
    panel = datasets.load("panel")
    a, b = panel.loc[panel["year"] == 2016], panel.loc[panel["year"] == 2018]
    assert (a["household_id"].to_numpy() == b["household_id"].to_numpy()).all()
    hh = datasets.load("households").set_index("household_id").loc[a["household_id"]]
    villages = hh["village_id"].to_numpy()
    size = hh["household_size"].to_numpy(dtype=float)
    e = ind.fgt_change(a["income_pc"], b["income_pc"], a["poverty_line"], b["poverty_line"], 0, size, clusters=villages)
    u1 = (a["income_pc"] < a["poverty_line"]).to_numpy(float)
    u2 = (b["income_pc"] < b["poverty_line"]).to_numpy(float)
    p1, p2 = size @ u1 / size.sum(), size @ u2 / size.sum()
    assert e.estimate == pytest.approx(p2 - p1)
    z = ((u2 - p2) - (u1 - p1)) / size.sum()
    assert e.std_error == pytest.approx(math.sqrt(_loop_variance(z, size, np.zeros(len(z)), villages)))


def test_result_object_interface() -> None:
    e = ind.fgt(Y, 10)
    low, high = e.conf_int(0.9)
    assert low < e.estimate < high
    frame = e.to_frame()
    assert frame.loc[0, "indicator"] == "headcount" and frame.loc[0, "se_method"] == "linearized"
    assert "headcount: 0.6" in e.summary()
    with pytest.raises(ValueError, match="no linearized standard error"):
        ind.sen(Y, 10, se="linearized")
    with pytest.raises(ValueError, match="se must be one of"):
        ind.fgt(Y, 10, se="jackknife")


# ---------------------------------------------------------------- properties


incomes = st.lists(st.floats(min_value=1, max_value=1e5, allow_nan=False), min_size=2, max_size=40)


@settings(max_examples=80, deadline=None)
@given(y=incomes, line=st.floats(min_value=10, max_value=5e4), k=st.integers(min_value=2, max_value=4))
def test_fgt_properties(y, line, k) -> None:
    p = [ind.fgt(y, line, a, se="none").estimate for a in (0, 1, 2)]
    assert p[0] >= p[1] - 1e-12 and p[1] >= p[2] - 1e-12  # gaps are at most 1
    assert ind.fgt(y, line * 1.1, 0, se="none").estimate >= p[0]  # non-decreasing in the line
    assert ind.fgt(np.array(y) * 3, line * 3, 2, se="none").estimate == pytest.approx(p[2])  # scale invariance
    assert ind.fgt(np.tile(y, k), line, 1, se="none").estimate == pytest.approx(p[1])  # replication invariance


@settings(max_examples=60, deadline=None)
@given(y=incomes, data=st.data())
def test_weights_are_replicated_rows(y, data) -> None:
    w = data.draw(st.lists(st.integers(min_value=1, max_value=4), min_size=len(y), max_size=len(y)))
    rows = np.repeat(y, w)
    for f in (
        lambda v, ww: ind.gini(v, ww, se="none"),
        lambda v, ww: ind.theil(v, ww, se="none"),
        lambda v, ww: ind.fgt(v, 2000, 1, ww, se="none"),
        lambda v, ww: ind.atkinson(v, 1.5, ww, se="none"),
    ):
        assert f(y, w).estimate == pytest.approx(f(rows, None).estimate, rel=1e-9, abs=1e-12)
    g = ind.gini(y, w, se="none").estimate
    assert -1e-12 <= g < 1 and ind.gini(np.array(y) * 7, w, se="none").estimate == pytest.approx(g)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(y=incomes, data=st.data())
def test_subgroup_contributions_add_up(y, data) -> None:
    groups = data.draw(st.lists(st.sampled_from("abc"), min_size=len(y), max_size=len(y)))
    for alpha in (0, 1, 2):
        t = ind.fgt_by_group(y, 3000, groups, alpha, se="none")
        parts = t.loc[t["group"] != "total"]
        assert parts["contribution"].sum() == pytest.approx(t.loc[t["group"] == "total", "estimate"].iloc[0], abs=1e-12)
        assert parts["population_share"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- registry trends and the synthetic truth


def test_registry_reproduces_the_published_trend() -> None:
    county = datasets.load_county()
    inc = ind.registry_incidence(county["panel"], county["households"], county["villages"]).set_index("year")
    assert round(inc.loc[2014, "incidence_pct"], 1) == 6.2 and round(inc.loc[2018, "incidence_pct"], 2) == 0.97
    assert inc.loc[2014:2018, "poor_persons"].tolist() == [8055, 8055 - 424, 8055 - 424 - 1204, 4029, 1259]
    by_town = ind.registry_incidence(county["panel"], county["households"], county["villages"], by="township_id")
    assert (
        by_town.groupby("year")["poor_persons"].sum().loc[2014:2018].tolist()
        == inc.loc[2014:2018, "poor_persons"].tolist()
    )
    tests = ind.exit_tests(inc.reset_index())
    assert tests.set_index("year").loc[[2017, 2018], "passes"].tolist() == [False, True]


@pytest.mark.slow
def test_intervals_cover_the_population_value_in_repeated_samples() -> None:
    from evalkit.synth.survey import draw_survey

    county = synth.generate(include_frame=True)
    frame, p = county["frame"], synth.SynthParams()
    line = float(county["survey"]["poverty_line_2018"].iloc[0])
    size = frame["household_size"].to_numpy(float)
    truth = size @ (frame["income_pc_2018"].to_numpy() < line) / size.sum()
    covered = []
    for i in range(200):
        s = draw_survey(np.random.default_rng([2018, i]), p, county["villages"], frame, line)
        e = ind.fgt(
            s["income_pc_2018"],
            line,
            0,
            s["weight"] * s["household_size"],
            strata=s["township_id"],
            clusters=s["village_id"],
        )
        low, high = e.conf_int()
        covered.append(low <= truth <= high)
    rate = float(np.mean(covered))
    assert 0.90 <= rate <= 0.99, rate  # 95% nominal; 200 draws give a Monte Carlo s.e. of 1.5 points


def test_flows_by_year_match_the_published_exits() -> None:
    from evalkit import published

    county = datasets.load_county()
    flows = ind.flows_by_year(county["panel"], county["households"]).set_index("year")
    exits = published.exits_by_year(published.load()).set_index("year")
    assert flows.loc[2015:2018, "exits_households"].tolist() == exits["households"].tolist() == [183, 494, 996, 1291]
    assert flows.loc[2015:2018, "exits_persons"].tolist() == exits["persons"].tolist() == [424, 1204, 2398, 2770]
    assert flows.loc[2014, "entries_persons"] == 8055 and flows.loc[2015:2018, "entries_households"].eq(0).all()
    deciles = ind.survey_vs_registry(county["survey"], by="decile")
    assert sorted(deciles["decile"].unique()) == list(range(1, 11))
    assert deciles["persons"].sum() == pytest.approx(130_000)


def test_fgt_table_equals_fgt_by_group_for_every_group() -> None:
    rng = np.random.default_rng(12)
    y = rng.lognormal(8, 0.6, 4000)
    w = rng.integers(1, 6, 4000).astype(float)
    codes = rng.integers(0, 40, 4000) * 3  # integer codes with gaps: used as they are
    for groups in (codes, np.array([f"v{c:03d}" for c in codes])):
        table = ind.fgt_table(y, 3000.0, groups, w).set_index("group")
        for alpha, column in ((0, "headcount"), (1, "poverty_gap"), (2, "squared_gap")):
            reference = ind.fgt_by_group(y, 3000.0, groups, alpha, w, se="none").iloc[:-1].set_index("group")
            assert list(reference.index) == list(table.index)
            assert table[column].to_numpy() == pytest.approx(reference["estimate"].to_numpy(dtype=float), abs=1e-15)


def test_fgt_table_reports_the_groups_that_occur() -> None:
    """Integer codes with gaps: absent codes are not groups; a group whose weights are all zero still is."""
    with np.errstate(invalid="ignore"):  # group 5 has no persons: its ratios are undefined (NaN)
        table = ind.fgt_table(
            [50, 150, 50, 100, 10], [100, 100, 200, 200, 100], np.array([0, 0, 3, 3, 5]), [1, 1, 1, 1, 0]
        )
    assert table["group"].tolist() == [0, 3, 5] and table["persons"].tolist() == [2.0, 2.0, 0.0]
    # group 3: gaps 150/200 and 100/200 -> P1 = 0.625, P2 = (0.5625 + 0.25) / 2
    assert table.loc[1, "poverty_gap"] == 0.625 and table.loc[1, "squared_gap"] == 0.40625
    assert np.isnan(table.loc[2, "headcount"])


@pytest.mark.parametrize("planted", [0.0, 0.3, 0.6])
def test_bunching_above_a_line_nobody_is_below_recovers_the_planted_excess(planted) -> None:
    """Exiting households are all above the line by rule: fitted above the window only, the counterfactual
    recovers a planted excess (a smooth exponential density, counts rounded) to 0.02, is never negative,
    and is not drawn below the line; the two-sided fit on the same data would be fitted to the empty left
    side and go below zero there (what the report showed before)."""
    centres = np.arange(1.01, 1.8, 0.02)
    counts = np.round(1000 * np.exp(-3 * (centres - 1)) * np.where(centres < 1.06, 1 + planted, 1.0)).astype(int)
    ratio = np.repeat(centres, counts)
    one_sided = ind.bunching(ratio, truncated_below=True)
    assert one_sided.excess_mass == pytest.approx(planted, abs=0.02)
    cf = one_sided.bins.set_index("bin_left")["counterfactual"]
    assert cf[cf.index < 1].isna().all() and (cf[cf.index >= 1] >= 0).all()
    two_sided = ind.bunching(ratio)
    assert (two_sided.bins["counterfactual"] >= 0).all()  # cut at zero: a count is never negative
    raw = np.polyval(  # the uncut two-sided polynomial does go below zero on the empty side
        np.polyfit(
            ((two_sided.bins["bin_left"] + 0.01 - 1) / 1.2)[~two_sided.bins["in_window"]],
            two_sided.bins["count"][~two_sided.bins["in_window"]],
            5,
        ),
        (two_sided.bins["bin_left"] + 0.01 - 1) / 1.2,
    )
    assert raw.min() < 0


def test_the_incidence_reports_bunching_check_fits_above_the_line_only() -> None:
    """Notebook 01 on the synthetic county: the counterfactual is missing below the line (nobody exits there,
    by rule) and never negative, the figure draws no line below it, the excess mass is counterfactual-based,
    and the sentences say why no density test across the line is shown, in both languages."""
    import matplotlib.pyplot as plt

    from english_prose import CJK, english_runs
    from evalkit.evaluations.incidence import Incidence, Params

    notes = {}
    for lang in ("en", "zh"):
        ev = Incidence(Params(lang=lang))
        bunch = ev._bunching
        bins = bunch.bins.set_index("bin_left")
        cf = bins["counterfactual"]
        assert cf[cf.index < 1 - 1e-9].isna().all() and (cf[cf.index >= 1 - 1e-9].dropna() >= 0).all()
        assert cf[cf.index >= 1 - 1e-9].notna().any()
        assert np.isnan(bunch.p_value) and bunch.below == 0  # nobody exits below the line in the synthetic registry
        window = bunch.bins.loc[bunch.bins["in_window"]]
        expected = window["count"].sum() / window["counterfactual"].sum() - 1
        assert bunch.excess_mass == pytest.approx(expected) and 0 < bunch.excess_mass < 10
        section = ev.bunching()
        line = section.figures["bunching"].axes[0].lines[0].get_xydata()
        assert np.isnan(line[line[:, 0] < 1, 1]).all() and np.nanmin(line[:, 1]) >= 0
        plt.close("all")
        notes[lang] = [item for item in section.shown if isinstance(item, str)]
        assert ev.key_figures().metrics["bunching_excess_mass"] == round(bunch.excess_mass, 4)
    assert len(notes["en"]) == len(notes["zh"]) == 2
    assert "density test across the line is not computed" in notes["en"][1] and "p =" not in " ".join(notes["en"])
    assert "密度检验" in notes["zh"][1] and all(CJK.search(z) and english_runs(z) == [] for z in notes["zh"])


def test_notebook_01_with_a_relative_line_puts_the_lines_error_in_the_survey_intervals() -> None:
    """``line='relative'``: the survey's headcount, gaps and Watts are measured against 60% of the survey's
    weighted median with the line's estimation in their errors; the township decomposition uses the same
    line; the registry decomposition by cause takes the estimated line as given, and says so."""
    from evalkit.evaluations.incidence import Incidence, Params

    ev = Incidence(Params(line="relative"))
    s = ev.county["survey"]
    y, w = s["income_pc_2018"].to_numpy(), (s["weight"] * s["household_size"]).to_numpy()
    design = {"strata": s["township_id"].to_numpy(), "clusters": s["village_id"].to_numpy()}
    value, source = ev.line
    assert value == pytest.approx(0.6 * ind.median(y, w, se="none").estimate) and "median" in source
    table = ev._survey_table.set_index("indicator")
    relative = ind.arpr(y, w, **design)
    assert table.loc["headcount", "estimate"] == pytest.approx(relative.estimate)
    assert table.loc["headcount", "std_error"] == pytest.approx(relative.std_error)
    assert table.loc["headcount", "std_error"] != pytest.approx(ind.fgt(y, value, 0, w, **design).std_error)
    section = ev.survey()
    assert any("sampling error" in item for item in section.shown if isinstance(item, str))
    groups = ev.decomposition().tables["decomposition"].set_index("group")
    assert groups.loc["total", "estimate"] == pytest.approx(ind.fgt(y, ind.relative_line(), 1, w).estimate)
    by_cause = Incidence(Params(line="relative", group_by="cause")).decomposition()
    assert any("taken as given" in item for item in by_cause.shown if isinstance(item, str))
