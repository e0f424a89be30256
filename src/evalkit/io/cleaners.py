"""Cleaning verbs: each takes a column of raw cell values and returns a new one plus what it did.

Every verb is pure. It returns a :class:`Cleaned`: the new values, and an
``events`` frame with one row per cell it changed (``outcome = "corrected"``,
with the rule, the value before and after) or could not clean
(``outcome = "invalid"``, with the rule and a message saying what was
expected). The caller decides what an invalid cell means for its row.

Examples
--------
>>> import pandas as pd
>>> out = to_number(pd.Series(["１,２３４.５", "3.2万", "  12元", "abc", "7", None]))
>>> out.values.tolist()
[1234.5, 32000.0, 12.0, nan, 7.0, nan]
>>> out.events[["index", "rule", "outcome"]].values.tolist()
[[0, 'fullwidth', 'corrected'], [0, 'number_format', 'corrected'], [1, 'wan_to_yuan', 'corrected'], [2, 'whitespace', 'corrected'], [2, 'number_format', 'corrected'], [3, 'bad_number', 'invalid']]
>>> to_date(pd.Series([42430, "2016年3月5日", "2016/3/5", "1990-13-01"])).values.tolist()
['2016-03-01', '2016-03-05', '2016-03-05', None]
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.io.columns import normalize_text
from evalkit.io.distinct import each_distinct

__all__ = [
    "Cleaned",
    "to_text",
    "to_number",
    "to_integer",
    "to_year",
    "to_date",
    "to_code",
    "to_key",
    "scale",
    "EVENT_COLUMNS",
]

EVENT_COLUMNS = ["index", "rule", "outcome", "before", "after", "message"]
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX = re.compile(r"[ T]00:00(:00)?$")


@dataclass(frozen=True)
class Cleaned:
    """New values and the events (one row per changed or invalid cell)."""

    values: pd.Series
    events: pd.DataFrame


class _Events:
    def __init__(self) -> None:
        self.rows: list[tuple[object, str, str, object, object, str]] = []

    def corrected(self, index: object, rule: str, before: object, after: object) -> None:
        self.rows.append((index, rule, "corrected", before, after, ""))

    def invalid(self, index: object, rule: str, before: object, message: str) -> None:
        self.rows.append((index, rule, "invalid", before, None, message))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=EVENT_COLUMNS)


def _per_distinct(values: pd.Series, cell: Callable[[object, _Events], object]) -> tuple[list[object], _Events]:
    """``cell`` applied to each distinct value of ``values`` once (:func:`~evalkit.io.distinct.each_distinct`),
    its result and events given to every row holding the value, in row order."""

    def once(value: object) -> tuple[object, list[tuple[object, str, str, object, object, str]]]:
        local = _Events()
        return cell(value, local), local.rows

    events = _Events()
    out: list[object] = []
    shared = each_distinct(values.to_numpy(dtype=object), once)  # not items(): slow on Arrow text
    for i, (result, logged) in zip(values.index, shared, strict=True):
        out.append(result)
        events.rows.extend((i, *row[1:]) for row in logged)
    return out, events


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _clean_text(index: object, value: object, events: _Events) -> str | None:
    """Text of a cell: full-width to half-width and whitespace (each logged); None when empty."""
    if _missing(value):
        return None
    raw = str(value)
    folded = normalize_text(raw)
    if folded != raw:
        stripped = " ".join(raw.split())
        if stripped != raw and normalize_text(stripped) == stripped:
            events.corrected(index, "whitespace", raw, folded)
        else:
            events.corrected(index, "fullwidth", raw, folded)
    return folded or None


def to_text(values: pd.Series) -> Cleaned:
    """Text cells normalized: full-width characters to half-width, stray whitespace removed."""
    out, events = _per_distinct(values, lambda v, ev: _clean_text(None, v, ev))
    return Cleaned(pd.Series(out, index=values.index, dtype=object), events.frame())


def _parse_number(index: object, value: object, events: _Events, typed: bool = False) -> float | None:
    if _missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = _clean_text(index, value, events)
    if text is None:
        return None
    compact = text.replace(",", "").replace(" ", "")
    multiplier = 1.0
    if compact.endswith("元"):
        compact = compact[:-1]
    reformatted = compact != text
    if compact.endswith("万"):
        compact, multiplier = compact[:-1], 10_000.0
    if not _NUMBER.match(compact):
        events.invalid(index, "bad_number", text, f"{text!r} is not a number (expected digits, e.g. 3250.5)")
        return None
    number = round(float(compact) * multiplier, 2)
    if multiplier != 1.0:
        events.corrected(index, "wan_to_yuan", text, number)
    elif reformatted:
        events.corrected(index, "number_format", text, number)
    elif typed:
        events.corrected(index, "number_as_text", text, number)
    return number


def to_number(values: pd.Series, *, typed: bool = False) -> Cleaned:
    """Numbers from cells: numeric cells as they are; text with thousands separators, 元 or 万 converted.

    ``typed``: the cells come from a spreadsheet, where digits stored as text are worth logging
    (in a CSV file every cell is text).
    """
    out, events = _per_distinct(values, lambda v, ev: _parse_number(None, v, ev, typed))
    return Cleaned(pd.Series(out, index=values.index, dtype=float), events.frame())


def scale(values: pd.Series, multiplier: int, rule: str = "wan_to_yuan") -> Cleaned:
    """Multiply every non-missing value (a column whose header declares 万元), logging each cell."""
    events = _Events()
    scaled = (values * multiplier).round(2)  # amounts in yuan and fen
    for i, v in values.items():
        if not pd.isna(v):
            events.corrected(i, rule, v, scaled.at[i])
    return Cleaned(scaled, events.frame())


def to_integer(values: pd.Series, *, low: int, high: int, what: str, typed: bool = False) -> Cleaned:
    """Whole numbers between ``low`` and ``high`` (text such as ``3人`` accepted)."""

    def cell(v: object, events: _Events) -> object:
        if isinstance(v, str):
            v = normalize_text(v).removesuffix("人").removesuffix("个").removesuffix("月")
        number = _parse_number(None, v, events, typed)
        if number is None:
            return pd.NA
        if number != int(number) or not low <= number <= high:
            events.invalid(None, "out_of_range", v, f"{what} must be a whole number from {low} to {high}, got {v!r}")
            return pd.NA
        return int(number)

    out, events = _per_distinct(values, cell)
    return Cleaned(pd.Series(out, index=values.index, dtype="Int64"), events.frame())


def _excel_serial(number: float) -> dt.date | None:
    if 1 <= number < 80_000 and number == int(number):
        return _EXCEL_EPOCH + dt.timedelta(days=int(number))
    return None


def _parse_date(index: object, value: object, events: _Events) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        day = _excel_serial(float(value))
        if day is None:
            events.invalid(index, "bad_date", value, f"{value!r} is not a date (expected e.g. 1980-03-05)")
            return None
        events.corrected(index, "excel_serial_date", value, day.isoformat())
        return day
    text = _clean_text(index, value, events)
    if text is None:
        return None
    text = _TIME_SUFFIX.sub("", text)
    if text.isdigit() and len(text) <= 5:
        day = _excel_serial(float(text))
        if day is not None:
            events.corrected(index, "excel_serial_date", text, day.isoformat())
            return day
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
            if day.isoformat() != text:
                events.corrected(index, "date_format", text, day.isoformat())
            return day
    events.invalid(index, "bad_date", text, f"{text!r} is not a date (expected e.g. 1980-03-05 or 1980年3月5日)")
    return None


def to_date(values: pd.Series) -> Cleaned:
    """ISO dates from date cells, Excel serial numbers and Chinese or slashed date text."""
    out, events = _per_distinct(values, lambda v, ev: _parse_date(None, v, ev))
    return Cleaned(
        pd.Series([d.isoformat() if d else None for d in out], index=values.index, dtype=object), events.frame()
    )


def to_year(values: pd.Series, *, low: int = 1990, high: int = 2035) -> Cleaned:
    """Years from numbers, ``2016年`` text or dates (the year is kept; logged)."""

    def cell(v: object, events: _Events) -> object:
        if isinstance(v, dt.date):
            events.corrected(None, "date_to_year", v.isoformat(), v.year)
            return v.year
        if isinstance(v, str):
            text = normalize_text(v)
            m = re.match(r"^(\d{4})(年|年度)?$", text) or re.match(r"^(\d{4})[-/.年]\d{1,2}", text)
            if m:
                if text != m.group(1):
                    events.corrected(None, "year_format", v, int(m.group(1)))
                v = int(m.group(1))
        number = _parse_number(None, v, events)
        if number is None:
            return pd.NA
        if number != int(number) or not low <= number <= high:
            events.invalid(None, "bad_year", v, f"expected a year from {low} to {high}, got {v!r}")
            return pd.NA
        return int(number)

    out, events = _per_distinct(values, cell)
    return Cleaned(pd.Series(out, index=values.index, dtype="Int64"), events.frame())


def to_code(values: pd.Series, mapping: dict[str, str], *, what: str) -> Cleaned:
    """Codes from labels (Chinese or English, any case); a label not in ``mapping`` is invalid."""
    accepted = sorted({k for k in mapping if not k.isascii()})[:12]

    def cell(v: object, events: _Events) -> object:
        if isinstance(v, float) and not math.isnan(v) and v == int(v):
            v = str(int(v))
        text = _clean_text(None, v, events)
        if text is None:
            return None
        code = mapping.get(text.lower())
        if code is None:
            events.invalid(
                None,
                "unknown_code",
                text,
                f"{text!r} is not a known {what} (accepted: {', '.join(accepted)} …; add the label to "
                "data/reference/registry_codes.csv if it is valid)",
            )
        return code

    out, events = _per_distinct(values, cell)
    return Cleaned(pd.Series(out, index=values.index, dtype=object), events.frame())


def to_key(values: pd.Series, *, what: str) -> Cleaned:
    """Registry numbers as text: a whole-number cell becomes its digits; a number Excel rounded is invalid."""

    def cell(v: object, events: _Events) -> object:
        if isinstance(v, (float, np.floating)) and not math.isnan(v):
            if v == int(v) and abs(v) < 1e15:  # .xls stores every number as a float; 15 digits are exact
                return str(int(v))
            events.invalid(None, "key_mangled_by_excel", v, f"the {what} was stored as a rounded number by Excel")
            return None
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(v)
        text = _clean_text(None, v, events)
        if text is not None and re.match(r"^\d(\.\d+)?[eE]\+?\d+$", text):
            events.invalid(None, "key_mangled_by_excel", text, f"the {what} was stored as a rounded number by Excel")
            text = None
        return text

    out, events = _per_distinct(values, cell)
    return Cleaned(pd.Series(out, index=values.index, dtype=object), events.frame())
