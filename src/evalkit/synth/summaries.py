"""Summaries of a registry and its panel (work on the synthetic county or a real export)."""

from __future__ import annotations

import pandas as pd

from evalkit.plots.labels import check_lang
from evalkit.synth.codes import causes

__all__ = ["by_cause", "headcount_by_year", "headcount_vs_ledger", "loans_by_model"]


def by_cause(households: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Registered households and persons by main cause of poverty, largest first.

    Examples
    --------
    >>> hh = pd.DataFrame({"main_cause": ["illness", "illness", "disability"], "household_size": [2, 3, 1]})
    >>> by_cause(hh, "zh").values.tolist()
    [['illness', '因病', 2, 5], ['disability', '因残', 1, 1]]
    """
    check_lang(lang)
    names = causes().set_index("code")[f"name_{lang}"]
    table = households.groupby("main_cause").agg(
        households=("household_size", "size"), persons=("household_size", "sum")
    )
    table = table.sort_values("households", ascending=False, kind="stable").reset_index()
    table.insert(1, "cause", table["main_cause"].map(names))
    return table


def headcount_by_year(panel: pd.DataFrame, households: pd.DataFrame, agri_pop: float) -> pd.DataFrame:
    """Registered (not yet exited) households and persons at each year end, and incidence.

    Examples
    --------
    >>> hh = pd.DataFrame({"household_id": ["a", "b"], "household_size": [2, 3]})
    >>> panel = pd.DataFrame({"household_id": ["a", "b", "a", "b"], "year": [2014, 2014, 2015, 2015],
    ...                       "status": ["registered", "registered", "exited_this_year", "registered"]})
    >>> headcount_by_year(panel, hh, 100).to_dict("list")
    {'year': [2014, 2015], 'poor_households': [2, 1], 'poor_persons': [5, 3], 'incidence_pct': [5.0, 3.0]}
    """
    data = panel.merge(households[["household_id", "household_size"]], on="household_id", validate="many_to_one")
    still = data.loc[data["status"] == "registered"]
    table = still.groupby("year").agg(
        poor_households=("household_size", "size"), poor_persons=("household_size", "sum")
    )
    table = table.reindex(sorted(data["year"].unique()), fill_value=0)
    table["incidence_pct"] = table["poor_persons"] / agri_pop * 100
    return table.reset_index()


def headcount_vs_ledger(
    panel: pd.DataFrame, households: pd.DataFrame, ledger: pd.DataFrame, agri_pop: float
) -> pd.DataFrame:
    """Registry headcount by year beside the ledger's path (published or derived from exits)."""
    from evalkit.published import incidence_path

    registry = headcount_by_year(panel, households, agri_pop)
    path = incidence_path(ledger)[["year", "poor_persons", "source"]].rename(columns={"poor_persons": "ledger_persons"})
    table = registry.merge(path, on="year", how="left")
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
