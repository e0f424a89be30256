"""Notebook ``05_exit_assessment``: the third-party exit assessment's sample design and its four figures.

How many households and villages a chosen power needs (with clustering, checked by simulation), their
allocation across townships, a seeded visit list (pseudonyms only) with a results template for the field
team; then the wrong-exit rate, missed-identification rate, composite incidence and approval with Wilson
intervals, verdicts and the probability that each meets its threshold, from the team's entered results or
the synthetic survey (with the true values beside them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

import pandas as pd

from evalkit import assessment, plots, report, sampling
from evalkit.evaluations.base import Evaluation, Spec, param, year_param

__all__ = ["Params", "ExitAssessment", "allocation", "ASSESSMENT_COLUMNS"]

Region = Literal["central", "west"]

#: Columns of the assessment table shown in the notebook.
ASSESSMENT_COLUMNS = [
    "indicator",
    "estimate",
    "ci_low",
    "ci_high",
    "threshold",
    "direction",
    "passes",
    "p_meets",
    "truth",
]


def allocation(households: pd.DataFrame, villages: pd.DataFrame, year: int, total: int) -> pd.DataFrame:
    """Villages to visit by township, in proportion to the township's households exited by ``year``, at
    least one each (largest remainders): ``township_id, exited_households, villages_allocated``."""
    placed = households.merge(villages[["village_id", "township_id"]], on="village_id")
    exited = placed.loc[placed["exit_year"].notna() & (placed["exit_year"] <= year)]
    by_town = exited.groupby("township_id").size().rename("exited_households")
    table = by_town.to_frame().assign(villages_allocated=sampling.allocate(total, by_town.to_numpy(), minimum=1))
    return table.reset_index()


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``05_exit_assessment``."""

    year: int = year_param("evaluation year; the synthetic assessment survey is of the end of 2018")
    p_true: float = param(
        0.01,
        "rate assumed true when planning: a 1% rate should be shown below the 2% threshold",
        check=(lambda v: 0 < v < 1, "in (0, 1) (the assumed true rate, a share)"),
    )
    power: float = param(0.8, "probability of showing it", check=(lambda v: 0.5 <= v < 1, "in [0.5, 1)"))
    icc: float = param(
        0.05,
        "intra-village correlation of the rate (design effect 1 + (m - 1) icc)",
        check=(lambda v: 0 <= v < 1, "in [0, 1)"),
    )
    per_village: int = param(25, "households interviewed per village", check=(lambda v: v >= 1, "at least 1"))
    region: Region = param("central", "central (composite threshold 2%) or west (3%)")
    seed: int = param(2018, "seed of the visit-list draw")
    survey_file: str = param(
        "",
        "entered results, CSV in the layout of evalkit.assessment.SURVEY_COLUMNS; empty means the synthetic survey",
        kind="file",
    )
    remaining_persons: int = param(
        0,
        "registered poor persons remaining at the end of the year; 0 means from the registry",
        check=(lambda v: v >= 0, "at least 0 (0 means from the registry)"),
    )
    rural_persons: int = param(
        0,
        "rural (agricultural) population; 0 means the villages' agricultural population",
        check=(lambda v: v >= 0, "at least 0 (0 means from the villages table)"),
    )

    NOTEBOOK: ClassVar[str] = "05_exit_assessment"


