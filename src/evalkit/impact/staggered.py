"""Callaway–Sant'Anna group-time effects for staggered adoption, with influence-function standard errors.

A cohort ``g`` is the set of units first treated in period ``g``. For each cohort and period ``t`` the
group-time effect ``ATT(g, t)`` is the mean change of the cohort's outcome from a base period minus the
same change among comparison units:

* base period ``g - 1`` for ``t >= g`` (effects) and ``t - 1`` for ``t < g`` (placebo pre-periods, the
  "varying" base of the original paper);
* comparison units: never-treated units (``control="never"``), or units not yet treated by ``t``
  (``control="not_yet"``: never treated or first treated after ``t``, other than cohort ``g`` itself).

Aggregates are averages of the cells weighted by cohort size: ``simple`` over all post-treatment cells,
``event`` by periods since adoption. Standard errors come from each unit's influence function (summed
within clusters when ``cluster`` is coarser than the unit), including the estimation of the cohort-size
weights, as in the original paper; no bootstrap is needed for point-wise errors.

Cohorts already treated in the first observed period have no untreated base and are left out (reported
in ``details``). Units missing one of the two periods of a cell do not enter that cell.

Example: two never-treated units, two units treated from period 2 with effect 5 on a common trend:

>>> import pandas as pd
>>> d = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2] * 4,
...                   "y": [0.0, 1, 2, 3, 1, 7, 3, 9], "d": [0, 0, 0, 0, 0, 1, 0, 1]})
>>> r = callaway_santanna(d, "y", "d", "u", "t")
>>> r.estimate, r.group_time["att"].tolist()
(5.0, [5.0])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scipy import stats

from evalkit.errors import EstimationError
from evalkit.impact.effect import Effect, effect
from evalkit.results import critical_value

__all__ = ["callaway_santanna", "CONTROLS"]

CONTROLS = ("never", "not_yet")


def _wide(frame: pd.DataFrame, outcome: str, unit: str, time: str) -> tuple[np.ndarray, pd.Index, pd.Index]:
    table = frame.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    return table.to_numpy(dtype=float), table.index, table.columns


def _cohorts(frame: pd.DataFrame, treatment: str, unit: str, time: str, units: pd.Index, times: pd.Index) -> np.ndarray:
    """Each unit's first treated period as a position in ``times`` (-1: never treated); treatment must stay on."""
    on = frame.pivot(index=unit, columns=time, values=treatment).reindex(index=units, columns=times)
    values = on.to_numpy(dtype=float)
    filled = np.where(np.isnan(values), 0.0, values)
    ever = filled.max(axis=1) > 0
    first = np.where(ever, np.argmax(filled > 0, axis=1), -1)
    # after the first treated period the treatment must not switch off (missing periods are allowed)
    after = np.arange(len(times))[None, :] >= np.where(ever, first, len(times))[:, None]
    switched_off = after & ~np.isnan(values) & (values <= 0)
    if switched_off.any():
        bad = units[np.flatnonzero(switched_off.any(axis=1))[0]]
        raise EstimationError(
            f"column {treatment!r}: unit {bad} is treated and later untreated; the group-time estimator needs "
            "treatment that stays on once started (code the start year, e.g. 'ever borrowed by this year')"
        )
    return first


def _cluster_of_units(frame: pd.DataFrame, unit: str, cluster: str | None, units: pd.Index) -> np.ndarray:
    if cluster is None or cluster == unit:
        return np.arange(len(units))
    per_unit = frame.groupby(unit)[cluster].nunique()
    if (per_unit > 1).any():
        raise EstimationError(
            f"column {cluster!r}: unit {per_unit.index[per_unit > 1][0]} is in more than one cluster; "
            "clusters must contain whole units"
        )
    return pd.factorize(frame.groupby(unit)[cluster].first().reindex(units))[0]


