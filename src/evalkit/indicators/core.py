"""Poverty and inequality indicators with design-based standard errors.

Every function takes incomes (one value per observation: a person, or a
household with its size in ``weights`` for per-capita income), optional
``weights``, ``strata`` and ``clusters``, and returns an
:class:`~evalkit.indicators.results.Estimate`. ``se`` chooses the standard
error: ``"linearized"`` (influence values and the design's variance formula),
``"bootstrap"`` (Rao–Wu cluster bootstrap, ``reps`` replicates, vectorized),
``"auto"`` (linearized where the indicator has an influence function here,
else bootstrap) or ``"none"``.

Worked example (five persons, line 10): incomes 2, 5, 8, 12, 20 give
headcount 3/5 = 0.6, poverty gap (0.8 + 0.5 + 0.2)/5 = 0.3, squared gap
(0.64 + 0.25 + 0.04)/5 = 0.186.

>>> y = [2, 5, 8, 12, 20]
>>> [round(fgt(y, 10, order=a, se="none").estimate, 6) for a in (0, 1, 2)]
[0.6, 0.3, 0.186]
>>> round(gini([1, 2, 3, 4], se="none").estimate, 6)  # sum |yi - yj| / (2 n^2 mean) = 20 / 80
0.25
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evalkit.indicators.design import Design
from evalkit.indicators.results import Estimate

__all__ = ["fgt", "watts", "sen", "sst", "gini", "theil", "atkinson", "mean_income", "SE_METHODS"]

#: Ways to obtain an indicator's standard error (the ``se`` argument).
SE_METHODS = ("auto", "linearized", "bootstrap", "none")
_CHUNK = 100  # bootstrap replicates evaluated at once for unit-level indicators (bounds memory)


def _prepare(income: object, weights: object, strata: object, clusters: object) -> tuple[np.ndarray, Design]:
    y = np.asarray(income, dtype=float).ravel()
    if y.size == 0:
        raise ValueError("no observations")
    if np.any(~np.isfinite(y)):
        raise ValueError(
            f"income has {int((~np.isfinite(y)).sum())} missing or infinite values; drop or impute them first"
        )
    design = Design.of(y.size, weights=weights, strata=strata, clusters=clusters)
    if design.weights.sum() <= 0:
        raise ValueError("weights sum to zero")
    return y, design


def _line(line: object, n: int) -> np.ndarray:
    z = np.broadcast_to(np.asarray(line, dtype=float), (n,)).copy()
    if np.any(~np.isfinite(z)) or np.any(z <= 0):
        raise ValueError("poverty lines must be positive numbers")
    return z


def _check_se(se: str) -> None:
    if se not in SE_METHODS:
        raise ValueError(f"se must be one of {', '.join(SE_METHODS)}; got {se!r}")


def _ratio_estimate(
    name: str, u: np.ndarray, design: Design, se: str, reps: int, seed: int, details: dict[str, object]
) -> Estimate:
    """Estimate of sum(w u) / sum(w) with its standard error (mean of ``u``)."""
    w = design.weights
    total_w = w.sum()
    value = float(w @ u / total_w)
    method, std = "none", float("nan")
    if se in ("auto", "linearized"):
        method, std = "linearized", float(np.sqrt(design.variance((u - value) / total_w)))
    elif se == "bootstrap":
        factors = design.replicate_factors(reps, seed)
        num, den = factors @ design.cluster_totals(u), factors @ design.cluster_totals(np.ones_like(u))
        method, std = "bootstrap", float(np.std(num / den, ddof=1))
    return Estimate.on(design, name, value, std, method, details)


def _unit_estimate(
    name: str,
    y: np.ndarray,
    design: Design,
    statistic: Callable[[np.ndarray, np.ndarray], np.ndarray],
    influence: Callable[[np.ndarray, np.ndarray, float], np.ndarray] | None,
    se: str,
    reps: int,
    seed: int,
    details: dict[str, object],
) -> Estimate:
    """An indicator computed from sorted incomes and a weight matrix (rows = replicates)."""
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], design.weights[order]
    value = float(statistic(ys, ws[None, :])[0])
    method, std = "none", float("nan")
    if se == "linearized" and influence is None:
        raise ValueError(f"{name} has no linearized standard error here; use se='bootstrap' or 'auto'")
    if se in ("auto", "linearized") and influence is not None:
        z = np.empty_like(y)
        z[order] = influence(ys, ws, value)
        method, std = "linearized", float(np.sqrt(design.variance(z)))
    elif se in ("auto", "bootstrap"):
        factors = design.replicate_factors(reps, seed)[:, design.clusters[order]]
        values = np.concatenate([statistic(ys, factors[i : i + _CHUNK] * ws[None, :]) for i in range(0, reps, _CHUNK)])
        method, std = "bootstrap", float(np.std(values, ddof=1))
    return Estimate.on(design, name, value, std, method, details)


# ---------------------------------------------------------------- poverty


def fgt(
    income: object,
    line: object,
    order: float = 0,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Foster–Greer–Thorbecke index: mean of ((z - y) / z)^order over the poor (y < z), zero for the rest.

    ``order`` is the FGT parameter (α in the literature): 0 gives the headcount ratio, 1 the poverty gap,
    2 the squared gap. ``line`` is one value or one
    per observation (lines by year or province).
    """
    _check_se(se)
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    y, design = _prepare(income, weights, strata, clusters)
    z = _line(line, y.size)
    u = fgt_terms(y, z, order)
    name = {0: "headcount", 1: "poverty_gap", 2: "squared_gap"}.get(order, f"fgt_{order:g}")
    return _ratio_estimate(name, u, design, se, reps, seed, {"order": order, "line": _show_line(z)})


