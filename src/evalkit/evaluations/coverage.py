"""Notebook ``06_program_coverage``: what each line of work reached and what it cost.

Coverage of each household program among registered households (overall, by cause and by township, with
the first year each program appears in the data: a program that starts after the evaluation
year covers nobody by its end), the combinations households received, every registry count beside the
report's figure (over every year in the data, as the report counts, and by the end of the evaluation year),
the money (funds received and invested, cost per person and household exited: money divided by exits, not
an effect), and the villages the report names for projects against their households' exit timing (a
description).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
import pandas as pd

from evalkit import disclosure, plots, programs, published, report
from evalkit.crosscheck import registry_figures
from evalkit.evaluations.base import Evaluation, Spec, needs, year_param
from evalkit.labels import check_lang, label
from evalkit.reference import poverty_causes
from evalkit.report.sections import format_share

__all__ = [
    "Params",
    "Coverage",
    "coverage_table",
    "not_started",
    "not_started_sentence",
    "ledger_comparison",
    "money",
    "in_language",
    "village_projects",
    "project_names",
]

#: registry measure -> (ledger figure, program counted, how it is computed from the registry: English, Chinese)
_COMPARE = {
    "microcredit_households": (
        "fun_microcredit_hh",
        "microcredit",
        "registered households with a loan",
        "获得贷款的建档立卡户",
    ),
    "relocated_poor_households": (
        "hou_reloc_poor_hh",
        "relocation",
        "registered households relocated",
        "易地扶贫搬迁的建档立卡户",
    ),
    "ranger_persons": (
        "eco_rangers",
        "forest_ranger",
        "registered persons hired as forest rangers",
        "聘为生态护林员的建档立卡贫困人口",
    ),
    "housing_renovation_households": (
        "hou_dangerous_renov_hh",
        "housing_renovation",
        "renovations, registered and other priority households",
        "危房改造户，含建档立卡贫困户和其他重点对象",
    ),
    "grain_for_green_households": (
        "eco_grain_green_hh",
        "grain_for_green",
        "registered households in grain-for-green",
        "参与退耕还林的建档立卡户",
    ),
    "cooperative_persons": (
        "eco_coop_poor_pp",
        "afforestation_coop",
        "registered persons in afforestation cooperatives",
        "参加造林合作社的建档立卡贫困人口",
    ),
    "private_firm_jobs": (
        "emp_private_jobs",
        "private_firm_job",
        "registered persons in private-firm jobs",
        "在民营企业就业的建档立卡贫困人口",
    ),
    "deep_poverty_households": (
        "dp_deep_hh",
        "deep_poverty_support",
        "households with deep-poverty support",
        "享受深度贫困户帮扶的农户",
    ),
}


def coverage_table(matrix: pd.DataFrame, first: pd.Series) -> pd.DataFrame:
    """Coverage of each program as the report shows it: households covered, their share of registered
    households (a report prints it as a percentage), and the first year the program appears in the data
    (``first``: from :func:`evalkit.programs.first_years`; empty for the rows "none of these" and "no
    targeted program").

    >>> m = pd.DataFrame({"household_id": ["a", "b"], "microcredit": [1, 0], "forest_ranger": [0, 0]})
    >>> coverage_table(m, pd.Series({"microcredit": 2016, "forest_ranger": 2019})).to_dict("records")[2:]
    [{'program': 'forest_ranger', 'households': 0, 'coverage': 0.0, 'first_year': 2019}, {'program': 'microcredit', 'households': 1, 'coverage': 0.5, 'first_year': 2016}]
    """
    table = programs.coverage(matrix)
    table.insert(1, "households", (table["coverage"] * len(matrix)).round().astype(int))
    table["first_year"] = pd.array(table["program"].map(first).to_numpy(), dtype="Int64")
    return table


def not_started(table: pd.DataFrame, year: int) -> dict[str, int]:
    """Programs of a :func:`coverage_table` that cover nobody because they first appear in the data after
    ``year`` (program -> first year)."""
    late = table.loc[(table["households"] == 0) & (table["first_year"] > year)]
    return {row.program: int(row.first_year) for row in late.itertuples()}


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def not_started_sentence(late: dict[str, int], year: int) -> tuple[str, str]:
    """The sentence, in English and in Chinese, that says which programs cover nobody by the end of ``year``
    because they start later in the data.

    >>> en, zh = not_started_sentence({"forest_ranger": 2019, "deep_poverty_support": 2019}, 2018)
    >>> print(en)
    Forest ranger and deep-poverty support begin in 2019 in this data: nobody is covered by the end of 2018, so their coverage is 0.
    >>> print(zh)
    本数据中生态护林员和深度贫困户帮扶始于2019年：截至2018年底尚无农户享受，故覆盖率为0。
    """
    by_year: dict[int, list[str]] = {}
    for code, first in sorted(late.items(), key=lambda item: item[1]):
        by_year.setdefault(first, []).append(code)
    en_parts, zh_parts = [], []
    for first, codes in by_year.items():
        en_names = [label(c, "en") for c in codes]
        verb = "begins" if len(codes) == 1 else "begin"
        en_parts.append(f"{_join(en_names)} {verb} in {first}")
        zh_names = [label(c, "zh") for c in codes]
        zh_names = zh_names if len(zh_names) == 1 else ["、".join(zh_names[:-1]) + "和" + zh_names[-1]]
        zh_parts.append(f"{zh_names[0]}始于{first}年")
    en = "; ".join(en_parts)
    several = len(late) > 1
    en = (
        f"{en[0].upper()}{en[1:]} in this data: nobody is covered by the end of {year}, "
        f"so {'their' if several else 'its'} coverage is 0."
    )
    zh = f"本数据中{'，'.join(zh_parts)}：截至{year}年底尚无农户享受，故覆盖率为0。"
    return en, zh


#: What the rows of the combinations table without a program list say, in each language.
_COMBINATION_WORDS = {
    "en": {},
    "zh": {"(none)": "（无）", "(combinations of fewer households)": "（户数较少的组合）"},
}


def _until(county: dict[str, pd.DataFrame], year: int) -> dict[str, pd.DataFrame]:
    """The county with the program rows and loans that started by the end of ``year`` only."""
    out = dict(county)
    if "programs" in out:
        out["programs"] = out["programs"].loc[lambda p: p["start_year"] <= year]
    if "loans" in out:
        out["loans"] = out["loans"].loc[lambda loans: loans["loan_year"] <= year]
    return out


def ledger_comparison(
    county: dict[str, pd.DataFrame],
    ledger: pd.DataFrame,
    *,
    year: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Registry counts of the programs beside the report's figures, with the difference (the values of
    :func:`evalkit.crosscheck.registry_figures`).

    The registry value counts every year in the data, as the report counts to its own date;
    ``counted_to`` is the last year of the rows it counts. With ``year``, ``registry_by_year`` counts only
    the participants who had started by the end of that year (what the coverage of that year holds).
    ``computed_as`` says how each value is counted, in ``lang``.
    """
    check_lang(lang)
    computed = registry_figures(county, data_dir=data_dir)
    by_year = registry_figures(_until(county, year), data_dir=data_dir) if year is not None else {}
    values = ledger.set_index("figure_id")["value"]
    rows = []
    for measure, (figure, program, how_en, how_zh) in _COMPARE.items():
        registry = int(computed.get(figure, 0))
        published_value = float(values.get(figure, np.nan))
        if program == "microcredit":
            years = county["loans"]["loan_year"] if "loans" in county else pd.Series(dtype=float)
        else:
            rows_of = county["programs"].loc[county["programs"]["program"] == program] if "programs" in county else None
            years = rows_of["start_year"] if rows_of is not None else pd.Series(dtype=float)
        last = pd.to_numeric(years, errors="coerce").max()
        row = {
            "measure": measure,
            "registry_value": registry,
            "ledger_value": published_value,
            "difference": registry - published_value,
            "counted_to": pd.NA if pd.isna(last) else int(last),
        }
        if year is not None:
            row["registry_by_year"] = int(by_year.get(figure, 0))
        row.update(figure_id=figure, computed_as=how_zh if lang == "zh" else how_en)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["counted_to"] = table["counted_to"].astype("Int64")
    return table


def money(ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funds received and invested with costs per person and household exited, and every yuan figure of the
    ledger by area (the report gives investment by project, not a full budget by line of work).

    Exits have many causes; cost per exit divides money by exits, it does not attribute exits to money.
    """
    values = ledger.set_index("figure_id")["value"]
    received, invested = float(values["fun_special_funds"]), float(values["fun_invested"])
    persons, households = float(values["ov_cum_exit_pp"]), float(values["ov_cum_exit_hh"])
    summary = pd.DataFrame(
        [
            {"measure": "funds_received_yuan", "value": received},
            {"measure": "funds_invested_yuan", "value": invested},
            {"measure": "invested_share_of_received", "value": invested / received},
            {"measure": "invested_per_person_exited", "value": invested / persons},
            {"measure": "invested_per_household_exited", "value": invested / households},
        ]
    )
    columns = ["figure_id", "area", *[c for c in ("area_en", "area_zh") if c in ledger], "indicator_en", "indicator_zh"]
    yuan = ledger.loc[ledger["unit"] == "yuan", [*columns, "value"]]
    return summary, yuan.sort_values(["area", "value"], ascending=[True, False]).reset_index(drop=True)


def in_language(investment: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The investment table of :func:`money` as a report in ``lang`` shows it: the area's and the indicator's
    names in that language only.

    >>> t = pd.DataFrame({"figure_id": ["x"], "area": ["funds"], "area_en": ["Funds"], "area_zh": ["资金"],
    ...                   "indicator_en": ["Risk fund"], "indicator_zh": ["风险补偿金"], "value": [7.44e6]})
    >>> in_language(t, "zh").to_dict("records")
    [{'figure_id': 'x', 'area': '资金', 'indicator': '风险补偿金', 'value': 7440000.0}]
    """
    check_lang(lang)
    area = f"area_{lang}" if f"area_{lang}" in investment else "area"
    return pd.DataFrame(
        {
            "figure_id": investment["figure_id"],
            "area": investment[area],
            "indicator": investment[f"indicator_{lang}"],
            "value": investment["value"],
        }
    )


def village_projects(county: dict[str, pd.DataFrame], lists: pd.DataFrame) -> pd.DataFrame:
    """Villages the report names for a project (tourism, e-commerce, workshops) against the mean exit year
    of their registered households and, for poor villages, the village's own exit year."""
    villages = county["villages"]
    named = []
    for row in lists.itertuples():
        for village in villages.itertuples():
            if (
                isinstance(row.item_zh, str)
                and str(village.name_zh)
                and str(row.item_zh).startswith(str(village.name_zh))
            ):
                named.append({"village_id": village.village_id, "project": row.list_id})
    projects = pd.DataFrame(named, columns=["village_id", "project"]).drop_duplicates()
    households = county["households"]
    exits = households.groupby("village_id").agg(
        registered_households=("household_id", "size"), mean_exit_year=("exit_year", "mean")
    )
    names = [c for c in ("name_zh", "name_en", "poor_village", "poor_village_exit_year") if c in villages]
    table = villages.set_index("village_id")[names].join(exits)
    table["projects"] = projects.groupby("village_id")["project"].agg(lambda s: ", ".join(sorted(s)))
    table["named_for_project"] = table["projects"].notna()
    return table.reset_index()


def project_names(projects: str, lists: pd.DataFrame, ledger: pd.DataFrame, lang: str = "en") -> str:
    """The lists a village is named in (``projects`` of :func:`village_projects`, list ids joined by ", ") as
    the report names them in ``lang``: the ledger's indicator for each list's figure (the id where it has none).

    >>> lists = pd.DataFrame({"list_id": ["tourism_villages"], "figure_id": ["ind_tourism_villages"]})
    >>> ledger = pd.DataFrame({"figure_id": ["ind_tourism_villages"], "indicator_en": ["Featured tourism villages"],
    ...                        "indicator_zh": ["特色旅游村"]})
    >>> project_names("tourism_villages", lists, ledger, "zh")
    '特色旅游村'
    """
    check_lang(lang)
    figures = lists.drop_duplicates("list_id").set_index("list_id")["figure_id"]
    names = ledger.set_index("figure_id")[f"indicator_{lang}"]
    found = [str(names.get(figures.get(code), code)) for code in projects.split(", ")]
    return ("、" if lang == "zh" else "; ").join(found)


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``06_program_coverage``."""

    year: int = year_param("programs started by the end of this year")

    NOTEBOOK: ClassVar[str] = "06_program_coverage"


class Coverage(Evaluation):
    """The coverage notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    USES: ClassVar[tuple[str, ...]] = ("labour",)
    p: Params

    @cached_property
    def matrix(self) -> pd.DataFrame:
        """One row per registered household, one 0/1 column per program started by the end of the year."""
        return programs.participation(self.county, self.p.year)

    @property
    def heading(self) -> str:
        """What the matrix holds, in one line."""
        return f"{len(self.matrix)} registered households; programs started by the end of {self.p.year}"

    @cached_property
    def _overall(self) -> pd.DataFrame:
        return programs.coverage(self.matrix)

    @cached_property
    def first_years(self) -> pd.Series:
        """The first year each program appears in the data (:func:`evalkit.programs.first_years`)."""
        return programs.first_years(self.county)

    @cached_property
    def _coverage(self) -> pd.DataFrame:
        return coverage_table(self.matrix, self.first_years)

    def _coverage_by(self, by: str, names: pd.Series) -> pd.DataFrame:
        """Coverage among each group's registered households (shares), one column per group, named."""
        table = programs.coverage(
            self.matrix.assign(_group=self.matrix[by].map(names).fillna(self.matrix[by])), "_group"
        )
        table.columns.name = None
        return table

    def coverage(self) -> report.Section:
        """Coverage overall (households, share, first year in the data), by main cause of poverty and by
        township (shares, printed as percentages), and which programs cover nobody because they start after
        the year."""
        s = self.section()
        year = self.p.year
        table = s.table("coverage", self._coverage)  # coverage: a share, printed as a percentage
        late = not_started(table, year)
        if late:
            s.note(*not_started_sentence(late, year))
            latest = self._compare["counted_to"].max() if not self.lacks("published", "programs", "loans") else None
            if latest is not None and not pd.isna(latest):
                last = int(latest)
                s.note(
                    f"Section 3 counts them over every year in the data (to {last}), as the report does.",
                    f"第3部分按数据中的所有年份（截至{last}年）统计这些措施的人数和户数，与县报告的口径一致。",
                )
        causes = poverty_causes(self.data_dir).set_index("code")[f"name_{self.p.lang}"]
        by_cause = s.table("coverage_by_cause", self._coverage_by("main_cause", causes), show=False)
        s.note(
            "By main cause of poverty, as a percentage of each cause's registered households:",
            "分主要致贫原因的覆盖率（占该原因建档立卡户的百分比）：",
        )
        groups = [c for c in by_cause.columns if c != "program"]
        s.show(by_cause.assign(**{c: [format_share(v) for v in by_cause[c]] for c in groups}))
        s.table("coverage_by_township", self._coverage_by("township_id", self.township_names()), show=False)
        return s

    def combinations(self) -> report.Section:
        """Households by the combination of programs received (top 15 drawn), and by how many."""
        s = self.section()
        lang = self.p.lang
        combos = programs.combinations(self.matrix)
        large = combos.loc[combos["households"] >= self.p.min_count]
        named = combos.assign(
            programs=combos["programs"].map(
                lambda text: text if text == "(none)" else " + ".join(label(c, lang) for c in text.split(" + "))
            )
        )
        pooled = disclosure.pool_small(
            named, "households", "programs", min_count=self.p.min_count, label="(combinations of fewer households)"
        )
        pooled["programs"] = pooled["programs"].replace(_COMBINATION_WORDS[lang])
        s.table("combinations", pooled, show=False)
        s.figure("combinations", plots.upset_figure(large, top=15, lang=lang))
        counts = self.matrix["programs_received"].value_counts().sort_index().rename_axis("size")
        s.show(
            disclosure.fold_ends(
                counts.reset_index(name="households"), "households", "size", min_count=self.p.min_count, lang=lang
            )
        )
        return s

    @cached_property
    def _compare(self) -> pd.DataFrame:
        return ledger_comparison(self.county, self.ledger, year=self.p.year, data_dir=self.data_dir, lang=self.p.lang)

    @needs("published", "programs", "loans")
    def against_the_report(self) -> report.Section:
        """Every program count of the registry beside the report's figure, over every year in the data and
        by the end of the year."""
        s = self.section()
        table = s.table("ledger_vs_registry", self._compare)
        latest, year = table["counted_to"].max(), self.p.year
        if pd.isna(latest):  # no participant of any of these programs in the data
            return s
        last = int(latest)
        s.note(
            f"The registry values count every year in the data (to {last}), as the report counts to its own date; "
            f"the column for the end of the evaluation year counts only participants who had started by the end "
            f"of {year}.",
            f"登记数据计算值统计数据中的所有年份（截至{last}年），与县报告统计到其发布之时的口径一致；"
            f"“截至评估年底”一栏只统计{year}年底前已开始享受的对象。",
        )
        return s

    @cached_property
    def _money(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return money(self.ledger)

    @needs("published")
    def money(self) -> report.Section:
        """Funds received and invested, costs per exit, and investment by project (names in the report's
        language; the table written holds both)."""
        s = self.section()
        summary, investment = self._money
        s.table("money", summary)
        s.table("investment", investment, show=False)
        s.show(in_language(investment, self.p.lang))
        return s

    @needs("published")
    def village_projects(self) -> report.Section:
        """Villages named for projects against their households' exit timing."""
        s = self.section()
        lists = published.named_lists(self.data_dir)
        villages = village_projects(self.county, lists)
        summary_source = villages
        villages = villages.assign(
            projects=villages["projects"].map(
                lambda text: project_names(text, lists, self.ledger, self.p.lang) if isinstance(text, str) else text
            )
        )
        villages = self.suppress_villages(villages, ["registered_households"], derived=["mean_exit_year"])
        s.table("village_projects", villages, show=False)
        summary = (
            summary_source.groupby("named_for_project")
            .agg(
                village_count=("village_id", "size"),
                registered_households=("registered_households", "sum"),
                mean_exit_year=("mean_exit_year", "mean"),
            )
            .reset_index()
        )
        s.show(summary)
        s.show(villages.loc[villages["named_for_project"]])
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        overall = self._overall.set_index("program")["coverage"]
        metrics: dict[str, float | int] = {"synthetic": int(self.synthetic)}
        if not self.lacks("published", "programs", "loans"):
            values = self._compare.set_index("measure")["registry_value"]
            metrics.update(
                microcredit_households=int(values["microcredit_households"]),
                relocated_poor_households=int(values["relocated_poor_households"]),
                ranger_persons=int(values["ranger_persons"]),
                ledger_differences=int((self._compare["difference"] != 0).sum()),
            )
        metrics.update(
            households_no_program=int((self.matrix["programs_received"] == 0).sum()),
            households_no_targeted_program=int(round(overall["no_targeted_program"] * len(self.matrix))),
        )
        if not self.lacks("published"):
            summary = self._money[0].set_index("measure")["value"]
            metrics["invested_per_household_exited"] = round(float(summary["invested_per_household_exited"]), 2)
        return self.key_figures_section(metrics)
