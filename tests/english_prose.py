"""What counts as English prose left in a Chinese report, for the tests of the Chinese edition.

A Chinese report may name a method (Callaway–Sant'Anna, Wilson intervals), a data set (NSW), a file, a
parameter or a column (``clean_dir``, ``metrics.json``) in Latin letters; it must not say anything in
English. :func:`english_runs` finds runs of ``min_words`` or more English words in a row: words that
stand together with nothing but spaces, digits or ASCII punctuation between them (a Chinese character or
Chinese punctuation ends a run). Code spans, identifiers (snake_case, dotted names, paths), numbers and the
names in :data:`NAMES` are not words, and do not end a run either: "the Callaway–Sant'Anna estimator is
robust" is four English words. :func:`report_prose` is the text a reader sees in a report as prose: its
rendered markdown and the paragraphs of its outputs, without tables, code or figures.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

#: Proper names that stay in Latin letters in a Chinese report: methods and their authors, data sets.
NAMES: tuple[str, ...] = (
    "Callaway–Sant'Anna",
    "Datt–Ravallion",
    "Alkire–Foster",
    "Abadie–Imbens",
    "Dehejia–Wahba",
    "Kaplan-Meier",
    "National Supported Work",
    "LaLonde",
    "Rosenbaum",
    "Shapley",
    "Wilson",
)

CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CODE = re.compile(r"`[^`\n]*`")
_IDENTIFIER = re.compile(r"[A-Za-z0-9]+(?:[_./\\][A-Za-z0-9]+)+")  # clean_dir, evalkit.synth, data/x.csv
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")
_NAMES = re.compile("|".join(re.escape(name) for name in sorted(NAMES, key=len, reverse=True)))
_WORD = re.compile(r"[A-Za-z]+(?:['’\-–][A-Za-z]+)*")
#: What may stand between two words of one English phrase: spaces, ASCII punctuation, digits left over.
_BETWEEN = re.compile(r"[\s\d,;:()\[\]\-–—/'\"&.!?%+=<>*#|]*")
#: Ends a block of a report (a paragraph, a heading): no run goes across it.
BLOCK_END = "\x00"


def english_runs(text: str, min_words: int = 4) -> list[str]:
    """The runs of ``min_words`` or more English words in ``text`` (markdown or plain text).

    >>> english_runs("本报告只读取清洗程序的输出（`evalkit clean` 写出的文件夹）。")
    []
    >>> english_runs("两种稳健估计量（插补估计，Callaway–Sant'Anna 估计）；Wilson 区间")
    []
    >>> english_runs("前几条记录见 internal/quarantine_sample.csv, for the office's use")
    ["for the office's use"]
    >>> english_runs("the Callaway–Sant'Anna estimator is robust")
    ['the estimator is robust']
    >>> english_runs("n=3601, clusters=227 (p = 0.0023)")
    []
    """
    for pattern in (_CODE, _NAMES, _IDENTIFIER, _NUMBER):
        text = pattern.sub(" ", text)
    runs: list[list[str]] = []
    end = None
    for match in _WORD.finditer(text):
        if runs and end is not None and _BETWEEN.fullmatch(text[end : match.start()]):
            runs[-1].append(match.group())
        else:
            runs.append([match.group()])
        end = match.end()
    return [" ".join(run) for run in runs if len(run) >= min_words]


def report_prose(html: str) -> list[str]:
    """The prose of a report exported by the runner: each heading, paragraph and list item of its rendered
    markdown cells and of its outputs (a section's notes), without tables, code, figures or the anchor links
    of headings.

    >>> page = ('<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown"><h2>二、覆盖<a class="anchor-link">¶</a>'
    ...         '</h2><p>见 <code>reach.csv</code>。</p></div><table><tr><td>not prose here</td></tr></table>')
    >>> report_prose(page)
    ['二、覆盖', '见 。']
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["table", "code", "pre", "style", "script", "svg", "img"]):
        tag.decompose()
    for anchor in soup.select("a.anchor-link"):
        anchor.decompose()
    blocks = []
    for rendered in soup.select(".jp-RenderedHTMLCommon"):
        for block in rendered.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li"]):
            if block.find(["p", "li"]):  # a list item holding paragraphs: its paragraphs are blocks
                continue
            text = " ".join(block.get_text(" ").split())
            if text:
                blocks.append(text)
    return blocks
