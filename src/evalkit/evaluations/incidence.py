"""Notebook ``01_incidence_trends``: incidence from the published figures, then from household data.

Sections, in the notebook's order: the ledger; the incidence path against the exit threshold; exits and
poor villages by year; whether the published figures add up; the registry's trend by township and the
village exit tests; survey indicators with design-based intervals; a subgroup decomposition; growth and
redistribution; who left and who came back; the two assurances and three guarantees (Alkire–Foster); the
registry against the survey; a bunching check; the key figures.

The pure functions below (:func:`survey_indicators`, :func:`decomposition`, …) take the county's tables
and return new frames; :class:`Incidence` calls them with the notebook's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from evalkit import indicators as ind
from evalkit import disclosure, plots, published, reference, report
from evalkit.evaluations.base import Evaluation, Spec, needs, param
from evalkit.indicators import core
from evalkit.indicators.decompose import fgt_by_group, growth_redistribution
from evalkit.indicators.multidim import GUARANTEES, alkire_foster
from evalkit.labels import label

__all__ = [
    "Params",
    "Incidence",
    "survey_indicators",
    "registry_cohort",
    "decomposition",
    "growth_redistribution_table",
    "guarantees_af",
    "cause_names",
    "SURVEY_INDICATOR_COLUMNS",
]

Line = Literal["national", "screening", "relative"]
GroupBy = Literal["township", "cause"]

#: Columns of the survey-indicator table.
SURVEY_INDICATOR_COLUMNS = ["indicator", "estimate", "std_error", "ci_low", "ci_high", "se_method", "n", "df"]


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``01_incidence_trends``."""

    line: Line = param(
        "national",
        "poverty line for the survey and registry sections: national, screening (4,000 yuan) or relative "
        "(a share of the survey's median, estimated)",
    )
    relative_share: float = param(
        0.6,
        "share of the survey's weighted median income that is the line when line is relative (0.6: the EU's)",
        check=(lambda v: 0 < v <= 1, "in (0, 1]"),
    )
    group_by: GroupBy = param("township", "decomposition by township (survey) or cause (registry)")
    af_k: float = param(
        0.2,
        "Alkire-Foster cutoff: deprived in at least this share of the five guarantees; 0.2 means any one",
        check=(lambda v: 0 < v <= 1, "in (0, 1] (share of weighted deprivations)"),
    )

    NOTEBOOK: ClassVar[str] = "01_incidence_trends"


# ---------------------------------------------------------------- tables from the county's data


def survey_indicators(
    survey: pd.DataFrame, line: float | ind.RelativeLine, *, level: float = 0.95, reps: int = 500
) -> pd.DataFrame:
    """Poverty and inequality indicators of the survey's 2018 per-capita income with design-based intervals.

    Persons are weighted (household weight × size); strata are townships and clusters villages. Columns
    :data:`SURVEY_INDICATOR_COLUMNS`. With a relative ``line`` the FGT and Watts intervals include the
    line's estimation; Sen and SST (bootstrap) take the estimated line as given.
    """
    y = survey["income_pc_2018"].to_numpy(dtype=float)
    design = {
        "strata": survey["township_id"].to_numpy(),
        "clusters": survey["village_id"].to_numpy(),
        "reps": reps,
    }
    w = (survey["weight"] * survey["household_size"]).to_numpy(dtype=float)
    fixed = line.value(y, w) if isinstance(line, ind.RelativeLine) else line
    estimates = [
        core.fgt(y, line, 0, w, **design),
        core.fgt(y, line, 1, w, **design),
        core.fgt(y, line, 2, w, **design),
        core.watts(y, line, w, **design),
        core.sen(y, fixed, w, **design),
        core.sst(y, fixed, w, **design),
        core.gini(y, w, **design),
        core.theil(y, w, kind="T", **design),
        core.theil(y, w, kind="L", **design),
        core.atkinson(y, 1.0, w, **design),
        core.mean_income(y, w, **design),
    ]
    frame = pd.concat([e.to_frame(level) for e in estimates], ignore_index=True)
    return frame[SURVEY_INDICATOR_COLUMNS]


