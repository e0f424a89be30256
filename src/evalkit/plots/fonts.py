"""Fonts: Chinese labels render with Noto Sans CJK SC, installed with evalkit.

The font file comes from the ``mplfonts`` package on PyPI (a dependency), so a
fresh ``make setup`` has it without system fonts. It is registered with
matplotlib directly; evalkit does not edit any matplotlibrc.
"""

from __future__ import annotations

import base64
import io
import logging
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from evalkit.errors import FontError

__all__ = [
    "CJK_FAMILY",
    "WEB_FAMILY",
    "cjk_font_path",
    "register_cjk_font",
    "font_rc",
    "missing_glyphs",
    "web_font_css",
    "cjk_characters",
]

#: Font family used for Chinese labels.
CJK_FAMILY = "Noto Sans CJK SC"
_LATIN_FALLBACK = "DejaVu Sans"

#: The family name a report's HTML gives the embedded CJK font (:func:`web_font_css`).
WEB_FAMILY = "evalkit CJK"

#: Characters the embedded web font covers: CJK radicals, symbols and punctuation, ideographs (with
#: extension A and compatibility ideographs), vertical and compatibility forms, full-width forms.
CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
)


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file shipped by ``mplfonts``."""
    try:
        path = Path(str(files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"))
    except ModuleNotFoundError:
        raise FontError(
            "the package 'mplfonts' (which ships Noto Sans CJK SC) is not installed; "
            "run `make setup` or `pip install mplfonts`."
        ) from None
    if not path.is_file():
        raise FontError(
            f"Noto Sans CJK SC not found at {path}; reinstall mplfonts (`pip install --force-reinstall mplfonts`)."
        )
    return path


@lru_cache(maxsize=1)
def register_cjk_font() -> str:
    """Register the CJK font with matplotlib once; return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    if name != CJK_FAMILY:
        raise FontError(f"{path} holds the family {name!r}, expected {CJK_FAMILY!r}.")
    return name


def font_rc(lang: str) -> dict[str, object]:
    """Matplotlib rc settings for labels in ``lang`` ('en' or 'zh').

    For Chinese the CJK family comes first with DejaVu Sans as per-glyph
    fallback, and the ASCII hyphen is used for minus signs; for English DejaVu Sans
    comes first with the CJK family as fallback.
    """
    if lang == "zh":
        family = register_cjk_font()
        return {
            "font.family": "sans-serif",
            "font.sans-serif": [family, _LATIN_FALLBACK],
            "axes.unicode_minus": False,
        }
    # English labels in DejaVu Sans, with the CJK font behind it for the Chinese words some English text
    # quotes (a rule's 合计, a place's name): a glyph DejaVu lacks comes from it, never as a box. matplotlib
    # falls back along a list of families given as font.family, not along the generic family's list.
    fonts = [_LATIN_FALLBACK, register_cjk_font()]
    return {"font.family": fonts, "font.sans-serif": fonts, "axes.unicode_minus": True}


def missing_glyphs(text: str, family: str | None = None) -> list[str]:
    """Characters of ``text`` that the font matplotlib would pick for ``family`` lacks.

    ``family`` defaults to the first entry of the current ``font.sans-serif``.

    Examples
    --------
    >>> _ = register_cjk_font()
    >>> missing_glyphs("贫困发生率", CJK_FAMILY)
    []
    """
    from matplotlib.ft2font import FT2Font

    family = family or mpl.rcParams["font.sans-serif"][0]
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    return [ch for ch in dict.fromkeys(text) if not ch.isspace() and font.get_char_index(ord(ch)) == 0]


def web_font_css(text: str) -> str:
    """CSS that makes a web page draw the CJK characters of ``text`` with evalkit's font on any machine.

    The font is cut down to the characters ``text`` uses (``fontTools``, which matplotlib already needs),
    packed as WOFF and embedded as a data URI, so that the page stays one file that can be handed on and
    renders without a CJK system font. Its ``unicode-range`` limits it to CJK characters: it is named first
    in every font list and Latin text keeps the page's own fonts. An empty string if ``text`` has no CJK.

    Examples
    --------
    >>> css = web_font_css("贫困发生率 6.2%")
    >>> css.count("@font-face"), f'"{WEB_FAMILY}"' in css, len(web_font_css("no Chinese here"))
    (1, True, 0)
    """
    chars = cjk_characters(text)
    if not chars:
        return ""
    data = base64.b64encode(_font_subset(chars)).decode("ascii")
    families = f'"{WEB_FAMILY}", system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif'
    mono = f'"{WEB_FAMILY}", Menlo, Consolas, "DejaVu Sans Mono", monospace'
    return (
        f'@font-face {{ font-family: "{WEB_FAMILY}"; src: url(data:font/woff;base64,{data}) format("woff"); '
        f"unicode-range: {', '.join(f'U+{low:04X}-{high:04X}' for low, high in CJK_RANGES)}; }}\n"
        f":root {{ --jp-ui-font-family: {families}; --jp-content-font-family: {families}; "
        f"--jp-code-font-family: {mono}; }}\n"
        f"body, table, .jp-RenderedHTMLCommon {{ font-family: {families}; }}\n"
        f"code, pre, kbd, samp {{ font-family: {mono}; }}\n"
    )


def cjk_characters(text: str) -> str:
    """The distinct CJK characters of ``text`` (those the web font covers), sorted.

    >>> cjk_characters("合成数据 · SYNTHETIC 数据")
    '合成据数'
    """
    return "".join(sorted({ch for ch in set(text) if is_cjk(ch)}))


def is_cjk(ch: str) -> bool:
    """Whether the character ``ch`` is one the web font covers (:data:`CJK_RANGES`).

    >>> is_cjk("率"), is_cjk("，"), is_cjk("ﬁ"), is_cjk("a")
    (True, True, False, False)
    """
    code = ord(ch)
    return any(low <= code <= high for low, high in CJK_RANGES)


@lru_cache(maxsize=4)
def _font_subset(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # its INFO lines say which tables it pruned
    options = subset.Options()
    options.notdef_outline = True
    font = TTFont(str(cjk_font_path()))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    font.flavor = "woff"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
