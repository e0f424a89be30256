"""English and Chinese labels for every figure, table and text evalkit shows.

The labels are data: ``data/reference/labels.csv`` (``key, en, zh``), one row per key, so a translation
is an edit to a table, not to code. Table columns are renamed through the same keys, so a Chinese run has
Chinese headers throughout, and the values of a few categorical columns (:data:`VALUE_COLUMNS`) are
translated too.

Examples
--------
>>> label("incidence_pct", "zh")
'贫困发生率(%)'
>>> check_lang("fr")
Traceback (most recent call last):
...
evalkit.errors.ParameterError: lang must be one of en, zh; got 'fr'.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Literal, get_args

import pandas as pd

from evalkit import paths
from evalkit.errors import DataError, ParameterError

__all__ = ["Lang", "LANGS", "VALUE_COLUMNS", "labels", "has_label", "label", "translate_columns", "check_lang"]

#: A label language.
Lang = Literal["en", "zh"]
#: The label languages: English and Chinese.
LANGS: tuple[str, ...] = get_args(Lang)

#: Columns whose *values* are label keys and are translated too.
VALUE_COLUMNS: tuple[str, ...] = (
    "source",
    "group",
    "status",
    "measure",
    "action",
    "level",
    "indicator",
    "method",
    "se_method",
    "component",
    "from",
    "to",
    "registry",
    "dimension",
    "direction",
    "estimand",
    "household_type",
    "adjustment",
    "course",
    "program",
    "criterion",
    "education",
    "sex",
)


@lru_cache(maxsize=1)
def labels() -> MappingProxyType[str, dict[str, str]]:
    """Every label, ``key -> {"en": …, "zh": …}``, read once from ``data/reference/labels.csv``.

    Raises
    ------
    DataError
        A key given twice or a label missing in one language (the row is named).
    """
    path = paths.reference_dir() / "labels.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    duplicated = table.loc[table["key"].duplicated(), "key"]
    if len(duplicated):
        row = int(duplicated.index[0]) + 2
        raise DataError(
            f"label key {duplicated.iloc[0]!r} is given twice; keep one row per key", file=path.name, row=row
        )
    for lang in LANGS:
        empty = table.loc[table[lang].str.strip() == ""]
        if len(empty):
            raise DataError(
                f"label {empty['key'].iloc[0]!r} has no {lang} text; fill it in",
                file=path.name,
                row=int(empty.index[0]) + 2,
                column=lang,
            )
    return MappingProxyType({row.key: {lang: getattr(row, lang) for lang in LANGS} for row in table.itertuples()})


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`~evalkit.errors.ParameterError`."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}.")
    return lang


def has_label(key: object) -> bool:
    """Whether ``key`` has a label (non-strings never do)."""
    return isinstance(key, str) and key in labels()


def label(key: str, lang: str = "en") -> str:
    """Text of a label in ``lang``.

    Raises
    ------
    KeyError
        No such key (add a row to ``data/reference/labels.csv``).
    """
    check_lang(lang)
    try:
        return labels()[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r}; add a row to data/reference/labels.csv") from None


def translate_columns(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return a copy with columns renamed to their labels in ``lang``.

    Columns without a label keep their name; values of the categorical columns in :data:`VALUE_COLUMNS`
    are translated where a label exists.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [2018], "source": ["published"]})
    >>> translate_columns(frame, "zh").to_dict("records")
    [{'年份': 2018, '来源': '公布值'}]
    """
    check_lang(lang)
    table = labels()
    out = frame.copy()
    for column in VALUE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(lambda v: table[v][lang] if isinstance(v, str) and v in table else v)
    return out.rename(columns={c: table[c][lang] for c in out.columns if isinstance(c, str) and c in table})
