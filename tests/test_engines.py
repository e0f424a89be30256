"""One set of indicator definitions on pandas, DuckDB and Spark: equal results, and equal to evalkit's indicators."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, engines, indicators, programs
from evalkit.programs import DATED_PROGRAMS
from evalkit.errors import UserInputError
from evalkit.synth.scale import write_scaled


@pytest.fixture(scope="module")
def county_folder(tmp_path_factory):
    """The committed synthetic county written as a registry folder of Parquet files."""
    registry = engines.county_registry(datasets.load_county())
    folder = engines.write_registry(registry, tmp_path_factory.mktemp("county") / "registry")
    return folder, registry["households"], registry["panel"]


@pytest.fixture(scope="module")
def county_table():
    """Every indicator of the county at every level (pandas engine)."""
    county = datasets.load_county()
    registry = engines.county_registry(county)
    table = engines.summarize_frames(
        registry["households"], registry["panel"], engines.LEVELS, villages=registry["villages"]
    )
    return county, table.set_index(["indicator", "level", "group", "year"])["estimate"]


@pytest.fixture(scope="module")
def province_folder(tmp_path_factory):
    return write_scaled(tmp_path_factory.mktemp("province"), 12, chunk_households=9000)  # 43,212 households


def _compare(a: pd.DataFrame, b: pd.DataFrame) -> float:
    both = a.merge(b, on=["indicator", "level", "group", "year"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), "the engines return different rows"
    return float(np.max(np.abs(both["estimate_x"] - both["estimate_y"]) / np.maximum(1, np.abs(both["estimate_x"]))))


def test_pandas_engine_equals_evalkit_indicators_on_the_county(county_folder) -> None:
    _, households, panel = county_folder
    table = engines.summarize_frames(households, panel, levels=("county", "township"))
    data = panel.merge(households[["household_id", "household_size", "township_id"]], on="household_id")
    for year in (2015, 2018):
        part = data.loc[data["year"] == year]
        y, w, z = part["income_pc"].clip(lower=1.0), part["household_size"], part["poverty_line"].iloc[0]
        got = table.query("level == 'county' and year == @year").set_index("indicator")["estimate"]
        assert got["headcount"] == pytest.approx(indicators.fgt(y, z, 0, w, se="none").estimate, rel=1e-12)
        assert got["squared_gap"] == pytest.approx(indicators.fgt(y, z, 2, w, se="none").estimate, rel=1e-12)
        assert got["watts"] == pytest.approx(indicators.watts(y, z, w, se="none").estimate, rel=1e-12)
        assert got["gini"] == pytest.approx(indicators.gini(y, w, se="none").estimate, rel=1e-12)
        assert got["registered_persons"] == part.loc[part["status"] == "registered", "household_size"].sum()
    # 2018: the registry's 637 households / 1,259 persons still registered at the end of the year
    end = table.query("level == 'county' and year == 2018").set_index("indicator")["estimate"]
    assert end["registered_persons"] == 1259 and end["households"] == 3601


@pytest.mark.slow
@pytest.mark.parametrize("which", ["county", "province"])
def test_duckdb_equals_pandas(which, county_folder, province_folder) -> None:
    folder = county_folder[0] if which == "county" else province_folder
    levels = ("county", "township") if which == "county" else ("province", "county", "township", "village")
    pandas_table = engines.summarize(folder, engine="pandas", levels=levels)
    duck = engines.summarize(folder, engine="duckdb", levels=levels, memory_limit="1GB", threads=2)
    assert _compare(pandas_table, duck) < 1e-12
    coverage = {f"coverage_{p}" for p in DATED_PROGRAMS}
    assert set(duck["indicator"]) == {*engines.RATIOS, "gini", *engines.EXIT_TEST_INDICATORS, *coverage}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["county", "province"])
def test_spark_local_mode_equals_pandas(which, county_folder, province_folder) -> None:
    """The spark engine gives the pandas engine's table. PySpark is optional (`make spark`; CI installs it):
    without it this test is skipped with the engine's own message, which says how to install it."""
    try:
        engines._import_spark()
    except UserInputError as missing:
        pytest.skip(str(missing))
    folder = county_folder[0] if which == "county" else province_folder
    levels = ("county", "township", "village") if which == "county" else ("province", "county", "township")
    pandas_table = engines.summarize(folder, engine="pandas", levels=levels)
    spark = engines.summarize(folder, engine="spark", levels=levels)
    assert _compare(pandas_table, spark) < 1e-12
    assert {"coverage_microcredit", "into_poverty", "share_villages_passing_exit_test"} <= set(spark["indicator"])


