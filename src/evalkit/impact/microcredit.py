"""The microcredit evaluation: analysis panel, reach tables, effect estimates beside the truth.

Notebook ``02_microcredit`` calls these; users with their own registry and loan ledger call them too.
Inputs are the registry tables as :func:`evalkit.datasets.load_county` returns them (``households``,
``villages``, ``panel``, ``loans``; ``truth`` only for synthetic data).

Estimands, and the planted truth they are compared with (the synthetic effects are constant over time
for each household, from the loan year on, so the truth of every estimand follows from the cohort
truths in ``synthetic_truth.csv``):

* ``post_years``: the mean effect over borrowers' post-loan household-years up to ``year`` (two-way
  fixed effects, event study, imputation, Callaway–Sant'Anna and the naive comparison estimate it);
* ``borrowers_in_year``: the mean effect over borrowing households in ``year`` (the long-difference estimators
  with pre-loan covariates estimate it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import EstimationError
from evalkit.impact.att import att
from evalkit.impact.did import did
from evalkit.impact.reach import concentration_index, take_up
from evalkit.impact.wild import wild_cluster_bootstrap

__all__ = [
    "OUTCOMES",
    "CLUSTERS",
    "analysis_panel",
    "long_difference",
    "truths",
    "effects",
    "heterogeneity",
    "reach_by",
    "loan_sizes",
    "outstanding_by_year",
    "depth",
]

OUTCOMES = ("operating_pc", "property_pc", "income_pc", "wage_pc")
CLUSTERS = {"village": "village_id", "township": "township_id", "household": "household_id"}
BASE_YEAR = 2015  # the last year before any poverty-alleviation loan in the report (loans from 2016)
COVARIATES = [
    "base_operating_pc",
    "base_wage_pc",
    "base_transfer_pc",
    "base_trend_pc",
    "household_size",
    "main_cause",
    "township_id",
]


def analysis_panel(county: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Household-years up to ``year`` with place, cause, loan cohort and model, and ``loan`` (1 from the
    loan year on), plus pre-loan characteristics (``base_*`` of 2015, ``base_trend_pc`` = 2015 − 2014
    income, ``household_type``: ``dibao`` if the household drew the minimum living allowance in 2015)."""
    households = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    loans = county["loans"]
    first = loans.sort_values("loan_year").drop_duplicates("household_id")[["household_id", "loan_year", "model"]]
    panel = county["panel"].loc[lambda p: p["year"] <= year]
    base = panel.loc[panel["year"] == BASE_YEAR].set_index("household_id")
    before = panel.loc[panel["year"] == BASE_YEAR - 1].set_index("household_id")
    baseline = pd.DataFrame(
        {
            "base_income_pc": base["income_pc"],
            "base_operating_pc": base["operating_pc"],
            "base_wage_pc": base["wage_pc"],
            "base_transfer_pc": base["transfer_pc"],
            "base_trend_pc": base["income_pc"] - before["income_pc"],
            "household_type": np.where(base["dibao_pc"] > 0, "dibao", "general"),
        }
    ).reset_index()
    out = (
        panel.merge(households, on="household_id", how="left")
        .merge(first, on="household_id", how="left")
        .merge(baseline, on="household_id", how="left")
    )
    granted = out["loan_year"].notna() & (out["loan_year"] <= year)
    out["loan_year"] = out["loan_year"].where(granted)
    out["model"] = out["model"].where(granted)
    out["loan"] = (granted & (out["year"] >= out["loan_year"])).astype(int)
    return out


def long_difference(panel: pd.DataFrame, outcome: str, year: int) -> pd.DataFrame:
    """One row per household: change of ``outcome`` from 2015 to ``year``, borrower flag, pre-loan covariates."""
    wide = panel.pivot(index="household_id", columns="year", values=outcome)
    if BASE_YEAR not in wide or year not in wide:
        raise EstimationError(f"the long difference needs {outcome!r} in {BASE_YEAR} and {year}")
    first = panel.drop_duplicates("household_id").set_index("household_id")
    out = first[
        [
            "village_id",
            "township_id",
            "household_size",
            "main_cause",
            "loan_year",
            "model",
            *[c for c in first.columns if c.startswith("base_")],
        ]
    ].copy()
    out["change"] = wide[year] - wide[BASE_YEAR]
    out["borrower"] = out["loan_year"].notna().astype(int)
    return out.reset_index()


