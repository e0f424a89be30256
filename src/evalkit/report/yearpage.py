"""The year's landing page, ``outputs/<year>/index.html``: the headline figures with a sentence for each
verdict, how each changed from the earlier years found beside it, every notebook's status and report, and
what data the run read.

Pure functions build the pieces from ``metrics.json`` values (one dict per notebook) and a manifest, so
that the page can be tested without running anything; :func:`write` puts them into one HTML file that
needs nothing else (no script, no external style sheet).

Examples
--------
>>> metrics = {"01_incidence_trends": {"registry_incidence_pct": 0.9685, "exit_threshold_pct": 2.0}}
>>> table = headlines(metrics)
>>> table.loc[0, ["figure", "value"]].tolist()
['Registered-poverty incidence', '0.97%']
>>> table.loc[0, "reading"]
'below the exit threshold of 2%'
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.labels import check_lang

__all__ = ["HEADLINES", "Headline", "headlines", "changes", "page", "title", "write", "INDEX_FILE"]

INDEX_FILE = "index.html"

Metrics = Mapping[str, Mapping[str, float]]


def _pct(value: float) -> str:
    """A value already in percent."""
    return f"{value:.2f}%"


def _rate(value: float) -> str:
    """A share, shown in percent."""
    return f"{100 * value:.2f}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _yuan(value: float) -> str:
    return f"{value:,.1f}"


@dataclass(frozen=True)
class Headline:
    """One headline figure: the notebook and metric it comes from, how it is shown, its label in both
    languages, and the sentence its verdict reads (``None``: no verdict)."""

    notebook: str
    metric: str
    show: Callable[[float], str]
    en: str
    zh: str
    verdict: Callable[[Mapping[str, float], str], str] | None = None
    interval: bool = False


def _threshold(metrics: Mapping[str, float], lang: str) -> str:
    value, line = metrics["registry_incidence_pct"], metrics.get("exit_threshold_pct")
    if line is None:
        return ""
    below = value < line
    if lang == "zh":
        return f"{'低于' if below else '未低于'}{line:g}%的退出标准"
    return f"{'below' if below else 'not below'} the exit threshold of {line:g}%"


def _assessed(name: str) -> Callable[[Mapping[str, float], str], str]:
    def reading(metrics: Mapping[str, float], lang: str) -> str:
        passes = metrics.get(f"{name}_passes")
        if passes is None:
            return ""
        p = metrics.get(f"{name}_p_below_threshold")
        if p is not None and name == "approval_rate":  # approval meets its threshold from above
            p = 1 - p
        chance = (
            "" if p is None else (f"（达标概率 {p:.0%}）" if lang == "zh" else f" (probability it meets it: {p:.0%})")
        )
        if lang == "zh":
            return ("达到标准" if passes else "未达到标准") + chance
        return ("meets its threshold" if passes else "does not meet its threshold") + chance

    return reading


#: The headline figures of the year page, in the order shown.
HEADLINES = (
    Headline(
        "01_incidence_trends",
        "registry_incidence_pct",
        _pct,
        "Registered-poverty incidence",
        "建档立卡贫困发生率",
        _threshold,
    ),
    Headline("01_incidence_trends", "exits_households", _count, "Households exiting poverty this year", "当年脱贫户数"),
    Headline("01_incidence_trends", "exits_persons", _count, "Persons exiting poverty this year", "当年脱贫人数"),
    Headline(
        "01_incidence_trends", "remaining_persons", _count, "Registered poor persons remaining", "剩余建档立卡贫困人口"
    ),
    Headline(
        "05_exit_assessment",
        "wrong_exit_rate",
        _rate,
        "Wrong-exit rate (assessment)",
        "错退率（评估）",
        _assessed("wrong_exit_rate"),
        True,
    ),
    Headline(
        "05_exit_assessment",
        "missed_rate",
        _rate,
        "Missed-identification rate (assessment)",
        "漏评率（评估）",
        _assessed("missed_rate"),
        True,
    ),
    Headline(
        "05_exit_assessment",
        "composite_incidence",
        _rate,
        "Composite incidence (assessment)",
        "综合贫困发生率（评估）",
        _assessed("composite_incidence"),
        True,
    ),
    Headline(
        "05_exit_assessment",
        "approval_rate",
        _rate,
        "Public approval (assessment)",
        "群众认可度（评估）",
        _assessed("approval_rate"),
        True,
    ),
    Headline(
        "02_microcredit", "borrowers", _count, "Households with a poverty-alleviation loan", "获得扶贫小额信贷户数"
    ),
    Headline("02_microcredit", "take_up", _rate, "Microcredit take-up among eligible households", "小额信贷获贷率"),
    Headline(
        "02_microcredit",
        "effect_callaway_santanna",
        _yuan,
        "Effect of a loan on operating income (yuan per person)",
        "贷款对人均经营性收入的影响（元）",
        interval=True,
    ),
    Headline(
        "03_training_outcomes",
        "effect_aipw",
        _yuan,
        "Effect of training on wages (yuan per year)",
        "培训对工资收入的影响（元/年）",
        interval=True,
    ),
    Headline(
        "04_return_to_poverty",
        "screened_households",
        _count,
        "Households screened as at risk of returning",
        "筛查出的返贫风险户",
    ),
    Headline("04_return_to_poverty", "screened_persons", _count, "Persons in those households", "风险户人口"),
)

_TEXT = {
    "figure": ("Figure", "指标"),
    "value": ("Value", "数值"),
    "reading": ("Reading", "判断"),
    "notebook": ("Report", "报告"),
    "status": ("Status", "状态"),
    "seconds": ("Seconds", "用时（秒）"),
    "title": ("Annual evaluation {year}", "{year}年度评估报告"),
    "headlines": ("Headline figures", "主要指标"),
    "changes": ("How they changed from earlier years", "与往年比较"),
    "reports": ("The reports", "各专题报告"),
    "data": ("Data", "数据"),
    "synthetic": (
        "SYNTHETIC DATA · 合成数据: evalkit's synthetic county, calibrated to the Licheng County report; no household is real.",
        "合成数据（SYNTHETIC DATA）：evalkit 依据黎城县报告校准生成的合成县，没有真实农户。",
    ),
    "own": (
        "The county's data package “{name}”, years {years}, pseudonymized.",
        "本县数据包“{name}”，年份 {years}，已假名化。",
    ),
    "inputs": (
        "{n} input files, each with its SHA-256 in manifest.json; evalkit {version}.",
        "输入文件 {n} 个（SHA-256 见 manifest.json）；evalkit {version}。",
    ),
    "interval": ("95% interval {low} to {high}", "95%区间 {low} 至 {high}"),
    "none": ("not computed in this run", "本次未计算"),
    "ok": ("ok", "完成"),
    "failed": ("failed", "失败"),
    "pdf": ("The whole report as one PDF, for filing:", "全部报告（PDF，一个文件，便于存档）："),
    "earlier": ("No earlier year beside this one in the output folder.", "输出文件夹中没有更早年份的结果。"),
}


def title(year: int, lang: str = "en") -> str:
    """The year page's title (also the PDF's).

    >>> title(2018, "zh")
    '2018年度评估报告'
    """
    return _t("title", check_lang(lang), year=year)


def _t(key: str, lang: str, **values: object) -> str:
    text = _TEXT[key][0 if lang == "en" else 1]
    return text.format(**values) if values else text


def headlines(metrics: Metrics, lang: str = "en") -> pd.DataFrame:
    """The headline figures found in ``metrics`` (by notebook): label, value as shown, the verdict's
    sentence (with the interval where there is one), and the raw value (``number``) for comparisons. A
    figure whose notebook did not compute it says so."""
    check_lang(lang)
    rows = []
    for h in HEADLINES:
        found = metrics.get(h.notebook, {})
        label = h.en if lang == "en" else h.zh
        if h.metric not in found:
            rows.append({"figure": label, "value": "–", "reading": _t("none", lang), "number": float("nan")})
            continue
        value = float(found[h.metric])
        reading = h.verdict(found, lang) if h.verdict else ""
        if h.interval and f"{h.metric}_ci_low" in found:
            span = _t(
                "interval", lang, low=h.show(found[f"{h.metric}_ci_low"]), high=h.show(found[f"{h.metric}_ci_high"])
            )
            reading = f"{reading}{'；' if lang == 'zh' else '; '}{span}" if reading else span
        rows.append({"figure": label, "value": h.show(value), "reading": reading, "number": value})
    return pd.DataFrame(rows, columns=["figure", "value", "reading", "number"])


def changes(current: Metrics, earlier: Mapping[int, Metrics], lang: str = "en") -> pd.DataFrame:
    """The headline figures of the earlier years (by year, oldest first) beside this year's, as shown."""
    check_lang(lang)
    table = headlines(current, lang)[["figure", "value"]]
    for year in sorted(earlier):
        shown = []
        for h in HEADLINES:
            found = earlier[year].get(h.notebook, {})
            shown.append(h.show(float(found[h.metric])) if h.metric in found else "–")
        table.insert(1, str(year), shown)
    return table


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2rem auto; max-width: 62rem; padding: 0 1rem;
       color: #1f2328; line-height: 1.5; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.notice { background: #fff8c5; border-left: 4px solid #d4a72c; padding: 0.5rem 0.8rem; }
