"""Notebook ``06_program_coverage``: what each line of work reached and what it cost.

Coverage of each household program among registered households (overall, by cause and by township), the
combinations households received, every registry count beside the report's figure, the money (funds
received and invested, cost per person and household exited: money divided by exits, not an effect), and
the villages the report names for projects against their households' exit timing (a description).
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

__all__ = ["Params", "Coverage", "ledger_comparison", "money", "village_projects"]

#: registry measure -> (ledger figure, how it is computed from the registry)
_COMPARE = {
    "microcredit_households": ("fun_microcredit_hh", "registered households with a loan"),
    "relocated_poor_households": ("hou_reloc_poor_hh", "registered households relocated"),
    "ranger_persons": ("eco_rangers", "registered persons hired as forest rangers"),
    "housing_renovation_households": (
        "hou_dangerous_renov_hh",
        "renovations, registered and other priority households",
    ),
    "grain_for_green_households": ("eco_grain_green_hh", "registered households in grain-for-green"),
    "cooperative_persons": ("eco_coop_poor_pp", "registered persons in afforestation cooperatives"),
    "private_firm_jobs": ("emp_private_jobs", "registered persons in private-firm jobs"),
    "deep_poverty_households": ("dp_deep_hh", "households with deep-poverty support"),
}


def ledger_comparison(
    county: dict[str, pd.DataFrame], ledger: pd.DataFrame, *, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Registry counts of the programs beside the report's figures, with the difference (the values of
    :func:`evalkit.crosscheck.registry_figures`)."""
    computed = registry_figures(county, data_dir=data_dir)
    values = ledger.set_index("figure_id")["value"]
    rows = []
    for measure, (figure, how) in _COMPARE.items():
        registry = int(computed[figure])
        published_value = float(values.get(figure, np.nan))
        rows.append(
            {
                "measure": measure,
                "registry_value": registry,
                "ledger_value": published_value,
                "difference": registry - published_value,
                "figure_id": figure,
                "computed_as": how,
            }
        )
    return pd.DataFrame(rows)


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
    yuan = ledger.loc[ledger["unit"] == "yuan", ["figure_id", "area", "indicator_en", "indicator_zh", "value"]]
    return summary, yuan.sort_values(["area", "value"], ascending=[True, False]).reset_index(drop=True)


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

    def coverage(self) -> report.Section:
        """Coverage overall, by main cause of poverty and by township."""
        s = self.section()
        matrix = self.matrix
        names = self.township_names()
        s.table("coverage", self._overall, show=False)
        s.show(self._overall.round(3))
        by_cause = s.table("coverage_by_cause", programs.coverage(matrix, "main_cause"), show=False)
        s.show(by_cause.round(2))
        s.table(
            "coverage_by_township",
            programs.coverage(matrix.assign(township=matrix["township_id"].map(names)), "township"),
            show=False,
        )
        return s

    def combinations(self) -> report.Section:
        """Households by the combination of programs received (top 15 drawn), and by how many."""
        s = self.section()
        combos = programs.combinations(self.matrix)
        large = combos.loc[combos["households"] >= self.p.min_count]
        pooled = disclosure.pool_small(
            combos, "households", "programs", min_count=self.p.min_count, label="(combinations of fewer households)"
        )
        s.table("combinations", pooled, show=False)
        s.figure("combinations", plots.upset_figure(large, top=15, lang=self.p.lang))
        counts = self.matrix["programs_received"].value_counts().sort_index().rename_axis("size")
        s.show(
            disclosure.fold_ends(
                counts.reset_index(name="households"), "households", "size", min_count=self.p.min_count
            )
        )
        return s

    @cached_property
    def _compare(self) -> pd.DataFrame:
        return ledger_comparison(self.county, self.ledger, data_dir=self.data_dir)

    @needs("published", "programs", "loans")
    def against_the_report(self) -> report.Section:
        """Every program count of the registry beside the report's figure."""
        s = self.section()
        s.table("ledger_vs_registry", self._compare)
        return s

    @cached_property
    def _money(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return money(self.ledger)

    @needs("published")
    def money(self) -> report.Section:
        """Funds received and invested, costs per exit, and investment by project."""
        s = self.section()
        summary, investment = self._money
        s.table("money", summary)
        s.table("investment", investment)
        return s

    @needs("published")
    def village_projects(self) -> report.Section:
        """Villages named for projects against their households' exit timing."""
        s = self.section()
        villages = village_projects(self.county, published.named_lists(self.data_dir))
        summary_source = villages
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
