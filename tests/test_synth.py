"""The SYNTHETIC county: exact calibration to the ledger, determinism, consistency."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from evalkit.synth.places import REPORT_VILLAGES
from evalkit import package, datasets, paths, published, risk, synth
from evalkit.crosscheck import crosscheck


@pytest.fixture(scope="module")
def county() -> dict[str, pd.DataFrame]:
    return {name: datasets.load(name) for name in synth.TABLES}


@pytest.mark.slow
def test_committed_files_are_regenerated_byte_for_byte(tmp_path) -> None:
    folder = synth.write_package(tmp_path / "package")
    written = sorted((folder / "synthetic").glob("*.csv")) + [folder / "datapackage.json"]
    assert len(written) == 12
    for path in written:
        committed = paths.data_dir() / path.relative_to(folder)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(committed.read_bytes()).hexdigest(), (
            path.name
        )
    assert package.validate(folder) == []


@pytest.mark.slow
def test_another_seed_differs_but_matches_the_ledger() -> None:
    county = synth.generate(seed=11)
    assert set(crosscheck(county, published.load())["status"]) == {"matches", "not in registry"}
    assert not county["households"].equals(synth.generate()["households"])


def test_every_reproducible_figure_matches(county) -> None:
    table = crosscheck(county, published.load())
    assert (table["status"] != "differs").all(), table.loc[table["status"] == "differs"].to_string()
    matched = set(table.loc[table["status"] == "matches", "figure_id"])
    assert {
        "ov_poor_hh_base",
        "ov_poor_pp_base",
        "ov_remaining_pp",
        "ov_exit_pp_2017",
        "hea_chronic",
        "ov_agri_pop",
    } <= matched
    assert {
        "fun_microcredit_hh",
        "fun_microcredit",
        "fun_models",
        "dp_screened_hh",
        "dp_screened_pp",
        "eco_rangers",
        "eco_ranger_income",
    } <= matched
    assert {
        "hou_reloc_poor_pp",
        "hou_site_jinxiu_pp",
        "hou_demolished_hh",
        "hou_dangerous_renov_hh",
        "eco_grain_green_pp",
        "sn_insurance_payout",
        "dp_deep_hh",
    } <= matched
    assert len(matched) == 67
    assert len(table) == len(published.load())


def test_exit_cohorts_by_hand(county) -> None:
    hh = county["households"]
    by_year = hh.groupby(hh["exit_year"].fillna(0))["household_size"].agg(["size", "sum"])
    assert by_year.loc[2015].tolist() == [183, 424]
    assert by_year.loc[2016].tolist() == [494, 1204]
    assert by_year.loc[2017].tolist() == [996, 2398]
    assert by_year.loc[2018].tolist() == [1291, 2770]
    assert by_year.loc[0].tolist() == [637, 1259]


def test_illness_counts_keep_the_reports_gap(county) -> None:
    members = county["members"].merge(county["households"][["household_id", "main_cause"]], on="household_id")
    ill = members.loc[members["main_cause"] == "illness", "health"].value_counts()
    assert ill.sum() == 2557
    assert (ill["major"], ill["severe"], ill["chronic"], ill["not_recorded"]) == (343, 42, 2160, 12)


def test_places(county) -> None:
    villages, townships = county["villages"], county["townships"]
    assert len(villages) == 227 and villages["village_id"].is_unique
    assert (villages["agri_pop"].sum(), villages["total_pop"].sum()) == (130_000, 165_000)
    assert (villages["total_pop"] >= villages["agri_pop"]).all()
    assert townships["unit_type"].value_counts().to_dict() == {"town": 5, "township": 4, "center": 1}
    houyu = villages.set_index("name_zh").loc["后峪"]
    assert townships.set_index("township_id").loc[houyu["township_id"], "name_zh"] == "东阳关镇"
    assert bool(villages.set_index("name_zh").loc["南村", "poor_village"])
    assert villages["poor_village_exit_year"].value_counts().to_dict() == {2017: 8, 2016: 2}
    # every other name is invented: distinct, ending as a village's or township's does, none like "示例"
    # or "Placeholder", and none a report name or sharing a report village's first two characters
    invented = villages.loc[~villages["named_in_report"]]
    assert villages["name_zh"].is_unique and villages["name_en"].is_unique and townships["name_zh"].is_unique
    assert invented["name_zh"].str.fullmatch(r"[\u4e00-\u9fff]{2}村").all()
    assert invented["name_en"].str.fullmatch(r"[A-Z][a-z]+ Village").all()
    stems = {zh[:2] for zh, _ in REPORT_VILLAGES}
    assert not set(invented["name_zh"].str[:2]) & stems
    assert townships["name_zh"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}(镇|乡|中心)").all()
    assert not (
        townships["name_en"].str.contains("Placeholder") | villages["name_en"].str.contains("Placeholder").any()
    ).any()


def test_members_are_consistent(county) -> None:
    members, hh = county["members"], county["households"]
    assert len(members) == 8055 and members["person_id"].is_unique
    sizes = members.groupby("household_id").size()
    assert sizes.reindex(hh["household_id"]).tolist() == hh["household_size"].tolist()
    heads = members.loc[members["relation"] == "head"]
    assert heads["household_id"].is_unique and len(heads) == 3601
    spouses = members.loc[members["relation"] == "spouse"].merge(
        heads[["household_id", "sex"]], on="household_id", suffixes=("", "_head")
    )
    assert (spouses["sex"] != spouses["sex_head"]).all()  # a registry check offices run
    age = 2014 - members["birth_year"]
    assert (members.loc[(age < 16) | (age >= 65), "labour_ability"] == "none").all()
    assert (members.loc[(age >= 6) & (age <= 15), "schooling"] == "compulsory").all()
    # causes agree with members (因学 needs a student, 因残 a disabled member)
    students = set(members.loc[members["schooling"] != "not_in_school", "household_id"])
    assert hh.loc[hh["main_cause"] == "schooling", "household_id"].isin(students).all()
    disabled = set(members.loc[members["disabled"], "household_id"])
    assert hh.loc[hh["main_cause"] == "disability", "household_id"].isin(disabled).all()


def test_every_village_has_poor_households(county) -> None:
    assert county["households"]["village_id"].nunique() == 227
    assert set(county["households"]["village_id"]) <= set(county["villages"]["village_id"])


def test_dictionary_covers_every_column(county) -> None:
    for name, frame in county.items():
        described = datasets.describe(name)
        assert described["column"].tolist() == frame.columns.tolist(), name
        assert described["meaning_zh"].ne("").all()


def test_synthetic_is_said_everywhere(county) -> None:
    files = sorted((paths.data_dir() / "synthetic").glob("*.csv"))
    assert files and all(p.name.startswith("synthetic_") for p in files)
    assert "SYNTHETIC" in (paths.data_dir() / "synthetic" / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in county["households"].attrs["notice"]


def test_unknown_dataset() -> None:
    with pytest.raises(
        Exception,
        match="available: townships, villages, households, members, panel, programs, loans, labour, survey, truth, parameters",
    ):
        datasets.load("panel_2030")


@pytest.mark.slow
def test_synth_command(tmp_path, evalkit_cli) -> None:
    import subprocess

    done = subprocess.run(
        [*evalkit_cli, "synth", "--out", str(tmp_path), "--seed", "3"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    pkg = tmp_path / "package"
    assert sorted(p.name for p in (pkg / "synthetic").iterdir()) == sorted(f"synthetic_{t}.csv" for t in synth.TABLES)
    assert "(SYNTHETIC data package" in done.stdout
    assert len(list((tmp_path / "raw" / "registry").iterdir())) == 6  # one export per year, 2014-2019
    opened = package.check(pkg)  # valid, and says what it is
    assert opened.synthetic and opened.descriptor["name"] == "licheng-synthetic-3"
    # a folder holding other files is refused, and left as it was
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "package").mkdir()
    (tmp_path / "other" / "package" / "notes.txt").write_text("mine", encoding="utf-8")
    again = subprocess.run([*evalkit_cli, "synth", "--out", str(tmp_path / "other")], capture_output=True, text=True)
    assert again.returncode == 2 and "is not a data package" in again.stderr
    assert [p.name for p in (tmp_path / "other" / "package").iterdir()] == ["notes.txt"]


def test_incomes_agree_with_registry_status(county) -> None:
    panel = county["panel"]
    assert str(county["parameters"].set_index("parameter").loc["attempt", "value"]) in {"0", "1"}
    assert len(panel) == 3601 * 6 and set(panel["year"]) == set(range(2014, 2020))
    upto = panel.loc[panel["year"] <= 2018]
    below = upto["income_pc"] < upto["poverty_line"]
    assert (below == (upto["status"] == "registered")).all()
    parts = panel[["wage_pc", "operating_pc", "property_pc", "transfer_pc"]].sum(axis=1)
    assert (parts - panel["income_pc"]).abs().max() < 0.011
    transfers = panel[["pension_pc", "dibao_pc", "eco_comp_pc", "other_policy_pc"]].sum(axis=1)
    assert (transfers - panel["transfer_pc"]).abs().max() < 0.011
    assert (panel[["wage_pc", "operating_pc", "property_pc", "transfer_pc"]] >= 0).all().all()
    # exit years in the registry are the first year at or above the line
    first = upto.loc[~below].groupby("household_id")["year"].min()
    exits = county["households"].set_index("household_id")["exit_year"].dropna()
    assert (first.reindex(exits.index) == exits).all()


def test_guarantees_met_from_exit(county) -> None:
    panel = county["panel"]
    exited = panel.loc[panel["status"] != "registered"]
    cols = ["food_clothing_secure", "safe_housing", "safe_water", "compulsory_education_ok", "basic_medical_insurance"]
    assert exited[cols].all().all()
    assert not panel.loc[
        panel["status"] == "registered", "safe_housing"
    ].all()  # some registered households still lack it


def test_lines_come_from_reference_data(county) -> None:
    from evalkit import reference

    lines = county["panel"].groupby("year")["poverty_line"].first()
    assert lines.loc[2014] == 2800 and lines.loc[2019] == 3218
    assert lines.to_dict() == reference.poverty_lines(allow_interpolated=True).reindex(lines.index).to_dict()
    flagged = county["panel"].groupby("year")["line_interpolated"].first()
    assert flagged.to_dict() == {2014: False, 2015: True, 2016: True, 2017: True, 2018: True, 2019: False}


def test_loans(county) -> None:
    loans, hh = county["loans"], county["households"]
    assert len(loans) == 1568 and loans["household_id"].is_unique
    assert set(loans["household_id"]) <= set(hh["household_id"])
    assert loans["amount_yuan"].max() <= 50_000 and loans["amount_yuan"].min() > 0
    assert loans["amount_yuan"].sum() == 73_200_000  # the report: 7300余万元
    assert set(loans["model"]) == {"self_development", "partnership", "coop_cooperation", "coop_operation"}
    assert set(loans["loan_year"]) == {2016, 2017, 2018}
    active = county["panel"].groupby("household_id")["microcredit_active"].any()
    assert set(active[active].index) == set(loans["household_id"])


def test_truth_table_is_the_average_planted_effect(county) -> None:
    truth = county["truth"].loc[county["truth"]["program"] == "microcredit"].set_index(["outcome", "group"])["value"]
    assert truth[("income_pc", "all")] == pytest.approx(
        truth[("operating_pc", "all")] + truth[("property_pc", "all")], abs=1e-3
    )
    assert truth[("property_pc", "model=self_development")] == 0
    assert truth[("operating_pc", "model=coop_cooperation")] == 0
    assert 200 < truth[("operating_pc", "all")] < 800
    assert county["truth"].set_index(["program", "outcome", "group"]).index.is_unique


def _twfe(panel: pd.DataFrame, households: pd.DataFrame, outcome: str):
    from linearmodels.panel import PanelOLS

    data = panel.merge(households[["household_id", "village_id"]], on="household_id").set_index(
        ["household_id", "year"]
    )
    clusters = data["village_id"].astype("category").cat.codes.to_frame("village")
    fit = PanelOLS(
        data[outcome], data[["microcredit_active"]].astype(float), entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", clusters=clusters)
    return float(fit.params.iloc[0]), float(fit.std_errors.iloc[0])


@pytest.mark.parametrize("outcome", ["operating_pc", "property_pc"])
def test_planted_microcredit_effect_is_recovered(county, outcome: str) -> None:
    estimate, se = _twfe(county["panel"], county["households"], outcome)
    truth = county["truth"].set_index(["program", "outcome", "group"]).loc[("microcredit", outcome, "all"), "value"]
    assert abs(estimate - truth) < 1.96 * se, (estimate, se, truth)


def test_naive_comparison_is_biased(county) -> None:
    panel = county["panel"]
    truth = (
        county["truth"].set_index(["program", "outcome", "group"]).loc[("microcredit", "operating_pc", "all"), "value"]
    )
    post = panel.loc[panel["year"] == 2019].groupby("microcredit_active")["operating_pc"]
    naive, spread = post.mean(), post.std() / np.sqrt(post.size())
    difference = naive[True] - naive[False]
    se = float(np.hypot(spread[True], spread[False]))
    assert difference - truth > 3 * se  # borrowers had more operating income before any loan
    estimate, _ = _twfe(panel, county["households"], "operating_pc")
    assert abs(estimate - truth) < abs(difference - truth) / 5


def test_2019_statuses_follow_incomes(county) -> None:
    y19 = county["panel"].loc[county["panel"]["year"] == 2019]
    below = y19["income_pc"] < y19["poverty_line"]
    assert (below == y19["status"].isin(["registered", "returned"])).all()
    assert set(y19["status"]) == {"registered", "exited_this_year", "exited", "returned"}


def test_report_screening_rule_flags_exactly_18_households_40_people(county) -> None:
    rule = risk.ScreeningRules.from_table()
    assert (rule.income_below, rule.transfer_share_above) == (4000.0, 0.5)
    flags = risk.screen(county["panel"], 2018, rule)
    flagged = flags.loc[flags["report_rule"], "household_id"]
    sizes = county["households"].set_index("household_id")["household_size"]
    assert (flagged.size, int(sizes.loc[flagged].sum())) == (18, 40)
    # independent check of one flagged household against the raw panel
    one = county["panel"].loc[county["panel"]["household_id"] == flagged.iloc[0]].set_index("year")
    assert one.loc[2016, "income_pc"] > one.loc[2017, "income_pc"] > one.loc[2018, "income_pc"]
    assert one.loc[2018, "income_pc"] < 4000 and one.loc[2018, "transfer_pc"] > 0.5 * one.loc[2018, "income_pc"]
    assert bool(one.loc[2018, "major_event"])


def _auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties get average ranks)."""
    ranks = pd.Series(score).rank().to_numpy()
    positives = outcome.astype(bool)
    n1, n0 = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def test_returns_are_rare_and_predictable_from_risk_factors(county) -> None:
    import statsmodels.api as sm

    panel = county["panel"]
    exited = panel.loc[
        (panel["year"] == 2019) & panel["status"].isin(["exited", "returned"]), ["household_id", "status"]
    ]
    y18 = panel.loc[panel["year"] == 2018].set_index("household_id")
    y16 = panel.loc[panel["year"] == 2016].set_index("household_id")
    hh = county["households"].set_index("household_id")
    ids = exited["household_id"].to_numpy()
    X = pd.DataFrame(
        {
            "illness": (hh.loc[ids, "main_cause"] == "illness").to_numpy(float),
            "transfer_share": (y18.loc[ids, "transfer_pc"] / y18.loc[ids, "income_pc"]).to_numpy(),
            "income_change": (np.log(y18.loc[ids, "income_pc"]) - np.log(y16.loc[ids, "income_pc"])).to_numpy(),
            "small_household": (hh.loc[ids, "household_size"] <= 2).to_numpy(float),
        }
    )
    y = (exited["status"] == "returned").to_numpy(float)
    assert 0.002 < y.mean() < 0.03  # rare, as returns were
    fit = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
    assert fit.params["income_change"] < 0 and fit.pvalues["income_change"] < 0.01
    assert _auc(fit.predict(sm.add_constant(X)), y) > 0.85
    truth = county["truth"].set_index(["outcome", "group"])["value"]
    assert truth[("returned_2019", "all exited")] == pytest.approx(y.mean(), abs=1e-6)