.failed { color: #cf222e; font-weight: 600; }
"""


def _table(frame: pd.DataFrame, numeric: set[str]) -> str:
    head = "".join(
        f'<th class="num">{html.escape(c)}</th>' if c in numeric else f"<th>{html.escape(c)}</th>"
        for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = value if isinstance(value, str) and value.startswith("<a ") else html.escape(str(value))
            cells.append(f'<td class="num">{text}</td>' if column in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(
    year: int,
    metrics: Metrics,
    manifest: Mapping[str, object],
    *,
    earlier: Mapping[int, Metrics] | None = None,
    lang: str = "en",
    titles: Mapping[str, str] | None = None,
    pdf: str | None = None,
) -> str:
    """The landing page of a year's run as one HTML document (``pdf``: the file name of the year's PDF
    beside it, linked under the title)."""
    check_lang(lang)
    titles = titles or {}
    data = manifest.get("data", {}) if isinstance(manifest.get("data"), Mapping) else {}
    if data.get("synthetic", True):
        notice = f'<p class="notice">{html.escape(_t("synthetic", lang))}</p>'
    else:
        years = ", ".join(str(y) for y in data.get("years", []))
        notice = f"<p>{html.escape(_t('own', lang, name=data.get('package') or '', years=years))}</p>"
    inputs = _t("inputs", lang, n=len(manifest.get("inputs", {}) or {}), version=manifest.get("evalkit_version", ""))
    table = headlines(metrics, lang)
    shown = table[["figure", "value", "reading"]].rename(
        columns={c: _t(c, lang) for c in ("figure", "value", "reading")}
    )
    parts = [f"<h1>{html.escape(title(year, lang))}</h1>", notice]
    if pdf:
        parts.append(f'<p>{html.escape(_t("pdf", lang))} <a href="{html.escape(pdf)}">{html.escape(pdf)}</a></p>')
    parts += [
        f"<h2>{html.escape(_t('headlines', lang))}</h2>",
        _table(shown, {_t("value", lang)}),
    ]
    if earlier:
        compared = changes(metrics, earlier, lang).rename(columns={"figure": _t("figure", lang), "value": str(year)})
        parts += [f"<h2>{html.escape(_t('changes', lang))}</h2>", _table(compared, set(compared.columns[1:]))]
    else:
        parts += [f"<h2>{html.escape(_t('changes', lang))}</h2>", f"<p>{html.escape(_t('earlier', lang))}</p>"]
    rows = []
    for nb in manifest.get("notebooks", []):
        name = str(nb.get("name"))
        status = str(nb.get("status"))
        link = f'<a href="{html.escape(str(nb.get("html", name + ".html")))}">{html.escape(titles.get(name, name))}</a>'
        word = _t("ok" if status == "ok" else "failed", lang)
        rows.append({"notebook": link, "status": word, "seconds": f"{float(nb.get('wall_seconds') or 0):.1f}"})
    reports = pd.DataFrame(rows, columns=["notebook", "status", "seconds"]).rename(
        columns={c: _t(c, lang) for c in ("notebook", "status", "seconds")}
    )
    parts += [f"<h2>{html.escape(_t('reports', lang))}</h2>", _table(reports, {_t("seconds", lang)})]
    parts += [f"<h2>{html.escape(_t('data', lang))}</h2>", f"<p>{html.escape(inputs)}</p>"]
    code = "zh-Hans" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title(year, lang))}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def write(folder: str | os.PathLike[str], html_text: str) -> Path:
    """Write the page into ``folder`` as :data:`INDEX_FILE` and return its path."""
    path = Path(folder) / INDEX_FILE
    path.write_text(html_text, encoding="utf-8")
    return path
