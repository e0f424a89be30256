"""Callaway–Sant'Anna group-time effects for staggered adoption, with influence-function standard errors,
covariates, sampling weights, aggregations and uniform confidence bands.

A cohort ``g`` is the set of units first treated in period ``g`` (given as a 0/1 ``treatment`` that stays
on, or as each unit's ``first_treated`` period, 0 or missing for never treated). For each cohort and
period ``t`` the group-time effect ``ATT(g, t)`` compares the cohort's outcome change from a base period
with the change among comparison units:

* base period ``g - 1 - anticipation`` for the periods from ``g`` on; before that, the
  previous period (``base_period="varying"``, placebo effects of one period each) or the same
  ``g - 1 - anticipation`` (``"universal"``, effects relative to one reference period, whose cell is
  listed with effect 0 and no error, as did lists it);
* comparison units: never-treated units (``control="never"``), or units not yet treated by
  ``max(t, base) + anticipation`` (``control="not_yet"``, other than cohort ``g`` itself);
* each cell by outcome regression, inverse probability weighting or the doubly robust estimator
  (``estimator``; :mod:`evalkit.impact.cell_estimators`) on the ``covariates`` of the base period, with the
  units' sampling ``weights``. Without covariates the three are the difference in mean changes.

:meth:`GroupTimeEffect.aggregate` averages the cells as R's did package does (``simple``, ``group``,
``calendar``, ``dynamic``, with ``min_e``, ``max_e`` and ``balance_e``), weighting cohorts by their size and
including the estimation of those weights in the standard errors. Point-wise errors come from each unit's
influence function (summed within clusters when ``cluster`` is coarser than the unit): the mean of its
square over the number of units, as did computes them when it does not bootstrap. ``bootstrap=True`` adds
the multiplier bootstrap (Rademacher multipliers drawn per cluster, ``reps`` draws): bootstrap standard
errors (interquartile range over that of the normal) and uniform confidence bands over the cells and over
the event times. ``details`` holds two pre-trend tests: did's Wald test on the pre-treatment cells
(``pre_cells_wald``, ``pre_cells_p_value``, chi-squared with one degree of freedom per cell) and an F test on
the event-time estimates before adoption (``pretrend_p_value``).

Cohorts already treated in the first observed period have no untreated base and are left out, units first
treated after the last period count as never treated (both reported in ``details``). Units missing one
of the two periods of a cell do not enter that cell.

Example: two never-treated units, two units treated from period 2 with effect 5 on a common trend:

>>> import pandas as pd
>>> d = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2] * 4,
...                   "y": [0.0, 1, 2, 3, 1, 7, 3, 9], "d": [0, 0, 0, 0, 0, 1, 0, 1]})
>>> r = callaway_santanna(d, "y", "d", "u", "t")
>>> r.estimate, r.group_time["att"].tolist()
(5.0, [5.0])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EstimationError
from evalkit.impact.cell_estimators import ESTIMATORS, estimate_cell
from evalkit.impact.effect import Effect
from evalkit.results import critical_value

__all__ = ["callaway_santanna", "GroupTimeEffect", "CONTROLS", "BASE_PERIODS", "AGGREGATIONS"]

CONTROLS = ("never", "not_yet")
#: Base periods of the pre-treatment cells.
BASE_PERIODS = ("varying", "universal")
#: Ways :meth:`GroupTimeEffect.aggregate` averages the cells.
AGGREGATIONS = ("simple", "group", "calendar", "dynamic")


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
    codes = pd.factorize(frame.groupby(unit)[cluster].first().reindex(units))[0]
    if np.any(codes < 0):
        raise EstimationError(f"column {cluster!r}: {int((codes < 0).sum())} units have no cluster; fill or drop them")
    return codes


def _variance(influence: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Covariance of estimates from unit influence functions (columns), summed within clusters."""
    n = influence.shape[0]
    sums = np.zeros((int(clusters.max()) + 1, influence.shape[1]))
    np.add.at(sums, clusters, influence)
    return sums.T @ sums / n**2


