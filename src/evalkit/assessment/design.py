"""Planning the assessment sample: size with clustering, allocation across townships, a seeded draw.

The sample size is for a one-sided score test of H0: rate >= ``t`` when the rate truly is ``p``:

    n_srs = (z_{1-alpha} sqrt(t (1 - t)) + z_{power} sqrt(p (1 - p)))^2 / (t - p)^2
    n = n_srs × deff,   deff = 1 + (m - 1) rho

with ``m`` households per village and ``rho`` the intra-village correlation; the test rejects when
``(t - p_hat) / sqrt(t (1 - t) deff / n) > z_{1-alpha}``. :func:`simulated_power` checks the plan by
simulating that test on beta-binomial villages.

Example: p = 1%, t = 2%, alpha = 5%, power = 80%, no clustering:
(1.645 × 0.1400 + 0.842 × 0.0995)^2 / 0.0001 = 986.1, so 987 households.

>>> sample_size(p_true=0.01, threshold=0.02).households_srs
987

Villages are shared across townships with :func:`evalkit.sampling.allocate` and drawn with
:func:`evalkit.sampling.pps_systematic`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.assessment.estimators import SURVEY_COLUMNS
from evalkit.sampling import pps_systematic

__all__ = [
    "SamplePlan",
    "sample_size",
    "simulated_power",
    "draw_visit_list",
    "estimate_icc",
    "survey_template",
]


@dataclass(frozen=True)
class SamplePlan:
    """Households and villages needed, with the assumptions that produced them."""

    p_true: float
    threshold: float
    alpha: float
    power: float
    icc: float
    per_village: int
    households_srs: int
    design_effect: float
    households_needed: int
    villages_needed: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def sample_size(
    *,
    p_true: float = 0.01,
    threshold: float = 0.02,
    alpha: float = 0.05,
    power: float = 0.8,
    icc: float = 0.0,
    per_village: int = 25,
) -> SamplePlan:
    """Households and villages so that a rate truly at ``p_true`` is shown below ``threshold`` with ``power``."""
    if not 0 < p_true < threshold < 1:
        raise ValueError("need 0 < p_true < threshold < 1")
    if not 0 < alpha < 0.5 or not 0.5 <= power < 1:
        raise ValueError("alpha must be in (0, 0.5) and power in [0.5, 1)")
    if icc < 0 or per_village < 1:
        raise ValueError("icc must be >= 0 and per_village >= 1")
    root = stats.norm.ppf(1 - alpha) * math.sqrt(threshold * (1 - threshold)) + stats.norm.ppf(power) * math.sqrt(
        p_true * (1 - p_true)
    )
    n_srs = math.ceil(root * root / (threshold - p_true) ** 2)
    deff = 1 + (per_village - 1) * icc
    n = math.ceil(n_srs * deff)
    villages = math.ceil(n / per_village)
    return SamplePlan(p_true, threshold, alpha, power, icc, per_village, n_srs, deff, villages * per_village, villages)


def plan_grid(
    *,
    p_true: float,
    threshold: float,
    per_village: int,
    powers: tuple[float, ...] = (0.8, 0.9),
    iccs: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1),
) -> pd.DataFrame:
    """Sample plans for every combination of power and intra-village correlation, one row each."""
    plans = [
        sample_size(p_true=p_true, threshold=threshold, power=power, icc=icc, per_village=per_village).to_frame()
        for power in powers
        for icc in iccs
    ]
    return pd.concat(plans, ignore_index=True)


def simulated_power(plan: SamplePlan, *, reps: int = 4000, seed: int = 0) -> float:
    """Share of simulated samples (beta-binomial villages) in which the score test shows the rate below the threshold."""
    rng = np.random.default_rng(seed)
    k, m, p, rho = plan.villages_needed, plan.per_village, plan.p_true, plan.icc
    if rho > 0:
        a = p * (1 - rho) / rho
        b = (1 - p) * (1 - rho) / rho
        pi = rng.beta(a, b, size=(reps, k))
    else:
        pi = np.full((reps, k), p)
    x = rng.binomial(m, pi)
    total = k * m
    p_hat = x.sum(axis=1) / total
    t = plan.threshold
    score = (t - p_hat) / np.sqrt(t * (1 - t) * plan.design_effect / total)
    return float(np.mean(score > stats.norm.ppf(1 - plan.alpha)))


def draw_visit_list(
    households: pd.DataFrame,
    villages: pd.DataFrame,
    villages_by_township: pd.Series,
    per_village: int,
    *,
    seed: int = 2018,
    eligible: pd.Series | None = None,
) -> pd.DataFrame:
    """Draw villages by PPS (size: eligible households) within townships, then households at random.

    ``households`` holds pseudonymous ids only (``household_id`` of the synthetic registry, or the
    ``household_key`` of a cleaning run renamed so); the visit list carries no other identifier.
    ``eligible`` marks the households to sample from (default: those that exited).
    """
    rng = np.random.default_rng(seed)
    pool = households.loc[households["exit_year"].notna() if eligible is None else eligible]
    sizes = pool.groupby("village_id").size()
    frame = villages[["village_id", "township_id"]].assign(size=lambda f: f["village_id"].map(sizes).fillna(0))
    rows = []
    for township, k in villages_by_township.items():  # one draw per stratum: a handful of townships
        part = frame.loc[(frame["township_id"] == township) & (frame["size"] > 0)].reset_index(drop=True)
        if part.empty or k <= 0:
            continue
        idx, prob = pps_systematic(rng, part["size"].to_numpy(), min(int(k), len(part)))
        for i in sorted(idx):
            village = part.loc[i, "village_id"]
            members = pool.loc[pool["village_id"] == village, "household_id"].to_numpy()
            take = min(per_village, members.size)
            chosen = np.sort(rng.choice(members, size=take, replace=False))
            rows.append(
                pd.DataFrame(
                    {
                        "township_id": township,
                        "village_id": village,
                        "household_id": chosen,
                        "village_prob": prob[i],
                        "household_prob": take / members.size,
                    }
                )
            )
    visit = pd.concat(rows, ignore_index=True)
    visit["weight"] = 1 / (visit["village_prob"] * visit["household_prob"])
    return visit


def estimate_icc(outcome: object, clusters: object) -> float:
    """ANOVA estimate of the intra-cluster correlation of a 0/1 (or numeric) outcome, floored at 0.

    rho = (MSB - MSW) / (MSB + (m0 - 1) MSW), with m0 the adjusted mean cluster size.

    >>> round(estimate_icc([1, 1, 0, 0], ["a", "a", "b", "b"]), 6)  # identical within, different between
    1.0
    >>> estimate_icc([1, 0, 1, 0], ["a", "a", "b", "b"])
    0.0
    """
    y = np.asarray(outcome, dtype=float)
    codes = pd.factorize(pd.Series(np.asarray(clusters)))[0]
    k, n = codes.max() + 1, y.size
    sizes = np.bincount(codes, minlength=k).astype(float)
    means = np.bincount(codes, weights=y, minlength=k) / sizes
    grand = y.mean()
    ssb = float((sizes * (means - grand) ** 2).sum())
    ssw = float(((y - means[codes]) ** 2).sum())
    if k < 2 or n - k < 1:
        raise ValueError("need at least two clusters and more units than clusters")
    msb, msw = ssb / (k - 1), ssw / (n - k)
    m0 = (n - (sizes**2).sum() / n) / (k - 1)
    denominator = msb + (m0 - 1) * msw
    return float(max(0.0, (msb - msw) / denominator)) if denominator > 0 else 0.0


def survey_template(visit: pd.DataFrame) -> pd.DataFrame:
    """A results sheet for the field team: the visit list with empty columns for every survey answer."""
    out = visit.copy()
    for column in SURVEY_COLUMNS:
        if column not in out.columns:
            out[column] = pd.NA
    return out