def registry_cohort(county: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Registry households (the 2014 poor) in ``year``: income, line, size, cause, township, guarantees."""
    panel = county["panel"].loc[county["panel"]["year"] == year]
    hh = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    return panel.merge(hh, on="household_id", how="left")


def cause_names(lang: str = "en", data_dir: str | None = None) -> dict[str, str]:
    """Cause-of-poverty code → name in ``lang`` (from ``data/reference/poverty_causes.csv``)."""
    causes = reference.poverty_causes(data_dir).set_index("code")
    return causes["name_zh" if lang == "zh" else "name_en"].to_dict()


def decomposition(
    county: dict[str, pd.DataFrame],
    year: int,
    line: float | ind.RelativeLine,
    group_by: str,
    *,
    order: float = 1,
    lang: str = "en",
) -> pd.DataFrame:
    """FGT of ``order`` (1: the poverty gap) by subgroup with exact contributions.

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
            order,
            s["weight"] * s["household_size"],
            strata=s["township_id"],
            clusters=s["village_id"],
        )
        table.insert(1, "name", table["group"].map(names).fillna(""))
        return table
    if group_by == "cause":
        r = registry_cohort(county, year)
        table = fgt_by_group(
            r["income_pc"], line, r["main_cause"], order, r["household_size"], clusters=r["village_id"]
        )
        table.insert(1, "name", table["group"].map(cause_names(lang)).fillna(""))
        return table
    raise ValueError("group_by must be 'township' or 'cause'")