@dataclass(frozen=True)
class _Fit:
    """What aggregation needs: the cells' effects and influence functions, and who is in which cohort."""

    cells: pd.DataFrame  # cohort, period (time values), att
    influence: np.ndarray  # units x cells
    cohort: np.ndarray  # each unit's cohort (time value; inf never treated)
    weights: np.ndarray  # units' sampling weights, mean 1
    clusters: np.ndarray
    last_period: float
    first_period: float
    bootstrap: bool
    reps: int
    seed: int
    level: float


@dataclass(frozen=True, kw_only=True, repr=False)
class GroupTimeEffect(Effect):
    """A Callaway–Sant'Anna result: the simple aggregate as ``estimate``, the event-time ``path``, the cells
    in ``group_time``, and :meth:`aggregate` for the other averages."""

    fit: _Fit | None = field(default=None, compare=False)

    ID_COLUMNS: ClassVar[tuple[str, ...]] = ("method",)

    def aggregate(
        self,
        type: str = "simple",  # noqa: A002 - the name R's did uses
        *,
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: float | None = None,
    ) -> Effect:
        """Average the group-time effects: ``simple`` (every post-treatment cell, by cohort size),
        ``group`` (each cohort's mean effect, then their average by cohort size), ``calendar`` (each
        period's effect over the cohorts treated by then, then their mean) or ``dynamic`` (by periods since
        adoption ``e``, then the mean over ``e >= 0``).

        ``min_e`` and ``max_e`` bound the event times (``max_e`` also bounds the cells of ``simple`` and
        ``group``); ``balance_e`` keeps only cohorts observed at least ``balance_e`` periods after adoption,
        and the event times up to it. Returns an :class:`~evalkit.impact.Effect` whose ``path`` holds the
        per-cohort, per-period or per-event-time estimates (with uniform bands when bootstrapped).
        """
        if self.fit is None:
            raise EstimationError("this result holds no group-time influence functions to aggregate")
        return _aggregate(self.fit, type, min_e, max_e, balance_e)


def _first_treated(
    data: pd.DataFrame,
    treatment: str | None,
    first_treated: str | None,
    unit: str,
    time: str,
    units: pd.Index,
    times: pd.Index,
) -> np.ndarray:
    """Each unit's first treated period as a time value (inf: never treated)."""
    if (treatment is None) == (first_treated is None):
        raise EstimationError("give the treatment either as a 0/1 column (treatment) or as first_treated, not both")
    if first_treated is not None:
        values = data.groupby(unit)[first_treated].agg(["min", "max"]).reindex(units)
        varies = (values["min"] != values["max"]) & values["min"].notna()
        if varies.any():
            raise EstimationError(
                f"column {first_treated!r}: unit {varies.index[varies][0]} has more than one first treated period"
            )
        cohort = values["min"].to_numpy(dtype=float)
        if np.nanmin(np.asarray(times, dtype=float)) <= 0 and np.any(cohort == 0):
            raise EstimationError(
                f"column {first_treated!r}: 0 means never treated, but the periods of {time!r} include 0 or less; "
                "leave never-treated units missing, or number the periods from 1"
            )
        return np.where(np.isnan(cohort) | (cohort == 0), np.inf, cohort)  # inf: never treated
    first = _cohorts(data, treatment, unit, time, units, times)
    return np.where(first >= 0, np.asarray(times, dtype=float)[np.maximum(first, 0)], np.inf)


