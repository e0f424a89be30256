"""Average effect on the treated from one cross-section (or a change between two periods) with covariates.

:func:`att` is the entry point, with ``method``:

* ``diff``: treated minus untreated mean (no adjustment; the naive comparison);
* ``ols``: regression adjustment, an outcome model fitted on the untreated predicts each treated unit's
  untreated outcome;
* ``ipw``: inverse-probability weighting for the treated, untreated units weighted by the odds
  ``e(x) / (1 - e(x))`` of a logistic propensity score (normalized weights);
* ``aipw``: doubly robust, the weighted untreated residuals of the outcome model correct the regression
  adjustment; consistent if either the outcome or the propensity model is right;
* ``match``: nearest-neighbour matching on the logit of the propensity score, with or without
  replacement, within a caliper in standard deviations of that logit (:mod:`evalkit.impact.matching`,
  Abadie–Imbens standard errors).

For a difference-in-differences with covariates pass the change of the outcome between a pre-treatment
and a post-treatment period as ``outcome`` (the doubly robust DiD of Sant'Anna and Zhao, panel case).

Standard errors: the two-sample formula for ``diff`` (clustered by summing each unit's influence within
clusters); Abadie–Imbens for ``match`` (independent units); a cluster bootstrap that refits both models
for the others (``reps`` resamples of whole clusters; a loop is unavoidable because every replicate
refits the models).

Integer columns of any width are converted to float before any arithmetic, so int8 data cannot overflow.

Example: two treated (outcome 3 and 5) and two untreated units (1 and 2):

>>> import pandas as pd
>>> d = pd.DataFrame({"y": [3, 5, 1, 2], "d": [1, 1, 0, 0]}, dtype="int8")
>>> att(d, "y", "d").estimate
2.5
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evalkit.errors import EstimationError
from evalkit.impact.effect import Effect, effect
from evalkit.impact.matching import match_att

__all__ = ["att", "propensity", "ATT_METHODS"]

#: Estimators of :func:`att`.
ATT_METHODS = ("diff", "ols", "ipw", "aipw", "match")


def _design(data: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Constant, numeric covariates as float64 and categorical ones as indicators (first level dropped)."""
    parts = [np.ones((len(data), 1))]
    for name in covariates:
        column = data[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            dummies = pd.get_dummies(column.astype(str), drop_first=True, dtype=float)
            parts.append(dummies.to_numpy())
        else:
            parts.append(column.to_numpy(dtype=np.float64)[:, None])
    return np.hstack(parts)


def _logit(x: np.ndarray, d: np.ndarray, w: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """Weighted logistic regression by Newton's method; returns fitted probabilities."""
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (w * (d - p))
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))


def propensity(data: pd.DataFrame, treatment: str, covariates: list[str], weights: str | None = None) -> np.ndarray:
    """Logistic propensity score of ``treatment`` on ``covariates`` (numeric or categorical columns)."""
    w = np.ones(len(data)) if weights is None else data[weights].to_numpy(dtype=float)
    return _logit(_design(data, covariates), data[treatment].to_numpy(dtype=float), w)


def _estimate(y: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray, method: str) -> tuple[float, np.ndarray]:
    treated, control = d == 1, d == 0
    wt = w * treated
    if method == "diff":
        return float(wt @ y / wt.sum() - (w * control) @ y / (w * control).sum()), np.full(len(y), np.nan)
    fitted = np.zeros(len(y))
    if method in ("ols", "aipw"):
        sw = np.sqrt(w[control])
        coef = np.linalg.lstsq(x[control] * sw[:, None], y[control] * sw, rcond=None)[0]
        fitted = x @ coef
    if method == "ols":
        return float(wt @ (y - fitted) / wt.sum()), fitted
    score = _logit(x, d, w)
    odds = w * control * score / (1 - score)
    untreated_part = odds @ (y - fitted) / odds.sum()
    return float(wt @ (y - fitted) / wt.sum() - untreated_part), score


