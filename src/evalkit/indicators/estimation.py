"""How every indicator turns incomes, a design and a statistic into an :class:`Estimate` with its standard
error: linearized (influence values and the design's variance), Rao–Wu cluster bootstrap, or the
design's own replicate weights; for the whole population or a domain (a subpopulation whose size is
itself estimated: zero influence outside it, the full design's variance).

Indicators are written once as a *statistic* over sorted incomes and a matrix of weights (one row per
replicate), so the bootstrap and replicate weights evaluate them without a Python loop over replicates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evalkit.indicators.design import Design
from evalkit.indicators.results import Estimate

__all__ = ["SE_METHODS", "prepare", "check_se", "domain_mask", "ratio_estimate", "unit_estimate", "spread"]

#: Ways to obtain an indicator's standard error (the ``se`` argument). ``auto`` is ``replicate`` when the
#: design carries replicate weights, else ``linearized`` where the indicator has an influence function here,
#: else ``bootstrap``.
SE_METHODS = ("auto", "linearized", "bootstrap", "replicate", "none")
_CHUNK = 100  # replicates evaluated at once for unit-level indicators (bounds memory)

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]
Influence = Callable[[np.ndarray, np.ndarray, float], np.ndarray]


def prepare(
    income: object, weights: object, strata: object, clusters: object, design: Design | None = None
) -> tuple[np.ndarray, Design]:
    """Incomes as a float array and the design (built from weights, strata and clusters, or given whole)."""
    y = np.asarray(income, dtype=float).ravel()
    if y.size == 0:
        raise ValueError("no observations")
    if np.any(~np.isfinite(y)):
        raise ValueError(
            f"income has {int((~np.isfinite(y)).sum())} missing or infinite values; drop or impute them first"
        )
    if design is None:
        design = Design.of(y.size, weights=weights, strata=strata, clusters=clusters)
    elif weights is not None or strata is not None or clusters is not None:
        raise ValueError("give either design or weights, strata and clusters, not both")
    elif design.n != y.size:
        raise ValueError(f"the design has {design.n} observations for {y.size} incomes")
    if design.weights.sum() <= 0:
        raise ValueError("weights sum to zero")
    return y, design


def check_se(se: str, design: Design | None = None) -> str:
    """The standard-error method to use (``auto`` resolved to ``replicate`` for replicate designs)."""
    if se not in SE_METHODS:
        raise ValueError(f"se must be one of {', '.join(SE_METHODS)}; got {se!r}")
    if se == "replicate" and design is not None and not design.has_replicates:
        raise ValueError("se='replicate' needs a design with replicate weights (Design.of(..., replicates=...))")
    if se == "auto" and design is not None and design.has_replicates:
        return "replicate"
    return se


def domain_mask(domain: object, n: int) -> np.ndarray | None:
    """A domain as a boolean mask over the observations (``None`` for the whole population)."""
    if domain is None:
        return None
    mask = np.asarray(domain)
    if mask.shape != (n,) or mask.dtype != bool:
        raise ValueError(f"domain must be a boolean mask with one value per observation ({n})")
    if not mask.any():
        raise ValueError("the domain has no observations")
    return mask


def _finite(name: str, values: np.ndarray) -> np.ndarray:
    """Replicate values, or an error saying that some replicates leave the domain without weight."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{name}: {int((~np.isfinite(values)).sum())} of {values.size} replicates leave the domain without "
            "weight; use se='linearized' or a larger domain"
        )
    return values


def spread(design: Design, se: str, values: np.ndarray, estimate: float) -> tuple[str, float]:
    """The standard error from replicate values: the design's replicate formula, or their standard deviation."""
    if se == "replicate":
        return "replicate", float(np.sqrt(design.replicate_variance(values, estimate)))
    return "bootstrap", float(np.std(values, ddof=1))


def ratio_estimate(
    name: str,
    u: np.ndarray,
    design: Design,
    se: str,
    reps: int,
    seed: int,
    details: dict[str, object],
    domain: np.ndarray | None = None,
) -> Estimate:
    """Estimate of sum(w u) / sum(w) over the domain with its standard error (mean of ``u``)."""
    inside = np.ones(u.size, dtype=bool) if domain is None else domain
    w = design.weights * inside
    total_w = w.sum()
    if total_w <= 0:
        raise ValueError("the domain's weights sum to zero")
    value = float(w @ u / total_w)
    method, std = "none", float("nan")
    if se in ("auto", "linearized"):
        method, std = "linearized", float(np.sqrt(design.variance(inside * (u - value) / total_w)))
    elif se == "replicate":
        assert design.replicates is not None
        rows = design.replicates
        method, std = spread(design, se, _finite(name, (rows @ (inside * u)) / (rows @ inside.astype(float))), value)
    elif se == "bootstrap":  # on cluster totals: one matrix product per total, no (replicates x n) matrix
        factors = design.replicate_factors(reps, seed)
        num = factors @ design.cluster_totals(inside * u)
        den = factors @ design.cluster_totals(inside.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            method, std = spread(design, se, _finite(name, num / den), value)
    return Estimate.on(design, name, value, std, method, details)


def unit_estimate(
    name: str,
    y: np.ndarray,
    design: Design,
    statistic: Statistic,
    influence: Influence | None,
    se: str,
    reps: int,
    seed: int,
    details: dict[str, object],
    domain: np.ndarray | None = None,
) -> Estimate:
    """An indicator computed from sorted incomes and a weight matrix (rows = replicates), over a domain.

    ``influence(ys, ws, value)`` gives the influence values of the sorted domain observations; they are
    zero outside the domain and the variance is the full design's.
    """
    inside = np.ones(y.size, dtype=bool) if domain is None else domain
    order = np.argsort(y, kind="stable")
    order = order[inside[order]]
    ys, ws = y[order], design.weights[order]
    if ws.sum() <= 0:
        raise ValueError("the domain's weights sum to zero")
    value = float(statistic(ys, ws[None, :])[0])
    method, std = "none", float("nan")
    if se == "linearized" and influence is None:
        raise ValueError(f"{name} has no linearized standard error here; use se='bootstrap' or 'auto'")
    if se in ("auto", "linearized") and influence is not None:
        z = np.zeros(y.size)
        z[order] = influence(ys, ws, value)
        method, std = "linearized", float(np.sqrt(design.variance(z)))
    elif se in ("auto", "bootstrap", "replicate"):
        kind = "bootstrap" if se == "auto" else se
        if kind == "replicate":
            assert design.replicates is not None
            rows = design.replicates[:, order]
        else:
            rows = design.replicate_factors(reps, seed)[:, design.clusters[order]] * ws[None, :]
        values = np.concatenate([statistic(ys, rows[i : i + _CHUNK]) for i in range(0, rows.shape[0], _CHUNK)])
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"{name}: {int((~np.isfinite(values)).sum())} of {values.size} {kind} replicates leave the domain "
                "without weight or the indicator undefined; use se='linearized' or a larger domain"
            )
        method, std = spread(design, kind, values, value)
    return Estimate.on(design, name, value, std, method, details)
