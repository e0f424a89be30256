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
import re
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from evalkit.labels import check_lang, has_label, label, translate_columns

__all__ = ["Section", "format_number", "format_p", "format_share", "table_html", "figure_alt", "LONG_TABLE_ROWS"]

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


def format_p(value: float) -> str:
    """A p-value as papers print it: three decimals, or "<0.001" (never scientific notation).

    >>> [format_p(v) for v in (1.161764e-92, 0.0004, 0.0312, 0.5, float("nan"))]
    ['<0.001', '<0.001', '0.031', '0.500', '–']
    """
    if value != value:
        return EMPTY
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def format_share(value: float) -> str:
    """A share (0 to 1) as a percentage: one decimal, two significant digits below 1%.

    >>> [format_share(v) for v in (0.43543, 1.0, 0.0, 0.00421, float("nan"))]
    ['43.5%', '100.0%', '0.0%', '0.42%', '–']
    """
    if value != value:
        return EMPTY
    percent = 100 * value
    return f"{percent:.2g}%" if 0 < abs(percent) < 1 else f"{percent:.1f}%"


#: Column names that hold shares between 0 and 1 (shown by :func:`format_share` when every value is one).
_SHARE_COLUMN = re.compile(r"(^|_)(rate|share|coverage|take_up|proportion)(_|$)")

#: Whole-number columns that are not quantities (years, codes, ids): shown without thousands separators.
#: A year column is named ``year`` or ``…_year`` (not a count such as ``…_by_year``, ``…_in_year``,
#: ``…_this_year``, ``…_per_year``), or says when (``due_by``, ``counted_to``).
_NOT_A_COUNT = re.compile(r"^(year|due_by|counted_to)$|(?<!_by|_in|his|per)_year$|(^|_)(id|code|rank|level|order)$")

#: Column names that hold p-values (shown by :func:`format_p`).
_P_COLUMN = re.compile(r"(^|_)(p|p_value|pvalue|p_val)$|^p_value")

#: Tables longer than this show their first rows and the whole table behind a "show all" switch.
LONG_TABLE_ROWS = 15
_HEAD_ROWS = 10

#: The switch's words.
_SHOW_ALL = {"en": "Show all {n} rows", "zh": "显示全部{n}行"}


def figure_alt(fig: Figure, fallback: str = "") -> str:
    """A figure's description for readers who cannot see it: its title and its panels' titles.

    >>> fig, (a, b) = plt.subplots(1, 2)
    >>> _ = a.set_title("Incidence"), b.set_title("Exits"), fig.suptitle("Registry, 2014–2018")
    >>> figure_alt(fig)
    'Registry, 2014–2018: Incidence; Exits'
    >>> plt.close(fig)
    """
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    panels = "; ".join(t for t in (ax.get_title() for ax in fig.axes) if t)
    text = ": ".join(t for t in (suptitle, panels) if t)
    return text or fallback


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

    def _ipython_display_(self) -> None:
        """In a notebook: the notes and tables, then each figure with its description as alternative text
        (the figure is then closed, so it is not drawn a second time when the cell ends)."""
        from IPython.display import HTML, display

        display(HTML(self._repr_html_()))
        for name, fig in self.figures.items():
            if plt.fignum_exists(fig.number):
                display(fig, metadata={"image/png": {"alt": figure_alt(fig, name.replace("_", " "))}})
                plt.close(fig)

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
                parts.append(self._table(item))
        return "\n".join(parts)

    def _table(self, frame: pd.DataFrame) -> str:
        """One table: codes that have a label as their label, counts with thousands separators, p-values as
        papers print them, shares as percentages; a long one as its first rows with a switch to all."""
        shown = frame.copy()
        for column in shown.columns:
            if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
                values = shown[column].dropna()
                if len(values) and all(has_label(v) for v in values):  # a column of codes: each as its label
                    shown[column] = [EMPTY if pd.isna(v) else label(v, self.lang) for v in shown[column]]
                continue
            if (
                isinstance(column, str)
                and pd.api.types.is_integer_dtype(shown[column])
                and not _NOT_A_COUNT.search(column)
            ):  # counts and yuan with thousands separators; years and codes as they are
                shown[column] = [EMPTY if v is pd.NA else f"{v:,}" for v in shown[column]]
                continue
            if not (isinstance(column, str) and pd.api.types.is_float_dtype(shown[column])):
                continue
            if _NOT_A_COUNT.search(column) and shown[column].dropna().mod(1).eq(0).all():  # a year read as float
                shown[column] = [EMPTY if v != v else f"{v:.0f}" for v in shown[column]]
            elif _P_COLUMN.search(column):
                shown[column] = [format_p(v) for v in shown[column]]
            elif _SHARE_COLUMN.search(column) and "pct" not in column and shown[column].dropna().between(0, 1).all():
                shown[column] = [format_share(v) for v in shown[column]]
        shown = translate_columns(shown, self.lang)
        if len(shown) <= LONG_TABLE_ROWS:
            return table_html(shown, self.lang)
        words = html.escape(_SHOW_ALL[self.lang].format(n=f"{len(shown):,}"))
        return (
            f'<div class="ek-long"><div class="ek-head">{table_html(shown.head(_HEAD_ROWS), self.lang)}</div>'
            f"<details><summary>{words}</summary>{table_html(shown, self.lang)}</details></div>"
        )

    def __repr__(self) -> str:
        return f"Section(tables={sorted(self.tables)}, figures={sorted(self.figures)}, metrics={len(self.metrics)})"
