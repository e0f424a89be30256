"""The synthetic registry (建档立卡) and its income panel, drawn from the rural population.

Sequence (each step in its own module):

1. places and rural households with their members (:mod:`~evalkit.synth.population`);
2. households poor in 2014, with an intended year of crossing the line, and
   incomes by component for everyone (:mod:`~evalkit.synth.income`);
3. microcredit borrowing chosen on observed characteristics, with planted
   effects added to incomes (:mod:`~evalkit.synth.microcredit`);
4. each household's observed exit cohort: the year its income reaches the line
   and stays there to 2018 (or none by 2018);
5. the registry drawn from those cohorts with every published count exact
   (:mod:`~evalkit.synth.selection`).

Registry incomes are therefore consistent with status: below the year's line
before the exit year, at or above it from the exit year to 2018.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import reference, risk
from evalkit.errors import CalibrationError
from evalkit.synth.income import COMPONENTS, REMAINING, exit_cohorts, intended_paths, split_components
from evalkit.synth.microcredit import assign_borrowing, loans_table, planted_effects
from evalkit.synth.params import MICROCREDIT_MODELS, SynthParams
from evalkit.synth.population import make_population
from evalkit.synth.rangers import assign_rangers
from evalkit.synth.programs import make_programs, relocate
from evalkit.synth.selection import choose_with_sum, fix_count, select_registry
from evalkit.synth.training import make_training
from evalkit.synth.targets import Targets

__all__ = ["make_registry", "REMAINING"]

_HARD = ("illness", "disability", "lack_labour")


def _baseline_poor(
    rng: np.random.Generator, p: SynthParams, hh: pd.DataFrame, villages: pd.DataFrame, n: int
) -> np.ndarray:
    """Boolean mask of households poor in 2014: at least three per village, weighted by hardship."""
    poor_village = hh["village_id"].map(villages.set_index("village_id")["poor_village"]).to_numpy()
    weight = np.where(poor_village, p.poor_village_weight, 1.0)
    weight = (
        weight
        * (1 + 0.8 * hh["hardship"].isin(_HARD).to_numpy())
        * np.exp(-p.poor_size_penalty * hh["household_size"].to_numpy())
    )
    noise = rng.random(len(hh)) ** (1.0 / weight)  # weighted sampling without replacement (Efraimidis–Spirakis keys)
    order = pd.DataFrame({"v": hh["village_id"].to_numpy(), "key": -noise}).sort_values(["v", "key"], kind="stable")
    first3 = order.groupby("v").head(3).index.to_numpy()
    mask = np.zeros(len(hh), dtype=bool)
    mask[first3] = True
    rest = np.flatnonzero(~mask)
    mask[rest[np.argsort(-noise[rest], kind="stable")[: n - first3.size]]] = True
    return mask


def _intended_crossing(
    rng: np.random.Generator, p: SynthParams, hh: pd.DataFrame, poor: np.ndarray, counts: dict[int, int]
) -> np.ndarray:
    """Fractional crossing year for baseline-poor households, faster for more workers and fewer hardships."""
    speed = (
        2.0 * hh["workers"].to_numpy() / hh["household_size"].to_numpy()
        + 0.3 * hh["head_education"].to_numpy()
        - 0.8 * hh["hardship"].isin(_HARD).to_numpy()
        + p.speed_per_person * hh["household_size"].to_numpy()
        + rng.normal(0, 0.6, len(hh))
    )
    idx = np.flatnonzero(poor)
    idx = idx[np.argsort(-speed[idx], kind="stable")]
    crossing = np.full(len(hh), np.nan)
    start = 0
    for cohort, k in counts.items():
        block = idx[start : start + k]
        if cohort == REMAINING:
            crossing[block] = rng.uniform(2019.1, 2024.0, block.size)
        else:
            crossing[block] = rng.uniform(cohort - 0.9, cohort - 0.1, block.size)
        start += k
    return crossing


def _health_and_labour(rng: np.random.Generator, t: Targets, members: pd.DataFrame, cause: np.ndarray) -> pd.DataFrame:
    """Health (exact illness counts in illness households) and labour ability of registry members."""
    n = len(members)
    age = t.base_year - members["birth_year"].to_numpy()
    health = np.full(n, "healthy", dtype=object)
    ill = np.flatnonzero(cause == "illness")
    head = members["relation"].to_numpy() == "head"
    weight = np.where(head[ill], 0.2, 1.0)
    draw = rng.choice(ill, size=ill.size, replace=False, p=weight / weight.sum())
    unrecorded = t.illness_persons - (t.illness_major + t.illness_severe + t.illness_chronic)
    labels = np.repeat(
        ["not_recorded", "severe", "major", "chronic"],
        [max(unrecorded, 0), t.illness_severe, t.illness_major, t.illness_chronic],
    )
    health[draw[: labels.size]] = labels
    others = np.flatnonzero(cause != "illness")
    health[others[rng.random(others.size) < np.where(age[others] >= 50, 0.22, 0.04)]] = "chronic"
    disabled = members["disabled"].to_numpy()
    schooling = members["schooling"].to_numpy()
    labour = np.select(
        [
            (age < 16) | (age >= 65) | (schooling != "not_in_school"),
            disabled | np.isin(health, ["major", "severe"]),
            health == "chronic",
        ],
        ["none", "lost", "weak"],
        "able",
    )
    return members.assign(health=health, labour_ability=labour)


def _guarantees(rng: np.random.Generator, years: tuple[int, ...], exit_year: np.ndarray) -> dict[str, np.ndarray]:
    """Two assurances, three guarantees (+ water) by household and year; all met from the exit year on."""
    n, yrs = exit_year.size, np.asarray(years)
    last = np.where(exit_year > 0, exit_year, 2019)

    def fixed_by(share_unmet: float) -> np.ndarray:
        unmet = rng.random(n) < share_unmet
        when = np.floor(rng.uniform(2015, last + 1)).astype(int)
        when = np.minimum(when, last)
        return np.where(unmet, when, 0)

    out = {}
    for name, share in (("food_clothing_secure", 0.05), ("safe_housing", 0.35), ("safe_water", 0.25)):
        when = fixed_by(share)
        out[name] = yrs[None, :] >= when[:, None]
    out["compulsory_education_ok"] = np.ones((n, yrs.size), dtype=bool)
    insured_from = np.where(rng.random(n) < 0.92, 2014, np.where(rng.random(n) < 0.6, 2015, 2016))
    out["basic_medical_insurance"] = yrs[None, :] >= np.minimum(insured_from, last)[:, None]
    return out


def make_registry(
    rng: np.random.Generator, t: Targets, p: SynthParams, villages: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Return the registry tables: households, members, panel, loans, truth (microcredit)."""
    if p.microcredit_loan_total < t.microcredit_loans_at_least:
        raise CalibrationError(
            f"microcredit_loan_total must be at least the published {t.microcredit_loans_at_least} yuan"
        )
    lines = reference.poverty_lines(allow_interpolated=True).reindex(p.years).to_numpy()
    if np.isnan(lines).any():
        raise ValueError(f"data/reference/poverty_lines.csv lacks a line for one of {p.years}")
    pop, pop_members = make_population(rng, t, p, villages)
    exits = dict(sorted(t.exits_households.items()))
    remaining = t.households - sum(exits.values())
    pool = {c: int(np.ceil(slack * k)) for (c, k), slack in zip(exits.items(), p.pool_slack_by_cohort, strict=True)}
    pool[REMAINING] = int(np.ceil(p.pool_slack_remaining * remaining)) + p.never_registered_poor_households
    poor = _baseline_poor(rng, p, pop, villages, sum(pool.values()))
    crossing = _intended_crossing(rng, p, pop, poor, pool)
    hard = pop["hardship"].isin(["illness", "disability"]).to_numpy()
    dibao = poor & ((pop["workers"].to_numpy() == 0) | hard) & (rng.random(len(pop)) < 0.5)
    unstable, returns = _unstable(rng, p, pop, poor, crossing, dibao)
    design = intended_paths(rng, p, lines, poor, np.nan_to_num(crossing, nan=2014.5), unstable, returns)
    dibao_share = np.where(unstable, p.dibao_share_unstable, np.where(dibao, p.dibao_share_of_line, 0.0))
    comps = split_components(rng, p, pop, design, lines, dibao_share)
    borrows, start, model, propensity = assign_borrowing(rng, p, pop, poor, comps["operating"][:, 0], 0.5)
    tau_op, tau_div = planted_effects(rng, p, pop, model)
    hired, hire_year, ranger_pay, tau_ranger = assign_rangers(rng, p, pop, poor, t.ranger_min_pay)
    size = pop["household_size"].to_numpy()
    years = np.asarray(p.years)
    active = (years[None, :] >= start[:, None]) & borrows[:, None]
    ranger_active = (years[None, :] >= hire_year[:, None]) & hired[:, None]
    observed = {k: v.copy() for k, v in comps.items()}
    observed["operating"] += active * (tau_op / size)[:, None]
    observed["property"] += active * (tau_div / size)[:, None]
    observed["wage"] += ranger_active * (tau_ranger / size)[:, None]
    observed = {k: np.round(v, 2) for k, v in observed.items()}  # decide status on the values the panel stores
    total = _income(observed)
    cohort = exit_cohorts(total, lines, p.years)
    persons = {**{c: t.exits_persons[c] for c in exits}, REMAINING: t.persons - sum(t.exits_persons.values())}
    chosen = select_registry(
        rng,
        cohort,
        pop["hardship"].to_numpy() == "illness",
        borrows,
        size,
        pop["village_id"].to_numpy(),
        households={**exits, REMAINING: remaining},
        persons=persons,
        illness_persons=t.illness_persons,
        borrowers=t.microcredit_households,
    )
    illness_flag = pop["hardship"].to_numpy() == "illness"
    chosen = fix_count(
        rng, chosen, hired, t.rangers, keys=[cohort, illness_flag, borrows, size], village=pop["village_id"].to_numpy()
    )
    chosen = rng.permutation(chosen)
    ids = np.array([f"H{i + 1:05d}" for i in range(chosen.size)])
    exit_year = cohort[chosen]
    households = pd.DataFrame(
        {
            "household_id": ids,
            "village_id": pop["village_id"].to_numpy()[chosen],
            "household_size": size[chosen],
            "main_cause": pop["hardship"].to_numpy()[chosen],
            "identification_year": t.base_year,
            "exit_year": pd.array(np.where(exit_year == REMAINING, pd.NA, exit_year), dtype="Int64"),
        }
    )
    # members of the registry, in household order
    position = pd.Series(np.arange(chosen.size), index=chosen)
    mem = pop_members.loc[pop_members["_hh"].isin(chosen)].copy()
    mem["_order"] = mem["_hh"].map(position)
    mem = mem.sort_values(["_order"], kind="stable")
    cause = households["main_cause"].to_numpy()[mem["_order"].to_numpy()]
    mem = _health_and_labour(rng, t, mem.reset_index(drop=True), cause)
    members = pd.DataFrame(
        {
            "person_id": [f"P{i + 1:05d}" for i in range(len(mem))],
            "household_id": ids[mem["_order"].to_numpy()],
            "relation": mem["relation"].to_numpy(),
            "sex": mem["sex"].to_numpy(),
            "birth_year": mem["birth_year"].to_numpy(),
            "education": mem["education"].to_numpy(),
            "schooling": mem["schooling"].to_numpy(),
            "labour_ability": mem["labour_ability"].to_numpy(),
            "health": mem["health"].to_numpy(),
            "disabled": mem["disabled"].to_numpy(),
        }
    )
    households = _schooling_needs_a_student(rng, households, members)
    labour, training_truth = make_training(rng, p, members, households)
    # training raises 2019 wages of trainees' households (follow-up year); statuses for 2019 follow incomes
    gain = (labour["wage_2019"] - labour["wage_if_untrained"]).groupby(labour["household_id"]).sum()
    y19 = p.years.index(2019)
    observed["wage"][chosen, y19] += np.round(gain.reindex(ids, fill_value=0.0).to_numpy() / size[chosen], 2)
    labour = labour.drop(columns="wage_if_untrained")
    relocation = relocate(rng, p, households, villages)
    moved = relocation.loc[relocation["registered"]]
    position = pd.Series(np.arange(ids.size), index=ids)
    observed["wage"][chosen[position.loc[moved["household_id"]].to_numpy()], y19] += moved["effect_pc"].to_numpy(
        dtype=float
    )
    panel = _panel(rng, p, ids, chosen, exit_year, observed, lines, active)
    panel["ranger_active"] = ranger_active[chosen].ravel()
    move_year = panel["household_id"].map(moved.set_index("household_id")["start_year"])
    panel["relocated"] = (panel["year"] >= move_year).fillna(False).astype(bool)
    panel = _events_and_screening(rng, p, t, panel, households)
    registry_borrowers = borrows[chosen]
    loans_frame = pd.DataFrame(
        {
            "household_id": ids[registry_borrowers],
            "loan_year": start[chosen][registry_borrowers],
            "loan_model": model[chosen][registry_borrowers],
        }
    )
    risk = hard[chosen][registry_borrowers].astype(float) + (pop["workers"].to_numpy()[chosen][registry_borrowers] == 0)
    loans = loans_table(rng, p, loans_frame, risk).sort_values("household_id", kind="stable").reset_index(drop=True)
    loans["loan_id"] = [f"L{i + 1:04d}" for i in range(len(loans))]
    truth = _truth(p, ids, chosen, size, start, model, tau_op, tau_div, borrows, propensity)
    truth = pd.concat(
        [
            truth,
            _ranger_truth(p, chosen, size, hired, hire_year, tau_ranger),
            training_truth,
            _return_truth(panel, unstable[chosen], ids),
        ],
        ignore_index=True,
    )
    rangers = _ranger_programs(ids, chosen, hired, hire_year, ranger_pay, members, households)
    programs = make_programs(rng, p, relocation, households, members, panel, villages, rangers)
    truth = pd.concat([truth, _relocation_truth(moved)], ignore_index=True)
    # the whole rural population in 2018, for the household survey (not written out)
    y18 = p.years.index(2018)
    registry_id = np.full(len(pop), "", dtype=object)
    registry_id[chosen] = ids
    without_loans = _income({k: np.round(v, 2) for k, v in comps.items()})[:, y18]  # loans exist only in the registry
    income_2018 = np.where(registry_id != "", total[:, y18], without_loans)
    population = pop[["rural_id", "village_id", "household_size"]].assign(
        registry_household_id=registry_id,
        exit_year=pd.array(np.where(registry_id != "", np.where(cohort == REMAINING, 0, cohort), 0), dtype="Int64"),
        recorded_income_2018=income_2018,
        baseline_poor=poor,
        hardship=pop["hardship"].to_numpy(),
    )
    population["exit_year"] = population["exit_year"].where(population["exit_year"] > 0)
    return {
        "households": households,
        "members": members,
        "panel": panel,
        "loans": loans,
        "programs": programs,
        "labour": labour,
        "truth": truth,
        "_population": population,
    }


