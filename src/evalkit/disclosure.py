"""One disclosure rule for every table an office would publish at village level or below.

A count of one to ``min_count - 1`` households or persons in a published cell can single someone out in a
village: :func:`suppress` blanks such counts and every value derived from them (a rate, a share, an
incidence) and says so in a ``suppressed`` column; a zero is left, since it discloses nothing about anyone.
Where the report also publishes a group's total (a township's, over its villages), one blank cell in the
group could be recovered by subtraction; ``within`` names the groups, and in each group with exactly one
small count the next smallest row is blanked too (complementary suppression), a positive count before a
zero.
:func:`pool_small` folds the rows of a breakdown whose count is below the threshold into one row, so the
total still adds up. Tables that list households (a visit list, quarantined rows) are never published: the
evaluations write them to an ``internal/`` folder apart from the report.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"village": ["a", "b", "c"], "borrowers": [0, 3, 12], "take_up": [0.0, 0.3, 0.4]})
>>> suppress(t, ["borrowers"], derived=["take_up"]).to_dict("list")
{'village': ['a', 'b', 'c'], 'borrowers': [0.0, nan, 12.0], 'take_up': [0.0, nan, 0.4], 'suppressed': [False, True, False]}
>>> t = pd.DataFrame({"township": ["t1", "t1", "t1", "t2"], "households": [3, 40, 9, 2]})
>>> suppress(t, ["households"], within=["township"])["households"].tolist()
[nan, 40.0, nan, nan]
>>> pool_small(pd.DataFrame({"programs": ["x", "y", "z"], "households": [40, 3, 2]}), "households", "programs",
...            label="(fewer than 5 each)").to_dict("list")
{'programs': ['x', '(fewer than 5 each)'], 'households': [40, 5]}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["suppress", "pool_small", "fold_ends", "note", "MIN_COUNT"]

#: The default threshold: counts from 1 to 4 are not published.
MIN_COUNT = 5


def suppress(
    table: pd.DataFrame,
    counts: Sequence[str],
    *,
    min_count: int = MIN_COUNT,
    derived: Sequence[str] = (),
    within: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy of ``table`` in which every row with a count of ``counts`` between 1 and ``min_count - 1``
    has those counts and its ``derived`` columns blanked, and a ``suppressed`` column saying which rows.

    ``within``: columns naming groups whose totals are published elsewhere; in each group with exactly one
    suppressed row, the row with the smallest first count (positive counts first) is suppressed too, so the
    blank cannot be recovered as the total minus the rest. A group of one row cannot be protected this way:
    its total is the row.
    """
    out = table.copy()
    small = np.zeros(len(out), dtype=bool)
    for column in counts:
        values = pd.to_numeric(out[column], errors="coerce")
        small |= ((values > 0) & (values < min_count)).fillna(False).to_numpy(dtype=bool)
    if within is not None:
        small |= _complement(out, small, counts[0], list(within))
    for column in [*counts, *derived]:
        out[column] = out[column].astype(float).where(~small)
    out["suppressed"] = small
    return out


def _complement(table: pd.DataFrame, small: np.ndarray, count: str, within: list[str]) -> np.ndarray:
    """Rows to suppress besides ``small``: per group of ``within`` with exactly one small row, its smallest
    other row (one vectorised pass: sort, then the first candidate of each group)."""
    keys = table[within].reset_index(drop=True) if within else pd.DataFrame({"_all": np.zeros(len(table))})
    cols = list(keys.columns)
    n_small = pd.Series(small).groupby([keys[c] for c in cols], dropna=False).transform("sum").to_numpy()
    values = pd.to_numeric(table[count], errors="coerce").reset_index(drop=True)
    candidates = keys.assign(_zero=values.eq(0), _value=values, _row=np.arange(len(table)))
    candidates = candidates.loc[(n_small == 1) & ~small & values.notna().to_numpy()]
    first = candidates.sort_values([*cols, "_zero", "_value"]).drop_duplicates(cols)["_row"].to_numpy()
    extra = np.zeros(len(table), dtype=bool)
    extra[first] = True
    return extra


def pool_small(
    table: pd.DataFrame, count: str, key: str, *, min_count: int = MIN_COUNT, label: str = "(others)"
) -> pd.DataFrame:
    """``table`` with the rows whose ``count`` is below ``min_count`` folded into one row labelled ``label``
    in ``key`` (their counts summed, blank if the sum is below ``min_count`` too; other columns left empty);
    no pooled row when there is none."""
    small = table[count] < min_count
    if not small.any():
        return table.reset_index(drop=True)
    total = table.loc[small, count].sum()
    pooled = pd.DataFrame({key: [label], count: [total if total >= min_count else np.nan]})
    out = pd.concat([table.loc[~small].astype({key: object}), pooled], ignore_index=True)
    whole = [c for c in table.columns if c != key and pd.api.types.is_integer_dtype(table[c])]
    return out.astype({c: "Int64" for c in whole})  # counts stay whole numbers beside the pooled row's blanks


