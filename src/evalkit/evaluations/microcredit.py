"""Notebook ``02_microcredit``: reach, depth, repayment and effects of poverty-alleviation microcredit.

The functions build the analysis panel, the reach tables and every effect estimate beside the truth;
:class:`Microcredit` runs the notebook's sections with its parameters. Users with their own registry and
loan ledger call them too. Inputs are the registry tables as :func:`evalkit.datasets.load_county` returns
them (``households``, ``villages``, ``panel``, ``loans``; ``truth`` only for synthetic data).

Estimands, and the planted truth they are compared with (the synthetic effects are constant over time
for each household, from the loan year on, so the truth of every estimand follows from the cohort
truths in ``synthetic_truth.csv``):

* ``post_years``: the mean effect over borrowers' post-loan household-years up to ``year`` (two-way
  fixed effects, event study, imputation, Callaway–Sant'Anna and the naive comparison estimate it);
* ``borrowers_in_year``: the mean effect over borrowing households in ``year`` (the long-difference estimators
  with pre-loan covariates estimate it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from evalkit import plots, published, report
from evalkit.errors import EstimationError
from evalkit.evaluations.base import effect_interval, Evaluation, Spec, needs, param, reps_param, seed_param, year_param
from evalkit.impact import Effect, att, did, placebo, repayment, take_up, wild_cluster_bootstrap
from evalkit.indicators import Estimate, concentration_curve, concentration_index

__all__ = [
    "Params",
    "Microcredit",
    "OUTCOMES",
    "CLUSTERS",
    "analysis_panel",
    "long_difference",
    "truths",
    "estimate_effects",
    "effects_table",
    "effects",
    "EFFECT_COLUMNS",
    "heterogeneity",
    "reach_by",
    "loan_sizes",
    "outstanding_by_year",
    "repayment_by_cohort",
    "matured",
    "matured_sentence",
    "STATUS_YEAR",
    "depth",
    "concentration_sentence_zh",
]

Outcome = Literal["operating_pc", "property_pc", "income_pc", "wage_pc"]
Cluster = Literal["village", "township", "household"]
Comparison = Literal["not_yet", "never"]
#: Income components the effects can be estimated on.
OUTCOMES: tuple[str, ...] = get_args(Outcome)
#: Clustering levels and their columns.
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
    loans = county.get("loans", pd.DataFrame(columns=["household_id", "loan_year", "model"]))
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


#: Columns of the effects table before ``estimand``, ``truth`` and ``truth_in_ci``.
EFFECT_COLUMNS = ["method", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters"]


def estimate_effects(
    panel: pd.DataFrame,
    outcome: str = "operating_pc",
    *,
    year: int,
    cluster: str = "village",
    wild_cluster: str = "township",
    control: str = "not_yet",
    reps: int = 199,
    seed: int = 0,
) -> list[tuple[str, str, Effect]]:
    """Every effect estimate as ``(name, estimand, result)``.

    Rows: naive comparison; two-way fixed effects; the same with a restricted wild cluster bootstrap over
    ``wild_cluster`` (townships by default: few clusters, the case it is for); event study (leads and
    lags); imputation and Callaway–Sant'Anna (heterogeneity-robust, comparison group ``control``); and, on
    the change from 2015 to ``year`` with pre-loan covariates, the difference in means, regression
    adjustment, IPW and doubly robust (AIPW). Standard errors are clustered by ``cluster``.
    """
    for name, value in (("cluster", cluster), ("wild_cluster", wild_cluster)):
        if value not in CLUSTERS:
            raise EstimationError(f"{name} must be one of {', '.join(CLUSTERS)}; got {value!r}")
    column = CLUSTERS[cluster]
    args = (panel, outcome, "loan", "household_id", "year")
    results = [
        ("naive", "post_years", did(*args, cluster=column, method="naive")),
        ("twfe", "post_years", did(*args, cluster=column)),
        (
            "twfe_wild_bootstrap",
            "post_years",
            wild_cluster_bootstrap(*args, cluster=CLUSTERS[wild_cluster], seed=seed),
        ),
        ("event_study", "post_years", did(*args, cluster=column, method="event_study")),
        (
            "imputation",
            "post_years",
            did(*args, cluster=column, method="imputation", control=control, reps=reps, seed=seed),
        ),
        ("callaway_santanna", "post_years", did(*args, cluster=column, method="callaway_santanna", control=control)),
        (
            "callaway_santanna_conditional",
            "post_years",
            did(*args, cluster=column, method="callaway_santanna", control=control, covariates=COVARIATES),
        ),
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
    return results


def effects_table(results: list[tuple[str, str, Effect]], truth: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per estimate: :data:`EFFECT_COLUMNS`, estimand, truth (synthetic data) and whether the
    interval contains it."""
    frame = pd.concat([result.to_frame() for _, _, result in results], ignore_index=True)[EFFECT_COLUMNS]
    frame["method"] = [name for name, _, _ in results]
    frame["estimand"] = [estimand for _, estimand, _ in results]
    frame["truth"] = [(truth or {}).get(estimand, np.nan) for _, estimand, _ in results]
    frame["truth_in_ci"] = (frame["ci_low"] <= frame["truth"]) & (frame["truth"] <= frame["ci_high"])
    return frame


