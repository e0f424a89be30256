"""Weighted quantiles with linearized standard errors, and poverty lines estimated from the same sample.

The quantile of order ``p`` is the inverse of the weighted distribution function, the smallest income
whose cumulative weight share reaches ``p`` (the definition of R's survey and convey packages; laeken
averages two incomes when a cumulative share equals ``p`` exactly, which weights of a real survey almost
never produce).

Its influence value (Deville 1999; Osier 2009) is ``-(1[y <= q] - p) / (N f(q))``, with ``N`` the
estimated population size and ``f`` the density at the quantile, estimated by a Gaussian kernel whose
bandwidth is the weighted standard deviation times ``N ** -0.2`` (as convey does).

A :class:`RelativeLine` (:func:`relative_line`) is a poverty line that is a share of the median (or of
another quantile, or of the mean). :func:`~evalkit.indicators.fgt`, :func:`~evalkit.indicators.watts` and
:func:`~evalkit.indicators.fgt_by_group` accept one as ``line``; their standard errors then include the
estimation of the line.

Examples
--------
Five persons, equal weights: cumulative shares 0.2, 0.4, 0.6, 0.8, 1.0, so the median (p = 0.5) is the
third income and the 40% quantile the second.

>>> y = [3, 1, 4, 10, 5]
>>> quantile(y, 0.5, se="none").estimate, quantile(y, 0.4, se="none").estimate
(4.0, 3.0)
>>> relative_line(0.6).value(y)  # 60% of the median
2.4
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evalkit.indicators.design import Design
from evalkit.indicators.estimation import check_se, domain_mask, prepare, unit_estimate
from evalkit.indicators.results import Estimate

__all__ = [
    "quantile",
    "median",
    "bandwidth",
    "density",
    "weighted_quantile",
    "quantile_influence",
    "local_mean",
    "RelativeLine",
    "relative_line",
    "STATISTICS",
]

#: What a relative line is a share of.
STATISTICS = ("median", "quantile", "mean")


def weighted_quantile(y: object, p: float, weights: object = None) -> float:
    """The smallest ``y`` whose cumulative weight share reaches ``p`` (0 < p <= 1).

    >>> weighted_quantile([1, 2, 3, 4], 0.5), weighted_quantile([1, 2, 3, 4], 0.5, [1, 1, 1, 3])
    (2.0, 3.0)
    """
    values = np.asarray(y, dtype=float).ravel()
    w = np.ones(values.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    order = np.argsort(values, kind="stable")
    return float(_quantile_rows(values[order], w[order][None, :], p)[0])


def _quantile_rows(ys: np.ndarray, w: np.ndarray, p: float) -> np.ndarray:
    """The ``p`` quantile of sorted incomes ``ys`` under each row of weights ``w`` (zero weights skipped)."""
    cum = np.cumsum(w, axis=1)
    total = cum[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = cum / total
    reached = (share >= p) & (w > 0)
    return np.where(total[:, 0] > 0, ys[np.argmax(reached, axis=1)], np.nan)  # no weight: no quantile


def bandwidth(y: np.ndarray, weights: np.ndarray) -> float:
    """Kernel bandwidth: weighted standard deviation (divisor N) times N ** -0.2, N the sum of weights."""
    n_w = weights.sum()
    mean = weights @ y / n_w
    sd = math.sqrt(max(weights @ (y - mean) ** 2 / n_w, 0.0))
    return sd * n_w**-0.2


def density(y: np.ndarray, weights: np.ndarray, at: float, h: float | None = None) -> float:
    """Gaussian-kernel estimate of the income density at ``at`` (bandwidth :func:`bandwidth` by default).

    >>> round(density(np.array([0.0]), np.array([1.0]), 0.0, h=1.0), 6)  # the standard normal at 0
    0.398942
    """
    h = bandwidth(y, weights) if h is None else h
    if not h > 0:
        raise ValueError("the income density needs incomes that vary (their standard deviation is zero)")
    u = (at - y) / h
    return float(weights @ np.exp(-0.5 * u * u) / (weights.sum() * h * math.sqrt(2 * math.pi)))


def local_mean(y: np.ndarray, weights: np.ndarray, at: float, h: float | None = None) -> float:
    """Kernel-weighted mean income around ``at`` (the slope of a partial income total at a quantile).

    >>> local_mean(np.array([1.0, 3.0]), np.array([1.0, 1.0]), 2.0, h=1.0)  # symmetric: the midpoint
    2.0
    """
    h = bandwidth(y, weights) if h is None else h
    u = (at - y) / h
    kernel = weights * np.exp(-0.5 * u * u)
    return float(kernel @ y / kernel.sum())


def quantile_influence(y: np.ndarray, weights: np.ndarray, p: float, q: float, inside: np.ndarray) -> np.ndarray:
    """Influence values of the ``p`` quantile ``q`` estimated on the observations ``inside`` (a domain);
    zero elsewhere. The density is estimated on the domain."""
    ys, ws = y[inside], weights[inside]
    f = density(ys, ws, q)
    return np.where(inside, -((y <= q) - p) / (ws.sum() * f), 0.0)


def _check_p(p: float, name: str = "p") -> float:
    p = float(p)
    if not 0 < p < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1; got {p}")
    return p


def quantile(
    income: object,
    p: float,
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
    """Weighted quantile of order ``p`` with a linearized (or bootstrap) standard error.

    See the module docstring for the definition and the influence value. ``domain`` (a boolean mask)
    estimates the quantile of a subpopulation with the full design's variance.

    Examples
    --------
    >>> e = quantile(np.arange(1, 101), 0.5)
    >>> e.estimate, e.se_method
    (50.0, 'linearized')
    """
    p = _check_p(p)
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _quantile_rows(ys, w, p)

    def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
        return quantile_influence(ys, ws, p, value, ws > 0)

    name = "median" if p == 0.5 else f"quantile_{p:g}"
    return unit_estimate(name, y, design, statistic, influence, se, reps, seed, {"p": p}, mask)


def median(
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
    """Weighted median: :func:`quantile` with ``p = 0.5``.

    >>> median([5, 1, 3]).estimate
    3.0
    """
    return quantile(
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


@dataclass(frozen=True)
class RelativeLine:
    """A poverty line set at ``share`` of a statistic of the same incomes: the median (the EU's
    at-risk-of-poverty threshold at 60%), another quantile ``p``, or the mean.

    ``value(y, w)`` is the line; ``influence(y, w)`` its influence values, which the indicators add to
    their own so that the line's sampling error enters their standard errors. The line is always
    estimated on the whole sample, also for a domain's poverty rate (the country's line applied to a
    region, as Eurostat does).
    """

    share: float = 0.6
    statistic: str = "median"
    p: float = 0.5

    def __post_init__(self) -> None:
        if not self.share > 0:
            raise ValueError(f"share must be positive; got {self.share}")
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}; got {self.statistic!r}")
        _check_p(self.p)
        if self.statistic == "median" and self.p != 0.5:
            raise ValueError("a line at a share of the median has p = 0.5; use statistic='quantile' for another p")

    def value(self, income: object, weights: object = None) -> float:
        """The line for these incomes and weights."""
        y = np.asarray(income, dtype=float).ravel()
        w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float).ravel()
        if self.statistic == "mean":
            return float(self.share * (w @ y) / w.sum())
        return self.share * weighted_quantile(y, self.p, w)

    def values(self, ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The line under each row of weights ``w`` (incomes ``ys`` sorted), for bootstrap replicates."""
        if self.statistic == "mean":
            return self.share * (w @ ys) / w.sum(axis=1)
        return self.share * _quantile_rows(ys, w, self.p)

    def influence(self, income: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Influence values of the line (see the module docstring)."""
        n_w = weights.sum()
        if self.statistic == "mean":
            return self.share * (income - (weights @ income) / n_w) / n_w
        q = weighted_quantile(income, self.p, weights)
        return self.share * quantile_influence(income, weights, self.p, q, weights > 0)

    def describe(self) -> str:
        base = "median" if self.statistic == "median" else "mean" if self.statistic == "mean" else f"p{self.p:g}"
        return f"{self.share:g} x {base}"


def relative_line(share: float = 0.6, statistic: str = "median", p: float = 0.5) -> RelativeLine:
    """A poverty line at ``share`` of the median (default: the at-risk-of-poverty threshold), of the
    ``p`` quantile (``statistic='quantile'``) or of the mean (``statistic='mean'``).

    >>> relative_line(0.5, "mean").value([2, 4, 6])
    2.0
    """
    return RelativeLine(float(share), statistic, float(p))
