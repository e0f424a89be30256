"""The training evaluation: datasets, participation and outcomes, and every effect estimate with diagnostics.

Notebook ``03_training_outcomes`` runs on either dataset through one interface:

* ``county``: members of registered households eligible for the free courses (synthetic; the planted
  effect of enrolment on 2019 wages and employment is in ``synthetic_truth.csv``);
* ``nsw_experimental``: LaLonde's National Supported Work demonstration, Dehejia–Wahba sample
  (185 trainees, 260 randomized controls), from the ``causaldata`` package;
* ``nsw_cps``: the same 185 trainees against 15,992 CPS adults, the classic non-experimental comparison
  (Dehejia and Wahba 1999): observational estimators should land near the experimental benchmark.

:func:`estimate_all` returns one row per estimator (``diff``, ``ols``, ``ipw``, ``aipw``, ``match``,
``match_no_replacement``, ``did``) with the columns of the result table and, where known, the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import EstimationError, ParameterError
from evalkit.impact.att import att, propensity
from evalkit.impact.diagnostics import att_weights, balance, balance_test, overlap
from evalkit.impact.matching import nearest

__all__ = [
    "DATASETS",
    "ESTIMATORS",
    "Dataset",
    "load",
    "estimate_all",
    "diagnostics",
    "participation",
    "NSW_EXPERIMENTAL_BENCHMARK",
]

ESTIMATORS = ("diff", "ols", "ipw", "aipw", "match", "match_no_replacement", "did")
#: Dehejia and Wahba (1999), Table 3: NSW treated minus NSW controls, 1978 earnings, DW sample (dollars).
NSW_EXPERIMENTAL_BENCHMARK = 1794.34
_EDU = {"illiterate": 0, "primary": 1, "junior_secondary": 2, "senior_secondary": 3, "tertiary": 4}


@dataclass(frozen=True)
class Dataset:
    """One analysis dataset and its defaults."""

    name: str
    data: pd.DataFrame
    outcome: str
    treatment: str
    covariates: list[str]
    baseline: dict[str, str] = field(default_factory=dict)  # outcome -> its pre-treatment value, for DiD
    cluster: str | None = None
    truth: dict[str, float] = field(default_factory=dict)  # outcome -> true effect (synthetic) or benchmark
    truth_label: str = "truth"
    synthetic: bool = False


def _county(data_dir: str | None) -> Dataset:
    from evalkit import datasets

    county = datasets.load_county(data_dir)
    labour = county["labour"]
    members = county["members"].set_index("person_id")
    places = county["households"].merge(county["villages"][["village_id", "township_id"]], on="village_id")
    frame = labour.merge(places[["household_id", "village_id", "township_id"]], on="household_id", how="left")
    person = members.loc[frame["person_id"]]
    frame["age"] = (2017 - person["birth_year"]).to_numpy()
    frame["female"] = (person["sex"] == "female").to_numpy().astype(int)
    frame["education"] = person["education"].map(_EDU).to_numpy()
    frame["weak_labour"] = (person["labour_ability"] == "weak").to_numpy().astype(int)
    frame["household_workers"] = frame.groupby("household_id")["person_id"].transform("size")
    frame["trained"] = frame["trained"].astype(int)
    for column in ("employed_2016", "employed_2019", "completed"):
        frame[column] = frame[column].astype(int)
    truth = county["truth"].query("program == 'training' and group == 'all'").set_index("outcome")["value"]
    return Dataset(
        name="county",
        data=frame,
        outcome="wage_2019",
        treatment="trained",
        covariates=["age", "female", "education", "weak_labour", "household_workers"],
        baseline={"wage_2019": "wage_2016", "employed_2019": "employed_2016"},
        cluster="village_id",
        truth={k: float(v) for k, v in truth.items()},
        truth_label="truth",
        synthetic=True,
    )


def _nsw(comparison: str) -> Dataset:
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    if comparison == "experimental":
        frame = nsw.copy()
    else:
        frame = pd.concat([nsw.loc[nsw["treat"] == 1], cps_mixtape.load_pandas().data], ignore_index=True)
    # the package stores small integers as int8 and earnings as float32: widen before any arithmetic
    frame = frame.astype({c: "float64" for c in ("re74", "re75", "re78")})
    age = frame["age"].astype("int64")
    educ = frame["educ"].astype("int64")
    frame["age2"] = age**2  # int8 squared would overflow (age 55 -> 3025)
    frame["educ2"] = educ**2
    frame["u74"] = (frame["re74"] == 0).astype(int)
    frame["u75"] = (frame["re75"] == 0).astype(int)
    frame["treat"] = frame["treat"].astype(int)
    return Dataset(
        name=f"nsw_{comparison}",
        data=frame,
        outcome="re78",
        treatment="treat",
        # Dehejia and Wahba's specification
        covariates=["age", "age2", "educ", "educ2", "black", "hisp", "marr", "nodegree", "re74", "re75", "u74", "u75"],
        baseline={"re78": "re75"},
        truth={"re78": NSW_EXPERIMENTAL_BENCHMARK},
        truth_label="experimental_benchmark",
    )


DATASETS = ("county", "nsw_experimental", "nsw_cps")


def load(name: str, data_dir: str | None = None) -> Dataset:
    """Load a dataset by name (see :data:`DATASETS`)."""
    if name == "county":
        return _county(data_dir)
    if name in ("nsw_experimental", "nsw_cps"):
        return _nsw(name.removeprefix("nsw_"))
    raise ParameterError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")


def resolve(
    dataset: Dataset, outcome: str = "", treatment: str = "", covariates: str = ""
) -> tuple[str, str, list[str]]:
    """Outcome, treatment and covariates from notebook parameters (empty: the dataset's defaults),
    checked against the data's columns."""
    out = outcome or dataset.outcome
    treat = treatment or dataset.treatment
    covs = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else list(dataset.covariates)
    missing = [c for c in (out, treat, *covs) if c not in dataset.data]
    if missing:
        raise ParameterError(
            f"dataset {dataset.name!r} has no column {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(dataset.data.columns)}"
        )
    return out, treat, covs


def estimate_all(
    dataset: Dataset,
    outcome: str,
    treatment: str,
    covariates: list[str],
    estimators: list[str] | tuple[str, ...] = ESTIMATORS,
    *,
    caliper: float = 0.2,
    reps: int = 199,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per estimator: estimate, std_error, ci_low, ci_high, p_value, n, n_clusters, method,
    se_method, truth (and whether the interval contains it)."""
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown:
        raise ParameterError(f"unknown estimator {', '.join(unknown)}; choose from {', '.join(ESTIMATORS)}")
    data = dataset.data
    cluster = dataset.cluster
    rows = []
    for name in estimators:
        if name in ("diff", "ols", "ipw", "aipw"):
            result = att(
                data,
                outcome,
                treatment,
                None if name == "diff" else covariates,
                name,
                cluster=cluster,
                reps=reps,
                seed=seed,
            )
            se_method = "two-sample formula" if name == "diff" else "cluster bootstrap" if cluster else "bootstrap"
        elif name in ("match", "match_no_replacement"):
            result = att(data, outcome, treatment, covariates, "match", caliper=caliper, replace=name == "match")
            se_method = "Abadie-Imbens"
        else:  # did: change from the baseline, adjusted doubly robustly
            base = dataset.baseline.get(outcome)
            if base is None:
                continue
            changes = data.assign(_change=data[outcome].astype(float) - data[base].astype(float))
            # the baseline itself is not a covariate here: with it, a linear outcome model makes the change
            # and the level regressions identical and the difference-in-differences would add nothing
            others = [c for c in covariates if c != base]
            result = att(changes, "_change", treatment, others, "aipw", cluster=cluster, reps=reps, seed=seed)
            se_method = "cluster bootstrap" if cluster else "bootstrap"
        frame = result.to_frame().iloc[0]
        rows.append(
            {
                "method": name,
                **{k: frame[k] for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters")},
                "se_method": se_method,
                "truth": dataset.truth.get(outcome, np.nan),
            }
        )
    table = pd.DataFrame(rows)
    table["truth_in_ci"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    return table


@dataclass(frozen=True)
class Diagnostics:
    """Balance before and after weighting and matching, a joint test for each, overlap and matched pairs."""

    score: np.ndarray
    balance: pd.DataFrame
    tests: pd.DataFrame
    overlap: pd.DataFrame
    pair_differences: np.ndarray


def diagnostics(
    dataset: Dataset, outcome: str, treatment: str, covariates: list[str], *, caliper: float = 0.2
) -> Diagnostics:
    """Propensity score, balance tables (IPW odds weights and 1:1 matching with replacement), joint balance
    tests, overlap, and the matched-pair outcome differences (for Rosenbaum bounds)."""
    data = dataset.data
    score = propensity(data, treatment, covariates)
    d = data[treatment].to_numpy(dtype=float)
    logit = np.log(score / (1 - score))
    width = caliper * float(np.std(logit, ddof=1))
    matches = nearest(logit[d == 1], logit[d == 0], caliper=width, replace=True)
    w_ipw = att_weights(d, score)
    w_match = att_weights(d, matches=matches)
    before = balance(data, treatment, covariates)
    ipw = balance(data, treatment, covariates, w_ipw)
    matched = balance(data, treatment, covariates, w_match)
    table = before.assign(
        smd_ipw=ipw["smd_adjusted"],
        variance_ratio_ipw=ipw["variance_ratio_adjusted"],
        smd_matched=matched["smd_adjusted"],
        variance_ratio_matched=matched["variance_ratio_adjusted"],
    )
    tests = pd.DataFrame(
        [
            {"adjustment": "none", **balance_test(data, treatment, covariates, None, dataset.cluster)},
            {"adjustment": "ipw", **balance_test(data, treatment, covariates, w_ipw, dataset.cluster)},
            {"adjustment": "after_matching", **balance_test(data, treatment, covariates, w_match, dataset.cluster)},
        ]
    )
    tests["clusters"] = data[dataset.cluster].nunique() if dataset.cluster else len(data)
    y = data[outcome].to_numpy(dtype=float)
    yc = y[d == 0]
    pairs = np.array([y[i] - yc[m].mean() for i, m in zip(np.flatnonzero(d == 1), matches, strict=True) if m.size])
    return Diagnostics(score, table, tests, overlap(score, d), pairs)


def participation(dataset: Dataset, by: str) -> pd.DataFrame:
    """Eligible, trained, completion and follow-up employment and wages by ``by`` (county data)."""
    data = dataset.data
    if by not in data:
        raise EstimationError(f"no column {by!r} in dataset {dataset.name!r}")
    if by == "course":
        data = data.assign(course=data["course"].fillna("").replace("", "untrained"))
    grouped = data.groupby(by, observed=True)
    out = grouped.agg(
        eligible=("person_id", "size"),
        trained=("trained", "sum"),
        completed=("completed", "sum"),
    ).reset_index()
    out["training_rate"] = out["trained"] / out["eligible"]
    out["completion_rate"] = out["completed"] / out["trained"].where(out["trained"] > 0)
    return out


def outcomes_by_course(dataset: Dataset) -> pd.DataFrame:
    """For trainees by course, and for the untrained: employment and mean wage in 2016 and at follow-up."""
    data = dataset.data.assign(course=lambda f: f["course"].fillna("").replace("", "untrained"))
    return (
        data.groupby("course")
        .agg(
            persons=("person_id", "size"),
            completed=("completed", "sum"),
            employed_2016=("employed_2016", "mean"),
            employed_2019=("employed_2019", "mean"),
            wage_2016=("wage_2016", "mean"),
            wage_2019=("wage_2019", "mean"),
        )
        .reset_index()
    )


def households_with_work(dataset: Dataset) -> pd.DataFrame:
    """Households with at least one eligible worker, and those in which at least one works (2016, 2019)."""
    by_household = dataset.data.groupby("household_id")[["employed_2016", "employed_2019"]].max()
    return pd.DataFrame(
        {
            "year": [2016, 2019],
            "households_with_labour": [len(by_household)] * 2,
            "households_with_work": [
                int(by_household["employed_2016"].sum()),
                int(by_household["employed_2019"].sum()),
            ],
        }
    ).assign(share=lambda t: t["households_with_work"] / t["households_with_labour"])


__all__ += ["Diagnostics", "resolve", "outcomes_by_course", "households_with_work"]
