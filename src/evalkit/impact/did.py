"""Difference-in-differences on a household panel, with unit and time effects absorbed (never dummies).

:func:`did` is the one entry point: ``method="twfe"`` (two-way fixed effects), ``"event_study"``
(leads and lags around each unit's first treated year), ``"imputation"`` (Borusyak–Jaravel–Spiess: unit
and year effects fitted on untreated observations only, treated outcomes compared with their imputed
untreated values, robust to staggered adoption with heterogeneous effects) or ``"naive"`` (treated minus
untreated means in treated years). Fixed effects are removed by alternating projections (exact in one
pass on a balanced panel), so 4,000 households × 6 years take milliseconds, not the minutes and gigabytes
that ``C(unit)`` dummies need.

Memory: the whole panel is held in memory (a few float columns per row: 1e6 household-years take tens of
MB; a national panel of 1.8e8 rows does not fit a laptop). For national data, estimate within provinces,
or on a sample of villages (clusters) with weights, or with a library built for absorbing very large
panels (pyfixest's demeaning, linearmodels' ``AbsorbingLS``); the indicator summaries of
:mod:`evalkit.engines` need no such step.

Standard errors are clustered (``cluster``; default the unit): the sandwich
``(X'X)^-1 (sum_g X_g' e_g e_g' X_g) (X'X)^-1`` times ``G / (G - 1)``; for the imputation estimator,
Borusyak, Jaravel and Spiess's analytic (conservative) errors for the ATT and its event-time ``path``, with a
cluster bootstrap over ``reps`` resamples of clusters beside them in ``details`` (:mod:`evalkit.impact.imputation`).

Example (two units, two years, the second unit treated in year 2; effect 3 on top of a common trend 1):

>>> import pandas as pd
>>> d = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "y": [0.0, 1, 5, 9], "d": [0, 0, 0, 1]})
>>> round(did(d, "y", "d", "u", "t", se=False).estimate, 6)
3.0
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EstimationError
from evalkit.impact.effect import Effect, effect
from evalkit.impact.imputation import imputation
from evalkit.impact.staggered import callaway_santanna
from evalkit.results import critical_value

__all__ = ["did", "placebo", "demean", "METHODS"]

#: Estimators of :func:`did`.
METHODS = ("twfe", "event_study", "imputation", "callaway_santanna", "naive")


def demean(
    values: np.ndarray,
    unit: np.ndarray,
    time: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Remove unit and time means (weighted) from each column by alternating projections."""
    x = np.asarray(values, dtype=float)
    single = x.ndim == 1
    x = x[:, None] if single else x.copy()
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    nu, nt = int(unit.max()) + 1, int(time.max()) + 1
    wu = np.bincount(unit, weights=w, minlength=nu)
    wt = np.bincount(time, weights=w, minlength=nt)
    out = x - 0.0
    for _ in range(max_iter):
        previous = out.copy()
        for codes, sizes, k in ((unit, wu, nu), (time, wt, nt)):
            sums = np.stack(
                [np.bincount(codes, weights=w * out[:, j], minlength=k) for j in range(out.shape[1])], axis=1
            )
            out -= (sums / np.where(sizes > 0, sizes, 1)[:, None])[codes]
        if np.max(np.abs(out - previous)) < tol * max(1.0, np.max(np.abs(x))):
            break
    return out[:, 0] if single else out


def _cluster_vcov(x: np.ndarray, e: np.ndarray, clusters: np.ndarray, w: np.ndarray) -> np.ndarray:
    xw = x * w[:, None]
    bread = np.linalg.inv(xw.T @ x)
    scores = xw * e[:, None]
    g = int(clusters.max()) + 1
    sums = np.zeros((g, x.shape[1]))
    np.add.at(sums, clusters, scores)
    meat = sums.T @ sums
    return bread @ meat @ bread * (g / (g - 1))


