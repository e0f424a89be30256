"""One set of indicator definitions, run on pandas, on DuckDB over Parquet, or on Spark.

Every indicator here is a ratio of sums of per-household-year terms within a group and year (the FGT
family, Watts, the registered share, counts; transitions, which also read the household's previous year;
program coverage, from each household's first year with the program), or the Gini, which adds one running
sum over households sorted by income. The village exit tests add a second, small stage: village sums of
registered persons over the villages' agricultural population (:func:`village_exit_tests`, the same pandas code
after every engine). Each term is written once as a small expression (:class:`Expr`) that renders itself both as a
vectorized pandas computation and as SQL; the SQL is the same text for DuckDB and Spark. So the three
engines cannot drift apart: they evaluate the same definitions, and tests check that they agree.

* ``pandas``: the registry in memory (the county, a province on a large machine);
* ``duckdb``: SQL over a folder of Parquet files, larger than memory, no server (a memory limit is set);
* ``spark``: the same SQL through PySpark (``local[*]`` here; point ``SPARK_MASTER`` at a cluster).

Input: a registry folder as ``evalkit synth --scale`` or :func:`write_registry` writes it
(``households/``, ``panel/`` and optionally ``villages/``, Parquet files at any depth) or, for pandas, the
frames (:func:`county_registry` puts a county's tables in this layout). Output: one tidy table with columns
``indicator, level, group, year, estimate``.

>>> poor = (col("y") < col("z")) * col("w")
>>> poor.sql()
'((CASE WHEN (y < z) THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END) * w)'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import paths
from evalkit.errors import UserInputError
from evalkit.programs import start_years

__all__ = [
    "Expr",
    "col",
    "lit",
    "TERMS",
    "LAG_TERMS",
    "RATIOS",
    "EXIT_TEST_INDICATORS",
    "LEVELS",
    "ENGINES",
    "coverage_terms",
    "county_registry",
    "write_registry",
    "village_exit_tests",
    "summarize",
    "summarize_frames",
]

#: Engines that compute the indicators.
ENGINES = ("pandas", "duckdb", "spark")
#: Levels a summary can be grouped by, coarsest first.
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
            return f"'{value}'" if isinstance(value, str) else _double(value)
        if self.op in ("+", "-", "*", "/", "<"):
            return f"({self.args[0].sql()} {self.op} {self.args[1].sql()})"
        if self.op == "==":
            return f"({self.args[0].sql()} = {self.args[1].sql()})"
        if self.op == "flag":  # a comparison used as a number
            return f"(CASE WHEN {self.args[0].sql()} THEN {_double(1)} ELSE {_double(0)} END)"
        if self.op == "max0":
            return f"(CASE WHEN {self.args[0].sql()} > 0 THEN {self.args[0].sql()} ELSE {_double(0)} END)"
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


def _double(value: float) -> str:
    """A number literal typed DOUBLE in every SQL dialect (Spark reads a bare ``1.0`` as DECIMAL)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


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
_poor, _poor_before = flag(_y < _z), flag(col("py") < col("pz"))
#: per household-year terms, summed within group and year
TERMS: dict[str, Expr] = {
    "persons": _w,
    "households": lit(1.0) + lit(0.0) * _w,
    "poor": _poor * _w,
    "gap": _gap * _w,
    "gap2": _gap * _gap * _w,
    "watts": _poor * ln(_z / _y) * _w,  # incomes are floored at 1 yuan before any term
    # still registered, or back in poverty after an exit (as evalkit.indicators.registry_incidence counts)
    "registered": (flag(col("status") == lit("registered")) + flag(col("status") == lit("returned"))) * _w,
    "income": _y * _w,
    "registry_exits": flag(col("status") == lit("exited_this_year")),
}
#: terms that also read the household's previous year: ``py``, ``pz``, ``ps`` (income, line and status a year
#: earlier, missing when the household has no row for that year) and ``hp`` (1 when it has)
LAG_TERMS: dict[str, Expr] = {
    "into_poverty": col("hp") * (1.0 - _poor_before) * _poor,
    "out_of_poverty": _poor_before * (1.0 - _poor),
    "stayed_poor": _poor_before * _poor,
    "registry_returns": flag(col("status") == lit("returned")) * (1.0 - flag(col("ps") == lit("returned"))),
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
    "registry_exits": ("registry_exits", None),
    "registry_returns": ("registry_returns", None),
    "into_poverty": ("into_poverty", None),
    "out_of_poverty": ("out_of_poverty", None),
    "stayed_poor": ("stayed_poor", None),
}
#: indicators of the village exit test (from village sums of ``registered`` and the village populations)
EXIT_TEST_INDICATORS = (
    "exit_incidence_pct",
    "passes_exit_test",
    "villages",
    "villages_passing_exit_test",
    "share_villages_passing_exit_test",
)
#: households columns ``start_<program>`` (first year with the program) become ``coverage_<program>``
START_PREFIX = "start_"


