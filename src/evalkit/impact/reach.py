"""Microcredit reach, depth of outreach and repayment.

* :func:`take_up`: borrowing households over eligible registered households (获贷率), by any grouping;
* :func:`concentration_index`: how loans are spread over the pre-loan income distribution (negative: towards
  the poor), with a cluster-bootstrap standard error, and :func:`concentration_curve`;
* :func:`repayment`: current, repaid, overdue and default shares of loans and of amounts, and the share of
  the outstanding amount at risk (overdue or in default), by model or cohort.

Example: loans 0, 0, 1, 1 to households ranked by income 1 < 2 < 3 < 4 go to the richer half:
concentration index = sum x (2F - 1) / sum x with mid-point F = 1/8, 3/8, 5/8, 7/8, so
(0.25 + 0.75) / 2 = 0.5.

>>> round(concentration_index([1, 2, 3, 4], [0, 0, 1, 1], se="none").estimate, 6)
0.5
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.indicators.core import _prepare, _unit_estimate

__all__ = ["take_up", "concentration_index", "concentration_curve", "repayment", "STATUSES"]

STATUSES = ("current", "repaid", "overdue", "default")


def take_up(eligible: pd.DataFrame, borrowers: object, by: str | list[str] | None = None) -> pd.DataFrame:
    """Eligible households, borrowers among them and the take-up rate, overall or by group (one grouped pass).

    ``eligible``: one row per eligible household with ``household_id`` and the grouping columns;
    ``borrowers``: household ids that borrowed.
    """
    data = eligible.assign(borrowed=eligible["household_id"].isin(set(borrowers)))
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    if keys:
        out = data.groupby(keys, observed=True)["borrowed"].agg(eligible="size", borrowers="sum").reset_index()
    else:
        out = pd.DataFrame({"eligible": [len(data)], "borrowers": [int(data["borrowed"].sum())]})
    out["take_up"] = out["borrowers"] / out["eligible"]
    return out


def _concentration_rows(ys: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    before = np.cumsum(w, axis=1) - w
    total = w.sum(axis=1, keepdims=True)
    rank = (before + w / 2) / total
    wx = w * x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (wx * (2 * rank - 1)).sum(axis=1) / wx.sum(axis=1)


def concentration_index(
    income: object,
    amount: object,
    weights: object = None,
    *,
    strata: object = None,
    clusters: object = None,
    se: str = "bootstrap",
    reps: int = 500,
    seed: int = 0,
):
    """Concentration index of ``amount`` (loans, 0 for non-borrowers) over households ranked by ``income``."""
    y, design = _prepare(income, weights, strata, clusters)
    x = np.asarray(amount, dtype=float)
    if x.shape != y.shape or np.any(x < 0) or x.sum() <= 0:
        raise ValueError("amount must be non-negative, one value per household, with some loans")
    order = np.argsort(y, kind="stable")
    xs = x[order]

    def statistic(_ys: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _concentration_rows(_ys, w, xs)

    return _unit_estimate("concentration_index", y, design, statistic, None, se, reps, seed, {})


def concentration_curve(income: object, amount: object, weights: object = None, points: int = 20) -> pd.DataFrame:
    """Cumulative share of households (poorest first) against the cumulative share of loans."""
    y = np.asarray(income, dtype=float)
    x = np.asarray(amount, dtype=float)
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(y, kind="stable")
    p = np.concatenate([[0.0], np.cumsum(w[order]) / w.sum()])
    share = np.concatenate([[0.0], np.cumsum((w * x)[order]) / (w @ x)])
    grid = np.linspace(0, 1, points + 1)
    return pd.DataFrame({"p": grid, "loan_share": np.interp(grid, p, share)})


def repayment(loans: pd.DataFrame, *, by: str | None = "model", status: str = "status_2019") -> pd.DataFrame:
    """Loans and amounts by repayment status, and the outstanding amount at risk (overdue or default)."""
    unknown = sorted(set(loans[status]) - set(STATUSES))
    if unknown:
        raise ValueError(f"unknown repayment status {', '.join(unknown)}; expected {', '.join(STATUSES)}")
    keys = [] if by is None else [by]
    data = loans.assign(_all="all") if not keys else loans
    keys = keys or ["_all"]
    counts = pd.crosstab([data[k] for k in keys], data[status]).reindex(columns=list(STATUSES), fill_value=0)
    amounts = data.pivot_table(index=keys, columns=status, values="amount_yuan", aggfunc="sum", fill_value=0)
    amounts = amounts.reindex(columns=list(STATUSES), fill_value=0)
    out = pd.DataFrame(index=counts.index)
    out["loans"] = counts.sum(axis=1)
    out["amount_yuan"] = amounts.sum(axis=1)
    for s in STATUSES:
        out[f"{s}_share"] = counts[s] / out["loans"]
    outstanding = amounts[["current", "overdue", "default"]].sum(axis=1)
    out["at_risk_share"] = (amounts["overdue"] + amounts["default"]) / outstanding.where(outstanding > 0)
    out = out.reset_index()
    return out.drop(columns="_all") if "_all" in out else out
