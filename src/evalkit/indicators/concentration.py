"""Concentration of an amount (loans, transfers) over the income distribution: index and curve.

The concentration index of ``x`` over households ranked by income is ``sum x (2F - 1) / sum x`` with ``F``
the mid-point rank (weighted): negative when ``x`` goes to the poorer, equal to the Gini when ``x`` is the
income itself, and equal to ``2 cov(x, F) / mean x``.

Example: loans 0, 0, 1, 1 to households ranked by income 1 < 2 < 3 < 4 go to the richer half:
F = 1/8, 3/8, 5/8, 7/8, so (0.25 + 0.75) / 2 = 0.5.

>>> round(concentration_index([1, 2, 3, 4], [0, 0, 1, 1], se="none").estimate, 6)
0.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.indicators.design import Design
from evalkit.indicators.estimation import check_se, domain_mask, prepare, unit_estimate
from evalkit.indicators.results import Estimate

__all__ = ["concentration_index", "concentration_curve"]


def _concentration_rows(ys: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    before = np.cumsum(w, axis=1) - w
    total = w.sum(axis=1, keepdims=True)
    rank = (before + w / 2) / total
    wx = w * x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (wx * (2 * rank - 1)).sum(axis=1) / wx.sum(axis=1)


def concentration_index(
    income: object,
    amount: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "bootstrap",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Concentration index of ``amount`` (loans, 0 for non-borrowers) over households ranked by ``income``
    (within ``domain`` when one is given, with the full design's bootstrap)."""
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    x = np.asarray(amount, dtype=float)
    if x.shape != y.shape or np.any(x < 0) or (x if mask is None else x[mask]).sum() <= 0:
        raise ValueError("amount must be non-negative, one value per household, with some loans")
    order = np.argsort(y, kind="stable")
    if mask is not None:
        order = order[mask[order]]
    xs = x[order]

    def statistic(_ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _concentration_rows(_ys, w, xs)

    return unit_estimate("concentration_index", y, design, statistic, None, se, reps, seed, {}, mask)


def concentration_curve(income: object, amount: object, weights: object = None, points: int = 20) -> pd.DataFrame:
    """Cumulative share of households (poorest first) against the cumulative share of loans."""
    y = np.asarray(income, dtype=float)
    x = np.asarray(amount, dtype=float)
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(y, kind="stable")
    p = np.concatenate([[0.0], np.cumsum(w[order]) / w.sum()])
    share = np.concatenate([[0.0], np.cumsum((w * x)[order]) / (w @ x)])
    grid = np.linspace(0, 1, points + 1)
    return pd.DataFrame({"p": grid, "loan_share": np.interp(grid, p, share)})
