"""Multidimensional poverty by the Alkire–Foster method (two assurances, three guarantees).

Each person (or household) has a deprivation indicator per dimension and a
weight per dimension (equal by default, summing to 1). Their deprivation score
``c`` is the weighted sum; they are multidimensionally poor when ``c >= k``.
Then H is the (weighted) share poor, A the mean score among the poor, and
M0 = H × A the adjusted headcount, which equals the sum over dimensions of
the censored headcount × the dimension's weight; each dimension's contribution
is that term over M0, so contributions add up to 1.

Example: three persons, two equally weighted dimensions, k = 0.5; deprived in
(1, 1), (1, 0), (0, 0) → scores 1, 0.5, 0 → H = 2/3, A = 0.75, M0 = 0.5.

>>> r = alkire_foster(pd.DataFrame({"food": [1, 1, 0], "housing": [1, 0, 0]}).astype(bool), k=0.5)
>>> round(r.H, 6), round(r.A, 6), round(r.M0, 6)
(0.666667, 0.75, 0.5)
>>> r.dimensions["contribution"].round(6).tolist()
[0.666667, 0.333333]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["alkire_foster", "AFResult", "GUARANTEES"]

#: Dimensions of 两不愁三保障 (plus safe water) and the synthetic panel's column saying each is secure.
GUARANTEES = {
    "food_clothing": "food_clothing_secure",
    "compulsory_education": "compulsory_education_ok",
    "basic_medical": "basic_medical_insurance",
    "safe_housing": "safe_housing",
    "safe_water": "safe_water",
}


@dataclass(frozen=True)
class AFResult:
    """H, A, M0, the cutoff k, and a table by dimension (weight, raw and censored headcounts, contribution)."""

    H: float
    A: float
    M0: float
    k: float
    dimensions: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"measure": ["H", "A", "M0", "k"], "value": [self.H, self.A, self.M0, self.k]})


def alkire_foster(
    deprived: pd.DataFrame,
    k: float = 1 / 3,
    *,
    dimension_weights: dict[str, float] | None = None,
    weights: object = None,
) -> AFResult:
    """Alkire–Foster measures from a boolean frame (rows = persons or households, columns = dimensions)."""
    if not 0 < k <= 1:
        raise ValueError(f"k must be in (0, 1], got {k}")
    d = deprived.astype(bool).to_numpy(dtype=float)
    names = list(deprived.columns)
    dw = (
        np.full(len(names), 1 / len(names))
        if dimension_weights is None
        else np.array([dimension_weights[c] for c in names])
    )
    if not np.isclose(dw.sum(), 1):
        raise ValueError("dimension weights must sum to 1")
    w = np.ones(d.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    score = d @ dw
    poor = score >= k - 1e-12
    total = w.sum()
    h = float(w @ poor / total)
    a = float((w * poor) @ score / (w @ poor)) if poor.any() else 0.0
    m0 = h * a
    raw = (w @ d) / total
    censored = (w * poor) @ d / total
    contribution = censored * dw / m0 if m0 > 0 else np.full(len(names), np.nan)
    table = pd.DataFrame(
        {
            "dimension": names,
            "weight": dw,
            "headcount": raw,
            "censored_headcount": censored,
            "contribution": contribution,
        }
    )
    return AFResult(h, a, m0, k, table)
