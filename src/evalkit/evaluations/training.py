"""Notebook ``03_training_outcomes``: participation, outcomes and every effect estimate with diagnostics.

The notebook runs on either dataset through one interface (:func:`training_data`):

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
from functools import cached_property
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from evalkit import datasets, plots, published, report
from evalkit.errors import EstimationError, ParameterError
from evalkit.evaluations.base import effect_interval, Evaluation, Spec, needs, param, reps_param, seed_param, year_param
from evalkit.impact.att import att, propensity
from evalkit.impact.diagnostics import att_weights, balance, balance_test, e_value, overlap, rosenbaum_bounds
from evalkit.impact.matching import nearest

__all__ = [
    "Params",
    "Training",
    "DATASETS",
    "ESTIMATORS",
    "Dataset",
    "training_data",
    "estimate_all",
    "diagnostics",
    "participation",
    "NSW_EXPERIMENTAL_BENCHMARK",
    "Diagnostics",
    "resolve",
    "EDUCATION_LEVELS",
    "SEXES",
    "outcomes_by_course",
    "households_with_work",
    "sensitivity",
    "EFFECT_COLUMNS",
]

#: Estimators the training notebook can run.
ESTIMATORS = ("diff", "ols", "ipw", "aipw", "match", "match_no_replacement", "did")
#: Columns of :func:`estimate_all` before ``truth`` and ``truth_in_ci``.
EFFECT_COLUMNS = ["method", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n", "n_clusters", "se_method"]
#: Dehejia and Wahba (1999), Table 3: NSW treated minus NSW controls, 1978 earnings, DW sample (dollars).
NSW_EXPERIMENTAL_BENCHMARK = 1794.34
#: The registry's education levels of adults (``education`` in ``data/reference/registry_codes.csv``), lowest
#: first: the covariate ``education`` is the position in this tuple (0 illiterate … 4 tertiary).
EDUCATION_LEVELS = ("illiterate", "primary", "junior_secondary", "senior_secondary", "tertiary")
_EDU = {code: level for level, code in enumerate(EDUCATION_LEVELS)}
#: What the 0/1 covariate ``female`` stands for, as the tables name it (label keys).
SEXES = {0: "men", 1: "women"}


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


def _county(county: dict[str, pd.DataFrame]) -> Dataset:
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
    planted = county.get("truth")  # SYNTHETIC packages only
    truth = (
        planted.query("program == 'training' and group == 'all'").set_index("outcome")["value"]
        if planted is not None
        else pd.Series(dtype=float)
    )
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
        synthetic=planted is not None,
    )


def _nsw(comparison: str) -> Dataset:
    return Dataset(
        name=f"nsw_{comparison}",
        data=datasets.nsw(comparison),
        outcome="re78",
        treatment="treat",
        # Dehejia and Wahba's specification
        covariates=["age", "age2", "educ", "educ2", "black", "hisp", "marr", "nodegree", "re74", "re75", "u74", "u75"],
        baseline={"re78": "re75"},
        truth={"re78": NSW_EXPERIMENTAL_BENCHMARK},
        truth_label="experimental_benchmark",
    )


DatasetName = Literal["county", "nsw_experimental", "nsw_cps"]
#: Datasets the training notebook can run on.
DATASETS: tuple[str, ...] = get_args(DatasetName)


def training_data(name: str, data_dir: str | None = None, *, county: dict[str, pd.DataFrame] | None = None) -> Dataset:
    """The analysis dataset ``name`` (see :data:`DATASETS`) with its defaults (``county``: the county's
    tables when already loaded from ``data_dir``)."""
    if name == "county":
        return _county(datasets.load_county(data_dir) if county is None else county)
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
    names, results = [], []
    for name in estimators:
        if name in ("diff", "ols", "ipw", "aipw"):
            covs = None if name == "diff" else covariates
            result = att(data, outcome, treatment, covs, name, cluster=cluster, reps=reps, seed=seed)
        elif name in ("match", "match_no_replacement"):
            result = att(data, outcome, treatment, covariates, "match", caliper=caliper, replace=name == "match")
        else:  # did: change from the baseline, adjusted doubly robustly
            base = dataset.baseline.get(outcome)
            if base is None:
                continue
            changes = data.assign(_change=data[outcome].astype(float) - data[base].astype(float))
            # the baseline itself is not a covariate here: with it, a linear outcome model makes the change
            # and the level regressions identical and the difference-in-differences would add nothing
            others = [c for c in covariates if c != base]
            result = att(changes, "_change", treatment, others, "aipw", cluster=cluster, reps=reps, seed=seed)
        names.append(name)
        results.append(result)
    table = pd.concat([r.to_frame() for r in results], ignore_index=True)[EFFECT_COLUMNS]
    table["method"] = names
    table["truth"] = dataset.truth.get(outcome, np.nan)
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
    """Who was trained (county data).

    ``by="course"``: the trainees of each course, their share of all trainees (the shares add up to 1) and
    how many completed it. Any other ``by`` (``township``, ``sex``, ``education``): eligible persons, those
    trained and the training rate among them, those who completed and the completion rate among the trained.
    Sex and education are named by their codes (``women``/``men``; the registry's education levels, lowest
    first), which the report's labels translate.

    >>> data = pd.DataFrame({"person_id": list("abcd"), "trained": [1, 1, 1, 0], "completed": [1, 0, 1, 0],
    ...                      "course": ["cooking", "cooking", "computing", None], "female": [1, 0, 1, 1],
    ...                      "education": [0, 2, 2, 4]})
    >>> ds = Dataset("x", data, "y", "trained", [])
    >>> participation(ds, "course").to_dict("records")[0]
    {'course': 'computing', 'trained': 1, 'share_of_trainees': 0.3333333333333333, 'completed': 1, 'completion_rate': 1.0}
    >>> participation(ds, "sex")[["sex", "eligible_persons", "trained", "training_rate"]].to_dict("list")
    {'sex': ['men', 'women'], 'eligible_persons': [1, 3], 'trained': [1, 2], 'training_rate': [1.0, 0.6666666666666666]}
    >>> participation(ds, "education")["education"].tolist()
    ['illiterate', 'junior_secondary', 'tertiary']
    """
    data = dataset.data
    if by == "sex" and "female" in data:
        data = data.assign(sex=data["female"].map(SEXES))
    if by not in data:
        raise EstimationError(f"no column {by!r} in dataset {dataset.name!r}")
    if by == "course":
        trainees = data.loc[data["trained"].astype(bool)]
        out = (
            trainees.groupby("course", observed=True)
            .agg(trained=("person_id", "size"), completed=("completed", "sum"))
            .reset_index()
        )
        out.insert(2, "share_of_trainees", out["trained"] / out["trained"].sum())
        out["completion_rate"] = out["completed"] / out["trained"]
        return out
    grouped = data.groupby(by, observed=True)
    out = grouped.agg(
        eligible_persons=("person_id", "size"),
        trained=("trained", "sum"),
        completed=("completed", "sum"),
    ).reset_index()
    out.insert(3, "training_rate", out["trained"] / out["eligible_persons"])
    out["completion_rate"] = out["completed"] / out["trained"].where(out["trained"] > 0)
    if by == "education":
        out["education"] = [EDUCATION_LEVELS[int(level)] for level in out["education"]]
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


def sensitivity(dataset: Dataset, outcome: str, effects: pd.DataFrame) -> pd.DataFrame:
    """E-values of every estimate and of its interval's nearer bound (outcome standard deviation of the data)."""
    sd = float(dataset.data[outcome].astype(float).std())
    return pd.DataFrame(
        [{"method": row.method, **e_value(row.estimate, row.ci_low, row.ci_high, sd)} for row in effects.itertuples()]
    )