def _transfer(comp: dict[str, np.ndarray]) -> np.ndarray:
    return np.round(comp["pension"] + comp["dibao"] + comp["eco_comp"] + comp["other_policy"], 2)


def _income(comp: dict[str, np.ndarray]) -> np.ndarray:
    """Per-capita net income: wage + operating + property + transfers, to the fen."""
    return np.round(comp["wage"] + comp["operating"] + comp["property"] + _transfer(comp), 2)


def _schooling_needs_a_student(
    rng: np.random.Generator, households: pd.DataFrame, members: pd.DataFrame
) -> pd.DataFrame:
    """Registry cause 'schooling' only where a member is in school; other causes keep their counts."""
    has_student = (
        households["household_id"].isin(members.loc[members["schooling"] != "not_in_school", "household_id"]).to_numpy()
    )
    cause = households["main_cause"].to_numpy().copy()
    wrong = np.flatnonzero((cause == "schooling") & ~has_student)
    pool = np.flatnonzero(has_student & ~np.isin(cause, ["illness", "disability", "schooling"]))
    take = rng.choice(pool, size=min(wrong.size, pool.size), replace=False)
    cause[wrong[: take.size]], cause[take] = cause[take], "schooling"
    return households.assign(main_cause=cause)


def _panel(
    rng: np.random.Generator,
    p: SynthParams,
    ids: np.ndarray,
    chosen: np.ndarray,
    exit_year: np.ndarray,
    observed: dict[str, np.ndarray],
    lines: np.ndarray,
    active: np.ndarray,
) -> pd.DataFrame:
    years = np.asarray(p.years)
    n, k = chosen.size, years.size
    comp = {name: observed[name][chosen] for name in COMPONENTS}
    transfer = _transfer(comp)
    income = _income(comp)
    exit_code = np.where(exit_year == REMAINING, 0, exit_year)
    status = np.where(
        (exit_code[:, None] > 0) & (years[None, :] >= exit_code[:, None]),
        np.where(years[None, :] == exit_code[:, None], "exited_this_year", "exited"),
        "registered",
    ).astype(object)
    after = years > 2018  # beyond the report: exits and returns follow incomes
    below = income[:, after] < lines[None, after]
    status[:, after] = np.where(
        (exit_code > 0)[:, None],
        np.where(below, "returned", "exited"),
        np.where(below, "registered", "exited_this_year"),
    )
    guarantees = _guarantees(rng, p.years, exit_code)
    interpolated = reference.poverty_lines().reindex(years).isna().to_numpy()
    frame = pd.DataFrame(
        {
            "household_id": np.repeat(ids, k),
            "year": np.tile(years, n),
            "poverty_line": np.tile(lines, n),
            "line_interpolated": np.tile(interpolated, n),
            "status": status.ravel(),
            "income_pc": income.ravel(),
            "wage_pc": comp["wage"].ravel(),
            "operating_pc": comp["operating"].ravel(),
            "property_pc": comp["property"].ravel(),
            "transfer_pc": np.round(transfer, 2).ravel(),
            "pension_pc": comp["pension"].ravel(),
            "dibao_pc": comp["dibao"].ravel(),
            "eco_comp_pc": comp["eco_comp"].ravel(),
            "other_policy_pc": comp["other_policy"].ravel(),
            "microcredit_active": active[chosen].ravel(),
        }
    )
    for name, grid in guarantees.items():
        frame[name] = grid.ravel()
    return frame