def test_survey_design(county) -> None:
    survey, villages = county["survey"], county["villages"]
    assert 1800 <= len(survey) <= 2300 and survey["survey_id"].is_unique  # "about 2,000"
    # exactly 25 per village stratum, or the whole stratum when smaller (recovered from the stored probabilities)
    per_stratum = survey.groupby(["village_id", "within_stratum"]).agg(
        n=("survey_id", "size"), prob=("household_prob", "first")
    )
    stratum_size = (per_stratum["n"] / per_stratum["prob"]).round()
    assert (per_stratum["n"] == np.minimum(25, stratum_size)).all()
    assert survey.groupby("township_id")["village_id"].nunique().eq(5).all()  # 5 clusters in each of the 10 strata
    assert (survey["weight"] * survey["household_size"]).sum() == pytest.approx(130_000, rel=1e-12)
    per_township = (survey["weight"] * survey["household_size"]).groupby(survey["township_id"]).sum()
    agri = villages.groupby("township_id")["agri_pop"].sum()
    pd.testing.assert_series_equal(per_township, agri.astype(float), check_names=False, rtol=1e-12)
    registered = survey["registry_household_id"].notna()
    assert set(survey.loc[registered, "registry_household_id"]) <= set(county["households"]["household_id"])
    assert (survey.loc[~registered, "registry_status_2018"] == "not_registered").all()
    # recorded exits that fail the criteria exist, and never-registered poor exist: the assessment has something to find
    exited = survey["registry_status_2018"] == "exited"
    assert (~survey.loc[exited, "meets_exit_criteria"]).sum() > 0
    poor_unregistered = (survey["income_pc_2018"] < survey["poverty_line_2018"]) & ~registered
    assert poor_unregistered.sum() > 0


