"""One set of indicator definitions, run on pandas, on DuckDB over Parquet, or on Spark.

Every indicator here is a ratio of sums of per-household terms within a group and year (the FGT family,
Watts, the registered share, counts), or the Gini, which adds one running sum over households sorted by
income. Each term is written once as a small expression (:class:`Expr`) that renders itself both as a
vectorized pandas computation and as SQL; the SQL is the same text for DuckDB and Spark. So the three
engines cannot drift apart: they evaluate the same definitions, and tests check that they agree.

* ``pandas``: the registry in memory (the county, a province on a large machine);
* ``duckdb``: SQL over a folder of Parquet files, larger than memory, no server (a memory limit is set);
* ``spark``: the same SQL through PySpark (``local[*]`` here; point ``SPARK_MASTER`` at a cluster).

Input: a registry folder as ``evalkit synth --scale`` writes it (``households/**/*.parquet`` and
``panel/**/*.parquet``) or, for pandas, the two frames. Output: one tidy table with columns
``indicator, level, group, year, estimate``.

>>> poor = (col("y") < col("z")) * col("w")
>>> poor.sql()
'((CASE WHEN (y < z) THEN 1.0 ELSE 0.0 END) * w)'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import UserInputError

__all__ = ["Expr", "col", "lit", "TERMS", "RATIOS", "LEVELS", "ENGINES", "summarize", "summarize_frames"]

ENGINES = ("pandas", "duckdb", "spark")
LEVELS = ("province", "county", "township", "village")


# ---------------------------------------------------------------- a tiny expression language


@dataclass(frozen=True)
class Expr:
    """An expression over household-year columns that renders to pandas and to SQL."""

    op: str
    args: tuple

    def __add__(self, other):
        return Expr("+", (_wrap(self), _wrap(other)))

    def __sub__(self, other):
        return Expr("-", (_wrap(self), _wrap(other)))

    def __rsub__(self, other):
        return Expr("-", (_wrap(other), _wrap(self)))

    def __mul__(self, other):
        return Expr("*", (_wrap(self), _wrap(other)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return Expr("/", (_wrap(self), _wrap(other)))

    def __lt__(self, other):
        return Expr("<", (self, _wrap(other)))

    def __eq__(self, other):  # type: ignore[override]
        return Expr("==", (self, _wrap(other)))

    __hash__ = object.__hash__

    def sql(self) -> str:
        if self.op == "col":
            return self.args[0]
        if self.op == "lit":
            value = self.args[0]
            return f"'{value}'" if isinstance(value, str) else repr(float(value))
        if self.op in ("+", "-", "*", "/", "<"):
            return f"({self.args[0].sql()} {self.op} {self.args[1].sql()})"
        if self.op == "==":
            return f"({self.args[0].sql()} = {self.args[1].sql()})"
        if self.op == "flag":  # a comparison used as a number
            return f"(CASE WHEN {self.args[0].sql()} THEN 1.0 ELSE 0.0 END)"
        if self.op == "max0":
            return f"(CASE WHEN {self.args[0].sql()} > 0 THEN {self.args[0].sql()} ELSE 0.0 END)"
        if self.op == "ln":
            return f"LN({self.args[0].sql()})"
        raise ValueError(self.op)

    def pandas(self, frame: pd.DataFrame):
        if self.op == "col":
            return frame[self.args[0]]
        if self.op == "lit":
            return self.args[0]
        a = self.args[0].pandas(frame)
        if self.op == "flag":
            return a.astype(float)
        if self.op == "max0":
            return a.clip(lower=0.0)
        if self.op == "ln":
            return np.log(a)
        b = self.args[1].pandas(frame)
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "<": lambda: a < b,
            "==": lambda: a == b,
        }[self.op]()


def _wrap(value) -> Expr:
    if isinstance(value, Expr):
        if value.op in ("<", "=="):
            return Expr("flag", (value,))
        return value
    return lit(value)


def col(name: str) -> Expr:
    return Expr("col", (name,))


def lit(value: float | str) -> Expr:
    return Expr("lit", (value,))


def flag(condition: Expr) -> Expr:
    return Expr("flag", (condition,))


def max0(value: Expr) -> Expr:
    return Expr("max0", (value,))


def ln(value: Expr) -> Expr:
    return Expr("ln", (value,))


# ---------------------------------------------------------------- the definitions (once)

_y, _z, _w = col("y"), col("z"), col("w")
_gap = max0(_z - _y) / _z
TERMS: dict[str, Expr] = {
    "persons": _w,
    "households": lit(1.0) + lit(0.0) * _w,
    "poor": flag(_y < _z) * _w,
    "gap": _gap * _w,
    "gap2": _gap * _gap * _w,
    "watts": flag(_y < _z) * ln(_z / _y) * _w,  # incomes are floored at 1 yuan before any term
    "registered": flag(col("status") == lit("registered")) * _w,
    "income": _y * _w,
}
#: indicator -> (numerator term, denominator term); a None denominator means a count
RATIOS: dict[str, tuple[str, str | None]] = {
    "headcount": ("poor", "persons"),
    "poverty_gap": ("gap", "persons"),
    "squared_gap": ("gap2", "persons"),
    "watts": ("watts", "persons"),
    "registered_share": ("registered", "persons"),
    "mean_income": ("income", "persons"),
    "persons": ("persons", None),
    "households": ("households", None),
    "registered_persons": ("registered", None),
}


def _finish(sums: pd.DataFrame, level: str, gini: pd.DataFrame | None) -> pd.DataFrame:
    rows = []
    for name, (num, den) in RATIOS.items():
        value = sums[num] / sums[den] if den else sums[num]
        rows.append(pd.DataFrame({"indicator": name, "group": sums["group"], "year": sums["year"], "estimate": value}))
    if gini is not None:
        rows.append(gini.assign(indicator="gini")[["indicator", "group", "year", "estimate"]])
    out = pd.concat(rows, ignore_index=True)
    out.insert(1, "level", level)
    out["group"] = out["group"].astype(str)
    out["year"] = out["year"].astype(int)
    return out


# ---------------------------------------------------------------- pandas


def _pandas_base(households: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    keys = ["household_id", "household_size", *[c for c in (f"{lv}_id" for lv in LEVELS) if c in households]]
    data = panel[["household_id", "year", "income_pc", "poverty_line", "status"]].merge(
        households[keys], on="household_id", how="left"
    )
    return pd.DataFrame(
        {
            **{c: data[c] for c in keys if c != "household_size"},
            "year": data["year"],
            "y": data["income_pc"].astype(float).clip(lower=1.0),
            "z": data["poverty_line"].astype(float),
            "w": data["household_size"].astype(float),
            "status": data["status"],
        }
    )


def summarize_frames(
    households: pd.DataFrame, panel: pd.DataFrame, levels: tuple[str, ...] = ("county", "township"), gini: bool = True
) -> pd.DataFrame:
    """The pandas engine: every indicator by level, group and year, in grouped vectorized passes."""
    base = _pandas_base(households, panel)
    terms = pd.DataFrame({name: expr.pandas(base) for name, expr in TERMS.items()})
    out = []
    for level in levels:
        key = f"{level}_id"
        if key not in base:
            raise UserInputError(
                f"no column {key!r} in the households table; levels available: "
                f"{', '.join(c[:-3] for c in base.columns if c.endswith('_id') and c != 'household_id')}"
            )
        frame = terms.assign(group=base[key].to_numpy(), year=base["year"].to_numpy())
        sums = frame.groupby(["group", "year"], sort=True).sum().reset_index()
        g = None
        if gini:
            ordered = base.assign(group=base[key]).sort_values(["group", "year", "y", "household_id"], kind="stable")
            before = ordered.groupby(["group", "year"])["w"].cumsum() - ordered["w"]
            part = ordered.assign(
                t=ordered["w"] * ordered["y"] * (2 * before + ordered["w"]), wy=ordered["w"] * ordered["y"]
            )
            agg = part.groupby(["group", "year"]).agg(t=("t", "sum"), w=("w", "sum"), wy=("wy", "sum")).reset_index()
            g = agg.assign(estimate=agg["t"] / (agg["w"] * agg["wy"]) - 1.0)
        out.append(_finish(sums, level, g))
    return pd.concat(out, ignore_index=True)


# ---------------------------------------------------------------- SQL engines (DuckDB, Spark)


def _sql(level: str, gini: bool) -> tuple[str, str | None]:
    key = f"{level}_id"
    sums = ", ".join(f"SUM({expr.sql()}) AS {name}" for name, expr in TERMS.items())
    main = f"SELECT CAST({key} AS VARCHAR(64)) AS grp, year, {sums} FROM base GROUP BY {key}, year"
    if not gini:
        return main, None
    window = (
        f"SUM(w) OVER (PARTITION BY {key}, year ORDER BY y, household_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    ranked = f"SELECT {key}, year, w, y, COALESCE({window}, 0.0) AS before FROM base"
    g = (
        f"SELECT CAST({key} AS VARCHAR(64)) AS grp, year, SUM(w * y * (2 * before + w)) / (SUM(w) * SUM(w * y)) - 1.0 "
        f"AS estimate FROM ({ranked}) GROUP BY {key}, year"
    )
    return main, g


_BASE = """
SELECT p.household_id, p.year, GREATEST(CAST(p.income_pc AS DOUBLE), 1.0) AS y, CAST(p.poverty_line AS DOUBLE) AS z,
       CAST(h.household_size AS DOUBLE) AS w, p.status, {levels}