def growth_redistribution_table(
    county: dict[str, pd.DataFrame], year_1: int, year_2: int, *, order: float = 0
) -> pd.DataFrame:
    """Growth and redistribution in the registry cohort's poverty change between two years (each year's line)."""
    a, b = registry_cohort(county, year_1), registry_cohort(county, year_2)
    return growth_redistribution(
        a["income_pc"],
        b["income_pc"],
        a["poverty_line"],
        b["poverty_line"],
        order,
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


# ---------------------------------------------------------------- the notebook, section by section


class Incidence(Evaluation):
    """The incidence notebook's sections (see the module docstring)."""

    Params: ClassVar[type[Spec]] = Params
    p: Params

    @cached_property
    def threshold(self) -> float:
        """The county exit threshold (incidence in %, central region)."""
        return reference.threshold("exit_incidence_county_central", self.data_dir)

    @property
    def heading(self) -> str:
        """One line naming the run."""
        return f"year={self.p.year} lang={self.p.lang} outputs -> {self.p.out_dir}"

    # published figures

    @needs("published")
    def ledger_section(self) -> report.Section:
        """Every published figure (written), and the number of figures by area (shown)."""
        s = self.section()
        s.table("ledger", self.ledger, show=False)
        s.table("ledger_by_area", published.summary_by_area(self.ledger, self.p.lang))
        return s

    @needs("published")
    def incidence_path(self) -> report.Section:
        """The incidence path (published at the ends, derived between) against the exit threshold."""
        s = self.section()
        path = published.incidence_path(self.ledger, until=self.p.year)
        s.figure("incidence_path", plots.incidence_figure(path, threshold=self.threshold, lang=self.p.lang))
        s.table("incidence_path", path)
        return s

    @needs("published")
    def exits(self) -> report.Section:
        """Households and persons exiting poverty by year."""
        s = self.section()
        exits = published.exits_by_year(self.ledger, until=self.p.year)
        s.figure("exits_by_year", plots.exits_figure(exits, lang=self.p.lang))
        s.table("exits_by_year", exits)
        return s

    @needs("published")
    def villages_exited(self) -> report.Section:
        """Registered poor villages exited by year."""
        s = self.section()
        villages = published.villages_exited_by_year(self.ledger, until=self.p.year)
        s.figure("villages_exited", plots.villages_figure(villages, lang=self.p.lang))
        s.table("villages_exited", villages)
        return s

    @cached_property
    def _reconciliation(self) -> pd.DataFrame:
        return published.reconcile(self.data_dir)

    @needs("published")
    def reconciliation(self) -> report.Section:
        """Every identity the report implies, failing ones first and shaded, then each failure in words."""
        s = self.section()
        table = self._reconciliation
        view = published.reconciliation_view(table, self.p.lang)
        s.table("reconciliation", view, translate=False, show=False)
        s.show(report.highlight_false(view, label("holds", self.p.lang)))
        for row in table.loc[~table["holds"]].itertuples():
            lhs, rhs, gap = f"{row.lhs:,g}", f"{row.rhs:,g}", f"{row.gap:+,g}"
            s.note(
                f"does not hold: {row.identity}: {row.lhs_expr} = {lhs} vs {row.rhs_expr} = {rhs} (gap {gap})",
                f"勾稽关系 {row.identity} 不成立：{row.lhs_expr} = {lhs}，而 {row.rhs_expr} = {rhs}（差额 {gap}）。",
            )
        return s

    # household data

    @cached_property
    def _registry(self) -> pd.DataFrame:
        c = self.county
        registry = ind.registry_incidence(c["panel"], c["households"], c["villages"])
        return ind.exit_tests(registry.loc[registry["year"] <= self.p.year], self.threshold)

    @cached_property
    def _village_tests(self) -> pd.DataFrame:
        c = self.county
        villages = ind.exit_tests(
            ind.registry_incidence(c["panel"], c["households"], c["villages"], by="village_id"), self.threshold
        )
        return villages.loc[villages["year"] == self.p.year].sort_values("incidence_pct", ascending=False)

    def registry_trend(self) -> report.Section:
        """Registered poor over the agricultural population by year (county, by township) and the village
        exit tests of the year."""
        s = self.section()
        c = self.county
        s.note(self.notice)
        by_town = ind.registry_incidence(c["panel"], c["households"], c["villages"], by="township_id")
        by_town = by_town.loc[by_town["year"] <= self.p.year]
        s.figure(
            "registry_incidence",
            plots.registry_incidence_figure(by_town, "township_id", threshold=self.threshold, lang=self.p.lang),
        )
        s.table("registry_incidence", self._registry)
        villages = self.suppress_villages(
            self._village_tests, ["poor_households", "poor_persons"], derived=["incidence_pct", "passes"]
        )
        s.table("village_exit_tests", villages, show=10)
        below, shown, year = f"{int(villages['passes'].sum()):,}", f"{len(villages):,}", self.p.year
        s.note(
            f"In {year}, {below} of {shown} villages had an incidence below the {self.threshold:g}% exit threshold "
            "(villages whose figures are not shown are not counted).",
            f"{year}年，{shown}个村中有{below}个村的贫困发生率低于{self.threshold:g}%的退出标准（数字未予显示的村不计在内）。",
        )
        s.note(disclosure.note(villages, min_count=self.p.min_count, lang=self.p.lang))
        return s

    @cached_property
    def line(self) -> tuple[float, str]:
        """The chosen line for 2018 (the survey's year) and where it comes from."""
        if self.p.line == "relative":
            s = self.county["survey"]
            value = self.relative_line.value(s["income_pc_2018"], s["weight"] * s["household_size"])
            return value, f"{self.p.relative_share:.0%} of the survey's weighted median income, estimated"
        return reference.poverty_line(self.p.line, 2018, self.data_dir)

    @property
    def relative_line(self) -> ind.RelativeLine:
        """The relative line of the parameters (used when ``line`` is ``relative``)."""
        return ind.relative_line(self.p.relative_share)

    @property
    def _line_for_survey(self) -> float | ind.RelativeLine:
        return self.relative_line if self.p.line == "relative" else self.line[0]

    @cached_property
    def _survey_table(self) -> pd.DataFrame:
        return survey_indicators(self.county["survey"], self._line_for_survey)

    @needs("survey")
    def survey(self) -> report.Section:
        """Depth, severity and inequality from the survey, with design-based intervals."""
        s = self.section()
        value, source = self.line
        if self.p.line == "relative":
            share = f"{self.p.relative_share:.0%}"
            s.note(
                f"line: {value:,.1f} yuan ({source}); the intervals of the headcount, the gaps and the Watts index "
                "include the line's sampling error, Sen and SST take the estimated line as given.",
                f"贫困线：{value:,.1f}元，取抽样调查加权收入中位数的{share}（估计值）；贫困发生率、贫困距和 Watts "
                "指数的置信区间计入了贫困线本身的抽样误差，Sen 指数和 SST 指数把估计的贫困线视为给定。",
            )
        else:
            if self.p.lang == "zh":
                source = reference.poverty_line(self.p.line, 2018, self.data_dir, lang="zh")[1]
            s.note(f"line: {value:,.1f} yuan ({source})", f"贫困线：{value:,.1f}元，取{source}。")
        s.table("survey_indicators", self._survey_table)
        return s

    def decomposition(self) -> report.Section:
        """The poverty gap by township (survey) or cause (registry), contributions adding up."""
        s = self.section()
        if self.p.group_by == "township" and (why := self.lacks("survey")):
            s.note(why)
            return s
        year = min(self.p.year, 2018)
        if self.p.group_by == "township":
            line = self._line_for_survey
        elif self.p.line == "relative":  # the registry cohort is the poor: the line comes from the survey
            line = self.line[0]
            s.note(
                f"The registry cohort is measured against the survey's relative line, {line:,.1f} yuan, taken "
                "as given.",
                f"建档立卡人群按抽样调查估计的相对贫困线（{line:,.1f}元）衡量，该线视为给定。",
            )
        else:
            line = reference.poverty_line(self.p.line, year, self.data_dir)[0]
        s.table("decomposition", decomposition(self.county, year, line, self.p.group_by, lang=self.p.lang))
        return s

    def growth_redistribution(self) -> report.Section:
        """Growth and redistribution in the 2014 cohort's headcount between 2014 and the year."""
        s = self.section()
        s.table("growth_redistribution", growth_redistribution_table(self.county, 2014, self.p.year))
        return s

    def dynamics(self) -> report.Section:
        """Flows in and out of the registry, transitions, exits and returns, time to exit, the exit hazard."""
        s = self.section()
        c, year = self.county, self.p.year
        flows = ind.flows_by_year(c["panel"], c["households"])
        s.table("flows_by_year", flows.loc[flows["year"] <= year])
        s.table("transitions", ind.transitions(c["panel"], year - 1, year))
        s.table("exits_and_returns", ind.exits_and_returns(c["panel"], c["households"]))
        km = ind.time_to_exit(c["households"], by="main_cause", last_year=year)
        names = cause_names(self.p.lang, self.data_dir)
        s.figure("time_to_exit", plots.survival_figure(km, lang=self.p.lang, group_labels=names))
        s.table("time_to_exit", km, show=False)
        s.table("exit_hazard", ind.exit_hazard(c["households"], ["main_cause"], last_year=year))
        return s

    @cached_property
    def _guarantees(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return guarantees_af(self.county, self.p.year, self.p.af_k)

    def guarantees(self) -> report.Section:
        """Alkire–Foster on the two assurances and three guarantees."""
        s = self.section()
        af, dims = self._guarantees
        s.table("guarantees_af", af)
        s.table("guarantees_dimensions", dims)
        return s

    @needs("survey")
    def registry_vs_survey(self) -> report.Section:
        """Weighted persons by registry status and income poverty in the survey, overall and by decile."""
        s = self.section()
        survey = self.county["survey"]
        s.table("survey_vs_registry", ind.survey_vs_registry(survey))
        by_decile = s.table("survey_vs_registry_by_decile", ind.survey_vs_registry(survey, by="decile"), show=False)
        s.show(
            by_decile.pivot_table(
                index="decile", columns=["registry", "income_poor"], values="persons", fill_value=0
            ).round(0)
        )
        return s

    @cached_property
    def _exit_ratios(self) -> pd.Series:
        """Income over the line of each household in its exit year (exits up to the year)."""
        c = self.county
        cohort = c["panel"].merge(c["households"][["household_id", "exit_year"]], on="household_id")
        at_exit = cohort.loc[(cohort["year"] == cohort["exit_year"]) & (cohort["year"] <= self.p.year)]
        return at_exit["income_pc"] / at_exit["poverty_line"]

    @cached_property
    def _bunching(self) -> ind.Bunching:
        # households exit only with income at the line or above it: the distribution is empty below the line by
        # rule, so the counterfactual is fitted above the window only and nothing is tested across the line
        return ind.bunching(self._exit_ratios, truncated_below=True)

    def bunching(self) -> report.Section:
        """Exit-year incomes around the line, and the transfer share of exit-year income."""
        s = self.section()
        bunch = self._bunching
        s.figure("bunching", plots.bunching_figure(bunch.bins, lang=self.p.lang))
        share = ind.transfer_share_at_exit(self.county["panel"], self.county["households"])
        window = bunch.bins.loc[bunch.bins["in_window"]]
        if len(window) and np.isfinite(bunch.excess_mass):
            width = float(np.diff(bunch.bins["bin_left"]).min())
            top = f"{float(window['bin_left'].max()) + width - 1:.0%}"
            mass, observed = f"{bunch.excess_mass:.2f}", f"{int(window['count'].sum()):,}"
            expected = f"{float(window['counterfactual'].sum()):,.0f}"
            s.note(
                f"Excess mass just above the line: {mass}. {observed} households exited with income less than "
                f"{top} above the line, against {expected} by the counterfactual.",
                f"贫困线上方紧邻区间的超额聚集度为{mass}：脱贫当年收入高出贫困线不到{top}的脱贫户有{observed}户，"
                f"反事实分布估计为{expected}户。",
            )
        s.note(
            "Households exit only with income at or above the line, so below it there is nobody to fit: the "
            "counterfactual is fitted to the bins above the window only and is not drawn below the line, and the "
            "density test across the line is not computed (it would only restate the rule).",
            "农户只有在收入达到或超过贫困线时才能脱贫，贫困线以下没有可供拟合的脱贫户：反事实分布只用窗口以上的区间拟合，"
            "贫困线以下不画出；跨贫困线的密度检验也因此不计算（检验结果只会重复这一规定）。",
        )
        below = int((self._exit_ratios < 1).sum())
        if below:
            n = f"{below:,}"
            s.note(
                f"{n} households exited with income below the line, against the rule: they are left out of the "
                "fit and are worth checking.",
                f"有{n}户脱贫当年收入低于贫困线，不符合退出标准：未纳入拟合，应予核查。",
            )
        s.table("transfer_share_at_exit", share.loc[share["exit_year"] <= self.p.year])
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        metrics: dict[str, float | int] = {}
        if not self.lacks("published") and self.p.year in published.evaluation_years(self.data_dir):
            metrics.update(published.trend_metrics(self.ledger, self.p.year, threshold_pct=self.threshold))
        if not self.lacks("published"):
            reconciliation = self._reconciliation
            metrics.update(
                identities_checked=len(reconciliation), identities_failed=int((~reconciliation["holds"]).sum())
            )
        row = self._registry.set_index("year").loc[self.p.year]
        af = self._guarantees[0]
        metrics.update(
            registry_incidence_pct=round(float(row["incidence_pct"]), 4),
            registry_poor_persons=int(row["poor_persons"]),
            villages_passing=int(self._village_tests["passes"].sum()),
        )
        if not self.lacks("survey"):
            estimates = self._survey_table.set_index("indicator")
            metrics.update(
                survey_headcount=round(float(estimates.loc["headcount", "estimate"]), 6),
                survey_headcount_se=round(float(estimates.loc["headcount", "std_error"]), 6),
                survey_gini=round(float(estimates.loc["gini", "estimate"]), 6),
            )
        metrics.update(
            af_m0=round(float(af.set_index("measure").loc["M0", "value"]), 6),
            bunching_excess_mass=round(float(self._bunching.excess_mass), 4),
        )
        return self.key_figures_section(metrics)