def test_survey_truth_is_plausible(county) -> None:
    truth = county["truth"].set_index("outcome")["value"]
    assert 0.005 < truth["wrong_exit_rate"] < 0.02
    assert 0.003 < truth["missed_rate"] < 0.01
    assert truth["composite_incidence"] < 0.02  # the county passed
    assert truth["composite_incidence"] > 1259 / 130_000  # at least the remaining registered poor
    assert 0.9 < truth["approval_rate"] < 0.99


@pytest.mark.slow
def test_survey_design_is_unbiased_over_repeated_draws() -> None:
    from evalkit.synth.survey import draw_survey

    county = synth.generate(include_frame=True)
    frame, p = county["frame"], synth.SynthParams()
    line = float(county["survey"]["poverty_line_2018"].iloc[0])
    draws = []
    for i in range(200):
        s = draw_survey(np.random.default_rng([2018, i]), p, county["villages"], frame, line)
        w = s["household_size"] / (s["village_prob"] * s["household_prob"])  # Horvitz-Thompson, before calibration
        exited = s["registry_status_2018"] == "exited"
        draws.append([w.sum(), w[exited].sum(), w[s["income_pc_2018"] < line].sum()])
    draws = np.array(draws)
    size = frame["household_size"]
    truth = np.array(
        [
            size.sum(),
            size[frame["exit_year"].notna() & (frame["registry_household_id"] != "")].sum(),
            size[frame["income_pc_2018"] < line].sum(),
        ]
    )
    mc_se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert (np.abs(draws.mean(axis=0) - truth) < 4 * mc_se).all(), (draws.mean(axis=0), truth, mc_se)


