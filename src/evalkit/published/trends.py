"""Trends built from the ledger: the incidence path, exits and poor villages by year.

The report publishes incidence only at the start (6.2%) and at the end (0.97%)
and exits for each year. The path in between is *derived*: registered poor
persons at the end of a year are the baseline minus cumulative exits (the report
mentions no additions), divided by the agricultural population. Tables mark
which numbers are published and which are derived.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from evalkit.errors import LedgerError
from evalkit.published.ledger import load

__all__ = [
    "exits_by_year",
    "incidence_path",
    "villages_exited_by_year",
    "evaluation_years",
    "latest_year",
    "trend_metrics",
]


def _by_prefix(ledger: pd.DataFrame, prefix: str) -> pd.Series:
    rows = ledger.loc[ledger["figure_id"].str.startswith(prefix)]
    if rows.empty:
        raise LedgerError(
            f"the ledger has no figures with ids starting {prefix!r}", file="ledger.csv", column="figure_id"
        )
    return rows.set_index(rows["year"].astype(int))["value"].sort_index()


def _value(ledger: pd.DataFrame, figure_id: str) -> float:
    match = ledger.loc[ledger["figure_id"] == figure_id, "value"]
    if match.empty:
        raise LedgerError(f"the ledger has no figure {figure_id!r}", file="ledger.csv", column="figure_id")
    return float(match.iloc[0])


def evaluation_years(data_dir: str | os.PathLike[str] | None = None) -> list[int]:
    """Years with published exits: the years an annual evaluation can cover.

    Examples
    --------
    >>> evaluation_years()
    [2015, 2016, 2017, 2018]
    """
    return [int(y) for y in _by_prefix(load(data_dir), "ov_exit_hh_").index]


def latest_year(data_dir: str | os.PathLike[str] | None = None) -> int:
    """The latest year the data covers (the default year of an annual run)."""
    return max(evaluation_years(data_dir))


def exits_by_year(ledger: pd.DataFrame | None = None, *, until: int | None = None) -> pd.DataFrame:
    """Households and persons exiting poverty by year, with cumulative sums.

    Examples
    --------
    >>> exits_by_year().to_dict("list")["persons"]
    [424, 1204, 2398, 2770]
    """
    ledger = load() if ledger is None else ledger
    hh = _by_prefix(ledger, "ov_exit_hh_")
    pp = _by_prefix(ledger, "ov_exit_pp_")
    frame = pd.DataFrame({"year": hh.index, "households": hh.to_numpy(), "persons": pp.reindex(hh.index).to_numpy()})
    if until is not None:
        frame = frame.loc[frame["year"] <= until]
    frame = frame.astype({"households": "int64", "persons": "int64"})
    frame["cumulative_households"] = frame["households"].cumsum()
    frame["cumulative_persons"] = frame["persons"].cumsum()
    return frame.reset_index(drop=True)


def villages_exited_by_year(ledger: pd.DataFrame | None = None, *, until: int | None = None) -> pd.DataFrame:
    """Registered poor villages exiting by year (0 where the report names none).

    Examples
    --------
    >>> villages_exited_by_year()["villages"].tolist()
    [0, 2, 8, 0]
    """
    ledger = load() if ledger is None else ledger
    years = _by_prefix(ledger, "ov_exit_hh_").index
    villages = _by_prefix(ledger, "ov_villages_exited_").reindex(years, fill_value=0)
    frame = pd.DataFrame({"year": years, "villages": villages.to_numpy().astype("int64")})
    if until is not None:
        frame = frame.loc[frame["year"] <= until]
    frame["cumulative_villages"] = frame["villages"].cumsum()
    frame["poor_villages"] = int(_value(ledger, "ov_poor_villages"))
    return frame.reset_index(drop=True)


def incidence_path(ledger: pd.DataFrame | None = None, *, until: int | None = None) -> pd.DataFrame:
    """Registered poor and incidence at each year end, published where available.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``poor_households``, ``poor_persons``, ``incidence_pct``
        (poor persons over the agricultural population, derived),
        ``incidence_published`` (NaN where the report gives none) and
        ``source`` ('published' where the report states the incidence).

    Examples
    --------
    >>> path = incidence_path()
    >>> path[["year", "poor_persons"]].values.tolist()[-1]
    [2018, 1259]
    >>> round(float(path["incidence_pct"].iloc[0]), 3)
    6.196
    """
    ledger = load() if ledger is None else ledger
    exits = exits_by_year(ledger, until=until)
    base_year = int(ledger.loc[ledger["figure_id"] == "ov_poor_pp_base", "year"].iloc[0])
    agri = _value(ledger, "ov_agri_pop")
    years = np.concatenate([[base_year], exits["year"].to_numpy()])
    households = _value(ledger, "ov_poor_hh_base") - np.concatenate([[0], exits["cumulative_households"].to_numpy()])
    persons = _value(ledger, "ov_poor_pp_base") - np.concatenate([[0], exits["cumulative_persons"].to_numpy()])
    published = ledger.loc[ledger["figure_id"].str.startswith("ov_incidence_") & ledger["year"].notna()]
    published = published.set_index(published["year"].astype(int))["value"]
    frame = pd.DataFrame(
        {
            "year": years.astype("int64"),
            "poor_households": households.astype("int64"),
            "poor_persons": persons.astype("int64"),
            "incidence_pct": persons / agri * 100.0,
        }
    )
    frame["incidence_published"] = frame["year"].map(published).astype("float64")
    frame["source"] = np.where(frame["incidence_published"].notna(), "published", "derived")
    return frame


def trend_metrics(ledger: pd.DataFrame, year: int, *, threshold_pct: float) -> dict[str, float | int]:
    """Key incidence-trend figures for ``year`` (the numbers a notebook reports).

    Examples
    --------
    >>> m = trend_metrics(load(), 2018, threshold_pct=2.0)
    >>> m["remaining_persons"], m["cumulative_exits_persons"], m["incidence_published_pct"]
    (1259, 6796, 0.97)
    """
    path = incidence_path(ledger, until=year)
    exits = exits_by_year(ledger, until=year)
    villages = villages_exited_by_year(ledger, until=year)
    if year not in set(exits["year"]):
        raise LedgerError(f"no published exits for {year}; years covered: {', '.join(map(str, exits['year']))}")
    now = path.loc[path["year"] == year].iloc[0]
    this = exits.loc[exits["year"] == year].iloc[0]
    metrics: dict[str, float | int] = {
        "year": int(year),
        "incidence_start_pct": float(path["incidence_published"].iloc[0]),
        "incidence_pct": round(float(now["incidence_pct"]), 4),
        "exit_threshold_pct": float(threshold_pct),
        "below_exit_threshold": int(now["incidence_pct"] < threshold_pct),
        "exits_households": int(this["households"]),
        "exits_persons": int(this["persons"]),
        "cumulative_exits_households": int(this["cumulative_households"]),
        "cumulative_exits_persons": int(this["cumulative_persons"]),
        "remaining_households": int(now["poor_households"]),
        "remaining_persons": int(now["poor_persons"]),
        "poor_villages_exited_cumulative": int(villages["cumulative_villages"].iloc[-1]),
        "ledger_figures": int(len(ledger)),
    }
    if pd.notna(now["incidence_published"]):
        metrics["incidence_published_pct"] = float(now["incidence_published"])
    return metrics
