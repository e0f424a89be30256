"""Registry-based trends and poverty dynamics.

Incidence by year and place from the registry, the village and county exit
tests, transition matrices, exits and returns by cohort, time to exit
(Kaplan–Meier) and a discrete-time exit hazard, bunching of incomes at the
line in exit years, and the registry against a survey. All grouped figures
are grouped sums (no Python function per group).

Examples
--------
>>> panel = pd.DataFrame({"household_id": ["a", "a", "b", "b"], "year": [2017, 2018] * 2,
...                       "income_pc": [900, 1100, 800, 850], "poverty_line": [1000, 1000, 1000, 1000]})
>>> transitions(panel, 2017, 2018)["count"].tolist()  # poor->poor (b), poor->not poor (a)
[1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "registry_incidence",
    "exit_tests",
    "transitions",
    "flows_by_year",
    "exits_and_returns",
    "time_to_exit",
    "exit_hazard",
    "bunching",
    "Bunching",
    "transfer_share_at_exit",
    "survey_vs_registry",
]


def registry_incidence(
    panel: pd.DataFrame, households: pd.DataFrame, villages: pd.DataFrame, *, by: str | None = None
) -> pd.DataFrame:
    """Registered poor households and persons at the end of each year over the agricultural population.

    ``by``: None (county), ``"township_id"`` or ``"village_id"``. A household counts while its status is
    ``registered`` (not yet exited) or ``returned`` (back in poverty after its exit) in that year.
    """
    hh = households[["household_id", "village_id", "household_size"]].merge(
        villages[["village_id", "township_id"]], on="village_id", how="left"
    )
    keys = [] if by is None else [by]
    data = panel[["household_id", "year", "status"]].merge(hh, on="household_id", how="left")
    data = data.loc[data["status"].isin(["registered", "returned"])]
    counts = data.groupby(["year", *keys]).agg(
        poor_households=("household_id", "size"), poor_persons=("household_size", "sum")
    )
    if by is None:
        pop = pd.Series(villages["agri_pop"].sum(), index=counts.index)
        out = counts.assign(agri_pop=pop.to_numpy()).reset_index()
    else:
        pop = villages.groupby(by)["agri_pop"].sum()
        years = sorted(panel["year"].unique())
        grid = pd.MultiIndex.from_product([years, pop.index], names=["year", by])
        out = counts.reindex(grid, fill_value=0).reset_index()
        out["agri_pop"] = out[by].map(pop).to_numpy()
    out["incidence_pct"] = 100 * out["poor_persons"] / out["agri_pop"]
    return out


def exit_tests(incidence: pd.DataFrame, threshold_pct: float = 2.0) -> pd.DataFrame:
    """Adds ``passes`` (incidence below the threshold: 2% in the central region, 3% in the west) to an
    incidence table (county, township or village rows)."""
    return incidence.assign(threshold_pct=threshold_pct, passes=incidence["incidence_pct"] < threshold_pct)


def transitions(panel: pd.DataFrame, year_from: int, year_to: int, *, state: str = "income") -> pd.DataFrame:
    """Transition counts and row shares between two years.

    ``state='income'``: poor when per-capita income is below that year's line; ``'status'``: the registry
    status. Households present in both years only.
    """

    def states(year: int) -> pd.Series:
        part = panel.loc[panel["year"] == year].set_index("household_id")
        if state == "income":
            return np.where(part["income_pc"] < part["poverty_line"], "poor", "not_poor")
        return part["status"]

    a = pd.Series(states(year_from), index=panel.loc[panel["year"] == year_from, "household_id"].to_numpy())
    b = pd.Series(states(year_to), index=panel.loc[panel["year"] == year_to, "household_id"].to_numpy())
    both = pd.DataFrame({"from": a, "to": b}).dropna()
    table = both.groupby(["from", "to"]).size().rename("count").reset_index()
    table["row_share"] = table["count"] / table.groupby("from")["count"].transform("sum")
    return table


def flows_by_year(panel: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Households and persons entering and leaving the registered poor each year (from the status column).

    An exit is a move from ``registered`` to ``exited_this_year``; an entry is a first year as ``registered``
    or a move back (``returned``).
    """
    data = panel[["household_id", "year", "status"]].merge(
        households[["household_id", "household_size"]], on="household_id"
    )
    data = data.sort_values(["household_id", "year"], kind="stable")
    before = data.groupby("household_id")["status"].shift()
    entered = (data["status"].isin(["registered", "returned"]) & ~before.isin(["registered", "returned"])) | (
        data["status"].eq("returned") & before.eq("registered")
    )
    exited = data["status"].eq("exited_this_year")
    flows = data.assign(
        entries_households=entered.astype(int),
        entries_persons=entered * data["household_size"],
        exits_households=exited.astype(int),
        exits_persons=exited * data["household_size"],
    )
    cols = ["entries_households", "entries_persons", "exits_households", "exits_persons"]
    return flows.groupby("year")[cols].sum().reset_index()


