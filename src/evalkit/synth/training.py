"""Vocational training (免费职业技能培训): who was trained, and what training did to work and wages.

Members of registry households aged 16–55, able to work and not in school, may
enrol in one of the report's seven courses in 2017 or 2018. Enrolment depends
on observed characteristics (age, schooling, sex, the household's workers),
which also drive employment and wages: a naive comparison is biased, while
estimators that adjust for those characteristics (regression adjustment,
weighting, matching, or differences from the 2016 baseline) recover the truth.

Potential outcomes are drawn for every eligible member at the 2019 follow-up
(12 months or more after training): employment with and without training share
one latent draw, and wages share one individual ability term, so each person's
effect is known. Effects differ by course and are smaller for members who did
not complete.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synth.params import SynthParams

__all__ = ["COURSES", "make_training"]

#: The report's seven courses: code -> (Chinese, English, employment effect, wage gain when employed, female share)
COURSES: dict[str, tuple[str, str, float, float, float]] = {
    "ecommerce": ("电商", "e-commerce", 0.08, 0.10, 0.5),
    "maternity_care": ("月嫂", "maternity care", 0.18, 0.20, 0.98),
    "cooking": ("厨师", "cooking", 0.12, 0.15, 0.4),
    "excavator": ("挖掘机", "excavator operation", 0.20, 0.25, 0.03),
    "care_work": ("护工", "care work", 0.15, 0.12, 0.85),
    "handicraft": ("手工艺", "handicraft", 0.06, 0.05, 0.8),
    "computing": ("计算机", "computing", 0.10, 0.12, 0.5),
}

_EDU = {"illiterate": 0, "primary": 1, "junior_secondary": 2, "senior_secondary": 3, "tertiary": 4}


def _logit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def make_training(
    rng: np.random.Generator, p: SynthParams, members: pd.DataFrame, households: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (labour follow-up table of eligible members, truth rows)."""
    age = 2017 - members["birth_year"].to_numpy()
    eligible = (
        (age >= 16)
        & (age <= 55)
        & members["labour_ability"].isin(["able", "weak"]).to_numpy()
        & (members["schooling"].to_numpy() == "not_in_school")
    )
    m = members.loc[eligible].reset_index(drop=True)
    n = len(m)
    age = 2017 - m["birth_year"].to_numpy()
    edu = m["education"].map(_EDU).fillna(1).to_numpy()
    female = (m["sex"] == "female").to_numpy()
    weak = (m["labour_ability"] == "weak").to_numpy()
    workers = m["household_id"].map(m.groupby("household_id").size()).to_numpy()
    # selection into training on observed characteristics
    index = (
        p.training_intercept
        + p.training_per_edu * edu
        - p.training_per_decade * (age - 35) / 10
        + p.training_female * female
        - 0.5 * weak
    )
    trained = rng.random(n) < _logit(index)
    # course choice depends on sex
    codes = list(COURSES)
    share_f = np.array([COURSES[c][4] for c in codes])
    weights = np.where(female[:, None], share_f[None, :], 1 - share_f[None, :])
    course_index = (rng.random(n)[:, None] * weights.sum(axis=1)[:, None] > np.cumsum(weights, axis=1)).sum(axis=1)
    course = np.asarray(codes)[course_index]
    year = rng.choice([2017, 2018], size=n, p=[0.55, 0.45])
    completed = trained & (rng.random(n) < p.training_completion)
    # potential outcomes at the 2019 follow-up
    p0 = _logit(-0.6 + 0.35 * edu - 0.25 * (age - 35) / 10 - 0.4 * female - 0.8 * weak + 0.15 * np.minimum(workers, 3))
    emp_effect = np.array([COURSES[c][2] for c in course]) * np.where(completed, 1.0, p.training_noncompleter_share)
    u = rng.random(n)
    employed0 = u < p0
    employed1 = u < np.minimum(p0 + emp_effect, 0.99)
    ability = rng.normal(0, 0.3, n)
    base = p.training_base_wage * np.exp(0.12 * edu - 0.15 * female + ability)
    gain = np.array([COURSES[c][3] for c in course]) * np.where(completed, 1.0, p.training_noncompleter_share)
    wage0 = np.where(employed0, base * np.exp(rng.normal(0, 0.15, n)), 0.0)
    wage1 = np.where(employed1, np.where(employed0, wage0, base * np.exp(rng.normal(0, 0.15, n))) * (1 + gain), 0.0)
    # 2016 baseline: same ability, its own luck
    u_pre = rng.random(n)
    employed_2016 = u_pre < p0 * 0.92
    wage_2016 = np.where(employed_2016, base * 0.9 * np.exp(rng.normal(0, 0.15, n)), 0.0)
    employed = np.where(trained, employed1, employed0)
    wage = np.where(trained, wage1, wage0)
    table = pd.DataFrame(
        {
            "person_id": m["person_id"],
            "household_id": m["household_id"],
            "trained": trained,
            "course": np.where(trained, course, ""),
            "course_zh": np.where(trained, [COURSES[c][0] for c in course], ""),
            "training_year": pd.array(np.where(trained, year, pd.NA), dtype="Int64"),
            "completed": completed,
            "employed_2016": employed_2016,
            "wage_2016": np.round(wage_2016, 2),
            "employed_2019": employed,
            "wage_2019": np.round(wage, 2),
            "wage_if_untrained": np.round(
                wage0, 2
            ),  # used to add the effect to household incomes; dropped before writing
        }
    )
    truth = _training_truth(trained, completed, course, employed1, employed0, np.round(wage1, 2), np.round(wage0, 2))
    return table, truth


def _training_truth(trained, completed, course, employed1, employed0, wage1, wage0) -> pd.DataFrame:
    rows = []

    def add(group: str, mask: np.ndarray) -> None:
        for outcome, effect, unit in (
            ("employed_2019", employed1.astype(float) - employed0, "share"),
            ("wage_2019", wage1 - wage0, "yuan per person per year"),
        ):
            rows.append(
                {
                    "program": "training",
                    "outcome": outcome,
                    "estimand": "ATT at the 2019 follow-up (trained = enrolled)",
                    "group": group,
                    "value": round(float(effect[mask].mean()), 6),
                    "unit": unit,
                    "n_units": int(mask.sum()),
                    "n_obs": int(mask.sum()),
                }
            )

    add("all", trained)
    add("completed", trained & completed)
    for code in COURSES:
        add(f"course={code}", trained & (course == code))
    return pd.DataFrame(rows)
