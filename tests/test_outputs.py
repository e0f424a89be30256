"""metrics.json and table writing."""

from __future__ import annotations

import re
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


def test_a_long_table_shows_its_first_rows_and_all_of_them_behind_a_switch() -> None:
    from evalkit.report.sections import LONG_TABLE_ROWS, Section

    long = pd.DataFrame({"village": [f"V{i:03d}" for i in range(62)], "households": range(62)})
    for lang, words in (("en", "Show all 62 rows"), ("zh", "显示全部62行")):
        s = Section(lang=lang)
        s.show(long)
        page = s._repr_html_()
        head, full = page.split("<details>")
        assert words in full and head.count("<tr") == 1 + 10 and full.count("<tr") == 1 + 62
    short = Section()
    short.show(long.head(LONG_TABLE_ROWS))
    assert "<details>" not in short._repr_html_() and short._repr_html_().count("<tr") == 1 + LONG_TABLE_ROWS


def test_p_values_print_as_papers_print_them() -> None:
    from evalkit.report.sections import Section

    s = Section()
    s.show(pd.DataFrame({"term": ["loan", "age"], "estimate": [437.6, 1.5], "p_value": [1.161764e-92, 0.04321]}))
    cells = re.findall(r"<td>([^<]*)</td>", s._repr_html_())
    assert cells == ["loan", "437.6", "&lt;0.001", "age", "1.5", "0.043"]  # not every term has a label: as written


def test_a_figure_is_shown_once_with_its_titles_as_alternative_text(monkeypatch) -> None:
    import IPython.display
    import matplotlib.pyplot as plt

    from evalkit.report.sections import Section

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    s = Section(lang="zh")
    fig, ax = plt.subplots()
    ax.set_title("贫困发生率")
    s.figure("incidence", fig)
    s.note("A sentence.", "一句话。")
    s._ipython_display_()
    assert "一句话。" in shown[0][0].data
    assert shown[1] == (fig, {"metadata": {"image/png": {"alt": "贫困发生率"}}})
    assert not plt.fignum_exists(fig.number)  # closed: the cell's end does not draw it again


def test_shares_print_as_percentages_and_only_when_every_value_is_a_share() -> None:
    from evalkit.report.sections import Section

    s = Section()
    s.show(
        pd.DataFrame(
            {
                "take_up": [0.43543, 0.0042],
                "incidence_pct": [0.97, 0.5],  # already in percent: as it is
                "return_rate": [0.5, 1.7],  # not all between 0 and 1: not a share, as it is
            }
        )
    )
    cells = re.findall(r"<td>([^<]*)</td>", s._repr_html_())
    assert cells == ["43.5%", "0.97", "0.5", "0.42%", "0.5", "1.7"]


def test_whole_numbers_have_thousands_separators_but_years_and_codes_do_not() -> None:
    from evalkit.report.sections import Section

    s = Section()
    s.show(
        pd.DataFrame(
            {"households": [3601, 47], "first_year": [2014, 2016], "village_id": [1001, 2], "exit_year": [2017.0, None]}
        )
    )
    cells = re.findall(r"<td>([^<]*)</td>", s._repr_html_())
    assert cells == ["3,601", "2014", "1001", "2017", "47", "2016", "2", "–"]
    s = Section()
    s.show(
        pd.DataFrame({"due_by": [2019], "counted_to": [2018], "registry_by_year": [3601], "borrowers_in_year": [1568]})
    )
    assert re.findall(r"<td>([^<]*)</td>", s._repr_html_()) == ["2019", "2018", "3,601", "1,568"]


def test_a_column_of_codes_shows_their_labels_and_other_text_stays_as_written() -> None:
    """Only a column whose every value is a code with a label is translated: a sheet an office named
    "villages" beside "sheet-2" stays as it was written."""
    from evalkit.report.sections import Section

    for lang, words in (("en", ["Self-development", "Partnership"]), ("zh", ["贫困户自我发展", "贫困户用合伙发展"])):
        s = Section(lang=lang)
        s.show(pd.DataFrame({"model": ["self_development", "partnership"]}))
        assert re.findall(r"<td>([^<]*)</td>", s._repr_html_()) == words
    s = Section(lang="en")  # a year the ledger has no figure for (an office's package adds 2019) stays empty
    s.show(pd.DataFrame({"source": ["published", None, "derived"]}))
    assert re.findall(r"<td>([^<]*)</td>", s._repr_html_()) == ["published", "–", "derived from published exits"]
    s = Section(lang="zh")
    s.show(pd.DataFrame({"sheet": ["villages", "sheet-2"]}))
    assert re.findall(r"<td>([^<]*)</td>", s._repr_html_()) == ["villages", "sheet-2"]
