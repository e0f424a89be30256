"""Reference values with their sources: thresholds (and, later, poverty lines).

Nothing in evalkit hard-codes a threshold; it is read from
``data/reference/thresholds.csv``, where each value carries its source and how
sure we are of it. Users may point ``data_dir`` at their own copy.

Examples
--------
>>> threshold("exit_incidence_county_central")
2.0
"""

from __future__ import annotations

import os

import pandas as pd
import pandera.pandas as pa

from evalkit import paths
from evalkit.errors import DataError
from evalkit.validation import read_csv_validated

__all__ = ["thresholds", "threshold", "poverty_lines", "poverty_causes"]

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


def thresholds(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The thresholds table."""
    return read_csv_validated(
        paths.reference_dir(data_dir) / "thresholds.csv",
        _SCHEMA,
        hint="edit data/reference/thresholds.csv; every threshold needs a value and a source.",
    )


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
    table = read_csv_validated(
        paths.reference_dir(data_dir) / "poverty_lines.csv",
        _LINES_SCHEMA,
        hint="edit data/reference/poverty_lines.csv; each line needs a year, a value and a source.",
    )
    table = table.loc[table["price_basis"] == "current prices"]
    if not allow_interpolated:
        table = table.loc[table["confidence"] != "interpolated"]
    return table.set_index("year")["line_yuan"].rename("poverty_line")


def poverty_causes(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Causes of poverty (致贫原因): code, Chinese and English names, from ``data/reference/poverty_causes.csv``.

    Examples
    --------
    >>> poverty_causes().set_index("code").loc["illness", "name_zh"]
    '因病'
    """
    return pd.read_csv(paths.reference_dir(data_dir) / "poverty_causes.csv", encoding="utf-8")