def effects(
    panel: pd.DataFrame,
    outcome: str = "operating_pc",
    *,
    year: int,
    cluster: str = "village",
    wild_cluster: str = "township",
    control: str = "not_yet",
    truth: dict[str, float] | None = None,
    reps: int = 199,
    seed: int = 0,
) -> pd.DataFrame:
    """Every effect estimate in one table (:func:`estimate_effects` through :func:`effects_table`)."""
    results = estimate_effects(
        panel, outcome, year=year, cluster=cluster, wild_cluster=wild_cluster, control=control, reps=reps, seed=seed
    )
    return effects_table(results, truth)


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


#: The year the loan ledger's repayment status (``status_2019``) was recorded.
STATUS_YEAR = 2019


def repayment_by_cohort(loans: pd.DataFrame, *, status_year: int = STATUS_YEAR) -> pd.DataFrame:
    """Repayment by loan year (cohort): loans and amounts, the share of loans in each status at the end of
    ``status_year``, the share still outstanding and the share overdue or in default, and the year its last
    loan falls due (``due_by``).

    The outstanding amount at risk is left out: a cohort whose loans have all fallen due by ``status_year``
    has nothing current, so all it still owes is overdue or in default (at risk: 100%) however little that is;
    its ``outstanding_share`` is then its ``overdue_or_default_share``.

    >>> loans = pd.DataFrame({"loan_year": [2016, 2016, 2018], "amount_yuan": [10_000, 20_000, 30_000],
    ...                       "due_year": [2019, 2018, 2021], "status_2019": ["repaid", "overdue", "current"]})
    >>> repayment_by_cohort(loans)[["loan_year", "outstanding_share", "overdue_or_default_share", "due_by"]].to_dict("list")
    {'loan_year': [2016, 2018], 'outstanding_share': [0.5, 1.0], 'overdue_or_default_share': [0.5, 0.0], 'due_by': [2019, 2021]}
    """
    table = repayment(loans, by="loan_year", status=f"status_{status_year}").drop(columns="at_risk_share")
    if "due_year" in loans:
        table["due_by"] = table["loan_year"].map(loans.groupby("loan_year")["due_year"].max()).astype(int)
    return table


def matured(cohorts: pd.DataFrame, *, status_year: int = STATUS_YEAR) -> pd.DataFrame:
    """The rows of :func:`repayment_by_cohort` whose loans had all fallen due by ``status_year``."""
    if "due_by" not in cohorts:
        return cohorts.iloc[0:0]
    return cohorts.loc[cohorts["due_by"] <= status_year]


