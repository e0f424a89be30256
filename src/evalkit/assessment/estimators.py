"""The third-party exit assessment's four figures (三率一度) with design-based intervals and verdicts.

* wrong-exit rate (错退率): sampled exited persons failing the exit criteria / sampled exited persons;
* missed-identification rate (漏评率): non-registered persons meeting the poverty criteria (income below
  the line) / non-registered persons;
* composite incidence (综合贫困发生率): (remaining registered poor + estimated missed + estimated wrongly
  exited persons) / rural population, the estimated counts scaled from the sample;
* public approval (群众认可度): approving households / surveyed households.

Each is a weighted ratio over the survey's two-stage design (strata: townships; clusters: villages), with
a linearized standard error, a t interval, a Wilson interval on the effective sample size (better for
rates near 0 or 1 and small counts), and the probability that the true value meets its threshold: the
posterior probability under a Jeffreys prior with the effective counts, ``x_eff = p n_eff`` and
``n_eff = p (1 - p) / V`` (capped at the number of persons in the domain).

Worked example (no design: ten exited persons, each its own cluster, one failing): rate 0.1; linearized
variance 10/9 × (0.81 + 9 × 0.01) / 100 = 0.01, so n_eff = 0.09 / 0.01 = 9; with t(9) = 2.262 the Wilson
interval is 0.013 to 0.477.

>>> r = rate_estimate("wrong_exit_rate", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1] * 10, threshold=0.02)
>>> round(r.estimate, 3), round(r.n_effective, 6), [round(v, 3) for v in r.conf_int()]
(0.1, 9.0, [0.013, 0.477])
>>> r.passes, round(r.p_meets, 3)
(False, 0.065)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import DataError
from evalkit.indicators.design import Design
from evalkit.io.sheets import detect_encoding
from evalkit.labels import has_label, label
from evalkit import reference
from evalkit.results import FRAME_COLUMNS, Result, critical_value

__all__ = [
    "RateEstimate",
    "ASSESS_COLUMNS",
    "rate_estimate",
    "wrong_exit_rate",
    "missed_rate",
    "composite_incidence",
    "approval_rate",
    "assess",
    "thresholds",
    "SURVEY_COLUMNS",
    "check_survey",
    "read_survey",
]

#: Columns an assessment survey file needs (one row per surveyed household).
SURVEY_COLUMNS = {
    "township_id": "stratum (township)",
    "village_id": "cluster (village)",
    "weight": "household weight (inverse selection probability, calibrated)",
    "household_size": "persons in the household",
    "registry_status_2018": "registered / exited / not_registered",
    "income_pc_2018": "per-capita net income of the year (yuan)",
    "poverty_line_2018": "poverty line of the year (yuan)",
    "meets_exit_criteria": "true when income is stably above the line and the guarantees are met",
    "approves": "true when the household approves of the poverty-alleviation work",
}

_IDS = {
    "wrong_exit_rate": ("wrong_exit_rate_max", "below"),
    "missed_rate": ("missed_rate_max", "below"),
    "composite_incidence": ("composite_incidence_max_central", "below"),
    "approval_rate": ("approval_rate_min", "at_least"),
}


def thresholds(region: str = "central", data_dir: str | None = None) -> dict[str, float]:
    """The four thresholds as shares (from ``data/reference/thresholds.csv``, with their sources there)."""
    out = {name: reference.threshold(tid, data_dir) / 100 for name, (tid, _) in _IDS.items()}
    if region == "west":
        out["composite_incidence"] = reference.threshold("composite_incidence_max_west", data_dir) / 100
    return out


def check_survey(survey: pd.DataFrame, *, file: str = "survey") -> None:
    """Raise :class:`DataError` listing every missing column (with its meaning) at once."""
    missing = [c for c in SURVEY_COLUMNS if c not in survey.columns]
    if missing:
        raise DataError(
            "the assessment survey lacks columns: "
            + "; ".join(f"{c} ({SURVEY_COLUMNS[c]})" for c in missing)
            + ". Enter results in the layout of evalkit.assessment.SURVEY_COLUMNS.",
            file=file,
        )


def read_survey(path: str) -> pd.DataFrame:
    """Read entered assessment results (CSV, UTF-8 or GBK) and check their columns and values.

    Raises
    ------
    DataError
        Missing file or columns, or values that are not what the column needs (listed with their rows).
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError("no such file; check survey_file.", file=str(file))
    data = file.read_bytes()
    survey = pd.read_csv(
        file, encoding=detect_encoding(data, file=file.name), dtype={"township_id": str, "village_id": str}
    )
    check_survey(survey, file=file.name)
    problems = []
    for column in ("meets_exit_criteria", "approves"):
        text = survey[column].astype(str).str.strip().str.lower()
        bad = ~text.isin(["true", "false", "1", "0", "是", "否"])
        problems += [
            f"row {i + 2}, column {column!r}: {survey[column].iloc[i]!r} is not true/false"
            for i in np.flatnonzero(bad)[:20]
        ]
        survey[column] = text.isin(["true", "1", "是"])
    for column in ("weight", "household_size", "income_pc_2018", "poverty_line_2018"):
        values = pd.to_numeric(survey[column], errors="coerce")
        bad = values.isna() | (values < 0)
        problems += [
            f"row {i + 2}, column {column!r}: {survey[column].iloc[i]!r} is not a non-negative number"
            for i in np.flatnonzero(bad)[:20]
        ]
        survey[column] = values
    status = ~survey["registry_status_2018"].isin(["registered", "exited", "exited_this_year", "not_registered"])
    problems += [
        f"row {i + 2}, column 'registry_status_2018': {survey['registry_status_2018'].iloc[i]!r} is not registered, exited or not_registered"
        for i in np.flatnonzero(status)[:20]
    ]
    if problems:
        raise DataError(
            "the entered results have values evalkit cannot use:\n  " + "\n  ".join(problems), file=file.name
        )
    return survey