class ExitAssessment(Evaluation):
    """The exit-assessment notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    USES: ClassVar[tuple[str, ...]] = ("survey", "truth")
    p: Params

    @cached_property
    def thresholds(self) -> dict[str, float]:
        """The four thresholds for the region (shares)."""
        return assessment.thresholds(self.p.region, self.data_dir)

    @property
    def heading(self) -> str:
        """The thresholds in one line."""
        return "thresholds: " + ", ".join(f"{name} {value:g}" for name, value in self.thresholds.items())

    @cached_property
    def plan(self) -> assessment.SamplePlan:
        """Households and villages needed."""
        p = self.p
        return assessment.sample_size(
            p_true=p.p_true,
            threshold=self.thresholds["wrong_exit_rate"],
            power=p.power,
            icc=p.icc,
            per_village=p.per_village,
        )

    @cached_property
    def _plan_table(self) -> pd.DataFrame:
        return self.plan.to_frame().assign(
            simulated_power=assessment.simulated_power(self.plan, reps=20000, seed=self.p.seed)
        )

    def sample_size(self) -> report.Section:
        """The plan with its simulated power, and the plans for other powers and correlations."""
        s = self.section()
        s.table("sample_plan", self._plan_table)
        grid = assessment.plan_grid(
            p_true=self.p.p_true, threshold=self.thresholds["wrong_exit_rate"], per_village=self.p.per_village
        )
        s.table("plan_grid", grid, show=False)
        shown = ["power", "icc", "households_srs", "design_effect", "households_needed", "villages_needed"]
        s.show(grid[shown])
        return s

    @cached_property
    def _visit(self) -> pd.DataFrame:
        c = self.county
        exited = c["households"]["exit_year"].notna() & (c["households"]["exit_year"] <= self.p.year)
        counts = self._allocation.set_index("township_id")["villages_allocated"]
        return assessment.draw_visit_list(
            c["households"], c["villages"], counts, self.p.per_village, seed=self.p.seed, eligible=exited
        )

    @cached_property
    def _allocation(self) -> pd.DataFrame:
        c = self.county
        return allocation(c["households"], c["villages"], self.p.year, self.plan.villages_needed)

    def visit_list(self) -> report.Section:
        """The allocation across townships, the seeded visit list and the results template."""
        s = self.section()
        visit = self._visit
        s.table("allocation", self._allocation)
        s.table("visit_list", visit, internal=True)  # lists households: for the field team, not the report
        s.table("results_template", assessment.survey_template(visit), translate=False, internal=True)
        villages, households = f"{visit['village_id'].nunique():,}", f"{len(visit):,}"
        s.note(
            f"{villages} villages, {households} exited households to visit",
            f"应走访{villages}个村的{households}户脱贫户。",
        )
        return s

    @property
    def synthetic_survey(self) -> bool:
        """The survey is the SYNTHETIC county's (no ``survey_file``, and a SYNTHETIC package)."""
        return not self.p.survey_file and self.synthetic

    @cached_property
    def survey(self) -> pd.DataFrame | None:
        """The entered results, or the synthetic survey (of the end of 2018: None for other years)."""
        if self.p.survey_file:
            return assessment.read_survey(self.p.survey_file)
        if self.lacks("survey"):
            return None
        return self.county["survey"] if self.p.year == 2018 else None

    @cached_property
    def _table(self) -> pd.DataFrame | None:
        survey = self.survey
        if survey is None:
            return None
        c = self.county
        remaining = (
            self.p.remaining_persons or c["households"].loc[c["households"]["exit_year"].isna(), "household_size"].sum()
        )
        rural = self.p.rural_persons or c["villages"]["agri_pop"].sum()
        table = assessment.assess(survey, remaining_persons=remaining, rural_persons=rural, region=self.p.region)
        if self.synthetic_survey and not self.lacks("truth"):
            truth = c["truth"].query("program == 'exit_assessment'").set_index("outcome")["value"]
            table["truth"] = table["indicator"].map(truth)
        else:
            table["truth"] = float("nan")
        return table

    def figures(self) -> report.Section:
        """The four figures with intervals, thresholds, verdicts and P(meets)."""
        s = self.section()
        table, survey = self._table, self.survey
        if table is None:
            why = None if self.p.survey_file else self.lacks("survey")
            s.note(
                why
                or f"no assessment survey for {self.p.year}: the package's survey is of the end of 2018; "
                "the plan above still applies",
                why or f"{self.p.year}年没有评估调查数据：数据包中的调查是2018年底的调查；上文的抽样方案仍然适用。",
            )
            return s
        exited = survey.loc[survey["registry_status_2018"].isin(["exited", "exited_this_year"])]
        icc = assessment.estimate_icc(~exited["meets_exit_criteria"].astype(bool), exited["village_id"])
        observed, assumed = f"{icc:.3f}", f"{self.p.icc:g}"
        s.note(
            f"intra-village correlation of wrong exits in this sample: {observed} (assumed for planning: {assumed})",
            f"本次样本中错退的村内相关系数为{observed}（设计样本时假定为{assumed}）。",
        )
        s.table("assessment", table, show=False)
        s.figure("assessment", plots.assessment_figure(table, lang=self.p.lang))
        s.show(table[ASSESSMENT_COLUMNS])
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        table = self._table
        metrics: dict[str, float | int] = {
            "synthetic": int(self.synthetic_survey),
            "assessment_available": int(table is not None),
            "plan_households": self.plan.households_needed,
            "plan_villages": self.plan.villages_needed,
            "plan_simulated_power": round(float(self._plan_table["simulated_power"].iloc[0]), 4),
            "visit_households": len(self._visit),
        }
        if table is not None:
            for row in table.itertuples():
                key = row.indicator
                metrics[key] = round(float(row.estimate), 6)
                metrics[f"{key}_ci_low"] = round(float(row.ci_low), 6)
                metrics[f"{key}_ci_high"] = round(float(row.ci_high), 6)
                p_below = row.p_meets if row.direction == "below" else 1 - row.p_meets
                metrics[f"{key}_p_below_threshold"] = round(float(p_below), 6)
                metrics[f"{key}_passes"] = int(row.passes)
                if self.synthetic_survey and not self.lacks("truth"):
                    metrics[f"{key}_true"] = round(float(row.truth), 6)
            metrics["county_passes"] = int(table["passes"].all())
        return self.key_figures_section(metrics)
