"""Synthetic registry of poor households (建档立卡) and their members.

Calibrated exactly to the ledger: households and persons in total and by exit
year (and still registered), every village with at least one poor household,
and the persons registered through illness with the report's counts of major,
severe and chronic illness (which leave 12 of the 2,557 without a recorded
illness: the report's own figures do not add up, and the synthetic data keeps
that rather than hiding it). Members carry relation, sex, birth year,
education, schooling, labour ability, health and disability, drawn so that they
are consistent with age and with the household's cause of poverty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import paths
from evalkit.synth._alloc import round_to_total, sizes_with_total, subset_with_sum
from evalkit.synth.targets import Targets

__all__ = ["make_registry", "causes"]

REMAINING = 0  # exit_year code for households still registered (stored as missing)


def causes() -> pd.DataFrame:
    """Causes of poverty (致贫原因) with codes, from ``data/reference/poverty_causes.csv``."""
    return pd.read_csv(paths.reference_dir() / "poverty_causes.csv", encoding="utf-8")


def _households(rng: np.random.Generator, t: Targets, villages: pd.DataFrame) -> pd.DataFrame:
    cohorts = sorted(t.exits_households) + [REMAINING]
    n_by = {**t.exits_households, REMAINING: t.households - sum(t.exits_households.values())}
    p_by = {**t.exits_persons, REMAINING: t.persons - sum(t.exits_persons.values())}
    exit_code = np.concatenate([np.full(n_by[c], c) for c in cohorts])
    size = np.concatenate([sizes_with_total(rng, n_by[c], p_by[c]) for c in cohorts])
    order = rng.permutation(exit_code.size)
    exit_code, size = exit_code[order], size[order]
    # every village has poor households; poor villages and larger villages have more
    weight = villages["agri_pop"].to_numpy() * np.where(villages["poor_village"], 2.5, 1.0)
    per_village = round_to_total(weight, t.households, minimum=1)
    village = rng.permutation(np.repeat(villages["village_id"].to_numpy(), per_village))
    # causes: illness households hold exactly the persons registered through illness
    later = np.select([exit_code == REMAINING, exit_code >= 2018, exit_code >= 2017], [3.0, 2.0, 1.5], 1.0)
    illness = subset_with_sum(rng, size, t.illness_persons, later)
    table = causes()
    others = table.loc[table["code"] != "illness"]
    share = others["synthetic_share"].to_numpy(dtype=float)
    cause = np.where(illness, "illness", rng.choice(others["code"].to_numpy(), size=size.size, p=share / share.sum()))
    return pd.DataFrame(
        {
            "household_id": [f"H{i + 1:05d}" for i in range(size.size)],
            "village_id": village,
            "household_size": size,
            "main_cause": cause,
            "identification_year": t.base_year,
            "exit_year": pd.array(np.where(exit_code == REMAINING, pd.NA, exit_code), dtype="Int64"),
        }
    )


def _members(rng: np.random.Generator, t: Targets, households: pd.DataFrame) -> pd.DataFrame:
    size = households["household_size"].to_numpy()
    hh_index = np.repeat(np.arange(size.size), size)
    position = np.arange(hh_index.size) - np.repeat(np.cumsum(size) - size, size)
    n = hh_index.size
    u = rng.random(n)
    relation = np.select(
        [position == 0, (position == 1) & (u < 0.8), u < 0.70, u < 0.85],
        ["head", "spouse", "child", "grandchild"],
        "parent",
    )
    head_birth = np.clip(np.round(rng.normal(1960, 12, size.size)), 1930, 1994).astype(int)[hh_index]
    offset = np.select(
        [relation == "head", relation == "spouse", relation == "child", relation == "grandchild"],
        [0, np.round(rng.normal(2, 3, n)), rng.integers(20, 36, n), rng.integers(42, 56, n)],
        -rng.integers(20, 31, n),
    )
    birth = np.clip(head_birth + offset, 1920, t.base_year).astype(int)
    head_male = (rng.random(size.size) < 0.86)[hh_index]
    sex = np.select(
        [relation == "head", relation == "spouse"],
        [np.where(head_male, "male", "female"), np.where(head_male, "female", "male")],
        np.where(rng.random(n) < 0.5, "male", "female"),
    )
    age = t.base_year - birth
    edu_draw = rng.random(n)
    education = np.select(
        [age < 6, age < 16, birth < 1955],
        [
            "preschool_age",
            "in_compulsory",
            np.where(edu_draw < 0.35, "illiterate", np.where(edu_draw < 0.85, "primary", "junior_secondary")),
        ],
        np.select([edu_draw < 0.08, edu_draw < 0.40, edu_draw < 0.85, edu_draw < 0.95], ["illiterate", "primary", "junior_secondary", "senior_secondary"], "tertiary"),
    )
    schooling = np.select(
        [(age >= 6) & (age <= 15), (age >= 16) & (age <= 18) & (rng.random(n) < 0.8), (age >= 19) & (age <= 22) & (rng.random(n) < 0.25)],
        ["compulsory", "upper_secondary", "tertiary"],
        "not_in_school",
    )
    # health: exactly the report's counts among members of illness households
    cause = households["main_cause"].to_numpy()[hh_index]
    health = np.full(n, "healthy", dtype=object)
    ill_members = np.flatnonzero(cause == "illness")
    not_recorded = t.illness_persons - (t.illness_major + t.illness_severe + t.illness_chronic)
    prefer_heads = np.where(position[ill_members] == 0, 0.2, 1.0)  # heads are rarely the unrecorded ones
    draw = rng.choice(ill_members, size=ill_members.size, replace=False, p=prefer_heads / prefer_heads.sum())
    labels = np.repeat(
        ["not_recorded", "severe", "major", "chronic"],
        [max(not_recorded, 0), t.illness_severe, t.illness_major, t.illness_chronic],
    )
    health[draw[: labels.size]] = labels
    others = np.flatnonzero(cause != "illness")
    chronic_p = np.where(age[others] >= 50, 0.22, 0.04)
    health[others[rng.random(others.size) < chronic_p]] = "chronic"
    # disability: at least one adult in each disability household
    disabled = rng.random(n) < np.where(age >= 16, 0.025, 0.01)
    dis_hh = np.flatnonzero(households["main_cause"].to_numpy() == "disability")
    first_adult = pd.Series(np.arange(n)).groupby(hh_index).first().to_numpy()  # head row of each household
    disabled[first_adult[dis_hh]] = True
    labour = np.select(
        [(age < 16) | (age >= 65) | (schooling != "not_in_school"), disabled | np.isin(health, ["major", "severe"]), health == "chronic"],
        ["none", "lost", "weak"],
        "able",
    )
    return pd.DataFrame(
        {
            "person_id": [f"P{i + 1:05d}" for i in range(n)],
            "household_id": households["household_id"].to_numpy()[hh_index],
            "relation": relation,
            "sex": sex,
            "birth_year": birth,
            "education": education,
            "schooling": schooling,
            "labour_ability": labour,
            "health": health,
            "disabled": disabled,
        }
    )


def make_registry(rng: np.random.Generator, t: Targets, villages: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (households, members) calibrated to the targets."""
    households = _households(rng, t, villages)
    members = _members(rng, t, households)
    return _schooling_needs_a_student(rng, households, members), members


def _schooling_needs_a_student(rng: np.random.Generator, households: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Move the 'schooling' cause to households that have a member in school (same count)."""
    has_student = households["household_id"].isin(members.loc[members["schooling"] != "not_in_school", "household_id"])
    cause = households["main_cause"].to_numpy().copy()
    wrong = np.flatnonzero((cause == "schooling") & ~has_student.to_numpy())
    pool = np.flatnonzero(has_student.to_numpy() & ~np.isin(cause, ["illness", "disability", "schooling"]))
    take = rng.choice(pool, size=min(wrong.size, pool.size), replace=False)
    cause[wrong[: take.size]], cause[take] = cause[take], "schooling"
    return households.assign(main_cause=cause)
