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

__all__ = ["thresholds", "threshold"]

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
