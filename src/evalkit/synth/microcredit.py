"""Poverty-alleviation microcredit in the synthetic county: who borrows, and what it does.

Borrowing depends on observed characteristics (workers, baseline operating
income, hardship, the head's education), so borrowers differ from
non-borrowers before any loan: a naive comparison is biased. Each borrower's
effect is planted and stored: operating income for self-development,
partnership and joint operation; cooperative dividends (property income) for
the two cooperative-managed models. Effects start in the loan year and stay
constant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sampling import allocate
from evalkit.synth.params import MICROCREDIT_MODELS, SynthParams
from evalkit.synth.population import categorical

__all__ = ["assign_borrowing", "planted_effects", "loans_table"]


def _logit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def assign_borrowing(
    rng: np.random.Generator,
    p: SynthParams,
    households: pd.DataFrame,
    candidates: np.ndarray,
    operating_2014: np.ndarray,
    target_rate: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (borrows, start year, model code, propensity) for every household."""
    workers = households["workers"].to_numpy()
    eligible = candidates & ((workers > 0) | (households["head_age"].to_numpy() <= 65))
    hard = households["hardship"].isin(["illness", "disability"]).to_numpy()
    index = (
        p.borrow_per_worker * np.minimum(workers, 3)
        + p.borrow_per_1000_operating * operating_2014 / 1000.0
        + p.borrow_hardship_illness_disability * hard
        + p.borrow_head_education * households["head_education"].to_numpy()
    )
    low, high = -15.0, 15.0  # calibrate the intercept so the mean propensity hits the target
    for _ in range(60):
        mid = (low + high) / 2
        if _logit(mid + index[eligible]).mean() < target_rate:
            low = mid
        else:
            high = mid
    propensity = np.where(eligible, _logit(low + index), 0.0)
    borrows = rng.random(propensity.size) < propensity
    start = rng.choice(np.asarray(p.microcredit_years), size=borrows.size, p=[0.45, 0.35, 0.20])
    codes = list(MICROCREDIT_MODELS)
    shares = np.array([MICROCREDIT_MODELS[c][2] for c in codes])
    weights = np.tile(shares, (borrows.size, 1))
    weights[:, 0] *= 1 + 0.3 * np.minimum(workers, 3)  # self-development needs own labour
    model = np.asarray(codes)[categorical(rng, weights)]
    return borrows, np.where(borrows, start, 0), np.where(borrows, model, ""), propensity


def planted_effects(
    rng: np.random.Generator, p: SynthParams, households: pd.DataFrame, model: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Household-level yearly effects (operating, dividend) in yuan; zero for non-borrowers."""
    n = model.size
    scale = 1 + p.effect_per_extra_worker * np.maximum(households["workers"].to_numpy() - 1, 0)
    noise = 1 + p.effect_sd_share * rng.standard_normal(n)
    noise = np.clip(noise, 0.2, 2.0)
    op_mean = np.select(
        [model == "self_development", model == "partnership", model == "coop_operation"],
        [p.effect_operating_self, p.effect_operating_partnership, p.effect_operating_coop_operation],
        0.0,
    )
    div_mean = np.select(
        [model == "coop_cooperation", model == "coop_operation"],
        [p.effect_dividend_coop_cooperation, p.effect_dividend_coop_operation],
        0.0,
    )
    return op_mean * scale * noise, div_mean * noise


def loans_table(rng: np.random.Generator, p: SynthParams, registry: pd.DataFrame, risk: np.ndarray) -> pd.DataFrame:
    """One loan per borrowing registry household: amount, term, model, repayment status.

    Amounts are at most the cap; most loans are at the cap and the rest are
    scaled so that the total equals ``p.microcredit_loan_total`` exactly.
    """
    n = len(registry)
    at_cap = rng.random(n) < p.microcredit_share_at_cap
    rest_total = p.microcredit_loan_total - p.microcredit_cap * int(at_cap.sum())
    thousands = allocate(rest_total // 1000, rng.uniform(10, 45, int((~at_cap).sum())), minimum=5)
    if thousands.max(initial=0) * 1000 > p.microcredit_cap:
        raise ValueError("loan amounts exceed the cap; lower microcredit_share_at_cap")
    amount = np.full(n, p.microcredit_cap, dtype=np.int64)
    amount[~at_cap] = thousands * 1000
    term = rng.choice([36, 24, 12], size=n, p=[0.75, 0.15, 0.10])
    start = registry["loan_year"].to_numpy()
    due = start + term // 12
    bad = _logit(-3.4 + 1.2 * risk)
    u = rng.random(n)
    status = np.where(
        due <= 2019,
        np.select([u < bad * 0.35, u < bad], ["default", "overdue"], "repaid"),
        np.select([u < bad * 0.15, u < bad * 0.7], ["default", "overdue"], "current"),
    )
    code_zh = {k: v[0] for k, v in MICROCREDIT_MODELS.items()}
    return pd.DataFrame(
        {
            "loan_id": [f"L{i + 1:04d}" for i in range(n)],
            "household_id": registry["household_id"].to_numpy(),
            "loan_year": start,
            "model": registry["loan_model"].to_numpy(),
            "model_zh": registry["loan_model"].map(code_zh).to_numpy(),
            "amount_yuan": amount,
            "term_months": term,
            "due_year": due,
            "status_2019": status,
        }
    )
