"""The household programs of the twelve lines of work: who received what, and in which combinations.

:func:`participation` builds one row per registered household with one 0/1 column per household-level
program (from the registry's program, loan, training and panel tables); :func:`coverage` gives coverage
overall or by cause of poverty or township in one grouped pass; :func:`combinations` counts the
households in each combination of programs (the data behind an UpSet figure); :func:`start_years` gives
each household's first year with each program (what a registry of any size stores).

Example: two households, one with relocation and microcredit, one with nothing.

>>> import pandas as pd
>>> m = pd.DataFrame({"household_id": ["a", "b"], "relocation": [1, 0], "microcredit": [1, 0]})
>>> combinations(m)[["programs", "households"]].to_dict("records")
[{'programs': 'microcredit + relocation', 'households': 1}, {'programs': '(none)', 'households': 1}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "PROGRAMS",
    "DATED_PROGRAMS",
    "start_years",
    "first_years",
    "participation",
    "coverage",
    "combinations",
    "program_columns",
]

#: program code -> (line of work, English, Chinese)
PROGRAMS: dict[str, tuple[str, str, str]] = {
    "relocation": ("housing", "relocation", "易地扶贫搬迁"),
    "housing_renovation": ("housing", "dangerous-house renovation", "危房改造"),
    "training": ("employment", "vocational training", "职业技能培训"),
    "workshop_job": ("employment", "workshop job", "扶贫车间就业"),
    "private_firm_job": ("employment", "private-firm job", "民营企业岗位"),
    "family_doctor": ("health", "family-doctor contract", "家庭医生签约"),
    "medical_insurance": ("health", "basic medical insurance", "基本医疗保险"),
    "insurance_payout": ("health", "insurance payout", "保险赔付"),
    "education_aid": ("education", "education aid", "教育资助"),
    "forest_ranger": ("ecology", "forest ranger", "生态护林员"),
    "grain_for_green": ("ecology", "grain for green", "退耕还林"),
    "afforestation_coop": ("ecology", "afforestation cooperative", "造林合作社"),
    "microcredit": ("funds", "microcredit", "扶贫小额信贷"),
    "deep_poverty_support": ("deep_poverty", "deep-poverty support", "深度贫困户帮扶"),
    "dibao": ("safety_net", "minimum living allowance", "最低生活保障"),
}


#: programs every registered household is meant to have (coverage near 100% by design)
UNIVERSAL = ("medical_insurance", "family_doctor")


#: programs with a start year per household (the others, minimum living allowance and medical insurance, are
#: year-by-year flags of the panel)
DATED_PROGRAMS = tuple(code for code in PROGRAMS if code not in ("dibao", "medical_insurance"))


def start_years(county: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per registered household with ``start_<program>``: the first year the household had the program
    (missing if never), for every program in :data:`DATED_PROGRAMS`.

    The household-level form of :func:`participation`: a household is covered in year ``t`` exactly when
    ``start_<program> <= t``. This is what a registry of any size can store (see
    :func:`evalkit.synth.scale.write_scaled`) and what :mod:`evalkit.engines` turns into coverage.

    >>> from evalkit import datasets
    >>> starts = start_years(datasets.load_county())
    >>> int((starts["start_microcredit"] <= 2018).sum())
    1568
    """
    out = county["households"][["household_id"]].copy()
    programs = county["programs"]
    registered = programs.loc[programs["registered"].astype(bool)]
    firsts = {
        code: registered.loc[registered["program"] == code].groupby("household_id")["start_year"].min()
        for code in DATED_PROGRAMS
    }
    firsts["microcredit"] = county["loans"].groupby("household_id")["loan_year"].min()
    labour = county["labour"]
    firsts["training"] = labour.loc[labour["trained"].astype(bool)].groupby("household_id")["training_year"].min()
    for code in DATED_PROGRAMS:
        first = firsts[code].reindex(out["household_id"]).to_numpy()
        out[f"start_{code}"] = pd.array(pd.Series(first, dtype="Float64").round(), dtype="Int16")
    return out


