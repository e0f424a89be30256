"""Synthetic places: township-level units and villages of the county.

Names the report gives are used (东阳关镇, and villages it names: 南村, 后峪 …);
every other name is a visible placeholder (示例镇二, 示例村031 …). Only 后峪 is
placed where the report places it (东阳关镇); other named villages are put in
a township at random and flagged ``township_from_report = False``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sampling import allocate
from evalkit.synth.targets import Targets

__all__ = ["make_places", "REPORT_VILLAGES"]

_CN_NUM = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

#: Villages named in the report (as written there), with an English name.
REPORT_VILLAGES: tuple[tuple[str, str], ...] = (
    ("南村", "Nancun"),
    ("后峪", "Houyu"),
    ("东峪院村", "Dongyuyuan Village"),
    ("北峪村", "Beiyu Village"),
    ("新曲村", "Xinqu Village"),
    ("水峪村", "Shuiyu Village"),
    ("青南村", "Qingnan Village"),
    ("晋福村", "Jinfu Village"),
    ("赵店村", "Zhaodian Village"),
    ("五十亩村", "Wushimu Village"),
    ("程家山村", "Chengjiashan Village"),
    ("东岭村", "Dongling Village"),
    ("长岭背", "Changlingbei"),
    ("南信", "Nanxin"),
    ("东岭驼", "Donglingtuo"),
    ("正社", "Zhengshe"),
    ("孔家峪", "Kongjiayu"),
    ("北坡", "Beipo"),
    ("上村", "Shangcun"),
    ("英里", "Yingli"),
)
_KEY_POOR_VILLAGE = "南村"  # "黎城县重点贫困村——南村" (photo caption in the report)
_PLACED = {"后峪": "东阳关镇"}  # "东阳关镇后峪电子商务" (photo caption)


def _townships(t: Targets) -> pd.DataFrame:
    rows = [("东阳关镇", "Dongyangguan Town", "town", False)]
    rows += [(f"示例镇{_CN_NUM[i]}", f"Placeholder town {i + 1}", "town", True) for i in range(1, t.towns)]
    rows += [(f"示例乡{_CN_NUM[i]}", f"Placeholder township {i + 1}", "township", True) for i in range(t.townships)]
    rows += [(f"示例中心{_CN_NUM[i]}", f"Placeholder center {i + 1}", "center", True) for i in range(t.centers)]
    frame = pd.DataFrame(rows, columns=["name_zh", "name_en", "unit_type", "placeholder"])
    frame.insert(0, "township_id", [f"T{i + 1:02d}" for i in range(len(frame))])
    return frame


def make_places(rng: np.random.Generator, t: Targets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (townships, villages) with populations summing exactly to the targets."""
    townships = _townships(t)
    n = t.villages
    names = [zh for zh, _ in REPORT_VILLAGES] + [f"示例村{i:03d}" for i in range(len(REPORT_VILLAGES) + 1, n + 1)]
    names_en = [en for _, en in REPORT_VILLAGES] + [
        f"Placeholder village {i:03d}" for i in range(len(REPORT_VILLAGES) + 1, n + 1)
    ]
    from_report = np.arange(n) < len(REPORT_VILLAGES)
    # villages per township: roughly even, at least 12 each
    per_township = allocate(n, rng.gamma(8.0, size=len(townships)), minimum=12)
    township_of = np.repeat(townships["township_id"].to_numpy(), per_township)
    rng.shuffle(township_of)
    # put 后峪 where the report places it, swapping with the village that held that slot
    by_name = dict(zip(townships["name_zh"], townships["township_id"], strict=True))
    placed = np.zeros(n, dtype=bool)
    for village, township in _PLACED.items():
        i = names.index(village)
        j = int(np.flatnonzero(township_of == by_name[township])[0])
        township_of[[i, j]] = township_of[[j, i]]
        placed[i] = True
    agri = allocate(t.agri_pop, rng.lognormal(0.0, 0.55, size=n), minimum=80)
    non_agri_share = rng.beta(2, 9, size=n) * agri
    seat = township_of == townships["township_id"].iloc[0]
    non_agri_share[seat] *= 3.0  # more non-agricultural residents around the first town
    non_agri = allocate(t.total_pop - t.agri_pop, non_agri_share)
    # registered poor villages: the report's key poor village plus placeholders, skewed to small villages
    poor = np.zeros(n, dtype=bool)
    poor[names.index(_KEY_POOR_VILLAGE)] = True
    candidates = np.flatnonzero(~from_report)
    weights = 1.0 / agri[candidates]
    poor[rng.choice(candidates, size=t.poor_villages - 1, replace=False, p=weights / weights.sum())] = True
    exit_year = np.full(n, pd.NA, dtype=object)
    years = np.concatenate([np.full(count, year) for year, count in sorted(t.villages_exited.items())])
    exit_year[np.flatnonzero(poor)] = rng.permutation(years)
    villages = pd.DataFrame(
        {
            "village_id": [f"V{i + 1:03d}" for i in range(n)],
            "township_id": township_of,
            "name_zh": names,
            "name_en": names_en,
            "named_in_report": from_report,
            "township_from_report": placed,
            "poor_village": poor,
            "poor_village_exit_year": pd.array(exit_year, dtype="Int64"),
            "agri_pop": agri,
            "total_pop": agri + non_agri,
            "forest_share": np.round(rng.beta(2.0, 3.0, n), 3),
        }
    )
    return townships, villages.sort_values(["township_id", "village_id"], kind="stable").reset_index(drop=True)