def exits_and_returns(panel: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """By exit cohort: households, persons, and those whose income fell below the line in a later year (返贫)."""
    data = panel.merge(households[["household_id", "exit_year", "household_size"]], on="household_id")
    later = data.loc[data["exit_year"].notna() & (data["year"] > data["exit_year"])]
    fell = later.loc[later["income_pc"] < later["poverty_line"], "household_id"].unique()
    exited = households.loc[households["exit_year"].notna()].assign(returned=lambda f: f["household_id"].isin(fell))
    out = exited.groupby("exit_year").agg(
        households=("household_id", "size"),
        persons=("household_size", "sum"),
        returned_households=("returned", "sum"),
    )
    out["return_rate"] = out["returned_households"] / out["households"]
    return out.reset_index()


def time_to_exit(households: pd.DataFrame, *, by: str | None = None, last_year: int = 2018) -> pd.DataFrame:
    """Kaplan–Meier share still registered by years since identification (statsmodels ``SurvfuncRight``).

    Households still registered at the end of ``last_year`` are censored there.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    exited = households["exit_year"].notna() & (households["exit_year"] <= last_year)
    end = households["exit_year"].where(exited, last_year).astype(float)
    time = end - households["identification_year"].astype(float)
    frame = pd.DataFrame({"time": time.to_numpy(), "event": exited.to_numpy(dtype=int)})
    frame["group"] = "all" if by is None else households[by].astype(str).to_numpy()
    rows = []
    for group, part in frame.groupby("group", sort=True):  # a handful of groups (causes, cohorts), not villages
        fit = SurvfuncRight(part["time"].to_numpy(), part["event"].to_numpy())
        rows.append(
            pd.DataFrame(
                {
                    "group": group,
                    "years": fit.surv_times,
                    "still_registered": fit.surv_prob,
                    "std_error": fit.surv_prob_se,
                    "at_risk": fit.n_risk,
                    "exits": fit.n_events,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def exit_hazard(households: pd.DataFrame, covariates: list[str], *, last_year: int = 2018) -> pd.DataFrame:
    """Discrete-time exit hazard: a logit on household-years at risk with year dummies and ``covariates``.

    Returns odds ratios with 95% intervals (statsmodels ``Logit``, standard errors clustered by village).
    """
    import statsmodels.api as sm

    start = households["identification_year"].astype(int)
    end = households["exit_year"].fillna(last_year).clip(upper=last_year).astype(int)
    lengths = (end - start).clip(lower=0).to_numpy()
    idx = np.repeat(np.arange(len(households)), lengths)
    offset = np.concatenate([np.arange(k) for k in lengths]) if lengths.sum() else np.array([], dtype=int)
    year = start.to_numpy()[idx] + offset + 1
    exited = households["exit_year"].to_numpy(dtype=float)[idx] == year
    x = pd.get_dummies(households[covariates].iloc[idx].reset_index(drop=True), drop_first=True, dtype=float)
    x = pd.concat([x, pd.get_dummies(pd.Series(year, name="year").astype(str), prefix="year", dtype=float)], axis=1)
    groups = pd.factorize(households["village_id"].to_numpy()[idx])[0]
    fit = sm.Logit(exited.astype(float), x).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    ci = fit.conf_int()
    return pd.DataFrame(
        {
            "term": fit.params.index,
            "odds_ratio": np.exp(fit.params.to_numpy()),
            "ci_low": np.exp(ci[0].to_numpy()),
            "ci_high": np.exp(ci[1].to_numpy()),
            "p_value": fit.pvalues.to_numpy(),
        }
    )


@dataclass(frozen=True)
class Bunching:
    """Excess mass at a cutoff and a density discontinuity test.

    Attributes
    ----------
    bins
        Bin left edges, observed counts and the polynomial counterfactual fitted outside the window.
    excess_mass
        (observed − counterfactual) in the window above the cutoff, over the counterfactual there.
    below, above
        Counts in the bin just below and just above the cutoff.
    p_value
        Binomial test that an observation in those two bins is equally likely on either side.
    """

    bins: pd.DataFrame
    excess_mass: float
    below: int
    above: int
    p_value: float


def bunching(
    ratio: object,
    *,
    cutoff: float = 1.0,
    bin_width: float = 0.02,
    window: tuple[float, float] = (0.0, 0.06),
    fit_range: tuple[float, float] = (0.6, 1.8),
    degree: int = 5,
    truncated_below: bool = False,
) -> Bunching:
    """Bunching of income / line just above the line (an exit-year manipulation check).

    Counts in bins of ``bin_width`` over ``fit_range``; a polynomial of ``degree`` is fitted to the counts
    outside ``cutoff + window`` and the excess in the window is reported relative to it. A count cannot be
    negative, so neither can the counterfactual (it is cut at zero).

    ``truncated_below=True`` is for a distribution that a rule leaves empty below the cutoff (households
    exit only with income above the line): the polynomial (of degree at most 3) is fitted to the bins above
    the window only and extrapolated into it, the counterfactual is not defined below the cutoff (NaN), and
    the density test across the cutoff is not computed (NaN): both would only restate the rule.

    Examples
    --------
    A density falling smoothly above the line, with 30% more households than it in the first 0.06:

    >>> centres = np.arange(1.01, 1.8, 0.02)
    >>> counts = np.round(1000 * np.exp(-3 * (centres - 1)) * np.where(centres < 1.06, 1.3, 1.0)).astype(int)
    >>> b = bunching(np.repeat(centres, counts), truncated_below=True)
    >>> round(b.excess_mass, 2), bool(b.bins["counterfactual"].dropna().ge(0).all())
    (0.31, True)
    >>> bool(b.bins.loc[b.bins["bin_left"] < 1, "counterfactual"].isna().all()), b.p_value
    (True, nan)
    """
    r = np.asarray(ratio, dtype=float)
    r = r[np.isfinite(r)]
    edges = np.arange(fit_range[0], fit_range[1] + bin_width / 2, bin_width)
    counts, _ = np.histogram(r, bins=edges)
    left = edges[:-1]
    centre = left + bin_width / 2
    inside = (left >= cutoff + window[0] - 1e-12) & (left < cutoff + window[1] - 1e-12)
    x = (centre - cutoff) / (fit_range[1] - fit_range[0])
    fit = ~inside
    if truncated_below:
        fit &= left >= cutoff + window[1] - 1e-12
        degree = min(degree, 3)
    coef = np.polyfit(x[fit], counts[fit], degree)
    fitted = np.maximum(np.polyval(coef, x), 0.0)
    if truncated_below:
        fitted = np.where(left >= cutoff - 1e-12, fitted, np.nan)
    excess = float((counts[inside].sum() - fitted[inside].sum()) / max(fitted[inside].sum(), 1e-12))
    below_bin = (left < cutoff - 1e-12) & (left >= cutoff - bin_width - 1e-12)
    above_bin = (left >= cutoff - 1e-12) & (left < cutoff + bin_width - 1e-12)
    b, a = int(counts[below_bin].sum()), int(counts[above_bin].sum())
    p = float(stats.binomtest(a, a + b, 0.5).pvalue) if a + b > 0 and not truncated_below else float("nan")
    bins = pd.DataFrame({"bin_left": left, "count": counts, "counterfactual": fitted, "in_window": inside})
    return Bunching(bins, excess, b, a, p)


def transfer_share_at_exit(panel: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """By exit year: households exiting, mean per-capita income, and the share of it from transfers."""
    data = panel.merge(households[["household_id", "exit_year"]], on="household_id")
    at_exit = data.loc[data["year"] == data["exit_year"]]
    out = at_exit.groupby("year").agg(
        households=("household_id", "size"), income_pc=("income_pc", "sum"), transfer_pc=("transfer_pc", "sum")
    )
    out["transfer_share"] = out["transfer_pc"] / out["income_pc"]
    out["income_pc"] = out["income_pc"] / out["households"]
    return out.drop(columns="transfer_pc").rename_axis("exit_year").reset_index()


def survey_vs_registry(survey: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Weighted persons by income poverty (income below the line) and registry status, optionally by group.

    Weights are household weights × household size. ``by`` may be a survey column or ``"decile"`` (income
    deciles of persons).
    """
    data = survey.assign(
        persons=survey["weight"] * survey["household_size"],
        income_poor=survey["income_pc_2018"] < survey["poverty_line_2018"],
        registry=np.where(
            survey["registry_status_2018"].isin(["registered"]),
            "registered_poor",
            np.where(survey["registry_status_2018"].isin(["exited", "exited_this_year"]), "exited", "never_registered"),
        ),
    )
    keys = ["registry", "income_poor"]
    if by == "decile":
        order = np.argsort(data["income_pc_2018"].to_numpy(), kind="stable")
        cum = np.cumsum(data["persons"].to_numpy()[order]) / data["persons"].sum()
        decile = np.empty(len(data), dtype=int)
        decile[order] = np.minimum((cum * 10 - 1e-9).astype(int) + 1, 10)
        data["decile"] = decile
        keys = ["decile", *keys]
    elif by is not None:
        keys = [by, *keys]
    out = data.groupby(keys)["persons"].sum().reset_index()
    return out
