"""The browser checks themselves, and printing, on small pages: each check finds what it should (so that
the report tests, which expect no problem, mean something), and the PDF is one A4 file with a bookmark per
page. Skipped, with how to get one, where no Chromium can be found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browsing import browser_for, chromium_or_reason, fonts_without_cjk, pdf_cjk_fonts

from evalkit.errors import BrowserError
from evalkit.plots.fonts import web_font_css
from evalkit.report import printing
from evalkit.runner import run

BROWSER, WHY_NOT = chromium_or_reason()
needs_browser = pytest.mark.skipif(BROWSER is None, reason=WHY_NOT)

PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style></head><body><h1 id="top">{title}</h1><p>{text}</p>{extra}</body></html>"""


def _page(folder: Path, name: str, *, title="07 · 建档立卡", text="贫困发生率 0.97%", css="", extra="", lang="zh"):
    path = folder / name
    path.write_text(PAGE.format(title=title, text=text, css=css, extra=extra, lang=lang), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from browser_for(fonts_without_cjk(tmp_path_factory.mktemp("fontconfig")))


@needs_browser
def test_chinese_with_the_embedded_font_passes_and_without_it_is_found(browser, tmp_path) -> None:
    """The negative control: on this machine, as the tests set it up, Chromium has no CJK font, so a page
    without evalkit's embedded font draws its Chinese as boxes, and the check says so."""
    text = "贫困发生率从6.2%降至0.97%，群众认可度"
    bare = _page(tmp_path, "bare.html", text=text)
    [problem] = browser.problems(bare, lang="zh")
    assert "drawn in a CJK font" in problem
    embedded = _page(tmp_path, "embedded.html", text=text, css=web_font_css("07 · 建档立卡" + text))
    assert browser.problems(embedded, lang="zh") == []


@needs_browser
@pytest.mark.parametrize(
    ("extra", "title", "expected"),
    [
        ('<a href="missing.html">x</a>', "07 · 报告", "broken link: missing.html"),
        ('<a href="#nowhere">x</a>', "07 · 报告", "link to a missing anchor: #nowhere"),
        ('<a href="#top">x</a>', "Notebook", "the page is titled 'Notebook'"),
        ("<script>throw new Error('boom')</script>", "07 · 报告", "script error: boom"),
        ("<script>console.error('bad')</script>", "07 · 报告", "console error: bad"),
        ('<img src="figure.png" alt="figure">', "07 · 报告", "image not shown: figure"),
        ("<pre>0    1.5\nName: x, dtype: float64</pre>", "07 · 报告", "shows 'dtype:'"),
        (
            '<div class="jp-CodeCell"><div class="jp-InputArea">x = 1</div></div>',
            "07 · 报告",
            "1 visible code or prompt element(s)",
        ),
        ('<a href="#top">x</a>', "07 · Report", "the Chinese page's title has no Chinese"),
    ],
)
def test_each_check_finds_what_it_should(browser, tmp_path, extra, title, expected) -> None:
    css = web_font_css(title + "贫困发生率")
    problems = browser.problems(_page(tmp_path, "p.html", title=title, css=css, extra=extra), lang="zh")
    assert any(p.startswith(expected) for p in problems), problems
    assert len(problems) <= 3, problems  # a missing image is also a failed request and a console error


@needs_browser
def test_print_joins_the_pages_into_one_a4_pdf_with_a_bookmark_each(tmp_path) -> None:
    from pypdf import PdfReader

    css = printing.PAGE_CSS + web_font_css("封面 一 二 贫困发生率")
    first = _page(tmp_path, "a.html", title="封面", css=css)
    second = _page(tmp_path, "b.html", title="二", css=css, extra="<p style='break-before: page'>二</p>")
    env = fonts_without_cjk(tmp_path / "fc")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # printed as on a machine without CJK fonts
    try:
        pdf = printing.print_pdf(
            [("封面", first), ("第二页", second)], tmp_path / "out.pdf", browser=BROWSER, title="年度"
        )
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3 and reader.metadata.title == "年度"
    assert [item.title for item in reader.outline] == ["封面", "第二页"]
    assert [reader.get_destination_page_number(item) for item in reader.outline] == [0, 1]
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)
    drawn = pdf_cjk_fonts(pdf)
    assert sum(drawn.values()) >= 2 * len("贫困发生率") and set(drawn) == {"/Type3"}, drawn  # the embedded font
    assert not list(tmp_path.glob("*.part"))


def test_no_browser_is_an_error_only_when_a_pdf_is_asked_for(monkeypatch, tmp_path, run_cli) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium anywhere
    monkeypatch.delenv(printing.BROWSER_ENV, raising=False)
    assert printing.find_browser() is None
    with pytest.raises(BrowserError, match="no browser to print the year's PDF with: install Debian's Chromium"):
        run(2018, out=tmp_path / "out", pdf="yes")
    assert not (tmp_path / "out").exists()
    done = run_cli("run", "--out", str(tmp_path / "out"), "--pdf", "yes")
    assert done.returncode == 2 and "make browser" in done.stderr and "Traceback" not in done.stderr


def test_a_browser_named_in_the_environment_must_exist(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(printing.BROWSER_ENV, str(tmp_path / "chrome"))
    with pytest.raises(BrowserError, match="EVALKIT_CHROMIUM=.*is not an executable file"):
        printing.find_browser()
