"""Seaborn figures of the incidence trends, labelled in English or Chinese."""

from __future__ import annotations


import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from evalkit.plots.fonts import font_rc
from evalkit.labels import check_lang, has_label, label

__all__ = [
    "setup",
    "incidence_figure",
    "exits_figure",
    "villages_figure",
    "income_ratio_figure",
    "quality_figure",
    "household_distributions_figure",
    "event_study_figure",
    "reach_figure",
    "concentration_figure",
    "love_plot_figure",
    "overlap_figure",
    "estimates_figure",
    "upset_figure",
    "calibration_figure",
    "screening_figure",
]


def setup(lang: str = "en") -> None:
    """Apply evalkit's seaborn theme with the fonts ``lang`` needs."""
    check_lang(lang)
    sns.set_theme(style="whitegrid", context="notebook", rc=font_rc(lang))


def incidence_figure(path: pd.DataFrame, *, threshold: float, lang: str = "en") -> Figure:
    """Incidence by year against the exit threshold.

    Parameters
    ----------
    path
        Output of :func:`evalkit.published.incidence_path`.
    threshold
        Exit threshold in percent (from ``data/reference/thresholds.csv``).
    lang
        'en' or 'zh'.
    """
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(
        data=path, x="year", y="incidence_pct", ax=ax, marker="o", color="#4C72B0", label=label("derived", lang)
    )
    pub = path.dropna(subset=["incidence_published"])
    ax.scatter(pub["year"], pub["incidence_published"], s=90, color="#C44E52", zorder=5, label=label("published", lang))
    for row in pub.itertuples():
        ax.annotate(
            f"{row.incidence_published:g}%",
            (row.year, row.incidence_published),
            textcoords="offset points",
            xytext=(8, 6),
        )
    ax.axhline(threshold, ls="--", color="0.3", lw=1)
    ax.text(path["year"].min(), threshold, f" {label('exit_threshold', lang)} {threshold:g}%", va="bottom", color="0.3")
    ax.set(xlabel=label("year", lang), ylabel=label("incidence_pct", lang), title=label("title_incidence", lang))
    ax.set_xticks(path["year"].tolist())
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    fig.text(0.01, -0.02, label("incidence_note", lang), fontsize=8, color="0.35")
    fig.tight_layout()
    return fig


