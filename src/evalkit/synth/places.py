"""Synthetic places: township-level units and villages of the county.

Names the report gives are used (东阳关镇, and villages it names: 南村, 后峪 …);
every other name is invented and neutral, built from the words North-China place names are made of (a
direction or a tree, then a landform: 东沟村, 杏坪村; 清泉镇), never a name the report gives, and flagged
``placeholder = True`` (townships) or ``named_in_report = False`` (villages). Only 后峪 is placed where
the report places it (东阳关镇); other named villages are put in a township at random and flagged
``township_from_report = False``.

>>> invented_village_names(3)
[('东沟村', 'Donggou Village'), ('西坡村', 'Xipo Village'), ('南峪村', 'Nanyu Village')]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sampling import allocate
from evalkit.synth.targets import Targets

__all__ = ["make_places", "REPORT_VILLAGES", "INVENTED_TOWNSHIPS", "invented_village_names"]

#: Invented township-level names (Chinese, English) by kind, used in this order after the report's 东阳关镇.
INVENTED_TOWNSHIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "town": (
        ("清泉镇", "Qingquan Town"),
        ("石门镇", "Shimen Town"),
        ("柳溪镇", "Liuxi Town"),
        ("松岭镇", "Songling Town"),
        ("槐川镇", "Huaichuan Town"),
    ),
    "township": (
        ("杏园乡", "Xingyuan Township"),
        ("桃川乡", "Taochuan Township"),
        ("梨沟乡", "Ligou Township"),
        ("枣坪乡", "Zaoping Township"),
        ("榆树乡", "Yushu Township"),
    ),
    "center": (("河湾中心", "Hewan Center"), ("城南中心", "Chengnan Center")),
}

#: The first and second syllables of invented village names, with their pinyin.
_FIRST = (
    ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("前", "Qian"), ("后", "Hou"), ("上", "Shang"),
    ("下", "Xia"), ("中", "Zhong"), ("大", "Da"), ("小", "Xiao"), ("高", "Gao"), ("石", "Shi"), ("柳", "Liu"),
    ("杨", "Yang"), ("枣", "Zao"), ("桃", "Tao"), ("杏", "Xing"), ("槐", "Huai"), ("松", "Song"), ("梨", "Li"),
    ("榆", "Yu"), ("清", "Qing"), ("红", "Hong"),
)  # fmt: skip
_SECOND = (
    ("沟", "gou"), ("坡", "po"), ("峪", "yu"), ("庄", "zhuang"), ("岭", "ling"), ("河", "he"), ("坪", "ping"),
    ("湾", "wan"), ("窑", "yao"), ("堡", "bao"), ("寨", "zhai"), ("泉", "quan"),
)  # fmt: skip


def invented_village_names(n: int) -> list[tuple[str, str]]:
    """``n`` distinct invented village names (Chinese, English), none sharing its first two characters with
    a village the report names; the same list on every machine (it draws on no random numbers)."""
    taken = {zh[:2] for zh, _ in REPORT_VILLAGES}
    names = []
    for k in range(len(_FIRST) * len(_SECOND)):
        (a, pa), (b, pb) = _FIRST[k % len(_FIRST)], _SECOND[(k + k // len(_FIRST)) % len(_SECOND)]
        if a + b not in taken:
            names.append((f"{a}{b}村", f"{pa}{pb} Village"))
    if n > len(names):
        raise ValueError(f"only {len(names)} invented village names, {n} asked for")
    return names[:n]


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
    for kind, count in (("town", t.towns - 1), ("township", t.townships), ("center", t.centers)):
        rows += [(zh, en, kind, True) for zh, en in INVENTED_TOWNSHIPS[kind][:count]]
    frame = pd.DataFrame(rows, columns=["name_zh", "name_en", "unit_type", "placeholder"])
    frame.insert(0, "township_id", [f"T{i + 1:02d}" for i in range(len(frame))])
    return frame


def make_places(rng: np.random.Generator, t: Targets) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (townships, villages) with populations summing exactly to the targets."""
    townships = _townships(t)
    n = t.villages
    invented = invented_village_names(n - len(REPORT_VILLAGES))
    names = [zh for zh, _ in REPORT_VILLAGES] + [zh for zh, _ in invented]
    names_en = [en for _, en in REPORT_VILLAGES] + [en for _, en in invented]
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