def att(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: list[str] | None = None,
    method: str = "diff",
    *,
    cluster: str | None = None,
    weights: str | None = None,
    reps: int = 199,
    seed: int = 0,
    neighbours: int = 1,
    caliper: float | None = None,
    replace: bool = True,
) -> Effect:
    """Average effect of a 0/1 ``treatment`` on the treated.

    Parameters
    ----------
    data
        One row per unit.
    outcome, treatment
        Column names (treatment coded 0/1).
    covariates
        Columns to adjust for (numeric, or categorical turned into indicators); required except for ``diff``.
    method
        ``diff``, ``ols``, ``ipw`` or ``aipw``.
    cluster, weights
        Cluster column for standard errors (default: each row) and sampling-weight column.
    reps, seed
        Cluster bootstrap for ``ols``, ``ipw`` and ``aipw``.
    neighbours, caliper, replace
        Matching: untreated matches per treated unit, the caliper in standard deviations of the logit
        propensity score (None: no caliper; 0.2 is a common choice), with or without replacement.

    Returns
    -------
    Effect
        ``estimate``, ``std_error``, ``conf_int()``, ``to_frame()``; ``se_method`` says how the standard
        error was obtained; ``details`` hold the counts of treated and untreated units and, for weighting
        methods, the propensity-score range among the untreated.
    """
    covariates = list(covariates or [])
    if method not in ATT_METHODS:
        raise EstimationError(f"method must be one of {', '.join(ATT_METHODS)}; got {method!r}")
    if method != "diff" and not covariates:
        raise EstimationError(f"method={method!r} needs covariates; pass covariates=[...] or use method='diff'")
    if method == "match" and (cluster or weights):
        raise EstimationError(
            "method='match' takes neither cluster nor weights (Abadie-Imbens errors assume independent units); "
            "use method='aipw' or 'ipw' with cluster=..."
        )
    names = list(dict.fromkeys([outcome, treatment, *covariates, *(c for c in (cluster, weights) if c)]))
    missing = [c for c in names if c not in data]
    if missing:
        raise EstimationError(f"columns not in the data: {', '.join(missing)}")
    used = data[names]
    frame = used.dropna()
    d = frame[treatment].to_numpy(dtype=float)
    if not np.isin(d, (0.0, 1.0)).all():
        raise EstimationError(f"column {treatment!r}: treatment must be coded 0/1")
    if d.sum() == 0 or d.sum() == len(d):
        raise EstimationError(f"column {treatment!r}: need both treated and untreated rows")
    y = frame[outcome].to_numpy(dtype=np.float64)
    w = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(dtype=float)
    x = _design(frame, covariates)
    c = pd.factorize(frame[cluster])[0] if cluster else np.arange(len(frame))
    g = int(c.max()) + 1
    if method == "match":
        score = _logit(x, d, w)
        logit = np.log(score / (1 - score))
        width = None if caliper is None else float(caliper) * float(np.std(logit, ddof=1))
        result = match_att(y, d, logit, neighbours=neighbours, caliper=width, replace=replace)
        extra = {
            "rows_dropped_missing": len(used) - len(frame),
            "treated": int(d.sum()),
            "untreated": int(len(d) - d.sum()),
        }
        return dataclasses.replace(result, details={**result.details, **extra})
    estimate, fitted = _estimate(y, d, x, w, method)
    details: dict[str, object] = {
        "treated": int(d.sum()),
        "untreated": int(len(d) - d.sum()),
        "rows_dropped_missing": len(used) - len(frame),
    }
    if method == "diff":
        treated, control = d == 1, d == 0
        wt, wc = w * treated, w * control
        m1, m0 = wt @ y / wt.sum(), wc @ y / wc.sum()
        influence = wt * (y - m1) / wt.sum() - wc * (y - m0) / wc.sum()
        sums = np.bincount(c, weights=influence, minlength=g)
        factor = g / (g - 1) if cluster else 1.0
        se = float(np.sqrt((sums**2).sum() * factor))
        se_method = "two-sample formula"
    else:
        if method in ("ipw", "aipw"):
            details["propensity_min_untreated"] = float(fitted[d == 0].min())
            details["propensity_max_untreated"] = float(fitted[d == 0].max())
        rng = np.random.default_rng(seed)
        order = np.argsort(c, kind="stable")
        members = np.split(order, np.cumsum(np.bincount(c, minlength=g))[:-1])
        draws = []
        for _ in range(reps):  # every replicate refits the models
            rows = np.concatenate([members[k] for k in rng.integers(0, g, g)])
            if 0 < d[rows].sum() < rows.size:
                draws.append(_estimate(y[rows], d[rows], x[rows], w[rows], method)[0])
        se = float(np.std(draws, ddof=1))
        details["bootstrap_reps"] = len(draws)
        se_method = "cluster bootstrap" if cluster else "bootstrap"
    return effect(method, estimate, se, n=len(frame), n_clusters=g, se_method=se_method, details=details)
