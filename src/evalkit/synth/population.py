"""The county's rural households and their members (all 130,000 agricultural residents).

Demographics only: who lives where, ages, schooling, disability, and each
household's hardship (the cause of poverty it would be registered under).
Incomes are added by :mod:`evalkit.synth.income`; the registry is then drawn
from the households poor at baseline (:mod:`evalkit.synth.selection`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synth._alloc import sizes_with_total
from evalkit.synth.params import SynthParams
from evalkit.reference import poverty_causes
from evalkit.synth.targets import Targets

__all__ = ["make_population", "categorical"]


def categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows × categories) weight matrix; vectorized."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cumulative[:, -1]
    return (u[:, None] > cumulative).sum(axis=1)


def _members(rng: np.random.Generator, base_year: int, size: np.ndarray) -> pd.DataFrame:
    hh_index = np.repeat(np.arange(size.size), size)
    position = np.arange(hh_index.size) - np.repeat(np.cumsum(size) - size, size)
    n = hh_index.size
    u = rng.random(n)
    relation = np.select(
        [position == 0, (position == 1) & (u < 0.8), u < 0.70, u < 0.85],
        ["head", "spouse", "child", "grandchild"],
        "parent",
    )
    head_birth = np.clip(np.round(rng.normal(1962, 12, size.size)), 1930, 1994).astype(int)[hh_index]
    offset = np.select(
        [relation == "head", relation == "spouse", relation == "child", relation == "grandchild"],
        [0, np.round(rng.normal(2, 3, n)), rng.integers(20, 36, n), rng.integers(42, 56, n)],
        -rng.integers(20, 31, n),
    )
    birth = np.clip(head_birth + offset, 1920, base_year).astype(int)
    head_male = (rng.random(size.size) < 0.86)[hh_index]
    sex = np.select(
        [relation == "head", relation == "spouse"],
        [np.where(head_male, "male", "female"), np.where(head_male, "female", "male")],
        np.where(rng.random(n) < 0.5, "male", "female"),
    )
    age = base_year - birth
    e = rng.random(n)
    education = np.select(
        [age < 6, age < 16, birth < 1955],
        [
            "preschool_age",
            "in_compulsory",
            np.where(e < 0.35, "illiterate", np.where(e < 0.85, "primary", "junior_secondary")),
        ],
        np.select(
            [e < 0.08, e < 0.40, e < 0.85, e < 0.95],
            ["illiterate", "primary", "junior_secondary", "senior_secondary"],
            "tertiary",
        ),
    )
    schooling = np.select(
        [
            (age >= 6) & (age <= 15),
            (age >= 16) & (age <= 18) & (rng.random(n) < 0.8),
            (age >= 19) & (age <= 22) & (rng.random(n) < 0.25),
        ],
        ["compulsory", "upper_secondary", "tertiary"],
        "not_in_school",
    )
    disabled = rng.random(n) < np.where(age >= 16, 0.03, 0.01)
    return pd.DataFrame(
        {
            "_hh": hh_index,
            "relation": relation,
            "sex": sex,
            "birth_year": birth,
            "education": education,
            "schooling": schooling,
            "disabled": disabled,
        }
    )


_EDU_LEVEL = {"illiterate": 0, "primary": 1, "junior_secondary": 2, "senior_secondary": 3, "tertiary": 4}


def make_population(
    rng: np.random.Generator, t: Targets, p: SynthParams, villages: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (rural households, their members) summing to each village's agricultural population."""
    agri = villages["agri_pop"].to_numpy()
    n_v = np.maximum(1, np.round(agri / p.mean_household_size).astype(int))
    size = np.concatenate([sizes_with_total(rng, int(k), int(a)) for k, a in zip(n_v, agri, strict=True)])
    village = np.repeat(villages["village_id"].to_numpy(), n_v)
    members = _members(rng, t.base_year, size)
    age = t.base_year - members["birth_year"].to_numpy()
    hh = members["_hh"].to_numpy()
    count = lambda mask: np.bincount(hh[mask], minlength=size.size)  # noqa: E731 - local shorthand
    working = (
        (age >= 16)
        & (age <= 64)
        & (members["schooling"].to_numpy() == "not_in_school")
        & ~members["disabled"].to_numpy()
    )
    workers = count(working)
    elderly = count(age >= 60)
    students = count(members["schooling"].to_numpy() != "not_in_school")
    disabled = count(members["disabled"].to_numpy())
    head = members.loc[members["relation"] == "head"]
    head_edu = head["education"].map(_EDU_LEVEL).fillna(0).to_numpy()
    head_age = t.base_year - head["birth_year"].to_numpy()
    # hardship (the cause the household would be registered under), consistent with its members
    table = poverty_causes()
    codes = table["code"].to_numpy()
    weights = np.tile(table["synthetic_share"].fillna(0.0).to_numpy(), (size.size, 1))
    col = {c: i for i, c in enumerate(codes)}
    weights[:, col["illness"]] = p.illness_weight + p.illness_weight_per_elderly * elderly
    weights[:, col["disability"]] = np.where(disabled > 0, 0.6, 0.0)
    weights[:, col["schooling"]] = np.where(students > 0, weights[:, col["schooling"]] * 1.5, 0.0)
    weights[:, col["lack_labour"]] = np.where(workers == 0, 0.8, 0.03)
    hardship = codes[categorical(rng, weights)]
    households = pd.DataFrame(
        {
            "rural_id": [f"R{i + 1:06d}" for i in range(size.size)],
            "village_id": village,
            "household_size": size,
            "workers": workers,
            "elderly": elderly,
            "students": students,
            "disabled_members": disabled,
            "head_education": head_edu,
            "head_age": head_age,
            "hardship": hardship,
            "forest_share": pd.Series(village).map(villages.set_index("village_id")["forest_share"]).to_numpy(),
        }
    )
    return households, members
