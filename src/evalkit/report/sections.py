"""A section of a notebook: the tables and figures it writes, what it shows, its key figures.

An evaluation method returns a :class:`Section`; :meth:`evalkit.report.NotebookOutputs.write` writes its
tables, figures and metrics, and the section displays itself in a notebook (notes as paragraphs, tables
with headers in the section's language), so a notebook cell is one call. A note is given in English and in
Chinese, and the section shows the one of its language:

>>> import pandas as pd
>>> s = Section(lang="zh")
>>> _ = s.table("exits", pd.DataFrame({"year": [2018], "households": [1291]}))
>>> s.note("1,291 households exited in 2018.", "2018年脱贫1,291户。")
>>> sorted(s.tables), "年份" in s._repr_html_(), s.shown[-1]
(['exits'], True, '2018年脱贫1,291户。')
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from evalkit.labels import check_lang, translate_columns

__all__ = ["Section", "format_number", "table_html"]

#: What an empty cell shows (a missing value, or a count suppressed as too small to publish).
EMPTY = "–"


def format_number(value: float) -> str:
    """A number as a reader wants it: whole numbers with thousands separators and no ``.0``; others with
    four significant digits, or one decimal from 100 up (never scientific notation for yuan).

    >>> [format_number(v) for v in (1568.0, 73200000.0, 0.43519, 4.943846153846153, 2876.25, float("nan"))]
    ['1,568', '73,200,000', '0.4352', '4.944', '2,876.2', '–']
    """
    if value != value:  # NaN
        return EMPTY
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


#: How a yes/no cell reads in each language.
YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}


def table_html(frame: pd.DataFrame, lang: str = "en") -> str:
    """A frame as an HTML table for the report: numbers by :func:`format_number`, yes/no cells as words
    in ``lang``, empty cells as a dash, no row numbers (an index that means something, such as a pivot's,
    is kept: a named one).

    >>> print(table_html(pd.DataFrame({"passes": [True, False]}), "zh").split("<tbody>")[1].split())
    ['<tr>', '<td>是</td>', '</tr>', '<tr>', '<td>否</td>', '</tr>', '</tbody>', '</table>']
    """
    meaningful = any(name is not None for name in frame.index.names)
    out = frame.astype(object).where(frame.notna(), None)
    words = YES_NO[lang]
    for column in range(out.shape[1]):
        out.isetitem(column, [_cell(v, words) for v in out.iloc[:, column]])
    return out.to_html(index=meaningful, na_rep=EMPTY, border=0)


def _cell(value: object, words: tuple[str, str] = YES_NO["en"]) -> object:
    if value is None or value is pd.NA:
        return EMPTY
    if isinstance(value, bool | np.bool_):
        return words[0] if value else words[1]
    if isinstance(value, float):
        return format_number(value)
    return value


@dataclass
class Section:
    """Tables (written, headers translated unless listed in ``raw``; those in ``internal`` written apart and
    never shown), figures, what is displayed, metrics."""

    lang: str = "en"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    raw: set[str] = field(default_factory=set)
    internal: set[str] = field(default_factory=set)
    figures: dict[str, Figure] = field(default_factory=dict)
    shown: list[str | pd.DataFrame | Styler] = field(default_factory=list)
    metrics: dict[str, float | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_lang(self.lang)

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        translate: bool = True,
        show: bool | int = True,
        internal: bool = False,
    ) -> pd.DataFrame:
        """Add a table written as ``tables/<name>.csv`` (headers in the section's language unless
        ``translate=False``) and shown whole (``show=True``), its first rows (an int) or not at all.

        ``internal=True``: the table lists households (a visit list, quarantined rows); it is written as
        ``internal/<name>.csv`` for the office and never shown, whatever ``show`` says.
        """
        self.tables[name] = frame
        if not translate:
            self.raw.add(name)
        if internal:
            self.internal.add(name)
            return frame
        if show is True:
            self.show(frame)
        elif show is not False:
            self.show(frame.head(int(show)))
        return frame

    def figure(self, name: str, fig: Figure) -> Figure:
        """Add a figure written as ``figures/<name>.png`` (a notebook displays it when the cell ends)."""
        self.figures[name] = fig
        return fig

    def show(self, item: pd.DataFrame | Styler) -> None:
        """Display a frame (headers translated) or a styled table without writing it."""
        self.shown.append(item)

    def note(self, en: str, zh: str | None = None) -> None:
        """A sentence to display: ``en`` in an English section, ``zh`` in a Chinese one. A sentence already
        written in the section's language (such as :meth:`~evalkit.evaluations.base.Evaluation.lacks`
        returns) is given alone; an English sentence alone is shown in a Chinese section too, so give
        ``zh`` whenever the sentence is English. Numbers in the two sentences are formatted alike.

        >>> en, zh = Section(lang="en"), Section(lang="zh")
        >>> for s in (en, zh):
        ...     s.note("87 villages, 1,320 exited households to visit.", "应走访87个村的1,320户脱贫户。")
        >>> en.shown, zh.shown
        (['87 villages, 1,320 exited households to visit.'], ['应走访87个村的1,320户脱贫户。'])
        """
        self.shown.append(zh if zh is not None and self.lang == "zh" else en)

    def _repr_html_(self) -> str:
        parts = []
        for item in self.shown:
            if isinstance(item, str):
                parts.append(f"<p>{html.escape(item)}</p>")
            elif isinstance(item, Styler):  # its colours kept, its cells written as in every other table
                words = YES_NO[self.lang]
                styled = item.format(lambda v, words=words: str(_cell(v, words)))
                if not any(name is not None for name in item.data.index.names):
                    styled = styled.hide(axis="index")
                parts.append(styled.to_html())
            else:
                parts.append(table_html(translate_columns(item, self.lang), self.lang))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"Section(tables={sorted(self.tables)}, figures={sorted(self.figures)}, metrics={len(self.metrics)})"