def _numeric_covariates(data: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Covariates as numbers: a categorical one becomes indicators of its levels but the first."""
    categorical = [
        c for c in covariates if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]
    if not categorical:
        return data, covariates
    indicators = pd.get_dummies(data[categorical].astype(str), prefix=categorical, drop_first=True, dtype=float)
    names = [c for c in covariates if c not in categorical] + list(indicators.columns)
    return pd.concat([data.drop(columns=categorical), indicators], axis=1), names


def _per_unit(data: pd.DataFrame, column: str, unit: str, units: pd.Index, what: str) -> np.ndarray:
    values = data.groupby(unit)[column].agg(["min", "max"]).reindex(units)
    if (values["min"] != values["max"]).any():
        bad = values.index[values["min"] != values["max"]][0]
        raise EstimationError(f"column {column!r}: unit {bad} has more than one {what}; it must be one per unit")
    return values["min"].to_numpy(dtype=float)


def callaway_santanna(
    data: pd.DataFrame,
    outcome: str,
    treatment: str | None,
    unit: str,
    time: str,
    *,
    first_treated: str | None = None,
    covariates: list[str] | tuple[str, ...] = (),
    estimator: str = "dr",
    weights: str | None = None,
    cluster: str | None = None,
    control: str = "never",
    anticipation: int = 0,
    base_period: str = "varying",
    bootstrap: bool = False,
    reps: int = 999,
    seed: int = 0,
    level: float = 0.95,
) -> GroupTimeEffect:
    """Group-time effects, their simple aggregate and their event-time path.

    Parameters
    ----------
    data
        One row per unit and period (no duplicates).
    outcome, unit, time
        Column names.
    treatment, first_treated
        Either a 0/1 column that stays 1 from a unit's first treated period, or (``treatment=None``) a
        column holding each unit's first treated period (0 or missing: never treated).
    covariates, estimator
        Covariates for conditional parallel trends (values of each cell's base period) and the cell
        estimator: ``dr`` (doubly robust, the default), ``ipw`` or ``reg``.
    weights
        Column of sampling weights, constant within a unit.
    cluster
        Column with whole units in each cluster (default: the unit).
    control
        ``"never"`` (never-treated units) or ``"not_yet"`` (units not yet treated).
    anticipation, base_period
        Periods of anticipation before adoption, and the base of the pre-treatment cells (see the module).
    bootstrap, reps, seed
        Multiplier bootstrap: bootstrap standard errors and uniform bands.
    level
        Confidence level of the intervals and bands.

    Returns
    -------
    GroupTimeEffect
        ``estimate`` is the simple aggregate; ``path`` the dynamic aggregation; ``group_time`` the cells.
    """
    if control not in CONTROLS:
        raise EstimationError(f"control must be one of {', '.join(CONTROLS)}; got {control!r}")
    if estimator not in ESTIMATORS:
        raise EstimationError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {estimator!r}")
    if base_period not in BASE_PERIODS:
        raise EstimationError(f"base_period must be one of {', '.join(BASE_PERIODS)}; got {base_period!r}")
    if bootstrap and int(reps) < 2:
        raise EstimationError(f"the multiplier bootstrap needs at least 2 draws; got reps={reps}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise EstimationError(f"anticipation must be a whole number of periods >= 0; got {anticipation!r}")
    if data.duplicated([unit, time]).any():
        raise EstimationError(f"columns {unit!r}, {time!r}: more than one row for a unit and period")
    data, covariates = _numeric_covariates(data, list(covariates))
    y, units, times = _wide(data, outcome, unit, time)
    time_values = np.asarray(times, dtype=float)
    cohort = _first_treated(data, treatment, first_treated, unit, time, units, times)
    late = np.isfinite(cohort) & (cohort > time_values[-1])
    cohort = np.where(late, np.inf, cohort)  # never treated within the panel
    early = cohort <= time_values[0]
    keep = ~early
    unit_weights = np.ones(len(units)) if weights is None else _per_unit(data, weights, unit, units, "weight")
    if np.any(~np.isfinite(unit_weights)) or np.any(unit_weights < 0):
        raise EstimationError(f"column {weights!r}: weights must be finite and non-negative")
    x = None
    if covariates:
        x = np.stack(
            [
                data.pivot(index=unit, columns=time, values=c).reindex(index=units, columns=times).to_numpy(dtype=float)
                for c in covariates
            ],
            axis=2,
        )
    clusters_all = _cluster_of_units(data, unit, cluster, units)
    y, cohort, unit_weights, clusters = y[keep], cohort[keep], unit_weights[keep], clusters_all[keep]
    clusters = pd.factorize(clusters)[0]
    if x is not None:
        x = x[keep]
    unit_weights = unit_weights / unit_weights.mean()
    n = y.shape[0]
    never = ~np.isfinite(cohort)
    if control == "never" and not never.any():
        raise EstimationError("control='never' needs never-treated units; there are none (use control='not_yet')")
    position = np.searchsorted(time_values, cohort)  # a cohort's first period at or after its value
    cohorts = sorted(set(cohort[~never].tolist()))

    rows, influence = [], []
    for g in cohorts:
        member = cohort == g
        pg = int(np.searchsorted(time_values, g))
        for t in range(len(times)):
            if t >= pg:  # effects after adoption: the last period before any anticipation is the base
                base = pg - 1 - anticipation
            else:
                base = t - 1 if base_period == "varying" else pg - 1 - anticipation
            if base < 0:
                continue
            if base == t:  # the universal base itself: a reference cell, zero by construction (as did shows it)
                rows.append(
                    {
                        "cohort": g,
                        "period": time_values[t],
                        "relative": time_values[t] - g,
                        "att": 0.0,
                        "treated_units": int(member.sum()),
                        "comparison_units": 0,
                    }
                )
                influence.append(np.zeros(n))
                continue
            horizon = max(t, base) + anticipation
            if control == "never":
                comparison = never
            else:
                comparison = (never | (position > horizon)) & ~member
            delta = y[:, t] - y[:, base]
            seen = ~np.isnan(delta) & (unit_weights > 0)
            if x is not None:
                seen &= ~np.isnan(x[:, base, :]).any(axis=1)
            in_cell = (member | comparison) & seen
            n_g, n_c = int((member & in_cell).sum()), int((comparison & in_cell).sum())
            if n_g == 0 or n_c == 0:
                continue
            design = np.ones((int(in_cell.sum()), 1))
            if x is not None:
                design = np.column_stack([design, x[in_cell, base, :]])
            att, inf = estimate_cell(
                delta[in_cell], member[in_cell].astype(float), design, unit_weights[in_cell], estimator
            )
            psi = np.zeros(n)
            psi[in_cell] = n / in_cell.sum() * inf
            rows.append(
                {
                    "cohort": g,
                    "period": time_values[t],
                    "relative": time_values[t] - g,
                    "att": att,
                    "treated_units": n_g,
                    "comparison_units": n_c,
                }
            )
            influence.append(psi)
    if not rows:
        raise EstimationError("no cohort has both a base period and comparison units; nothing to estimate")
    cells = pd.DataFrame(rows)
    for column in ("cohort", "period", "relative"):
        if np.all(np.mod(cells[column], 1) == 0):
            cells[column] = cells[column].astype(int)
    fit = _Fit(
        cells=cells[["cohort", "period", "att"]],
        influence=np.column_stack(influence),
        cohort=cohort,
        weights=unit_weights,
        clusters=clusters,
        last_period=float(time_values[-1]),
        first_period=float(time_values[0]),
        bootstrap=bootstrap,
        reps=int(reps),
        seed=int(seed),
        level=level,
    )
    cell_table = _table(fit, cells, np.arange(len(cells)), fit.influence, "att")
    simple = _aggregate(fit, "simple", None, None, None)
    dynamic = _aggregate(fit, "dynamic", None, None, None)
    path = dynamic.path.rename(columns={"e": "relative_year"}) if dynamic.path is not None else None
    details: dict[str, object] = {
        "control": control,
        "estimator": estimator if covariates else "unconditional",
        "covariates": covariates,  # as used: categorical ones as level indicators
        "anticipation": int(anticipation),
        "base_period": base_period,
        "cohorts_treated_in_first_period": int(early.sum()),
        "units_treated_after_the_last_period": int(late.sum()),
    }
    before = np.flatnonzero((cells["period"] < cells["cohort"]).to_numpy() & fit.influence.any(axis=0))
    if before.size:  # did's pre-test: Wald on the pre-treatment cells, chi-squared with one df per cell
        cell_vcov = _variance(fit.influence[:, before], fit.clusters)
        b = cells["att"].to_numpy()[before]
        wald = float(b @ np.linalg.pinv(cell_vcov) @ b)
        details["pre_cells_wald"] = wald
        details["pre_cells_p_value"] = float(stats.chi2.sf(wald, before.size))
    if path is not None:
        pre = np.flatnonzero(path["relative_year"].to_numpy() < 0)
        if pre.size:
            pre_if = np.column_stack([_event_influence(fit, e) for e in path["relative_year"].to_numpy()[pre]])
            vcov = _variance(pre_if, fit.clusters)
            b = path["estimate"].to_numpy()[pre]
            wald = float(b @ np.linalg.pinv(vcov) @ b)
            details["pretrend_p_value"] = float(stats.f.sf(wald / pre.size, pre.size, int(fit.clusters.max())))
    n_clusters = int(fit.clusters.max()) + 1
    return GroupTimeEffect(
        method="callaway_santanna",
        estimate=simple.estimate,
        std_error=simple.std_error,
        n=int(np.isfinite(y).sum()),
        n_clusters=n_clusters,
        df=n_clusters - 1 if n_clusters > 1 else None,
        se_method=simple.se_method,
        details=details,
        path=path,
        group_time=cells.assign(**cell_table),
        fit=fit,
    )


def _weight_influence(fit: _Fit, cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohort-size weights of the chosen cells (normalized) and the influence function of their estimation."""
    share = {g: float((fit.weights * (fit.cohort == g)).mean()) for g in np.unique(cohorts)}
    p = np.array([share[g] for g in cohorts])
    total = p.sum()
    indicator = np.column_stack([fit.weights * (fit.cohort == g) - share[g] for g in cohorts])
    weight_if = indicator / total - np.outer(indicator.sum(axis=1), p) / total**2
    return p / total, weight_if


def _weighted(fit: _Fit, chosen: np.ndarray) -> tuple[float, np.ndarray]:
    """Cohort-size weighted mean of the chosen cells and its influence function."""
    att = fit.cells["att"].to_numpy()[chosen]
    weights, weight_if = _weight_influence(fit, fit.cells["cohort"].to_numpy()[chosen])
    return float(weights @ att), fit.influence[:, chosen] @ weights + weight_if @ att


def _event_influence(fit: _Fit, e: float) -> np.ndarray:
    chosen = np.flatnonzero((fit.cells["period"] - fit.cells["cohort"]).to_numpy() == e)
    return _weighted(fit, chosen)[1]


def _errors(fit: _Fit, influence: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Point-wise standard errors (analytic or bootstrap) and the uniform band's critical value."""
    analytic = np.sqrt(np.diag(_variance(influence, fit.clusters)))
    if not fit.bootstrap:
        return analytic, None, "influence function"
    n = influence.shape[0]
    n_clusters = int(fit.clusters.max()) + 1
    sums = np.zeros((n_clusters, influence.shape[1]))
    np.add.at(sums, fit.clusters, influence)
    rng = np.random.default_rng(fit.seed)
    draws = rng.choice([-1.0, 1.0], size=(fit.reps, n_clusters)) @ sums / n
    q = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
    se = (np.quantile(draws, 0.75, axis=0) - np.quantile(draws, 0.25, axis=0)) / q
    se = np.where(se > np.sqrt(np.finfo(float).eps) * 10, se, np.nan)
    t_max = np.nanmax(np.abs(draws) / se, axis=1)
    return se, float(np.quantile(t_max, fit.level)), "multiplier bootstrap"


def _table(
    fit: _Fit, cells: pd.DataFrame, chosen: np.ndarray, influence: np.ndarray, column: str
) -> dict[str, np.ndarray]:
    estimates = cells[column].to_numpy()[chosen] if column in cells else cells["att"].to_numpy()
    se, band, _ = _errors(fit, influence)
    se = np.where(~influence.any(axis=0) & (estimates == 0), np.nan, se)  # reference cells carry no error
    crit = critical_value(fit.level, int(fit.clusters.max()))
    out = {"std_error": se, "ci_low": estimates - crit * se, "ci_high": estimates + crit * se}
    if band is not None:
        out["band_low"], out["band_high"] = estimates - band * se, estimates + band * se
    return out


def _aggregate(fit: _Fit, kind: str, min_e: float | None, max_e: float | None, balance_e: float | None) -> Effect:
    if kind not in AGGREGATIONS:
        raise EstimationError(f"type must be one of {', '.join(AGGREGATIONS)}; got {kind!r}")
    cohort = fit.cells["cohort"].to_numpy()
    period = fit.cells["period"].to_numpy()
    event = period - cohort
    upper = np.inf if max_e is None else max_e
    lower = -np.inf if min_e is None else min_e
    post = (event >= 0) & (event <= upper)
    parts: list[tuple[float, float, np.ndarray]] = []  # (label, estimate, influence)
    label = {"group": "cohort", "calendar": "period", "dynamic": "e"}.get(kind)
    if not post.any():
        raise EstimationError("no cell after adoption could be estimated: nothing to aggregate")
    if kind == "simple":
        value, phi = _weighted(fit, np.flatnonzero(post))
    elif kind == "group":
        for g in np.unique(cohort[post]):
            chosen = np.flatnonzero(post & (cohort == g))
            parts.append((g, float(fit.cells["att"].to_numpy()[chosen].mean()), fit.influence[:, chosen].mean(axis=1)))
        groups = np.array([p[0] for p in parts])
        weights, weight_if = _weight_influence(fit, groups)
        effects = np.array([p[1] for p in parts])
        value = float(weights @ effects)
        phi = np.column_stack([p[2] for p in parts]) @ weights + weight_if @ effects
    elif kind == "calendar":
        treated_by = cohort <= period
        for t in np.unique(period[treated_by & (period >= cohort.min())]):
            parts.append((t, *_weighted(fit, np.flatnonzero(treated_by & (period == t)))))
        value = float(np.mean([p[1] for p in parts]))
        phi = np.column_stack([p[2] for p in parts]).mean(axis=1)
    else:
        usable = np.ones(event.size, dtype=bool)
        if balance_e is not None:
            usable = fit.last_period - cohort >= balance_e
            lower = max(lower, balance_e - fit.last_period + fit.first_period)
            upper = min(upper, balance_e)
        for e in np.unique(event[usable & (event >= lower) & (event <= upper)]):
            parts.append((e, *_weighted(fit, np.flatnonzero(usable & (event == e)))))
        after = [p for p in parts if p[0] >= 0]
        if not after:
            raise EstimationError("no event time at or after adoption is left to aggregate")
        value = float(np.mean([p[1] for p in after]))
        phi = np.column_stack([p[2] for p in after]).mean(axis=1)
    if not np.isfinite(value):
        raise EstimationError(f"nothing to aggregate by {kind}")
    se, _, method = _errors(fit, phi[:, None])
    path = None
    if parts:
        path = pd.DataFrame({label: [p[0] for p in parts], "estimate": [p[1] for p in parts]})
        path = path.assign(
            **_table(
                fit,
                path.rename(columns={"estimate": "att"}),
                np.arange(len(parts)),
                np.column_stack([p[2] for p in parts]),
                "att",
            )
        )
        if label in ("cohort", "period", "e") and np.all(np.mod(path[label], 1) == 0):
            path[label] = path[label].astype(int)
    n_clusters = int(fit.clusters.max()) + 1
    return Effect(
        method=f"callaway_santanna_{kind}",
        estimate=value,
        std_error=float(se[0]),
        n=int(fit.cohort.size),
        n_clusters=n_clusters,
        df=n_clusters - 1 if n_clusters > 1 else None,
        se_method=method,
        details={"aggregation": kind, "min_e": min_e, "max_e": max_e, "balance_e": balance_e},
        path=path,
    )
