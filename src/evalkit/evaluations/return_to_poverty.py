"""Notebook ``04_return_to_poverty``: who is at risk of falling back into poverty, and why.

The report's screening rule and the 2020 monitoring categories (thresholds as data in
``data/reference/risk_rules.csv``) with each criterion's count and results by village (small counts
suppressed); a logistic risk model trained on earlier years and tested on the next (out of time); the rule
and the model on the same households; the same for every other screening year.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
import pandas as pd

from evalkit import disclosure, plots, published, reference, report, risk
from evalkit.errors import EstimationError
from evalkit.evaluations.base import Evaluation, Spec, param, year_param
from evalkit.labels import has_label, label

__all__ = ["Params", "ReturnToPoverty", "flag_counts", "rule_vs_model", "screened_households"]


def screened_households(households: pd.DataFrame, year: int) -> set[str]:
    """Ids of the households exited by the end of ``year``."""
    return set(households.loc[households["exit_year"] <= year, "household_id"])


def flag_counts(flags: pd.DataFrame, households: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """Households and persons flagged by each criterion (a boolean column of ``flags``)."""
    sizes = households.set_index("household_id")["household_size"]
    return pd.DataFrame(
        [
            {
                "criterion": c,
                "households": int(flags[c].sum()),
                "persons": int(sizes.loc[flags.loc[flags[c], "household_id"]].sum()),
            }
            for c in criteria
        ]
    )


def rule_vs_model(test: pd.DataFrame, budgets: list[int]) -> pd.DataFrame:
    """Returns caught by the report's rule and by the model's top ``k`` households, for ``k`` the rule's
    number of flags and each budget, with recall and precision.

    ``test``: one row per exited household with ``score``, ``returns`` (0/1) and ``report_rule``.
    """
    events = test["returns"].astype(float).to_numpy()
    flagged = int(test["report_rule"].sum())
    rows = [{"method": "report_rule", "k": flagged, "caught": int(events[test["report_rule"].to_numpy()].sum())}]
    for k in sorted({max(flagged, 1), *budgets}):
        top = risk.precision_recall_at(test["score"], events, k)
        rows.append({"method": "risk_model", "k": k, "caught": int(round(top["precision"] * k))})
    table = pd.DataFrame(rows).assign(events=int(events.sum()))
    table["recall"] = table["caught"] / table["events"].where(table["events"] > 0)
    table["precision"] = table["caught"] / table["k"].where(table["k"] > 0)
    return table


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``04_return_to_poverty``."""

    year: int = year_param("screening year: rules applied to this year, model tested on the next")
    budget: int = param(
        50,
        "households the county can visit: the top of the model's ranking",
        check=(lambda v: v >= 1, "at least 1 (households screened)"),
    )
    monitoring_line: float = param(
        0.0,
        "monitoring line in yuan; 0 means 1.5 times the national line of the year",
        check=(lambda v: v >= 0, "at least 0 (0 means 1.5 times the national line of the year)"),
    )

    NOTEBOOK: ClassVar[str] = "04_return_to_poverty"


