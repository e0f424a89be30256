"""The county report's screening rule for households at risk of falling back into poverty.

The report screened poor households with "per-capita annual income below 4,000
yuan, income falling year on year, transfer income above 50%, and a major
family event" (人均年收入不足4000元、年收入逐年下降、转移性超过50%、家庭发生重大变故),
finding 18 households and 40 people. evalkit reads the four conditions as all
required (one reading of the sentence: with any one of them, far more than 18
of 3,601 households would qualify); each threshold is a parameter whose default
comes from the published ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["ReportRule", "report_rule_flags"]


@dataclass(frozen=True)
class ReportRule:
    """Thresholds of the report's screening rule."""

    income_below: float = 4000.0
    transfer_share_above: float = 0.5
    falling_years: int = 3  # incomes compared over this many consecutive years (two falls)

    @classmethod
    def from_ledger(cls) -> ReportRule:
        """Thresholds as published (figures dp_screen_income_line, dp_screen_transfer_share)."""
        from evalkit import published

        return cls(
            income_below=published.figure("dp_screen_income_line"),
            transfer_share_above=published.figure("dp_screen_transfer_share") / 100.0,
        )


def report_rule_flags(panel: pd.DataFrame, year: int, rule: ReportRule | None = None) -> pd.DataFrame:
    """Each household's flags under the report's rule in ``year``, and whether all hold.

    ``panel`` needs ``household_id, year, income_pc, transfer_pc, major_event``.

    Returns
    -------
    pandas.DataFrame
        One row per household: ``low_income, falling_income, transfer_dependent,
        major_event, flagged``.

    Examples
    --------
    >>> panel = pd.DataFrame({
    ...     "household_id": ["a"] * 3 + ["b"] * 3, "year": [2016, 2017, 2018] * 2,
    ...     "income_pc": [3900, 3600, 3300, 3000, 3100, 3200], "transfer_pc": [2000, 2000, 2000] * 2,
    ...     "major_event": [False, False, True, False, False, True]})
    >>> report_rule_flags(panel, 2018)[["household_id", "falling_income", "flagged"]].values.tolist()
    [['a', True, True], ['b', False, False]]
    """
    rule = rule or ReportRule()
    window = panel.loc[panel["year"].between(year - rule.falling_years + 1, year)].sort_values(["household_id", "year"])
    wide = window.pivot(index="household_id", columns="year", values="income_pc")
    falling = (wide.diff(axis=1).iloc[:, 1:] < 0).all(axis=1) & wide.notna().all(axis=1)
    now = panel.loc[panel["year"] == year].set_index("household_id")
    share = now["transfer_pc"] / now["income_pc"].where(now["income_pc"] > 0)
    flags = pd.DataFrame(
        {
            "low_income": now["income_pc"] < rule.income_below,
            "falling_income": falling.reindex(now.index, fill_value=False),
            "transfer_dependent": share > rule.transfer_share_above,
            "major_event": now["major_event"].astype(bool),
        }
    )
    flags["flagged"] = flags.all(axis=1)
    return flags.reset_index()
