"""The imputation estimator of Borusyak, Jaravel and Spiess (2024), its event-time path and its analytic
standard errors.

Unit and time effects are fitted on the untreated observations (weighted least squares, absorbed by
alternating projections); each treated observation's effect is its outcome minus the imputed untreated
outcome, ``tau_it = y_it - a_i - b_t``; an estimand is a weighted average of those effects (all treated
observations for the ATT, those ``h`` periods after adoption for the path).

The estimator is linear in the outcomes, ``sum v_it y_it``: ``v`` is the estimand's weight on treated
observations and, on untreated ones, ``-w_it (a*_i + b*_t)`` where ``(a*, b*)`` solves the untreated
two-way normal equations with the treated weights per unit and per period on the right-hand side (solved
here by the same alternating projections). The variance is BJS's conservative estimator (their Theorem 3)
clustered by ``cluster``: ``sum_c (sum_{it in c} v_it e_it)^2``, with ``e_it`` the untreated residuals and, for
treated observations, ``tau_it`` minus the ``v^2``-weighted mean of ``tau`` in its cohort and period (the
default of their Stata command, without the leave-out refinement).

A treated observation enters only when its unit and its period are connected through untreated
observations (else its imputed outcome would rest on an arbitrary normalization); those left out are
counted in ``details["treated_without_untreated_cell"]``. A cluster bootstrap (``reps`` replicates) is
reported beside it in ``details``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from evalkit.errors import EstimationError

from evalkit.impact.effect import Effect, effect
from evalkit.results import critical_value

__all__ = ["imputation"]

_TOLERANCE = 1e-12
_ITERATIONS = 100_000


def two_way(
    y: np.ndarray, u: np.ndarray, t: np.ndarray, w: np.ndarray, fit: np.ndarray, nu: int, nt: int
) -> tuple[np.ndarray, np.ndarray]:
    """Alternating least squares for y = a_u + b_t on the observations in ``fit``."""
    a, b = np.zeros(nu), np.zeros(nt)
    wu = np.bincount(u[fit], weights=w[fit], minlength=nu)
    wt = np.bincount(t[fit], weights=w[fit], minlength=nt)
    for _ in range(10_000):
        a_new = np.bincount(u[fit], weights=w[fit] * (y - b[t])[fit], minlength=nu) / np.where(wu > 0, wu, 1)
        b_new = np.bincount(t[fit], weights=w[fit] * (y - a_new[u])[fit], minlength=nt) / np.where(wt > 0, wt, 1)
        done = max(np.max(np.abs(a_new - a)), np.max(np.abs(b_new - b))) < 1e-10
        a, b = a_new, b_new
        if done:
            break
    return a, b


def impute(y, d, u, t, w, control="not_yet"):
    """Unit and time effects from the untreated observations; with ``control="never"`` the time effects
    come from never-treated units only and each treated unit's own effect is its mean untreated outcome net
    of them. Returns (a, b, wu, wt, fit) with ``fit`` the observations the time effects were fitted on."""
    untreated = d == 0
    nu, nt = int(u.max()) + 1, int(t.max()) + 1
    if control == "never":
        ever = np.bincount(u, weights=(d > 0).astype(float), minlength=nu) > 0
        fit = untreated & ~ever[u]
        a, b = two_way(y, u, t, w, fit, nu, nt)
        own = untreated & ever[u]
        wu_own = np.bincount(u[own], weights=w[own], minlength=nu)
        a_own = np.bincount(u[own], weights=w[own] * (y - b[t])[own], minlength=nu) / np.where(wu_own > 0, wu_own, 1)
        a = np.where(ever, a_own, a)
        wu = np.where(ever, wu_own, np.bincount(u[fit], weights=w[fit], minlength=nu))
        wt = np.bincount(t[fit], weights=w[fit], minlength=nt)
        return a, b, wu, wt, fit
    a, b = two_way(y, u, t, w, untreated, nu, nt)
    wu = np.bincount(u[untreated], weights=w[untreated], minlength=nu)
    wt = np.bincount(t[untreated], weights=w[untreated], minlength=nt)
    return a, b, wu, wt, untreated


def identified_cells(d, u, t, w, fit, control="not_yet") -> np.ndarray:
    """Treated observations whose untreated outcome the fitted effects identify: the unit and the period are
    connected through untreated observations (one component of the unit-period graph of ``fit``); with
    ``control="never"``, every untreated period of the unit and the period itself are connected through the
    never-treated units."""
    nu, nt = int(u.max()) + 1, int(t.max()) + 1
    treated = d != 0
    edges = fit & (w > 0)
    graph = coo_matrix((np.ones(int(edges.sum())), (u[edges], nu + t[edges])), shape=(nu + nt, nu + nt))
    _, component = connected_components(graph, directed=False)
    period = component[nu + t]
    if control != "never":
        return treated & (component[u] == period) & np.isin(u, u[edges]) & np.isin(t, t[edges])
    own = (d == 0) & ~fit & (w > 0)  # the treated units' own untreated observations
    low = np.full(nu, np.iinfo(np.int64).max)
    high = np.full(nu, -1)
    np.minimum.at(low, u[own], period[own])
    np.maximum.at(high, u[own], period[own])
    return treated & (low[u] == high[u]) & (low[u] == period) & np.isin(t, t[edges])


def att(y, d, u, t, w, control="not_yet") -> float:
    """The ATT alone (for the bootstrap)."""
    a, b, wu, wt, fit = impute(y, d, u, t, w, control)
    treated = identified_cells(d, u, t, w, fit, control)
    return float(w[treated] @ (y - a[u] - b[t])[treated] / w[treated].sum())


def _untreated_weights(
    target: np.ndarray, u: np.ndarray, t: np.ndarray, w: np.ndarray, d: np.ndarray, control: str
) -> np.ndarray:
    """Weights ``v`` of the untreated observations in an estimand with weights ``target`` on the treated.

    The imputed outcome of treated ``(i, s)`` is ``a_i + b_s``. With time effects from the observations in
    ``fit`` and (``control="never"``) each treated unit's ``a_i`` its mean untreated outcome net of them, the
    derivative of ``-sum target (a_i + b_s)`` with respect to each untreated outcome is found by solving the
    normal equations with the targets' totals per unit and per period on the right-hand side.
    """
    nu, nt = int(u.max()) + 1, int(t.max()) + 1
    untreated = d == 0
    ever = np.bincount(u, weights=(d > 0).astype(float), minlength=nu) > 0
    per_unit = np.bincount(u, weights=target, minlength=nu)
    v = np.zeros(u.size)
    if control == "never":
        # own untreated observations of treated units: a_i = mean(y - b_t); they carry per_unit / W_i each,
        # and shift the time effects' load by minus their share of it
        own = untreated & ever[u]
        w_own = np.bincount(u[own], weights=w[own], minlength=nu)
        share = np.where(w_own > 0, per_unit / np.where(w_own > 0, w_own, 1), 0.0)
        v[own] = -w[own] * share[u[own]]
        per_time = np.bincount(t, weights=target, minlength=nt) - np.bincount(
            t[own], weights=w[own] * share[u[own]], minlength=nt
        )
        fit = untreated & ~ever[u]
        per_unit_fit = np.zeros(nu)
    else:
        fit = untreated
        per_time = np.bincount(t, weights=target, minlength=nt)
        per_unit_fit = per_unit
    wu = np.bincount(u[fit], weights=w[fit], minlength=nu)
    wt = np.bincount(t[fit], weights=w[fit], minlength=nt)
    a, b = np.zeros(nu), np.zeros(nt)
    for _ in range(_ITERATIONS):
        a_new = (per_unit_fit - np.bincount(u[fit], weights=w[fit] * b[t[fit]], minlength=nu)) / np.where(wu > 0, wu, 1)
        b_new = (per_time - np.bincount(t[fit], weights=w[fit] * a_new[u[fit]], minlength=nt)) / np.where(wt > 0, wt, 1)
        change = max(np.max(np.abs(a_new - a)), np.max(np.abs(b_new - b)))
        a, b = a_new, b_new
        if change < _TOLERANCE * max(1.0, np.max(np.abs(b))):
            break
    v[fit] = -w[fit] * (a[u[fit]] + b[t[fit]])
    return v


def _variance(
    v: np.ndarray, residual: np.ndarray, tau: np.ndarray, treated: np.ndarray, cell: np.ndarray, c: np.ndarray, g: int
) -> float:
    """BJS's conservative clustered variance of ``sum v y``."""
    e = residual.copy()
    v2 = v * v
    weight = np.bincount(cell[treated], weights=v2[treated])
    mean = np.bincount(cell[treated], weights=(v2 * tau)[treated]) / np.where(weight > 0, weight, 1)
    e[treated] = tau[treated] - mean[cell[treated]]
    totals = np.bincount(c, weights=v * e, minlength=g)
    return float(totals @ totals)