def participation(county: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """One row per registered household: place, cause, exit year and a 0/1 column per program (started by
    the end of ``year``; minimum living allowance and medical insurance from that year's panel). A program
    whose source the package lacks (programs, loans, training follow-up, a panel column) has no column."""
    households = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    out = households[["household_id", "village_id", "township_id", "main_cause", "household_size", "exit_year"]].copy()
    if "programs" in county:
        programs = county["programs"]
        registered = programs.loc[programs["registered"].astype(bool) & (programs["start_year"] <= year)]
        for code in PROGRAMS:
            if code in set(programs["program"]):
                ids = set(registered.loc[registered["program"] == code, "household_id"])
                out[code] = out["household_id"].isin(ids).astype(int)
    if "loans" in county:
        loans = county["loans"]
        out["microcredit"] = (
            out["household_id"].isin(set(loans.loc[loans["loan_year"] <= year, "household_id"])).astype(int)
        )
    if "labour" in county:
        labour = county["labour"]
        trained = labour.loc[labour["trained"].astype(bool) & (labour["training_year"] <= year), "household_id"]
        out["training"] = out["household_id"].isin(set(trained)).astype(int)
    panel = county["panel"].loc[county["panel"]["year"] == year].set_index("household_id")
    if "dibao_pc" in panel:
        out["dibao"] = (panel["dibao_pc"].reindex(out["household_id"]).to_numpy() > 0).astype(int)
    if "basic_medical_insurance" in panel:
        out["medical_insurance"] = (
            panel["basic_medical_insurance"].reindex(out["household_id"]).fillna(False).to_numpy().astype(int)
        )
    columns = [c for c in PROGRAMS if c in out]
    out["programs_received"] = out[columns].sum(axis=1)
    return out[
        [
            "household_id",
            "village_id",
            "township_id",
            "main_cause",
            "household_size",
            "exit_year",
            *columns,
            "programs_received",
        ]
    ]


def first_years(county: dict[str, pd.DataFrame]) -> pd.Series:
    """The first year each program of :func:`participation` has a registered participant in the data
    (program code -> year, in :data:`PROGRAMS` order; a program whose source the package lacks is left out).

    A program whose first year is after the evaluation year covers nobody by its end: its coverage is 0
    because it had not started, not because it missed everyone.

    >>> from evalkit import datasets
    >>> years = first_years(datasets.load_county())
    >>> int(years["forest_ranger"]), int(years["deep_poverty_support"]), int(years["microcredit"])
    (2019, 2019, 2016)
    """
    found: dict[str, float] = {}
    if "programs" in county:
        programs = county["programs"]
        registered = programs.loc[programs["registered"].astype(bool)]
        starts = registered.groupby("program")["start_year"].min()
        for code in PROGRAMS:
            if code in set(programs["program"]):
                found[code] = float(starts.get(code, np.nan))
    if "loans" in county:
        found["microcredit"] = float(county["loans"]["loan_year"].min())
    if "labour" in county:
        labour = county["labour"]
        found["training"] = float(labour.loc[labour["trained"].astype(bool), "training_year"].min())
    panel = county["panel"]
    if "dibao_pc" in panel:
        found["dibao"] = float(panel.loc[panel["dibao_pc"] > 0, "year"].min())
    if "basic_medical_insurance" in panel:
        found["medical_insurance"] = float(
            panel.loc[panel["basic_medical_insurance"].fillna(False).astype(bool), "year"].min()
        )
    codes = [c for c in PROGRAMS if c in found]
    return pd.Series([found[c] for c in codes], index=pd.Index(codes, name="program"), name="first_year").astype(
        "Int64"
    )


def program_columns(matrix: pd.DataFrame) -> list[str]:
    """The program columns of a participation matrix, in :data:`PROGRAMS` order."""
    return [c for c in PROGRAMS if c in matrix]


def coverage(matrix: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of registered households covered by each program (rows) overall or by ``by`` (columns), plus
    the share receiving none of them and the share receiving no targeted program (beyond the universal
    medical insurance and family-doctor contract)."""
    columns = program_columns(matrix)
    targeted = [c for c in columns if c not in UNIVERSAL]
    data = matrix.assign(
        nothing=(matrix[columns].sum(axis=1) == 0).astype(int),
        no_targeted_program=(matrix[targeted].sum(axis=1) == 0).astype(int),
    )
    keys = ["nothing", "no_targeted_program", *columns]
    if by is None:
        return data[keys].mean().rename("coverage").rename_axis("program").reset_index()
    return data.groupby(by)[keys].mean().T.rename_axis("program").reset_index()


def combinations(matrix: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Households by the exact combination of programs they received, most frequent first."""
    columns = program_columns(matrix) or [c for c in matrix.columns if c != "household_id"]
    names = np.array(sorted(columns))
    flags = matrix[list(names)].to_numpy().astype(bool)
    labels = [" + ".join(names[row]) if row.any() else "(none)" for row in flags]
    counts = pd.Series(labels).value_counts(sort=True).rename_axis("programs").reset_index(name="households")
    counts["size"] = counts["programs"].map(lambda s: 0 if s == "(none)" else s.count(" + ") + 1)
    return counts.head(top) if top else counts
