"""Cross-check: ledger figures recomputed from the synthetic registry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import published

__all__ = ["crosscheck", "registry_figures"]


def registry_figures(county: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Ledger figures that the registry can speak to, recomputed from it."""
    hh, members, villages, townships = (county[k] for k in ("households", "members", "villages", "townships"))
    agri = float(villages["agri_pop"].sum())
    size = hh["household_size"]
    exit_year = hh["exit_year"]
    out: dict[str, float] = {
        "ov_towns": float((townships["unit_type"] == "town").sum()),
        "ov_townships": float((townships["unit_type"] == "township").sum()),
        "ov_centers": float((townships["unit_type"] == "center").sum()),
        "ov_villages": float(len(villages)),
        "ov_agri_pop": agri,
        "ov_total_pop": float(villages["total_pop"].sum()),
        "ov_poor_villages": float(villages["poor_village"].sum()),
        "ov_poor_villages_exited": float(villages["poor_village_exit_year"].notna().sum()),
        "ov_villages_with_poor": float(hh["village_id"].nunique()),
        "ov_poor_hh_base": float(len(hh)),
        "ov_poor_pp_base": float(len(members)),
        "ov_cum_exit_hh": float(exit_year.notna().sum()),
        "ov_cum_exit_pp": float(size[exit_year.notna()].sum()),
        "ov_remaining_hh": float(exit_year.isna().sum()),
        "ov_remaining_pp": float(size[exit_year.isna()].sum()),
        "ov_incidence_base": round(len(members) / agri * 100, 1),
        "ov_incidence_end": round(float(size[exit_year.isna()].sum()) / agri * 100, 2),
    }
    exits = hh.loc[exit_year.notna()].groupby("exit_year")["household_size"].agg(["size", "sum"])
    for year, row in exits.iterrows():
        out[f"ov_exit_hh_{year}"] = float(row["size"])
        out[f"ov_exit_pp_{year}"] = float(row["sum"])
    for year, count in villages["poor_village_exit_year"].value_counts().items():
        out[f"ov_villages_exited_{year}"] = float(count)
    ill = members.merge(hh[["household_id", "main_cause"]], on="household_id")
    ill = ill.loc[ill["main_cause"] == "illness", "health"]
    out["hea_illness_pp"] = float(len(ill))
    out["hea_major"] = float((ill == "major").sum())
    out["hea_severe"] = float((ill == "severe").sum())
    out["hea_chronic"] = float((ill == "chronic").sum())
    if "panel" in county and "major_event" in county["panel"].columns:
        from evalkit.risk import ReportRule, report_rule_flags

        flags = report_rule_flags(county["panel"], 2018, ReportRule.from_ledger())
        flagged = flags.loc[flags["flagged"], "household_id"]
        out["dp_screened_hh"] = float(flagged.size)
        out["dp_screened_pp"] = float(hh.set_index("household_id").loc[flagged, "household_size"].sum())
    if "programs" in county:
        programs = county["programs"]
        rangers = programs.loc[programs["program"] == "forest_ranger"]
        out["eco_rangers"] = float(rangers["person_id"].nunique())
        out["eco_ranger_income"] = float(rangers["annual_amount_yuan"].min())
    if "loans" in county:
        loans = county["loans"]
        out["fun_microcredit_hh"] = float(loans["household_id"].nunique())
        out["fun_microcredit"] = float(loans["amount_yuan"].sum())
        out["fun_models"] = float(loans["model"].nunique())
    return out


def _precision(reported: object) -> float:
    """Size of the last significant place of a reported number: '7300' -> 100, '15' -> 1, '6.2' -> 1.

    Examples
    --------
    >>> _precision("7300"), _precision("60"), _precision("15"), _precision("")
    (100.0, 10.0, 1.0, nan)
    """
    text = str(reported) if isinstance(reported, str) else ""
    if not text.isdigit():
        return float("nan") if not text else 1.0
    return float(10 ** (len(text) - len(text.rstrip("0"))))


def crosscheck(county: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every ledger figure with its registry value where the registry can reproduce it.

    A figure the report gives as a lower bound (余, 以上) matches when the
    registry value is at least the figure and below the next unit of the
    reported precision (7300余万元: at least 73.0 and under 74.0 million).

    Returns
    -------
    pandas.DataFrame
        ``figure_id, indicator_en, ledger_value, registry_value, status`` where
        status is 'matches', 'differs' or 'not in registry' (program, money and
        infrastructure figures the registry does not yet hold).
    """
    ledger = published.load()
    values = registry_figures(county)
    table = ledger[["figure_id", "indicator_en", "value", "more_than", "value_reported"]].rename(columns={"value": "ledger_value"})
    table["registry_value"] = table["figure_id"].map(values).astype("float64")
    step = table["ledger_value"] / pd.to_numeric(table["value_reported"], errors="coerce") * table["value_reported"].map(_precision)
    lower_ok = (table["registry_value"] >= table["ledger_value"]) & (table["registry_value"] < table["ledger_value"] + step)
    equal = np.isclose(table["registry_value"], table["ledger_value"])
    table["status"] = np.select(
        [table["registry_value"].isna(), np.where(table["more_than"], lower_ok, equal)],
        ["not in registry", "matches"],
        "differs",
    )
    return table.drop(columns=["more_than", "value_reported"])