def coverage_terms(programs: list[str] | tuple[str, ...]) -> dict[str, Expr]:
    """``cov_<program>``: 1 in the years from the household's first year with the program on."""
    return {f"cov_{p}": flag(col(f"{START_PREFIX}{p}") < col("year") + lit(1.0)) for p in programs}


def _ratios(programs) -> dict[str, tuple[str, str | None]]:
    return {**RATIOS, **{f"coverage_{p}": (f"cov_{p}", "households") for p in programs}}


def _programs(columns) -> list[str]:
    return [c[len(START_PREFIX) :] for c in columns if c.startswith(START_PREFIX)]


#: the Gini rows: each engine's per-group query returns the estimate itself
_GINI = {"gini": ("estimate", None)}


def _all_terms(programs: list[str]) -> dict[str, Expr]:
    return {**TERMS, **LAG_TERMS, **coverage_terms(programs)}


def _levels_available(columns) -> str:
    return ", ".join(c[:-3] for c in columns if c.endswith("_id") and c != "household_id")


def _finish(sums: pd.DataFrame, level: str, ratios: dict) -> pd.DataFrame:
    """Tidy rows (indicator, level, group, year, estimate) from per-group sums and the ratios to take."""
    rows = []
    for name, (num, den) in ratios.items():
        value = sums[num] / sums[den] if den else sums[num]
        rows.append(pd.DataFrame({"indicator": name, "group": sums["group"], "year": sums["year"], "estimate": value}))
    out = pd.concat(rows, ignore_index=True)
    out.insert(1, "level", level)
    out["group"] = out["group"].astype(str)
    out["year"] = out["year"].astype(int)
    return out


def _ids(values: pd.Series) -> pd.Series:
    """Group keys as text, the way the SQL engines cast them."""
    return values.astype(str)


def village_exit_tests(
    village_sums: pd.DataFrame, villages: pd.DataFrame, levels: tuple[str, ...], threshold_pct: float = 2.0
) -> pd.DataFrame:
    """Village and higher-level exit tests from registered persons by village and year.

    ``village_sums``: ``village_id, year, registered`` (persons still registered at the end of the year);
    ``villages``: one row per village with ``agri_pop`` (agricultural population) and the level ids. A
    village with no registered household in a year has incidence 0. For each level and year: the group's
    incidence (registered persons over agricultural population, in %), whether it is below ``threshold_pct``
    (2% in the central region, 3% in the west), the number of villages, and the number and share of them
    below the threshold. The same pandas code runs after every engine (the village sums are small).

    >>> v = pd.DataFrame({"village_id": ["a", "b"], "county_id": ["c", "c"], "agri_pop": [100, 300]})
    >>> s = pd.DataFrame({"village_id": ["a"], "year": [2018], "registered": [3.0]})
    >>> t = village_exit_tests(s, v, ("county",))
    >>> t.set_index("indicator")["estimate"].to_dict()["exit_incidence_pct"]  # 3 / 400
    0.75
    """
    needed = ["village_id", "agri_pop", *[f"{lv}_id" for lv in levels if lv != "village"]]
    missing = [c for c in needed if c not in villages]
    if missing:
        raise UserInputError(f"the villages table has no column {', '.join(missing)}; it needs {', '.join(needed)}")
    bad = villages.loc[~(pd.to_numeric(villages["agri_pop"], errors="coerce") > 0), "village_id"]
    if len(bad):
        raise UserInputError(
            f"villages table: agri_pop must be a positive number of persons; {len(bad)} village(s) fail, e.g. "
            f"{', '.join(map(str, bad.head(5)))}. Fix the population or drop the village and say why."
        )
    years = np.sort(village_sums["year"].unique())
    table = villages[needed].copy()
    table["village_id"] = _ids(table["village_id"])
    grid = table.loc[table.index.repeat(years.size)].assign(year=np.tile(years, len(table)))
    sums = village_sums.assign(village_id=_ids(village_sums["village_id"]))
    grid = grid.merge(sums[["village_id", "year", "registered"]], on=["village_id", "year"], how="left")
    grid["registered"] = grid["registered"].fillna(0.0)
    grid["passing"] = (100 * grid["registered"] / grid["agri_pop"] < threshold_pct).astype(float)
    out = []
    for level in levels:
        key = f"{level}_id"
        agg = grid.groupby([grid[key].astype(str).rename("group"), "year"]).agg(
            registered=("registered", "sum"),
            agri_pop=("agri_pop", "sum"),
            villages=("passing", "size"),
            passing=("passing", "sum"),
        )
        incidence = 100 * agg["registered"] / agg["agri_pop"]
        values = {
            "exit_incidence_pct": incidence,
            "passes_exit_test": (incidence < threshold_pct).astype(float),
            "villages": agg["villages"].astype(float),
            "villages_passing_exit_test": agg["passing"],
            "share_villages_passing_exit_test": agg["passing"] / agg["villages"],
        }
        for name in EXIT_TEST_INDICATORS:
            part = values[name].rename("estimate").reset_index()
            out.append(part.assign(indicator=name, level=level))
    table = pd.concat(out, ignore_index=True)[["indicator", "level", "group", "year", "estimate"]]
    table["year"] = table["year"].astype(int)
    return table


