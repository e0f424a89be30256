"""Clean and de-identify registry exports, accounting for every row.

:func:`clean` reads one or more export files (CSV, .xlsx, .xls; several sheets
each), finds each table, and takes every non-blank row below the header to
exactly one place:

* **kept** unchanged, or kept with **corrections**, each logged cell by cell
  (full-width characters, whitespace, number and date formats, Excel serial
  dates, 万元 amounts, lower-case ``x`` and 15-digit ID numbers); or
* **quarantined**, with every reason (total, note and repeated-header rows,
  rows cut short, missing or broken keys, invalid ID numbers, values that
  cannot be read, unknown codes, duplicates).

So ``rows_in = rows_kept + rows_quarantined`` always, and ``rows_kept``
includes the corrected rows. Registry logic checks (household size against
members, income against its components, cause of poverty against members,
head and spouse, implausible incomes, exits below the line) **flag** rows
without removing them: they are findings for the office to verify.

Direct identifiers (names, ID numbers, phones, bank accounts, addresses) are
dropped; households and persons get keyed pseudonyms
(:mod:`evalkit.io.pseudonym`). Birth date and sex are derived from a valid ID
number first. No identifier reaches the cleaned tables, the quarantine file,
the cleaning log or the summary: cells of identifier columns are shown as
``<redacted>``, every text cell written goes through one
:class:`~evalkit.io.scrub.Scrubber` (identifiers recognised by what they are,
and every value seen in the input's identifier columns, wherever it was typed),
and inputs are named by their position and hash (``file-1``, ``sheet-2``),
never by their file or sheet names, which can hold a name or an ID number.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import folders, spreadsheets
from evalkit.errors import ConfigurationError, DataError
from evalkit.io import cleaners
from evalkit.io.columns import HOUSEHOLD_FLAGS, IDENTIFIERS, KINDS, code_map
from evalkit.io.ids import ID_PROBLEMS, check_id
from evalkit.io.layout import NoHeaderFound, locate
from evalkit.io.pseudonym import PseudonymKey, pseudonymize
from evalkit.io.scrub import REDACTED, Scrubber
from evalkit.io.sheets import read_grids, sha256_of
from evalkit.reference import poverty_lines

__all__ = ["clean", "CleanResult", "RULES", "LOG_COLUMNS", "read_clean_run", "rule_table", "OUTPUT_FILES", "same_key"]

LOG_COLUMNS = ["source_file", "source_sheet", "source_row", "column", "rule", "action", "before", "after", "message"]
#: The files a cleaning run writes.
OUTPUT_FILES = ("members.csv", "households.csv", "quarantine.csv", "cleaning_log.csv", "summary.json")

_ID_ZH = {
    "id_mangled_by_excel": "证件号码被Excel存为数字,末位已丢失",
    "id_bad_length": "证件号码位数不对",
    "id_bad_characters": "证件号码含非法字符",
    "id_bad_region": "证件号码前两位不是省级代码",
    "id_bad_birth_date": "证件号码中的出生日期无效",
    "id_bad_check_character": "证件号码校验位不符(GB 11643-1999)",
}

#: Every rule the cleaner applies: what it does (corrected, quarantine or flag), its meaning in English and Chinese.
RULES: dict[str, tuple[str, str, str]] = {
    "fullwidth": ("corrected", "full-width characters converted to half-width", "全角字符转为半角"),
    "whitespace": ("corrected", "stray whitespace removed", "去除多余空格"),
    "number_format": (
        "corrected",
        "thousands separators or the unit 元 removed from a number",
        "去除数字中的千分位或“元”",
    ),
    "number_as_text": (
        "corrected",
        "a number stored as text in the spreadsheet read as a number",
        "以文本存储的数字按数字读取",
    ),
    "wan_to_yuan": ("corrected", "amount in 万元 converted to yuan", "万元换算为元"),
    "date_format": ("corrected", "date rewritten as YYYY-MM-DD", "日期改写为YYYY-MM-DD"),
    "excel_serial_date": ("corrected", "Excel serial day number converted to a date", "Excel日期序号转为日期"),
    "date_to_year": ("corrected", "a date in a year column reduced to its year", "年份列中的日期取其年份"),
    "year_format": ("corrected", "year written with 年 or a date reduced to its year", "年份写法规范化"),
    "id_lowercase_x": ("corrected", "ID number check character x written as X", "证件号码校验位小写x改为X"),
    "id_upgraded_from_15": (
        "corrected",
        "15-digit legacy ID number upgraded to 18 characters (GB 11643-1999)",
        "15位旧身份证号升为18位",
    ),
    "total_row": ("quarantine", "a total or subtotal row (合计, 小计), not a record", "合计或小计行,非记录"),
    "note_row": ("quarantine", "a note under the table (注, 填表人 …), not a record", "表下注释(注、填表人等),非记录"),
    "repeated_header": ("quarantine", "the header repeated inside the table", "表内重复的表头"),
    "short_row": (
        "quarantine",
        "the row has fewer fields than the header (file cut off, or a broken line)",
        "字段数少于表头(文件截断或断行)",
    ),
    "long_row": (
        "quarantine",
        "the row has more fields than the header (an unquoted comma?)",
        "字段数多于表头(未加引号的逗号?)",
    ),
    "key_missing": ("quarantine", "household or person number is empty", "户编号或人编号为空"),
    "key_mangled_by_excel": (
        "quarantine",
        "household or person number was rounded by Excel",
        "户编号或人编号被Excel舍入",
    ),
    "required_missing": (
        "quarantine",
        "a required value (village, relation to head) is empty",
        "必填项(行政村、与户主关系)为空",
    ),
    "bad_number": ("quarantine", "a value that should be a number is not", "应为数字的值不是数字"),
    "bad_date": ("quarantine", "a value that should be a date is not", "应为日期的值不是日期"),
    "bad_year": ("quarantine", "a value that should be a year is not", "应为年份的值不是年份"),
    "out_of_range": ("quarantine", "a whole number outside its possible range", "整数超出可能范围"),
    "unknown_code": ("quarantine", "a label not in the code list", "代码表中没有的标签"),
    "identifier_in_cell": (
        "quarantine",
        "an ID number, phone or bank card number typed into a column that holds none",
        "非身份信息列中填入了证件号码、电话或银行卡号",
    ),
    **{
        problem: ("quarantine", text, _ID_ZH[problem])
        for problem, text in ID_PROBLEMS.items()
        if problem != "id_missing"
    },
    "duplicate_row": ("quarantine", "an exact copy of an earlier row", "与前面某行完全相同"),
    "duplicate_person_id": (
        "quarantine",
        "the same person number twice in one household, with different values",
        "同一户内人编号重复且内容不同",
    ),
    "person_in_two_households": (
        "quarantine",
        "the same person (ID number) registered in two households",
        "同一人(证件号码)登记在两户",
    ),
    "household_in_two_villages": ("quarantine", "the same household number in two villages", "同一户编号出现在两个村"),
    "id_missing": (
        "flag",
        "no ID number: the person is linked by the registry person number instead",
        "无证件号码:以人编号关联",
    ),
    "sex_differs_from_id": ("flag", "sex differs from the sex encoded in the ID number", "性别与证件号码不符"),
    "birth_date_differs_from_id": (
        "flag",
        "birth date differs from the one encoded in the ID number",
        "出生日期与证件号码不符",
    ),
    "household_size_mismatch": (
        "flag",
        "household size differs from the number of member rows",
        "家庭人口数与成员行数不符",
    ),
    "household_field_conflict": (
        "flag",
        "a household-level value differs between the household's rows",
        "同户各行的户级信息不一致",
    ),
    "no_single_head": ("flag", "the household has no head or more than one", "户内无户主或户主不止一人"),
    "head_spouse_same_sex": ("flag", "head and spouse have the same sex", "户主与配偶性别相同"),
    "income_components_mismatch": (
        "flag",
        "net income differs from wage + operating + property + transfer income",
        "纯收入不等于四项收入之和",
    ),
    "income_per_capita_mismatch": (
        "flag",
        "per-capita income differs from net income / household size",
        "人均纯收入不等于纯收入除以人口数",
    ),
    "implausible_income": ("flag", "per-capita income at or below 0 or above 100,000 yuan", "人均纯收入≤0或>10万元"),
    "cause_illness_no_sick_member": (
        "flag",
        "poor through illness (因病) but no member is ill",
        "因病致贫但无患病成员",
    ),
    "cause_schooling_no_student": (
        "flag",
        "poor through schooling costs (因学) but no member is in school",
        "因学致贫但无在校生",
    ),
    "cause_disability_no_disabled_member": (
        "flag",
        "poor through disability (因残) but no member is disabled",
        "因残致贫但无残疾成员",
    ),
    "work_months_out_of_range": ("flag", "months of work outside 0-12", "务工时间不在0-12个月"),
    "wage_without_worker": ("flag", "wage income but no member able to work", "有工资性收入但无劳动力"),
    "exit_below_line": (
        "flag",
        "exited in the data year with per-capita income below that year's poverty line",
        "当年脱贫但人均纯收入低于当年贫困标准",
    ),
}

_HOUSEHOLD_FIELDS = [
    "township",
    "village",
    "household_size",
    "main_cause",
    "identification_year",
    "exit_year",
    "year",
    "income_pc",
    "net_income",
    "wage_income",
    "operating_income",
    "property_income",
    "transfer_income",
    "village_code",
    "status",
    "pension_income",
    "dibao_income",
    "eco_comp_income",
    "other_policy_income",
    *HOUSEHOLD_FLAGS,
]
_MEMBER_FIELDS = [
    "relation",
    "sex",
    "sex_from_id",
    "birth_date",
    "birth_date_from_id",
    "education",
    "schooling",
    "health",
    "disabled",
    "labour_ability",
    "work_months",
]
_COMPONENTS = ["wage_income", "operating_income", "property_income", "transfer_income"]
_SICK = {"chronic", "major", "severe"}


@dataclass
class CleanResult:
    """What a cleaning run produced (all de-identified).

    Attributes
    ----------
    members
        One row per kept member row: ``household_key``, ``person_key``, member and household fields, source row.
    households
        One row per household with at least one kept row (values from the head's row where rows disagree).
    quarantine
        One row per quarantined input row: source, pseudonyms where computable, reasons and messages.
    log
        One row per event: corrections (cell by cell), quarantine reasons and flags.
    summary
        Row accounting, files and their SHA-256, rules triggered, checks not run.
    """

    members: pd.DataFrame
    households: pd.DataFrame
    quarantine: pd.DataFrame
    log: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)

    def write_files(self, folder: Path) -> None:
        """Write the five output files into ``folder``, which the caller has made and guards (:meth:`write`
        does, and ``evalkit build`` for each year it cleans)."""
        frames = {
            "members.csv": self.members,
            "households.csv": self.households,
            "quarantine.csv": self.quarantine,
            "cleaning_log.csv": self.log,
        }
        for name, frame in frames.items():
            spreadsheets.write_csv(frame, folder / name)
        (folder / "summary.json").write_text(
            json.dumps(self.summary, ensure_ascii=False, indent=2, default=_plain) + "\n", encoding="utf-8"
        )

    def write(self, out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
        """Write the five output files into the folder ``out``, all or nothing; return their paths.

        ``out`` may not be, contain or lie inside one of ``inputs`` (the raw exports) or evalkit's source
        folders; an existing folder is replaced only when it holds a previous cleaning run made with the same
        key (:attr:`~evalkit.io.pseudonym.PseudonymKey.fingerprint`) and nothing else (see
        :mod:`evalkit.folders`).
        """
        target = Path(out).expanduser()
        previous = _fingerprint(target)
        current = self.summary.get("key_fingerprint")
        if previous and current and previous != current:
            raise ConfigurationError(
                f"{target} holds a cleaning run made with another pseudonym key (fingerprint {previous}; this key's "
                f"is {current}): its pseudonyms would not link to these. Use the same key as before, or write to "
                "another folder."
            )
        with folders.writing(
            target, marker="summary.json", inputs=inputs, listed=lambda _: set(OUTPUT_FILES), command="evalkit clean"
        ) as staging:
            self.write_files(staging)
        return [target.resolve() / name for name in OUTPUT_FILES]


def _plain(value: object) -> object:
    """A numpy scalar as its Python value for ``summary.json``; anything else is a bug, not a string."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"summary.json cannot hold {type(value).__name__}")


def _fingerprint(folder: Path) -> str | None:
    """The key fingerprint a cleaning run in ``folder`` recorded (None: no run there, or none recorded)."""
    try:
        return json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("key_fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def same_key(previous: str | os.PathLike[str], key: PseudonymKey) -> None:
    """Refuse ``key`` unless the cleaning run in ``previous`` (an earlier year's) was made with it.

    Raises
    ------
    ConfigurationError
        ``previous`` holds no cleaning run with a recorded key, or another key made it.
    """
    recorded = _fingerprint(Path(previous).expanduser())
    if recorded is None:
        raise ConfigurationError(
            f"{previous} holds no cleaning run with a recorded key fingerprint (summary.json); give the folder an "
            "earlier `evalkit clean` wrote."
        )
    if recorded != key.fingerprint:
        raise ConfigurationError(
            f"the pseudonym key differs from the one that cleaned {previous} (fingerprint {recorded}; this key's is "
            f"{key.fingerprint}): pseudonyms would not link across years. Use the same key file as before."
        )


def read_clean_run(folder: str | os.PathLike[str]) -> CleanResult:
    """Read the files a cleaning run wrote (see :meth:`CleanResult.write`)."""
    path = Path(folder).expanduser()
    missing = [name for name in OUTPUT_FILES if not (path / name).is_file()]
    if missing:
        raise DataError(
            f"not a cleaning run folder: {', '.join(missing)} missing; run `evalkit clean INPUT --out {path}` first.",
            file=str(path),
        )
    read = {
        name: spreadsheets.read_csv(path / name, dtype=str, keep_default_na=False)
        for name in ("quarantine.csv", "cleaning_log.csv")
    }
    members = spreadsheets.read_csv(path / "members.csv", dtype={"household_key": str, "person_key": str})
    households = spreadsheets.read_csv(path / "households.csv", dtype={"household_key": str})
    for col in ("household_size", "identification_year", "exit_year", "year"):
        if col in households:
            households[col] = households[col].astype("Int64")
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    return CleanResult(members, households, read["quarantine.csv"], read["cleaning_log.csv"], summary)


class _Book:
    """Collects events as (row position, column, rule, before, after, message)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, object, object, str]] = []

    def add(self, pos: int, column: str, rule: str, before: object = None, after: object = None, msg: str = "") -> None:
        self.rows.append((pos, column, rule, before, after, msg))

    def add_events(self, column: str, events: pd.DataFrame, rule_override: str | None = None) -> None:
        for e in events.itertuples(index=False):
            self.rows.append((int(e.index), column, rule_override or e.rule, e.before, e.after, e.message))

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=["pos", "column", "rule", "before", "after", "message"])
        frame["action"] = frame["rule"].map(lambda r: RULES[r][0])
        return frame


def _read_inputs(paths: list[Path]) -> tuple[pd.DataFrame, list[dict[str, object]], int]:
    """Every table of every input. Inputs are named ``file-1``, ``file-2`` … in the order given and their
    sheets ``sheet-1``, ``sheet-2`` … in workbook order (a CSV file has no sheet): names of files and sheets
    can hold identifiers, and never reach an output."""
    frames, files, blank = [], [], 0
    for number, path in enumerate(paths, start=1):
        grids = read_grids(path)
        label = f"file-{number}"
        info: dict[str, object] = {
            "file": label,
            "sha256": sha256_of(path),
            "bytes": path.stat().st_size,
            "encoding": grids[0].encoding,
            "sheets": [],
            "sheets_skipped": [],
        }
        found = 0
        first_error: DataError | None = None
        for index, grid in enumerate(grids, start=1):
            sheet = f"sheet-{index}" if grid.sheet is not None else None
            if not any(any(c not in (None, "") for c in row) for row in grid.rows):
                info["sheets_skipped"].append({"sheet": sheet, "reason": "empty sheet", "hidden": grid.hidden})
                continue
            try:
                table = locate(grid)
            except NoHeaderFound as exc:
                first_error = first_error or exc
                skipped = {"sheet": sheet, "reason": "no registry header found", "hidden": grid.hidden}
                info["sheets_skipped"].append(skipped)
                continue
            found += 1
            records = table.records.copy()
            records["_file"] = label
            records["_sheet"] = sheet if sheet is not None else ""
            records["_typed"] = grid.widths is None
            if grid.widths is not None:
                width = len(grid.rows[table.header_rows[-1] - 1])
                short = (records["_width"] < width) & (records["_layout"] == "")
                long = (records["_width"] > width) & (records["_layout"] == "")
                records.loc[short, "_layout"] = "short_row"
                records.loc[long, "_layout"] = "long_row"
            for name, unit in table.units.items():
                records[f"_unit_{name}"] = unit
            frames.append(records)
            blank += table.blank_rows
            info["sheets"].append(
                {
                    "sheet": sheet,
                    "hidden": grid.hidden,
                    "header_rows": list(table.header_rows),
                    "rows_in": len(records),
                    "blank_rows": table.blank_rows,
                    "columns": sorted(set(table.mapping.values())),
                    "columns_ignored": table.ignored,
                    "units": table.units,
                }
            )
        if found == 0:
            if first_error is not None:
                raise first_error
            raise DataError("every sheet is empty; export the registry again.", file=path.name)
        if sum(s["rows_in"] for s in info["sheets"]) == 0:
            raise DataError(
                "the file has a header but no data rows below it; export the registry with its records.",
                file=path.name,
            )
        files.append(info)
    data = pd.concat(frames, ignore_index=True, sort=False)
    return data, files, blank


def _column(data: pd.DataFrame, name: str) -> pd.Series:
    return data[name] if name in data else pd.Series([None] * len(data), index=data.index, dtype=object)


def clean(
    inputs: list[str | os.PathLike[str]] | str | os.PathLike[str],
    key: PseudonymKey,
    *,
    year: int | None = None,
    poverty_line: float | None = None,
) -> CleanResult:
    """Clean and de-identify registry exports.

    Parameters
    ----------
    inputs
        Export files (CSV, .xlsx, .xls). Raw files are only read, never written.
    key
        The pseudonym key (:func:`evalkit.io.pseudonym.load_key`).
    year
        Year the incomes refer to, when the export has no ``year`` (年度) column; enables the exit check.
    poverty_line
        Poverty line of that year in yuan; default: ``data/reference/poverty_lines.csv``.

    Raises
    ------
    DataError
        An input cannot be used at all (missing, empty, undecodable, no header, required columns missing,
        header only). Problems in single rows never raise: those rows are quarantined.
    """
    paths = [Path(p) for p in ([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs)]
    if not paths:
        raise DataError("no input files given.")
    data, files, blank = _read_inputs(paths)
    n = len(data)
    book = _Book()
    typed = data["_typed"].to_numpy(dtype=bool)

    # 1. layout rows
    layout = data["_layout"].fillna("")
    for pos in np.flatnonzero(layout.to_numpy() != ""):
        book.add(int(pos), "", layout.iat[pos])
    record = layout.to_numpy() == ""
    rec = data.loc[record]

    # 2. values, column by column (only on record rows); an identifier typed into a number, date or code
    # column would otherwise be kept as a value (a phone read as an income)
    scrub = Scrubber.from_columns(data, IDENTIFIERS)
    for col, kind in KINDS.items():
        if col in rec and kind not in ("identifier", "text", "key"):
            for pos in rec.index[scrub.finds_each(rec[col])]:
                book.add(int(pos), col, "identifier_in_cell", msg=f"{col}: {RULES['identifier_in_cell'][1]}")
    clean_values: dict[str, pd.Series] = {}
    for col in ("household_id", "person_id"):
        result = cleaners.to_key(
            _column(rec, col), what="household number" if col == "household_id" else "person number"
        )
        book.add_events(col, result.events)
        clean_values[col] = result.values
        for pos in result.values.index[result.values.isna()]:
            if not ((result.events["index"] == pos) & (result.events["outcome"] == "invalid")).any():
                book.add(int(pos), col, "key_missing", msg=f"the {col.replace('_', ' ')} is empty")
    for col in (
        "township",
        "village",
        *(c for c, k in KINDS.items() if k == "text" and c not in ("township", "village")),
    ):
        if col not in rec and col not in ("township", "village"):
            continue
        result = cleaners.to_text(_column(rec, col))
        book.add_events(col, result.events)
        clean_values[col] = result.values
    for pos in clean_values["village"].index[clean_values["village"].isna()]:
        book.add(int(pos), "village", "required_missing", msg="the village (行政村) is empty")
    for col, kind in KINDS.items():
        if col not in rec or kind not in ("code", "flag", "date", "int", "year", "money", "months"):
            continue
        raw = rec[col]
        if kind in ("code", "flag"):
            result = cleaners.to_code(raw, code_map(col), what=col.replace("_", " "))
        elif kind == "date":
            result = cleaners.to_date(raw)
        elif kind == "int":
            result = cleaners.to_integer(raw, low=1, high=30, what="household size")
        elif kind == "year":
            result = cleaners.to_year(raw)
        else:
            result = cleaners.to_number(raw, typed=False)
            if typed.any():
                spreadsheet = pd.Series(typed[record], index=rec.index)
                typed_result = cleaners.to_number(raw.loc[spreadsheet], typed=True)
                events = pd.concat(
                    [result.events.loc[~result.events["index"].isin(raw.index[spreadsheet])], typed_result.events]
                )
                result = cleaners.Cleaned(result.values, events.sort_values("index", kind="stable"))
            unit_col = f"_unit_{col}"
            if unit_col in rec:
                scaled_rows = rec[unit_col].fillna(1).astype(int) != 1
                values = result.values.copy()
                scaled = cleaners.scale(values.loc[scaled_rows], 10_000)
                values.loc[scaled_rows] = scaled.values
                book.add_events(col, scaled.events)
                result = cleaners.Cleaned(values, result.events)
        book.add_events(col, result.events)
        clean_values[col] = result.values
    if "relation" in clean_values:
        empty = rec["relation"].map(lambda v: v is None or str(v).strip() == "").astype(bool)
        missing_rel = clean_values["relation"].isna() & empty
        for pos in missing_rel.index[missing_rel]:
            book.add(int(pos), "relation", "required_missing", msg="the relation to the head (与户主关系) is empty")
    for col in [c for c, k in KINDS.items() if k == "flag" and c in clean_values]:
        clean_values[col] = clean_values[col].map({"true": True, "false": False})

    # 3. ID numbers: checked, never shown
    id_valid = pd.Series(False, index=rec.index)
    id_norm = pd.Series(None, index=rec.index, dtype=object)
    birth_id = pd.Series(None, index=rec.index, dtype=object)
    sex_id = pd.Series(None, index=rec.index, dtype=object)
    if "id_number" in rec:
        text = cleaners.to_text(rec["id_number"])
        book.add_events("id_number", text.events)
        valid, norm, birth, sex = [], [], [], []  # one pass, assigned once (cell-by-cell writes were the cost)
        for pos, raw_value, cleaned in zip(rec.index, rec["id_number"], text.values.reindex(rec.index), strict=True):
            check = check_id(raw_value if isinstance(raw_value, float) else cleaned)
            valid.append(check.valid)
            norm.append(check.normalized if check.valid else None)
            birth.append(check.birth_date.isoformat() if check.valid else None)
            sex.append(check.sex if check.valid else None)
            if check.valid:
                for rule in check.corrections:
                    book.add(int(pos), "id_number", rule)
            elif check.problem == "id_missing":
                book.add(int(pos), "id_number", "id_missing")
            else:
                book.add(int(pos), "id_number", check.problem, msg=ID_PROBLEMS[check.problem])
        id_valid = pd.Series(valid, index=rec.index, dtype=bool)
        id_norm = pd.Series(norm, index=rec.index, dtype=object)
        birth_id = pd.Series(birth, index=rec.index, dtype=object)
        sex_id = pd.Series(sex, index=rec.index, dtype=object)
    clean_values["sex_from_id"] = sex_id
    clean_values["birth_date_from_id"] = birth_id

    events = book.frame()
    quarantined = np.zeros(n, dtype=bool)
    quarantined[events.loc[events["action"] == "quarantine", "pos"].to_numpy(dtype=int)] = True

    # 4. duplicates among rows still in
    values = pd.DataFrame(clean_values, index=rec.index)
    alive = values.loc[~quarantined[values.index]]
    compare = [c for c in values.columns if c not in ("sex_from_id", "birth_date_from_id")]
    keyed = alive[compare].assign(_id=id_norm.loc[alive.index])
    group = keyed.groupby(list(keyed.columns), dropna=False, sort=False).ngroup()
    first_of = pd.Series(alive.index, index=alive.index).groupby(group).transform("first")
    for pos in alive.index[first_of.to_numpy() != alive.index.to_numpy()]:
        book.add(int(pos), "", "duplicate_row", msg=f"same as source row {int(data.at[first_of.at[pos], '_row'])}")
    alive = alive.loc[first_of.to_numpy() == alive.index.to_numpy()]
    hh_of_id = pd.DataFrame({"id": id_norm.loc[alive.index], "hh": alive["household_id"]}).dropna()
    spread = hh_of_id.groupby("id")["hh"].transform("nunique")
    for pos in spread.index[spread > 1]:
        book.add(
            int(pos), "id_number", "person_in_two_households", msg="the same ID number appears in another household"
        )
    pid = alive[["household_id", "person_id"]].dropna()
    twice = pid.duplicated(keep=False)
    for pos in pid.index[twice]:
        book.add(
            int(pos), "person_id", "duplicate_person_id", msg="another row of this household has the same person number"
        )
    villages = alive[["household_id", "village"]].dropna().groupby("household_id")["village"].transform("nunique")
    for pos in villages.index[villages > 1]:
        book.add(
            int(pos),
            "household_id",
            "household_in_two_villages",
            msg="this household number is also listed in another village",
        )

    events = book.frame()
    quarantined = np.zeros(n, dtype=bool)
    quarantined[events.loc[events["action"] == "quarantine", "pos"].to_numpy(dtype=int)] = True

    # 5. pseudonyms
    person_source = id_norm.where(id_valid)
    person_key = pd.Series(pseudonymize(person_source, key, "person"), index=rec.index, dtype=object)
    fallback = pd.Series(pseudonymize(values["person_id"], key, "person_id"), index=rec.index, dtype=object)
    person_key = person_key.fillna(fallback)
    household_key = pd.Series(pseudonymize(values["household_id"], key, "household"), index=rec.index, dtype=object)
    values["person_key"] = person_key
    values["household_key"] = household_key

    kept_index = values.index[~quarantined[values.index]]
    kept = values.loc[kept_index]

    # 6. member-level and household-level checks (flags) on kept rows
    _member_flags(book, kept)
    # persons listed per household in the input, kept or not (exact copies counted once)
    listed = pd.DataFrame({"hh": clean_values["household_id"], "pid": clean_values["person_id"]}).dropna()
    member_rows = listed.drop_duplicates().groupby("hh").size()
    households, line_info = _household_checks(book, kept, member_rows, year, poverty_line)

    # 7. assemble; every text written goes through one scrubber
    events = book.frame()
    log = scrub.frame(_log_frame(events, data))
    quarantine = _quarantine_frame(events, data, values)
    body = quarantine.drop(columns=_KEYS)
    scrubbed = scrub.frame(body)
    # evalkit's own column names are not data: a value that happens to be part of one (a name "ownship")
    # must not redact "township" out of the table
    scrubbed.columns = [
        c if c in KINDS or c in _QUARANTINE_NAMES else s for c, s in zip(body.columns, scrubbed.columns, strict=True)
    ]
    quarantine = scrubbed.join(quarantine[_KEYS])[quarantine.columns]
    corrected_rows = set(events.loc[events["action"] == "corrected", "pos"]) - set(quarantine["_pos"])
    flagged_rows = set(events.loc[events["action"] == "flag", "pos"]) - set(quarantine["_pos"])
    quarantine = quarantine.drop(columns="_pos")
    members = kept.assign(
        source_file=data.loc[kept.index, "_file"],
        source_sheet=data.loc[kept.index, "_sheet"],
        source_row=data.loc[kept.index, "_row"],
        corrected=[int(i) in corrected_rows for i in kept.index],
        flagged=[int(i) in flagged_rows for i in kept.index],
    )
    member_cols = ["household_key", "person_key", *[c for c in _MEMBER_FIELDS if c in members]]
    member_cols += [c for c in _HOUSEHOLD_FIELDS if c in members]
    members = members[[*member_cols, "corrected", "flagged", "source_file", "source_sheet", "source_row"]]
    members = members.reset_index(drop=True)
    text = [c for c in members.columns if c not in _KEYS]
    members = scrub.frame(members[text]).join(members[_KEYS])[members.columns]
    text = [c for c in households.columns if c != "household_key"]
    households = scrub.frame(households[text]).join(households[["household_key"]])[households.columns]
    for info in files:
        for sheet in info["sheets"]:
            sheet["columns_ignored"] = [scrub(c) for c in sheet["columns_ignored"]]

    rows_in = n
    rows_quarantined = int(quarantined.sum())
    summary = {
        "evalkit_clean": 1,
        "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "rows_in": rows_in,
        "rows_kept": rows_in - rows_quarantined,
        "rows_corrected": len(corrected_rows),
        "rows_unchanged": rows_in - rows_quarantined - len(corrected_rows),
        "rows_quarantined": rows_quarantined,
        "rows_flagged": len(flagged_rows),
        "blank_rows_skipped": blank,
        "households_kept": int(households["household_key"].nunique()),
        "persons_kept": int(members["person_key"].nunique()),
        "files": files,
        "quarantine_reasons": _count(events, "quarantine"),
        "corrections": _count(events, "corrected", rows=False),
        "flags": _count(events, "flag"),
        "checks_not_run": _not_run(data),
        "exit_check": line_info,
        "identifiers_dropped": [c for c in IDENTIFIERS if c in data],
        "pseudonyms": f"HMAC-SHA256 with the key from {key.source} (the key and its file are never recorded)",
        "key_fingerprint": key.fingerprint,
    }
    if summary["rows_kept"] + summary["rows_quarantined"] != summary["rows_in"]:  # pragma: no cover - invariant
        raise AssertionError("row accounting does not balance")
    return CleanResult(members, households, quarantine, log, summary)


def _count(events: pd.DataFrame, action: str, *, rows: bool = True) -> dict[str, int]:
    sub = events.loc[events["action"] == action]
    if rows:
        sub = sub.drop_duplicates(["pos", "rule"])
    return {str(k): int(v) for k, v in sub["rule"].value_counts().sort_index().items()}


def _not_run(data: pd.DataFrame) -> list[str]:
    needs = {
        "ID number checks and derived birth date and sex": ["id_number"],
        "household size against member rows": ["household_size"],
        "income components against net income": ["net_income", *_COMPONENTS],
        "cause of poverty against members": ["main_cause", "health", "schooling"],
        "head and spouse of the same sex": ["sex"],
        "months of work in 0-12": ["work_months"],
        "exit criteria in the exit year": ["exit_year", "income_pc"],
    }
    return [check for check, cols in needs.items() if not all(c in data for c in cols)]


def _member_flags(book: _Book, kept: pd.DataFrame) -> None:
    if "sex" in kept:
        differs = kept["sex"].notna() & kept["sex_from_id"].notna() & (kept["sex"] != kept["sex_from_id"])
        for pos in kept.index[differs]:
            book.add(int(pos), "sex", "sex_differs_from_id")
    if "birth_date" in kept:
        b, i = kept["birth_date"], kept["birth_date_from_id"]
        differs = b.notna() & i.notna() & (b != i)
        for pos in kept.index[differs]:
            book.add(int(pos), "birth_date", "birth_date_differs_from_id")
    if "work_months" in kept:
        months = kept["work_months"]
        bad = months.notna() & ((months < 0) | (months > 12))
        for pos in kept.index[bad]:
            book.add(int(pos), "work_months", "work_months_out_of_range", before=months.at[pos])


def _household_checks(
    book: _Book, kept: pd.DataFrame, member_rows: pd.Series, year: int | None, poverty_line: float | None
) -> tuple[pd.DataFrame, dict[str, object]]:
    """One row per household (the head's values first) and household-level flags on all its rows."""
    is_head = kept["relation"].eq("head") if "relation" in kept else pd.Series(False, index=kept.index)
    ordered = kept.assign(_head=~is_head.to_numpy()).sort_values(["household_key", "_head"], kind="stable")
    fields = [c for c in _HOUSEHOLD_FIELDS if c in kept]
    households = ordered.groupby("household_key", sort=True)[fields].first()
    households["members_kept"] = kept.groupby("household_key").size()
    hid = kept.groupby("household_key")["household_id"].first()
    households["member_rows_in"] = member_rows.reindex(hid.loc[households.index].to_numpy()).to_numpy()

    def flag(mask: pd.Series, rule: str, column: str = "") -> None:
        bad = set(mask.index[mask.fillna(False).astype(bool)])
        for pos in kept.index[kept["household_key"].isin(bad)]:
            book.add(int(pos), column, rule)

    for col in fields:
        conflict = kept.groupby("household_key")[col].nunique(dropna=True) > 1
        flag(conflict, "household_field_conflict", col)
    if "household_size" in households:
        flag(
            households["household_size"].notna() & (households["household_size"] != households["member_rows_in"]),
            "household_size_mismatch",
            "household_size",
        )
    heads = is_head.groupby(kept["household_key"]).sum()
    flag(heads != 1, "no_single_head", "relation")
    if "sex" in kept:
        head_sex = kept.loc[is_head].groupby("household_key")["sex"].first()
        spouse = kept.loc[kept["relation"].eq("spouse")]
        same = spouse.assign(h=spouse["household_key"].map(head_sex))
        same = same.loc[same["sex"].notna() & (same["sex"] == same["h"]), "household_key"]
        flag(pd.Series(True, index=pd.Index(same.unique())), "head_spouse_same_sex", "sex")
    if all(c in households for c in _COMPONENTS):
        total = households[_COMPONENTS].sum(axis=1, min_count=4)
        if "net_income" in households:
            gap = (households["net_income"] - total).abs()
            flag(
                gap > np.maximum(1.0, 0.005 * households["net_income"].abs()),
                "income_components_mismatch",
                "net_income",
            )
            if "income_pc" in households and "household_size" in households:
                per = households["net_income"] / households["household_size"].astype(float)
                flag(
                    (households["income_pc"] - per).abs() > np.maximum(1.0, 0.005 * per.abs()),
                    "income_per_capita_mismatch",
                    "income_pc",
                )
        elif "income_pc" in households and "household_size" in households:
            per = total / households["household_size"].astype(float)
            flag(
                (households["income_pc"] - per).abs() > np.maximum(1.0, 0.005 * per.abs()),
                "income_components_mismatch",
                "income_pc",
            )
    if "income_pc" in households:
        flag((households["income_pc"] <= 0) | (households["income_pc"] > 100_000), "implausible_income", "income_pc")
    if "main_cause" in households:
        cause = households["main_cause"]
        if "health" in kept:
            sick = kept["health"].isin(_SICK).groupby(kept["household_key"]).any()
            flag(cause.eq("illness") & ~sick, "cause_illness_no_sick_member", "main_cause")
        if "schooling" in kept:
            in_school = kept["schooling"].isin(["compulsory", "upper_secondary", "tertiary", "preschool"])
            student = in_school.groupby(kept["household_key"]).any()
            flag(cause.eq("schooling") & ~student, "cause_schooling_no_student", "main_cause")
        if "health" in kept or "disabled" in kept:
            dis = pd.Series(False, index=households.index)
            if "health" in kept:
                dis |= kept["health"].eq("disabled").groupby(kept["household_key"]).any()
            if "disabled" in kept:
                dis |= kept["disabled"].eq(True).groupby(kept["household_key"]).any()
            flag(cause.eq("disability") & ~dis, "cause_disability_no_disabled_member", "main_cause")
    if "labour_ability" in kept and "wage_income" in households:
        workers = kept["labour_ability"].isin(["able", "weak"]).groupby(kept["household_key"]).any()
        flag((households["wage_income"] > 0) & ~workers, "wage_without_worker", "wage_income")

    info: dict[str, object] = {"run": False}
    if "exit_year" in households and "income_pc" in households:
        data_year = (
            households["year"] if "year" in households else pd.Series(year, index=households.index, dtype="Int64")
        )
        if year is not None:
            data_year = data_year.fillna(year)
        years = sorted({int(y) for y in data_year.dropna()})
        if years:
            # only sourced lines: an interpolated line must be given explicitly (--poverty-line)
            sourced = poverty_lines()
            line_of = {y: poverty_line if poverty_line is not None else sourced.get(y) for y in years}
            checked = {y: float(v) for y, v in line_of.items() if v is not None}
            line = data_year.map(checked).astype(float)
            below = households["exit_year"].eq(data_year) & (households["income_pc"] < line)
            flag(below, "exit_below_line", "income_pc")
            info = {
                "run": bool(checked),
                "years": years,
                "lines": {str(y): v for y, v in checked.items()},
                "line_source": "given (--poverty-line)"
                if poverty_line is not None
                else "data/reference/poverty_lines.csv",
                "years_without_sourced_line": [y for y in years if y not in checked],
            }
    out = households.reset_index()
    return out, info


#: pseudonym columns: written by evalkit, never scrubbed
_KEYS = ["household_key", "person_key"]


def _log_frame(events: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    pos = events["pos"].to_numpy(dtype=int)
    secret = events["column"].isin(IDENTIFIERS).to_numpy()
    before = np.where(secret & events["before"].notna().to_numpy(), REDACTED, events["before"].astype(object))
    after = np.where(secret & events["after"].notna().to_numpy(), REDACTED, events["after"].astype(object))
    log = pd.DataFrame(
        {
            "source_file": data["_file"].to_numpy()[pos],
            "source_sheet": data["_sheet"].to_numpy()[pos],
            "source_row": data["_row"].to_numpy()[pos],
            "column": events["column"].to_numpy(),
            "rule": events["rule"].to_numpy(),
            "action": events["action"].to_numpy(),
            "before": before,
            "after": after,
            "message": [m or RULES[r][1] for m, r in zip(events["message"], events["rule"], strict=True)],
        }
    )
    order = np.lexsort(
        (
            log["column"].astype(str),
            log["source_row"].to_numpy(),
            log["source_sheet"].astype(str),
            log["source_file"].astype(str),
        )
    )
    return log.iloc[order].reset_index(drop=True)[LOG_COLUMNS]


#: The quarantine table's own bookkeeping columns.
_QUARANTINE_NAMES = frozenset({"_pos", "source_file", "source_sheet", "source_row", "reasons", "messages"})


def _quarantine_frame(events: pd.DataFrame, data: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    q = events.loc[events["action"] == "quarantine"]
    grouped = q.groupby("pos", sort=True)
    rows = []
    shown = [
        c
        for c in data.columns
        if not c.startswith("_") and c not in IDENTIFIERS and c not in ("household_id", "person_id")
    ]
    for pos, group in grouped:
        pos = int(pos)
        record = {
            "_pos": pos,
            "source_file": data.at[pos, "_file"],
            "source_sheet": data.at[pos, "_sheet"],
            "source_row": int(data.at[pos, "_row"]),
            "household_key": values.at[pos, "household_key"] if pos in values.index else None,
            "person_key": values.at[pos, "person_key"] if pos in values.index else None,
            "reasons": ";".join(dict.fromkeys(group["rule"])),
            "messages": " | ".join(
                dict.fromkeys(
                    (f"{c}: " if c else "") + (m or RULES[r][1])
                    for c, r, m in zip(group["column"], group["rule"], group["message"], strict=True)
                )
            ),
        }
        for col in shown:
            record[col] = _show(data.at[pos, col])
        rows.append(record)
    frame = pd.DataFrame(
        rows,
        columns=[
            "_pos",
            "source_file",
            "source_sheet",
            "source_row",
            "household_key",
            "person_key",
            "reasons",
            "messages",
            *shown,
        ],
    )
    return frame


def _show(value: object) -> str | None:
    """A raw cell as the user would read it in the spreadsheet."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def rule_table() -> pd.DataFrame:
    """Every rule: action and meaning (for the data-quality report)."""
    return pd.DataFrame(
        [(r, a, en, zh) for r, (a, en, zh) in RULES.items()], columns=["rule", "action", "meaning_en", "meaning_zh"]
    )
