"""The published-figures ledger: every quantitative figure in the county report.

Files (under ``data/published/``):

``ledger.csv``
    One row per figure: a stable ``figure_id``; its ``area`` (overview or one of
    the twelve lines of work, named in ``areas.csv``); the indicator in English
    and Chinese; the ``period`` and, where it is one, the calendar ``year``;
    ``value`` in a canonical unit (yuan not 万元, persons, households, mu, km, kW,
    percent ...) with the ``unit``; the value and unit *as reported*;
    ``more_than`` when the report says 余/以上; ``approximate`` for size classes
    such as 万亩; ``stated`` (false when the figure is the count of a list the
    report gives without a number); the ``entity`` described; and the exact
    Chinese ``source_phrase`` it comes from.
``named_lists.csv``
    The items of every list whose length the ledger records.
``areas.csv``
    Area codes with English and Chinese names.
``identities.csv``
    Part–whole identities the report implies (see :mod:`evalkit.published.identities`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit import paths
from evalkit.errors import LedgerError
from evalkit.labels import check_lang
from evalkit.validation import csv_line, read_csv_validated

__all__ = ["load", "areas", "named_lists", "figure", "summary_by_area", "coverage_gaps", "LEDGER_COLUMNS"]

#: Columns of the ledger :func:`load` returns, in order.
LEDGER_COLUMNS = [
    "figure_id",
    "area",
    "area_en",
    "area_zh",
    "indicator_en",
    "indicator_zh",
    "period",
    "year",
    "value",
    "unit",
    "value_reported",
    "unit_reported",
    "more_than",
    "approximate",
    "stated",
    "entity",
    "entity_type",
    "source_phrase",
    "note",
]

_ID = r"^[a-z][a-z0-9_]*$"
_BOOL = pa.Check.isin(["true", "false"], error="one of true/false")

_LEDGER_SCHEMA = pa.DataFrameSchema(
    {
        "figure_id": pa.Column(str, pa.Check.str_matches(_ID), unique=True),
        "area": pa.Column(str),
        "indicator_en": pa.Column(str),
        "indicator_zh": pa.Column(str),
        "period": pa.Column(str),
        "year": pa.Column("Int64", pa.Check.in_range(1990, 2100), nullable=True, coerce=True),
        "value": pa.Column(float, coerce=True),
        "unit": pa.Column(str, pa.Check.str_matches(r"^[A-Za-z0-9_]+$")),
        "value_reported": pa.Column(str, nullable=True),
        "unit_reported": pa.Column(str, nullable=True),
        "more_than": pa.Column(str, _BOOL),
        "approximate": pa.Column(str, _BOOL),
        "stated": pa.Column(str, _BOOL),
        "entity": pa.Column(str),
        "entity_type": pa.Column(str, pa.Check.isin(["county", "city", "village", "site", "program"])),
        "source_phrase": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
)

_AREAS_SCHEMA = pa.DataFrameSchema(
    {
        "area": pa.Column(str, pa.Check.str_matches(_ID), unique=True),
        "order": pa.Column(int, coerce=True),
        "area_en": pa.Column(str),
        "area_zh": pa.Column(str),
    },
    strict=True,
    coerce=True,
)

_LISTS_SCHEMA = pa.DataFrameSchema(
    {
        "list_id": pa.Column(str, pa.Check.str_matches(_ID)),
        "figure_id": pa.Column(str, pa.Check.str_matches(_ID)),
        "position": pa.Column(int, pa.Check.ge(1), coerce=True),
        "item_zh": pa.Column(str),
        "item_en": pa.Column(str),
    },
    strict=True,
    coerce=True,
    unique=["list_id", "position"],
)

_HINT = (
    "edit data/published/{name} so that every row meets the rule shown (see README, 'The published-figures ledger')."
)


def _key(data_dir: str | os.PathLike[str] | None) -> str:
    return str(paths.published_dir(data_dir))


def areas(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Area codes (overview and the twelve lines of work) with English and Chinese names.

    Examples
    --------
    >>> from evalkit import published
    >>> published.areas().set_index("area").loc["funds", "area_zh"]
    '资金使用'
    """
    return _areas_cached(_key(data_dir)).copy()


@lru_cache(maxsize=8)
def _areas_cached(folder: str) -> pd.DataFrame:
    path = Path(folder) / "areas.csv"
    frame = read_csv_validated(path, _AREAS_SCHEMA, hint=_HINT.format(name="areas.csv"), error=LedgerError)
    return frame.sort_values("order", kind="stable").reset_index(drop=True)


def load(data_dir: str | os.PathLike[str] | None = None, *, check_sources: bool = True) -> pd.DataFrame:
    """Return the ledger of published figures as a new DataFrame.

    Parameters
    ----------
    data_dir
        Folder holding ``published/``; the embedded data when None or empty.
    check_sources
        Check that every ``source_phrase`` occurs verbatim in the report text
        (when the text is present beside the ledger).

    Returns
    -------
    pandas.DataFrame
        One row per figure with the columns in :data:`LEDGER_COLUMNS`; the
        canonical value is in ``value`` (float), booleans are ``bool``.

    Raises
    ------
    LedgerError
        Naming the file, every failing row and column, and how to fix it.

    Examples
    --------
    >>> from evalkit import published
    >>> ledger = published.load()
    >>> row = ledger.set_index("figure_id").loc["fun_risk_fund"]
    >>> float(row.value), row.value_reported, row.unit_reported
    (7440000.0, '744', '万元')
    """
    return _load_cached(_key(data_dir), check_sources).copy()