@dataclass(frozen=True, kw_only=True, repr=False)
class RateEstimate(Result):
    """A rate with its design-based uncertainty and the verdict against its threshold.

    ``conf_int(level)`` is the Wilson interval on the effective sample size (never outside [0, 1]), the
    interval ``to_frame()`` reports as ``ci_low``/``ci_high``; ``wald_int(level)`` is estimate ± t × s.e.
    (``wald_low``/``wald_high``). ``method`` is ``ratio`` (a ratio of weighted counts), ``se_method``
    ``linearized``.
    """

    indicator: str
    n_effective: float
    threshold: float
    direction: str  # "below": the rate must be below the threshold; "at_least": at or above it
    method: str = "ratio"
    se_method: str = "linearized"

    ID_COLUMNS: ClassVar[tuple[str, ...]] = ("indicator",)

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Wilson interval on the effective sample size (never outside [0, 1])."""
        z = critical_value(level, self.df)
        n, p = self.n_effective, self.estimate
        if n <= 0:
            return (float("nan"), float("nan"))
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))

    def wald_int(self, level: float = 0.95) -> tuple[float, float]:
        """Wald interval with t(df): estimate ± t × s.e."""
        half = critical_value(level, self.df) * self.std_error
        return (self.estimate - half, self.estimate + half)

    @property
    def p_meets(self) -> float:
        """Posterior probability (Jeffreys prior, effective counts) that the true value meets the threshold."""
        x = self.estimate * self.n_effective
        below = float(stats.beta.cdf(self.threshold, x + 0.5, self.n_effective - x + 0.5))
        return below if self.direction == "below" else 1 - below

    @property
    def p_below_threshold(self) -> float:
        """Posterior probability that the true value is below the threshold."""
        return self.p_meets if self.direction == "below" else 1 - self.p_meets

    @property
    def passes(self) -> bool:
        """The point estimate meets the threshold."""
        return self.estimate < self.threshold if self.direction == "below" else self.estimate >= self.threshold

    def _extra_columns(self, level: float) -> dict[str, object]:
        wald = self.wald_int(level)
        return {
            "wald_low": wald[0],
            "wald_high": wald[1],
            "threshold": self.threshold,
            "direction": self.direction,
            "passes": self.passes,
            "p_meets": self.p_meets,
            "n_effective": self.n_effective,
        }

    def summary(self, level: float = 0.95, lang: str = "en") -> str:
        """The estimate, its interval and the verdict against the threshold, as sentences in ``lang`` (en or
        zh; the numbers written alike).

        >>> r = rate_estimate("wrong_exit_rate", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1] * 10, threshold=0.02)
        >>> print(r.summary())
        The wrong-exit rate is 10.0000% (95% CI 1.3376% to 47.6614%), not below the 2% threshold: it fails. The probability that the true value is below the threshold, P(meets), is 0.065.
        >>> print(r.summary(lang="zh"))
        错退率为10.0000%（95%置信区间1.3376%至47.6614%），未低于2%的标准，不达标；真实值低于标准的概率（达标概率）为0.065。
        """
        low, high = self.conf_int(level)
        name = label(self.indicator, lang) if has_label(self.indicator) else self.indicator
        estimate, ci = f"{self.estimate:.4%}", f"{100 * level:g}%"
        low_, high_, threshold, p = f"{low:.4%}", f"{high:.4%}", f"{self.threshold:.0%}", f"{self.p_meets:.3f}"
        below = self.direction == "below"
        if lang == "zh":
            where = ("低于" if self.passes else "未低于") if below else ("不低于" if self.passes else "低于")
            return (
                f"{name}为{estimate}（{ci}置信区间{low_}至{high_}），{where}{threshold}的标准，"
                f"{'达标' if self.passes else '不达标'}；真实值{'低于' if below else '不低于'}标准的概率（达标概率）为{p}。"
            )
        where = ("below" if self.passes else "not below") if below else ("at or above" if self.passes else "below")
        return (
            f"The {name} is {estimate} ({ci} CI {low_} to {high_}), {where} the {threshold} threshold: "
            f"it {'passes' if self.passes else 'fails'}. The probability that the true value is "
            f"{'below' if below else 'at or above'} the threshold, P(meets), is {p}."
        )


#: Columns of :func:`assess`, in order.
ASSESS_COLUMNS = (
    "indicator",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "wald_low",
    "wald_high",
    "threshold",
    "direction",
    "passes",
    "p_meets",
    "n",
    "n_effective",
)


def _rate(
    indicator: str,
    p: float,
    variance: float,
    design: Design,
    n: int,
    n_effective: float,
    threshold: float,
    direction: str,
    details: dict[str, object] | None = None,
) -> RateEstimate:
    return RateEstimate(
        indicator=indicator,
        estimate=p,
        std_error=float(np.sqrt(variance)),
        df=design.df,
        n=n,
        n_clusters=design.n_clusters,
        n_effective=n_effective,
        threshold=threshold,
        direction=direction,
        details=details or {},
    )


def rate_estimate(
    indicator: str,
    numerator: object,
    domain: object,
    *,
    weights: object = None,
    strata: object = None,
    clusters: object = None,
    threshold: float,
    direction: str = "below",
) -> RateEstimate:
    """Ratio of weighted counts ``sum w u / sum w d`` (u within the domain d) with its linearized error."""
    u, d = np.asarray(numerator, dtype=float), np.asarray(domain, dtype=float)
    if np.any(u > d):
        raise ValueError("every counted unit must be in the domain")
    design = Design.of(u.size, weights=weights, strata=strata, clusters=clusters)
    w = design.weights
    size = w @ d
    if size <= 0:
        raise ValueError(f"{indicator}: nobody in the sample belongs to its domain")
    p = float(w @ u / size)
    var = design.variance((u - p * d) / size)
    n = int(d.sum())
    n_eff = min(float(n), p * (1 - p) / var) if var > 0 and 0 < p < 1 else float(n)
    return _rate(indicator, p, var, design, n, n_eff, threshold, direction)


def _persons(survey: pd.DataFrame) -> np.ndarray:
    return (survey["weight"] * survey["household_size"]).to_numpy(dtype=float)


def _exited(survey: pd.DataFrame) -> np.ndarray:
    return survey["registry_status_2018"].isin(["exited", "exited_this_year"]).to_numpy()


def _outside(survey: pd.DataFrame) -> np.ndarray:
    return (survey["registry_status_2018"] == "not_registered").to_numpy()


def _wrongly_exited(survey: pd.DataFrame) -> np.ndarray:
    return _exited(survey) & ~survey["meets_exit_criteria"].astype(bool).to_numpy()


def _missed(survey: pd.DataFrame) -> np.ndarray:
    return _outside(survey) & (survey["income_pc_2018"] < survey["poverty_line_2018"]).to_numpy()


def _survey_rate(
    name: str,
    survey: pd.DataFrame,
    counted: np.ndarray,
    domain: np.ndarray,
    weights: object,
    threshold: float | None,
    direction: str = "below",
) -> RateEstimate:
    t = thresholds()[name] if threshold is None else threshold
    return rate_estimate(
        name,
        counted,
        domain,
        weights=weights,
        strata=survey["township_id"],
        clusters=survey["village_id"],
        threshold=t,
        direction=direction,
    )


def wrong_exit_rate(survey: pd.DataFrame, threshold: float | None = None) -> RateEstimate:
    """错退率: exited persons failing the exit criteria over exited persons (person-weighted)."""
    check_survey(survey)
    return _survey_rate(
        "wrong_exit_rate", survey, _wrongly_exited(survey), _exited(survey), _persons(survey), threshold
    )


def missed_rate(survey: pd.DataFrame, threshold: float | None = None) -> RateEstimate:
    """漏评率: non-registered persons below the line over non-registered persons (person-weighted)."""
    check_survey(survey)
    return _survey_rate("missed_rate", survey, _missed(survey), _outside(survey), _persons(survey), threshold)


def composite_incidence(
    survey: pd.DataFrame, remaining_persons: float, rural_persons: float, threshold: float | None = None
) -> RateEstimate:
    """综合贫困发生率: (remaining registered poor + estimated missed + estimated wrongly exited) / rural persons.

    ``remaining_persons`` comes from the registry (a count, no sampling error); the two estimated counts are
    survey totals (person weights), so the standard error is that of their sum over ``rural_persons``.
    """
    check_survey(survey)
    u = (_missed(survey) | _wrongly_exited(survey)).astype(float)
    design = Design.of(
        len(survey), weights=_persons(survey), strata=survey["township_id"], clusters=survey["village_id"]
    )
    estimated = float(design.weights @ u)
    p = (remaining_persons + estimated) / rural_persons
    var = design.variance(u / rural_persons)
    n = len(survey)
    n_eff = min(float(int(survey["household_size"].sum())), p * (1 - p) / var) if var > 0 else float(n)
    t = thresholds()["composite_incidence"] if threshold is None else threshold
    details = {"remaining_persons": remaining_persons, "estimated_missed_and_wrong": estimated}
    return _rate("composite_incidence", float(p), var, design, n, n_eff, t, "below", details)


def approval_rate(survey: pd.DataFrame, threshold: float | None = None) -> RateEstimate:
    """群众认可度: approving households over surveyed households (household-weighted)."""
    check_survey(survey)
    approves = survey["approves"].astype(bool).to_numpy()
    return _survey_rate(
        "approval_rate", survey, approves, np.ones(len(survey)), survey["weight"], threshold, direction="at_least"
    )


def assess(
    survey: pd.DataFrame,
    *,
    remaining_persons: float,
    rural_persons: float,
    region: str = "central",
    level: float = 0.95,
) -> pd.DataFrame:
    """The four figures with Wilson and Wald intervals, thresholds, verdicts and P(meets), one row each
    (columns :data:`ASSESS_COLUMNS`, then each figure's details)."""
    t = thresholds(region)
    results = [
        wrong_exit_rate(survey, t["wrong_exit_rate"]),
        missed_rate(survey, t["missed_rate"]),
        composite_incidence(survey, remaining_persons, rural_persons, t["composite_incidence"]),
        approval_rate(survey, t["approval_rate"]),
    ]
    frame = pd.concat([r.to_frame(level) for r in results], ignore_index=True)
    details = [c for c in frame.columns if c not in ASSESS_COLUMNS and c not in FRAME_COLUMNS]
    return frame[[*ASSESS_COLUMNS, *details]]
