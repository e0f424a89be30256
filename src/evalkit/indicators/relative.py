"""The EU's relative poverty and inequality indicators, with linearized standard errors as in R's convey.

* :func:`arpt`: the at-risk-of-poverty threshold, ``share`` (60%) of the weighted median;
* :func:`arpr`: the at-risk-of-poverty rate, the share of persons below it (``fgt`` with a
  :class:`~evalkit.indicators.RelativeLine`);
* :func:`poor_median`: the median income of those below the threshold;
* :func:`rmpg`: the relative median poverty gap, ``(arpt - poor median) / arpt``;
* :func:`qsr`: the quintile share ratio S80/S20, the income of the richest fifth over that of the poorest.

Influence values (Deville 1999; Osier 2009): the threshold's is ``share`` times the median's. The poor
median ``m`` solves ``F(m) = arpr / 2``, so its influence value is
``(arpr_influence / 2 - (1[y <= m] - arpr / 2) / N) / f(m)``. A partial total ``sum w y 1[y <= q]`` at a
quantile ``q`` of order ``p`` has influence ``y 1[y <= q] - m(q) (1[y <= q] - p)``, where ``m(q)`` is the
kernel-weighted mean income around ``q`` (the same Gaussian kernel; it tends to ``q``, and is what convey
uses), which gives the quintile share ratio's by the ratio rule.

Definitions: R's convey counts a person whose income equals the threshold as poor (``<=``), laeken and
evalkit's :func:`~evalkit.indicators.fgt` do not (``<``); :func:`poor_median` follows convey (it is the
median of the incomes at or below the threshold). Values are shares (0.144), where laeken prints
percentages (14.4).

Examples
--------
Ten persons with incomes 1 to 10: the median is 5, the threshold 3, two persons are below it.

>>> y = list(range(1, 11))
>>> arpt(y, se="none").estimate, arpr(y, se="none").estimate
(3.0, 0.2)
>>> qsr(y, se="none").estimate  # (9 + 10) / (1 + 2)
6.333333333333333
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from evalkit.indicators.core import fgt
from evalkit.indicators.design import Design
from evalkit.indicators.estimation import check_se, domain_mask, prepare, unit_estimate
from evalkit.indicators.quantiles import (
    RelativeLine,
    _quantile_rows,
    density,
    local_mean,
    quantile,
    quantile_influence,
    weighted_quantile,
)
from evalkit.indicators.results import Estimate

__all__ = ["arpt", "arpr", "poor_median", "rmpg", "qsr"]


def arpt(
    income: object,
    weights: object = None,
    *,
    share: float = 0.6,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """At-risk-of-poverty threshold: ``share`` of the weighted median (of the domain, when one is given).

    >>> arpt([10, 20, 30], share=0.5, se="none").estimate
    10.0
    """
    median = quantile(
        income,
        0.5,
        weights,
        strata=strata,
        clusters=clusters,
        design=design,
        domain=domain,
        se=se,
        reps=reps,
        seed=seed,
    )
    return replace(
        median,
        indicator="arpt",
        estimate=share * median.estimate,
        std_error=share * median.std_error,
        details={"share": share},
    )


def arpr(
    income: object,
    weights: object = None,
    *,
    share: float = 0.6,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """At-risk-of-poverty rate: the share of persons below ``share`` of the whole sample's median income
    (in a domain, when one is given), with the threshold's estimation in its standard error.

    >>> arpr([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], se="none").estimate
    0.2
    """
    result = fgt(
        income,
        RelativeLine(share),
        0,
        weights,
        strata=strata,
        clusters=clusters,
        design=design,
        domain=domain,
        se=se,
        reps=reps,
        seed=seed,
    )
    return replace(result, indicator="arpr")


def _poor_median_parts(
    y: np.ndarray, w: np.ndarray, share: float, inside: np.ndarray
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Threshold, poor median and their influence values (threshold from the whole sample)."""
    median = weighted_quantile(y, 0.5, w)
    threshold = share * median
    line_influence = share * quantile_influence(y, w, 0.5, median, w > 0)
    poor = inside & (y <= threshold)
    if not poor.any():
        raise ValueError("no one is at or below the at-risk-of-poverty threshold")
    m = weighted_quantile(y[poor], 0.5, w[poor])
    n_d = w[inside].sum()
    rate = w[poor].sum() / n_d
    f_line = density(y[inside], w[inside], threshold)
    rate_influence = inside * ((y <= threshold) - rate) / n_d + f_line * line_influence
    f_m = density(y[inside], w[inside], m)
    influence = (0.5 * rate_influence - inside * ((y <= m) - 0.5 * rate) / n_d) / f_m
    return threshold, m, line_influence, influence


