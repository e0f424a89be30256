"""Microcredit reach and repayment.

* :func:`take_up`: borrowing households over eligible registered households (获贷率), by any grouping;
* :func:`repayment`: current, repaid, overdue and default shares of loans and of amounts, and the share of
  the outstanding amount at risk (overdue or in default), by model or cohort.

Depth of outreach (how loans spread over the pre-loan income distribution) is
:func:`evalkit.indicators.concentration_index` and :func:`evalkit.indicators.concentration_curve`.

>>> import pandas as pd
>>> take_up(pd.DataFrame({"household_id": ["a", "b", "c", "d"]}), ["a"])["take_up"].tolist()
[0.25]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["take_up", "repayment", "STATUSES"]

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


def repayment(loans: pd.DataFrame, *, by: str | None = "model", status: str = "status_2019") -> pd.DataFrame:
    """Loans and amounts by repayment status: the share of loans in each status, the share still
    outstanding (not repaid) and the share overdue or in default, and the outstanding amount at risk
    (overdue or in default, over the amount not repaid).

    The amount at risk is a share of what is still outstanding: for a group of loans that have all fallen due
    (a matured cohort), nothing is current, so it is 1 however few loans are unpaid; compare such groups by
    ``overdue_or_default_share`` (of all their loans) instead."""
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
    out["outstanding_share"] = counts[["current", "overdue", "default"]].sum(axis=1) / out["loans"]
    out["overdue_or_default_share"] = (counts["overdue"] + counts["default"]) / out["loans"]
    outstanding = amounts[["current", "overdue", "default"]].sum(axis=1)
    out["at_risk_share"] = (amounts["overdue"] + amounts["default"]) / outstanding.where(outstanding > 0)
    out = out.reset_index()
    return out.drop(columns="_all") if "_all" in out else out
