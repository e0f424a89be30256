"""Screening rules as data: the report's four criteria and the 2020 monitoring categories, with reasons.

Thresholds are rows of ``data/reference/risk_rules.csv`` (rule set, region, years of validity, parameter,
value, source, confidence), so a province's monitoring line or a new year's rule is an edit to data,
not to code. :func:`screen` gives every household its flags, one column per criterion, and a
``reasons`` text naming the criteria met; :func:`by_village` counts flagged households and persons by
village with small counts suppressed.

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
>>> flags = screen(panel, 2018, exited={"a", "b"})
>>> flags.set_index("household_id").loc["a", "reasons"]
'low_income; falling_income; transfer_dependent; major_event'
>>> flags["report_rule"].tolist()
[True, False]
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit import paths
from evalkit.errors import DataError
from evalkit.validation import read_csv_validated

__all__ = ["risk_rules", "rule_value", "screen", "by_village", "CRITERIA"]

CRITERIA = ("low_income", "falling_income", "transfer_dependent", "major_event")

_SCHEMA = pa.DataFrameSchema(
    {
        "rule_set": pa.Column(str),
        "region": pa.Column(str),
        "year_from": pa.Column(int),
        "year_to": pa.Column(int),
        "parameter": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
        "value": pa.Column(float),
        "unit": pa.Column(str),
        "source": pa.Column(str),
        "confidence": pa.Column(str),
    },
    strict=True,
    coerce=True,
)


def risk_rules(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The versioned rules table (``data/reference/risk_rules.csv``)."""
    return read_csv_validated(
        paths.reference_dir(data_dir) / "risk_rules.csv",
        _SCHEMA,
        hint="edit data/reference/risk_rules.csv; every value needs its years, region and source.",
    )


def rule_value(
    rule_set: str, parameter: str, year: int, region: str = "default", data_dir: str | os.PathLike[str] | None = None
) -> float:
    """The value of ``parameter`` in ``rule_set`` valid in ``year`` for ``region`` (falling back to the
    ``default`` region, then to the only region the rule set has)."""
    table = risk_rules(data_dir)
    rows = table.loc[
        (table["rule_set"] == rule_set)
        & (table["parameter"] == parameter)
        & (table["year_from"] <= year)
        & (table["year_to"] >= year)
    ]
    for choice in (region, "default"):
        match = rows.loc[rows["region"] == choice]
        if len(match):
            return float(match["value"].iloc[0])
    if rows["region"].nunique() == 1:
        return float(rows["value"].iloc[0])
    raise DataError(
        f"no value of {parameter!r} in rule set {rule_set!r} for {region!r} in {year}; add a row with its source",
        file="risk_rules.csv",
        column="parameter",
    )


def screen(
    panel: pd.DataFrame,
    year: int,
    *,
    exited: set[str] | pd.Index | None = None,
    income_below: float = 4000.0,
    transfer_share_above: float = 0.5,
    falling_years: int = 3,
    monitoring_line: float | None = None,
    monitoring_multiple: float = 1.5,
) -> pd.DataFrame:
    """Flags and reasons for every household in ``year``.

    ``panel`` needs ``household_id, year, income_pc, transfer_pc, poverty_line, major_event``. A household
    with fewer than ``falling_years`` years of income is not flagged as falling (``income_history`` says
    how many years it has). ``monitoring_line`` (yuan) defaults to ``monitoring_multiple`` times the
    year's poverty line (1.5 in ``risk_rules.csv``); ``exited`` holds the ids of households exited by ``year``.
    """
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
    if monitoring_line is None:
        line = now["poverty_line"] * monitoring_multiple
    else:
        line = pd.Series(float(monitoring_line), index=now.index)
    before = panel.loc[panel["year"] == year - 1].set_index("household_id")["income_pc"].reindex(now.index)
    flags = pd.DataFrame(
        {
            "low_income": income < income_below,
            "falling_income": falling.reindex(now.index, fill_value=False),
            "transfer_dependent": (share > transfer_share_above).fillna(False),
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
    flags: pd.DataFrame, households: pd.DataFrame, column: str = "report_rule", *, min_count: int = 5
) -> pd.DataFrame:
    """Flagged households and persons by village, without identifiers; counts below ``min_count`` (but not
    zero) are suppressed (shown as missing, with ``suppressed`` true) so no small group can be singled out."""
    data = flags.merge(households[["household_id", "village_id", "household_size"]], on="household_id", how="left")
    data = data.assign(persons=data["household_size"].where(data[column], 0), flagged=data[column].astype(int))
    out = data.groupby("village_id").agg(households=("flagged", "sum"), persons=("persons", "sum")).reset_index()
    small = (out["households"] > 0) & (out["households"] < min_count)
    out["suppressed"] = small
    out.loc[small, ["households", "persons"]] = np.nan
    return out
