"""Small registry exports, hand-made, and writers that break them in known ways.

Four households, nine members, Chinese headers, invented identifiers (valid in
form only). Every fixture in tests/test_clean.py starts from these rows, so
each expected count can be worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evalkit.io.ids import check_character

HEADER = [
    "乡镇",
    "行政村",
    "户编号",
    "人编号",
    "姓名",
    "证件号码",
    "性别",
    "出生日期",
    "与户主关系",
    "家庭人口数",
    "健康状况",
    "在校生状况",
    "劳动技能",
    "务工时间",
    "致贫原因",
    "识别年度",
    "脱贫年度",
    "人均纯收入",
    "家庭纯收入",
    "工资性收入",
    "生产经营性收入",
    "财产性收入",
    "转移性收入",
    "联系电话",
]
INCOME = ["人均纯收入", "家庭纯收入", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入"]


def make_id(birth: str, seq: int, region: str = "140426") -> str:
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_character(first17)


# (household, person, name, birth YYYYMMDD, sex digit parity via seq, relation, size, health, schooling, labour, months)
_PEOPLE = [
    ("H1", "P11", "赵一山", "19600305", 11, "男", "户主", 3, "健康", "非在校生", "普通劳动力", 6),
    ("H1", "P12", "钱二妹", "19620811", 22, "女", "配偶", 3, "长期慢性病", "非在校生", "弱劳动力或半劳动力", 0),
    ("H1", "P13", "赵小三", "20080115", 31, "男", "之子", 3, "健康", "义务教育", "无劳动力", 0),
    ("H2", "P21", "孙四海", "19480720", 41, "男", "户主", 2, "患有大病", "非在校生", "丧失劳动力", 0),
    ("H2", "P22", "李五娘", "19500102", 52, "女", "配偶", 2, "健康", "非在校生", "弱劳动力或半劳动力", 0),
    ("H3", "P31", "周六顺", "19750930", 61, "男", "户主", 2, "健康", "非在校生", "普通劳动力", 10),
    ("H3", "P32", "吴七巧", "20000412", 72, "女", "之女", 2, "健康", "高中或中职", "无劳动力", 0),
    ("H4", "P41", "郑八斗", "19550607", 81, "男", "户主", 2, "健康", "非在校生", "普通劳动力", 4),
    ("H4", "P42", "王九妹", "19580918", 92, "女", "配偶", 2, "健康", "非在校生", "普通劳动力", 2),
]
# household: township, village, cause, identification year, exit year, incomes (pc, net, wage, operating, property, transfer)
_HOUSEHOLDS = {
    "H1": ("东阳关镇", "后峪", "因学", 2014, 2017, [3400, 10200, 6000, 2200, 0, 2000]),
    "H2": ("东阳关镇", "后峪", "因病", 2014, None, [2500, 5000, 0, 800, 0, 4200]),
    "H3": ("清泉镇", "东沟村", "缺资金", 2014, 2016, [4100, 8200, 7000, 1000, 200, 0]),
    "H4": ("清泉镇", "西坡村", "缺技术", 2014, 2018, [3600, 7200, 4000, 2400, 0, 800]),
}


def base_rows() -> list[list[object]]:
    """The nine member rows, as text cells in HEADER order."""
    rows = []
    for hh, pid, name, birth, seq, sex, rel, size, health, school, labour, months in _PEOPLE:
        town, village, cause, ident, exit_, inc = _HOUSEHOLDS[hh]
        rows.append(
            [
                town,
                village,
                hh,
                pid,
                name,
                make_id(birth, seq),
                sex,
                f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
                rel,
                str(size),
                health,
                school,
                labour,
                str(months),
                cause,
                str(ident),
                "" if exit_ is None else str(exit_),
                *[str(v) for v in inc],
                f"139{int(pid[1:]):08d}",
            ]
        )
    return rows


def identifiers() -> list[str]:
    """Every identifier value in the base rows (names, ID numbers, phones)."""
    rows = base_rows()
    cols = [HEADER.index("姓名"), HEADER.index("证件号码"), HEADER.index("联系电话")]
    return [row[c] for row in rows for c in cols]


def col(name: str) -> int:
    return HEADER.index(name)


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8", sep: str = ",") -> Path:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[object]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("户信息")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(r, c, value, date_style)
            elif value is not None:
                ws.write(r, c, value)
    book.save(str(path))
    return path


def typed(rows: list[list[object]]) -> list[list[object]]:
    """Rows as a spreadsheet holds them: numbers as numbers, dates as dates."""
    numeric = [*INCOME, "家庭人口数", "务工时间", "识别年度", "脱贫年度"]
    out = []
    for row in rows:
        cells = list(row)
        for name in numeric:
            value = cells[col(name)]
            cells[col(name)] = None if value in ("", None) else float(value) if "." in str(value) else int(value)
        cells[col("出生日期")] = dt.datetime.strptime(str(cells[col("出生日期")]), "%Y-%m-%d")
        out.append(cells)
    return out
