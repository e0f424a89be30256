"""Tables written for spreadsheets: readable in Excel, and never run as formulas.

Every CSV file evalkit writes goes through :func:`write_csv`:

* it is UTF-8 with a byte-order mark, so Excel shows Chinese text instead of garbled characters;
* a text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return, as OWASP's guidance on CSV injection lists) is written with a leading apostrophe, so
  Excel shows it as text and runs nothing; a number written as text (``-12``, ``+3.5``) is left alone,
  since a spreadsheet reads it as the number it is. The text stays readable, and the apostrophe says a cell
  was neutralised.

Examples
--------
>>> neutralize("=HYPERLINK(\\"http://x\\")"), neutralize("+cmd|' /C calc'!A0"), neutralize("-12"), neutralize("后峪")
('\\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", '-12', '后峪')
>>> neutralize("\\t=1+1")
"'\\t=1+1"
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

__all__ = ["ENCODING", "neutralize", "safe_frame", "write_csv", "read_csv"]

#: Encoding of every table evalkit writes: UTF-8 with a byte-order mark.
ENCODING = "utf-8-sig"

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralize(value: object) -> object:
    """``value`` made safe to open in a spreadsheet (see the module docstring); non-text is returned as is."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`neutralize` d."""
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: a table may repeat a column name
        column = out.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.iloc[:, i] = column.map(neutralize)
    out.columns = [neutralize(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` (without its index) as a CSV file safe to open in a spreadsheet; return the path."""
    target = Path(path)
    safe_frame(frame).to_csv(target, index=False, encoding=ENCODING)
    return target


def read_csv(path: str | os.PathLike[str], **options: object) -> pd.DataFrame:
    """Read a CSV file evalkit wrote (the byte-order mark is skipped; ``options`` go to pandas)."""
    return pd.read_csv(path, encoding=ENCODING, **options)