@pytest.mark.slow
def test_scaled_registry_in_chunks(tmp_path, evalkit_cli) -> None:
    import subprocess

    import pyarrow.dataset as ds

    done = subprocess.run(
        [*evalkit_cli, "synth", "--out", str(tmp_path), "--scale", "3", "--chunk-households", "4000"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "synthetic_registry_scale_3"
    assert sorted(p.name for p in (folder / "households").iterdir()) == ["chunk=00000", "chunk=00001", "chunk=00002"]
    households = ds.dataset(folder / "households", format="parquet").to_table().to_pandas()
    panel = ds.dataset(folder / "panel", format="parquet").to_table().to_pandas()
    assert len(households) == 3 * 3601 and households["household_id"].is_unique and len(panel) == 6 * len(households)
    assert sorted(households["county_id"].unique()) == [0, 1, 2]
    # statuses agree with incomes: exit is the first year at or above the line, staying there through 2018
    upto = panel.loc[panel["year"] <= 2018]
    first_above = upto.loc[upto["income_pc"] >= upto["poverty_line"]].groupby("household_id")["year"].min()
    exits = households.set_index("household_id")["exit_year"].dropna().astype(int)
    assert (first_above.reindex(exits.index) == exits).all()
    assert (
        upto.loc[upto["status"] == "registered", "income_pc"] < upto.loc[upto["status"] == "registered", "poverty_line"]
    ).all()
    # shares follow the county's, in expectation
    county = datasets.load("households")
    assert households["household_size"].mean() == pytest.approx(county["household_size"].mean(), rel=0.05)
    # program start years are copied with the donor household: microcredit reach near the county's 1,568 / 3,601
    assert (households["start_microcredit"].fillna(9999) <= 2018).mean() == pytest.approx(1568 / 3601, abs=0.03)
    # one village table per county, written once, with the county's 227 village populations
    villages = ds.dataset(folder / "villages", format="parquet").to_table().to_pandas()
    assert len(villages) == 3 * 227 and villages["village_id"].is_unique
    assert set(households["village_id"]) <= set(villages["village_id"])
    per_county = villages.groupby("county_id")["agri_pop"].sum()
    assert (per_county == datasets.load("villages")["agri_pop"].sum()).all()
    joined = households.merge(villages, on="village_id", suffixes=("", "_v"))
    assert (joined["township_id"] == joined["township_id_v"]).all() and (
        joined["county_id"] == joined["county_id_v"]
    ).all()
    # deterministic: the same command writes the same bytes
    again = tmp_path / "again"
    subprocess.run(
        [*evalkit_cli, "synth", "--out", str(again), "--scale", "3", "--chunk-households", "4000"],
        check=True,
        capture_output=True,
    )
    first = (folder / "panel" / "chunk=00001" / "part.parquet").read_bytes()
    assert first == (again / "synthetic_registry_scale_3" / "panel" / "chunk=00001" / "part.parquet").read_bytes()


def test_bad_scale_is_a_user_error(tmp_path, run_cli) -> None:
    done = run_cli("synth", "--out", str(tmp_path), "--scale", "-1")
    assert done.returncode == 2 and "--scale must be positive" in done.stderr and "Traceback" not in done.stderr


def _ranger_eligible(county) -> pd.Series:
    """The hiring rule, rebuilt from the registry: a working-age member able to patrol, not registered for illness."""
    members, hh = county["members"], county["households"].set_index("household_id")
    age = 2014 - members["birth_year"]
    able = members.assign(able=age.between(16, 64) & (members["schooling"] == "not_in_school") & ~members["disabled"])
    workers = able.groupby("household_id")["able"].sum().reindex(hh.index)
    return (workers > 0) & (hh["main_cause"] != "illness")


def test_rangers(county) -> None:
    rangers = county["programs"].loc[county["programs"]["program"] == "forest_ranger"]
    assert len(rangers) == 273 and rangers["person_id"].notna().all() and rangers["household_id"].is_unique
    assert rangers["amount_yuan"].min() >= 3000  # 每人每年可收入3000元以上
    eligible = _ranger_eligible(county)
    assert eligible.loc[rangers["household_id"]].all()
    holders = county["members"].set_index("person_id").loc[rangers["person_id"]]
    assert holders["labour_ability"].isin(["able", "weak"]).all()


def test_planted_ranger_effect_is_recovered_among_eligible_households(county) -> None:
    from linearmodels.panel import PanelOLS

    eligible = _ranger_eligible(county)
    panel = county["panel"].merge(county["households"][["household_id", "village_id"]], on="household_id")
    data = panel.loc[panel["household_id"].map(eligible)].set_index(["household_id", "year"])
    clusters = data["village_id"].astype("category").cat.codes.to_frame("village")
    truth = county["truth"].set_index(["program", "outcome"])["value"]
    for outcome in ("wage_pc", "income_pc"):
        fit = PanelOLS(
            data[outcome], data[["ranger_active"]].astype(float), entity_effects=True, time_effects=True
        ).fit(cov_type="clustered", clusters=clusters)
        estimate, se = float(fit.params.iloc[0]), float(fit.std_errors.iloc[0])
        assert abs(estimate - truth[("forest_ranger", outcome)]) < 1.96 * se, (outcome, estimate, se)


def test_rangers_were_selected_so_a_naive_comparison_misleads(county) -> None:
    # compared within the households the hiring rule makes eligible, as an evaluator would
    eligible = _ranger_eligible(county)
    panel = county["panel"].loc[county["panel"]["household_id"].map(eligible)]
    hired = set(county["programs"].loc[county["programs"]["program"] == "forest_ranger", "household_id"])
    truth = county["truth"].set_index(["program", "outcome"]).loc[("forest_ranger", "wage_pc"), "value"]

    def gap(year: int) -> tuple[float, float]:
        wage = (
            panel.loc[panel["year"] == year].assign(r=lambda f: f["household_id"].isin(hired)).groupby("r")["wage_pc"]
        )
        mean, se = wage.mean(), wage.std() / np.sqrt(wage.size())
        return float(mean[True] - mean[False]), float(np.hypot(se[True], se[False]))

    before, before_se = gap(2018)  # no ranger job yet: forest villages earn less in wages
    assert before < -3 * before_se
    after, after_se = gap(2019)
    assert after - truth < -3 * after_se


_EDU = {"illiterate": 0, "primary": 1, "junior_secondary": 2, "senior_secondary": 3, "tertiary": 4}


def _training_data(county) -> tuple[pd.DataFrame, pd.DataFrame]:
    import statsmodels.api as sm

    lab = county["labour"].merge(
        county["members"][["person_id", "birth_year", "education", "sex", "labour_ability"]], on="person_id"
    )
    X = pd.DataFrame(
        {
            "edu": lab["education"].map(_EDU).fillna(1),
            "age": (2017 - lab["birth_year"] - 35) / 10,
            "female": (lab["sex"] == "female").astype(float),
            "weak": (lab["labour_ability"] == "weak").astype(float),
        }
    )
    return lab, sm.add_constant(X)


def _att_ipw(y: np.ndarray, d: np.ndarray, X: pd.DataFrame) -> float:
    """ATT by inverse-probability weighting: controls weighted by the propensity odds."""
    import statsmodels.api as sm

    ps = sm.Logit(d, X).fit(disp=0).predict(X)
    odds = ps / (1 - ps)
    return float(y[d == 1].mean() - np.average(y[d == 0], weights=odds[d == 0]))


def test_training_table(county) -> None:
    lab = county["labour"]
    members = county["members"].set_index("person_id").loc[lab["person_id"]]
    age = 2017 - members["birth_year"]
    assert age.between(16, 55).all() and (members["schooling"] == "not_in_school").all()
    trained = lab.loc[lab["trained"]]
    assert set(trained["course"]) == {
        "ecommerce",
        "maternity_care",
        "cooking",
        "excavator",
        "care_work",
        "handicraft",
        "computing",
    }
    assert (
        len(trained)
        == county["truth"].set_index(["program", "outcome", "group"]).loc[("training", "wage_2019", "all"), "n_units"]
    )
    assert (lab.loc[~lab["employed_2019"], "wage_2019"] == 0).all()
    assert county["members"]["person_id"].isin(lab["person_id"]).sum() == len(lab)


@pytest.mark.parametrize("outcome", ["employed_2019", "wage_2019"])
def test_planted_training_effect_is_recovered_and_naive_is_biased(county, outcome: str) -> None:
    lab, X = _training_data(county)
    y, d = lab[outcome].to_numpy(float), lab["trained"].to_numpy(float)
    truth = county["truth"].set_index(["program", "outcome", "group"]).loc[("training", outcome, "all"), "value"]
    estimate = _att_ipw(y, d, X)
    rng = np.random.default_rng(0)
    draws = [
        _att_ipw(y[i], d[i], X.iloc[i].reset_index(drop=True))
        for i in (rng.integers(0, y.size, y.size) for _ in range(120))
    ]
    se = float(np.std(draws, ddof=1))
    assert abs(estimate - truth) < 1.96 * se, (estimate, se, truth)
    naive = y[d == 1].mean() - y[d == 0].mean()
    assert naive - truth > 2.5 * se  # trainees were younger and better schooled


def test_relocation_splits_by_hand(county) -> None:
    rows = county["programs"].loc[county["programs"]["program"] == "relocation"]
    poor = rows["registered"]
    assert (int(poor.sum()), int(rows.loc[poor, "persons"].sum())) == (89, 309)
    assert (int((~poor).sum()), int(rows.loc[~poor, "persons"].sum())) == (16, 36)
    by_site = rows.groupby("detail").agg(hh=("persons", "size"), pp=("persons", "sum"))
    assert by_site.loc["Qingnan Village site"].tolist() == [10, 26]
    assert by_site.loc["Shuiyu Village site"].tolist() == [14, 45]
    assert by_site.loc["Jinxiuyuan site"].tolist() == [52, 164]
    assert by_site.loc["dispersed"].tolist() == [29, 110]
    assert (rows["amount_basis"] == "old house vacated and land reclaimed").sum() == 93
    assert set(rows.loc[poor, "household_id"]) <= set(county["households"]["household_id"])


def test_other_programs(county) -> None:
    programs = county["programs"]
    renovation = programs.loc[programs["program"] == "housing_renovation"]
    assert len(renovation) == 489 and 0 < (~renovation["registered"]).sum() < 489  # "四类人员": not all registered
    # a registered household's renovation year is the year its housing became safe
    panel = county["panel"]
    safe_from = panel.loc[panel["safe_housing"]].groupby("household_id")["year"].min()
    reg = renovation.loc[renovation["registered"]]
    assert (safe_from.loc[reg["household_id"]].to_numpy() == reg["start_year"].to_numpy()).all()
    insurance = programs.loc[programs["program"] == "insurance_payout"]
    assert insurance["amount_yuan"].sum() == 2_876_300
    assert set(insurance["detail_zh"]) <= set(published.named_lists().query("list_id == 'insurance_types'")["item_zh"])
    coops = programs.loc[programs["program"] == "afforestation_coop"]
    assert coops["person_id"].is_unique and len(coops) == 169 and coops["detail"].nunique() == 27
    grain = programs.loc[programs["program"] == "grain_for_green"]
    assert (len(grain), int(grain["persons"].sum())) == (101, 228)
    deep = programs.loc[programs["program"] == "deep_poverty_support"]
    remaining = set(county["households"].loc[county["households"]["exit_year"].isna(), "household_id"])
    assert len(deep) == 68 and deep["household_id"].isin(remaining).all()
    shops = programs.loc[programs["program"] == "workshop_job"]
    named = published.named_lists().query("list_id == 'workshops'")["item_zh"]
    assert set(shops["detail_zh"]) == set(named) and shops["person_id"].is_unique  # the six the report names
    assert shops.groupby("detail_zh").size().between(8, 25).all()  # assumed worker counts (none published)
    other_jobs = programs.loc[programs["program"].isin(["private_firm_job", "afforestation_coop", "forest_ranger"])]
    assert not shops["person_id"].isin(other_jobs["person_id"]).any()
    villages = county["villages"].set_index("village_id")
    jinfu = shops.loc[shops["detail_zh"] == "晋福村劳保用品加工", "village_id"].map(villages["township_id"])
    assert (jinfu == villages.loc[villages["name_zh"] == "晋福村", "township_id"].iloc[0]).all()
    doctor = programs.loc[programs["program"] == "family_doctor"]
    assert doctor["household_id"].is_unique and doctor["household_id"].isin(county["households"]["household_id"]).all()
    assert 0.9 < len(doctor) / len(county["households"]) < 1.0
    students = county["members"].loc[county["members"]["schooling"] != "not_in_school", "person_id"]
    assert students.isin(programs.loc[programs["program"] == "education_aid", "person_id"]).all()


def test_a_naive_before_after_comparison_of_movers_misleads(county) -> None:
    # what an office would report: movers' wages in 2019 against their own 2018 wages
    moved = list(set(county["programs"].query("program == 'relocation' and registered")["household_id"]))
    wages = county["panel"].pivot(index="household_id", columns="year", values="wage_pc")
    change = (wages[2019] - wages[2018]).loc[moved]
    truth = county["truth"].set_index(["program", "outcome", "group"]).loc[("relocation", "wage_pc", "all"), "value"]
    se = change.std() / np.sqrt(len(change))
    assert change.mean() - truth > 3 * se  # everyone's wages rose in 2019; the movers' change is not the effect


def test_planted_relocation_effect_is_recovered(county) -> None:
    from linearmodels.panel import PanelOLS

    hh = county["households"]
    moved = set(county["programs"].query("program == 'relocation' and registered")["household_id"])
    pool = set(hh.loc[hh["main_cause"] != "illness", "household_id"])  # relocation draws from these households
    data = county["panel"].merge(hh[["household_id", "village_id"]], on="household_id")
    data = data.loc[data["household_id"].isin(pool)].assign(
        moved_2019=lambda f: (f["household_id"].isin(moved) & (f["year"] == 2019)).astype(float),
        ranger=lambda f: f["ranger_active"].astype(float),  # a concurrent 2019 program, also drawn by forest cover
    )
    data = data.set_index(["household_id", "year"])
    clusters = data["village_id"].astype("category").cat.codes.to_frame("village")
    fit = PanelOLS(data["wage_pc"], data[["moved_2019", "ranger"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", clusters=clusters
    )
    truth = county["truth"].set_index(["program", "outcome", "group"]).loc[("relocation", "wage_pc", "all"), "value"]
    estimate, se = float(fit.params["moved_2019"]), float(fit.std_errors["moved_2019"])
    assert abs(estimate - truth) < 1.96 * se, (estimate, se, truth)
    relocated = county["panel"].loc[county["panel"]["relocated"], "household_id"].unique()
    assert set(relocated) == moved
