"""Chinese labels render with a real CJK font, not boxes."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager

from evalkit import plots, published

CHINESE = "黎城县贫困发生率退出标准建档立卡脱贫户数"


def _render(fig) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*Glyph .* missing from font.*")
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_cjk_font_is_installed_and_resolved() -> None:
    path = plots.cjk_font_path()
    assert path.is_file() and path.stat().st_size > 1_000_000
    plots.register_cjk_font()
    found = font_manager.findfont(font_manager.FontProperties(family=plots.CJK_FAMILY), fallback_to_default=False)
    assert found == str(path)
    assert plots.missing_glyphs(CHINESE, plots.CJK_FAMILY) == []


def test_default_latin_font_would_show_boxes() -> None:
    # the check above is meaningful: DejaVu Sans lacks these glyphs
    assert plots.missing_glyphs("贫困", "DejaVu Sans") == ["贫", "困"]


def test_chinese_figures_render_without_missing_glyphs() -> None:
    path = published.incidence_path()
    fig = plots.incidence_figure(path, threshold=2.0, lang="zh")
    texts = [fig.axes[0].get_title(), fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()]
    assert texts == ["黎城县贫困发生率", "年份", "贫困发生率(%)"]
    assert matplotlib.rcParams["font.sans-serif"][0] == plots.CJK_FAMILY
    _render(fig)
    _render(plots.exits_figure(published.exits_by_year(), lang="zh"))
    _render(plots.villages_figure(published.villages_exited_by_year(), lang="zh"))


def test_missing_glyph_warning_is_caught_by_the_check() -> None:
    with plt.rc_context({"font.family": ["DejaVu Sans"]}):  # a Latin font alone
        fig, ax = plt.subplots()
        ax.set_title("贫困")
    with pytest.raises(UserWarning, match="missing from font"):
        _render(fig)


def test_english_figures_draw_the_chinese_words_they_quote() -> None:
    """An English label quoting Chinese (a rule's 合计, a place's name) takes those glyphs from the CJK font
    behind DejaVu Sans: no box, no warning."""
    plots.setup("en")
    fig, ax = plt.subplots()
    ax.set_title("a total or subtotal row (合计, 小计), not a record")
    _render(fig)  # the check turns a missing-glyph warning into an error


def test_unknown_lang_is_rejected() -> None:
    with pytest.raises(Exception, match="lang must be one of en, zh"):
        plots.setup("fr")
