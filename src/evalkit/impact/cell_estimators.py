"""Two-period difference-in-differences on panel data with covariates: outcome regression, inverse
probability weighting and the doubly robust estimator (Sant'Anna and Zhao 2020), each with its
influence function, including the estimation of the regression and of the propensity score.

These are the building blocks of each Callaway–Sant'Anna cell (:mod:`evalkit.impact.staggered`). Given
each unit's outcome change ``dy``, its treatment ``d`` (1 for the cohort, 0 for its comparison units),
covariates ``x`` (first column the intercept) and sampling weights ``w`` (normalized here to mean 1):

* ``reg``: the change predicted for the treated from a weighted regression of ``dy`` on ``x`` among the
  comparison units, ``ATT = mean_treated(dy - x'b)``;
* ``ipw``: comparison units weighted by the odds ``p(x) / (1 - p(x))`` of a weighted logit, with
  normalized (Hájek) weights;
* ``dr``: both, ``ATT = mean_treated(dy - x'b) - odds-weighted mean_comparison(dy - x'b)``, consistent
  when either model is right.

Comparison units whose propensity score is 0.995 or more get no weight (as R's DRDID trims them), and
scores are capped below 1. Without covariates (``x`` the intercept alone) all three are the difference in
mean changes.

>>> dy = np.array([3.0, 5.0, 1.0, 2.0]); d = np.array([1.0, 1.0, 0.0, 0.0])
>>> att, _ = estimate_cell(dy, d, np.ones((4, 1)), np.ones(4), "dr")
>>> att  # (3 + 5) / 2 - (1 + 2) / 2
2.5
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from evalkit.errors import EstimationError

__all__ = ["ESTIMATORS", "estimate_cell", "logit"]

#: Estimators of a two-period cell.
ESTIMATORS = ("dr", "ipw", "reg")
_TRIM = 0.995


def logit(x: np.ndarray, d: np.ndarray, w: np.ndarray, iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic regression by Newton's method: fitted probabilities and ``(X' W V X)^-1``."""
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = expit(x @ beta)
        hessian = x.T @ ((w * p * (1 - p))[:, None] * x)
        step = np.linalg.solve(hessian, x.T @ (w * (d - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise EstimationError("the propensity-score logit did not converge; check the covariates for separation")
    p = expit(x @ beta)
    return p, np.linalg.inv(x.T @ ((w * p * (1 - p))[:, None] * x))


def _ols(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    gram = x.T @ (w[:, None] * x)
    if np.linalg.matrix_rank(gram) < x.shape[1]:
        raise EstimationError("the covariates are collinear among the comparison units of a cell")
    return np.linalg.solve(gram, x.T @ (w * y))


def estimate_cell(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray, estimator: str
) -> tuple[float, np.ndarray]:
    """ATT of a two-period cell and each unit's influence value (so that ``sd(inf) / sqrt(n)`` is the
    standard error)."""
    if estimator not in ESTIMATORS:
        raise EstimationError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {estimator!r}")
    n = dy.size
    w = w / w.mean()
    control = 1.0 - d
    w_treat = w * d
    mean_treat = w_treat.mean()
    if estimator == "reg":
        b = _ols(x[control > 0], dy[control > 0], w[control > 0])
        fitted = x @ b
        eta_treat = (w_treat * dy).mean() / mean_treat
        eta_cont = (w_treat * fitted).mean() / mean_treat
        ols_rep = _ols_representation(x, dy - fitted, w * control, n)
        inf_treat = (w_treat * dy - w_treat * eta_treat) / mean_treat
        inf_cont = (w_treat * fitted - w_treat * eta_cont + ols_rep @ (w_treat[:, None] * x).mean(axis=0)) / mean_treat
        return float(eta_treat - eta_cont), inf_treat - inf_cont

    p, vcov = logit(x, d, w)
    p = np.minimum(p, 1 - 1e-6)
    keep = np.where(control > 0, p < _TRIM, True)
    w_cont = keep * w * p * control / (1 - p)
    mean_cont = w_cont.mean()
    ps_rep = (w * (d - p))[:, None] * x @ (vcov * n)
    if estimator == "ipw":
        eta_treat = (w_treat * dy).mean() / mean_treat
        eta_cont = (w_cont * dy).mean() / mean_cont
        inf_treat = (w_treat * dy - w_treat * eta_treat) / mean_treat
        m2 = (w_cont * (dy - eta_cont))[:, None] * x
        inf_cont = (w_cont * dy - w_cont * eta_cont + ps_rep @ m2.mean(axis=0)) / mean_cont
        return float(eta_treat - eta_cont), inf_treat - inf_cont

    b = _ols(x[control > 0], dy[control > 0], w[control > 0])
    residual = dy - x @ b
    eta_treat = (w_treat * residual).mean() / mean_treat
    eta_cont = (w_cont * residual).mean() / mean_cont
    ols_rep = _ols_representation(x, residual, w * control, n)
    inf_treat = (w_treat * residual - w_treat * eta_treat - ols_rep @ (w_treat[:, None] * x).mean(axis=0)) / mean_treat
    m2 = ((w_cont * (residual - eta_cont))[:, None] * x).mean(axis=0)
    m3 = (w_cont[:, None] * x).mean(axis=0)
    inf_cont = (w_cont * residual - w_cont * eta_cont + ps_rep @ m2 - ols_rep @ m3) / mean_cont
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def _ols_representation(x: np.ndarray, residual: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Asymptotic linear representation of the weighted least-squares coefficients (one row per unit)."""
    gram = (weights[:, None] * x).T @ x / n
    return (weights * residual)[:, None] * x @ np.linalg.inv(gram)