@pytest.mark.slow
def test_engine_coverage_equals_the_coverage_module(county_table) -> None:
    county, table = county_table
    for year in (2015, 2016, 2018, 2019):
        expected = programs.coverage(programs.participation(county, year)).set_index("program")["coverage"]
        by_township = programs.coverage(programs.participation(county, year), by="township_id").set_index("program")
        for program in DATED_PROGRAMS:
            got = table[(f"coverage_{program}", "county", "140426", year)]
            assert got == pytest.approx(expected[program], abs=1e-12), (program, year)
            assert table[(f"coverage_{program}", "township", "T03", year)] == pytest.approx(
                by_township.loc[program, "T03"], abs=1e-12
            )
    # the report: 1,568 households reached by microcredit by 2018
    assert table[("coverage_microcredit", "county", "140426", 2018)] * 3601 == pytest.approx(1568)


def test_engine_transitions_equal_evalkit_dynamics(county_table) -> None:
    county, table = county_table
    panel = county["panel"]
    flows = indicators.flows_by_year(panel, county["households"]).set_index("year")
    for year in range(2015, 2020):
        moves = indicators.transitions(panel, year - 1, year).set_index(["from", "to"])["count"]
        got = {name: table[(name, "county", "140426", year)] for name in engines.LAG_TERMS}
        assert got["out_of_poverty"] == moves.get(("poor", "not_poor"), 0)
        assert got["into_poverty"] == moves.get(("not_poor", "poor"), 0)
        assert got["stayed_poor"] == moves.get(("poor", "poor"), 0)
        assert table[("registry_exits", "county", "140426", year)] == flows.loc[year, "exits_households"]
        # a return is a year with status 'returned' after a year without it (counted by hand)
        wide = panel.pivot(index="household_id", columns="year", values="status")
        hand = ((wide[year] == "returned") & (wide[year - 1] != "returned")).sum()
        assert got["registry_returns"] == hand
    # the synthetic county plants its returns to poverty in 2019 only: 24 households
    assert table[("registry_returns", "county", "140426", 2019)] == 24
    assert table[("into_poverty", "county", "140426", 2018)] == 0


def test_engine_exit_tests_equal_evalkit_dynamics(county_table) -> None:
    county, table = county_table
    by_village = indicators.exit_tests(
        indicators.registry_incidence(county["panel"], county["households"], county["villages"], by="village_id")
    )
    for year in (2015, 2018):
        part = by_village.loc[by_village["year"] == year].set_index("village_id")
        got = table.xs(("passes_exit_test", "village"), level=("indicator", "level")).xs(year, level="year")
        assert got.reindex(part.index).astype(bool).tolist() == part["passes"].tolist()
        assert table[("villages_passing_exit_test", "county", "140426", year)] == part["passes"].sum()
        incidence = table.xs(("exit_incidence_pct", "village"), level=("indicator", "level")).xs(year, level="year")
        assert np.allclose(incidence.reindex(part.index), part["incidence_pct"], rtol=1e-12)
    county_incidence = indicators.registry_incidence(county["panel"], county["households"], county["villages"])
    got = table.xs(("exit_incidence_pct", "county", "140426"), level=("indicator", "level", "group"))
    assert np.allclose(got.reindex(county_incidence["year"]), county_incidence["incidence_pct"], rtol=1e-12)
    # the report: incidence 6.2% (2014) and 0.97% (2018); the county passes the 2% test in 2018, not in 2017
    assert round(got[2014], 1) == 6.2 and round(got[2018], 2) == 0.97
    assert table[("passes_exit_test", "county", "140426", 2018)] == 1
    assert table[("passes_exit_test", "county", "140426", 2017)] == 0
    assert table[("villages", "township", "T01", 2018)] == (county["villages"]["township_id"] == "T01").sum()