FROM panel p JOIN households h ON p.household_id = h.household_id
"""


def _check_folder(path: Path) -> None:
    for name in ("households", "panel"):
        if not (path / name).is_dir() or not any((path / name).rglob("*.parquet")):
            raise UserInputError(
                f"{path}: no {name}/ folder of Parquet files; point at a registry folder written by "
                "`evalkit synth --scale S --out DIR` (DIR/synthetic_registry_scale_S)"
            )


def _duckdb(path: Path, levels: tuple[str, ...], gini: bool, memory_limit: str, threads: int | None) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name in ("households", "panel"):
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{(path / name).as_posix()}/**/*.parquet', "
            "hive_partitioning = false)"
        )
    level_cols = ", ".join(f"h.{lv}_id" for lv in levels)
    con.execute(f"CREATE VIEW base AS {_BASE.format(levels=level_cols)}")
    out = []
    for level in levels:
        main, g = _sql(level, gini)
        sums = con.execute(main).df().rename(columns={"grp": "group"})
        gin = con.execute(g).df().rename(columns={"grp": "group"}) if g else None
        out.append(_finish(sums, level, gin))
    con.close()
    return pd.concat(out, ignore_index=True)


def _collect(frame) -> pd.DataFrame:
    """A small Spark result (one row per group and year) as pandas, without Spark's pandas conversion."""
    rows = [row.asDict() for row in frame.collect()]
    return pd.DataFrame(rows, columns=frame.columns).rename(columns={"grp": "group"})


