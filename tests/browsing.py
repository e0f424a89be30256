"""Looking at the reports as a reader does: in headless Chromium, on a machine with no CJK system font.

:func:`fonts_without_cjk` writes a fontconfig setup that offers Chromium only matplotlib's DejaVu and STIX
fonts, so that Chinese can come only from the font a page embeds. :class:`Browser` opens a page with
Playwright driving Debian's Chromium (never a downloaded browser) and lists what a reader would see wrong:
errors on the console, failed requests, broken links and images, a missing or generic title, visible code,
Python's printed reprs, and CJK characters drawn in a font without CJK glyphs. :func:`pdf_cjk_fonts` says
which fonts a PDF draws its CJK characters with.
"""

from __future__ import annotations

import collections
import html
from pathlib import Path
from urllib.parse import unquote, urlparse

import matplotlib

from evalkit.plots.fonts import is_cjk
from evalkit.report.printing import BROWSER_HINT, CHROMIUM_FLAGS, find_browser

#: Text a report must never show: Python's reprs and warnings, and what notebooks print.
REPRS = (
    "dtype:",
    "PosixPath(",
    "WindowsPath(",
    "<Figure size",
    "<matplotlib.",
    "<Axes:",
    "Traceback (most recent call last)",
    "Warning:",
    "Section(tables=",
    "DataFrame(",
    "array([",
    "[IPKernelApp]",
    "NaN",
)

_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def chromium_or_reason() -> tuple[Path | None, str]:
    """The browser to test with, or why there is none and how to get one."""
    browser = find_browser()
    if browser is None:
        return None, f"no Chromium for the browser tests: {BROWSER_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "the browser tests need Playwright's Python package: run `make setup` (the test extra)"
    return browser, ""


def fonts_without_cjk(folder: Path) -> dict[str, str]:
    """Environment variables under which Chromium finds no CJK font on this machine (fontconfig reads only
    matplotlib's own Latin fonts)."""
    folder.mkdir(parents=True, exist_ok=True)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    conf = folder / "fonts.conf"
    conf.write_text(_FONTS_CONF.format(fonts=fonts, cache=folder / "cache"), encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(folder)}


def browser_for(env: dict[str, str]):
    """A :class:`Browser` under ``env`` for a module-scoped fixture to yield (closed after it), or a skip
    that says how to get a browser."""
    import pytest

    executable, why_not = chromium_or_reason()
    if executable is None:
        pytest.skip(why_not)
    opened = Browser(executable, env)
    try:
        yield opened
    finally:
        opened.close()


class Browser:
    """One headless Chromium for a test module; :meth:`problems` opens a page and lists what is wrong."""

    def __init__(self, executable: Path, env: dict[str, str]) -> None:
        import os

        from playwright.sync_api import sync_playwright

        self._driver = sync_playwright().start()
        self._browser = self._driver.chromium.launch(
            executable_path=str(executable),
            headless=True,
            args=[flag for flag in CHROMIUM_FLAGS if flag != "--headless"],  # Playwright adds its own
            env={**os.environ, **env},
        )

    def close(self) -> None:
        self._browser.close()
        self._driver.stop()

    def problems(self, page_file: Path, *, lang: str) -> list[str]:
        """What a reader of ``page_file`` would see wrong (an empty list: nothing)."""
        found: list[str] = []
        page = self._browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: found.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: found.append(f"script error: {e}"))
        page.on("requestfailed", lambda r: found.append(f"request failed: {r.url[:120]} ({r.failure})"))
        try:
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready.then(() => true)")
            found += _title_problems(page.title(), lang)
            found += _visible_code(page)
            text = page.inner_text("body")
            found += [f"shows {r!r}" for r in REPRS if r in text]
            found += _link_problems(page, page_file)
            found += _image_problems(page)
            seen = list(found)  # DevTools' CSS domain re-reads the file:// page and logs that as an error
            found = seen + _cjk_font_problems(page)
        finally:
            page.close()
        return found


def _title_problems(title: str, lang: str) -> list[str]:
    if not title.strip() or title.strip().lower() in {"notebook", "untitled"}:
        return [f"the page is titled {title!r}"]
    if lang == "zh" and not any(is_cjk(ch) for ch in title):
        return [f"the Chinese page's title has no Chinese: {title!r}"]
    return []


def _visible_code(page) -> list[str]:
    selectors = (
        ".jp-CodeCell .jp-InputArea",
        ".jp-InputPrompt",
        ".jp-OutputPrompt",
        ".jp-CodeMirrorEditor",
        ".highlight pre",
    )
    shown = [s for s in selectors for el in page.query_selector_all(s) if el.is_visible()]
    return [f"{len(shown)} visible code or prompt element(s): {sorted(set(shown))}"] if shown else []


def _link_problems(page, page_file: Path) -> list[str]:
    out = []
    ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        parsed = urlparse(href)
        if parsed.scheme in ("http", "https", "mailto"):
            continue
        if not parsed.path:  # an anchor on this page
            if parsed.fragment and not {parsed.fragment, unquote(parsed.fragment)} & ids:  # as browsers match
                out.append(f"link to a missing anchor: {href}")
            continue
        if not (page_file.parent / unquote(parsed.path)).is_file():
            out.append(f"broken link: {href}")
    return out


def _image_problems(page) -> list[str]:
    broken = page.eval_on_selector_all(
        "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => (e.alt || e.src).slice(0, 60))"
    )
    return [f"image not shown: {b}" for b in broken]


def _cjk_font_problems(page) -> list[str]:
    """CJK characters drawn in a font without them (the boxes a reader sees), found by asking the browser
    which platform font drew each element's own text (DevTools' ``CSS.getPlatformFontsForNode``), with
    every collapsed table opened first; an element that is not rendered draws nothing and is passed over."""
    page.eval_on_selector_all("details", "els => els.forEach(e => { e.open = true; })")  # collapsed tables too
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": False})["root"]
    drawn: collections.Counter[str] = collections.Counter()
    needed = 0
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.get("children", [])
        stack.extend(children)
        own = "".join(c.get("nodeValue", "") for c in children if c.get("nodeType") == 3)
        cjk = sum(1 for ch in own if is_cjk(ch))
        if not cjk or node.get("nodeName") in ("STYLE", "SCRIPT", "TITLE"):
            continue
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        if not fonts:  # not rendered (display: none), so nothing is drawn
            continue
        needed += cjk
        for font in fonts:
            drawn[font["familyName"]] += font["glyphCount"]
    cdp.detach()
    cjk_fonts = {name for name in drawn if "CJK" in name}
    if needed and sum(drawn[n] for n in cjk_fonts) < needed:
        return [
            f"{needed} CJK characters, but only {sum(drawn[n] for n in cjk_fonts)} drawn in a CJK font "
            f"(fonts used: {dict(drawn)})"
        ]
    return []


def pdf_cjk_fonts(pdf: Path) -> collections.Counter[str]:
    """How many CJK characters a PDF draws in each font (``/Type3``: a font the browser embedded from the
    page's web font; a named font: that font)."""
    from pypdf import PdfReader

    drawn: collections.Counter[str] = collections.Counter()
    for page in PdfReader(pdf).pages:

        def visit(text, cm, tm, font, size) -> None:
            if font is None:
                return
            name = str(font.get("/BaseFont", "")) or str(font.get("/Subtype"))
            for ch in text:
                if is_cjk(ch):
                    drawn[name] += 1

        page.extract_text(visitor_text=visit)
    return drawn


def visible_text(page_file: Path) -> str:
    """A page's text without markup (for quick checks that need no browser)."""
    import re

    body = page_file.read_text(encoding="utf-8")
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))
