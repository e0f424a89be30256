"""Table styles for notebooks and their HTML exports."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["highlight_false"]


def highlight_false(frame: pd.DataFrame, column: str, colour: str = "#f8d7da") -> Styler:
    """Shade every row whose boolean ``column`` is False (e.g. an identity that fails)."""
    if column not in frame.columns:
        raise KeyError(f"no column {column!r}; columns are {list(frame.columns)}")
    flags = frame[column].astype(bool)

    def shade(row: pd.Series) -> list[str]:
        return [f"background-color: {colour}" if not flags.loc[row.name] else "" for _ in row]

    return frame.style.apply(shade, axis=1).format(precision=3)