def _import_spark():
    """PySpark from the environment, else from ``$EVALKIT_SPARK_PATH`` or ``.venv/spark`` (where ``make setup``
    puts it, outside the environment, so that pandera does not import it with every evalkit import)."""
    import sys

    from evalkit import paths

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        for folder in (os.environ.get("EVALKIT_SPARK_PATH", ""), str(paths.project_root() / ".venv" / "spark")):
            if folder and Path(folder).is_dir() and folder not in sys.path:
                sys.path.append(folder)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UserInputError(
                "the spark engine needs PySpark and Java: `make setup` installs PySpark into .venv/spark; "
                "elsewhere `pip install 'evalkit[spark]'` or set EVALKIT_SPARK_PATH to a folder holding pyspark"
            ) from None
    return SparkSession


def _spark(path: Path, levels: tuple[str, ...], gini: bool) -> pd.DataFrame:
    SparkSession = _import_spark()

    master = os.environ.get("SPARK_MASTER", "local[*]")
    spark = (
        SparkSession.builder.master(master)
        .appName("evalkit-indicators")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for name in ("households", "panel"):
        spark.read.option("recursiveFileLookup", "true").parquet(str(path / name)).createOrReplaceTempView(name)
    level_cols = ", ".join(f"h.{lv}_id" for lv in levels)
    spark.sql(_BASE.format(levels=level_cols)).createOrReplaceTempView("base")
    out = []
    for level in levels:
        main, g = _sql(level, gini)
        main = main.replace("VARCHAR(64)", "STRING")
        sums = _collect(spark.sql(main))
        gin = _collect(spark.sql(g.replace("VARCHAR(64)", "STRING"))) if g else None
        out.append(_finish(sums, level, gin))
    return pd.concat(out, ignore_index=True)


def summarize(
    path: str | os.PathLike[str],
    *,
    engine: str = "duckdb",
    levels: tuple[str, ...] = ("county", "township"),
    gini: bool = True,
    memory_limit: str = "6GB",
    threads: int | None = None,
) -> pd.DataFrame:
    """Summarize a registry folder into one tidy table (indicator, level, group, year, estimate).

    ``engine``: ``pandas`` (reads everything into memory), ``duckdb`` (streams Parquet, spills to disk
    within ``memory_limit``) or ``spark``.
    """
    if engine not in ENGINES:
        raise UserInputError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise UserInputError(f"unknown level {', '.join(unknown)}; choose from {', '.join(LEVELS)}")
    folder = Path(path)
    _check_folder(folder)
    if engine == "pandas":
        import pyarrow.dataset as ds

        households = ds.dataset(folder / "households", format="parquet").to_table().to_pandas()
        panel = ds.dataset(folder / "panel", format="parquet").to_table().to_pandas()
        out = summarize_frames(households, panel, levels, gini)
    elif engine == "duckdb":
        out = _duckdb(folder, levels, gini, memory_limit, threads)
    else:
        out = _spark(folder, levels, gini)
    return out.sort_values(["indicator", "level", "group", "year"], ignore_index=True)