class ReturnToPoverty(Evaluation):
    """The return-to-poverty notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    USES: ClassVar[tuple[str, ...]] = ("published",)
    p: Params

    @cached_property
    def rules(self) -> risk.ScreeningRules:
        """The report's rule (as published) and the monitoring line (the parameter, else the 2020 multiple)."""
        return risk.ScreeningRules.from_table(monitoring_line=self.p.monitoring_line or None, data_dir=self.data_dir)

    def flags(self, year: int) -> pd.DataFrame:
        """Every household's flags and reasons in ``year``."""
        c = self.county
        return risk.screen(c["panel"], year, self.rules, exited=screened_households(c["households"], year))

    @cached_property
    def _flags(self) -> pd.DataFrame:
        return self.flags(self.p.year)

    @cached_property
    def _criteria(self) -> pd.DataFrame:
        return flag_counts(self._flags, self.county["households"], [*risk.CRITERIA, "report_rule"])

    def screening(self) -> report.Section:
        """Each criterion's count, the report's rule, the monitoring categories and the rules' sources."""
        s = self.section()
        s.show(reference.risk_rules(self.data_dir))
        s.table("criteria", self._criteria)
        categories = flag_counts(
            self._flags, self.county["households"], ["below_monitoring_line", "unstable_exited", "sudden_hardship"]
        )
        # marginal households were never registered: a registry cannot find them (not assessable, not zero)
        categories = pd.concat(
            [categories, pd.DataFrame([{"criterion": "marginal", "households": np.nan, "persons": np.nan}])],
            ignore_index=True,
        )
        s.table("categories", categories)
        return s

    def by_village(self) -> report.Section:
        """Households meeting the report's rule by village, counts below ``min_count`` suppressed."""
        s = self.section()
        villages = risk.by_village(
            self._flags,
            self.county["households"],
            "report_rule",
            min_count=self.p.min_count,
            villages=self.county["villages"],
        )
        villages = villages.loc[villages["households"].isna() | (villages["households"] > 0)]
        s.note(disclosure.note(villages, min_count=self.p.min_count, lang=self.p.lang))
        s.table("by_village", villages, show=bool(villages["households"].notna().any()))  # nothing to show if all blank
        return s

    @cached_property
    def _features(self) -> pd.DataFrame:
        return risk.features(self.county["panel"], self.county["households"])

    @property
    def _no_next_year(self) -> str | None:
        """Why the model cannot be validated: the panel holds no year after the screening year."""
        last = int(self.county["panel"]["year"].max())
        if self.p.year < last:
            return None
        return (
            f"the panel ends in {last}: the model is validated on the year after the screening year, which the data "
            "do not hold yet; the screening rule above still applies"
        )

    def _note_no_next_year(self, s: report.Section) -> None:
        """Say in ``s``, in its language, why the model is not validated (:attr:`_no_next_year`)."""
        last = int(self.county["panel"]["year"].max())
        s.note(
            self._no_next_year or "",
            f"面板数据截至{last}年：模型要用筛查年份的下一年来验证，而现有数据尚不包含该年；上文的排查标准仍然适用。",
        )

    @cached_property
    def _model(self) -> risk.OutOfTime:
        if self._no_next_year:
            raise EstimationError(self._no_next_year)
        return risk.out_of_time(self._features, self.p.year)

    def risk_model(self) -> report.Section:
        """The logistic model trained up to the year, its odds ratios and calibration on the next year."""
        s = self.section()
        if self._no_next_year:
            self._note_no_next_year(s)
            return s
        oot = self._model
        falls = oot.test["falls"].notna()
        calibration = risk.calibration(oot.test.loc[falls, "score"], oot.test.loc[falls, "falls"].astype(float))
        year, n, falls_n, returns = (
            self.p.year,
            f"{oot.model.n_train:,}",
            f"{oot.model.events_train:,}",
            f"{oot.returns:,}",
        )
        auc_falls, auc_returns = f"{oot.auc_falls:.3f}", f"{oot.auc_returns:.3f}"
        s.note(
            f"trained on {n} household-years ({falls_n} falls) up to {year}; AUC for falls in {year + 1}: {auc_falls}; "
            f"for returns below the line: {auc_returns} ({returns} returns)",
            f"模型用截至{year}年的{n}个户-年观测（其中收入下降{falls_n}次）训练；预测{year + 1}年收入下降的AUC为{auc_falls}，"
            f"预测返贫（收入回落到贫困线以下）的AUC为{auc_returns}（返贫{returns}户）。",
        )
        if oot.model.left_out:
            names = oot.model.left_out
            s.note(
                "left out of the model because they separate the households that fell from those that did not "
                f"in the training years (their odds ratios would be 0 or infinite): {', '.join(names)}",
                "以下变量在训练年份中把收入下降的农户与未下降的农户完全分开（其优势比将为0或无穷大），因此未纳入模型："
                f"{'、'.join(label(name, 'zh') if has_label(name) else name for name in names)}。",
            )
        if not oot.model.converged:
            s.note(
                "the model's likelihood did not reach its maximum in 100 iterations: read its odds ratios with care",
                "模型的似然函数在100次迭代内未达到最大值，解读其优势比时须谨慎。",
            )
        s.table("odds_ratios", oot.model.odds_ratios())
        s.table("calibration", calibration, show=False)
        s.figure("calibration", plots.calibration_figure(calibration, lang=self.p.lang))
        return s

    def rule_vs_model(self) -> report.Section:
        """Returns caught by the rule and by the model with the same number of visits and with ``budget``."""
        s = self.section()
        if self._no_next_year:
            self._note_no_next_year(s)
            return s
        oot = self._model
        test = oot.test.loc[oot.test["returns"].notna()].merge(
            self._flags[["household_id", "report_rule"]], on="household_id"
        )
        events = test["returns"].astype(float).to_numpy()
        comparison = rule_vs_model(test, [self.p.budget])
        curve = risk.screening_curve(test["score"], events, range(1, min(len(test), 4 * self.p.budget) + 1))
        s.table("rule_vs_model", comparison)
        s.table("screening_curve", curve, show=False)
        if events.sum() > 0:
            rule_point = {"k": int(test["report_rule"].sum()), "recall": comparison["recall"].iloc[0]}
            s.figure("screening", plots.screening_figure(curve, rule_point, lang=self.p.lang))
        return s

    @cached_property
    def _other_years(self) -> tuple[pd.DataFrame, dict[int, str]]:
        frame, panel = self._features, self.county["panel"]
        sizes = self.county["households"].set_index("household_id")["household_size"]
        rows, skipped = [], {}
        for y in sorted(set(range(int(frame["label_year"].min()), int(panel["year"].max()))) - {self.p.year}):
            try:
                result = risk.out_of_time(frame, y)
            except EstimationError as error:  # too few events in an early year to fit: left out, and said
                skipped[y] = str(error)
                continue
            flagged = self.flags(y)
            flagged = flagged.loc[flagged["report_rule"], "household_id"]
            rows.append(
                {
                    "year": y,
                    "screened_households": int(flagged.size),
                    "screened_persons": int(sizes.loc[flagged].sum()),
                    "auc_falls": result.auc_falls,
                    "auc_returns": result.auc_returns,
                }
            )
        return pd.DataFrame(rows), skipped

    def other_years(self) -> report.Section:
        """The same rule and validation for every other screening year the panel allows."""
        s = self.section()
        table, skipped = self._other_years
        for year, reason in skipped.items():
            s.note(
                f"{year}: {reason}",
                f"{year}年：截至该年的训练数据中，农户收入或者全都下降、或者全未下降，无法训练模型，因此该年未作验证。",
            )
        s.table("other_years", table)
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        report_row = self._criteria.set_index("criterion").loc["report_rule"]
        metrics: dict[str, float | int] = {
            "synthetic": int(self.synthetic),
            "screened_households": int(report_row["households"]),
            "screened_persons": int(report_row["persons"]),
        }
        if not self.lacks("published"):
            metrics["published_screened_households"] = published.figure("dp_screened_hh", self.data_dir)
            metrics["published_screened_persons"] = published.figure("dp_screened_pp", self.data_dir)
        if not self._no_next_year:
            metrics["risk_model_auc_out_of_time"] = round(self._model.auc_falls, 6)
        metrics.update(
            unstable_exited_households=int(self._flags["unstable_exited"].sum()),
            sudden_hardship_households=int(self._flags["sudden_hardship"].sum()),
        )
        if not self._no_next_year and np.isfinite(self._model.auc_returns):
            metrics["return_auc_out_of_time"] = round(self._model.auc_returns, 6)
        for row in self._other_years[0].itertuples():
            metrics[f"screened_households_{row.year}"] = row.screened_households
            metrics[f"screened_persons_{row.year}"] = row.screened_persons
            metrics[f"risk_model_auc_out_of_time_{row.year}"] = round(float(row.auc_falls), 6)
        return self.key_figures_section(metrics)
