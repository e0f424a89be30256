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


def fold_ends(table: pd.DataFrame, count: str, key: str, *, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """A distribution over an ordered ``key`` (households by number of programs) with its thin ends folded:
    the highest values joined into "k or more" and the lowest into "k or fewer" until each end holds at
    least ``min_count``; a thin value inside is folded into its lower neighbour's row. Totals are kept, so
    nothing is blanked that the total would reveal.

    >>> t = pd.DataFrame({"size": [0, 1, 2, 3, 7, 8], "households": [2, 40, 851, 30, 20, 1]})
    >>> fold_ends(t, "households", "size").to_dict("list")
    {'size': ['1 or fewer', '2', '3', '7 or more'], 'households': [42, 851, 30, 21]}
    """
    ordered = table.sort_values(key).reset_index(drop=True)
    keys, counts = ordered[key].tolist(), ordered[count].tolist()
    if sum(counts) < min_count:
        return pd.DataFrame({key: ["all"], count: [np.nan]})
    labels = [str(k) for k in keys]
    while len(counts) > 1 and 0 < counts[-1] < min_count:  # fold the top
        last = counts.pop()
        counts[-1] += last
        keys.pop()
        labels.pop()
        labels[-1] = f"{keys[-1]} or more"
    while len(counts) > 1 and 0 < counts[0] < min_count:  # fold the bottom
        first = counts.pop(0)
        counts[0] += first
        keys.pop(0)
        labels.pop(0)
        labels[0] = f"{keys[0]} or fewer"
    i = 1
    while i < len(counts) - 1:  # a thin value inside joins the row below it
        if 0 < counts[i] < min_count:
            thin = counts.pop(i)
            counts[i - 1] += thin
            keys.pop(i)
            labels[i - 1] = f"{labels[i - 1]}–{labels.pop(i)}"
        else:
            i += 1
    return pd.DataFrame({key: labels, count: counts})


def note(table: pd.DataFrame, *, min_count: int = MIN_COUNT, rows: str = "villages") -> str:
    """The sentence a report puts under a table :func:`suppress` returned.

    >>> note(pd.DataFrame({"suppressed": [True, True, False]}))
    '2 villages not shown: counts from 1 to 4, and where needed a second one in the same township so that its total does not reveal the first'
    """
    n = int(table["suppressed"].sum())
    return (
        f"{n} {rows} not shown: counts from 1 to {min_count - 1}, and where needed a second one in the same "
        "township so that its total does not reveal the first"
    )