def test_exit_tests_by_hand() -> None:
    villages = pd.DataFrame({"village_id": ["a", "b", "c"], "county_id": ["k", "k", "k"], "agri_pop": [100, 200, 300]})
    sums = pd.DataFrame({"village_id": ["a", "b"], "year": [2018, 2018], "registered": [2.0, 3.0]})
    t = engines.village_exit_tests(sums, villages, ("village", "county")).set_index(["indicator", "level", "group"])
    t = t["estimate"]
    # a: exactly 2% is not below 2%; b: 1.5% passes; c: no registered household, 0% passes
    assert t[("passes_exit_test", "village", "a")] == 0 and t[("passes_exit_test", "village", "b")] == 1
    assert t[("exit_incidence_pct", "village", "c")] == 0 and t[("passes_exit_test", "village", "c")] == 1
    assert t[("exit_incidence_pct", "county", "k")] == pytest.approx(100 * 5 / 600)
    assert t[("villages_passing_exit_test", "county", "k")] == 2
    assert t[("share_villages_passing_exit_test", "county", "k")] == pytest.approx(2 / 3)
    west = engines.village_exit_tests(sums, villages, ("village",), threshold_pct=3.0).set_index(["indicator", "group"])
    assert west.loc[("passes_exit_test", "a"), "estimate"] == 1
    bad = villages.assign(agri_pop=[100, 0, 300])
    with pytest.raises(UserInputError, match=r"agri_pop must be a positive number.*\bb\b"):
        engines.village_exit_tests(sums, bad, ("county",))


def test_transitions_need_the_previous_year() -> None:
    """A household missing a year has no transition into the next one (the SQL engines agree: LAG + year check)."""
    households = pd.DataFrame({"household_id": ["a", "b"], "household_size": [1, 2], "county_id": ["k", "k"]})
    panel = pd.DataFrame(
        {
            "household_id": ["a", "a", "a", "b", "b"],
            "year": [2015, 2016, 2018, 2015, 2016],
            "income_pc": [900.0, 1100.0, 800.0, 1200.0, 900.0],
            "poverty_line": [1000.0] * 5,
            "status": ["registered", "exited_this_year", "returned", "not_poor", "registered"],
        }
    )
    t = engines.summarize_frames(households, panel, ("county",), gini=False)
    t = t.set_index(["indicator", "year"])["estimate"]
    assert t[("out_of_poverty", 2016)] == 1 and t[("into_poverty", 2016)] == 1  # a out, b in
    assert t[("into_poverty", 2018)] == 0  # a has no 2017 row
    assert t[("registry_returns", 2018)] == 1 and t[("registry_exits", 2016)] == 1
    import duckdb

    con = duckdb.connect()
    con.register("households", households)
    con.register("panel", panel)
    for name, query in engines._views(", h.county_id").items():
        con.execute(f"CREATE VIEW {name} AS {query}")
    sql = con.execute(engines._grouped_sql(("county",), engines.LAG_TERMS)).df().set_index("year")
    assert sql.loc[2016, "into_poverty"] == 1 and sql.loc[2018, "into_poverty"] == 0
    assert sql.loc[2018, "registry_returns"] == 1


def test_expressions_render_the_same_formula() -> None:
    expr = engines.TERMS["gap2"]
    frame = pd.DataFrame({"y": [100.0, 300.0], "z": [200.0, 200.0], "w": [2.0, 3.0]})
    assert expr.pandas(frame).tolist() == [2 * 0.25, 0.0]
    import duckdb

    got = duckdb.sql(f"SELECT {expr.sql()} AS v FROM frame ORDER BY y").df()["v"].tolist()
    assert got == [0.5, 0.0]


@pytest.mark.slow
def test_cli_indicators(county_folder, tmp_path) -> None:
    folder = county_folder[0]
    out = tmp_path / "summary.csv"
    cli = [sys.executable, "-m", "evalkit.cli", "indicators"]
    done = subprocess.run([*cli, str(folder), "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["indicator", "level", "group", "year", "estimate"]
    bad = subprocess.run([*cli, str(tmp_path), "--out", str(out)], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "no households/ folder of Parquet files" in bad.stderr
    assert "Traceback" not in bad.stderr
    level = subprocess.run([*cli, str(folder), "--out", str(out), "--levels", "hamlet"], capture_output=True, text=True)
    assert level.returncode == 2 and "unknown level hamlet" in level.stderr
    threshold = subprocess.run(
        [*cli, str(folder), "--out", str(out), "--exit-threshold", "0"], capture_output=True, text=True
    )
    assert threshold.returncode == 2 and "percentage above 0" in threshold.stderr
    assert "Traceback" not in threshold.stderr
    # the exit tests at 3% (the west) pass more villages than at 2%, never fewer
    west = tmp_path / "west.csv"
    subprocess.run([*cli, str(folder), "--out", str(west), "--exit-threshold", "3", "--no-gini"], check=True)
    at2 = table.query("indicator == 'villages_passing_exit_test' and level == 'county'")["estimate"].to_numpy()
    at3 = pd.read_csv(west).query("indicator == 'villages_passing_exit_test' and level == 'county'")["estimate"]
    assert (at3.to_numpy() >= at2).all() and (at3.to_numpy() > at2).any()
    assert "gini" not in set(pd.read_csv(west)["indicator"])