def _estimator_names(text: str) -> list[str]:
    return [e.strip() for e in text.split(",") if e.strip()]


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``03_training_outcomes``."""

    year: int = year_param("evaluation year (names the output folder; the county follow-up survey is of 2019)")
    dataset: DatasetName = param("county", "county (synthetic), nsw_experimental or nsw_cps (LaLonde via causaldata)")
    outcome: str = param("", "outcome column; empty means the dataset default (wage_2019 or re78)")
    treatment: str = param("", "0/1 treatment column; empty means the dataset default (trained or treat)")
    covariates: str = param("", "comma-separated covariate columns; empty means the dataset default")
    estimators: str = param(
        ",".join(ESTIMATORS),
        "comma-separated estimators to run",
        check=(
            lambda v: bool(_estimator_names(v)) and set(_estimator_names(v)) <= set(ESTIMATORS),
            f"a comma-separated list of {', '.join(ESTIMATORS)}",
        ),
    )
    caliper: float = param(
        0.2,
        "matching caliper in standard deviations of the logit propensity score",
        check=(lambda v: v > 0, "greater than 0 (standard deviations of the logit propensity score)"),
    )
    reps: int = reps_param("bootstrap replications (regression adjustment, IPW, AIPW, change from baseline)")
    seed: int = seed_param()

    NOTEBOOK: ClassVar[str] = "03_training_outcomes"


class Training(Evaluation):
    """The training notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    USES: ClassVar[tuple[str, ...]] = ("labour", "programs", "published", "truth")
    p: Params

    @property
    def missing(self) -> str | None:
        """Why the chosen dataset cannot be built (the county's package lacks the training follow-up)."""
        return self.lacks("labour") if self.p.dataset == "county" else None

    def unavailable(self) -> str | None:
        return self.missing

    @cached_property
    def dataset(self) -> Dataset:
        """The chosen dataset with its defaults."""
        county = self.county if self.p.dataset == "county" else None
        return training_data(self.p.dataset, self.data_dir, county=county)

    @cached_property
    def columns(self) -> tuple[str, str, list[str]]:
        """Outcome, treatment and covariates (the parameters, or the dataset's defaults)."""
        return resolve(self.dataset, self.p.outcome, self.p.treatment, self.p.covariates)

    @property
    def synthetic(self) -> bool:
        return self.dataset.synthetic if self.p.dataset != "county" else super().synthetic

    @property
    def notice(self) -> str:
        if self.p.dataset == "county":
            return super().notice
        zh = self.p.lang == "zh"
        if self.dataset.synthetic:
            return datasets.SYNTHETIC_NOTICE_ZH if zh else datasets.SYNTHETIC_NOTICE
        return (
            f"数据集 {self.dataset.name}：公开数据（causaldata）"
            if zh
            else f"dataset {self.dataset.name}: public data (causaldata)"
        )

    @property
    def heading(self) -> str:
        """Outcome, treatment, covariates and the group sizes, in two lines."""
        if self.missing:
            return self.missing
        y, d, x = self.columns
        data = self.dataset.data
        return (
            f"outcome {y}, treatment {d}, covariates {', '.join(x)}\n"
            f"{int(data[d].sum())} treated, {int((data[d] == 0).sum())} untreated"
        )

    @needs()
    def participation(self) -> report.Section:
        """County data: participation and completion by course, township, sex and education; outcomes by
        course; households with someone working; jobs against the report."""
        s = self.section()
        if self.p.dataset != "county":
            s.note(
                "participation tables need the county registry; the NSW data are a sample of trainees and controls",
                "参训情况表需要县级建档立卡数据；NSW 数据只是参训者和对照者的样本，无法编制这些表。",
            )
            return s
        ds = self.dataset
        places = self.township_names()
        named = Dataset(**{**ds.__dict__, "data": ds.data.assign(township=ds.data["township_id"].map(places))})
        for by in ("course", "township", "sex", "education"):
            s.table(f"participation_{by}", participation(named, by), show=by == "course")
        s.table("outcomes_by_course", outcomes_by_course(ds))
        s.table("households_with_work", households_with_work(ds))
        if self.lacks("programs", "published"):
            return s
        programs = self.county["programs"]
        workshops = programs.loc[programs["program"] == "workshop_job"]
        # the report counts workshops (6), not their workers: workshops beside workshops, and the workers
        # the registry holds with no published figure beside them
        jobs = pd.DataFrame(
            [
                {
                    "measure": "workshops",
                    "registry_value": int(workshops["detail_zh"].nunique()),
                    "ledger_value": published.figure("emp_workshops", self.data_dir),
                },
                {
                    "measure": "workshop_workers",
                    "registry_value": len(workshops),
                    "ledger_value": np.nan,
                },
                {
                    "measure": "private_firm_jobs",
                    "registry_value": int((programs["program"] == "private_firm_job").sum()),
                    "ledger_value": published.figure("emp_private_jobs", self.data_dir),
                },
            ]
        )
        s.table("jobs", jobs)
        return s

    @cached_property
    def _effects(self) -> pd.DataFrame:
        y, d, x = self.columns
        p = self.p
        estimators = _estimator_names(p.estimators)
        return estimate_all(self.dataset, y, d, x, estimators, caliper=p.caliper, reps=p.reps, seed=p.seed)

    @needs()
    def effects(self) -> report.Section:
        """Every estimator beside the truth (or the experimental benchmark), and the figure."""
        s = self.section()
        s.table("effects", self._effects, translate=False)  # English column names in any language
        s.figure(
            "estimates", plots.estimates_figure(self._effects, truth_label=self.dataset.truth_label, lang=self.p.lang)
        )
        return s

    @cached_property
    def _diagnostics(self) -> Diagnostics:
        y, d, x = self.columns
        return diagnostics(self.dataset, y, d, x, caliper=self.p.caliper)

    @needs()
    def diagnostics(self) -> report.Section:
        """Balance before and after weighting and matching, joint balance tests, overlap and trimming."""
        s = self.section()
        diag = self._diagnostics
        d = self.columns[1]
        s.table("balance", diag.balance, show=False)
        s.show(diag.balance.round(3))
        s.table("balance_tests", diag.tests)
        s.table("overlap", diag.overlap)
        s.figure("love_plot", plots.love_plot_figure(diag.balance, lang=self.p.lang))
        s.figure("overlap", plots.overlap_figure(diag.score, self.dataset.data[d].to_numpy(), lang=self.p.lang))
        return s

    @needs()
    def sensitivity(self) -> report.Section:
        """E-values and Rosenbaum bounds."""
        s = self.section()
        s.table("sensitivity", sensitivity(self.dataset, self.columns[0], self._effects))
        s.table("rosenbaum", rosenbaum_bounds(self._diagnostics.pair_differences))
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        if self.unavailable():
            return self.key_figures_section({"synthetic": int(self.synthetic)})
        d = self.columns[1]
        data = self.dataset.data
        metrics: dict[str, float | int] = {
            "synthetic": int(self.synthetic),
            "treated": int(data[d].sum()),
            "untreated": int((data[d] == 0).sum()),
        }
        for row in self._effects.itertuples():
            metrics[f"effect_{row.method}"] = round(float(row.estimate), 4)
            metrics.update(effect_interval(row))
            metrics[f"effect_{row.method}_truth_in_ci"] = int(row.truth_in_ci)
        diag = self._diagnostics
        metrics["max_abs_smd_ipw"] = round(float(diag.balance["smd_ipw"].abs().max()), 6)
        metrics["balance_p_value_ipw"] = round(float(diag.tests.set_index("adjustment").loc["ipw", "p_value"]), 6)
        return self.key_figures_section(metrics)
