"""One set of indicator definitions on pandas, DuckDB and Spark: equal results, and equal to evalkit's indicators."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evalkit import datasets, engines, indicators
from evalkit.synth.scale import write_scaled


@pytest.fixture(scope="module")
def county_folder(tmp_path_factory):
    """The committed synthetic county written as a registry folder of Parquet files."""
    county = datasets.load_county()
    households = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    households = households.assign(county_id="C0001", province_id="P14")
    folder = tmp_path_factory.mktemp("county")
    for name, frame in (("households", households), ("panel", county["panel"])):
        (folder / name).mkdir()
        frame.to_parquet(folder / name / "part.parquet", index=False)
    return folder, households, county["panel"]


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


@pytest.mark.parametrize("which", ["county", "province"])
def test_duckdb_equals_pandas(which, county_folder, province_folder) -> None:
    folder = county_folder[0] if which == "county" else province_folder
    levels = ("county", "township") if which == "county" else ("province", "county", "township", "village")
    pandas_table = engines.summarize(folder, engine="pandas", levels=levels)
    duck = engines.summarize(folder, engine="duckdb", levels=levels, memory_limit="1GB", threads=2)
    assert _compare(pandas_table, duck) < 1e-12
    assert set(duck["indicator"]) == {*engines.RATIOS, "gini"}


def test_spark_local_mode_equals_pandas(province_folder) -> None:
    levels = ("province", "county", "township")
    pandas_table = engines.summarize(province_folder, engine="pandas", levels=levels)
    spark = engines.summarize(province_folder, engine="spark", levels=levels)
    assert _compare(pandas_table, spark) < 1e-12


def test_expressions_render_the_same_formula() -> None:
    expr = engines.TERMS["gap2"]
    frame = pd.DataFrame({"y": [100.0, 300.0], "z": [200.0, 200.0], "w": [2.0, 3.0]})
    assert expr.pandas(frame).tolist() == [2 * 0.25, 0.0]
    import duckdb

    got = duckdb.sql(f"SELECT {expr.sql()} AS v FROM frame ORDER BY y").df()["v"].tolist()
    assert got == [0.5, 0.0]


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
