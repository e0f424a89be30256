"""The county household survey: a two-stage sample like a third-party exit assessment.

Strata are townships; in each, villages are drawn with probability
proportional to their number of rural households (systematic PPS); in each
drawn village, registered and non-registered households are drawn separately
at random. Weights are the inverse inclusion probabilities, calibrated within
each township so that weighted persons equal its agricultural population (the
weights sum to the county's 130,000 rural residents).

The survey sees the truth at the end of 2018: some exited households do not
meet the exit criteria (income below the line, or unsafe housing) although the
registry records them as exited; some poor households were never registered.
The population values of the four assessment figures are stored as truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sampling import pps_systematic
from evalkit.synth.params import SynthParams

__all__ = ["make_survey", "survey_frame", "draw_survey"]


def _truth_at_survey(
    rng: np.random.Generator, p: SynthParams, population: pd.DataFrame, panel: pd.DataFrame, line: float
) -> pd.DataFrame:
    """Each rural household's true 2018 situation: income, guarantees, exit criteria, approval."""
    pop = population.copy()
    registered = pop["registry_household_id"] != ""
    exited = registered & pop["exit_year"].notna()
    income = pop["recorded_income_2018"].to_numpy().copy()
    # never registered: keep a stated share of persons truly poor (missed); the others had left poverty by themselves
    poor_unregistered = np.flatnonzero((~registered & (income < line)).to_numpy())
    target = p.missed_persons_share * pop.loc[~registered, "household_size"].sum()
    order = rng.permutation(poor_unregistered)
    keep = order[np.cumsum(pop["household_size"].to_numpy()[order]) <= target]
    lift = np.setdiff1d(poor_unregistered, keep)
    income[lift] = line * rng.uniform(1.02, 1.3, lift.size)
    # guarantees: registry households as recorded in the panel, others drawn
    y18 = panel.loc[panel["year"] == 2018].set_index("household_id")
    cols = ["food_clothing_secure", "compulsory_education_ok", "basic_medical_insurance", "safe_housing", "safe_water"]
    guarantees = pd.DataFrame(True, index=pop.index, columns=cols)
    reg_ids = pop.loc[registered, "registry_household_id"]
    guarantees.loc[registered, cols] = y18.loc[reg_ids, cols].to_numpy()
    poor_now = income < line
    other = (~registered).to_numpy()
    guarantees.loc[other, "safe_housing"] = rng.random(other.sum()) > np.where(poor_now[other], 0.15, 0.03)
    guarantees.loc[other, "safe_water"] = rng.random(other.sum()) > 0.02
    # wrongly exited: recorded as exited, but the truth fails the criteria
    exited_idx = np.flatnonzero(exited.to_numpy())
    margin = income[exited_idx] / line
    weight = 1.0 / margin**8  # households recorded just above the line are likelier to be wrong
    order = rng.choice(exited_idx, size=exited_idx.size, replace=False, p=weight / weight.sum())
    target = p.wrong_exit_persons_share * pop.loc[exited, "household_size"].sum()
    wrong = order[np.cumsum(pop["household_size"].to_numpy()[order]) <= target]
    by_income = rng.random(wrong.size) < p.wrong_exit_by_income_share
    income[wrong[by_income]] = line * rng.uniform(0.85, 0.99, int(by_income.sum()))
    guarantees.iloc[wrong[~by_income], guarantees.columns.get_loc("safe_housing")] = False
    meets = (income >= line) & guarantees.all(axis=1).to_numpy()
    missed = (~registered).to_numpy() & (income < line)
    wrongly_exited = exited.to_numpy() & ~meets
    approve_p = np.select([wrongly_exited, missed], [p.approval_wrongly_exited, p.approval_missed], p.approval_base)
    out = pop.assign(
        income_pc_2018=np.round(income, 2),
        meets_exit_criteria=meets,
        missed=missed,
        wrongly_exited=wrongly_exited,
        approves=rng.random(len(pop)) < approve_p,
    )
    return pd.concat([out, guarantees], axis=1)