#: How :func:`fold_ends` names its folded groups, in English and in Chinese.
_FOLDS = {"all": "all", "fewer": "{} or fewer", "more": "{} or more"}
_FOLDS_ZH = {"all": "全部", "fewer": "{}及以下", "more": "{}及以上"}


def fold_ends(
    table: pd.DataFrame, count: str, key: str, *, min_count: int = MIN_COUNT, lang: str = "en"
) -> pd.DataFrame:
    """A distribution over an ordered ``key`` (households by number of programs) with its thin values folded
    into their neighbours, so that no row shows a count from 1 to ``min_count - 1``.

    One pass from the lowest key: a thin value opens a group that takes in the following rows (zeros
    included) until it holds at least ``min_count``; whatever is still thin at the top joins the groups
    below it until it is not. Rows of zero are shown as they are (an empty value reveals no one). A group
    holding the lowest key reads "k or fewer", one holding the highest "k or more", one inside "a–b" (in
    Chinese, ``lang="zh"``: "k及以下", "k及以上", "a–b"). Totals are kept, so nothing is blanked that the total would reveal; a table whose total is itself
    thin becomes one blank row.

    >>> t = pd.DataFrame({"size": [0, 1, 2, 3, 7, 8], "households": [2, 40, 851, 30, 20, 1]})
    >>> fold_ends(t, "households", "size").to_dict("list")
    {'size': ['1 or fewer', '2', '3', '7 or more'], 'households': [42, 851, 30, 21]}
    >>> fold_ends(t, "households", "size", lang="zh")["size"].tolist()
    ['1及以下', '2', '3', '7及以上']
    >>> t = pd.DataFrame({"size": [0, 1, 2, 3], "households": [5, 0, 1, 0]})
    >>> fold_ends(t, "households", "size").to_dict("list")
    {'size': ['all'], 'households': [6]}
    """
    ordered = table.sort_values(key).reset_index(drop=True)
    keys, counts = ordered[key].tolist(), [int(c) for c in ordered[count].tolist()]
    words = _FOLDS_ZH if lang == "zh" else _FOLDS
    if sum(counts) < min_count:
        return pd.DataFrame({key: [words["all"]], count: [np.nan]})
    groups: list[list[int]] = []  # each group: positions of the rows it joins
    open_group: list[int] = []
    for i, c in enumerate(counts):
        if open_group or 0 < c < min_count:
            open_group.append(i)
            if sum(counts[j] for j in open_group) >= min_count:
                groups.append(open_group)
                open_group = []
        else:
            groups.append([i])
    if open_group:  # a thin remainder at the top joins the groups below it until the total is not thin
        while sum(counts[j] for j in open_group) < min_count:
            open_group = groups.pop() + open_group
        groups.append(open_group)
    last = len(keys) - 1
    labels = []
    for g in groups:
        lo, hi = keys[g[0]], keys[g[-1]]
        if len(g) == 1:
            labels.append(str(lo))
        elif g[0] == 0 and g[-1] == last:
            labels.append(words["all"])
        elif g[0] == 0:
            labels.append(words["fewer"].format(hi))
        elif g[-1] == last:
            labels.append(words["more"].format(lo))
        else:
            labels.append(f"{lo}–{hi}")
    return pd.DataFrame({key: labels, count: [sum(counts[j] for j in g) for g in groups]})


#: How :func:`note` counts the rows of a table in Chinese (a number, then these words).
ROWS_ZH = {"villages": "个村", "townships": "个乡镇", "households": "户", "rows": "行"}


def note(table: pd.DataFrame, *, min_count: int = MIN_COUNT, rows: str = "villages", lang: str = "en") -> str:
    """The sentence a report puts under a table :func:`suppress` returned, in ``lang`` (``rows``: what the
    table's rows are, in English; in Chinese, villages, townships and households have their measure word).

    >>> t = pd.DataFrame({"suppressed": [True, True, False]})
    >>> note(t)
    '2 villages not shown: counts from 1 to 4, and where needed a second one in the same township so that its total does not reveal the first'
    >>> note(t, lang="zh")
    '2个村的数字未予显示：户数、人数在1至4之间的不予公布；必要时在同一乡镇内再隐去一个，以免由乡镇合计倒推出被隐去的数字。'
    """
    n = f"{int(table['suppressed'].sum()):,}"
    if lang == "zh":
        return (
            f"{n}{ROWS_ZH.get(rows, '行')}的数字未予显示：户数、人数在1至{min_count - 1}之间的不予公布；"
            "必要时在同一乡镇内再隐去一个，以免由乡镇合计倒推出被隐去的数字。"
        )
    return (
        f"{n} {rows} not shown: counts from 1 to {min_count - 1}, and where needed a second one in the same "
        "township so that its total does not reveal the first"
    )
