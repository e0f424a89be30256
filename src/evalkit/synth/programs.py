"""Participation in the other lines of work, with the report's counts exact.

One long table, one row per participation: relocation (105 households: 89 poor
with 309 people and 16 non-poor with 36; 76 / 235 centralized at three sites
and 29 / 110 dispersed; 93 old houses vacated), dangerous-house renovation
(489 households, not all registered), grain-for-green (101 poor households,
228 people), afforestation cooperatives (169 poor people in 27 cooperatives),
private-firm jobs (83), workers of the six named workshops (the report gives
no worker count: 8–25 each, an assumption), deep-poverty support (68
households), family-doctor contracts (the report gives no count: 97% of
registered households, an assumption), insurance payouts (2,876,300 yuan in
total) and education aid (every registered student).
Relocation carries a planted 2019 wage gain (:func:`relocate`); the others carry
no planted effect.

The report gives relocation only as margins (by poverty status, by settlement
type, by site). The joint split used here satisfies every margin: all 16
non-poor households settled centrally (3 / 6 at Qingnan, 3 / 8 at Shuiyu,
10 / 22 at Jinxiuyuan), so the 29 dispersed households are all poor. Non-poor
and non-registered households have no registry id. Amounts the report does
not give are left empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit import published
from evalkit.errors import CalibrationError
from evalkit.sampling import allocate
from evalkit.synth._alloc import sizes_with_total
from evalkit.synth.params import SynthParams
from evalkit.synth.selection import choose_with_sum

__all__ = ["make_programs", "relocate", "PROGRAM_COLUMNS"]

PROGRAM_COLUMNS = [
    "program",
    "household_id",
    "person_id",
    "village_id",
    "registered",
    "persons",
    "start_year",
    "amount_yuan",
    "amount_basis",
    "detail",
    "detail_zh",
]

# (site, site_zh, poor households, poor persons, non-poor households, non-poor persons, move-in year)
_SITES = (
    ("Qingnan Village site", "青南村集中安置点", 7, 20, 3, 6, 2017),
    ("Shuiyu Village site", "水峪村集中安置点", 11, 37, 3, 8, 2018),
    ("Jinxiuyuan site", "锦绣苑集中安置点", 42, 142, 10, 22, 2019),
)


def _rows(program: str, n: int, **columns: object) -> pd.DataFrame:
    frame = pd.DataFrame({"program": [program] * n})
    for name in PROGRAM_COLUMNS[1:]:
        value = columns.get(name, pd.NA)
        frame[name] = value if np.ndim(value) else [value] * n
    return frame


def _household_rows(program: str, households: pd.DataFrame, index: np.ndarray, **columns: object) -> pd.DataFrame:
    """Rows for registry households at positions ``index``: id, village, size filled in."""
    return _rows(
        program,
        index.size,
        household_id=households["household_id"].to_numpy()[index],
        village_id=households["village_id"].to_numpy()[index],
        registered=True,
        persons=households["household_size"].to_numpy()[index],
        **columns,
    )


def _check_sites() -> None:
    f = published.figure
    hh = sum(s[2] + s[4] for s in _SITES)
    pp = sum(s[3] + s[5] for s in _SITES)
    if (hh, pp) != (f("hou_reloc_central_hh"), f("hou_reloc_central_pp")):
        raise CalibrationError("relocation site split does not match the published centralized totals")
    if sum(s[4] for s in _SITES) != f("hou_reloc_nonpoor_hh") or sum(s[5] for s in _SITES) != f("hou_reloc_nonpoor_pp"):
        raise CalibrationError("relocation site split does not match the published non-poor totals")


def relocate(
    rng: np.random.Generator, p: SynthParams, households: pd.DataFrame, villages: pd.DataFrame
) -> pd.DataFrame:
    """Relocated households with the published splits, and each poor household's planted 2019 wage gain.

    Poor households are drawn more often from forested (remote) villages. The
    gain per person (``effect_pc``, empty for non-poor households, who are not
    in the panel) is realized in 2019, the first full year after the 2016–2019
    moves, so exits recorded to 2018 do not depend on it.
    """
    forest = households["village_id"].map(villages.set_index("village_id")["forest_share"]).to_numpy()
    frame = _relocation(rng, households, villages, weights=forest**p.relocation_forest_power + 1e-6)
    low, high = (
        np.where(frame["detail"] == "Jinxiuyuan site", p.relocation_gain_town, p.relocation_gain_village),
        p.relocation_gain_spread,
    )
    gain = np.round(rng.uniform(low, low + high), 2)
    frame["effect_pc"] = pd.array(np.where(frame["registered"], gain, np.nan), dtype="Float64")
    return frame


def _relocation(
    rng: np.random.Generator, households: pd.DataFrame, villages: pd.DataFrame, weights: np.ndarray | None = None
) -> pd.DataFrame:
    f = published.figure
    _check_sites()
    sizes = households["household_size"].to_numpy()
    pool = np.flatnonzero(households["main_cause"].to_numpy() != "illness")
    cells = [(s[0], s[1], s[2], s[3], s[6]) for s in _SITES]
    dispersed_hh = int(f("hou_reloc_dispersed_hh"))
    dispersed_pp = int(f("hou_reloc_dispersed_pp"))
    cells.append(("dispersed", "分散安置", dispersed_hh, dispersed_pp, 0))
    frames = []
    for site, site_zh, n, persons, year in cells:
        pick = choose_with_sum(rng, [pool], [n], sizes, persons, weights=weights)[0]
        pool = np.setdiff1d(pool, pick)
        years = rng.choice([2016, 2017, 2018], size=n) if year == 0 else year
        frames.append(_household_rows("relocation", households, pick, start_year=years, detail=site, detail_zh=site_zh))
    for site, site_zh, _, _, n, persons, year in _SITES:
        frames.append(
            _rows(
                "relocation",
                n,
                household_id="",
                village_id=rng.choice(villages["village_id"].to_numpy(), size=n),
                registered=False,
                persons=sizes_with_total(rng, n, persons),
                start_year=year,
                detail=site,
                detail_zh=site_zh,
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    # old houses vacated and land reclaimed: households already moved first, then Jinxiuyuan (keys handed over)
    order = np.argsort(frame["start_year"].to_numpy() + rng.random(len(frame)), kind="stable")
    vacated = np.zeros(len(frame), dtype=bool)
    vacated[order[: int(f("hou_demolished_hh"))]] = True
    frame["amount_basis"] = np.where(vacated, "old house vacated and land reclaimed", "old house not yet vacated")
    return frame


def _renovation(
    rng: np.random.Generator, households: pd.DataFrame, panel: pd.DataFrame, villages: pd.DataFrame, relocated: set[str]
) -> pd.DataFrame:
    total = int(published.figure("hou_dangerous_renov_hh"))
    fixed = panel.loc[panel["safe_housing"]].groupby("household_id")["year"].min()
    unsafe_once = panel.loc[~panel["safe_housing"], "household_id"].unique()
    candidates = [h for h in unsafe_once if h not in relocated and h in fixed.index]
    registered_n = min(len(candidates), int(round(total * 0.78)))
    pick = rng.choice(np.asarray(candidates), size=registered_n, replace=False)
    village = households.set_index("household_id").loc[pick, "village_id"].to_numpy()
    reg = _rows(
        "housing_renovation",
        registered_n,
        household_id=pick,
        village_id=village,
        registered=True,
        persons=households.set_index("household_id").loc[pick, "household_size"].to_numpy(),
        start_year=fixed.loc[pick].to_numpy(),
        detail="registered poor household",
        detail_zh="建档立卡贫困户",
    )
    others = total - registered_n
    kinds = rng.choice(
        [
            "minimum living allowance household",
            "scattered-support person in extreme poverty",
            "poor disabled household",
        ],
        size=others,
    )
    kinds_zh = pd.Series(kinds).map(
        {
            "minimum living allowance household": "低保户",
            "scattered-support person in extreme poverty": "分散供养特困人员",
            "poor disabled household": "贫困残疾人家庭",
        }
    )
    rest = _rows(
        "housing_renovation",
        others,
        household_id="",
        village_id=rng.choice(villages["village_id"].to_numpy(), size=others),
        registered=False,
        start_year=rng.choice([2015, 2016, 2017, 2018], size=others),
        detail=kinds,
        detail_zh=kinds_zh.to_numpy(),
    )
    return pd.concat([reg, rest], ignore_index=True)


def _members_rows(
    rng: np.random.Generator,
    program: str,
    members: pd.DataFrame,
    pool_mask: np.ndarray,
    n: int,
    years: list[int],
    detail: np.ndarray | str,
    detail_zh: np.ndarray | str,
    households: pd.DataFrame,
) -> pd.DataFrame:
    pool = members.loc[pool_mask]
    if len(pool) < n:
        raise CalibrationError(f"{program}: {n} members needed, {len(pool)} eligible")
    pick = pool.iloc[np.sort(rng.choice(len(pool), size=n, replace=False))]
    return _rows(
        program,
        n,
        household_id=pick["household_id"].to_numpy(),
        person_id=pick["person_id"].to_numpy(),
        village_id=pick["household_id"].map(households.set_index("household_id")["village_id"]).to_numpy(),
        registered=True,
        persons=1,
        start_year=rng.choice(years, size=n),
        detail=detail,
        detail_zh=detail_zh,
    )


def _workshop_jobs(
    rng: np.random.Generator,
    p: SynthParams,
    members: pd.DataFrame,
    households: pd.DataFrame,
    villages: pd.DataFrame,
    pool_mask: np.ndarray,
) -> pd.DataFrame:
    """Registered members working in the report's six workshops (worker counts are an assumption).

    A workshop the report places in a village hires from that village's
    township; the one it names only by firm hires county-wide.
    """
    shops = published.named_lists().query("list_id == 'workshops'")
    township_of_village = villages.set_index("village_id")["township_id"]
    member_township = members["household_id"].map(
        households.set_index("household_id")["village_id"].map(township_of_village)
    )
    taken = np.zeros(len(members), dtype=bool)
    frames = []
    for _, shop in shops.iterrows():
        village = villages.loc[[shop["item_zh"].startswith(name) for name in villages["name_zh"]], "township_id"]
        pool = pool_mask & ~taken
        if len(village):
            pool &= (member_township == village.iloc[0]).to_numpy()
        n = int(rng.integers(p.workshop_workers_low, p.workshop_workers_high + 1))
        rows = _members_rows(
            rng, "workshop_job", members, pool, n, [2017, 2018], shop["item_en"], shop["item_zh"], households
        )
        taken |= members["person_id"].isin(set(rows["person_id"])).to_numpy()
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def make_programs(
    rng: np.random.Generator,
    p: SynthParams,
    relocation: pd.DataFrame,
    households: pd.DataFrame,
    members: pd.DataFrame,
    panel: pd.DataFrame,
    villages: pd.DataFrame,
    rangers: pd.DataFrame,
) -> pd.DataFrame:
    """All participation rows (rangers included), in PROGRAM_COLUMNS order."""
    f = published.figure
    relocation = relocation.drop(columns="effect_pc")
    renovation = _renovation(rng, households, panel, villages, set(relocation["household_id"]))
    sizes = households["household_size"].to_numpy()
    g4g = choose_with_sum(
        rng, [np.arange(len(households))], [int(f("eco_grain_green_hh"))], sizes, int(f("eco_grain_green_pp"))
    )[0]
    mu = np.round(rng.uniform(3, 10, g4g.size), 1)
    grain = _household_rows(
        "grain_for_green",
        households,
        g4g,
        start_year=rng.choice([2016, 2017], size=g4g.size),
        detail=[f"{m:g} mu converted" for m in mu],
        detail_zh=[f"退耕{m:g}亩" for m in mu],
    )
    working = (
        members["labour_ability"].isin(["able", "weak"]).to_numpy()
        & ~members["person_id"].isin(set(rangers["person_id"])).to_numpy()
    )
    coops = int(f("eco_coops"))
    coop_ids = np.array([f"C{i + 1:02d}" for i in range(coops)])
    n_coop = int(f("eco_coop_poor_pp"))
    coop_of = np.concatenate([coop_ids, rng.choice(coop_ids, size=n_coop - coops)])  # every cooperative employs someone
    afforest = _members_rows(
        rng,
        "afforestation_coop",
        members,
        working,
        n_coop,
        [2017, 2018],
        [f"cooperative {c}" for c in coop_of],
        [f"造林合作社{c}" for c in coop_of],
        households,
    )
    taken = set(afforest["person_id"])
    private = _members_rows(
        rng,
        "private_firm_job",
        members,
        working & ~members["person_id"].isin(taken).to_numpy(),
        int(f("emp_private_jobs")),
        [2018, 2019],
        "job from a paired private firm",
        "民营企业结对帮扶岗位",
        households,
    )
    taken |= set(private["person_id"])
    workshops = _workshop_jobs(
        rng, p, members, households, villages, working & ~members["person_id"].isin(taken).to_numpy()
    )
    signed = np.flatnonzero(rng.random(len(households)) < p.family_doctor_share)
    doctor = _household_rows(
        "family_doctor",
        households,
        signed,
        start_year=rng.choice([2016, 2017], size=signed.size),
        detail="family doctor contract",
        detail_zh="家庭医生签约",
    )
    remaining = (
        households["exit_year"].isna().to_numpy()
        & households["main_cause"].isin(["illness", "disability", "lack_labour"]).to_numpy()
    )
    deep_idx = rng.choice(np.flatnonzero(remaining), size=int(f("dp_deep_hh")), replace=False)
    deep = _household_rows(
        "deep_poverty_support",
        households,
        deep_idx,
        start_year=2019,
        detail="one leader, one department, one enterprise, one fund, one tailored measure",
        detail_zh="一名领导、一个部门、一家企业、一笔资金、一条措施",
    )
    # insurance payouts: claims whose amounts add up to the published total exactly
    types = published.named_lists().query("list_id == 'insurance_types'")
    n_claims = 1200
    claim_hh = rng.integers(0, len(households), n_claims)
    kind = rng.integers(0, len(types), n_claims)
    amounts = allocate(int(f("sn_insurance_payout")), rng.lognormal(7.3, 0.8, n_claims), minimum=100)
    insurance = _rows(
        "insurance_payout",
        n_claims,
        household_id=households["household_id"].to_numpy()[claim_hh],
        village_id=households["village_id"].to_numpy()[claim_hh],
        registered=True,
        start_year=rng.choice([2016, 2017, 2018, 2019], size=n_claims),
        amount_yuan=amounts,
        amount_basis="claim paid",
        detail=types["item_en"].to_numpy()[kind],
        detail_zh=types["item_zh"].to_numpy()[kind],
    )
    students = members.loc[members["schooling"] != "not_in_school"]
    stage_zh = students["schooling"].map(
        {"compulsory": "义务教育", "upper_secondary": "高中阶段", "tertiary": "高等教育"}
    )
    education = _rows(
        "education_aid",
        len(students),
        household_id=students["household_id"].to_numpy(),
        person_id=students["person_id"].to_numpy(),
        village_id=students["household_id"].map(households.set_index("household_id")["village_id"]).to_numpy(),
        registered=True,
        persons=1,
        start_year=2014,
        detail=students["schooling"].to_numpy(),
        detail_zh=stage_zh.to_numpy(),
    )
    frame = pd.concat(
        [rangers, relocation, renovation, grain, afforest, private, workshops, deep, doctor, insurance, education],
        ignore_index=True,
    )
    frame = frame[PROGRAM_COLUMNS]
    frame["persons"] = frame["persons"].astype("Int64")
    frame["start_year"] = frame["start_year"].astype("Int64")
    frame["amount_yuan"] = pd.to_numeric(frame["amount_yuan"]).astype("Float64")
    frame["registered"] = frame["registered"].astype(bool)
    return frame
