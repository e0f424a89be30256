"""English and Chinese labels for every figure and table evalkit shows.

One dictionary maps a label key to its text in each language. Table columns are
renamed through the same keys, so a Chinese run has Chinese headers throughout.
"""

from __future__ import annotations

from typing import Literal, get_args

import pandas as pd

from evalkit.errors import ParameterError

__all__ = ["Lang", "LANGS", "LABELS", "VALUE_COLUMNS", "label", "translate_columns", "check_lang"]

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = get_args(Lang)

LABELS: dict[str, dict[str, str]] = {
    # generic
    "year": {"en": "Year", "zh": "年份"},
    "households": {"en": "Households", "zh": "户数"},
    "persons": {"en": "Persons", "zh": "人数"},
    "measure": {"en": "Measure", "zh": "指标"},
    "value": {"en": "Value", "zh": "数值"},
    "source": {"en": "Source", "zh": "来源"},
    "published": {"en": "published", "zh": "公布值"},
    "derived": {"en": "derived from published exits", "zh": "由公布的脱贫人数推算"},
    # incidence
    "poor_households": {"en": "Registered poor households", "zh": "建档立卡贫困户数"},
    "poor_persons": {"en": "Registered poor persons", "zh": "建档立卡贫困人口"},
    "incidence_pct": {"en": "Incidence (%)", "zh": "贫困发生率(%)"},
    "incidence_published": {"en": "Published incidence (%)", "zh": "公布的贫困发生率(%)"},
    "exit_threshold": {"en": "Exit threshold", "zh": "退出标准"},
    "title_incidence": {"en": "Poverty incidence, Licheng County", "zh": "黎城县贫困发生率"},
    "incidence_note": {
        "en": "Markers: published figures; line: registered poor over agricultural population",
        "zh": "标记为公布值;折线为建档立卡贫困人口除以农业人口",
    },
    # exits
    "exits_households": {"en": "Households exiting", "zh": "脱贫户数"},
    "exits_persons": {"en": "Persons exiting", "zh": "脱贫人数"},
    "cumulative_households": {"en": "Cumulative households", "zh": "累计脱贫户数"},
    "cumulative_persons": {"en": "Cumulative persons", "zh": "累计脱贫人数"},
    "title_exits": {"en": "Exits from poverty by year", "zh": "各年脱贫户数和人数"},
    # villages
    "villages": {"en": "Poor villages exited", "zh": "退出贫困村数"},
    "cumulative_villages": {"en": "Cumulative villages exited", "zh": "累计退出贫困村数"},
    "poor_villages": {"en": "Registered poor villages", "zh": "贫困村总数"},
    "title_villages": {"en": "Poor villages exited by year", "zh": "各年退出贫困村数"},
    # reconciliation
    "identity": {"en": "Identity", "zh": "勾稽关系"},
    "group": {"en": "Group", "zh": "类别"},
    "description": {"en": "Description", "zh": "说明"},
    "relation": {"en": "Relation", "zh": "关系"},
    "lhs_expr": {"en": "Left side", "zh": "左式"},
    "rhs_expr": {"en": "Right side", "zh": "右式"},
    "lhs": {"en": "Left value", "zh": "左值"},
    "rhs": {"en": "Right value", "zh": "右值"},
    "gap": {"en": "Gap", "zh": "差额"},
    "tolerance": {"en": "Tolerance", "zh": "容差"},
    "holds": {"en": "Holds", "zh": "是否成立"},
    "figures": {"en": "Figures", "zh": "涉及数字"},
    "note": {"en": "Note", "zh": "备注"},
    # ledger
    "figure_id": {"en": "Figure", "zh": "数字编号"},
    "area": {"en": "Area", "zh": "领域"},
    "indicator": {"en": "Indicator", "zh": "指标"},
    "unit": {"en": "Unit", "zh": "单位"},
    "n_figures": {"en": "Figures", "zh": "数字个数"},
    "area_name": {"en": "Area name", "zh": "领域名称"},
    "area_en": {"en": "Area", "zh": "领域(英文)"},
    "area_zh": {"en": "Area (Chinese)", "zh": "领域"},
    "indicator_en": {"en": "Indicator", "zh": "指标(英文)"},
    "indicator_zh": {"en": "Indicator (Chinese)", "zh": "指标"},
    "period": {"en": "Period", "zh": "时期"},
    "value_reported": {"en": "Value as reported", "zh": "报告数值"},
    "unit_reported": {"en": "Unit as reported", "zh": "报告单位"},
    "more_than": {"en": "More than (余/以上)", "zh": "“余/以上”"},
    "approximate": {"en": "Approximate", "zh": "约数"},
    "stated": {"en": "Stated in the report", "zh": "报告明确给出"},
    "entity": {"en": "Entity", "zh": "对象"},
    "entity_type": {"en": "Entity type", "zh": "对象类型"},
    "source_phrase": {"en": "Source phrase", "zh": "原文"},
    "description_en": {"en": "Description", "zh": "说明(英文)"},
    "description_zh": {"en": "Description (Chinese)", "zh": "说明"},
    # values of categorical columns (see VALUE_COLUMNS)
    "exits": {"en": "exits", "zh": "脱贫"},
    "incidence": {"en": "incidence", "zh": "贫困发生率"},
    "overview": {"en": "overview", "zh": "县情概况"},
    "relocation": {"en": "relocation", "zh": "易地搬迁"},
    "health": {"en": "health", "zh": "健康扶贫"},
    "funds": {"en": "funds", "zh": "资金使用"},
    "ecology": {"en": "ecology", "zh": "生态扶贫"},
    "deep_poverty": {"en": "deep poverty", "zh": "深度贫困"},
    "supervision": {"en": "supervision", "zh": "督查问责"},
    "named lists": {"en": "named lists", "zh": "列举清单"},
}

#: Columns whose *values* are label keys and are translated too.
VALUE_COLUMNS: tuple[str, ...] = ("source", "group")


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`ParameterError`."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}.")
    return lang


def label(key: str, lang: str = "en") -> str:
    """Text of a label.

    Examples
    --------
    >>> label("incidence_pct", "zh")
    '贫困发生率(%)'
    """
    check_lang(lang)
    try:
        return LABELS[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r}; add it to evalkit.plots.labels.LABELS") from None


def translate_columns(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return a copy with columns renamed to their labels in ``lang``.

    Columns without a label keep their name; values of the categorical columns
    in :data:`VALUE_COLUMNS` are translated where a label exists.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [2018], "source": ["published"]})
    >>> translate_columns(frame, "zh").to_dict("records")
    [{'年份': 2018, '来源': '公布值'}]
    """
    check_lang(lang)
    out = frame.copy()
    for column in VALUE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(lambda v: LABELS[v][lang] if isinstance(v, str) and v in LABELS else v)
    return out.rename(columns={c: LABELS[c][lang] for c in out.columns if c in LABELS})