# ---------------------------------------------------------------- registries in the engines' layout


def county_registry(
    county: dict[str, pd.DataFrame], *, county_id: str = "140426", province_id: str = "14"
) -> dict[str, pd.DataFrame]:
    """A county's tables (as :func:`evalkit.datasets.load_county` returns them) in the engines' layout:
    ``households`` with the level ids and ``start_<program>`` columns, ``panel``, and ``villages`` with
    ``agri_pop``. The default ids are Licheng's administrative codes (Shanxi 14, Licheng 140426)."""
    villages = county["villages"][["village_id", "township_id", "agri_pop"]].assign(
        county_id=county_id, province_id=province_id
    )
    households = (
        county["households"]
        .merge(villages[["village_id", "township_id", "county_id", "province_id"]], on="village_id", how="left")
        .merge(start_years(county), on="household_id", how="left")
    )
    return {"households": households, "panel": county["panel"].copy(), "villages": villages}


def write_registry(tables: dict[str, pd.DataFrame], folder: str | os.PathLike[str]) -> Path:
    """Write ``households``, ``panel`` (and ``villages``, if given) as a registry folder of Parquet files, the
    layout :func:`summarize` reads. Existing files are never overwritten."""
    folder = Path(folder)
    for name, frame in tables.items():
        target = folder / name / "part.parquet"
        if target.exists():
            raise UserInputError(f"{target} exists already; write the registry into a new folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(target, index=False)
    return folder


# ---------------------------------------------------------------- pandas


def _pandas_base(households: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    starts = [c for c in households if c.startswith(START_PREFIX)]
    levels = [c for c in (f"{lv}_id" for lv in LEVELS) if c in households]
    keys = ["household_id", "household_size", *levels, *starts]
    data = panel[["household_id", "year", "income_pc", "poverty_line", "status"]].merge(
        households[keys], on="household_id", how="left"
    )
    data = data.sort_values(["household_id", "year"], kind="stable", ignore_index=True)
    base = pd.DataFrame(
        {
            **{c: data[c] for c in ["household_id", *levels]},
            "year": data["year"],
            "y": data["income_pc"].astype(float).clip(lower=1.0),
            "z": data["poverty_line"].astype(float),
            "w": data["household_size"].astype(float),
            "status": data["status"],
            **{c: pd.to_numeric(data[c]).astype("float64") for c in starts},
        }
    )
    # the household's previous year (the SQL engines use LAG over the same order)
    same = base["household_id"].eq(base["household_id"].shift()) & base["year"].eq(base["year"].shift() + 1)
    base["hp"] = same.astype(float)
    base["py"] = base["y"].shift().where(same)
    base["pz"] = base["z"].shift().where(same)
    base["ps"] = base["status"].shift().where(same)
    return base


def summarize_frames(
    households: pd.DataFrame,
    panel: pd.DataFrame,
    levels: tuple[str, ...] = ("county", "township"),
    gini: bool = True,
    villages: pd.DataFrame | None = None,
    exit_threshold_pct: float = 2.0,
) -> pd.DataFrame:
    """The pandas engine: every indicator by level, group and year, in grouped vectorized passes.

    ``villages`` (village ids, level ids and ``agri_pop``) adds the exit tests; ``start_<program>`` columns
    of ``households`` add coverage.
    """
    base = _pandas_base(households, panel)
    programs = _programs(base.columns)
    terms = pd.DataFrame({name: expr.pandas(base) for name, expr in _all_terms(programs).items()})
    out = []
    for level in levels:
        key = f"{level}_id"
        if key not in base:
            raise UserInputError(
                f"no column {key!r} in the households table; levels available: {_levels_available(base.columns)}"
            )
        frame = terms.assign(group=base[key].to_numpy(), year=base["year"].to_numpy())
        sums = frame.groupby(["group", "year"], sort=True).sum().reset_index()
        out.append(_finish(sums, level, _ratios(programs)))
        if gini:
            ordered = base.assign(group=base[key]).sort_values(["group", "year", "y", "household_id"], kind="stable")
            before = ordered.groupby(["group", "year"])["w"].cumsum() - ordered["w"]
            part = ordered.assign(
                t=ordered["w"] * ordered["y"] * (2 * before + ordered["w"]), wy=ordered["w"] * ordered["y"]
            )
            agg = part.groupby(["group", "year"]).agg(t=("t", "sum"), w=("w", "sum"), wy=("wy", "sum")).reset_index()
            out.append(_finish(agg.assign(estimate=agg["t"] / (agg["w"] * agg["wy"]) - 1.0), level, _GINI))
    if villages is not None:
        if "village_id" not in base:
            raise UserInputError("the exit tests need a village_id column in the households table")
        village_sums = (
            terms[["registered"]]
            .assign(village_id=base["village_id"].to_numpy(), year=base["year"].to_numpy())
            .groupby(["village_id", "year"], sort=False)["registered"]
            .sum()
            .reset_index()
        )
        out.append(village_exit_tests(village_sums, villages, levels, exit_threshold_pct))
    return pd.concat(out, ignore_index=True)


# ---------------------------------------------------------------- SQL engines (DuckDB, Spark)


def _grouped_sql(levels: tuple[str, ...], terms: dict[str, Expr]) -> str:
    """One scan for every level: GROUPING SETS ((level_id, year), ...), the level told by GROUPING()."""
    keys = [f"{lv}_id" for lv in levels]
    level = " ".join(f"WHEN GROUPING({k}) = 0 THEN '{lv}'" for lv, k in zip(levels, keys, strict=True))
    group = " ".join(f"WHEN GROUPING({k}) = 0 THEN CAST({k} AS VARCHAR(64))" for k in keys)
    sums = ", ".join(f"SUM({expr.sql()}) AS {name}" for name, expr in terms.items())
    sets = ", ".join(f"({k}, year)" for k in keys)
    return (
        f"SELECT CASE {level} END AS lvl, CASE {group} END AS grp, year, {sums} FROM lagged "
        f"GROUP BY GROUPING SETS ({sets})"
    )


def _gini_sql(level: str) -> str:
    key = f"{level}_id"
    window = (
        f"SUM(w) OVER (PARTITION BY {key}, year ORDER BY y, household_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    ranked = f"SELECT {key}, year, w, y, COALESCE({window}, 0.0) AS before FROM base"
    return (
        f"SELECT CAST({key} AS VARCHAR(64)) AS grp, year, SUM(w * y * (2 * before + w)) / (SUM(w) * SUM(w * y)) - 1.0 "
        f"AS estimate FROM ({ranked}) GROUP BY {key}, year"
    )


_VILLAGE_SQL = "SELECT CAST(village_id AS VARCHAR(64)) AS village_id, year, SUM({term}) AS registered FROM base GROUP BY village_id, year"

_PANEL = (
    "(SELECT household_id, year, GREATEST(CAST(income_pc AS DOUBLE), CAST(1 AS DOUBLE)) AS y, "
    "CAST(poverty_line AS DOUBLE) AS z, status FROM panel)"
)

# the previous year, from the panel's few columns only (before the join: a window over a national panel
# spills every column it carries to disk)
_PANEL_LAGGED = f"""
(SELECT household_id, year, y, z, status,
       CASE WHEN LAG(year) OVER w = year - 1 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END AS hp,
       CASE WHEN LAG(year) OVER w = year - 1 THEN LAG(y) OVER w END AS py,
       CASE WHEN LAG(year) OVER w = year - 1 THEN LAG(z) OVER w END AS pz,
       CASE WHEN LAG(year) OVER w = year - 1 THEN LAG(status) OVER w END AS ps
FROM {_PANEL} q WINDOW w AS (PARTITION BY household_id ORDER BY year))
"""

_JOIN = """
SELECT p.*, CAST(h.household_size AS DOUBLE) AS w{columns}
FROM {source} p JOIN households h ON p.household_id = h.household_id
"""


def _views(columns: str) -> dict[str, str]:
    """The SQL views over the ``panel`` and ``households`` tables: ``base`` (household-years with the
    household's columns) and ``lagged`` (the same with the previous year's income, line and status)."""
    return {
        "base": _JOIN.format(columns=columns, source=_PANEL),
        "lagged": _JOIN.format(columns=columns, source=_PANEL_LAGGED),
    }


def _check_folder(path: Path) -> None:
    for name in ("households", "panel"):
        if not (path / name).is_dir() or not any((path / name).rglob("*.parquet")):
            raise UserInputError(
                f"{path}: no {name}/ folder of Parquet files; point at a registry folder written by "
                "`evalkit synth --scale S --out DIR` (DIR/synthetic_registry_scale_S)"
            )


def _has_villages(path: Path) -> bool:
    return (path / "villages").is_dir() and any((path / "villages").rglob("*.parquet"))


def _read_table(path: Path, name: str) -> pd.DataFrame:
    import pyarrow.dataset as ds

    return ds.dataset(path / name, format="parquet").to_table().to_pandas()


def _household_columns(path: Path) -> list[str]:
    import pyarrow.dataset as ds

    return list(ds.dataset(path / "households", format="parquet").schema.names)


def _view_sql(path: Path, levels: tuple[str, ...], exits: bool) -> tuple[dict[str, str], list[str]]:
    columns = _household_columns(path)
    ids = [f"{lv}_id" for lv in levels]
    if exits and "village_id" not in ids:
        ids.append("village_id")
    missing = [c for c in ids if c not in columns]
    if missing:
        raise UserInputError(
            f"{path / 'households'}: no column {', '.join(missing)}; levels available: {_levels_available(columns)}"
        )
    starts = [c for c in columns if c.startswith(START_PREFIX)]
    extra = "".join(f", h.{c}" for c in ids) + "".join(f", CAST(h.{c} AS DOUBLE) AS {c}" for c in starts)
    return _views(extra), _programs(starts)


def _split_levels(sums: pd.DataFrame, levels: tuple[str, ...], ratios: dict) -> list[pd.DataFrame]:
    sums = sums.rename(columns={"grp": "group"})
    return [_finish(sums.loc[sums["lvl"] == lv].reset_index(drop=True), lv, ratios) for lv in levels]


def _gini_frames(run, levels: tuple[str, ...]) -> list[pd.DataFrame]:
    return [_finish(run(_gini_sql(level)).rename(columns={"grp": "group"}), level, _GINI) for level in levels]


def _duckdb(
    path: Path,
    levels: tuple[str, ...],
    gini: bool,
    memory_limit: str,
    threads: int | None,
    exits: bool,
    threshold: float,
) -> pd.DataFrame:
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
    views, programs = _view_sql(path, levels, exits)
    for name, query in views.items():
        con.execute(f"CREATE VIEW {name} AS {query}")
    ratios = _ratios(programs)
    terms = _all_terms(programs)
    out = _split_levels(con.execute(_grouped_sql(levels, terms)).df(), levels, ratios)
    if gini:
        out += _gini_frames(lambda q: con.execute(q).df(), levels)
    if exits:
        village_sums = con.execute(_VILLAGE_SQL.format(term=TERMS["registered"].sql())).df()
        out.append(village_exit_tests(village_sums, _read_table(path, "villages"), levels, threshold))
    con.close()
    return pd.concat(out, ignore_index=True)


def _collect(frame) -> pd.DataFrame:
    """A small Spark result (one row per group and year) as pandas, without Spark's pandas conversion."""
    rows = [row.asDict() for row in frame.collect()]
    return pd.DataFrame(rows, columns=frame.columns)


def _import_spark():
    """PySpark from the environment, else from ``$EVALKIT_SPARK_PATH`` or ``.venv/spark`` (where ``make spark``
    puts it, outside the environment, so that pandera does not import it with every evalkit import)."""
    import sys

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
                "the spark engine needs PySpark and Java: `make spark` installs PySpark into .venv/spark; "
                "elsewhere `pip install 'evalkit[spark]'` or set EVALKIT_SPARK_PATH to a folder holding pyspark"
            ) from None
    return SparkSession


def _spark_partitions(path: Path) -> int:
    """Shuffle partitions from the input size (about 32 MB of Parquet each, 8 to 400)."""
    size = sum(f.stat().st_size for f in path.rglob("*.parquet"))
    return int(min(400, max(8, size // (32 << 20))))


def _spark(path: Path, levels: tuple[str, ...], gini: bool, exits: bool, threshold: float) -> pd.DataFrame:
    import tempfile

    SparkSession = _import_spark()

    master = os.environ.get("SPARK_MASTER", "local[*]")
    spark = (
        SparkSession.builder.master(master)
        .appName("evalkit-indicators")
        .config("spark.sql.shuffle.partitions", str(_spark_partitions(path)))
        .config("spark.driver.memory", os.environ.get("EVALKIT_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for name in ("households", "panel"):
        spark.read.option("recursiveFileLookup", "true").parquet(str(path / name)).createOrReplaceTempView(name)
    views, programs = _view_sql(path, levels, exits)
    for name, query in views.items():
        spark.sql(query).createOrReplaceTempView(name)
    ratios = _ratios(programs)
    terms = _all_terms(programs)

    def run(query: str) -> pd.DataFrame:
        return _collect(spark.sql(query.replace("VARCHAR(64)", "STRING")))

    out = _split_levels(run(_grouped_sql(levels, terms)), levels, ratios)
    if gini:
        out += _gini_frames(run, levels)
    if exits:  # one row per village and year: through Parquet, not through Python rows
        with tempfile.TemporaryDirectory(prefix="evalkit-spark-") as tmp:
            query = _VILLAGE_SQL.format(term=TERMS["registered"].sql()).replace("VARCHAR(64)", "STRING")
            spark.sql(query).write.mode("overwrite").parquet(tmp + "/villages")
            village_sums = _read_table(Path(tmp), "villages")
        out.append(village_exit_tests(village_sums, _read_table(path, "villages"), levels, threshold))
    return pd.concat(out, ignore_index=True)


def summarize(
    path: str | os.PathLike[str],
    *,
    engine: str = "duckdb",
    levels: tuple[str, ...] = ("county", "township"),
    gini: bool = True,
    exit_tests: bool | None = None,
    exit_threshold_pct: float = 2.0,
    memory_limit: str = "6GB",
    threads: int | None = None,
) -> pd.DataFrame:
    """Summarize a registry folder into one tidy table (indicator, level, group, year, estimate).

    ``engine``: ``pandas`` (reads everything into memory), ``duckdb`` (streams Parquet, spills to disk
    within ``memory_limit``) or ``spark``. ``exit_tests``: add the village exit tests (needs a
    ``villages/`` folder with ``agri_pop``); None means "when the folder has one".
    """
    if engine not in ENGINES:
        raise UserInputError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise UserInputError(f"unknown level {', '.join(unknown)}; choose from {', '.join(LEVELS)}")
    if not levels:
        raise UserInputError(f"no level asked for; choose from {', '.join(LEVELS)}")
    if not 0 < exit_threshold_pct <= 100:
        raise UserInputError(
            f"the exit-test threshold is a percentage above 0 and at most 100; got {exit_threshold_pct}"
        )
    folder = Path(path)
    _check_folder(folder)
    has_villages = _has_villages(folder)
    if exit_tests and not has_villages:
        raise UserInputError(
            f"{folder}: the exit tests need a villages/ folder of Parquet files (village_id, the level ids, "
            "agri_pop); add one, or leave the exit tests out"
        )
    exits = has_villages if exit_tests is None else exit_tests
    if engine == "pandas":
        villages = _read_table(folder, "villages") if exits else None
        households, panel = _read_table(folder, "households"), _read_table(folder, "panel")
        out = summarize_frames(households, panel, levels, gini, villages, exit_threshold_pct)
    elif engine == "duckdb":
        out = _duckdb(folder, levels, gini, memory_limit, threads, exits, exit_threshold_pct)
    else:
        out = _spark(folder, levels, gini, exits, exit_threshold_pct)
    return out.sort_values(["indicator", "level", "group", "year"], ignore_index=True)
