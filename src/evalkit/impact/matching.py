"""Nearest-neighbour matching on a score, for the average effect on the treated, with Abadie–Imbens errors.

Each treated unit is matched to its ``neighbours`` nearest untreated units on ``score`` (usually the logit
of the propensity score), within ``caliper`` if given; with replacement an untreated unit may serve many
treated units, without replacement each serves at most one (greedy, treated units with the highest score
first, since they are the hardest to match). Treated units with no untreated unit within the caliper are
left out and counted: the estimate is then the effect on the matched treated.

Standard error: Abadie and Imbens (2006) for the population effect on the treated,

    V = (1/N1²) [ Σ_treated (Y_i − Ŷ0_i − τ)² + Σ_untreated (K_j² − K'_j) σ²_j ],

where ``K_j`` sums ``1/|J(i)|`` over the treated units ``i`` that use ``j``, ``K'_j`` sums ``1/|J(i)|²``,
and ``σ²_j`` is estimated by matching ``j`` to its ``variance_neighbours`` nearest other untreated units.
The score is taken as given (the correction for an estimated propensity score of Abadie and Imbens 2016
is not applied; it usually makes the error smaller, so this one is conservative). Units are assumed
independent; clustered data need another estimator.

Example (worked by hand in the tests): two treated units at 0.25 and 0.35 both match the untreated unit
at 0.3, so τ = ((10 − 3) + (14 − 3)) / 2 = 9.

>>> import numpy as np
>>> r = match_att([10, 14, 1, 3, 7], [1, 1, 0, 0, 0], [0.25, 0.35, 0.0, 0.3, 0.9], variance_neighbours=1)
>>> r.estimate, round(r.std_error ** 2, 10)
(9.0, 3.0)
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import EstimationError
from evalkit.impact.effect import Effect, effect

__all__ = ["match_att", "nearest"]


def _candidates(sorted_scores: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Indices (into the sorted array) of the ``k`` nearest sorted scores to each target (ties: lower index)."""
    n = sorted_scores.size
    k = min(k, n)
    position = np.searchsorted(sorted_scores, targets)
    window = np.arange(-k, k)[None, :] + position[:, None]
    window = np.clip(window, 0, n - 1)
    distance = np.abs(sorted_scores[window] - targets[:, None])
    # de-duplicate clipped positions by pushing repeats to infinity
    repeated = np.zeros_like(distance, dtype=bool)
    repeated[:, 1:] = window[:, 1:] == window[:, :-1]
    distance = np.where(repeated, np.inf, distance)
    order = np.lexsort((window, distance), axis=1)[:, :k]
    return np.take_along_axis(window, order, axis=1)


def nearest(
    score_treated: np.ndarray,
    score_control: np.ndarray,
    *,
    neighbours: int = 1,
    caliper: float | None = None,
    replace: bool = True,
) -> list[np.ndarray]:
    """For each treated unit, the indices of its matched untreated units (empty when none is within caliper)."""
    st = np.asarray(score_treated, dtype=float)
    sc = np.asarray(score_control, dtype=float)
    order = np.argsort(sc, kind="stable")
    sorted_c = sc[order]
    if replace:
        picks = order[_candidates(sorted_c, st, neighbours)]
        out = []
        for i, row in enumerate(picks):
            keep = row if caliper is None else row[np.abs(sc[row] - st[i]) <= caliper]
            out.append(np.asarray(keep, dtype=int))
        return out
    if neighbours * st.size > sc.size:
        raise EstimationError(
            f"matching without replacement needs at least {neighbours * st.size} untreated units, "
            f"there are {sc.size}; match with replacement or use fewer neighbours"
        )
    used = np.zeros(sc.size, dtype=bool)
    out: list[np.ndarray] = [np.empty(0, dtype=int)] * st.size
    for i in np.argsort(-st, kind="stable"):  # hardest to match first
        chosen: list[int] = []
        position = int(np.searchsorted(sorted_c, st[i]))
        left, right = position - 1, position
        while len(chosen) < neighbours:
            while left >= 0 and used[order[left]]:
                left -= 1
            while right < sorted_c.size and used[order[right]]:
                right += 1
            d_left = st[i] - sorted_c[left] if left >= 0 else np.inf
            d_right = sorted_c[right] - st[i] if right < sorted_c.size else np.inf
            if not np.isfinite(min(d_left, d_right)):
                break
            take_left = d_left <= d_right
            distance = d_left if take_left else d_right
            if caliper is not None and distance > caliper:
                break
            j = order[left] if take_left else order[right]
            used[j] = True
            chosen.append(int(j))
        out[i] = np.asarray(chosen, dtype=int)
    return out


def match_att(
    outcome: object,
    treatment: object,
    score: object,
    *,
    neighbours: int = 1,
    caliper: float | None = None,
    replace: bool = True,
    variance_neighbours: int = 2,
) -> Effect:
    """Matching estimate of the effect on the treated with its Abadie–Imbens standard error.

    Parameters
    ----------
    outcome, treatment, score
        One value per unit (treatment 0/1); matching is on ``score``.
    neighbours
        Untreated matches per treated unit.
    caliper
        Largest allowed score distance (same units as ``score``); None for no limit.
    replace
        Match with replacement.
    variance_neighbours
        Untreated neighbours used to estimate each untreated unit's outcome variance.

    Returns
    -------
    Effect
        ``method="match"``; ``details`` hold the matched and unmatched treated counts and the number of
        distinct untreated units used. ``details["pairs"]`` is not stored; see :func:`nearest`.
    """
    y = np.asarray(outcome, dtype=np.float64)
    d = np.asarray(treatment, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    treated, control = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
    if treated.size == 0 or control.size == 0:
        raise EstimationError("matching needs both treated and untreated units")
    matches = nearest(s[treated], s[control], neighbours=neighbours, caliper=caliper, replace=replace)
    matched = np.array([m.size > 0 for m in matches])
    if not matched.any():
        raise EstimationError("no treated unit has an untreated unit within the caliper; widen the caliper")
    yc = y[control]
    y0_hat = np.array([yc[m].mean() if m.size else np.nan for m in matches])
    effects = y[treated][matched] - y0_hat[matched]
    tau = float(effects.mean())
    n1 = int(matched.sum())
    k = np.zeros(control.size)
    k2 = np.zeros(control.size)
    for m in (m for m in matches if m.size):
        np.add.at(k, m, 1.0 / m.size)
        np.add.at(k2, m, 1.0 / m.size**2)
    # outcome variance of each used untreated unit from its nearest other untreated units
    used = np.flatnonzero(k > 0)
    sigma2 = np.zeros(control.size)
    if used.size and control.size > 1:
        j = min(variance_neighbours, control.size - 1)
        others = nearest(s[control][used], s[control], neighbours=j + 1, replace=True)
        for row, unit in zip(others, used, strict=True):
            peers = row[row != unit][:j]
            sigma2[unit] = j / (j + 1) * (yc[unit] - yc[peers].mean()) ** 2
    variance = (np.sum((effects - tau) ** 2) + np.sum((k**2 - k2) * sigma2)) / n1**2
    se = float(np.sqrt(variance))
    details = {
        "matched_treated": n1,
        "unmatched_treated": int((~matched).sum()),
        "controls_used": int(used.size),
        "replace": replace,
        "neighbours": neighbours,
        "caliper": caliper if caliper is not None else float("nan"),
    }
    n = n1 + int(used.size)
    return effect("match", tau, se, n=n, n_clusters=n, se_method="Abadie-Imbens", details=details)
