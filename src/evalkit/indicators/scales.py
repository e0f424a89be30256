"""Equivalence scales: household income per "equivalent adult".

The OECD-modified scale counts the first adult as 1, each further adult (14 and over) as 0.5 and each
child (under 14) as 0.3 (the scale of EU-SILC and Eurostat's at-risk-of-poverty figures); the original
OECD scale is (1, 0.7, 0.5). Any ``(first adult, other adults, children)`` triple may be given.

Examples
--------
Two adults and two children under 14: 1 + 0.5 + 2 x 0.3 = 2.1 equivalent adults.

>>> households = pd.DataFrame({"household_id": ["A"], "income": [21000.0]})
>>> members = pd.DataFrame({"household_id": ["A"] * 4, "age": [40, 38, 10, 6]})
>>> equivalize(households, "income", members)[["equivalent_adults", "income_equivalized"]].to_dict("records")
[{'equivalent_adults': 2.1, 'income_equivalized': 10000.0}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["equivalize", "SCALES", "CHILD_AGE"]

#: Named scales: weights of the first adult, of each further adult and of each child.
SCALES: dict[str, tuple[float, float, float]] = {
    "oecd_modified": (1.0, 0.5, 0.3),
    "oecd": (1.0, 0.7, 0.5),
    "per_capita": (1.0, 1.0, 1.0),
}
#: Persons younger than this count as children (EU-SILC's convention).
CHILD_AGE = 14


def equivalize(
    frame: pd.DataFrame,
    income: str,
    members: pd.DataFrame | tuple[str, str],
    scale: str | tuple[float, float, float] = "oecd_modified",
    *,
    household: str = "household_id",
    age: str = "age",
    child_age: int = CHILD_AGE,
) -> pd.DataFrame:
    """A copy of the household ``frame`` with ``equivalent_adults`` and ``<income>_equivalized``.

    ``members`` is either the person table (one row per member with ``household`` and ``age`` columns) or
    a pair of column names of ``frame`` holding each household's adults and children. A household with no
    adult (children only) counts its first member with the first adult's weight. A household of ``frame``
    with no member listed is an error, not a silent zero.
    """
    weights = _scale(scale)
    if income not in frame.columns:
        raise KeyError(f"no income column {income!r} in the household table")
    if isinstance(members, tuple):
        adult_col, child_col = members
        adults = frame[adult_col].to_numpy(dtype=float)
        children = frame[child_col].to_numpy(dtype=float)
    else:
        for column in (household, age):
            if column not in members.columns:
                raise KeyError(f"no column {column!r} in the member table")
        if members[age].isna().any():
            raise ValueError(f"{int(members[age].isna().sum())} members have no {age}; fill them before equivalizing")
        child = members[age].to_numpy(dtype=float) < child_age
        counts = (
            pd.DataFrame({"h": members[household].to_numpy(), "child": child, "adult": ~child})
            .groupby("h")[["adult", "child"]]
            .sum()
            .reindex(frame[household])
        )
        missing = counts["adult"].isna()
        if missing.any():
            raise ValueError(
                f"{int(missing.sum())} households have no members listed (first: {frame[household][missing.to_numpy()].iloc[0]!r})"
            )
        adults, children = counts["adult"].to_numpy(dtype=float), counts["child"].to_numpy(dtype=float)
    first, other, child_weight = weights
    size = np.where(
        adults > 0,
        first + other * np.maximum(adults - 1, 0) + child_weight * children,
        first + child_weight * np.maximum(children - 1, 0),
    )
    if np.any(adults + children <= 0):
        raise ValueError("a household has no members")
    out = frame.copy()
    out["equivalent_adults"] = size
    out[f"{income}_equivalized"] = frame[income].to_numpy(dtype=float) / size
    return out


def _scale(scale: str | tuple[float, float, float]) -> tuple[float, float, float]:
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(
                f"scale must be one of {', '.join(SCALES)} or a (first adult, other adults, children) triple"
            )
        return SCALES[scale]
    values = tuple(float(v) for v in scale)
    if len(values) != 3 or any(v < 0 for v in values) or values[0] <= 0:
        raise ValueError(
            "a scale is three non-negative weights (first adult, other adults, children), the first positive"
        )
    return values  # type: ignore[return-value]
