"""The Chinese edition says everything in Chinese: every sentence an evaluation shows has a Chinese version
with the same numbers (in this process, fast), and a real ``evalkit run --lang zh`` writes reports whose
headings and paragraphs hold no English prose (:mod:`english_prose`), besides the names it allows.

The Chinese run is the test suite's one run of the Chinese edition in a kernel; every test that reads it is
in this module (``make test`` runs one module per worker, so the run is made once, beside the annual run).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from html import unescape
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import pytest
from browsing import browser_for, chromium_or_reason, fonts_without_cjk, pdf_cjk_fonts
from bs4 import BeautifulSoup

from english_prose import CJK, english_runs, report_prose
from evalkit import evaluations, paths
from evalkit.runner import editions

matplotlib.use("Agg")

NOTEBOOKS = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")


def _notes(notebook: str, methods: tuple[str, ...], lang: str, **parameters: object) -> list[list[str]]:
    """The sentences each section (``methods``) of ``notebook`` shows, run in ``lang``."""
    cls = evaluations.evaluation_class(notebook)
    evaluation = cls(cls.Params(lang=lang, **parameters))
    try:
        sections = [getattr(evaluation, method)() for method in methods]
    finally:
        plt.close("all")
    return [[item for item in section.shown if isinstance(item, str)] for section in sections]


#: Sections that show sentences, with parameters that reach their other branches (no survey, no loans).
SECTIONS = [
    ("01_incidence_trends", {}, ("reconciliation", "registry_trend", "survey", "bunching")),
    ("01_incidence_trends", {"line": "screening"}, ("survey",)),
    ("02_microcredit", {"reps": 19}, ("depth",)),
    ("02_microcredit", {"year": 2015}, ("depth", "effects")),
    ("03_training_outcomes", {"dataset": "nsw_experimental", "reps": 19}, ("participation",)),
    ("04_return_to_poverty", {}, ("by_village", "risk_model")),
    ("05_exit_assessment", {}, ("visit_list", "figures")),
    ("05_exit_assessment", {"year": 2016}, ("figures",)),
    ("06_program_coverage", {}, ("coverage", "against_the_report")),
    ("02_microcredit", {"reps": 19}, ("repayment",)),
]


@pytest.mark.parametrize(
    ("notebook", "parameters", "methods"), SECTIONS, ids=[f"{n}-{'-'.join(m)}" for n, _, m in SECTIONS]
)
def test_every_sentence_a_section_shows_has_a_chinese_version_with_the_same_numbers(
    notebook: str, parameters: dict, methods: tuple[str, ...]
) -> None:
    """Each sentence in English has its Chinese version (not the English again), in Chinese, with every
    number of the English written the same way (thousands separators, decimals)."""
    english, chinese = _notes(notebook, methods, "en", **parameters), _notes(notebook, methods, "zh", **parameters)
    for method, en, zh in zip(methods, english, chinese, strict=True):
        assert en and len(zh) == len(en), (method, en, zh)
        for sentence, translated in zip(en, zh, strict=True):
            assert CJK.search(translated) and english_runs(translated) == [], translated
            missing = Counter(_NUMBER.findall(sentence)) - Counter(_NUMBER.findall(translated))
            assert not missing, f"{sentence!r} and {translated!r}: {sorted(missing)} not written alike"


# ---------------------------------------------------------------- a real run of the Chinese edition


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory, evalkit_cli) -> SimpleNamespace:
    """``evalkit run --lang zh`` of 2018 on the embedded SYNTHETIC county (fewer bootstrap replications: the
    words are the same), made once for this module."""
    root = tmp_path_factory.mktemp("chinese_run")
    out = root / "2018"
    no_cjk = fonts_without_cjk(root / "fontconfig")  # the PDF printed as on a machine without CJK fonts
    command = [*evalkit_cli, "run", "--year", "2018", "--lang", "zh", "--out", str(out), "-p", "reps=39"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=1800, check=False, env={**os.environ, **no_cjk}
    )
    return SimpleNamespace(out=out, run=done, no_cjk=no_cjk)


#: Notebooks whose sections show sentences on the synthetic county in 2018 (their paragraphs must be found).
WITH_NOTES = {
    "00_data_quality",
    "01_incidence_trends",
    "02_microcredit",
    "04_return_to_poverty",
    "05_exit_assessment",
    "06_program_coverage",
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_chinese_report_says_nothing_in_english(chinese_run, path) -> None:
    """Each Chinese report: titled in Chinese, every heading of the Chinese edition there, the sections'
    sentences there, and no heading or paragraph with a run of four English words outside code, nor one
    without a Chinese word."""
    assert chinese_run.run.returncode == 0, chinese_run.run.stderr
    html = (chinese_run.out / f"{path.stem}.html").read_text(encoding="utf-8")
    title = unescape(re.search(r"<title>(.*?)</title>", html).group(1))
    assert title.startswith(path.stem[:2] + " · ") and CJK.search(title) and english_runs(title) == []
    prose = report_prose(html)
    english = {block: english_runs(block) for block in prose if english_runs(block)}
    assert english == {}, f"English in the Chinese report {path.name}: {english}"
    assert [block for block in prose if not CJK.search(block)] == []  # no short English heading either
    # the check read what it should: every heading of the Chinese edition, and the sections' sentences
    edition = editions.select(json.loads(path.read_text(encoding="utf-8")), lang="zh", synthetic=True)
    markdown = "\n".join(
        "".join(c["source"]) for c in edition["cells"] if c["cell_type"] == "markdown" and editions.in_report(c)
    )
    headings = [re.sub(r"`[^`]*`|\s", "", h) for h in re.findall(r"^#+\s+(.*)$", markdown, flags=re.M)]
    shown = {re.sub(r"\s", "", block) for block in prose}
    assert headings and set(headings) <= shown, set(headings) - shown
    notes = BeautifulSoup(html, "html.parser").select(".jp-OutputArea-output.jp-RenderedHTMLCommon > p")
    assert bool(notes) == (path.stem in WITH_NOTES), [p.get_text() for p in notes]
    assert all(CJK.search(p.get_text()) for p in notes)


@pytest.mark.slow
def test_every_chinese_figure_was_checked_and_reads_cleanly(chinese_run) -> None:
    """Every figure of the eight notebooks, in Chinese, was checked as it was saved (tests/test_figures.py
    tests the check): no text overlaps another and no character is drawn as a box."""
    assert chinese_run.run.returncode == 0, chinese_run.run.stderr
    manifest = json.loads((chinese_run.out / "manifest.json").read_text(encoding="utf-8"))
    figures = {n["name"]: n["figures"] for n in manifest["notebooks"]}
    for name, found in figures.items():
        assert found["checked"] == len(list((chinese_run.out / name / "figures").glob("*.png"))), name
    assert sum(found["checked"] for found in figures.values()) >= 19
    assert {name: found["problems"] for name, found in figures.items() if found["problems"]} == {}


BROWSER, WHY_NOT = chromium_or_reason()


@pytest.fixture(scope="module")
def browser(chinese_run):
    yield from browser_for(chinese_run.no_cjk)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["index", *(p.stem for p in NOTEBOOKS)])
def test_in_a_browser_without_cjk_fonts_the_chinese_pages_read_cleanly(browser, chinese_run, name) -> None:
    """Each Chinese page in headless Chromium with no CJK font on the machine: titled in Chinese, no console
    error, failed request, broken link or image, visible code or Python repr, and every Chinese character
    (collapsed tables opened) drawn in the font the page embeds, none as a box."""
    assert chinese_run.run.returncode == 0, chinese_run.run.stderr
    page = chinese_run.out / f"{name}.html"
    assert '<html lang="zh-Hans"' in page.read_text(encoding="utf-8")
    assert browser.problems(page, lang="zh") == []


@pytest.mark.slow
def test_the_chinese_pdf_draws_its_chinese_in_the_embedded_font(chinese_run) -> None:
    """The Chinese PDF, printed with no CJK font on the machine: titled and bookmarked in Chinese, thousands
    of Chinese characters, every one drawn in the pages' embedded font (a Type 3 font in Chromium's PDF)."""
    from pypdf import PdfReader

    manifest = json.loads((chinese_run.out / "manifest.json").read_text(encoding="utf-8"))
    if BROWSER is None:
        pytest.skip(WHY_NOT)
    assert manifest["pdf"] == {"status": "ok", "file": "evalkit-report-2018-zh.pdf"}
    pdf = chinese_run.out / manifest["pdf"]["file"]
    reader = PdfReader(pdf)
    assert reader.metadata.title == "2018年度评估报告" and reader.outline[0].title == "2018年度评估报告"
    assert all(CJK.search(item.title) for item in reader.outline) and len(reader.outline) == 1 + len(NOTEBOOKS)
    drawn = pdf_cjk_fonts(pdf)
    assert sum(drawn.values()) > 5000 and set(drawn) == {"/Type3"}, drawn