def matured_sentence(done: pd.DataFrame, longest_term_years: int, *, status_year: int = STATUS_YEAR) -> tuple[str, str]:
    """What a reader of the cohort table needs to know about matured cohorts (rows of :func:`matured`), in
    English and in Chinese.

    >>> done = pd.DataFrame({"loan_year": [2016], "overdue_or_default_share": [19 / 528]})
    >>> en, zh = matured_sentence(done, 3)
    >>> print(en)
    The loans of 2016 had all fallen due by 2019, when repayment status was recorded (terms of at most 3 years): none is still current, so every loan of that cohort not repaid is overdue or in default, 3.6% of its loans. Compare cohorts by the share overdue or in default: the share of the outstanding amount at risk is 100% for a matured cohort by definition.
    >>> print(zh)
    2016年发放的贷款在2019年记录还款状态时已全部到期（期限最长3年）：已无正常还款中的贷款，未还清的贷款都已逾期或违约，占该批贷款的3.6%。比较各批贷款应看逾期或违约比例：已全部到期的一批贷款，其风险贷款余额占比按定义为100%。
    """
    years = [str(int(y)) for y in done["loan_year"]]
    shares = [f"{v:.1%}" for v in done["overdue_or_default_share"]]
    several = len(years) > 1
    en_years = years[0] if not several else f"{', '.join(years[:-1])} and {years[-1]}"
    en_shares = shares[0] if not several else f"{', '.join(shares[:-1])} and {shares[-1]}"
    en = (
        f"The loans of {en_years} had all fallen due by {status_year}, when repayment status was recorded "
        f"(terms of at most {longest_term_years} years): none is still current, so every loan of "
        f"{'those cohorts' if several else 'that cohort'} not repaid is overdue or in default, "
        f"{en_shares} of {'their' if several else 'its'} loans. Compare cohorts by the share overdue or in "
        "default: the share of the outstanding amount at risk is 100% for a matured cohort by definition."
    )
    zh = (
        f"{'、'.join(years)}年发放的贷款在{status_year}年记录还款状态时已全部到期（期限最长{longest_term_years}年）："
        f"已无正常还款中的贷款，未还清的贷款都已逾期或违约，占该批贷款的{'、'.join(shares)}。"
        "比较各批贷款应看逾期或违约比例：已全部到期的一批贷款，其风险贷款余额占比按定义为100%。"
    )
    return en, zh


def depth(panel: pd.DataFrame, loans: pd.DataFrame, year: int, *, seed: int = 0) -> tuple[Estimate | None, float]:
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


