"""Diagnostics that come with every effect estimate on observational data.

* :func:`balance`: covariate means, standardized mean differences and variance ratios of treated and
  untreated units, before and after adjustment (weights from weighting or matching);
* :func:`balance_test`: one joint test that the adjusted covariate means are equal;
* :func:`overlap` and :func:`trim`: the propensity-score ranges and the usual trimming rules;
* :func:`att_weights`: the untreated units' weights implied by IPW (odds) or by matching;
* :func:`e_value` and :func:`rosenbaum_bounds`: how strong unobserved confounding would have to be.

Example: one covariate, means 2 and 1, both variances 1 (ddof 1): the standardized difference is 1.

>>> import pandas as pd
>>> d = pd.DataFrame({"x": [1.0, 2, 3, 0, 1, 2], "d": [1, 1, 1, 0, 0, 0]})
>>> balance(d, "d", ["x"])[["covariate", "smd", "variance_ratio"]].to_dict("records")
[{'covariate': 'x', 'smd': 1.0, 'variance_ratio': 1.0}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EstimationError

__all__ = ["balance", "balance_test", "overlap", "trim", "att_weights", "e_value", "rosenbaum_bounds"]


def _columns(data: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Covariates as float columns; categorical ones as one indicator per level."""
    parts = []
    for name in covariates:
        column = data[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            dummies = pd.get_dummies(column.astype(str), prefix=name, prefix_sep="=", dtype=float)
            parts.append(dummies)
        else:
            parts.append(column.astype(np.float64).rename(name))
    return pd.concat(parts, axis=1)


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = w.sum()
    mean = (w[:, None] * x).sum(axis=0) / total
    # reliability-weighted unbiased variance (equals ddof=1 when all weights are 1)
    var = (w[:, None] * (x - mean) ** 2).sum(axis=0) / (total - (w**2).sum() / total)
    return mean, var


def balance(data: pd.DataFrame, treatment: str, covariates: list[str], weights: object = None) -> pd.DataFrame:
    """Balance table: one row per covariate (categorical ones per level).

    Columns ``mean_treated``, ``mean_untreated``, ``smd`` (difference over the pooled standard deviation
    ``sqrt((s1² + s0²) / 2)`` of the unadjusted groups), ``variance_ratio`` (treated over untreated); with
    ``weights`` (one per row; treated rows normally 1) the same after adjustment with suffix ``_adjusted``,
    on the same denominator so that the two are comparable.
    """
    x = _columns(data, covariates)
    d = data[treatment].to_numpy(dtype=float)
    t, c = d == 1, d == 0
    values = x.to_numpy()
    m1, v1 = _weighted_mean_var(values[t], np.ones(t.sum()))
    m0, v0 = _weighted_mean_var(values[c], np.ones(c.sum()))
    pooled = np.sqrt((v1 + v0) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "covariate": x.columns,
                "mean_treated": m1,
                "mean_untreated": m0,
                "smd": (m1 - m0) / pooled,
                "variance_ratio": v1 / v0,
            }
        )
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            a1, b1 = _weighted_mean_var(values[t], w[t])
            a0, b0 = _weighted_mean_var(values[c & (w > 0)], w[c & (w > 0)])
            table["mean_untreated_adjusted"] = a0
            table["smd_adjusted"] = (a1 - a0) / pooled
            table["variance_ratio_adjusted"] = b1 / b0
    return table


def balance_test(
    data: pd.DataFrame, treatment: str, covariates: list[str], weights: object = None, cluster: str | None = None
) -> dict[str, float]:
    """Joint test that all (weighted) covariate means are equal between groups.

    The treatment is regressed on the covariates by weighted least squares; with balanced weighted means
    every slope is zero. Returns the F statistic, its degrees of freedom and p-value (robust: HC1, or
    clustered by ``cluster``).
    """
    import statsmodels.api as sm

    x = _columns(data, covariates)
    x = x.loc[:, x.std() > 0]
    design = sm.add_constant(x.to_numpy(), has_constant="add")
    # drop indicator columns made redundant by the constant (one level per categorical)
    rank_keep = []
    for j in range(design.shape[1]):
        trial = rank_keep + [j]
        if np.linalg.matrix_rank(design[:, trial]) == len(trial):
            rank_keep.append(j)
    design = design[:, rank_keep]
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    model = sm.WLS(data[treatment].to_numpy(dtype=float)[keep], design[keep], weights=w[keep])
    if cluster:
        groups = pd.factorize(data.loc[keep, cluster])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        fit = model.fit(cov_type="HC1")
    k = design.shape[1] - 1
    restriction = np.eye(design.shape[1])[1:]
    test = fit.f_test(restriction)
    return {"f_statistic": float(np.squeeze(test.fvalue)), "df": k, "p_value": float(test.pvalue)}