def did(
    data: pd.DataFrame,
    outcome: str,
    treatment: str | None,
    unit: str,
    time: str,
    *,
    cluster: str | None = None,
    weights: str | None = None,
    method: str = "twfe",
    leads: int = 3,
    lags: int = 3,
    se: bool = True,
    reps: int | None = None,
    seed: int = 0,
    control: str = "not_yet",
    first_treated: str | None = None,
    covariates: list[str] | tuple[str, ...] = (),
    estimator: str = "dr",
    anticipation: int = 0,
    base_period: str = "varying",
    bootstrap: bool = False,
) -> Effect:
    """Effect of a 0/1 ``treatment`` (switched on from a unit's start year, staggered) on ``outcome``.

    Parameters
    ----------
    data
        One row per unit and time.
    outcome, treatment, unit, time, cluster, weights
        Column names (``cluster`` defaults to ``unit``). For ``callaway_santanna`` the treatment may be
        given instead as ``first_treated``, a column of each unit's first treated period (0 or missing:
        never treated), with ``treatment=None``.
    method
        ``twfe``, ``event_study``, ``imputation``, ``callaway_santanna`` or ``naive``.
    leads, lags
        Event-study window (relative years ``-leads .. lags``, ``-1`` the reference; ends binned).
    se
        Compute standard errors.
    reps, seed
        Replicates of the imputation estimator's cluster bootstrap (default 199; 0 for none) and draws of
        Callaway–Sant'Anna's multiplier bootstrap when ``bootstrap=True`` (default 999).
    control
        Comparison units of the heterogeneity-robust estimators: ``"not_yet"`` (never treated and not yet
        treated, the default) or ``"never"`` (never-treated units only). Two-way fixed effects, the event
        study and the naive comparison always use every untreated observation; asking them for
        ``"never"`` is an error rather than a silent no-op.
    first_treated, covariates, estimator, anticipation, base_period, bootstrap
        Callaway–Sant'Anna only (:func:`evalkit.impact.callaway_santanna`): covariates for conditional
        parallel trends with the ``dr``, ``ipw`` or ``reg`` cell estimator, periods of anticipation, the
        pre-period base (``varying`` or ``universal``) and the multiplier bootstrap (``reps`` draws) for
        uniform bands. The result's ``aggregate(...)`` gives the group, calendar and dynamic averages.

    Notes
    -----
    Rows with a missing value in a used column are left out; their number is reported in
    ``details["rows_dropped_missing"]`` (never silently).
    """
    if method not in METHODS:
        raise EstimationError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if control not in ("never", "not_yet"):
        raise EstimationError(f"control must be 'never' or 'not_yet'; got {control!r}")
    if control == "never" and method not in ("imputation", "callaway_santanna"):
        raise EstimationError(f"control='never' applies to method='imputation' or 'callaway_santanna', not {method!r}")
    covariates = list(covariates)
    named = (outcome, treatment, unit, time, cluster, weights, first_treated, *covariates)
    missing = [c for c in named if c is not None and c not in data]
    if missing:
        raise EstimationError(f"columns not in the data: {', '.join(missing)}")
    if method == "callaway_santanna":
        columns = [outcome, treatment, unit, time, cluster or unit, weights, *covariates]
        checked = list(dict.fromkeys(c for c in columns if c is not None))
        used = data[list(dict.fromkeys([*checked, first_treated] if first_treated else checked))]
        complete = used[used[checked].notna().all(axis=1).to_numpy()]
        # a missing first_treated means never treated, not a missing value: those rows are kept
        result = callaway_santanna(
            complete,
            outcome,
            treatment,
            unit,
            time,
            first_treated=first_treated,
            covariates=covariates,
            estimator=estimator,
            weights=weights,
            cluster=cluster,
            control=control,
            anticipation=anticipation,
            base_period=base_period,
            bootstrap=bootstrap,
            reps=999 if reps is None else reps,
            seed=seed,
        )
        return _with_dropped(result, len(used) - len(complete))
    if treatment is None:
        raise EstimationError(f"method={method!r} needs a 0/1 treatment column; first_treated is for callaway_santanna")
    ignored = {"first_treated": first_treated, "covariates": covariates, "anticipation": anticipation}
    given = [k for k, v in ignored.items() if v] + (["base_period"] if base_period != "varying" else [])
    if given or bootstrap:
        raise EstimationError(f"{', '.join(given or ['bootstrap'])} apply to method='callaway_santanna' only")
    used = data[[c for c in dict.fromkeys([outcome, treatment, unit, time, cluster or unit, weights]) if c]]
    frame = used.dropna()
    result = _dispatch(
        frame,
        outcome,
        treatment,
        unit,
        time,
        cluster,
        weights,
        method,
        leads,
        lags,
        se,
        199 if reps is None else reps,
        seed,
        control,
    )
    return _with_dropped(result, len(used) - len(frame))


def _with_dropped(result: Effect, dropped: int) -> Effect:
    return replace(result, details={**result.details, "rows_dropped_missing": dropped})


def _dispatch(frame, outcome, treatment, unit, time, cluster, weights, method, leads, lags, se, reps, seed, control):
    y = frame[outcome].to_numpy(dtype=float)
    d = frame[treatment].astype(float).to_numpy()
    u = pd.factorize(frame[unit])[0]
    t = pd.factorize(frame[time], sort=True)[0]
    c = pd.factorize(frame[cluster or unit])[0]
    w = frame[weights].to_numpy(dtype=float) if weights else np.ones(len(frame))
    g = int(c.max()) + 1
    if method == "naive":
        return _naive(y, d, u, t, c, w, g)
    if method == "imputation":
        return imputation(y, d, u, t, c, w, g, se=se, reps=reps, seed=seed, control=control)
    if method == "event_study":
        return _event_study(frame, y, d, u, t, c, w, g, time, leads, lags, se)
    x = demean(d, u, t, w)[:, None]
    if float((w * x[:, 0] ** 2).sum()) <= 1e-12 * max(1.0, float((w * d**2).sum())):
        raise EstimationError(
            f"column {treatment!r} does not vary within units over time once unit and time effects are removed; "
            "there is no before/after contrast to estimate"
        )
    yd = demean(y, u, t, w)
    beta = np.linalg.lstsq(x * np.sqrt(w)[:, None], yd * np.sqrt(w), rcond=None)[0]
    e = yd - x @ beta
    std = float(np.sqrt(_cluster_vcov(x, e, c, w)[0, 0])) if se else float("nan")
    return effect("twfe", float(beta[0]), std, n=len(y), n_clusters=g, se_method="cluster-robust")


