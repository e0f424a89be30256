"""Notebook ``07_registry_overview``: the registry and its incomes, against the report.

Whether the registry reproduces the report's figures (every figure it can speak to, recomputed); registered
poor by year beside the report's path; the main causes of poverty; incomes against each year's line; and
microcredit by model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import pandas as pd

from evalkit import plots, published, report
from evalkit.crosscheck import crosscheck
from evalkit.evaluations.base import Evaluation, Spec, needs
from evalkit.indicators import registry_incidence
from evalkit.labels import check_lang
from evalkit.reference import poverty_causes

__all__ = ["Params", "RegistryOverview", "by_cause", "headcount_vs_ledger", "loans_by_model"]


def by_cause(households: pd.DataFrame, lang: str = "en", data_dir: str | None = None) -> pd.DataFrame:
    """Registered households and persons by main cause of poverty, largest first.

    Examples
    --------
    >>> hh = pd.DataFrame({"main_cause": ["illness", "illness", "disability"], "household_size": [2, 3, 1]})
    >>> by_cause(hh, "zh").values.tolist()
    [['illness', '因病', 2, 5], ['disability', '因残', 1, 1]]
    """
    check_lang(lang)
    names = poverty_causes(data_dir).set_index("code")[f"name_{lang}"]
    table = households.groupby("main_cause").agg(
        households=("household_size", "size"), persons=("household_size", "sum")
    )
    table = table.sort_values("households", ascending=False, kind="stable").reset_index()
    table.insert(1, "cause", table["main_cause"].map(names))
    return table


def headcount_vs_ledger(county: dict[str, pd.DataFrame], ledger: pd.DataFrame | None) -> pd.DataFrame:
    """Registered poor households and persons at each year end (:func:`evalkit.indicators.registry_incidence`)
    beside the ledger's path (published or derived from exits), with the difference in persons (the
    registry alone when there is no ledger)."""
    registry = registry_incidence(county["panel"], county["households"], county["villages"]).drop(columns="agri_pop")
    if ledger is None:
        return registry
    path = published.incidence_path(ledger)[["year", "poor_persons", "source"]]
    table = registry.merge(path.rename(columns={"poor_persons": "ledger_persons"}), on="year", how="left")
    table["difference"] = table["poor_persons"] - table["ledger_persons"]
    return table


def loans_by_model(loans: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Loans, amounts and repayment by microcredit model.

    Examples
    --------
    >>> loans = pd.DataFrame({"model": ["partnership", "partnership"], "model_zh": ["贫困户用合伙发展"] * 2,
    ...                       "amount_yuan": [50000, 30000], "status_2019": ["repaid", "overdue"]})
    >>> loans_by_model(loans).to_dict("records")
    [{'model': 'partnership', 'loans': 2, 'amount_yuan': 80000, 'mean_amount_yuan': 40000.0, 'overdue_or_default_share': 0.5}]
    """
    check_lang(lang)
    bad = loans["status_2019"].isin(["overdue", "default"])
    key = "model" if lang == "en" else "model_zh"
    table = (
        loans.assign(_bad=bad)
        .groupby(key, sort=False)
        .agg(
            loans=("amount_yuan", "size"),
            amount_yuan=("amount_yuan", "sum"),
            mean_amount_yuan=("amount_yuan", "mean"),
            overdue_or_default_share=("_bad", "mean"),
        )
    )
    return table.reset_index().rename(columns={"model_zh": "model"})


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``07_registry_overview``."""

    NOTEBOOK: ClassVar[str] = "07_registry_overview"


class RegistryOverview(Evaluation):
    """The registry-overview notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    p: Params

    @cached_property
    def _check(self) -> pd.DataFrame:
        """:func:`evalkit.crosscheck.crosscheck` with each figure's indicator in Chinese beside the English."""
        check = crosscheck(self.county, self.ledger, data_dir=self.data_dir)
        names = self.ledger.drop_duplicates("figure_id").set_index("figure_id")["indicator_zh"]
        check.insert(check.columns.get_loc("indicator_en") + 1, "indicator_zh", check["figure_id"].map(names))
        return check

    @needs("published", "programs", "loans", "labour")
    def crosscheck(self) -> report.Section:
        """Every ledger figure the registry can speak to, recomputed from it (the others are written too);
        the table shown names each figure in the report's language."""
        s = self.section()
        check = s.table("crosscheck", self._check, show=False)
        shown = check.loc[check["status"] != "not in registry"]
        s.show(
            shown.assign(indicator=shown[f"indicator_{self.p.lang}"])[
                ["figure_id", "indicator", "ledger_value", "registry_value", "status"]
            ]
        )
        return s

    @cached_property
    def _headcount(self) -> pd.DataFrame:
        table = headcount_vs_ledger(self.county, None if self.lacks("published") else self.ledger)
        return table.loc[table["year"] <= self.p.year]

    def headcount(self) -> report.Section:
        """Registered poor by year: registry against the report."""
        s = self.section()
        s.table("headcount", self._headcount)
        return s

    def causes(self) -> report.Section:
        """Registered households and persons by main cause of poverty."""
        s = self.section()
        s.table("by_cause", by_cause(self.county["households"], self.p.lang, self.data_dir))
        return s

    def incomes(self) -> report.Section:
        """Incomes against each year's poverty line."""
        s = self.section()
        s.figure("income_ratio", plots.income_ratio_figure(self.county["panel"], until=self.p.year, lang=self.p.lang))
        return s

    @cached_property
    def loans(self) -> pd.DataFrame:
        """Loans granted by the end of the year."""
        loans = self.table("loans")
        return loans.loc[loans["loan_year"] <= self.p.year]

    @needs("loans")
    def microcredit(self) -> report.Section:
        """Loans, amounts and repayment by microcredit model."""
        s = self.section()
        s.table("loans_by_model", loans_by_model(self.loans, self.p.lang))
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        row = self._headcount.loc[self._headcount["year"] == self.p.year].iloc[0]
        metrics: dict[str, float | int] = {
            "synthetic": int(self.synthetic),
            "registry_households": len(self.county["households"]),
            "registry_persons": len(self.county["members"]),
        }
        if not self.lacks("published", "programs", "loans", "labour"):
            check = self._check
            metrics["crosscheck_matches"] = int((check["status"] == "matches").sum())
            metrics["crosscheck_differs"] = int((check["status"] == "differs").sum())
        metrics["registered_persons_end_of_year"] = int(row["poor_persons"])
        metrics["registry_incidence_pct"] = round(float(row["incidence_pct"]), 4)
        if not self.lacks("loans"):
            metrics["borrowers_to_date"] = int(self.loans["household_id"].nunique())
            metrics["loans_to_date_yuan"] = int(self.loans["amount_yuan"].sum())
        return self.key_figures_section(metrics)