def _unstable(
    rng: np.random.Generator,
    p: SynthParams,
    hh: pd.DataFrame,
    poor: np.ndarray,
    crossing: np.ndarray,
    dibao: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Early exits whose income falls back towards the line; some return to poverty in 2019."""
    index = (
        p.unstable_intercept
        + p.unstable_illness * (hh["hardship"].to_numpy() == "illness")
        + p.unstable_no_workers * (hh["workers"].to_numpy() == 0)
        + p.unstable_per_elderly * hh["elderly"].to_numpy()
        + p.unstable_dibao * dibao
        + p.unstable_small_household * (hh["household_size"].to_numpy() <= 2)
    )
    early = poor & (np.nan_to_num(crossing, nan=9999.0) < 2016.0)
    unstable = early & (rng.random(hh.shape[0]) < 1.0 / (1.0 + np.exp(-index)))
    returns = unstable & (rng.random(hh.shape[0]) < p.unstable_return_share)
    return unstable, returns


def _events_and_screening(
    rng: np.random.Generator, p: SynthParams, t: Targets, panel: pd.DataFrame, households: pd.DataFrame
) -> pd.DataFrame:
    """Major family events, set so that the report's rule flags exactly the published households in 2018."""
    illness = panel["household_id"].map(households.set_index("household_id")["main_cause"].eq("illness"))
    rate = np.where(illness, p.major_event_rate_illness, p.major_event_rate)
    panel = panel.assign(major_event=rng.random(len(panel)) < rate)
    flags = risk.screen(panel, 2018, risk.ScreeningRules.from_table())
    candidates = flags.loc[flags["low_income"] & flags["falling_income"] & flags["transfer_dependent"], "household_id"]
    sizes = households.set_index("household_id")["household_size"]
    pool = np.arange(candidates.size)
    pick = choose_with_sum(
        rng, [pool], [t.screened_households], sizes.reindex(candidates).to_numpy(), t.screened_persons
    )[0]
    flagged = set(candidates.to_numpy()[pick])
    in_2018 = panel["year"] == 2018
    candidate_rows = in_2018 & panel["household_id"].isin(set(candidates))
    panel.loc[candidate_rows, "major_event"] = panel.loc[candidate_rows, "household_id"].isin(flagged)
    return panel


def _ranger_programs(
    ids: np.ndarray,
    chosen: np.ndarray,
    hired: np.ndarray,
    hire_year: np.ndarray,
    pay: np.ndarray,
    members: pd.DataFrame,
    households: pd.DataFrame,
) -> pd.DataFrame:
    """One row per ranger: the household's first working-age member holds the job."""
    rows = np.flatnonzero(hired[chosen])
    working = (
        members.loc[(members["labour_ability"].isin(["able", "weak"])) & members["household_id"].isin(set(ids[rows]))]
        .drop_duplicates("household_id")
        .set_index("household_id")["person_id"]
    )
    frame = pd.DataFrame(
        {
            "program": "forest_ranger",
            "household_id": ids[rows],
            "village_id": households.set_index("household_id").loc[ids[rows], "village_id"].to_numpy(),
            "registered": True,
            "persons": 1,
            "start_year": hire_year[chosen][rows],
            "amount_yuan": pay[chosen][rows],
            "amount_basis": "yearly pay",
            "detail": "ecological forest ranger",
            "detail_zh": "生态护林员",
        }
    )
    frame.insert(2, "person_id", frame["household_id"].map(working))
    return frame.sort_values("household_id", kind="stable").reset_index(drop=True)


def _ranger_truth(
    p: SynthParams, chosen: np.ndarray, size: np.ndarray, hired: np.ndarray, hire_year: np.ndarray, effect: np.ndarray
) -> pd.DataFrame:
    """Planted ranger effects on wage (= total) income per capita, over post-hire years."""
    h = chosen[hired[chosen]]
    post = (np.asarray(p.years)[None, :] >= hire_year[h][:, None]).sum(axis=1)
    per_capita = effect[h] / size[h]
    rows = []
    for outcome in ("wage_pc", "income_pc"):
        rows.append(
            {
                "program": "forest_ranger",
                "outcome": outcome,
                "estimand": "ATT over ranger post-hire years (hired in 2019)",
                "group": "all",
                "value": round(float(np.average(per_capita, weights=post)), 4),
                "unit": "yuan per person per year",
                "n_units": int(h.size),
                "n_obs": int(post.sum()),
            }
        )
    return pd.DataFrame(rows)


def _relocation_truth(moved: pd.DataFrame) -> pd.DataFrame:
    """Planted relocation effects on 2019 wage (= total) income per person, overall and by site."""
    rows = []
    groups = [("all", np.ones(len(moved), dtype=bool))] + [
        (f"site={s}", (moved["detail"] == s).to_numpy()) for s in moved["detail"].unique()
    ]
    for group, mask in groups:
        for outcome in ("wage_pc", "income_pc"):
            rows.append(
                {
                    "program": "relocation",
                    "outcome": outcome,
                    "estimand": "ATT in 2019 (first full year after the 2016-2019 moves)",
                    "group": group,
                    "value": round(float(moved.loc[mask, "effect_pc"].astype(float).mean()), 4),
                    "unit": "yuan per person per year",
                    "n_units": int(mask.sum()),
                    "n_obs": int(mask.sum()),
                }
            )
    return pd.DataFrame(rows)


def _return_truth(panel: pd.DataFrame, unstable: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """Share of 2015-2018 exits back in poverty in 2019, overall and among the unstable."""
    y19 = panel.loc[panel["year"] == 2019].set_index("household_id")
    exited = y19["status"].isin(["exited", "returned"])
    returned = y19["status"] == "returned"
    unstable_ids = set(ids[unstable])
    is_unstable = y19.index.isin(unstable_ids)
    rows = []
    for group, mask in (("all exited", exited), ("unstable exits", exited & is_unstable)):
        rows.append(
            {
                "program": "return_to_poverty",
                "outcome": "returned_2019",
                "estimand": "share of households exited by 2018 below the line in 2019",
                "group": group,
                "value": round(float(returned[mask].mean()), 6),
                "unit": "share",
                "n_units": int(mask.sum()),
                "n_obs": int(mask.sum()),
            }
        )
    return pd.DataFrame(rows)


def _truth(
    p: SynthParams,
    ids: np.ndarray,
    chosen: np.ndarray,
    size: np.ndarray,
    start: np.ndarray,
    model: np.ndarray,
    tau_op: np.ndarray,
    tau_div: np.ndarray,
    borrows: np.ndarray,
    propensity: np.ndarray,
) -> pd.DataFrame:
    """Planted microcredit effects averaged over registry borrowers' post-loan years (the ATT)."""
    b = chosen[borrows[chosen]]
    years = np.asarray(p.years)
    post = years[None, :] >= start[b][:, None]
    weights = post.sum(axis=1)  # post-loan years per borrower in 2014-2019
    per_capita_op, per_capita_div = tau_op[b] / size[b], tau_div[b] / size[b]
    rows = []

    def add(group: str, mask: np.ndarray) -> None:
        w = weights[mask]
        for outcome, values in (
            ("operating_pc", per_capita_op[mask]),
            ("property_pc", per_capita_div[mask]),
            ("income_pc", per_capita_op[mask] + per_capita_div[mask]),
        ):
            rows.append(
                {
                    "program": "microcredit",
                    "outcome": outcome,
                    "estimand": "ATT over borrower post-loan years (2016-2019)",
                    "group": group,
                    "value": float(np.average(values, weights=w)),
                    "unit": "yuan per person per year",
                    "n_units": int(mask.sum()),
                    "n_obs": int(w.sum()),
                }
            )

    add("all", np.ones(b.size, dtype=bool))
    for code in MICROCREDIT_MODELS:
        add(f"model={code}", model[b] == code)
    for year in p.microcredit_years:
        add(f"loan_year={year}", start[b] == year)
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].round(4)
    return frame
