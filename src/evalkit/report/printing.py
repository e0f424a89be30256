"""The year's report as one PDF for filing: each page printed by a headless Chromium, joined in order.

evalkit prints with the browser the reports are read in, so the PDF shows what a reader sees on screen
(fonts, tables, figures); ``pypdf`` joins the pages into one file with a bookmark per report. Chromium is
found on the ``PATH`` (Debian's ``chromium`` package, or Chrome) or named by ``EVALKIT_CHROMIUM``.

Examples
--------
>>> pdf_name(2018, "zh")
'evalkit-report-2018-zh.pdf'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from evalkit.errors import BrowserError

__all__ = [
    "BROWSER_ENV",
    "BROWSER_HINT",
    "CHROMIUM_FLAGS",
    "PAGE_CSS",
    "find_browser",
    "browser_command",
    "pdf_name",
    "print_pdf",
]

#: Environment variable that names the Chromium (or Chrome) executable to print with.
BROWSER_ENV = "EVALKIT_CHROMIUM"

#: How to get a browser, for messages that say none was found.
BROWSER_HINT = (
    "install Debian's Chromium (`sudo apt-get install chromium`, or `make browser`) or Google Chrome, "
    f"or set {BROWSER_ENV} to the browser's executable"
)

#: The style every report and the year page carry. On screen: a long table shows its first rows until its
#: "show all" switch is opened (then only the whole table). In print (so a reader printing from a browser
#: gets what the year's PDF shows): A4; nothing cut off at the right edge (scrolling boxes open up, wide
#: tables wrap in a smaller type); long tables whole; a figure or table row not split across pages.
PAGE_CSS = """.ek-long:has(details[open]) > .ek-head { display: none; }
details > summary { cursor: pointer; color: #0969da; margin: 0.3em 0 0.8em; }
@page { size: A4; margin: 14mm 12mm; }
@supports selector(::details-content) {
  @media print {
    .ek-long > .ek-head, details > summary { display: none; }
    details::details-content { content-visibility: visible; display: contents; }
  }
}
@media print {
  body { font-size: 10pt; }
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-Cell, .jp-OutputArea { overflow: visible !important; }
  table { font-size: 7.5pt; width: auto !important; max-width: 100% !important; table-layout: auto; }
  th, td { overflow-wrap: break-word; word-break: normal; padding: 2px 4px !important; }
  tr, img, figure { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
}
"""

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: Chromium flags for a quiet, offline, throw-away headless browser (as root in a container too); the
#: browser tests start Chromium with the same ones.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def find_browser() -> Path | None:
    """The Chromium or Chrome to print with: ``EVALKIT_CHROMIUM`` if set, else the first on the ``PATH``."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        path = Path(named)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserError(f"{BROWSER_ENV}={named} is not an executable file; {BROWSER_HINT}.")
        return path
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def browser_command(browser: Path, profile: Path, *extra: str) -> list[str]:
    """The command line that starts ``browser`` headless with a fresh ``profile`` folder and ``extra`` flags."""
    return [str(browser), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra]


def pdf_name(year: int, lang: str) -> str:
    """File name of a year's PDF: it says what it is when filed away from its folder."""
    return f"evalkit-report-{year}-{lang}.pdf"


def print_pdf(
    pages: Sequence[tuple[str, Path]],
    pdf: Path,
    *,
    browser: Path,
    title: str,
    timeout: float = 120.0,
) -> Path:
    """Print ``pages`` (bookmark title, HTML file) in order into one PDF at ``pdf`` and return its path.

    Each page is printed on A4 without the browser's header and footer; the joined file carries
    ``title`` and one bookmark per page.

    Raises
    ------
    BrowserError
        The browser failed or timed out on a page (its last message is quoted).
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="evalkit-print-") as work:
        for number, (name, page) in enumerate(pages):
            single = Path(work) / f"{number:02d}.pdf"
            command = browser_command(
                browser,
                Path(work) / "profile",
                "--no-pdf-header-footer",
                "--run-all-compositor-stages-before-draw",
                "--virtual-time-budget=30000",  # the page's embedded font loads before it is printed
                f"--print-to-pdf={single}",
                Path(page).resolve().as_uri(),
            )
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise BrowserError(f"{browser} did not print {Path(page).name} within {timeout:.0f} s.") from None
            if done.returncode != 0 or not single.is_file() or single.stat().st_size == 0:
                last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
                raise BrowserError(f"{browser} could not print {Path(page).name} (exit {done.returncode}): {last}")
            start = len(writer.pages)
            writer.append(PdfReader(single))
            writer.add_outline_item(title=name, page_number=start)
        _relative_links(writer, {Path(page).resolve().parent for _, page in pages})
        writer.add_metadata({"/Title": title, "/Creator": "evalkit"})
        partial = pdf.with_name(pdf.name + ".part")
        with open(partial, "wb") as handle:
            writer.write(handle)
        partial.replace(pdf)
    return pdf


def _relative_links(writer, folders: set[Path]) -> None:  # noqa: ANN001  (a pypdf PdfWriter)
    """Chromium writes a link to a neighbouring page as an absolute ``file://`` address, which would put
    the folder the run was written in (a user's name, a hidden staging folder) into the filed PDF: such a
    link becomes relative to the pages' folder, and any other ``file://`` link is removed."""
    from urllib.parse import unquote, urlparse

    from pypdf.generic import ArrayObject, NameObject, TextStringObject

    for page in writer.pages:
        kept = []
        for ref in page.get("/Annots", []) or []:
            annotation = ref.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith("file:"):
                target = Path(unquote(urlparse(uri).path))
                if target.parent not in folders:
                    continue  # a link out of the report: dropped
                action.get_object()[NameObject("/URI")] = TextStringObject(target.name)
            kept.append(ref)
        if "/Annots" in page:
            page[NameObject("/Annots")] = ArrayObject(kept)