def exits_figure(exits: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Households and persons exiting poverty by year, side by side."""
    setup(lang)
    long = exits.melt(id_vars="year", value_vars=["households", "persons"], var_name="measure", value_name="value")
    long["measure"] = long["measure"].map(
        {"households": label("exits_households", lang), "persons": label("exits_persons", lang)}
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.barplot(data=long, x="year", y="value", hue="measure", ax=ax)
    for container in ax.containers:
        ax.bar_label(container, fmt="%d", fontsize=8)
    ax.set(xlabel=label("year", lang), ylabel=label("value", lang), title=label("title_exits", lang))
    ax.legend(title=None)
    fig.tight_layout()
    return fig


def villages_figure(villages: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Registered poor villages exiting by year."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    sns.barplot(data=villages, x="year", y="villages", ax=ax, color="#55A868")
    ax.bar_label(ax.containers[0], fmt="%d")
    ax.set(xlabel=label("year", lang), ylabel=label("villages", lang), title=label("title_villages", lang))
    fig.tight_layout()
    return fig


def income_ratio_figure(panel: pd.DataFrame, *, until: int | None = None, lang: str = "en") -> Figure:
    """Per-capita income over the year's poverty line, by year and registry status (synthetic data)."""
    setup(lang)
    data = panel if until is None else panel.loc[panel["year"] <= until]
    data = data.assign(
        ratio=data["income_pc"] / data["poverty_line"],
        status=data["status"].map(lambda s: label(s, lang)),
    )
    order = [
        label(s, lang) for s in ("registered", "exited_this_year", "exited") if label(s, lang) in set(data["status"])
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    sns.boxplot(data=data, x="year", y="ratio", hue="status", hue_order=order, ax=ax, fliersize=1, log_scale=True)
    ax.axhline(1.0, ls="--", color="0.3", lw=1)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set(xlabel=label("year", lang), ylabel=label("income_ratio", lang), title=label("title_income_ratio", lang))
    ax.legend(title=None, fontsize=8)
    fig.text(0.01, -0.02, label("synthetic_note", lang), fontsize=8, color="#B22222")
    fig.tight_layout()
    return fig


_ACTION_COLOURS = {"quarantine": "#C44E52", "corrected": "#DD8452", "flag": "#8172B3"}


def _two_lines(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters on at most two lines (shortened with "…" beyond).

    >>> _two_lines("the household has no head or more than one", 24)
    'the household has no\\nhead or more than one'
    >>> _two_lines("户编号或人编号被Excel舍入导致无法识别的记录行", 10)
    '户编号或人编号被Ex\\ncel舍入导致无法…'
    """
    if " " not in text:  # Chinese: no spaces to break at
        lines = [text[i : i + width] for i in range(0, len(text), width)]
    else:
        lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [lines[0], lines[1][: width - 1] + "…"]
    return "\n".join(lines)


def quality_figure(accounting: pd.DataFrame, rules: pd.DataFrame, *, lang: str = "en", top: int = 12) -> Figure:
    """Where every input row went, and the rules triggered most often.

    Parameters
    ----------
    accounting, rules
        Outputs of :func:`evalkit.evaluations.data_quality.accounting` and
        :func:`evalkit.evaluations.data_quality.rules`.
    """
    setup(lang)
    bars = min(top, len(rules))
    height = max(4.2, 0.42 * bars + 1.2)  # room for each rule's meaning on two lines
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, height), gridspec_kw={"width_ratios": [1, 1.6]})
    rows = accounting.set_index("measure")["rows"]
    parts = ["rows_unchanged", "rows_corrected", "rows_quarantined"]
    colours = ["#55A868", "#DD8452", "#C44E52"]
    bottom = 0
    for part, colour in zip(parts, colours, strict=True):
        left.bar(
            [label("rows_in", lang)],
            [rows[part]],
            bottom=bottom,
            color=colour,
            label=f"{label(part, lang)} ({rows[part]:,})",
        )
        bottom += rows[part]
    left.set(ylabel=label("rows", lang), title=label("title_quality_rows", lang))
    left.legend(loc="lower center", fontsize=8)
    shown = rules.sort_values("rows", ascending=False, kind="stable").head(top).iloc[::-1]
    width = 18 if lang == "zh" else 36  # the rule's meaning on at most two lines, not its code
    names = [_two_lines(str(m), width) for m in shown["meaning"]]
    right.barh(names, shown["rows"], color=[_ACTION_COLOURS[a] for a in shown["action"]])
    right.tick_params(axis="y", labelsize=8)
    right.set_xscale("symlog")
    right.set(xlabel=label("rows", lang), title=label("title_quality_rules", lang))
    handles = [Patch(color=colour, label=label(action, lang)) for action, colour in _ACTION_COLOURS.items()]
    right.legend(handles=handles, loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def household_distributions_figure(households: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Per-capita income (histogram, log scale) and household size (bars) of the households kept by a cleaning run."""
    setup(lang)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    income = households["income_pc"].dropna() if "income_pc" in households else pd.Series(dtype=float)
    positive = income.loc[income > 0]
    if len(positive):
        sns.histplot(positive, bins=40, log_scale=True, ax=left, color="#4C72B0")
    left.set(xlabel=label("income_pc", lang), ylabel=label("households", lang))
    if "household_size" in households:
        sizes = households["household_size"].dropna().astype(int).value_counts().sort_index()
        right.bar(sizes.index.astype(str), sizes.to_numpy(), color="#55A868")
    right.set(xlabel=label("household_size", lang), ylabel=label("households", lang))
    fig.tight_layout()
    return fig


def survival_figure(km: pd.DataFrame, *, lang: str = "en", group_labels: dict[str, str] | None = None) -> Figure:
    """Share still registered by years since identification, one step line per group (Kaplan–Meier)."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = sorted(km["group"].unique())
    palette = dict(zip(groups, sns.color_palette("tab20", len(groups)), strict=True))
    for group, part in km.groupby("group", sort=True):
        xs = np.concatenate([[0], part["years"].to_numpy()])
        ys = np.concatenate([[1], part["still_registered"].to_numpy()])
        ax.step(xs, ys, where="post", color=palette[group], label=(group_labels or {}).get(group, group))
    ax.set(
        xlabel=label("years_since_identification", lang),
        ylabel=label("still_registered", lang),
        title=label("title_survival", lang),
        ylim=(0, 1.02),
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def bunching_figure(bins: pd.DataFrame, *, cutoff: float = 1.0, lang: str = "en") -> Figure:
    """Counts of income / line by bin with the polynomial counterfactual; the window is shaded.

    Where the counterfactual is missing (below the line when :func:`evalkit.indicators.bunching` was told the
    distribution is empty there by rule, ``truncated_below=True``) no line is drawn: the curve has a gap, it is
    not joined across or drawn as zero.
    """
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = float(np.diff(bins["bin_left"]).min()) if len(bins) > 1 else 0.02
    colours = np.where(bins["in_window"], "#C44E52", "#4C72B0")
    ax.bar(bins["bin_left"], bins["count"], width=width, align="edge", color=colours, alpha=0.8)
    counterfactual = pd.to_numeric(bins["counterfactual"], errors="coerce").to_numpy(dtype=float)
    ax.plot(bins["bin_left"] + width / 2, counterfactual, color="0.2", lw=1.2, label=label("counterfactual", lang))
    ax.axvline(cutoff, ls="--", color="0.3", lw=1)
    ax.set(xlabel=label("income_ratio", lang), ylabel=label("households", lang), title=label("title_bunching", lang))
    ax.legend()
    fig.tight_layout()
    return fig


def registry_incidence_figure(by_place: pd.DataFrame, place: str, *, threshold: float, lang: str = "en") -> Figure:
    """Incidence by year for each township (or other place) from the registry, against the exit threshold."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(data=by_place, x="year", y="incidence_pct", hue=place, marker="o", ax=ax, legend="brief")
    ax.axhline(threshold, ls="--", color="0.3", lw=1)
    ax.set(
        xlabel=label("year", lang), ylabel=label("incidence_pct", lang), title=label("title_registry_incidence", lang)
    )
    ax.set_xticks(sorted(by_place["year"].unique()))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, ncol=2, title=label(place, lang) if has_label(place) else None)
    fig.tight_layout()
    return fig


def assessment_figure(table: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Each assessment figure with its interval and threshold (and the true value when given, column ``truth``)."""
    setup(lang)
    fig, axes = plt.subplots(1, len(table), figsize=(3.0 * len(table), 3.6))
    for ax, row in zip(np.atleast_1d(axes), table.itertuples(), strict=True):
        colour = "#55A868" if row.passes else "#C44E52"
        ax.errorbar(
            [0],
            [100 * row.estimate],
            yerr=[[100 * (row.estimate - row.ci_low)], [100 * (row.ci_high - row.estimate)]],
            fmt="o",
            color=colour,
            capsize=6,
            lw=2,
        )
        ax.axhline(100 * row.threshold, ls="--", color="0.3", lw=1)
        values = [row.ci_low, row.ci_high, row.threshold]
        if "truth" in table.columns and pd.notna(getattr(row, "truth", np.nan)):
            ax.scatter([0.15], [100 * row.truth], marker="x", color="0.2", zorder=5, label=label("truth", lang))
            values.append(row.truth)
            if row.Index == 0:
                ax.legend(fontsize=7, loc="upper left")
        span = 100 * (max(values) - min(values))
        ax.set_ylim(100 * min(values) - 0.15 * span, 100 * max(values) + 0.15 * span)
        ax.set_xticks([])
        ax.set_xlim(-0.5, 0.5)
        ax.set_title(label(row.indicator, lang), fontsize=10)
        ax.set_ylabel("%")
    fig.suptitle(label("title_assessment", lang))
    fig.tight_layout()
    return fig


def event_study_figure(paths: dict[str, pd.DataFrame], *, truth: float | None = None, lang: str = "en") -> Figure:
    """Effects by year relative to the loan year (leads and lags) with 95% intervals, one line per estimator.

    ``paths``: estimator label key → table with ``relative_year``, ``estimate``, ``ci_low``, ``ci_high``
    (``Effect.path``).
    """
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    offsets = np.linspace(-0.12, 0.12, len(paths)) if len(paths) > 1 else [0.0]
    for (key, path), dx, colour in zip(paths.items(), offsets, sns.color_palette(n_colors=len(paths)), strict=True):
        if -1 not in set(path["relative_year"]):  # the omitted reference year is zero by construction
            reference = pd.DataFrame({"relative_year": [-1], "estimate": [0.0], "ci_low": [0.0], "ci_high": [0.0]})
            path = pd.concat([path, reference]).sort_values("relative_year")
        x = path["relative_year"].to_numpy() + dx
        ax.errorbar(
            x,
            path["estimate"],
            yerr=[path["estimate"] - path["ci_low"], path["ci_high"] - path["estimate"]],
            fmt="o-",
            capsize=3,
            color=colour,
            label=label(key, lang),
        )
    ax.axhline(0, color="0.3", lw=1)
    ax.axvline(-0.5, color="0.5", lw=1, ls=":")
    if truth is not None and np.isfinite(truth):
        ax.axhline(truth, color="#C44E52", ls="--", lw=1, label=label("truth", lang))
    ax.set(
        xlabel=label("relative_year", lang), ylabel=label("effect_yuan", lang), title=label("title_event_study", lang)
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def reach_figure(by_place: pd.DataFrame, place: str, by_quintile: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Take-up (获贷率) by place and by pre-loan income quintile (1 = poorest), from :func:`evalkit.impact.take_up` tables."""
    setup(lang)
    # places as horizontal bars: their names stay horizontal and never run into each other
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.3 * len(by_place) + 1.8), width_ratios=[3, 2])
    sns.barplot(data=by_place, y=place, x="take_up", ax=axes[0], color="#4C72B0", orient="h")
    sns.barplot(data=by_quintile, x="base_income_quintile", y="take_up", ax=axes[1], color="#55A868")
    overall = by_place["borrowers"].sum() / by_place["eligible"].sum()
    percent = FuncFormatter(lambda v, _: f"{100 * v:g}%")
    axes[0].axvline(overall, color="0.3", ls="--", lw=1)
    axes[0].set(xlabel=label("take_up", lang), ylabel=label(place, lang))
    axes[0].xaxis.set_major_formatter(percent)
    axes[1].axhline(overall, color="0.3", ls="--", lw=1)
    axes[1].set(xlabel=label("base_income_quintile", lang), ylabel=label("take_up", lang))
    axes[1].yaxis.set_major_formatter(percent)
    fig.suptitle(label("title_take_up", lang))
    fig.tight_layout()
    return fig


def concentration_figure(curve: pd.DataFrame, *, index: float, lang: str = "en") -> Figure:
    """Concentration curve of loans over households ranked by pre-loan income, against equality."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(curve["p"], curve["loan_share"], marker=".", color="#4C72B0", label=label("loan_share", lang))
    ax.plot([0, 1], [0, 1], color="0.4", ls="--", lw=1, label=label("equality", lang))
    ax.set(
        xlabel=label("household_share_poorest_first", lang),
        ylabel=label("loan_share", lang),
        title=f"{label('title_concentration', lang)} (CI = {index:.3f})",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def love_plot_figure(table: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Absolute standardized mean differences per covariate before and after adjustment (IPW, matching),
    against the usual 0.1 guide line; ``table`` from :func:`evalkit.evaluations.training.diagnostics`."""
    setup(lang)
    columns = {"smd": "unadjusted", "smd_ipw": "ipw", "smd_matched": "after_matching"}
    long = table.melt(id_vars="covariate", value_vars=list(columns), var_name="adjustment", value_name="value")
    long["adjustment"] = long["adjustment"].map(lambda c: label(columns[c], lang))
    long["abs_smd"] = long["value"].abs()
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * table.shape[0] + 1.6))
    sns.scatterplot(data=long, x="abs_smd", y="covariate", hue="adjustment", style="adjustment", s=70, ax=ax)
    ax.axvline(0.1, color="0.3", ls="--", lw=1)
    ax.set_yticks(range(table.shape[0]), [label(c, lang) if has_label(c) else c for c in table["covariate"]])
    ax.set(xlabel=label("abs_smd", lang), ylabel="", title=label("title_love_plot", lang))
    ax.legend(fontsize=8, title=None)
    fig.tight_layout()
    return fig


