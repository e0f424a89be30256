"""Reference values with their sources: thresholds, poverty lines, screening rules, causes of poverty.

Nothing in evalkit hard-codes a threshold, a line or a rule: each is a row of a table under
``data/reference/`` (``thresholds.csv``, ``poverty_lines.csv``, ``risk_rules.csv``), where every value
carries its source and how sure we are of it. Users may point ``data_dir`` at their own copy.

Examples
--------
>>> threshold("exit_incidence_county_central")
2.0
>>> poverty_line("screening", 2018)
(4000.0, 'report screening line (risk_rules.csv, report_screening)')
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit import paths
from evalkit.errors import DataError
from evalkit.validation import read_csv_validated

__all__ = [
    "thresholds",
    "threshold",
    "poverty_lines",
    "poverty_line",
    "LINE_KINDS",
    "risk_rules",
    "rule_value",
    "poverty_causes",
]

_SCHEMA = pa.DataFrameSchema(
    {
        "threshold_id": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$"), unique=True),
        "value": pa.Column(float),
        "unit": pa.Column(str),
        "applies_to": pa.Column(str),
        "region": pa.Column(str),
        "valid_from": pa.Column(int),
        "source": pa.Column(str),
        "confidence": pa.Column(str),
    },
    strict=True,
    coerce=True,
)


@lru_cache(maxsize=32)
def _read(path: Path, size: int, modified: int) -> pd.DataFrame:
    schema, hint = _SCHEMAS[path.name]
    return read_csv_validated(path, schema, hint=hint)


def _table(data_dir: str | os.PathLike[str] | None, name: str) -> pd.DataFrame:
    """A reference table, read and validated once per version of the file (its size and modification time);
    every call gets its own copy."""
    path = paths.reference_dir(data_dir) / name
    if not path.is_file():
        schema, hint = _SCHEMAS[name]
        return read_csv_validated(path, schema, hint=hint)  # names the missing file
    stat = path.stat()
    return _read(path, stat.st_size, stat.st_mtime_ns).copy()


def thresholds(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The thresholds table."""
    return _table(data_dir, "thresholds.csv")


def threshold(threshold_id: str, data_dir: str | os.PathLike[str] | None = None) -> float:
    """One threshold's value."""
    table = thresholds(data_dir).set_index("threshold_id")["value"]
    if threshold_id not in table.index:
        raise DataError(
            f"unknown threshold {threshold_id!r}; known: {', '.join(table.index)}.",
            file="thresholds.csv",
            column="threshold_id",
        )
    return float(table.loc[threshold_id])


_LINES_SCHEMA = pa.DataFrameSchema(
    {
        "year": pa.Column(int, unique=True),
        "line_yuan": pa.Column(float, pa.Check.gt(0)),
        "kind": pa.Column(str),
        "price_basis": pa.Column(str),
        "source": pa.Column(str),
        "confidence": pa.Column(str, pa.Check.isin(["confirmed", "weak", "interpolated"])),
    },
    strict=True,
    coerce=True,
)


def poverty_lines(data_dir: str | os.PathLike[str] | None = None, *, allow_interpolated: bool = False) -> pd.Series:
    """National rural poverty line (yuan per person per year, current prices) by year.

    Lines whose ``confidence`` is 'interpolated' are not official values; they
    are returned only with ``allow_interpolated=True`` (the synthetic county
    uses them, and says so). The 2010-prices base row is excluded.

    Examples
    --------
    >>> poverty_lines().to_dict()
    {2014: 2800.0, 2019: 3218.0}
    >>> poverty_lines(allow_interpolated=True).loc[2016]
    np.float64(2967.2)
    """
    table = _table(data_dir, "poverty_lines.csv")
    table = table.loc[table["price_basis"] == "current prices"]
    if not allow_interpolated:
        table = table.loc[table["confidence"] != "interpolated"]
    return table.set_index("year")["line_yuan"].rename("poverty_line")


#: Poverty lines a user can choose: the national line of the year, or the report's 4,000-yuan screening line.
LINE_KINDS = ("national", "screening")


#: How sure a national line is (``confidence`` in ``poverty_lines.csv``), in a Chinese report.
LINE_CONFIDENCE_ZH = {"confirmed": "已核实", "interpolated": "插值，非官方数值", "weak": "来源较弱，待核实"}