def make_survey(
    rng: np.random.Generator,
    p: SynthParams,
    villages: pd.DataFrame,
    population: pd.DataFrame,
    panel: pd.DataFrame,
    line: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (survey sample, truth rows for the four assessment figures, the true population frame)."""
    frame = survey_frame(rng, p, villages, population, panel, line)
    return draw_survey(rng, p, villages, frame, line), _assessment_truth(frame), frame


def survey_frame(
    rng: np.random.Generator,
    p: SynthParams,
    villages: pd.DataFrame,
    population: pd.DataFrame,
    panel: pd.DataFrame,
    line: float,
) -> pd.DataFrame:
    """Every rural household's true end-2018 situation, with its township (the sampling frame)."""
    frame = _truth_at_survey(rng, p, population, panel, line)
    frame["township_id"] = frame["village_id"].map(villages.set_index("village_id")["township_id"])
    return frame


def draw_survey(
    rng: np.random.Generator, p: SynthParams, villages: pd.DataFrame, truth_pop: pd.DataFrame, line: float
) -> pd.DataFrame:
    """Draw one two-stage sample from the frame and compute its calibrated weights."""
    by_village = truth_pop.groupby("village_id").indices  # row positions of each village, computed once
    registered = (truth_pop["registry_household_id"] != "").to_numpy()
    households_per_village = pd.Series({v: len(ix) for v, ix in by_village.items()})
    picks, village_prob, household_prob, strata = [], [], [], []
    for _, group in villages.groupby("township_id", sort=True):
        vids = group["village_id"].to_numpy()
        drawn, prob = pps_systematic(
            rng, households_per_village.reindex(vids).to_numpy(), p.survey_villages_per_township
        )
        for j in sorted(drawn):
            rows_v = by_village[vids[j]]
            for stratum, members, n in (
                ("registered", rows_v[registered[rows_v]], p.survey_registered_per_village),
                ("not_registered", rows_v[~registered[rows_v]], p.survey_other_per_village),
            ):
                take = min(n, members.size)
                if take == 0:
                    continue
                picks.append(np.sort(rng.choice(members, size=take, replace=False)))
                village_prob.append(np.full(take, prob[j]))
                household_prob.append(np.full(take, take / members.size))
                strata.append(np.full(take, stratum))
    sample = (
        truth_pop.iloc[np.concatenate(picks)]
        .reset_index(drop=True)
        .assign(
            within_stratum=np.concatenate(strata),
            village_prob=np.concatenate(village_prob),
            household_prob=np.concatenate(household_prob),
        )
    )
    sample["weight"] = 1.0 / (sample["village_prob"] * sample["household_prob"])
    # calibrate: weighted persons = agricultural population, township by township
    agri = villages.groupby("township_id")["agri_pop"].sum()
    weighted = (sample["weight"] * sample["household_size"]).groupby(sample["township_id"]).sum()
    sample["weight"] = sample["weight"] * sample["township_id"].map(agri / weighted)
    status = np.where(
        sample["registry_household_id"] == "",
        "not_registered",
        np.where(sample["exit_year"].notna(), "exited", "registered"),
    )
    survey = pd.DataFrame(
        {
            "survey_id": [f"S{i + 1:04d}" for i in range(len(sample))],
            "township_id": sample["township_id"],
            "village_id": sample["village_id"],
            "within_stratum": sample["within_stratum"],
            "village_prob": sample["village_prob"].round(6),
            "household_prob": sample["household_prob"].round(6),
            "weight": sample["weight"],
            "household_size": sample["household_size"],
            "registry_household_id": sample["registry_household_id"],
            "registry_status_2018": status,
            "exit_year": sample["exit_year"],
            "income_pc_2018": sample["income_pc_2018"],
            "poverty_line_2018": line,
            "food_clothing_secure": sample["food_clothing_secure"],
            "compulsory_education_ok": sample["compulsory_education_ok"],
            "basic_medical_insurance": sample["basic_medical_insurance"],
            "safe_housing": sample["safe_housing"],
            "safe_water": sample["safe_water"],
            "meets_exit_criteria": sample["meets_exit_criteria"],
            "approves": sample["approves"],
        }
    )
    return survey


def _assessment_truth(pop: pd.DataFrame) -> pd.DataFrame:
    size = pop["household_size"]
    registered = pop["registry_household_id"] != ""
    exited = registered & pop["exit_year"].notna()
    remaining = registered & pop["exit_year"].isna()
    values = {
        "wrong_exit_rate": (
            size[pop["wrongly_exited"]].sum() / size[exited].sum(),
            "share of exited persons",
            int(exited.sum()),
        ),
        "missed_rate": (
            size[pop["missed"]].sum() / size[~registered].sum(),
            "share of non-registered rural persons",
            int((~registered).sum()),
        ),
        "composite_incidence": (
            (size[remaining].sum() + size[pop["missed"]].sum() + size[pop["wrongly_exited"]].sum()) / size.sum(),
            "share of rural persons",
            len(pop),
        ),
        "approval_rate": (pop["approves"].mean(), "share of households", len(pop)),
    }
    return pd.DataFrame(
        [
            {
                "program": "exit_assessment",
                "outcome": name,
                "estimand": "county population value at the end of 2018",
                "group": "all",
                "value": round(float(value), 6),
                "unit": unit,
                "n_units": n,
                "n_obs": n,
            }
            for name, (value, unit, n) in values.items()
        ]
    )
