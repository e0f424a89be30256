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
from evalkit.indicators.estimation import (
    SE_METHODS,
    check_se,
    domain_mask,
    prepare,
    ratio_estimate,
    spread,
    unit_estimate,
)
from evalkit.indicators.quantiles import RelativeLine, density
from evalkit.indicators.results import Estimate

__all__ = [
    "fgt",
    "watts",
    "sen",
    "sst",
    "gini",
    "theil",
    "atkinson",
    "generalized_entropy",
    "mean_income",
    "SE_METHODS",
]

_CHUNK = 100  # bootstrap replicates of a relative line evaluated at once (bounds memory)


def _line(line: object, n: int) -> np.ndarray:
    if isinstance(line, RelativeLine):
        raise TypeError("this indicator takes a fixed line; estimate the relative line first (line.value(income))")
    z = np.broadcast_to(np.asarray(line, dtype=float), (n,)).copy()
    if np.any(~np.isfinite(z)) or np.any(z <= 0):
        raise ValueError("poverty lines must be positive numbers")
    return z


def _relative(
    name: str,
    y: np.ndarray,
    design: Design,
    line: RelativeLine,
    terms: Callable[[np.ndarray, np.ndarray], np.ndarray],
    slope: Callable[[np.ndarray, float], np.ndarray],
    jump: float,
    se: str,
    reps: int,
    seed: int,
    details: dict[str, object],
    domain: np.ndarray | None,
) -> Estimate:
    """A poverty index whose line is estimated from the whole sample, over a domain.

    Its influence value is ``1[d] (u - P) / N_d + (mean over d of du/dt + jump f_d(t)) z_t``, with ``u`` the
    index's terms, ``z_t`` the line's influence values, ``f_d`` the domain's income density at the line and
    ``jump`` the terms' jump at the line (1 for the headcount, 0 for indices continuous there).
    """
    w = design.weights
    inside = np.ones(y.size, dtype=bool) if domain is None else domain
    t = line.value(y, w)
    u = terms(y, np.full(y.size, t))
    w_d = w * inside
    n_d = w_d.sum()
    if n_d <= 0:
        raise ValueError("the domain's weights sum to zero")
    value = float(w_d @ u / n_d)
    details = {**details, "line": t, "line_rule": line.describe()}
    method, std = "none", float("nan")
    if se in ("auto", "linearized"):
        a = w_d @ slope(y, t) / n_d
        if jump:
            a += jump * density(y[inside], w[inside], t)
        z = inside * (u - value) / n_d + a * line.influence(y, w)
        method, std = "linearized", float(np.sqrt(design.variance(z)))
    elif se in ("bootstrap", "replicate"):
        order = np.argsort(y, kind="stable")
        factors = design.replicates if se == "replicate" else design.replicate_factors(reps, seed)
        assert factors is not None
        values = []
        for i in range(0, factors.shape[0], _CHUNK):  # weight rows built a chunk at a time (bounds memory)
            part = factors[i : i + _CHUNK]
            chunk = part if se == "replicate" else part[:, design.clusters] * w[None, :]
            lines = line.values(y[order], chunk[:, order])
            terms_r = terms(y[None, :], lines[:, None])
            values.append(((chunk * inside) * terms_r).sum(axis=1) / (chunk * inside).sum(axis=1))
        method, std = spread(design, se, np.concatenate(values), value)
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
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Foster–Greer–Thorbecke index: mean of ((z - y) / z)^order over the poor (y < z), zero for the rest.

    ``order`` is the FGT parameter (α in the literature): 0 gives the headcount ratio, 1 the poverty gap,
    2 the squared gap. ``line`` is one value, one per observation (lines by year or province), or a
    :class:`~evalkit.indicators.RelativeLine` estimated from the same incomes, whose estimation then
    enters the standard error. ``domain`` (a boolean mask) gives the index of a subpopulation (its size
    estimated too) with the full design's variance; a relative line is the whole sample's.

    A person exactly on the line is not poor here (``y < z``); R's convey counts them (``y <= z``), laeken
    does not. The two differ only when an income equals the line.

    Examples
    --------
    >>> e = fgt([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], RelativeLine(0.6))  # line 0.6 x 5 = 3: two are below
    >>> e.estimate, e.details["line"]
    (0.2, 3.0)
    """
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    name = {0: "headcount", 1: "poverty_gap", 2: "squared_gap"}.get(order, f"fgt_{order:g}")
    if isinstance(line, RelativeLine):

        def slope(y: np.ndarray, t: float) -> np.ndarray:
            return fgt_slope(y, t, order)

        jump = 1.0 if order == 0 else 0.0
        return _relative(
            name,
            y,
            design,
            line,
            lambda y, t: fgt_terms(y, t, order),
            slope,
            jump,
            se,
            reps,
            seed,
            {"order": order},
            mask,
        )
    z = _line(line, y.size)
    u = fgt_terms(y, z, order)
    return ratio_estimate(name, u, design, se, reps, seed, {"order": order, "line": _show_line(z)}, mask)


def fgt_terms(y: np.ndarray, z: np.ndarray, order: float) -> np.ndarray:
    """Each observation's FGT term: ((z - y) / z)^order when poor (y < z), else 0; 1 for the poor at order 0."""
    poor = y < z
    return poor.astype(float) if order == 0 else np.where(poor, np.where(poor, (z - y) / z, 0.0) ** order, 0.0)