def overlap_figure(score: np.ndarray, treatment: np.ndarray, *, lang: str = "en") -> Figure:
    """Propensity-score distributions of treated and untreated units (densities, common bins)."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1, 41)
    d = np.asarray(treatment)
    for value, key, colour in ((1, "treated", "#C44E52"), (0, "untreated", "#4C72B0")):
        ax.hist(np.asarray(score)[d == value], bins=bins, density=True, alpha=0.5, color=colour, label=label(key, lang))
    for x in (0.1, 0.9):
        ax.axvline(x, color="0.3", ls=":", lw=1)
    ax.set(xlabel=label("propensity_score", lang), ylabel=label("density", lang), title=label("title_overlap", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def estimates_figure(table: pd.DataFrame, *, truth_label: str = "truth", lang: str = "en") -> Figure:
    """Each estimator's effect and 95% interval, with the truth (or benchmark) as a line."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
    names = [label(m, lang) if has_label(m) else m for m in table["method"]]
    y = np.arange(len(table))[::-1]
    ax.errorbar(
        table["estimate"],
        y,
        xerr=[table["estimate"] - table["ci_low"], table["ci_high"] - table["estimate"]],
        fmt="o",
        color="#4C72B0",
        capsize=3,
    )
    truth = table["truth"].dropna()
    if len(truth):
        ax.axvline(float(truth.iloc[0]), color="#C44E52", ls="--", lw=1, label=label(truth_label, lang))
        ax.legend(fontsize=8)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(y, names)
    ax.set(xlabel=label("effect", lang), title=label("title_estimates", lang))
    fig.tight_layout()
    return fig


