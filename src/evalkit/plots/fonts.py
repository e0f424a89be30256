"""Fonts: Chinese labels render with Noto Sans CJK SC, installed with evalkit.

The font file comes from the ``mplfonts`` package on PyPI (a dependency), so a
fresh ``make setup`` has it without system fonts. It is registered with
matplotlib directly; evalkit does not edit any matplotlibrc.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from evalkit.errors import FontError

__all__ = ["CJK_FAMILY", "cjk_font_path", "register_cjk_font", "font_rc", "missing_glyphs"]

#: Font family used for Chinese labels.
CJK_FAMILY = "Noto Sans CJK SC"
_LATIN_FALLBACK = "DejaVu Sans"


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
    fallback, and the ASCII hyphen is used for minus signs.
    """
    if lang == "zh":
        family = register_cjk_font()
        return {
            "font.family": "sans-serif",
            "font.sans-serif": [family, _LATIN_FALLBACK],
            "axes.unicode_minus": False,
        }
    return {"font.family": "sans-serif", "font.sans-serif": [_LATIN_FALLBACK], "axes.unicode_minus": True}


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