def concentration_sentence_zh(index: Estimate, level: float = 0.95) -> str:
    """The concentration index of loans in a Chinese report: what :meth:`Estimate.summary` says in English,
    with its numbers written as it writes them.

    >>> e = Estimate(indicator="concentration_index", estimate=-0.0412345, std_error=0.0107, n=3601, n_clusters=227,
    ...              se_method="bootstrap", intervals={0.95: (-0.062, -0.0205)})
    >>> print(e.summary())
    concentration_index: -0.0412345 (s.e. 0.0107; plug-in, bootstrap; 95% CI -0.062 to -0.0205; p=0.000116; n=3601, clusters=227)
    >>> print(concentration_sentence_zh(e))
    贷款金额按2015年人均纯收入排序的集中指数为-0.0412345（标准误0.0107，以村为群的自助法；95%置信区间-0.062至-0.0205；p=0.000116；n=3601户，聚类数227个村）。
    """
    low, high = index.conf_int(level)
    p = f"；p={index.p_value:.3g}" if index.p_value is not None and np.isfinite(index.p_value) else ""
    clusters = f"，聚类数{index.n_clusters}个村" if index.n_clusters is not None else ""
    how = "，以村为群的自助法" if index.se_method == "bootstrap" else ""
    return (
        f"贷款金额按2015年人均纯收入排序的集中指数为{index.estimate:.6g}（标准误{index.std_error:.3g}{how}；"
        f"{100 * level:g}%置信区间{low:.6g}至{high:.6g}{p}；n={index.n}户{clusters}）。"
    )


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``02_microcredit``."""

    year: int = year_param("loans granted and incomes observed up to the end of this year")
    outcome: Outcome = param(
        "operating_pc", "per-capita income component: operating_pc, property_pc, income_pc or wage_pc"
    )
    comparison: Comparison = param(
        "not_yet", "comparison units of the robust estimators: not_yet (not yet treated) or never"
    )
    cluster: Cluster = param("village", "level of clustered standard errors: village, township or household")
    wild_cluster: Cluster = param(
        "township", "clusters of the wild cluster bootstrap (meant for few clusters): township, village or household"
    )
    reps: int = reps_param("cluster-bootstrap replications (imputation, regression adjustment, IPW, AIPW)")
    seed: int = seed_param()

    NOTEBOOK: ClassVar[str] = "02_microcredit"


class Microcredit(Evaluation):
    """The microcredit notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    USES: ClassVar[tuple[str, ...]] = ("published", "truth")
    p: Params

    @cached_property
    def panel(self) -> pd.DataFrame:
        """Household-years up to the year with loan cohorts and pre-loan characteristics."""
        return analysis_panel(self.county, self.p.year)

    @cached_property
    def loans(self) -> pd.DataFrame:
        """Loans granted by the end of the year."""
        loans = self.table("loans")
        return loans.loc[loans["loan_year"] <= self.p.year]

    @property
    def heading(self) -> str:
        """What the data holds, in one line."""
        return (
            f"{self.panel['household_id'].nunique()} registered households; "
            f"{self.loans['household_id'].nunique()} borrowers by {self.p.year}"
        )

    @cached_property
    def _overall(self) -> pd.DataFrame:
        return reach_by(self.panel, self.p.year, None)

    @cached_property
    def _leverage(self) -> dict[str, float]:
        fund = published.figure("fun_risk_fund", self.data_dir)
        return {
            "published_loans_over_fund": published.figure("fun_microcredit", self.data_dir) / fund,
            "registry_loans_over_fund": float(self.loans["amount_yuan"].sum()) / fund,
            "own_use_share": float(self.loans["model"].isin(["self_development", "partnership"]).mean()),
        }

    @needs("loans")
    def reach(self) -> report.Section:
        """Take-up overall and by township, village, cause, pre-loan income quintile, household type and model;
        the risk fund's leverage; the reach figure."""
        s = self.section()
        s.show(self._overall)
        reach = {
            by: reach_by(self.panel, self.p.year, by)
            for by in ("township_id", "village_id", "main_cause", "base_income_quintile", "household_type")
        }
        for by, table in reach.items():
            if by == "village_id":  # a published village table: small counts suppressed
                table = self.suppress_villages(table, ["eligible", "borrowers"], derived=["take_up"])
            s.table(f"reach_{by}", table, show=False)
        loans = self.loans
        by_model = (
            loans.groupby("model").agg(loans=("loan_id", "size"), amount_yuan=("amount_yuan", "sum")).reset_index()
        )
        by_model["share_of_borrowers"] = by_model["loans"] / by_model["loans"].sum()
        if not self.lacks("published"):
            s.show(pd.Series(self._leverage).round(3).rename("value").rename_axis("measure").reset_index())
        s.table("reach_model", by_model)
        names = self.township_names()
        by_township = reach["township_id"].assign(township=lambda t: t["township_id"].map(names))
        s.figure("reach", plots.reach_figure(by_township, "township", reach["base_income_quintile"], lang=self.p.lang))
        return s

    @cached_property
    def _depth(self) -> tuple[Estimate | None, float]:
        return depth(self.panel, self.county["loans"], self.p.year, seed=self.p.seed)

    @needs("loans")
    def depth(self) -> report.Section:
        """The concentration index and curve of loans over 2015 income; borrowers in the poorest fifth."""
        s = self.section()
        index, poorest_share = self._depth
        if index is None:
            s.note(f"no loans by the end of {self.p.year}", f"截至{self.p.year}年底尚未发放贷款。")
            return s
        households = self.panel.loc[self.panel["year"] == self.p.year].set_index("household_id")
        amount = self.loans.groupby("household_id")["amount_yuan"].sum().reindex(households.index, fill_value=0)
        curve = concentration_curve(households["base_income_pc"], amount)
        s.table("concentration_curve", curve, show=False)
        s.figure("concentration", plots.concentration_figure(curve, index=index.estimate, lang=self.p.lang))
        s.note(index.summary(), concentration_sentence_zh(index))
        share = f"{poorest_share:.1%}"
        s.note(
            f"borrowers in the poorest 2015 income quintile: {share}",
            f"获贷户中属于2015年收入最低五分之一的比例为{share}。",
        )
        return s

    @needs("loans")
    def repayment(self) -> report.Section:
        """Repayment by model and cohort, loan sizes, loans outstanding by year."""
        s = self.section()
        loans = self.loans
        s.table("repayment_model", repayment(loans, by="model") if len(loans) else pd.DataFrame())
        cohorts = s.table("repayment_cohort", repayment_by_cohort(loans) if len(loans) else pd.DataFrame())
        done = matured(cohorts) if len(loans) else cohorts
        if len(done):
            longest = int(np.ceil(loans["term_months"].max() / 12)) if "term_months" in loans else 3
            s.note(*matured_sentence(done, longest))
        s.table("loan_sizes", loan_sizes(self.county["loans"], self.p.year))
        s.table("outstanding", outstanding_by_year(self.county["loans"], list(range(2016, self.p.year + 1))))
        return s

    @property
    def any_loans(self) -> bool:
        """Some household has a loan by the end of the year."""
        return bool(self.panel["loan"].sum() > 0)

    @cached_property
    def truth(self) -> dict[str, float] | None:
        """The planted effect of each estimand (synthetic data), else None."""
        return None if self.lacks("truth") else truths(self.county["truth"], self.p.outcome, self.p.year)

    @cached_property
    def _estimates(self) -> list[tuple[str, str, Effect]]:
        p = self.p
        return estimate_effects(
            self.panel,
            p.outcome,
            year=p.year,
            cluster=p.cluster,
            wild_cluster=p.wild_cluster,
            control=p.comparison,
            reps=p.reps,
            seed=p.seed,
        )

    @cached_property
    def _effects(self) -> pd.DataFrame | None:
        return effects_table(self._estimates, self.truth) if self.any_loans else None

    @needs("loans")
    def effects(self) -> report.Section:
        """Every estimator's effect on the outcome, beside the truth (one machine-readable table)."""
        s = self.section()
        if self._effects is None:
            s.note(
                f"no loans by the end of {self.p.year}: nothing to estimate",
                f"截至{self.p.year}年底尚未发放贷款，无从估计效果。",
            )
            return s
        s.table("effects", self._effects, translate=False)  # English column names in any language
        return s

    def _result(self, name: str) -> Effect:
        return next(result for method, _, result in self._estimates if method == name)

    @needs("loans")
    def event_study(self) -> report.Section:
        """Event-study paths (two-way fixed effects and Callaway–Sant'Anna), pre-trend tests and a placebo."""
        s = self.section()
        if self._effects is None:
            return s
        es, cs = self._result("event_study"), self._result("callaway_santanna")
        s.table("event_study", es.path.assign(method="event_study_twfe"), show=False)
        s.table("group_time", cs.group_time, show=False)
        truth = (self.truth or {}).get("post_years")
        s.figure(
            "event_study",
            plots.event_study_figure(
                {"event_study_twfe": es.path, "event_study_cs": cs.path}, truth=truth, lang=self.p.lang
            ),
        )
        s.show(
            pd.DataFrame(
                [
                    {"method": "event_study", "pretrend_p_value": es.details.get("pretrend_p_value")},
                    {"method": "callaway_santanna", "pretrend_p_value": cs.details.get("pretrend_p_value")},
                ]
            )
        )
        shifted = self._placebo()
        if shifted is not None:
            s.table("placebo", shifted, show=False)
            s.show(shifted[["method", "estimate", "std_error", "ci_low", "ci_high", "p_value"]])
        return s

    def _placebo(self) -> pd.DataFrame | None:
        """Every loan moved two years earlier, on years before the real loan (None: nothing in the window)."""
        column = CLUSTERS[self.p.cluster]
        try:
            result = placebo(self.panel, self.p.outcome, "loan", "household_id", "year", cluster=column, shift=2)
        except EstimationError:  # no household-year falls in the placebo window (e.g. year 2016)
            return None
        return result.to_frame()[[*EFFECT_COLUMNS, *result.details]]

    @needs("loans")
    def heterogeneity(self) -> report.Section:
        """Callaway–Sant'Anna effects by credit model and by 2015 income tercile, with pre-trend tests."""
        s = self.section()
        if self._effects is None:
            return s
        p = self.p
        panel = self.panel.assign(
            base_income_tercile=pd.qcut(self.panel["base_income_pc"], 3, labels=["1", "2", "3"]).astype(str)
        )
        s.table(
            "heterogeneity_model",
            heterogeneity(
                panel, p.outcome, "model", cluster=p.cluster, control=p.comparison, truth=self.county.get("truth")
            ),
        )
        s.table(
            "heterogeneity_income",
            heterogeneity(panel, p.outcome, "base_income_tercile", cluster=p.cluster, control=p.comparison),
        )
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        if self.lacks("loans"):
            return self.key_figures_section({"synthetic": int(self.synthetic)})
        metrics: dict[str, float | int] = {
            "synthetic": int(self.synthetic),
            "borrowers": int(self.loans["household_id"].nunique()),
            "loans_yuan": int(self.loans["amount_yuan"].sum()),
            "take_up": round(float(self._overall["take_up"].iloc[0]), 6),
        }
        if not self.lacks("published"):
            metrics["leverage_published"] = round(self._leverage["published_loans_over_fund"], 4)
        index, poorest_share = self._depth
        if index is not None:
            metrics["concentration_index"] = round(index.estimate, 6)
            metrics["poorest_quintile_share"] = round(poorest_share, 6)
        if self._effects is not None:
            for row in self._effects.itertuples():
                metrics[f"effect_{row.method}"] = round(float(row.estimate), 4)
                metrics.update(effect_interval(row))
                metrics[f"effect_{row.method}_truth_in_ci"] = int(row.truth_in_ci)
            cs = self._result("callaway_santanna")
            metrics["pretrend_p_value_cs"] = round(float(cs.details["pretrend_p_value"]), 6)
        return self.key_figures_section(metrics)