def truths(truth: pd.DataFrame, outcome: str, year: int, by: str = "all") -> dict[str, float]:
    """Planted effect for each estimand, from the cohort truths (effects constant from the loan year on).

    ``by`` is ``all`` or a group of the truth table (e.g. ``model=self_development``); for a group the
    cohort split is not stored, so only ``group`` (the stored value over all post-loan years) is returned.
    """
    rows = truth.loc[(truth["program"] == "microcredit") & (truth["outcome"] == outcome)].set_index("group")
    if by != "all":
        return {"group": float(rows.loc[by, "value"])}
    cohorts = rows.loc[rows.index.str.startswith("loan_year=")]
    start = cohorts.index.str.removeprefix("loan_year=").astype(int)
    keep = start <= year
    households = cohorts["n_units"].to_numpy()[keep]
    effect = cohorts["value"].to_numpy()[keep]
    years = year - start.to_numpy()[keep] + 1
    return {
        "post_years": float((households * years) @ effect / (households * years).sum()),
        "borrowers_in_year": float(households @ effect / households.sum()),
    }


def effects(
    panel: pd.DataFrame,
    outcome: str = "operating_pc",
    *,
    year: int,
    cluster: str = "village",
    control: str = "not_yet",
    truth: dict[str, float] | None = None,
    reps: int = 199,
    seed: int = 0,
) -> pd.DataFrame:
    """Every effect estimate in one table: estimate, std_error, ci_low, ci_high, p_value, n, n_clusters,
    method, estimand and (synthetic data) truth.

    Rows: naive comparison; two-way fixed effects; the same with a restricted wild cluster bootstrap over
    townships (few clusters); event study (leads and lags); imputation and Callaway–Sant'Anna
    (heterogeneity-robust, comparison group ``control``); and, on the change from 2015 to ``year`` with
    pre-loan covariates, the difference in means, regression adjustment, IPW and doubly robust (AIPW).
    """
    if cluster not in CLUSTERS:
        raise EstimationError(f"cluster must be one of {', '.join(CLUSTERS)}; got {cluster!r}")
    column = CLUSTERS[cluster]
    args = (panel, outcome, "loan", "household_id", "year")
    results = [
        ("naive", "post_years", did(*args, cluster=column, method="naive")),
        ("twfe", "post_years", did(*args, cluster=column)),
        ("twfe_wild_bootstrap", "post_years", wild_cluster_bootstrap(*args, cluster="township_id", seed=seed)),
        ("event_study", "post_years", did(*args, cluster=column, method="event_study")),
        (
            "imputation",
            "post_years",
            did(*args, cluster=column, method="imputation", control=control, reps=reps, seed=seed),
        ),
        ("callaway_santanna", "post_years", did(*args, cluster=column, method="callaway_santanna", control=control)),
    ]
    changes = long_difference(panel, outcome, year)
    for method in ("diff", "ols", "ipw", "aipw"):
        result = att(
            changes,
            "change",
            "borrower",
            None if method == "diff" else COVARIATES,
            method,
            cluster=column,
            reps=reps,
            seed=seed,
        )
        results.append((f"long_difference_{method}", "borrowers_in_year", result))
    rows = []
    for name, estimand, result in results:
        row = result.to_frame().iloc[0]
        rows.append(
            {
                "method": name,
                **{k: row[k] for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters")},
                "estimand": estimand,
                "truth": (truth or {}).get(estimand, np.nan),
            }
        )
    table = pd.DataFrame(rows)
    table["truth_in_ci"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    return table


def heterogeneity(
    panel: pd.DataFrame,
    outcome: str,
    by: str,
    *,
    cluster: str = "village",
    control: str = "not_yet",
    truth: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Callaway–Sant'Anna effect for the borrowers of each group of ``by`` (e.g. ``model``, or
    ``base_income_tercile``) against every non-borrower, one row per group, with the truth when stored."""
    rows = []
    for value in sorted(panel.loc[panel["loan_year"].notna(), by].dropna().unique()):
        keep = panel["loan_year"].isna() | (panel[by] == value)
        result = did(
            panel.loc[keep],
            outcome,
            "loan",
            "household_id",
            "year",
            cluster=CLUSTERS[cluster],
            method="callaway_santanna",
            control=control,
        )
        row = result.to_frame().iloc[0]
        stored = np.nan
        if truth is not None:
            key = f"{by}={value}"
            match = truth.loc[
                (truth["program"] == "microcredit") & (truth["outcome"] == outcome) & (truth["group"] == key), "value"
            ]
            stored = float(match.iloc[0]) if len(match) else np.nan
        rows.append(
            {
                by: value,
                "borrowers": int(panel.loc[keep & panel["loan_year"].notna(), "household_id"].nunique()),
                **{k: row[k] for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value")},
                "pretrend_p_value": result.details.get("pretrend_p_value", np.nan),
                "truth": stored,
            }
        )
    return pd.DataFrame(rows)


def reach_by(panel: pd.DataFrame, year: int, by: str | list[str] | None) -> pd.DataFrame:
    """Take-up (获贷率) among registered households by ``by``: columns of :func:`take_up`."""
    households = panel.loc[panel["year"] == year].copy()
    households["base_income_quintile"] = pd.qcut(households["base_income_pc"], 5, labels=[1, 2, 3, 4, 5])
    borrowers = households.loc[households["loan_year"].notna(), "household_id"]
    return take_up(households, borrowers, by)


def loan_sizes(loans: pd.DataFrame, year: int) -> pd.DataFrame:
    """Loans granted by ``year`` by size band (yuan), with counts and amounts."""
    granted = loans.loc[loans["loan_year"] <= year]
    bands = pd.cut(
        granted["amount_yuan"],
        [0, 10_000, 20_000, 30_000, 40_000, 49_999, 50_000],
        labels=["≤10k", "10–20k", "20–30k", "30–40k", "40–50k", "50k (cap)"],
    )
    return (
        granted.assign(size_band=bands)
        .groupby("size_band", observed=False)["amount_yuan"]
        .agg(loans="size", amount_yuan="sum")
        .reset_index()
    )


def outstanding_by_year(loans: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Loans and amounts outstanding at the end of each year (granted, not yet due; the ledger holds no
    repayment dates, so repaid-early loans count until due)."""
    rows = []
    for y in years:
        open_ = loans.loc[(loans["loan_year"] <= y) & (loans["due_year"] > y)]
        rows.append({"year": y, "loans": len(open_), "amount_yuan": float(open_["amount_yuan"].sum())})
    return pd.DataFrame(rows)


def depth(panel: pd.DataFrame, loans: pd.DataFrame, year: int, *, seed: int = 0):
    """Concentration index of loan amounts over 2015 per-capita income (village-cluster bootstrap) and the
    share of borrowers in the poorest income quintile of registered households (``None, nan`` without loans)."""
    households = panel.loc[panel["year"] == year].set_index("household_id")
    amount = loans.loc[loans["loan_year"] <= year].groupby("household_id")["amount_yuan"].sum()
    x = amount.reindex(households.index, fill_value=0.0)
    if x.sum() == 0:
        return None, float("nan")
    index = concentration_index(
        households["base_income_pc"].to_numpy(), x.to_numpy(), clusters=households["village_id"].to_numpy(), seed=seed
    )
    quintile = pd.qcut(households["base_income_pc"], 5, labels=False)
    borrowers = x > 0
    return index, float((quintile[borrowers] == 0).mean())
