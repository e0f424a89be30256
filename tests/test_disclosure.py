"""Small-count suppression (:mod:`evalkit.disclosure`) on hand-worked tables, and the property that a
blank cell can never be recovered from its group's total."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evalkit.disclosure import fold_ends, note, pool_small, suppress


def test_counts_one_to_four_and_what_is_derived_from_them_are_blanked() -> None:
    t = pd.DataFrame(
        {
            "village": list("abcde"),
            "households": [0, 1, 4, 5, 30],
            "persons": [0, 2, 9, 14, 70],
            "rate": [0, 0.1, 0.4, 0.5, 0.9],
        }
    )
    out = suppress(t, ["households", "persons"], derived=["rate"])
    assert out["households"].tolist()[0] == 0 and np.isnan(out["households"][1]) and np.isnan(out["households"][2])
    assert out["persons"].tolist()[3:] == [14, 70] and np.isnan(out["persons"][2])  # 9 persons, but 4 households
    assert out["rate"].isna().tolist() == [False, True, True, False, False]
    assert out["suppressed"].tolist() == [False, True, True, False, False]
    assert t["households"].tolist() == [0, 1, 4, 5, 30]  # a new frame; the input is unchanged


def test_the_threshold_is_a_parameter() -> None:
    t = pd.DataFrame({"households": [1, 2, 3]})
    assert suppress(t, ["households"], min_count=3)["suppressed"].tolist() == [True, True, False]
    assert not suppress(t, ["households"], min_count=1)["suppressed"].any()


def test_the_sentence_under_a_suppressed_table_in_english_and_chinese() -> None:
    """The same count and threshold in both languages (thousands separated); what the rows are, in words."""
    t = suppress(pd.DataFrame({"households": [2] * 1200 + [40]}), ["households"], min_count=3)
    assert note(t, min_count=3).startswith("1,200 villages not shown: counts from 1 to 2,")
    zh = note(t, min_count=3, lang="zh")
    assert zh.startswith("1,200个村的数字未予显示：户数、人数在1至2之间的不予公布") and zh.endswith("。")
    assert note(t, rows="townships", lang="zh").startswith("1,200个乡镇")


def test_complementary_suppression_within_groups() -> None:
    t = pd.DataFrame(
        {
            "township": ["t1"] * 4 + ["t2"] * 3 + ["t3"] * 3 + ["t4"] * 2,
            "households": [2, 0, 7, 12, 3, 1, 20, 4, 0, 0, 6, 9],
        }
    )
    out = suppress(t, ["households"], within=["township"])
    # t1: 2 is small, 7 is the next smallest positive (not the zero); t2: two small cells protect each other;
    # t3: only zeros remain, so a zero goes too; t4: nothing small, nothing blanked
    assert out["suppressed"].tolist() == [True, False, True, False, True, True, False, True, True, False, False, False]
    whole = suppress(t, ["households"], within=[])  # one group: only the table's total is published
    assert whole["suppressed"].sum() == 4  # 2, 3, 1, 4 are small already: no complement needed


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), min_size=1, max_size=40),
    st.integers(1, 8),
)
def test_no_blank_cell_is_alone_in_its_group(rows, min_count) -> None:
    t = pd.DataFrame(rows, columns=["group", "households"])
    out = suppress(t, ["households"], min_count=min_count, within=["group"])
    small = (t["households"] > 0) & (t["households"] < min_count)
    assert (out["suppressed"] >= small).all()  # every small count is blank
    per_group = out.groupby("group")["suppressed"].agg(["sum", "size"])
    alone = per_group.loc[(per_group["sum"] == 1) & (per_group["size"] > 1)]
    assert alone.empty, f"a blank recoverable from its group's total:\n{out}"
    assert out["households"].isna().tolist() == out["suppressed"].tolist()


def test_small_rows_of_a_breakdown_are_pooled_so_the_total_still_adds_up() -> None:
    t = pd.DataFrame({"programs": ["a", "b", "c", "d"], "households": [40, 3, 2, 1]})
    pooled = pool_small(t, "households", "programs", label="others")
    assert pooled.to_dict("list") == {"programs": ["a", "others"], "households": [40, 6]}
    tiny = pool_small(pd.DataFrame({"programs": ["a", "b"], "households": [40, 3]}), "households", "programs")
    assert tiny["programs"].tolist() == ["a", "(others)"] and tiny["households"].isna().tolist() == [False, True]
    assert tiny["households"].dtype == "Int64"  # counts stay whole numbers beside the blank
    assert pool_small(t.iloc[:1], "households", "programs").equals(t.iloc[:1].reset_index(drop=True))


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12))
@example([5, 0, 1, 0])  # a thin value folded into a zero below it stayed thin (found by CI)
@example([0, 0, 7, 0, 3])
def test_folded_distributions_keep_the_total_and_show_no_small_count(counts) -> None:
    table = pd.DataFrame({"size": range(len(counts)), "households": counts})
    folded = fold_ends(table, "households", "size", min_count=5)
    if sum(counts) < 5:
        assert folded["households"].isna().all()
        return
    assert folded["households"].sum() == sum(counts)
    assert not folded["households"].between(1, 4).any()
