"""Figures and labels in English or Chinese, with a CJK font the project installs."""

from evalkit.plots.figures import (
    assessment_figure,
    exits_figure,
    household_distributions_figure,
    incidence_figure,
    income_ratio_figure,
    bunching_figure,
    concentration_figure,
    event_study_figure,
    quality_figure,
    reach_figure,
    registry_incidence_figure,
    setup,
    survival_figure,
    villages_figure,
)
from evalkit.plots.fonts import CJK_FAMILY, cjk_font_path, font_rc, missing_glyphs, register_cjk_font
from evalkit.plots.labels import LABELS, LANGS, check_lang, label, translate_columns

__all__ = [
    "CJK_FAMILY",
    "assessment_figure",
    "LABELS",
    "LANGS",
    "check_lang",
    "cjk_font_path",
    "exits_figure",
    "font_rc",
    "household_distributions_figure",
    "quality_figure",
    "bunching_figure",
    "concentration_figure",
    "event_study_figure",
    "reach_figure",
    "registry_incidence_figure",
    "survival_figure",
    "incidence_figure",
    "income_ratio_figure",
    "label",
    "missing_glyphs",
    "register_cjk_font",
    "setup",
    "translate_columns",
    "villages_figure",
]
