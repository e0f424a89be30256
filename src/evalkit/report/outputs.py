"""One place where notebooks write what they show: figures, tables, metrics.

Layout of one notebook's output folder::

    <out_dir>/figures/<name>.png
    <out_dir>/tables/<name>.csv      (UTF-8 with BOM so Excel shows Chinese)
    <out_dir>/metrics.json           (flat, snake_case keys, numbers)
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from numbers import Integral, Real
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from evalkit import spreadsheets
from evalkit.errors import MetricsError
from evalkit.labels import check_lang, translate_columns
from evalkit.report.layout import overlapping_text
from evalkit.report.sections import Section

__all__ = [
    "NotebookOutputs",
    "read_metrics",
    "write_metrics",
    "read_table",
    "read_figure_checks",
    "METRICS_FILE",
    "FIGURE_CHECKS_FILE",
    "TABLE_ENCODING",
]

#: File name of a notebook's key figures.
METRICS_FILE = "metrics.json"
#: File name (in a notebook's ``figures/``) of what the check of each saved figure found.
FIGURE_CHECKS_FILE = "checks.json"
#: matplotlib's warning for a character no font it tried has (drawn as a box).
_GLYPH_MISSING = re.compile(r"[Gg]lyph .* missing from")  # matched at the start, as warnings filters match
#: Encoding of written tables: UTF-8 with a byte-order mark, so Excel shows Chinese.
TABLE_ENCODING = spreadsheets.ENCODING
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _clean_metric(key: str, value: object) -> int | float:
    if not isinstance(key, str) or not _KEY.match(key):
        raise MetricsError(f"metric key {key!r} must be snake_case (lower-case letters, digits, underscores).")
    if isinstance(value, bool) or not isinstance(value, Real):
        raise MetricsError(
            f"metric {key!r} must be a number, got {type(value).__name__} {value!r}; write flags as 0/1."
        )
    if isinstance(value, Integral):
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        raise MetricsError(f"metric {key!r} is {number}; metrics must be finite numbers.")
    return number


def write_metrics(out_dir: str | Path, values: dict[str, object]) -> Path:
    """Merge ``values`` into ``<out_dir>/metrics.json`` and return its path.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = write_metrics(d, {"households": 3601})
    >>> _ = write_metrics(d, {"incidence_pct": 6.2})
    >>> read_metrics(d)
    {'households': 3601, 'incidence_pct': 6.2}
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / METRICS_FILE
    current = read_metrics(folder) if path.is_file() else {}
    current.update({key: _clean_metric(key, value) for key, value in values.items()})
    path.write_text(json.dumps(current, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    return path


def read_metrics(out_dir: str | Path) -> dict[str, int | float]:
    """Read ``<out_dir>/metrics.json``."""
    path = Path(out_dir) / METRICS_FILE
    if not path.is_file():
        raise MetricsError(f"no {METRICS_FILE} in {out_dir}; has the notebook run?")
    return json.loads(path.read_text(encoding="utf-8"))


def read_table(out_dir: str | Path, name: str, *, internal: bool = False) -> pd.DataFrame:
    """Read a table a notebook wrote with :meth:`NotebookOutputs.table` (``internal``: from ``internal/``)."""
    return spreadsheets.read_csv(Path(out_dir) / ("internal" if internal else "tables") / f"{name}.csv")


class NotebookOutputs:
    """Writer for one notebook's figures, tables and metrics.

    Parameters
    ----------
    out_dir
        The notebook's output folder (created if missing).
    lang
        Language of table headers: 'en' or 'zh'.
    """

    def __init__(self, out_dir: str | Path, *, lang: str = "en") -> None:
        self.out_dir = Path(out_dir)
        self.lang = check_lang(lang)
        self.figures_dir = self.out_dir / "figures"
        self.tables_dir = self.out_dir / "tables"
        for folder in (self.figures_dir, self.tables_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def figure(self, fig: Figure, name: str, *, dpi: int = 150) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` and return the path (the figure stays open for display).

        The saved figure is checked for what a reader cannot read (:func:`~evalkit.report.layout.overlapping_text`,
        and characters no font has), and what is found is recorded in ``figures/checks.json`` (an empty
        list for a figure without problems), which the runner copies into its manifest.
        """
        path = self.figures_dir / f"{name}.png"
        show = warnings.showwarning  # how other warnings are shown outside this block
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", message=_GLYPH_MISSING.pattern)  # other filters stay as they are
            fig.savefig(path, dpi=dpi, bbox_inches="tight")
            problems = overlapping_text(fig)
        for warning in caught:
            if _GLYPH_MISSING.match(str(warning.message)):
                problems.append(str(warning.message))
            else:  # not ours to judge: shown as it would have been (the filters have already let it through)
                show(warning.message, warning.category, warning.filename, warning.lineno, warning.file, warning.line)
        checks = self.figures_dir / FIGURE_CHECKS_FILE
        found = read_figure_checks(self.out_dir)
        found[name] = sorted(set(problems))
        partial = checks.with_suffix(".json.partial")  # replaced whole: a killed kernel leaves the last one
        partial.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, checks)
        return path

    def table(self, frame: pd.DataFrame, name: str, *, translate: bool = True) -> Path:
        """Write ``frame`` as ``tables/<name>.csv`` with headers in the run's language, safe to open in a
        spreadsheet (:func:`evalkit.spreadsheets.write_csv`)."""
        path = self.tables_dir / f"{name}.csv"
        out = translate_columns(frame, self.lang) if translate else frame
        return spreadsheets.write_csv(out, path)

    def internal_table(self, frame: pd.DataFrame, name: str, *, translate: bool = True) -> Path:
        """Write a table listing households as ``internal/<name>.csv``: for the office, not the report."""
        folder = self.out_dir / "internal"
        folder.mkdir(parents=True, exist_ok=True)
        out = translate_columns(frame, self.lang) if translate else frame
        return spreadsheets.write_csv(out, folder / f"{name}.csv")

    def metrics(self, **values: object) -> Path:
        """Merge key figures into ``metrics.json``."""
        return write_metrics(self.out_dir, values)

    def write(self, section: Section) -> Section:
        """Write a section's tables, figures and metrics; return it (a notebook cell then displays it).
        Internal tables go to ``internal/`` (see :meth:`Section.table`)."""
        for name, frame in section.tables.items():
            if name in section.internal:
                self.internal_table(frame, name, translate=name not in section.raw)
            else:
                self.table(frame, name, translate=name not in section.raw)
        for name, fig in section.figures.items():
            self.figure(fig, name)
        if section.metrics:
            self.metrics(**section.metrics)
        return section

    def close_figures(self) -> None:
        """Close every open matplotlib figure (long notebooks)."""
        plt.close("all")


def read_figure_checks(out_dir: str | Path) -> dict[str, list[str]]:
    """What the check of each figure a notebook saved into ``out_dir`` found, by figure name (an empty list:
    nothing); an empty dict when the notebook saved no figure through :meth:`NotebookOutputs.figure`."""
    path = Path(out_dir) / "figures" / FIGURE_CHECKS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