def poverty_line(
    kind: str, year: int, data_dir: str | os.PathLike[str] | None = None, *, lang: str = "en"
) -> tuple[float, str]:
    """One poverty line in yuan and where it comes from (in ``lang``: en or zh).

    ``national``: the year's line in ``poverty_lines.csv`` (2015–2018 are interpolated there, and the
    source says so); ``screening``: the report's screening line, the ``income_below`` value of the rule set
    ``report_screening`` in ``risk_rules.csv`` valid in ``year`` (or, for years before the rule, its first
    year).

    >>> poverty_line("national", 2018)
    (3134.4, 'national line 2018 (interpolated)')
    >>> poverty_line("national", 2018, lang="zh")[1]
    '2018年国家扶贫标准（插值，非官方数值）'

    Raises
    ------
    DataError
        An unknown kind, or no line for the year.
    """
    if kind == "screening":
        rules = risk_rules(data_dir)
        first = int(rules.loc[rules["rule_set"] == "report_screening", "year_from"].min())
        value = rule_value("report_screening", "income_below", max(year, first), data_dir=data_dir)
        if lang == "zh":
            return value, "县报告的排查收入线（risk_rules.csv，report_screening）"
        return value, "report screening line (risk_rules.csv, report_screening)"
    if kind != "national":
        raise DataError(f"the line must be one of {', '.join(LINE_KINDS)}; got {kind!r}")
    lines = _table(data_dir, "poverty_lines.csv").set_index("year")
    if year not in lines.index:
        raise DataError(
            f"no national poverty line for {year}; lines exist for {', '.join(map(str, lines.index))}",
            file="poverty_lines.csv",
            column="year",
        )
    row = lines.loc[year]
    if lang == "zh":
        confidence = LINE_CONFIDENCE_ZH.get(row["confidence"], row["confidence"])
        return float(row["line_yuan"]), f"{year}年国家扶贫标准（{confidence}）"
    return float(row["line_yuan"]), f"national line {year} ({row['confidence']})"


_RULES_SCHEMA = pa.DataFrameSchema(
    {
        "rule_set": pa.Column(str),
        "region": pa.Column(str),
        "year_from": pa.Column(int),
        "year_to": pa.Column(int),
        "parameter": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
        "value": pa.Column(float),
        "unit": pa.Column(str),
        "source": pa.Column(str),
        "confidence": pa.Column(str),
    },
    strict=True,
    coerce=True,
)


#: schema and how to fix the file, for each reference table read through :func:`_table`
_SCHEMAS = {
    "thresholds.csv": (_SCHEMA, "edit data/reference/thresholds.csv; every threshold needs a value and a source."),
    "poverty_lines.csv": (
        _LINES_SCHEMA,
        "edit data/reference/poverty_lines.csv; each line needs a year, a value and a source.",
    ),
    "risk_rules.csv": (
        _RULES_SCHEMA,
        "edit data/reference/risk_rules.csv; every value needs its years, region and source.",
    ),
}


def risk_rules(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The versioned screening and monitoring rules (``data/reference/risk_rules.csv``)."""
    return _table(data_dir, "risk_rules.csv")


def rule_value(
    rule_set: str, parameter: str, year: int, region: str = "default", data_dir: str | os.PathLike[str] | None = None
) -> float:
    """The value of ``parameter`` in ``rule_set`` valid in ``year`` for ``region`` (falling back to the
    ``default`` region, then to the only region the rule set has).

    >>> rule_value("monitoring", "monitoring_line", 2024, region="Yunnan")
    8700.0
    """
    table = risk_rules(data_dir)
    rows = table.loc[
        (table["rule_set"] == rule_set)
        & (table["parameter"] == parameter)
        & (table["year_from"] <= year)
        & (table["year_to"] >= year)
    ]
    for choice in (region, "default"):
        match = rows.loc[rows["region"] == choice]
        if len(match):
            return float(match["value"].iloc[0])
    if rows["region"].nunique() == 1:
        return float(rows["value"].iloc[0])
    raise DataError(
        f"no value of {parameter!r} in rule set {rule_set!r} for {region!r} in {year}; add a row with its source",
        file="risk_rules.csv",
        column="parameter",
    )


def poverty_causes(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Causes of poverty (致贫原因): code, Chinese and English names, from ``data/reference/poverty_causes.csv``.

    Examples
    --------
    >>> poverty_causes().set_index("code").loc["illness", "name_zh"]
    '因病'
    """
    return pd.read_csv(paths.reference_dir(data_dir) / "poverty_causes.csv", encoding="utf-8")
