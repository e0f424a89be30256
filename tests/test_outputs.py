"""metrics.json and table writing."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from evalkit import report
from evalkit.errors import MetricsError


def test_metrics_are_flat_numbers(tmp_path) -> None:
    report.write_metrics(tmp_path, {"households": np.int64(3601), "share": np.float64(0.5), "flag": 1})
    data = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert data == {"households": 3601, "share": 0.5, "flag": 1}
    assert isinstance(data["households"], int)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("Households", 1, "snake_case"),
        ("n", "3601", "must be a number"),
        ("n", True, "must be a number"),
        ("n", math.nan, "finite"),
    ],
)
def test_bad_metrics_are_rejected(tmp_path, key, value, message) -> None:
    with pytest.raises(MetricsError, match=message):
        report.write_metrics(tmp_path, {key: value})


def test_tables_have_chinese_headers_and_bom(tmp_path) -> None:
    outputs = report.NotebookOutputs(tmp_path, lang="zh")
    path = outputs.table(pd.DataFrame({"year": [2018], "poor_persons": [1259]}), "t")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = report.read_table(tmp_path, "t")
    assert back.columns.tolist() == ["年份", "建档立卡贫困人口"]
    assert back.iloc[0].tolist() == [2018, 1259]


def test_a_note_is_shown_in_the_language_of_its_section() -> None:
    """``note(en, zh)``: the English sentence in an English section, the Chinese one in a Chinese section,
    escaped as a paragraph; a sentence given alone (already in the section's language) is shown as it is."""
    en, zh = report.Section(lang="en"), report.Section(lang="zh")
    for section in (en, zh):
        section.note("3 of 10 villages are below the 2% threshold (<b> is text).", "10个村中有3个村低于2%的标准。")
        section.note("本数据包没有“贷款”表，本节需要该数据，故未计算。")
    assert en.shown == [
        "3 of 10 villages are below the 2% threshold (<b> is text).",
        "本数据包没有“贷款”表，本节需要该数据，故未计算。",
    ]
    assert zh.shown == ["10个村中有3个村低于2%的标准。", "本数据包没有“贷款”表，本节需要该数据，故未计算。"]
    assert "<p>3 of 10 villages are below the 2% threshold (&lt;b&gt; is text).</p>" in en._repr_html_()
    assert "<p>10个村中有3个村低于2%的标准。</p>" in zh._repr_html_() and "villages" not in zh._repr_html_()
