"""Ready-made tables for the incidence notebook: lines, survey indicators, decompositions, dynamics.

Each function takes the county's tables (see :func:`evalkit.datasets.load_county`) and returns a new frame,
so the notebook only calls and shows.
"""

from __future__ import annotations

import pandas as pd

from evalkit.indicators import core
from evalkit.indicators.decompose import fgt_by_group, growth_redistribution
from evalkit.indicators.multidim import GUARANTEES, alkire_foster

__all__ = [
    "LINES",
    "poverty_line",
    "survey_indicators",
    "registry_cohort",
    "decomposition",
    "growth_redistribution_table",
    "guarantees_af",
    "cause_names",
]

#: Poverty lines a notebook can choose: the national line of the year, or the report's 4,000-yuan screening line.
LINES = ("national", "screening")


def poverty_line(kind: str, year: int, data_dir: str | None = None) -> tuple[float, str]:
    """The line in yuan and where it comes from.

    ``national``: ``data/reference/poverty_lines.csv`` (2015–2018 are interpolated there, and the source
    says so); ``screening``: the report's screening line (ledger figure ``dp_screen_income_line``).
    """
    if kind == "screening":
        from evalkit import published

        return float(published.figure("dp_screen_income_line", data_dir)), "report screening line (ledger)"
    if kind != "national":
        raise ValueError(f"line must be one of {', '.join(LINES)}; got {kind!r}")
    from evalkit import paths

    table = pd.read_csv(paths.reference_dir(data_dir) / "poverty_lines.csv", encoding="utf-8").set_index("year")
    row = table.loc[year]
    return float(row["line_yuan"]), f"national line {year} ({row['confidence']})"


def survey_indicators(survey: pd.DataFrame, line: float, *, alpha: float = 0.05, reps: int = 500) -> pd.DataFrame:
    """Poverty and inequality indicators of the survey's 2018 per-capita income with design-based intervals.

    Persons are weighted (household weight × size); strata are townships and clusters villages.
    """
    y = survey["income_pc_2018"].to_numpy(dtype=float)
    design = {
        "strata": survey["township_id"].to_numpy(),
        "clusters": survey["village_id"].to_numpy(),
        "reps": reps,
    }
    w = (survey["weight"] * survey["household_size"]).to_numpy(dtype=float)
    estimates = [
        core.fgt(y, line, 0, w, **design),
        core.fgt(y, line, 1, w, **design),
        core.fgt(y, line, 2, w, **design),
        core.watts(y, line, w, **design),
        core.sen(y, line, w, **design),
        core.sst(y, line, w, **design),
        core.gini(y, w, **design),
        core.theil(y, w, kind="T", **design),
        core.theil(y, w, kind="L", **design),
        core.atkinson(y, 1.0, w, **design),
        core.mean_income(y, w, **design),
    ]
    frame = pd.concat([e.to_frame(alpha) for e in estimates], ignore_index=True)
    keep = ["indicator", "estimate", "std_error", "ci_low", "ci_high", "method", "n", "df"]
    return frame[keep]


def registry_cohort(county: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Registry households (the 2014 poor) in ``year``: income, line, size, cause, township, guarantees."""
    panel = county["panel"].loc[county["panel"]["year"] == year]
    hh = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    return panel.merge(hh, on="household_id", how="left")


def decomposition(
    county: dict[str, pd.DataFrame], year: int, line: float, group_by: str, *, alpha: float = 1, lang: str = "en"
) -> pd.DataFrame:
    """FGT by subgroup with exact contributions.

    ``group_by='township'``: the survey's rural population (design-based errors); ``'cause'``: the registry's
    2014 poor by main cause of poverty, incomes of ``year`` (a census of the cohort: no sampling error,
    village-clustered errors describe variation across villages).
    """
    if group_by == "township":
        s = county["survey"]
        names = county["townships"].set_index("township_id")["name_zh"]
        table = fgt_by_group(
            s["income_pc_2018"],
            line,
            s["township_id"],
            alpha,
            s["weight"] * s["household_size"],
            strata=s["township_id"],
            clusters=s["village_id"],
        )
        table.insert(1, "name", table["group"].map(names).fillna(""))
        return table
    if group_by == "cause":
        r = registry_cohort(county, year)
        table = fgt_by_group(
            r["income_pc"], line, r["main_cause"], alpha, r["household_size"], clusters=r["village_id"]
        )
        table.insert(1, "name", table["group"].map(cause_names(lang)).fillna(""))
        return table
    raise ValueError("group_by must be 'township' or 'cause'")


def growth_redistribution_table(
    county: dict[str, pd.DataFrame], year_1: int, year_2: int, *, alpha: int = 0
) -> pd.DataFrame:
    """Growth and redistribution in the registry cohort's poverty change between two years (each year's line)."""
    a, b = registry_cohort(county, year_1), registry_cohort(county, year_2)
    return growth_redistribution(
        a["income_pc"],
        b["income_pc"],
        a["poverty_line"],
        b["poverty_line"],
        alpha,
        a["household_size"],
        b["household_size"],
    )


def guarantees_af(county: dict[str, pd.DataFrame], year: int, k: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alkire–Foster on the two assurances and three guarantees (+ water) for the registry cohort in ``year``.

    Returns (H, A, M0 table, dimension table); persons weighted by household size.
    """
    r = registry_cohort(county, year)
    deprived = pd.DataFrame({name: ~r[column].astype(bool) for name, column in GUARANTEES.items()})
    result = alkire_foster(deprived, k, weights=r["household_size"].to_numpy(dtype=float))
    return result.to_frame(), result.dimensions


def cause_names(lang: str = "en", data_dir: str | None = None) -> dict[str, str]:
    """Cause-of-poverty code → name in ``lang`` (from ``data/reference/poverty_causes.csv``)."""
    from evalkit.reference import poverty_causes

    causes = poverty_causes(data_dir).set_index("code")
    return causes["name_zh" if lang == "zh" else "name_en"].to_dict()