def _rows_poor_median(ys: np.ndarray, w: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    lines = share * _quantile_rows(ys, w, 0.5)
    poor_w = w * (ys[None, :] <= lines[:, None])
    return lines, _quantile_rows(ys, poor_w, 0.5)


def poor_median(
    income: object,
    weights: object = None,
    *,
    share: float = 0.6,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Median income of the persons at or below the at-risk-of-poverty threshold.

    >>> poor_median([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], se="none").estimate  # the poor: 1, 2, 3
    2.0
    """
    return _poor_median_estimate(
        "poor_median", income, weights, share, strata, clusters, design, domain, se, reps, seed
    )


def rmpg(
    income: object,
    weights: object = None,
    *,
    share: float = 0.6,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Relative median poverty gap: (threshold - median income of the poor) / threshold.

    >>> rmpg([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], se="none").estimate  # (3 - 2) / 3
    0.3333333333333333
    """
    return _poor_median_estimate("rmpg", income, weights, share, strata, clusters, design, domain, se, reps, seed)


def _poor_median_estimate(
    name: str,
    income: object,
    weights: object,
    share: float,
    strata: object,
    clusters: object,
    design: Design | None,
    domain: object,
    se: str,
    reps: int,
    seed: int,
) -> Estimate:
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    inside = np.ones(y.size, dtype=bool) if mask is None else mask
    w = design.weights
    threshold, m, line_influence, m_influence = _poor_median_parts(y, w, share, inside)
    if name == "rmpg":
        value = (threshold - m) / threshold
        influence = (m * line_influence - threshold * m_influence) / threshold**2
    else:
        value, influence = m, m_influence
    details = {"share": share, "line": threshold}

    def statistic(ys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        lines, medians = _rows_poor_median(ys, rows, share)
        return (lines - medians) / lines if name == "rmpg" else medians

    if se in ("auto", "linearized", "none"):
        std = float(np.sqrt(design.variance(influence))) if se != "none" else float("nan")
        return Estimate.on(design, name, float(value), std, "none" if se == "none" else "linearized", details)
    if mask is not None and se in ("bootstrap", "replicate"):
        raise ValueError(f"{name} in a domain has a linearized standard error only; use se='linearized'")
    return unit_estimate(name, y, design, statistic, None, se, reps, seed, details)


def qsr(
    income: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Quintile share ratio S80/S20: total income above the 80% quantile over total income at or below the
    20% quantile (quantiles of the domain, when one is given)."""
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        low, high = _quantile_rows(ys, w, 0.2), _quantile_rows(ys, w, 0.8)
        bottom = (w * (ys[None, :] <= low[:, None])) @ ys
        top = (w * (ys[None, :] > high[:, None])) @ ys
        return top / bottom

    def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
        low = _quantile_rows(ys, ws[None, :], 0.2)[0]
        high = _quantile_rows(ys, ws[None, :], 0.8)[0]
        below_low, below_high = ys <= low, ys <= high
        bottom = ws @ (ys * below_low)
        z_bottom = ys * below_low - local_mean(ys, ws, low) * (below_low - 0.2)
        z_top = ys - (ys * below_high - local_mean(ys, ws, high) * (below_high - 0.8))
        return (z_top - value * z_bottom) / bottom

    return unit_estimate("qsr", y, design, statistic, influence, se, reps, seed, {}, mask)