def fgt_terms(y: np.ndarray, z: np.ndarray, order: float) -> np.ndarray:
    """Each observation's FGT term: ((z - y) / z)^order when poor (y < z), else 0; 1 for the poor at order 0."""
    poor = y < z
    return poor.astype(float) if order == 0 else np.where(poor, np.where(poor, (z - y) / z, 0.0) ** order, 0.0)


def _show_line(z: np.ndarray) -> object:
    return float(z[0]) if np.all(z == z[0]) else "varies"


def watts(
    income: object,
    line: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Watts index: mean of ln(z / y) over the poor. Undefined for poor incomes at or below zero (raises)."""
    _check_se(se)
    y, design = _prepare(income, weights, strata, clusters)
    z = _line(line, y.size)
    poor = y < z
    if np.any(poor & (y <= 0)):
        raise ValueError(
            f"Watts index is undefined for incomes <= 0 ({int((poor & (y <= 0)).sum())} poor observations); "
            "use fgt, or bottom-code incomes explicitly"
        )
    u = np.where(poor, np.log(z / np.where(poor, y, 1.0)), 0.0)
    return _ratio_estimate("watts", u, design, se, reps, seed, {"line": _show_line(z)})


def _gini_rows(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gini of sorted incomes ``ys`` for each row of weights ``w``: sum w y (2 W_before + w) / (N Y) - 1."""
    before = np.cumsum(w, axis=1) - w
    total = w.sum(axis=1)
    income = w @ ys
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((w * ys[None, :] * (2 * before + w)).sum(axis=1)) / (total * income) - 1.0


def _gini_influence(ys: np.ndarray, ws: np.ndarray, g: float) -> np.ndarray:
    """Influence values of the Gini (see the module docstring of evalkit.indicators)."""
    n_w = ws.sum()
    mu = ws @ ys / n_w
    before = np.cumsum(ws) - ws
    cdf = (before + ws / 2) / n_w
    above = (np.cumsum((ws * ys)[::-1])[::-1] - ws * ys / 2) / n_w  # share of income of those at or above
    return ((2 / mu) * (ys * cdf + above) - (g + 1) * (1 + ys / mu)) / n_w


def gini(
    income: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Gini coefficient: sum_ij w_i w_j |y_i - y_j| / (2 N^2 mean) (no small-sample correction)."""
    _check_se(se)
    y, design = _prepare(income, weights, strata, clusters)
    if (design.weights @ y) <= 0:
        raise ValueError("the Gini coefficient needs a positive mean income")
    return _unit_estimate("gini", y, design, _gini_rows, _gini_influence, se, reps, seed, {})


def sen(
    income: object,
    line: float,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Sen index H [I + (1 - I) G_p]: headcount H, income-gap ratio I of the poor, Gini G_p among the poor.

    Standard errors by bootstrap (``se='auto'`` or ``'bootstrap'``).
    """
    _check_se(se)
    y, design = _prepare(income, weights, strata, clusters)
    z = float(line)

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        poor = ys < z
        wp = w * poor[None, :]
        n_w, n_p = w.sum(axis=1), wp.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            h = n_p / n_w
            i = 1 - (wp @ ys) / n_p / z
            g_p = _gini_rows(ys[poor], wp[:, poor]) if poor.any() else np.zeros(w.shape[0])
            return np.where(n_p > 0, h * (i + (1 - i) * np.nan_to_num(g_p)), 0.0)

    return _unit_estimate(
        "sen", y, design, statistic, None, "bootstrap" if se == "auto" else se, reps, seed, {"line": z}
    )


def sst(
    income: object,
    line: float,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Sen–Shorrocks–Thon index: poverty gap × (1 + Gini of the poverty-gap ratios over everyone).

    Standard errors by bootstrap.
    """
    _check_se(se)
    y, design = _prepare(income, weights, strata, clusters)
    z = float(line)
    gaps = np.where(y < z, (z - y) / z, 0.0)

    def statistic(gs: np.ndarray, w: np.ndarray) -> np.ndarray:
        pg = (w @ gs) / w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = _gini_rows(gs, w)
        return np.where(pg > 0, pg * (1 + np.nan_to_num(g)), 0.0)

    return _unit_estimate(
        "sst", gaps, design, statistic, None, "bootstrap" if se == "auto" else se, reps, seed, {"line": z}
    )


# ---------------------------------------------------------------- inequality


def _positive(y: np.ndarray, name: str) -> None:
    if np.any(y <= 0):
        raise ValueError(f"{name} needs positive incomes; {int((y <= 0).sum())} are zero or negative")


def theil(
    income: object,
    weights: object = None,
    *,
    kind: str = "T",
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Theil T (``kind='T'``: mean of (y/mu) ln(y/mu)) or Theil L (``'L'``, mean log deviation: mean of ln(mu/y))."""
    _check_se(se)
    if kind not in ("T", "L"):
        raise ValueError("kind must be 'T' or 'L'")
    y, design = _prepare(income, weights, strata, clusters)
    _positive(y, "the Theil index")

    if kind == "T":

        def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
            total, n_w = w @ ys, w.sum(axis=1)
            return (w @ (ys * np.log(ys))) / total - np.log(total / n_w)

        def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
            total, n_w = ws @ ys, ws.sum()
            a = ws @ (ys * np.log(ys))
            return ys * np.log(ys) / total - a * ys / total**2 - (ys / total - 1 / n_w)

    else:

        def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
            total, n_w = w @ ys, w.sum(axis=1)
            return np.log(total / n_w) - (w @ np.log(ys)) / n_w

        def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
            total, n_w = ws @ ys, ws.sum()
            b = ws @ np.log(ys)
            return ys / total - 1 / n_w - np.log(ys) / n_w + b / n_w**2

    return _unit_estimate(f"theil_{kind}", y, design, statistic, influence, se, reps, seed, {})


def atkinson(
    income: object,
    epsilon: float = 1.0,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Atkinson index 1 - (equally distributed equivalent income) / mean, inequality aversion ``epsilon`` > 0."""
    _check_se(se)
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    y, design = _prepare(income, weights, strata, clusters)
    _positive(y, "the Atkinson index")
    e = float(epsilon)

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        n_w = w.sum(axis=1)
        mu = (w @ ys) / n_w
        if e == 1:
            ede = np.exp((w @ np.log(ys)) / n_w)
        else:
            ede = ((w @ ys ** (1 - e)) / n_w) ** (1 / (1 - e))
        return 1 - ede / mu

    def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
        n_w = ws.sum()
        mu = ws @ ys / n_w
        if e == 1:
            ell = ws @ np.log(ys) / n_w
            xi = np.exp(ell)
            d_xi = xi * (np.log(ys) - ell) / n_w
        else:
            m = ws @ ys ** (1 - e) / n_w
            xi = m ** (1 / (1 - e))
            d_xi = xi / ((1 - e) * m) * (ys ** (1 - e) - m) / n_w
        return -(d_xi / mu - xi * (ys - mu) / n_w / mu**2)

    return _unit_estimate("atkinson", y, design, statistic, influence, se, reps, seed, {"epsilon": e})


def mean_income(
    income: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Weighted mean income."""
    _check_se(se)
    y, design = _prepare(income, weights, strata, clusters)
    return _ratio_estimate("mean", y, design, se, reps, seed, {})