@lru_cache(maxsize=8)
def _load_cached(folder: str, check_sources: bool) -> pd.DataFrame:
    base = Path(folder)
    raw = read_csv_validated(
        base / "ledger.csv",
        _LEDGER_SCHEMA,
        hint=_HINT.format(name="ledger.csv"),
        error=LedgerError,
    )
    area_table = _areas_cached(folder)
    unknown = raw.loc[~raw["area"].isin(area_table["area"])]
    if len(unknown):
        first = unknown.index[0]
        raise LedgerError(
            f"area {unknown.iloc[0]['area']!r} is not listed in areas.csv "
            f"(known: {', '.join(area_table['area'])}). Add it there or correct the code.",
            file="ledger.csv",
            row=csv_line(first),
            column="area",
        )
    source = base / "source" / "licheng_report_2019_zh.txt"
    if check_sources and source.is_file():
        text = source.read_text(encoding="utf-8")
        missing = raw.loc[[phrase not in text for phrase in raw["source_phrase"]]]
        if len(missing):
            rows = ", ".join(str(csv_line(i)) for i in missing.index)
            raise LedgerError(
                f"{len(missing)} source phrase(s) do not occur verbatim in {source.name} "
                f"(rows {rows}; first: {missing.iloc[0]['source_phrase']!r}). Copy the phrase "
                "exactly from the report, keeping its punctuation.",
                file="ledger.csv",
                row=csv_line(missing.index[0]),
                column="source_phrase",
            )
    frame = raw.merge(area_table[["area", "area_en", "area_zh"]], on="area", how="left", validate="many_to_one")
    for column in ("more_than", "approximate", "stated"):
        frame[column] = frame[column].eq("true")
    return frame[LEDGER_COLUMNS]


def named_lists(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Items of the lists the report names (tourism villages, workshops, models ...).

    Examples
    --------
    >>> from evalkit import published
    >>> lists = published.named_lists()
    >>> int((lists["list_id"] == "tourism_villages").sum())
    10
    """
    folder = _key(data_dir)
    frame = read_csv_validated(
        Path(folder) / "named_lists.csv", _LISTS_SCHEMA, hint=_HINT.format(name="named_lists.csv"), error=LedgerError
    )
    known = set(_load_cached(folder, False)["figure_id"])
    bad = frame.loc[~frame["figure_id"].isin(known)]
    if len(bad):
        raise LedgerError(
            f"figure_id {bad.iloc[0]['figure_id']!r} is not in ledger.csv; each list must name the "
            "ledger figure that states (or records) its length.",
            file="named_lists.csv",
            row=csv_line(bad.index[0]),
            column="figure_id",
        )
    return frame


def figure(figure_id: str, data_dir: str | os.PathLike[str] | None = None) -> float:
    """Return one figure's canonical value.

    Examples
    --------
    >>> from evalkit import published
    >>> published.figure("ov_incidence_end")
    0.97
    """
    table = _load_cached(_key(data_dir), False).set_index("figure_id")["value"]
    if figure_id not in table.index:
        raise LedgerError(
            f"unknown figure_id {figure_id!r}; see data/published/ledger.csv for the ids.",
            file="ledger.csv",
            column="figure_id",
        )
    return float(table.loc[figure_id])


def summary_by_area(ledger: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Number of figures per area (overview and the twelve lines of work).

    Examples
    --------
    >>> table = summary_by_area(load())
    >>> int(table["n_figures"].sum())
    153
    """
    check_lang(lang)
    counts = ledger.groupby(["area", f"area_{lang}"], sort=False).size().rename("n_figures").reset_index()
    order = areas().set_index("area")["order"]
    counts = counts.assign(order=counts["area"].map(order)).sort_values("order").drop(columns="order")
    return counts.rename(columns={f"area_{lang}": "area_name"}).reset_index(drop=True)


def coverage_gaps(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Numbers written in the report that no ledger phrase (or listed non-figure) covers.

    Every run of Arabic digits in the report text must sit inside the
    ``source_phrase`` of some ledger row, or inside a phrase of
    ``non_figures.csv`` (dates, section numbers) with its reason. An empty
    result means the ledger is complete for written numbers (numbers written
    in Chinese characters are checked by reading, not by this function).

    Examples
    --------
    >>> coverage_gaps().empty
    True
    """
    import re

    folder = Path(_key(data_dir))
    text = (folder / "source" / "licheng_report_2019_zh.txt").read_text(encoding="utf-8")
    ledger = _load_cached(str(folder), False)
    others = pd.read_csv(folder / "non_figures.csv", encoding="utf-8", dtype=str)
    phrases = list(ledger["source_phrase"]) + [p.replace("\\n", "\n") for p in others["phrase"]]
    covered = [False] * len(text)
    for phrase in set(phrases):
        for match in re.finditer(re.escape(phrase), text):
            covered[match.start() : match.end()] = [True] * (match.end() - match.start())
    gaps = [
        {"number": m.group(), "offset": m.start(), "context": text[max(0, m.start() - 15) : m.end() + 15]}
        for m in re.finditer(r"\d+(?:\.\d+)?", text)
        if not all(covered[m.start() : m.end()])
    ]
    return pd.DataFrame(gaps, columns=["number", "offset", "context"])
