"""Find the table in a grid: title rows, one- or two-row headers, totals, notes.

Registry exports put a title above the header (``XX县建档立卡贫困人口明细表``),
sometimes a two-row header whose upper row groups columns (``收入情况`` over
``工资性收入 | 生产经营性收入 | …``), merged cells, subtotal and total rows
(``合计``, ``小计``), repeated headers, and notes under the table (``注：``,
``填表人：``). :func:`locate` finds the header as the row (or pair of rows) whose
cells match the most known column names, maps each column to its canonical
name, and classifies every body row.

Every non-blank row below the header becomes an input row: a record, or a
layout row (total, note, repeated header) that the cleaner quarantines with its
reason. Entirely blank rows hold no data and are only counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evalkit.errors import DataError
from evalkit.io.columns import REQUIRED, aliases, columns, header_key, normalize_text
from evalkit.io.sheets import Grid

__all__ = ["Table", "locate", "NoHeaderFound", "HEADER_SCAN_ROWS", "MIN_HEADER_MATCHES"]

HEADER_SCAN_ROWS = 30
MIN_HEADER_MATCHES = 3
_TOTAL_WORDS = ("合计", "小计", "总计", "总数", "total", "subtotal")
_NOTE_PREFIXES = (
    "注",
    "说明",
    "备注",
    "填表",
    "制表",
    "审核",
    "填报",
    "数据来源",
    "负责人",
    "联系人",
    "note",
    "source",
)


class NoHeaderFound(DataError):
    """No row of a sheet looks like a registry header."""


@dataclass
class Table:
    """The table found in one grid.

    Attributes
    ----------
    grid
        The source grid.
    header_rows
        File row numbers of the header (one or two).
    mapping
        Grid column index → canonical column, for recognized columns.
    units
        Canonical column → multiplier declared in its header (万元 → 10,000).
    ignored
        Header texts of columns evalkit does not know (never written out).
    records
        Canonical columns (raw cell values) plus ``_row`` (file row number) and ``_layout``
        (``""`` for a record, else ``total_row``, ``note_row`` or ``repeated_header``) and ``_width``.
    blank_rows
        Number of entirely blank rows below the header.
    """

    grid: Grid
    header_rows: tuple[int, ...]
    mapping: dict[int, str]
    units: dict[str, int]
    ignored: list[str]
    records: pd.DataFrame = field(repr=False)
    blank_rows: int = 0


def _text(value: object) -> str:
    return "" if value is None else normalize_text(str(value))


def _match(cells: list[object]) -> dict[int, tuple[str, int]]:
    known = aliases()
    out: dict[int, tuple[str, int]] = {}
    for j, cell in enumerate(cells):
        key, unit = header_key(cell)
        if key in known:
            out[j] = (known[key], unit)
    return out


def _combined(upper: list[object], lower: list[object]) -> list[object]:
    width = max(len(upper), len(lower))
    up = upper + [None] * (width - len(upper))
    lo = lower + [None] * (width - len(lower))
    known = aliases()
    out: list[object] = []
    for u, v in zip(up, lo, strict=True):
        if header_key(v)[0] in known:
            out.append(v)
        elif header_key(u)[0] in known:
            out.append(u)
        else:
            out.append(v if _text(v) else u)
    return out


def _distinct(matches: dict[int, tuple[str, int]]) -> int:
    return len({name for name, _ in matches.values()})


def locate(grid: Grid) -> Table:
    """Find the header and classify the rows of one grid.

    Raises
    ------
    NoHeaderFound
        No row matches at least :data:`MIN_HEADER_MATCHES` known column names.
    DataError
        Two columns map to the same canonical column, or required columns are missing.
    """
    rows = grid.rows
    # rank: most columns named; then a two-row header whose upper row is itself header-like (cells merged
    # down over both rows) over the lower row alone; then the single row
    best: tuple[int, int, int, int] | None = None  # (score, upper row is header-like, -height, start)
    scores = [_distinct(_match(rows[i])) for i in range(min(HEADER_SCAN_ROWS + 1, len(rows)))]
    for i in range(min(HEADER_SCAN_ROWS, len(rows))):
        candidates = [(scores[i], 0, -1, i)]
        if i + 1 < len(rows):
            two = _distinct(_match(_combined(rows[i], rows[i + 1])))
            both = scores[i] >= MIN_HEADER_MATCHES and scores[i + 1] >= MIN_HEADER_MATCHES
            candidates.append((two, int(both), -2, i))
        for cand in candidates:
            if best is None or cand[:3] > best[:3]:
                best = cand
    if best is None or best[0] < MIN_HEADER_MATCHES:
        seen = max(rows[:HEADER_SCAN_ROWS], key=lambda r: sum(bool(_text(c)) for c in r), default=[])
        seen_text = ", ".join(repr(_text(c)) for c in seen if _text(c))[:300]
        expected = ", ".join(
            f"{c} ({a.split('|')[0]})"
            for c, a in zip(columns()["column"], columns()["aliases"], strict=True)
            if c in REQUIRED
        )
        raise NoHeaderFound(
            f"no header row found in the first {HEADER_SCAN_ROWS} rows: no row names at least "
            f"{MIN_HEADER_MATCHES} registry columns. The fullest row reads: {seen_text or '(nothing)'}. "
            f"Expected a registry export with columns such as {expected}; if this file is a different "
            "kind of table, leave it out, or add its column names as aliases in data/reference/registry_columns.csv.",
            file=grid.where,
        )
    _, _, neg_height, start = best
    height = -neg_height
    header = rows[start] if height == 1 else _combined(rows[start], rows[start + 1])
    matches = _match(header)
    by_name: dict[str, list[int]] = {}
    for j, (name, _) in matches.items():
        by_name.setdefault(name, []).append(j)
    doubled = {name: js for name, js in by_name.items() if len(js) > 1}
    if doubled:
        detail = "; ".join(
            f"{name}: columns {', '.join(repr(_text(header[j])) for j in js)}" for name, js in doubled.items()
        )
        raise DataError(
            f"two columns mean the same thing ({detail}); keep one of them in the export.",
            file=grid.where,
            row=start + height,
        )
    missing = [c for c in REQUIRED if c not in by_name]
    if missing:
        names = columns().set_index("column")["aliases"]
        raise DataError(
            "required columns are missing: "
            + ", ".join(f"{c} (e.g. {names[c].split('|')[0]})" for c in missing)
            + "; export them from the registry system, or add the file's own header text as an alias in "
            "data/reference/registry_columns.csv.",
            file=grid.where,
            row=start + height,
        )
    mapping = {j: name for j, (name, _) in matches.items()}
    units = {name: unit for name, unit in matches.values() if unit != 1}
    ignored = [_text(c) for j, c in enumerate(header) if j not in mapping and _text(c)]
    header_keys = {header_key(c)[0] for c in header if _text(c)}

    body_start = start + height
    records: list[dict[str, object]] = []
    blank = 0
    texts_of: dict[tuple[type, object], str] = {}  # a body repeats its cells: each distinct one read once
    in_header: dict[str, bool] = {}
    for i in range(body_start, len(rows)):
        row = rows[i]
        filled = []
        for c in row:
            try:
                t = texts_of[(type(c), c)]
            except KeyError:
                t = texts_of[(type(c), c)] = _text(c)
            except TypeError:
                t = _text(c)
            if t:
                filled.append(t)
        if not filled:
            blank += 1
            continue
        record: dict[str, object] = {name: (row[j] if j < len(row) else None) for j, name in mapping.items()}
        record["_row"] = i + 1
        record["_width"] = grid.widths[i] if grid.widths is not None else len(header)
        record["_layout"] = _layout(filled, header_keys, in_header)
        records.append(record)
    frame = pd.DataFrame(records, columns=[*mapping.values(), "_row", "_width", "_layout"])
    return Table(
        grid=grid,
        header_rows=tuple(range(start + 1, start + height + 1)),
        mapping=mapping,
        units=units,
        ignored=ignored,
        records=frame,
        blank_rows=blank,
    )


def _layout(filled: list[str], header_keys: set[str], in_header: dict[str, bool]) -> str:
    """What a body row is: a repeated header, a totals row, a note, or a record (""). ``in_header`` caches
    whether a cell's text is one of the header's names."""
    lowered = [t.lower().replace(" ", "") for t in filled]
    named = 0
    for t in filled:
        if t not in in_header:
            in_header[t] = header_key(t)[0] in header_keys
        named += in_header[t]
    if named >= max(MIN_HEADER_MATCHES, len(filled) // 2 + 1):
        return "repeated_header"
    if any(t.startswith(_TOTAL_WORDS) for t in lowered):
        return "total_row"
    if len(filled) <= 2 and lowered[0].startswith(_NOTE_PREFIXES):
        return "note_row"
    return ""
