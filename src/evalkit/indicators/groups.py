"""Any indicator by group, and the Watts index split into incidence, depth and inequality among the poor.

:func:`by_group` calls an indicator once per group with ``domain=`` (each group a domain of the full design,
so its standard error accounts for the group's estimated size): one row per group. It suits tens or a few
hundred groups; :func:`~evalkit.indicators.fgt_by_group` and :func:`~evalkit.indicators.fgt_table` are the
one-pass paths for the FGT family over many groups.

:func:`watts_decomposition` writes the Watts index as ``W = H (I + L)``: the headcount ``H``, the Watts
poverty-gap ratio ``I = ln(z / mean income of the poor)`` and the mean log deviation (Theil L) among the
poor ``L`` (as R's convey ``svywattsdec``). Each component's influence value is its own, plus, for a
:class:`~evalkit.indicators.RelativeLine`, its derivative with respect to the line times the line's
influence values.

Examples
--------
Incomes 1, 2, 4 below the line 8 and 16 above it: H = 3/4, the poor's mean 7/3, I = ln(8 / (7/3)),
L = ln(7/3) - (ln 1 + ln 2 + ln 4) / 3, and H (I + L) is the Watts index.

>>> t = watts_decomposition([1, 2, 4, 16], 8, se="none").set_index("component")["estimate"]
>>> bool(round(t["watts"], 6) == round(t["headcount"] * (t["watts_gap_ratio"] + t["theil_poor"]), 6))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from evalkit.indicators.core import _line, watts
from evalkit.indicators.design import Design
from evalkit.indicators.estimation import domain_mask, prepare
from evalkit.indicators.quantiles import RelativeLine, density
from evalkit.indicators.results import Estimate
from evalkit.results import critical_value

__all__ = ["by_group", "watts_decomposition", "WATTS_COMPONENTS"]

#: Rows of :func:`watts_decomposition`, in order.
WATTS_COMPONENTS = ("watts", "headcount", "watts_gap_ratio", "theil_poor")


def by_group(
    indicator: Callable[..., Estimate],
    income: object,
    groups: object,
    *args: object,
    level: float = 0.95,
    **kwargs: object,
) -> pd.DataFrame:
    """``indicator(income, *args, domain=group, **kwargs)`` for every group, one row each (the group, then
    the estimate's ``to_frame`` columns), and a last row for the whole population.

    Examples
    --------
    >>> from evalkit.indicators import median
    >>> by_group(median, [1, 2, 3, 10, 20, 30], ["a", "a", "a", "b", "b", "b"], se="none")[["group", "estimate"]].values.tolist()
    [['a', 2.0], ['b', 20.0], ['total', 3.0]]
    """
    labels = pd.Series(np.asarray(groups))
    values = np.asarray(income, dtype=float)
    if len(labels) != values.size:
        raise ValueError(f"groups has {len(labels)} values for {values.size} observations")
    if labels.isna().any():
        raise ValueError("groups has missing values")
    rows = []
    for group in sorted(labels.unique()):
        frame = indicator(values, *args, domain=(labels == group).to_numpy(), **kwargs).to_frame(level)
        rows.append(frame.assign(group=group))
    rows.append(indicator(values, *args, **kwargs).to_frame(level).assign(group="total"))
    table = pd.concat(rows, ignore_index=True)
    return table[["group", *[c for c in table.columns if c != "group"]]]


def watts_decomposition(
    income: object,
    line: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    design: Design | None = None,
    domain: object = None,
    se: str = "linearized",
    level: float = 0.95,
) -> pd.DataFrame:
    """The Watts index and its three components with linearized standard errors (see the module).

    Returns one row per :data:`WATTS_COMPONENTS` entry with ``estimate``, ``std_error``, ``ci_low`` and
    ``ci_high`` (no errors with ``se="none"``).
    """
    if se not in ("linearized", "none"):
        raise ValueError("the Watts decomposition has linearized standard errors only (se='linearized' or 'none')")
    y, design = prepare(income, weights, strata, clusters, design)
    mask = domain_mask(domain, y.size)
    inside = np.ones(y.size, dtype=bool) if mask is None else mask
    w = design.weights
    relative = isinstance(line, RelativeLine)
    t = line.value(y, w) if relative else float(_line(line, 1)[0])
    poor = inside & (y < t)
    if np.any(poor & (y <= 0)):
        raise ValueError("the Watts decomposition is undefined for incomes <= 0 below the line; use a domain")
    if not poor.any():
        raise ValueError("no one is below the line: the Watts components of the poor are undefined")
    n, n_p = (w * inside).sum(), (w * poor).sum()
    log_y = np.log(np.where(poor, y, 1.0))
    mean_p = (w * poor) @ y / n_p
    mean_log = (w * poor) @ log_y / n_p
    headcount = n_p / n
    gap = np.log(t / mean_p)
    theil = np.log(mean_p) - mean_log
    total = watts(y, line, design=design, domain=mask, se="none").estimate
    values = {"watts": total, "headcount": headcount, "watts_gap_ratio": gap, "theil_poor": theil}
    frame = pd.DataFrame({"component": list(WATTS_COMPONENTS), "estimate": [values[k] for k in WATTS_COMPONENTS]})
    if se == "none":
        return frame
    z_h = inside * (poor - headcount) / n
    z_mean = poor * (y - mean_p) / n_p
    z_log = poor * (log_y - mean_log) / n_p
    z_w = inside * (np.where(poor, np.log(t / np.where(poor, y, 1.0)), 0.0) - total) / n
    influence = {
        "watts": z_w,
        "headcount": z_h,
        "watts_gap_ratio": -z_mean / mean_p,
        "theil_poor": z_mean / mean_p - z_log,
    }
    if relative:  # each component's slope in the line times the line's influence
        f = density(y[inside], w[inside], t)
        d_mean = n * f * (t - mean_p) / n_p
        d_log = n * f * (np.log(t) - mean_log) / n_p
        slopes = {
            "watts": headcount / t,
            "headcount": f,
            "watts_gap_ratio": 1 / t - d_mean / mean_p,
            "theil_poor": d_mean / mean_p - d_log,
        }
        line_influence = line.influence(y, w)
        influence = {k: v + slopes[k] * line_influence for k, v in influence.items()}
    frame["std_error"] = [float(np.sqrt(design.variance(influence[k]))) for k in WATTS_COMPONENTS]
    half = critical_value(level, design.df) * frame["std_error"]
    frame["ci_low"], frame["ci_high"] = frame["estimate"] - half, frame["estimate"] + half
    return frame
