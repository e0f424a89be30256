"""A SYNTHETIC messy registry export: the synthetic county as an office's Excel file.

:func:`messy_export` writes the synthetic registry the way the national
system's exports look to a county office: one sheet per township, a title row,
a two-row header with merged group cells, household cells merged down over the
household's members, a total row and a filler's note under each table, and
**fake** names, ID numbers and phone numbers (valid in form, invented, never
real people's). It then plants a known set of faults and returns them, so the
cleaner can be checked against exactly what was planted.

Nothing here is real: the identifiers are drawn from a seeded generator and
exist so that de-identification can be tested end to end.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.datasets import load_county
from evalkit.io import PseudonymKey, clean
from evalkit.io.clean import CleanResult
from evalkit.io.ids import check_character
from evalkit.reference import poverty_causes

__all__ = [
    "messy_export",
    "export_csv",
    "clean_synthetic_export",
    "planted_vs_found",
    "ExportFaults",
    "fake_identifiers",
    "EXPORT_HEADER",
    "member_columns",
]

_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
_GIVEN = list("建国华明英秀兰红军平丽春海志强玉凤芳伟霞桂林永刚金花德文荣清云宝成杰燕梅俊")
_REGION = "140426"  # Licheng County's region code (the fake IDs carry it)

#: (group, Chinese header, source) in sheet order; group "" means a single header cell merged over two rows.
EXPORT_HEADER: list[tuple[str, str, str]] = [
    ("", "乡镇", "township"),
    ("", "行政村", "village"),
    ("", "户编号", "household_id"),
    ("", "人编号", "person_id"),
    ("", "姓名", "name"),
    ("", "证件号码", "id_number"),
    ("", "性别", "sex"),
    ("", "出生日期", "birth_date"),
    ("", "与户主关系", "relation"),
    ("", "家庭人口数", "household_size"),
    ("", "文化程度", "education"),
    ("", "在校生状况", "schooling"),
    ("", "健康状况", "health"),
    ("", "是否残疾", "disabled"),
    ("", "劳动技能", "labour_ability"),
    ("", "致贫原因", "main_cause"),
    ("", "识别年度", "identification_year"),
    ("", "脱贫年度", "exit_year"),
    ("收入情况(元)", "人均纯收入", "income_pc"),
    ("收入情况(元)", "家庭纯收入", "net_income"),
    ("收入情况(元)", "工资性收入", "wage_income"),
    ("收入情况(元)", "生产经营性收入", "operating_income"),
    ("收入情况(元)", "财产性收入", "property_income"),
    ("收入情况(元)", "转移性收入", "transfer_income"),
    ("", "联系电话", "phone"),
]
_MERGED = ("household_id", "household_size", "main_cause")  # merged down (more would make openpyxl quadratic)
_LABELS = {
    "sex": {"male": "男", "female": "女"},
    "relation": {"head": "户主", "spouse": "配偶", "child": "之子", "grandchild": "之孙子", "parent": "之父"},
    "education": {
        "preschool_age": "学龄前儿童",
        "in_compulsory": "义务教育在读",
        "illiterate": "文盲或半文盲",
        "primary": "小学",
        "junior_secondary": "初中",
        "senior_secondary": "高中",
        "tertiary": "大专及以上",
    },
    "schooling": {
        "not_in_school": "非在校生",
        "compulsory": "义务教育",
        "upper_secondary": "高中或中职",
        "tertiary": "高等教育",
    },
    "health": {"healthy": "健康", "chronic": "长期慢性病", "major": "患有大病", "severe": "重病", "not_recorded": None},
    "labour_ability": {"able": "普通劳动力", "weak": "弱劳动力或半劳动力", "lost": "丧失劳动力", "none": "无劳动力"},
}


@dataclass
class ExportFaults:
    """What was planted, by rule: the (sheet, row) cells of each fault, and the totals to expect.

    ``sheets`` are the workbook's sheet names in order; a cleaning run calls them ``sheet-1``, ``sheet-2`` …
    (:meth:`label`), since a sheet's name can hold an identifier.
    """

    quarantine: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    corrected: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    flagged: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    rows_in: int = 0
    sheets: list[str] = field(default_factory=list)

    def label(self, sheet: str) -> str:
        """What a cleaning run calls the sheet named ``sheet``."""
        return f"sheet-{self.sheets.index(sheet) + 1}"

    @property
    def quarantined_rows(self) -> set[tuple[str, int]]:
        return {cell for cells in self.quarantine.values() for cell in cells}

    @property
    def corrected_rows(self) -> set[tuple[str, int]]:
        return {cell for cells in self.corrected.values() for cell in cells} - self.quarantined_rows


def fake_identifiers(rng: np.random.Generator, members: pd.DataFrame) -> pd.DataFrame:
    """Invented names, 18-character ID numbers (valid check character, region 140426) and phone numbers."""
    n = len(members)
    names = [
        _SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if k else "")
        for a, b, c, k in zip(
            rng.integers(0, len(_SURNAMES), n),
            rng.integers(0, len(_GIVEN), n),
            rng.integers(0, len(_GIVEN), n),
            rng.random(n) < 0.7,
            strict=True,
        )
    ]
    birth = [
        dt.date(int(y), 1, 1) + dt.timedelta(days=int(d))
        for y, d in zip(members["birth_year"], rng.integers(0, 365, n), strict=True)
    ]
    male = members["sex"].eq("male").to_numpy()
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    seen: set[str] = set()
    ids = []
    for day, s in zip(birth, seq, strict=True):
        s = int(s)
        while True:
            first17 = f"{_REGION}{day:%Y%m%d}{s:03d}"
            if first17 not in seen:
                break
            s = (s + 2) % 1000
        seen.add(first17)
        ids.append(first17 + check_character(first17))
    phones = [
        "1" + str(int(p)) + "".join(map(str, rng.integers(0, 10, 8))) for p in rng.choice([37, 38, 39, 58, 59, 87], n)
    ]
    return pd.DataFrame({"name": names, "id_number": ids, "birth_date": birth, "phone": phones}, index=members.index)


def member_columns(
    members: pd.DataFrame,
    villages: pd.DataFrame,
    towns: pd.Series,
    identifiers: pd.DataFrame,
    *,
    health: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """The columns every export of the county shares, one row per member: place, registry numbers, the
    invented name, ID number and birth date, and the coded fields under their Chinese labels.

    ``members`` are the members joined to their households, ``villages`` indexed by village id, ``towns``
    the township names by id; ``health`` replaces the labels of health (default :data:`_LABELS`'s).
    """
    causes = poverty_causes().set_index("code")["name_zh"]
    return pd.DataFrame(
        {
            "township": members["village_id"].map(villages["township_id"]).map(towns).to_numpy(),
            "village": members["village_id"].map(villages["name_zh"]).to_numpy(),
            "household_id": "14042600" + members["household_id"].str[1:].to_numpy(),
            "person_id": "1404260" + members["person_id"].str[1:].to_numpy(),
            "name": identifiers["name"].to_numpy(),
            "id_number": identifiers["id_number"].to_numpy(),
            "sex": members["sex"].map(_LABELS["sex"]).to_numpy(),
            "birth_date": identifiers["birth_date"].to_numpy(),
            "relation": members["relation"].map(_LABELS["relation"]).to_numpy(),
            "household_size": members["household_size"].to_numpy(),
            "education": members["education"].map(_LABELS["education"]).to_numpy(),
            "schooling": members["schooling"].map(_LABELS["schooling"]).to_numpy(),
            "health": members["health"].map(health or _LABELS["health"]).to_numpy(),
            "disabled": np.where(members["disabled"].to_numpy(dtype=bool), "是", "否"),
            "labour_ability": members["labour_ability"].map(_LABELS["labour_ability"]).to_numpy(),
            "main_cause": members["main_cause"].map(causes).to_numpy(),
            "identification_year": members["identification_year"].to_numpy(),
            "exit_year": members["exit_year"].astype("Int64").astype(object).where(members["exit_year"].notna(), None),
        },
        index=members.index,
    )


def _records(county: dict[str, pd.DataFrame], rng: np.random.Generator, year: int) -> pd.DataFrame:
    hh = county["households"]
    members = county["members"].merge(hh, on="household_id", how="left")
    villages = county["villages"].set_index("village_id")
    towns = county["townships"].set_index("township_id")
    panel = county["panel"].loc[county["panel"]["year"] == year].set_index("household_id")
    ident = fake_identifiers(rng, members)
    size = members["household_size"].to_numpy(dtype=float)
    pc = panel.reindex(members["household_id"])
    out = member_columns(members, villages, towns["name_zh"], ident).assign(
        township_id=members["village_id"].map(villages["township_id"]).to_numpy()
    )
    incomes = pd.DataFrame(
        {
            "income_pc": np.round(pc["income_pc"].to_numpy(), 2),
            "net_income": None,
            "wage_income": np.round(pc["wage_pc"].to_numpy() * size, 2),
            "operating_income": np.round(pc["operating_pc"].to_numpy() * size, 2),
            "property_income": np.round(pc["property_pc"].to_numpy() * size, 2),
            "transfer_income": np.round(pc["transfer_pc"].to_numpy() * size, 2),
            "phone": ident["phone"].to_numpy(),
        },
        index=out.index,
    )
    out = pd.concat([out, incomes], axis=1)
    components = ["wage_income", "operating_income", "property_income", "transfer_income"]
    out["net_income"] = np.round(out[components].sum(axis=1), 2)
    out["income_pc"] = np.round(out["net_income"] / size, 2)
    head = members["relation"].eq("head").to_numpy()
    out["_head"] = head
    return out.sort_values(
        ["township_id", "village", "household_id", "_head"], ascending=[True, True, True, False], kind="stable"
    )


def export_csv(
    county: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    seed: int = 20190901,
    year: int = 2018,
    copies: int = 1,
) -> pd.DataFrame:
    """Write the synthetic registry as a plain CSV export (Chinese headers, no planted faults), ``copies``
    times over with new household numbers and new invented identifiers in each copy (a large registry with
    varied names, for benchmarks); return the rows written, identifiers included (keep them out of outputs).
    """
    parts = []
    for copy in range(copies):
        rng = np.random.default_rng([seed, 5, copy])
        part = _records(county, rng, year).drop(columns=["township_id", "_head"])
        if copy:
            part["household_id"] = part["household_id"].str[:6] + f"{copy:02d}" + part["household_id"].str[8:]
            part["person_id"] = part["person_id"].str[:6] + f"{copy:02d}" + part["person_id"].str[8:]
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)
    heads = {src: head for _, head, src in EXPORT_HEADER}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    rows[[src for _, _, src in EXPORT_HEADER]].rename(columns=heads).to_csv(target, index=False, encoding="utf-8")
    return rows


def messy_export(
    county: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    seed: int = 20190901,
    year: int = 2018,
) -> ExportFaults:
    """Write the synthetic registry as a messy .xlsx export and return the faults planted in it.

    Parameters
    ----------
    county
        The synthetic county (:func:`evalkit.datasets.load_county`).
    path
        Where to write the workbook (outside the repository and outside ``outputs/``: it holds fake
        identifiers, which look exactly like real ones).
    seed
        Seed of the fake identifiers and of where faults are planted.
    year
        Year of the incomes written.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.cell_range import CellRange
    from openpyxl.worksheet.merge import MergedCellRange

    rng = np.random.default_rng([seed, 4])
    records = _records(county, rng, year)
    faults = ExportFaults()
    book = openpyxl.Workbook()
    book.remove(book.active)
    columns = [src for _, _, src in EXPORT_HEADER]
    sheets: dict[str, pd.DataFrame] = {name: part for name, part in records.groupby("township", sort=False)}
    # plan the faults on (sheet, position) pairs
    plan = _plan(rng, sheets)
    for sheet_name, part in sheets.items():
        faults.sheets.append(sheet_name)
        ws = book.create_sheet(sheet_name)
        ws.append([f"黎城县{sheet_name}建档立卡贫困人口明细表（合成数据 SYNTHETIC，{year}年）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        ws.append([group or head for group, head, _ in EXPORT_HEADER])
        ws.append([head for _, head, _ in EXPORT_HEADER])
        for j, (group, _, _) in enumerate(EXPORT_HEADER, start=1):
            if not group:
                ws.merge_cells(start_row=2, start_column=j, end_row=3, end_column=j)
        groups = [j for j, (g, _, _) in enumerate(EXPORT_HEADER, start=1) if g]
        ws.merge_cells(start_row=2, start_column=groups[0], end_row=2, end_column=groups[-1])
        ws.cell(1, 1).font = Font(bold=True)
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        rows = part[columns].astype(object).where(part[columns].notna(), None).values.tolist()
        extra = plan.get(sheet_name, {})
        n_records = len(rows)
        rows = _apply(rows, columns, extra, faults, sheet_name, first_row=4)
        start = 4
        # merge some household cells down over the household's member rows, as exports do: the cells
        # below the first are left empty, as Excel leaves them (ranges added to the sheet's set of merged
        # ranges directly; they are disjoint, and merge_cells would check each against all: 4 s here)
        hid = columns.index("household_id")
        merged = [j for j, src in enumerate(columns) if src in _MERGED]
        ranges = []
        r = 0
        while r < n_records:
            e = r
            while e + 1 < n_records and rows[e + 1][hid] == rows[r][hid]:
                e += 1
            if e > r:
                for j in merged:
                    ranges.append((start + r, j + 1, start + e))
                    for below in rows[r + 1 : e + 1]:
                        below[j] = None
            r = e + 1
        for row in rows:
            ws.append(row)
        for first, column, end in ranges:
            ws.merged_cells.ranges.add(
                MergedCellRange(ws, CellRange(min_col=column, min_row=first, max_col=column, max_row=end).coord)
            )
        last = start + len(rows)
        ws.cell(last, 1, "合计")
        ws.cell(
            last, columns.index("household_size") + 1, int(part.groupby("household_id")["household_size"].first().sum())
        )
        ws.cell(last + 1, 1, "填表人：合成数据生成器    审核人：无（SYNTHETIC）")
        faults.quarantine.setdefault("total_row", []).append((sheet_name, last))
        faults.quarantine.setdefault("note_row", []).append((sheet_name, last + 1))
        faults.rows_in += len(rows) + 2
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return faults


def _plan(rng: np.random.Generator, sheets: dict[str, pd.DataFrame]) -> dict[str, dict[str, object]]:
    """Choose where each fault goes: a few rows per kind, in distinct households."""
    names = list(sheets)
    plan: dict[str, dict[str, object]] = {name: {} for name in names}
    used: set[tuple[str, str]] = set()

    def pick(kind: str, k: int, condition=None) -> None:
        for _ in range(k):
            for _attempt in range(200):
                sheet = names[int(rng.integers(0, len(names)))]
                part = sheets[sheet]
                pos = int(rng.integers(0, len(part)))
                row = part.iloc[pos]
                if (sheet, row["household_id"]) in used or (condition is not None and not condition(part, pos)):
                    continue
                used.add((sheet, row["household_id"]))
                plan[sheet].setdefault(kind, []).append(pos)
                break

    pick("fullwidth_income", 3)
    pick("chinese_date", 3)
    pick("lowercase_x", 2, lambda part, pos: str(part.iloc[pos]["id_number"]).endswith("X"))
    pick("legacy_15", 2, lambda part, pos: str(part.iloc[pos]["id_number"])[6:8] == "19")
    pick("mangled_id", 2)
    pick("bad_check", 2)
    pick("duplicate_row", 1)
    pick(
        "illness_no_sick", 1, lambda part, pos: part.iloc[pos]["main_cause"] == "因病" and bool(part.iloc[pos]["_head"])
    )
    pick("same_person_elsewhere", 1, lambda part, pos: not bool(part.iloc[pos]["_head"]))
    return plan


def _apply(
    rows: list[list[object]],
    columns: list[str],
    plan: dict[str, object],
    faults: ExportFaults,
    sheet: str,
    *,
    first_row: int,
) -> list[list[object]]:
    c = {name: columns.index(name) for name in columns}
    rows = [list(r) for r in rows]
    for pos in plan.get("fullwidth_income", []):
        text = f"{rows[pos][c['income_pc']]:.2f}"
        rows[pos][c["income_pc"]] = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
        faults.corrected.setdefault("fullwidth", []).append((sheet, first_row + pos))
    for pos in plan.get("chinese_date", []):
        day = rows[pos][c["birth_date"]]
        rows[pos][c["birth_date"]] = f"{day.year}年{day.month}月{day.day}日"
        faults.corrected.setdefault("date_format", []).append((sheet, first_row + pos))
    for pos in plan.get("lowercase_x", []):
        rows[pos][c["id_number"]] = str(rows[pos][c["id_number"]])[:-1] + "x"
        faults.corrected.setdefault("id_lowercase_x", []).append((sheet, first_row + pos))
    for pos in plan.get("legacy_15", []):
        full = str(rows[pos][c["id_number"]])
        rows[pos][c["id_number"]] = full[:6] + full[8:17]
        faults.corrected.setdefault("id_upgraded_from_15", []).append((sheet, first_row + pos))
    for pos in plan.get("mangled_id", []):
        rows[pos][c["id_number"]] = float(str(rows[pos][c["id_number"]])[:17]) * 10.0  # as Excel stores it
        faults.quarantine.setdefault("id_mangled_by_excel", []).append((sheet, first_row + pos))
    for pos in plan.get("bad_check", []):
        full = str(rows[pos][c["id_number"]])
        wrong = "0" if full[-1] != "0" else "1"
        rows[pos][c["id_number"]] = full[:-1] + wrong
        faults.quarantine.setdefault("id_bad_check_character", []).append((sheet, first_row + pos))
    # copies are appended under the sheet's records (exports do repeat rows), so positions above stay valid
    appended: list[tuple[list[object], str]] = []
    for pos in plan.get("duplicate_row", []):
        appended.append((list(rows[pos]), "duplicate_row"))
    for pos in plan.get("same_person_elsewhere", []):
        other = (pos + 25) % len(rows)
        while rows[other][c["household_id"]] == rows[pos][c["household_id"]]:
            other = (other + 7) % len(rows)
        copy = list(rows[other])
        for src in (
            "name",
            "id_number",
            "sex",
            "birth_date",
            "relation",
            "education",
            "schooling",
            "health",
            "labour_ability",
        ):
            copy[c[src]] = rows[pos][c[src]]
        copy[c["person_id"]] = str(rows[pos][c["person_id"]]) + "9"
        appended.append((copy, "person_in_two_households"))
        faults.quarantine.setdefault("person_in_two_households", []).append((sheet, first_row + pos))
        # the receiving household now lists one member more than its size
        hid = rows[other][c["household_id"]]
        faults.flagged.setdefault("household_size_mismatch", []).extend(
            (sheet, first_row + i) for i, r in enumerate(rows) if r[c["household_id"]] == hid
        )
    for pos in plan.get("illness_no_sick", []):
        hid = rows[pos][c["household_id"]]
        members = [i for i, r in enumerate(rows) if r[c["household_id"]] == hid]
        for i in members:
            rows[i][c["health"]] = "健康"
        faults.flagged.setdefault("cause_illness_no_sick_member", []).extend((sheet, first_row + i) for i in members)
    n = len(rows)
    for k, (row, kind) in enumerate(appended):
        rows.append(row)
        faults.quarantine.setdefault(kind, []).append((sheet, first_row + n + k))
    return rows


def clean_synthetic_export(
    year: int = 2018, *, seed: int = 20190901, data_dir: str | os.PathLike[str] | None = None
) -> tuple[CleanResult, ExportFaults]:
    """Write the SYNTHETIC messy export to a temporary folder, clean it, delete it; return the result and the faults.

    The pseudonym key is a one-off random key (pseudonyms do not link to any other run), and the exit check
    uses the synthetic county's own line for ``year`` (interpolated, as the synthetic data is built on it).
    The export with its fake identifiers never leaves the temporary folder.
    """
    import secrets
    import tempfile

    county = load_county(data_dir)
    line = float(county["panel"].loc[county["panel"]["year"] == year, "poverty_line"].iloc[0])
    key = PseudonymKey(secrets.token_hex(32).encode(), source="a one-off random key")
    with tempfile.TemporaryDirectory(prefix="evalkit-export-") as folder:
        path = Path(folder) / "synthetic_registry_export.xlsx"
        faults = messy_export(county, path, seed=seed, year=year)
        result = clean([path], key, year=year, poverty_line=line)
    return result, faults


def planted_vs_found(result: CleanResult, faults: ExportFaults) -> pd.DataFrame:
    """For each planted fault: rows planted, rows the cleaner found with that rule, and how many of them match."""
    log = result.log
    found_rows = {
        rule: set(zip(part["source_sheet"], part["source_row"].astype(int), strict=True))
        for rule, part in log.groupby("rule")
    }
    rows = []
    for action, registry in (
        ("quarantine", faults.quarantine),
        ("corrected", faults.corrected),
        ("flag", faults.flagged),
    ):
        for rule, cells in registry.items():
            planted = {(faults.label(sheet), row) for sheet, row in cells}
            found = found_rows.get(rule, set())
            rows.append(
                {
                    "rule": rule,
                    "action": action,
                    "planted": len(planted),
                    "found": len(found),
                    "matched": len(planted & found),
                }
            )
    return pd.DataFrame(rows)