def _naive(y, d, u, t, c, w, g) -> Effect:
    """Treated minus untreated mean outcome, in the years where some unit is treated."""
    years = np.unique(t[d > 0])
    keep = np.isin(t, years)
    x = np.column_stack([np.ones(keep.sum()), d[keep]])
    wk = w[keep]
    beta = np.linalg.lstsq(x * np.sqrt(wk)[:, None], y[keep] * np.sqrt(wk), rcond=None)[0]
    e = y[keep] - x @ beta
    ck = pd.factorize(c[keep])[0]
    gk = int(ck.max()) + 1
    std = float(np.sqrt(_cluster_vcov(x, e, ck, wk)[1, 1]))
    return effect("naive", float(beta[1]), std, n=int(keep.sum()), n_clusters=gk, se_method="cluster-robust")


def _start(d: np.ndarray, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each observation's unit start period (first treated period), or -1 for never-treated units."""
    first = np.full(int(u.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, u[d > 0], t[d > 0])
    start = first[u]
    return np.where(start == np.iinfo(np.int64).max, -1, start)


def _event_study(frame, y, d, u, t, c, w, g, time_name, leads, lags, se) -> Effect:
    start = _start(d, u, t)
    rel = np.where(start >= 0, t - start, np.nan)
    binned = np.clip(rel, -leads, lags)
    ks = [k for k in range(-leads, lags + 1) if k != -1]
    x = np.column_stack([(binned == k).astype(float) for k in ks])
    keep_cols = x.sum(axis=0) > 0
    x, ks = x[:, keep_cols], [k for k, kept in zip(ks, keep_cols, strict=True) if kept]
    xd = demean(x, u, t, w)
    yd = demean(y, u, t, w)
    beta = np.linalg.lstsq(xd * np.sqrt(w)[:, None], yd * np.sqrt(w), rcond=None)[0]
    e = yd - xd @ beta
    vcov = _cluster_vcov(xd, e, c, w) if se else np.full((len(ks), len(ks)), np.nan)
    std = np.sqrt(np.diag(vcov))
    half = critical_value(0.95, g - 1) * std
    path = pd.DataFrame(
        {"relative_year": ks, "estimate": beta, "std_error": std, "ci_low": beta - half, "ci_high": beta + half}
    )
    post = [i for i, k in enumerate(ks) if k >= 0]
    weights_post = np.array([((binned == ks[i]) * w).sum() for i in post])
    avg = float(weights_post @ beta[post] / weights_post.sum())
    grad = np.zeros(len(ks))
    grad[post] = weights_post / weights_post.sum()
    avg_se = float(np.sqrt(grad @ vcov @ grad)) if se else float("nan")
    pre = [i for i, k in enumerate(ks) if k < -1]
    details: dict[str, object] = {}
    if pre and se:
        b, v = beta[pre], vcov[np.ix_(pre, pre)]
        wald = float(b @ np.linalg.solve(v, b))
        details["pretrend_p_value"] = float(stats.f.sf(wald / len(pre), len(pre), g - 1))
    return effect(
        "event_study", avg, avg_se, n=len(y), n_clusters=g, se_method="cluster-robust", details=details, path=path
    )


def placebo(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    *,
    shift: int = 2,
    cluster: str | None = None,
    method: str = "twfe",
) -> Effect:
    """Placebo test: move every treated unit's start ``shift`` periods earlier and estimate on untreated
    observations only (treated units before their real start, and never-treated units). With parallel
    trends the placebo effect is zero; a clear non-zero estimate warns that the design is not credible.

    >>> d = pd.DataFrame({"u": [1] * 4 + [2] * 4, "t": [1, 2, 3, 4] * 2,
    ...                   "y": [0.0, 1, 2, 8, 5, 6, 7, 8], "d": [0, 0, 0, 1, 0, 0, 0, 0]})
    >>> round(placebo(d, "y", "d", "u", "t", shift=1).estimate, 6)
    0.0
    """
    starts = data.loc[data[treatment] > 0].groupby(unit)[time].min()
    start = data[unit].map(starts)
    before = data.loc[start.isna() | (data[time] < start)].copy()
    fake_start = before[unit].map(starts) - shift
    before["_placebo"] = (fake_start.notna() & (before[time] >= fake_start)).astype(int)
    if before["_placebo"].sum() == 0:
        raise EstimationError(f"no observation falls in the placebo window; use a smaller shift than {shift}")
    result = did(before, outcome, "_placebo", unit, time, cluster=cluster, method=method)
    return replace(result, method=f"placebo_{method}", details={**result.details, "shift": shift})
