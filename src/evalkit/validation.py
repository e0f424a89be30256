"""Validate a frame against a pandera schema and report every failure at once.

Failures are turned into one :class:`~evalkit.errors.DataError` whose message
lists each failing cell as ``row N, column C: <check> failed for value V``, with
``N`` the line number in the source file (the header is line 1), so a user can
open the file and fix it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit.errors import DataError

__all__ = ["validate_frame", "read_csv_validated", "csv_line"]

_MAX_LISTED = 50


def csv_line(index: object) -> int | None:
    """Map a default RangeIndex label to its line in the CSV file (header = 1)."""
    try:
        return int(index) + 2  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def validate_frame(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    *,
    file: str,
    hint: str,
    error: type[DataError] = DataError,
) -> pd.DataFrame:
    """Validate ``frame`` lazily; raise ``error`` listing every failing row and column.

    Parameters
    ----------
    frame
        Data as read (default RangeIndex, so rows map back to file lines).
    schema
        The pandera schema.
    file
        File name shown in the message.
    hint
        How to fix the file, appended to the message.
    error
        Exception class to raise (a :class:`DataError` subclass).

    Returns
    -------
    pandas.DataFrame
        The validated (and, where the schema says so, coerced) frame.
    """
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for case in cases.itertuples(index=False):
            line = csv_line(case.index)
            where = f"row {line}" if line is not None else "whole column"
            column = case.column if isinstance(case.column, str) else "(table)"
            lines.append(f"  {where}, column {column!r}: expected {case.check}, got {case.failure_case!r}")
        shown = lines[:_MAX_LISTED]
        more = len(lines) - len(shown)
        body = "\n".join(shown) + (f"\n  ... and {more} more" if more else "")
        first = cases.iloc[0]
        raise error(
            f"{len(lines)} problem(s) found:\n{body}\nHow to fix: {hint}",
            file=file,
            row=csv_line(first["index"]),
            column=first["column"] if isinstance(first["column"], str) else None,
        ) from None


def read_csv_validated(
    path: Path,
    schema: pa.DataFrameSchema,
    *,
    hint: str,
    error: type[DataError] = DataError,
) -> pd.DataFrame:
    """Read a UTF-8 CSV file as text and validate (and coerce) it with :func:`validate_frame`.

    Every cell is read as a string (empty cells as missing) so that the schema,
    not pandas' type guessing, decides what a column must hold.
    """
    if not path.is_file():
        raise error(f"file not found; expected it at {path}. {hint}", file=str(path))
    try:
        frame = pd.read_csv(path, encoding="utf-8", dtype=str, keep_default_na=False, na_values=[""])
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise error(f"cannot be read as UTF-8 CSV ({exc}). {hint}", file=path.name) from None
    return validate_frame(frame, schema, file=path.name, hint=hint, error=error)