def att_weights(treatment: object, score: object = None, *, matches: list[np.ndarray] | None = None) -> np.ndarray:
    """Weights that make the untreated look like the treated: odds ``e/(1-e)`` (IPW), or from ``matches``
    (each untreated unit counts ``sum 1/|J(i)|`` over the treated units that use it). Treated units get 1
    (0 when matching left them unmatched)."""
    d = np.asarray(treatment, dtype=float)
    w = np.zeros(d.size)
    if matches is not None:
        treated, control = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
        for i, m in zip(treated, matches, strict=True):
            if m.size:
                w[i] = 1.0
                np.add.at(w, control[m], 1.0 / m.size)
        return w
    if score is None:
        raise EstimationError("att_weights needs a propensity score or matches")
    e = np.asarray(score, dtype=float)
    return np.where(d == 1, 1.0, e / (1 - e))


def overlap(score: object, treatment: object) -> pd.DataFrame:
    """Propensity-score range by group and how many units each trimming rule would remove."""
    e = np.asarray(score, dtype=float)
    d = np.asarray(treatment, dtype=float)
    rows = []
    for group, mask in (("treated", d == 1), ("untreated", d == 0)):
        rows.append(
            {
                "group": group,
                "n": int(mask.sum()),
                "min": float(e[mask].min()),
                "median": float(np.median(e[mask])),
                "max": float(e[mask].max()),
                "outside_common_support": int((~trim(e, d, "common_support") & mask).sum()),
                "outside_0.1_0.9": int((~trim(e, d, "crump") & mask).sum()),
            }
        )
    return pd.DataFrame(rows)


def trim(score: object, treatment: object, rule: str = "crump") -> np.ndarray:
    """Mask of units kept: ``crump`` keeps 0.1 <= e <= 0.9 (Crump et al. 2009); ``common_support`` keeps
    scores inside both groups' ranges."""
    e = np.asarray(score, dtype=float)
    d = np.asarray(treatment, dtype=float)
    if rule == "crump":
        return (e >= 0.1) & (e <= 0.9)
    if rule == "common_support":
        low = max(e[d == 1].min(), e[d == 0].min())
        high = min(e[d == 1].max(), e[d == 0].max())
        return (e >= low) & (e <= high)
    raise EstimationError(f"rule must be 'crump' or 'common_support'; got {rule!r}")


def e_value(estimate: float, ci_low: float, ci_high: float, sd: float) -> dict[str, float]:
    """E-values (VanderWeele and Ding 2017) for a difference in means of a continuous outcome.

    The standardized difference ``estimate / sd`` is turned into an approximate risk ratio
    ``exp(0.91 d)``; the E-value ``RR + sqrt(RR (RR - 1))`` is the strength of association (risk-ratio
    scale) an unobserved confounder would need with both treatment and outcome to explain the estimate
    away; for the interval, the bound nearer the null (1 if the interval contains 0).

    Half a standard deviation: RR = exp(0.455) = 1.5762, E = 1.5762 + sqrt(1.5762 × 0.5762) = 2.5291.

    >>> round(e_value(0.5, 0.1, 0.9, 1.0)["e_value"], 4)
    2.5291
    """

    def one(value: float) -> float:
        rr = float(np.exp(0.91 * abs(value) / sd))
        return rr + float(np.sqrt(rr * (rr - 1)))

    if ci_low <= 0 <= ci_high:
        bound = 1.0
    else:
        bound = one(min(abs(ci_low), abs(ci_high)))
    return {"e_value": one(estimate), "e_value_ci": bound}


def rosenbaum_bounds(differences: object, gammas: object = (1, 1.25, 1.5, 2, 2.5, 3)) -> pd.DataFrame:
    """Upper bound of the one-sided p-value of Wilcoxon's signed-rank test on matched-pair differences
    (treated minus matched untreated) if hidden bias could change the odds of treatment within a pair by
    up to ``gamma`` (Rosenbaum 2002, normal approximation; zero differences dropped, ties mid-ranked)."""
    diff = np.asarray(differences, dtype=float)
    diff = diff[diff != 0]
    s = diff.size
    if s == 0:
        raise EstimationError("all matched-pair differences are zero; nothing to bound")
    ranks = stats.rankdata(np.abs(diff))
    t_plus = float(ranks[diff > 0].sum())
    rows = []
    for gamma in np.asarray(gammas, dtype=float):
        p = gamma / (1 + gamma)
        mean = p * ranks.sum()
        var = p * (1 - p) * (ranks**2).sum()
        rows.append({"gamma": gamma, "p_upper": float(stats.norm.sf((t_plus - mean) / np.sqrt(var)))})
    return pd.DataFrame(rows)
