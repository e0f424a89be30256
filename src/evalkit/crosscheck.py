"""The registry against the report: every published figure a registry can speak to, recomputed from it.

:func:`registry_figures` recomputes ledger figures (by figure id) from a county's tables in evalkit's
layout (``households``, ``members``, ``villages``, ``townships`` and, where present, ``panel``,
``programs``, ``loans``); :func:`crosscheck` sets them beside the ledger with a verdict. The synthetic
county is checked with it (it must reproduce the report), and so is any registry in the same layout.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from evalkit.risk import ScreeningRules, screen

__all__ = ["crosscheck", "registry_figures"]


def registry_figures(
    county: dict[str, pd.DataFrame], *, data_dir: str | os.PathLike[str] | None = None
) -> dict[str, float]:
    """Ledger figures that the registry can speak to, recomputed from it (figure id -> value).

    The screening figures (``dp_screened_hh``, ``dp_screened_pp``) apply the report's rule from
    ``risk_rules.csv`` in ``data_dir`` to the 2018 panel.
    """
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
        flags = screen(county["panel"], 2018, ScreeningRules.from_table(data_dir=data_dir))
        flagged = flags.loc[flags["report_rule"], "household_id"]
        out["dp_screened_hh"] = float(flagged.size)
        out["dp_screened_pp"] = float(hh.set_index("household_id").loc[flagged, "household_size"].sum())
    if "programs" in county:
        programs = county["programs"]
        by = {name: frame for name, frame in programs.groupby("program")}
        # figures about the poor count registered participants only
        poor = {name: frame.loc[frame["registered"].astype(bool)] for name, frame in by.items()}
        if "forest_ranger" in by:
            out["eco_rangers"] = float(poor["forest_ranger"]["person_id"].nunique())
            out["eco_ranger_income"] = float(by["forest_ranger"]["amount_yuan"].min())
        if "relocation" in by:
            out.update(_relocation_figures(by["relocation"]))
        if "housing_renovation" in by:
            out["hou_dangerous_renov_hh"] = float(len(by["housing_renovation"]))
        if "grain_for_green" in by:
            out["eco_grain_green_hh"] = float(poor["grain_for_green"]["household_id"].nunique())
            out["eco_grain_green_pp"] = float(poor["grain_for_green"]["persons"].sum())
        if "afforestation_coop" in by:
            out["eco_coop_poor_pp"] = float(poor["afforestation_coop"]["person_id"].nunique())
            out["eco_coops"] = float(by["afforestation_coop"]["detail"].nunique())
        if "private_firm_job" in by:
            out["emp_private_jobs"] = float(len(poor["private_firm_job"]))
        if "workshop_job" in by:
            out["emp_workshops"] = float(by["workshop_job"]["detail_zh"].nunique())
        if "deep_poverty_support" in by:
            out["dp_deep_hh"] = float(poor["deep_poverty_support"]["household_id"].nunique())
        if "insurance_payout" in by:
            out["sn_insurance_payout"] = float(by["insurance_payout"]["amount_yuan"].sum())
        if "education_aid" in by:
            students = members.loc[members["schooling"] != "not_in_school", "person_id"]
            out["edu_aid_coverage"] = float(students.isin(set(by["education_aid"]["person_id"])).mean() * 100)
    if "panel" in county:
        registered_2018 = county["panel"].loc[county["panel"]["year"] == 2018]
        out["hea_insured_share"] = float(registered_2018["basic_medical_insurance"].mean() * 100)
    if "loans" in county:
        loans = county["loans"]
        out["fun_microcredit_hh"] = float(loans["household_id"].nunique())
        out["fun_microcredit"] = float(loans["amount_yuan"].sum())
        out["fun_models"] = float(loans["model"].nunique())
    return out


def _relocation_figures(rows: pd.DataFrame) -> dict[str, float]:
    """Relocation counts by poverty status, settlement type and site."""
    central = rows["detail"] != "dispersed"
    poor = rows["registered"]
    out = {
        "hou_reloc_hh": float(len(rows)),
        "hou_reloc_pp": float(rows["persons"].sum()),
        "hou_reloc_poor_hh": float(poor.sum()),
        "hou_reloc_poor_pp": float(rows.loc[poor, "persons"].sum()),
        "hou_reloc_nonpoor_hh": float((~poor).sum()),
        "hou_reloc_nonpoor_pp": float(rows.loc[~poor, "persons"].sum()),
        "hou_reloc_central_hh": float(central.sum()),
        "hou_reloc_central_pp": float(rows.loc[central, "persons"].sum()),
        "hou_reloc_dispersed_hh": float((~central).sum()),
        "hou_reloc_dispersed_pp": float(rows.loc[~central, "persons"].sum()),
        "hou_reloc_sites": float(rows.loc[central, "detail"].nunique()),
        "hou_demolished_hh": float((rows["amount_basis"] == "old house vacated and land reclaimed").sum()),
    }
    for key, site in (
        ("qingnan", "Qingnan Village site"),
        ("shuiyu", "Shuiyu Village site"),
        ("jinxiu", "Jinxiuyuan site"),
    ):
        at = rows["detail"] == site
        out[f"hou_site_{key}_hh"] = float(at.sum())
        out[f"hou_site_{key}_pp"] = float(rows.loc[at, "persons"].sum())
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


def crosscheck(
    county: dict[str, pd.DataFrame], ledger: pd.DataFrame, *, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Every figure of ``ledger`` with its registry value where the registry can reproduce it.

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
    values = registry_figures(county, data_dir=data_dir)
    table = ledger[["figure_id", "indicator_en", "value", "more_than", "value_reported"]].rename(
        columns={"value": "ledger_value"}
    )
    table["registry_value"] = table["figure_id"].map(values).astype("float64")
    step = (
        table["ledger_value"]
        / pd.to_numeric(table["value_reported"], errors="coerce")
        * table["value_reported"].map(_precision)
    )
    lower_ok = (table["registry_value"] >= table["ledger_value"]) & (
        table["registry_value"] < table["ledger_value"] + step
    )
    equal = np.isclose(table["registry_value"], table["ledger_value"])
    table["status"] = np.select(
        [table["registry_value"].isna(), np.where(table["more_than"], lower_ok, equal)],
        ["not in registry", "matches"],
        "differs",
    )
    return table.drop(columns=["more_than", "value_reported"])