def imputation(y, d, u, t, c, w, g, *, se, reps, seed, control="not_yet", level: float = 0.95) -> Effect:
    """The ATT over treated observations, the event-time path, BJS analytic errors and a cluster bootstrap."""
    a, b, wu, wt, fit = impute(y, d, u, t, w, control)
    treated = d != 0
    identified = identified_cells(d, u, t, w, fit, control)
    if not identified.any():
        raise EstimationError(
            "no treated observation has an imputable untreated outcome: each needs untreated observations of its "
            "unit and of its period that are connected"
            + (" through never-treated units (there are none?)" if control == "never" else "")
        )
    tau = np.where(identified, y - a[u] - b[t], 0.0)
    estimate = float(w[identified] @ tau[identified] / w[identified].sum())
    nu = int(u.max()) + 1
    start = np.full(nu, np.iinfo(np.int64).max)
    np.minimum.at(start, u[treated], t[treated])
    horizon = np.where(identified, t - start[u], 0)
    cell = pd.factorize(start[u] * (int(t.max()) + 1) + t)[0]
    residual = np.where(fit, y - a[u] - b[t], 0.0)
    used = identified | fit | ((d == 0) & (wu[u] > 0))
    std = float("nan")
    path = None
    details: dict[str, object] = {
        "control": control,
        "treated_observations": int(identified.sum()),
        "treated_without_untreated_cell": int((treated & ~identified).sum()),
    }
    if se:
        crit = critical_value(level, g - 1 if g > 1 else None)
        target = np.where(identified, w, 0.0) / w[identified].sum()
        v = np.where(identified, target, _untreated_weights(target, u, t, w, d, control))
        v = np.where(used, v, 0.0)
        std = float(np.sqrt(_variance(v, residual, tau, identified, cell, c, g)))
        rows = []
        for h in np.unique(horizon[identified]):
            chosen = identified & (horizon == h)
            target_h = np.where(chosen, w, 0.0) / w[chosen].sum()
            v_h = np.where(identified, target_h, _untreated_weights(target_h, u, t, w, d, control))
            v_h = np.where(used, v_h, 0.0)
            value = float(target_h @ tau)
            s = float(np.sqrt(_variance(v_h, residual, tau, identified, cell, c, g)))
            rows.append(
                {
                    "relative_year": int(h),
                    "estimate": value,
                    "std_error": s,
                    "ci_low": value - crit * s,
                    "ci_high": value + crit * s,
                    "treated_observations": int(chosen.sum()),
                }
            )
        path = pd.DataFrame(rows)
        if reps:
            details["bootstrap_std_error"] = _bootstrap(y, d, u, t, c, w, g, reps, seed, control)
            details["bootstrap_reps"] = reps
    return effect(
        "imputation", estimate, std, n=len(y), n_clusters=g, se_method="BJS analytic", details=details, path=path
    )


def _bootstrap(y, d, u, t, c, w, g, reps, seed, control) -> float:
    rng = np.random.default_rng(seed)
    order = np.argsort(c, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(c, minlength=g))[:-1])  # row indices of each cluster
    draws = []
    for _ in range(reps):  # each replicate refits the effects: a loop over replicates, by necessity
        pick = rng.integers(0, g, g)
        rows = np.concatenate([members[k] for k in pick])
        # a cluster drawn twice contributes two copies: give each copy its own unit code
        copy = np.repeat(np.arange(g), [members[k].size for k in pick])
        unit = pd.factorize(u[rows] * g + copy)[0]
        draws.append(att(y[rows], d[rows], unit, t[rows], w[rows], control))
    return float(np.std(draws, ddof=1))