def _variance(influence: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Covariance of estimates from unit influence functions (columns), summed within clusters."""
    n = influence.shape[0]
    sums = np.zeros((int(clusters.max()) + 1, influence.shape[1]))
    np.add.at(sums, clusters, influence)
    return sums.T @ sums / n**2


def callaway_santanna(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    *,
    cluster: str | None = None,
    control: str = "never",
    level: float = 0.95,
) -> Effect:
    """Group-time effects and their simple and event-time aggregates.

    Parameters
    ----------
    data
        One row per unit and period (no duplicates).
    outcome, treatment, unit, time
        Column names; ``treatment`` is 0/1 and stays 1 from a unit's first treated period.
    cluster
        Column with whole units in each cluster (default: the unit).
    control
        ``"never"`` (never-treated units) or ``"not_yet"`` (units not yet treated by the period).
    level
        Confidence level of the intervals in ``path`` and ``group_time``.

    Returns
    -------
    Effect
        ``estimate`` is the simple aggregate; ``path`` the event-time aggregates; ``group_time`` the cells.
    """
    if control not in CONTROLS:
        raise EstimationError(f"control must be one of {', '.join(CONTROLS)}; got {control!r}")
    if data.duplicated([unit, time]).any():
        raise EstimationError(f"columns {unit!r}, {time!r}: more than one row for a unit and period")
    y, units, times = _wide(data, outcome, unit, time)
    first = _cohorts(data, treatment, unit, time, units, times)
    clusters = _cluster_of_units(data, unit, cluster, units)
    n = len(units)
    cohorts = sorted(int(g) for g in np.unique(first) if g > 0)
    dropped = int((first == 0).sum())
    never = first == -1
    if control == "never" and not never.any():
        raise EstimationError("control='never' needs never-treated units; there are none (use control='not_yet')")
    share = {g: float((first == g).mean()) for g in cohorts}

    rows, influence = [], []
    for g in cohorts:
        member = first == g
        for t in range(1, len(times)):
            base = g - 1 if t >= g else t - 1
            comparison = never if control == "never" else (never | (first > t)) & ~member
            delta = y[:, t] - y[:, base]
            seen = ~np.isnan(delta)
            treated_units, control_units = member & seen, comparison & seen
            n_g, n_c = int(treated_units.sum()), int(control_units.sum())
            if n_g == 0 or n_c == 0:
                continue
            m_g, m_c = delta[treated_units].mean(), delta[control_units].mean()
            psi = np.zeros(n)
            psi[treated_units] = n * (delta[treated_units] - m_g) / n_g
            psi[control_units] = -n * (delta[control_units] - m_c) / n_c
            rows.append(
                {
                    "cohort": times[g],
                    "period": times[t],
                    "relative": t - g,
                    "att": m_g - m_c,
                    "treated_units": n_g,
                    "comparison_units": n_c,
                    "_g": g,
                }
            )
            influence.append(psi)
    if not rows:
        raise EstimationError("no cohort has both a base period and comparison units; nothing to estimate")
    cells = pd.DataFrame(rows)
    psi = np.column_stack(influence)
    att = cells["att"].to_numpy()
    g_of = cells["_g"].to_numpy()
    n_clusters = int(clusters.max()) + 1
    crit = critical_value(level, n_clusters - 1)

    def aggregate(mask: np.ndarray) -> tuple[float, np.ndarray]:
        """Cohort-size weighted mean of the chosen cells, and its influence function (weights estimated)."""
        p = np.array([share[g] for g in g_of[mask]])
        total = p.sum()
        weights = p / total
        indicator = np.column_stack([(first == g).astype(float) - share[g] for g in g_of[mask]])
        weight_if = indicator / total - np.outer(indicator.sum(axis=1), p) / total**2
        return float(weights @ att[mask]), psi[:, mask] @ weights + weight_if @ att[mask]

    cell_se = np.sqrt(np.diag(_variance(psi, clusters)))
    cells = cells.assign(std_error=cell_se, ci_low=att - crit * cell_se, ci_high=att + crit * cell_se)
    estimate, psi_simple = aggregate(cells["relative"].to_numpy() >= 0)
    se = float(np.sqrt(_variance(psi_simple[:, None], clusters)[0, 0]))

    events, event_if = [], []
    for e in sorted(cells["relative"].unique()):
        value, phi = aggregate(cells["relative"].to_numpy() == e)
        events.append({"relative_year": int(e), "estimate": value})
        event_if.append(phi)
    path = pd.DataFrame(events)
    event_vcov = _variance(np.column_stack(event_if), clusters)
    path["std_error"] = np.sqrt(np.diag(event_vcov))
    path["ci_low"] = path["estimate"] - crit * path["std_error"]
    path["ci_high"] = path["estimate"] + crit * path["std_error"]

    details: dict[str, object] = {"control": control, "cohorts_treated_in_first_period": dropped}
    pre = np.flatnonzero(path["relative_year"].to_numpy() < 0)
    if pre.size:
        b = path["estimate"].to_numpy()[pre]
        wald = float(b @ np.linalg.pinv(event_vcov[np.ix_(pre, pre)]) @ b)
        details["pretrend_p_value"] = float(stats.f.sf(wald / pre.size, pre.size, n_clusters - 1))
    return effect(
        "callaway_santanna",
        estimate,
        se,
        n=int(np.isfinite(y).sum()),
        n_clusters=n_clusters,
        se_method="influence function",
        details=details,
        path=path,
        group_time=cells.drop(columns="_g"),
    )