def fgt_slope(y: np.ndarray, t: float, order: float) -> np.ndarray:
    """Each observation's d/dt of ((t - y) / t)^order (zero for the non-poor and at order 0)."""
    if order == 0:
        return np.zeros_like(y, dtype=float)
    poor = y < t
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(poor, order * np.where(poor, (t - y) / t, 1.0) ** (order - 1) * y / t**2, 0.0)


def _show_line(z: np.ndarray) -> object:
    return float(z[0]) if np.all(z == z[0]) else "varies"


def watts(
    income: object,
    line: object,
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
    """Watts index: mean of ln(z / y) over the poor. Undefined for poor incomes at or below zero (raises).

    ``line`` may be a :class:`~evalkit.indicators.RelativeLine` (see :func:`fgt`).
    """
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    if isinstance(line, RelativeLine):
        t = line.value(y, design.weights)  # the whole sample's line, zero incomes included
        inside = np.ones(y.size, dtype=bool) if mask is None else mask
        if np.any((y < t) & (y <= 0) & inside):
            raise ValueError(
                "Watts index is undefined for incomes <= 0 below the line; use fgt, or a domain of positive "
                "incomes (domain=income > 0: the line stays the whole sample's)"
            )

        def terms(y: np.ndarray, t: np.ndarray) -> np.ndarray:
            poor = (y < t) & (y > 0)  # incomes <= 0 are outside the domain here (checked above)
            return np.where(poor, np.log(np.where(poor, t / np.where(poor, y, 1.0), 1.0)), 0.0)

        def slope(y: np.ndarray, t: float) -> np.ndarray:  # d/dt ln(t / y) = 1 / t over the poor
            return ((y < t) & (y > 0)) / t

        return _relative("watts", y, design, line, terms, slope, 0.0, se, reps, seed, {}, mask)
    z = _line(line, y.size)
    poor = y < z
    if mask is not None:
        poor &= mask
    if np.any(poor & (y <= 0)):
        raise ValueError(
            f"Watts index is undefined for incomes <= 0 ({int((poor & (y <= 0)).sum())} poor observations); "
            "use fgt, or bottom-code incomes explicitly"
        )
    u = np.where(poor, np.log(z / np.where(poor, y, 1.0)), 0.0)
    return ratio_estimate("watts", u, design, se, reps, seed, {"line": _show_line(z)}, mask)


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
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Gini coefficient: sum_ij w_i w_j |y_i - y_j| / (2 N^2 mean) (no small-sample correction)."""
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    if (design.weights @ y) <= 0:
        raise ValueError("the Gini coefficient needs a positive mean income")
    return unit_estimate("gini", y, design, _gini_rows, _gini_influence, se, reps, seed, {}, mask)


def sen(
    income: object,
    line: float,
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
    """Sen index H [I + (1 - I) G_p]: headcount H, income-gap ratio I of the poor, Gini G_p among the poor.

    Standard errors by bootstrap (``se='auto'`` or ``'bootstrap'``).
    """
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    z = float(_line(line, 1)[0])

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        poor = ys < z
        wp = w * poor[None, :]
        n_w, n_p = w.sum(axis=1), wp.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            h = n_p / n_w
            i = 1 - (wp @ ys) / n_p / z
            g_p = _gini_rows(ys[poor], wp[:, poor]) if poor.any() else np.zeros(w.shape[0])
            return np.where(n_p > 0, h * (i + (1 - i) * np.nan_to_num(g_p)), 0.0)

    return unit_estimate(
        "sen", y, design, statistic, None, "bootstrap" if se == "auto" else se, reps, seed, {"line": z}, mask
    )


def sst(
    income: object,
    line: float,
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
    """Sen–Shorrocks–Thon index: poverty gap × (1 + Gini of the poverty-gap ratios over everyone).

    Standard errors by bootstrap.
    """
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    z = float(_line(line, 1)[0])
    gaps = np.where(y < z, (z - y) / z, 0.0)

    def statistic(gs: np.ndarray, w: np.ndarray) -> np.ndarray:
        pg = (w @ gs) / w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = _gini_rows(gs, w)
        return np.where(pg > 0, pg * (1 + np.nan_to_num(g)), 0.0)

    return unit_estimate(
        "sst", gaps, design, statistic, None, "bootstrap" if se == "auto" else se, reps, seed, {"line": z}, mask
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
    design: Design | None = None,
    domain: object = None,
    se: str = "auto",
    reps: int = 500,
    seed: int = 0,
) -> Estimate:
    """Theil T (``kind='T'``: mean of (y/mu) ln(y/mu)) or Theil L (``'L'``, mean log deviation: mean of ln(mu/y))."""
    if kind not in ("T", "L"):
        raise ValueError("kind must be 'T' or 'L'")
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    _positive(y if mask is None else y[mask], "the Theil index")

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

    return unit_estimate(f"theil_{kind}", y, design, statistic, influence, se, reps, seed, {}, mask)


def atkinson(
    income: object,
    epsilon: float = 1.0,
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
    """Atkinson index 1 - (equally distributed equivalent income) / mean, inequality aversion ``epsilon`` > 0."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    _positive(y if mask is None else y[mask], "the Atkinson index")
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

    return unit_estimate("atkinson", y, design, statistic, influence, se, reps, seed, {"epsilon": e}, mask)


def generalized_entropy(
    income: object,
    theta: float = 1.0,
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
    """Generalized entropy index GE(theta) = (mean of (y / mu)^theta - 1) / (theta (theta - 1)).

    ``theta = 0`` is the mean log deviation (Theil L) and ``theta = 1`` the Theil T index (the limits);
    ``theta = 2`` is half the squared coefficient of variation. Incomes must be positive for
    ``theta <= 1`` and non-negative otherwise.

    Examples
    --------
    Incomes 1 and 3 (mean 2): GE(2) = ((0.25 + 2.25) / 2 - 1) / 2 = 0.125.

    >>> round(generalized_entropy([1, 3], 2, se="none").estimate, 6)
    0.125
    >>> round(generalized_entropy([1, 3], 0, se="none").estimate, 6) == round(theil([1, 3], kind="L", se="none").estimate, 6)
    True
    """
    e = float(theta)
    if e in (0.0, 1.0):
        return theil(
            income,
            weights,
            kind="L" if e == 0 else "T",
            strata=strata,
            clusters=clusters,
            design=design,
            domain=domain,
            se=se,
            reps=reps,
            seed=seed,
        )
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    if e < 1:
        _positive(y if mask is None else y[mask], "the generalized entropy index with theta <= 1")
    elif np.any((y if mask is None else y[mask]) < 0):
        raise ValueError("the generalized entropy index needs non-negative incomes")

    def statistic(ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        n_w, total = w.sum(axis=1), w @ ys
        return ((n_w ** (e - 1)) * total**-e * (w @ ys**e) - 1) / (e * (e - 1))

    def influence(ys: np.ndarray, ws: np.ndarray, value: float) -> np.ndarray:
        # GE = (N^(e-1) Y^-e U - 1) / (e (e - 1)) with U = sum w y^e: differentiate in N, Y and U
        n_w, total, u = ws.sum(), ws @ ys, ws @ ys**e
        d_n = (e - 1) * n_w ** (e - 2) * total**-e * u
        d_y = -e * n_w ** (e - 1) * total ** (-e - 1) * u
        d_u = n_w ** (e - 1) * total**-e
        return (d_n + d_y * ys + d_u * ys**e) / (e * (e - 1))

    return unit_estimate("generalized_entropy", y, design, statistic, influence, se, reps, seed, {"theta": e}, mask)


def mean_income(
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
    """Weighted mean income."""
    y, design = prepare(income, weights, strata, clusters, design)
    se = check_se(se, design)
    mask = domain_mask(domain, y.size)
    return ratio_estimate("mean", y, design, se, reps, seed, {}, mask)
