"""Incomes of every rural household, 2014–2019, by component, without program effects.

Each household's total per-capita income follows a path relative to the year's
poverty line: households poor in 2014 rise towards the line and cross it in an
intended year (or not by 2018); the others stay above it. The total is split
into components: operating income follows a household level plus common year
steps (so that, without programs, operating incomes of all households move in
parallel), pensions, the minimum living allowance and other policy payments
follow rules, and wages are what remains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synth.params import SynthParams

__all__ = ["intended_paths", "split_components", "exit_cohorts", "COMPONENTS", "REMAINING"]

COMPONENTS = ("wage", "operating", "property", "pension", "dibao", "eco_comp", "other_policy")
REMAINING = 0  # cohort code of households still below the line at the end of 2018


def intended_paths(
    rng: np.random.Generator,
    p: SynthParams,
    lines: np.ndarray,
    poor: np.ndarray,
    crossing: np.ndarray,
    unstable: np.ndarray | None = None,
    returns: np.ndarray | None = None,
) -> np.ndarray:
    """Total per-capita income (households × years) before programs.

    ``crossing`` holds, for households poor at baseline, the (fractional) year
    at which the path reaches the line; it is ignored for the others.
    ``unstable`` households (early exits only) peak after crossing and then
    fall towards the line, staying above it to 2018; those also in
    ``returns`` fall below it in 2019.
    """
    years = np.asarray(p.years, dtype=float)
    n = poor.size
    gap = rng.uniform(p.start_gap_low, p.start_gap_high, n)
    slope = gap / np.maximum(crossing - years[0], 0.5)
    after = rng.uniform(p.nonpoor_growth_low, p.nonpoor_growth_high, n)  # growth once above the line
    since = years[None, :] - crossing[:, None]
    z_poor = np.where(since < 0, slope[:, None] * since, after[:, None] * since)
    margin = 0.04 + rng.exponential(p.nonpoor_margin_scale, n)
    growth = rng.uniform(p.nonpoor_growth_low, p.nonpoor_growth_high, n)
    z_rich = margin[:, None] + growth[:, None] * (years - years[0])[None, :]
    if unstable is not None:
        level = rng.uniform(0.03, 0.09, n)  # distance above the line in 2018
        decline = rng.uniform(0.08, 0.16, n)  # yearly fall in log income relative to the line
        z_unstable = level[:, None] + decline[:, None] * (2018 - years)[None, :]
        fall = np.where(returns if returns is not None else False, -rng.uniform(0.12, 0.30, n), 0.02)
        z_unstable[:, years == 2019] = (level + fall)[:, None]
        z_poor = np.where(unstable[:, None] & (since >= 0), z_unstable, z_poor)
    z = np.where(poor[:, None], z_poor, z_rich) + rng.normal(0.0, p.path_noise_sd, (n, years.size))
    return lines[None, :] * np.exp(z)


def split_components(
    rng: np.random.Generator,
    p: SynthParams,
    households: pd.DataFrame,
    total: np.ndarray,
    lines: np.ndarray,
    dibao_share: np.ndarray,
) -> dict[str, np.ndarray]:
    """Split totals into per-capita components; wages are the remainder (never negative).

    Households without a member able to work get no wages: their remainder is
    counted as other transfers (support from relatives away).

    ``dibao_share`` is each household's minimum living allowance as a share of
    the line (0 for none). Where rule-based components exceed the intended total, the total is raised
    to keep a small wage; the caller recomputes poverty status from the result.
    """
    n, k = total.shape
    years = np.asarray(p.years, dtype=float) - p.years[0]
    size = households["household_size"].to_numpy(dtype=float)
    pension = (p.pension_per_elderly * (1 + p.pension_growth) ** years)[None, :] * (
        households["elderly"].to_numpy() / size
    )[:, None]
    has_property = rng.random(n) < p.property_share
    prop = np.where(has_property, rng.uniform(100, 500, n), 0.0)[:, None] * np.ones(k)
    other = rng.uniform(p.other_policy_low, p.other_policy_high, n)[:, None] * (1.03**years)[None, :]
    dibao_pc = dibao_share[:, None] * lines[None, :]
    has_op = (households["workers"].to_numpy() > 0) & (rng.random(n) < 0.75)
    share = rng.beta(p.operating_share_a, p.operating_share_b, n) * (
        1 - p.forest_operating_cut * households["forest_share"].to_numpy()
    )
    level = p.operating_floor + np.where(has_op, share * total[:, 0], 0.0)
    operating = level[:, None] + p.operating_year_step * years[None, :] + rng.normal(0.0, p.operating_noise_sd, (n, k))
    eco = (p.eco_comp_full_forest * households["forest_share"].to_numpy())[:, None] * np.ones(k)
    non_wage = pension + prop + other + dibao_pc + operating + eco
    total = np.maximum(total, non_wage + 100.0)
    # without a member able to work, the remainder is support from relatives away (a transfer), not wages
    workers = (households["workers"].to_numpy() > 0)[:, None]
    remainder = total - non_wage
    return {
        "wage": np.where(workers, remainder, 0.0),
        "operating": operating,
        "property": prop,
        "pension": pension,
        "dibao": dibao_pc,
        "eco_comp": eco,
        "other_policy": other + np.where(workers, 0.0, remainder),
    }


def exit_cohorts(total: np.ndarray, lines: np.ndarray, years: tuple[int, ...]) -> np.ndarray:
    """Exit cohort of each household from its incomes, 2014–2018.

    A household poor in 2014 exits in the first year its income reaches the
    line, provided it stays there through 2018; one below the line in every
    year gets :data:`REMAINING`; any other pattern (never poor, or crossing
    back and forth) gets -1.

    Examples
    --------
    >>> lines = np.array([10.0, 10, 10, 10, 10])
    >>> total = np.array([[8.0, 9, 11, 12, 13], [8, 8, 8, 8, 8], [8, 11, 9, 12, 12], [12, 12, 12, 12, 12]])
    >>> exit_cohorts(total, lines, (2014, 2015, 2016, 2017, 2018)).tolist()
    [2016, 0, -1, -1]
    """
    upto = years.index(2018) + 1
    below = total[:, :upto] < lines[None, :upto]
    k = below.sum(axis=1)  # years below the line, counted from 2014
    prefix = np.all(below == (np.arange(upto)[None, :] < k[:, None]), axis=1)  # below first, then above for good
    cohort = np.where(k == upto, REMAINING, years[0] + k)
    return np.where(prefix & (k >= 1), cohort, -1)
