"""Screening rules as data: the report's four criteria and the 2020 monitoring categories, with reasons.

Thresholds are rows of ``data/reference/risk_rules.csv`` (rule set, region, years of validity, parameter,
value, source, confidence; read through :func:`evalkit.reference.rule_value`), so a province's monitoring
line or a new year's rule is an edit to data, not to code. :class:`ScreeningRules` gathers them;
:func:`screen` gives every household its flags, one column per criterion, and a ``reasons`` text naming
the criteria met; :func:`by_village` counts flagged households and persons by village with small counts
suppressed.

The report screened poor households with "per-capita annual income below 4,000 yuan, income falling year
on year, transfer income above 50%, and a major family event" (人均年收入不足4000元、年收入逐年下降、
转移性超过50%、家庭发生重大变故), finding 18 households and 40 people. evalkit reads the four conditions
as all required (one reading of the sentence: with any one of them, far more than 18 of 3,601 households
would qualify), and "falling year on year" as two consecutive falls over three years.

Monitoring categories (national rules from 2020; shared/DOMAIN.md), as far as a registry panel allows:

* ``unstable_exited`` (脱贫不稳定户): exited households below the monitoring line with a risk (income
  falling year on year, transfer dependence or a major family event);
* ``sudden_hardship`` (突发严重困难户): households with a major family event and an income fall;
* ``marginal`` (边缘易致贫户) needs households that were never registered, which a registry does not hold;
  it is reported as not assessable rather than as zero.

Example: household ``a`` meets all four of the report's criteria in 2018, ``b`` only the low income.

>>> import pandas as pd
>>> panel = pd.DataFrame({"household_id": ["a"] * 3 + ["b"] * 3, "year": [2016, 2017, 2018] * 2,
...     "income_pc": [3900, 3600, 3300, 3000, 3100, 3200], "transfer_pc": [2000] * 6,
...     "poverty_line": [3000.0] * 6, "major_event": [False, False, True, False, False, False]})
>>> flags = screen(panel, 2018, ScreeningRules.from_table(), exited={"a", "b"})
>>> flags.set_index("household_id").loc["a", "reasons"]
'low_income; falling_income; transfer_dependent; major_event'
>>> flags["report_rule"].tolist()
[True, False]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit import reference
from evalkit.disclosure import suppress
from evalkit.errors import DataError

__all__ = ["ScreeningRules", "screen", "by_village", "CRITERIA"]

#: The report's four screening criteria, in the report's order (one flag column each).
CRITERIA = ("low_income", "falling_income", "transfer_dependent", "major_event")


@dataclass(frozen=True)
class ScreeningRules:
    """The report's screening rule and the monitoring line.

    ``income_below`` (yuan), ``transfer_share_above`` (a share) and ``falling_years`` (incomes compared over
    this many consecutive years) define the report's rule; the monitoring line is ``monitoring_line`` yuan
    when given, else ``monitoring_multiple`` times each household's poverty line of the year.
    """

    income_below: float
    transfer_share_above: float
    falling_years: int
    monitoring_multiple: float
    monitoring_line: float | None = None

    @classmethod
    def from_table(
        cls,
        *,
        report_year: int = 2018,
        monitoring_year: int = 2020,
        monitoring_line: float | None = None,
        region: str = "default",
        data_dir: str | os.PathLike[str] | None = None,
    ) -> ScreeningRules:
        """The rules in ``risk_rules.csv``: the report's rule valid in ``report_year`` (as published, 2018)
        and the monitoring multiple valid in ``monitoring_year`` (national rules from 2020) for ``region``.

        >>> ScreeningRules.from_table()
        ScreeningRules(income_below=4000.0, transfer_share_above=0.5, falling_years=3, monitoring_multiple=1.5, monitoring_line=None)
        """

        def value(rule_set: str, parameter: str, year: int) -> float:
            return reference.rule_value(rule_set, parameter, year, region=region, data_dir=data_dir)

        return cls(
            income_below=value("report_screening", "income_below", report_year),
            transfer_share_above=value("report_screening", "transfer_share_above", report_year),
            falling_years=int(value("report_screening", "falling_years", report_year)),
            monitoring_multiple=value("monitoring", "monitoring_line_multiple", monitoring_year),
            monitoring_line=monitoring_line,
        )


def screen(
    panel: pd.DataFrame,
    year: int,
    rules: ScreeningRules,
    *,
    exited: set[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """Flags and reasons for every household in ``year`` under ``rules``.

    ``panel`` needs ``household_id, year, income_pc, transfer_pc, poverty_line, major_event``. A household
    with fewer than ``rules.falling_years`` years of income is not flagged as falling (``income_history``
    says how many years it has); edges are strict (income exactly at the line, or transfers exactly at the
    share, do not count). ``exited`` holds the ids of households exited by ``year``.
    """
    falling_years = rules.falling_years
    window = panel.loc[panel["year"].between(year - falling_years + 1, year)]
    wide = window.pivot(index="household_id", columns="year", values="income_pc")
    history = wide.notna().sum(axis=1)
    complete = history == falling_years
    falling = (wide.diff(axis=1).iloc[:, 1:] < 0).all(axis=1) & complete
    now = panel.loc[panel["year"] == year].set_index("household_id")
    if now.index.duplicated().any():
        raise DataError(f"more than one row for a household in {year}", column="household_id")
    income = now["income_pc"].astype(float)
    share = now["transfer_pc"] / income.where(income > 0)
    if rules.monitoring_line is None:
        line = now["poverty_line"] * rules.monitoring_multiple
    else:
        line = pd.Series(float(rules.monitoring_line), index=now.index)
    before = panel.loc[panel["year"] == year - 1].set_index("household_id")["income_pc"].reindex(now.index)
    flags = pd.DataFrame(
        {
            "low_income": income < rules.income_below,
            "falling_income": falling.reindex(now.index, fill_value=False),
            "transfer_dependent": (share > rules.transfer_share_above).fillna(False),
            "major_event": now["major_event"].astype(bool),
        }
    )
    flags["income_history"] = history.reindex(now.index, fill_value=0).astype(int)
    flags["report_rule"] = flags[list(CRITERIA)].all(axis=1)
    exited_now = now.index.isin(list(exited)) if exited is not None else np.zeros(len(now), dtype=bool)
    below_monitoring = income < line
    any_risk = flags["falling_income"] | flags["transfer_dependent"] | flags["major_event"]
    flags["below_monitoring_line"] = below_monitoring
    flags["unstable_exited"] = exited_now & below_monitoring & any_risk
    flags["sudden_hardship"] = flags["major_event"] & (income < before).fillna(False)
    names = np.array(CRITERIA)
    met = flags[list(CRITERIA)].to_numpy()
    flags["reasons"] = ["; ".join(names[row]) for row in met]
    return flags.reset_index()


def by_village(
    flags: pd.DataFrame,
    households: pd.DataFrame,
    column: str = "report_rule",
    *,
    min_count: int = 5,
    villages: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Flagged households and persons by village, without identifiers; counts below ``min_count`` (but not
    zero) are suppressed (shown as missing, with ``suppressed`` true) so no small group can be singled out.

    With ``villages`` (``village_id``, ``township_id``) each village carries its township, and a township
    with one suppressed village has a second suppressed (:func:`evalkit.disclosure.suppress` ``within``),
    as its total is published.
    """
    data = flags.merge(households[["household_id", "village_id", "household_size"]], on="household_id", how="left")
    data = data.assign(persons=data["household_size"].where(data[column], 0), flagged=data[column].astype(int))
    out = data.groupby("village_id").agg(households=("flagged", "sum"), persons=("persons", "sum")).reset_index()
    if villages is None:
        return suppress(out, ["households"], min_count=min_count, derived=["persons"])
    out = villages[["township_id", "village_id"]].merge(out, on="village_id", how="right", validate="one_to_many")
    return suppress(out, ["households"], min_count=min_count, derived=["persons"], within=["township_id"])