def upset_figure(combos: pd.DataFrame, *, top: int = 15, lang: str = "en") -> Figure:
    """UpSet-style figure: households per combination of programs (bars) above a dot matrix of the programs
    in each combination; ``combos`` from :func:`evalkit.programs.combinations`."""
    setup(lang)
    data = combos.head(top).reset_index(drop=True)
    sets = [s.split(" + ") if s != "(none)" else [] for s in data["programs"]]
    programs = sorted({p for members in sets for p in members})
    fig, (bars, dots) = plt.subplots(
        2,
        1,
        figsize=(max(7, 0.45 * len(data) + 3), 2.5 + 0.32 * len(programs)),
        sharex=True,
        height_ratios=[2, max(1, 0.25 * len(programs))],
    )
    x = np.arange(len(data))
    bars.bar(x, data["households"], color="#4C72B0")
    bars.set_ylabel(label("households", lang))
    bars.set_title(label("title_upset", lang))
    for i, members in enumerate(sets):
        ys = [programs.index(p) for p in members]
        dots.scatter([i] * len(programs), range(len(programs)), color="0.85", s=30)
        if ys:
            dots.scatter([i] * len(ys), ys, color="0.15", s=30)
            dots.plot([i, i], [min(ys), max(ys)], color="0.15", lw=1.5)
    dots.set_yticks(range(len(programs)), [label(p, lang) if has_label(p) else p for p in programs])
    dots.set_xticks([])
    dots.invert_yaxis()
    fig.tight_layout()
    return fig


def calibration_figure(table: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Observed rate against mean predicted risk by risk group, with the diagonal."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(5, 5))
    top = float(max(table["predicted"].max(), table["observed"].max())) * 1.05
    ax.plot([0, top], [0, top], color="0.5", ls="--", lw=1)
    ax.plot(table["predicted"], table["observed"], marker="o", color="#4C72B0")
    ax.set(xlabel=label("predicted", lang), ylabel=label("observed", lang), title=label("title_calibration", lang))
    fig.tight_layout()
    return fig


def screening_figure(curve: pd.DataFrame, rule: dict[str, float], *, lang: str = "en") -> Figure:
    """Share of next year's events caught (recall) by screening the top-k households of the model, against
    the screening budget k, with the report's rule as a point."""
    setup(lang)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve["k"], curve["recall"], color="#4C72B0", label=label("risk_model", lang))
    ax.scatter([rule["k"]], [rule["recall"]], color="#C44E52", s=70, zorder=5, label=label("report_rule", lang))
    ax.set(xlabel=label("budget", lang), ylabel=label("recall", lang), title=label("title_screening", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}%"))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
