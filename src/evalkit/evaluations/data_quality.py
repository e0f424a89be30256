"""Notebook ``00_data_quality``: where every row of a registry export went, as tables.

Every table function takes a :class:`~evalkit.io.clean.CleanResult` (or the folder a run wrote, via
:func:`~evalkit.io.clean.read_clean_run`) and returns a new frame; nothing is recomputed from raw files,
so the report never sees an identifier. :class:`DataQuality` runs the notebook's sections on the cleaning
run in ``clean_dir`` or, when it is empty, on the SYNTHETIC messy export cleaned on the spot.

Examples
--------
>>> import pandas as pd
>>> from evalkit.io.clean import CleanResult
>>> r = CleanResult(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
...                 {"rows_in": 10, "rows_kept": 8, "rows_corrected": 3, "rows_unchanged": 5,
...                  "rows_quarantined": 2, "rows_flagged": 1, "blank_rows_skipped": 4})
>>> accounting(r)["rows"].tolist()
[10, 8, 5, 3, 2, 1, 4]
>>> bool(accounting(r).attrs["balanced"])
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import pandas as pd

from evalkit import plots, report, spreadsheets
from evalkit.build import LINK_KINDS
from evalkit.errors import DataError
from evalkit.evaluations.base import Evaluation, Spec, needs, param, year_param
from evalkit.io.clean import RULES, CleanResult, read_clean_run
from evalkit.synth.export import ExportFaults, clean_synthetic_export, planted_vs_found

__all__ = [
    "Params",
    "DataQuality",
    "accounting",
    "by_source",
    "rules",
    "missingness",
    "by_place",
    "flags_by_place",
    "quarantine_sample",
    "load_run",
    "build_files",
    "build_links",
    "RULE_ORDER",
]

#: Order of the rules table: quarantine first, then corrections, then flags.
RULE_ORDER = ("quarantine", "corrected", "flag")
_LAYOUT = ("total_row", "note_row", "repeated_header")
_ACCOUNTING = (
    ("rows_in", "rows_in"),
    ("rows_kept", "rows_kept"),
    ("rows_unchanged", "rows_unchanged"),
    ("rows_corrected", "rows_corrected"),
    ("rows_quarantined", "rows_quarantined"),
    ("rows_flagged", "rows_flagged"),
    ("blank_rows_skipped", "blank_rows_skipped"),
)


def accounting(result: CleanResult) -> pd.DataFrame:
    """Rows in, kept (unchanged + corrected), quarantined, flagged; ``attrs['balanced']`` checks in = kept + quarantined."""
    s = result.summary
    frame = pd.DataFrame({"measure": [key for key, _ in _ACCOUNTING], "rows": [int(s[k]) for _, k in _ACCOUNTING]})
    frame.attrs["balanced"] = s["rows_in"] == s["rows_kept"] + s["rows_quarantined"] and s["rows_kept"] == (
        s["rows_unchanged"] + s["rows_corrected"]
    )
    return frame


_SOURCE_COLUMNS = [
    "file",
    "sheet",
    "encoding",
    "header_rows",
    "rows_in",
    "rows_kept",
    "rows_corrected",
    "rows_quarantined",
    "rows_flagged",
    "blank_rows_skipped",
    "columns_ignored",
    "hidden_sheet",
    "sheet_skipped",
]


def by_source(result: CleanResult) -> pd.DataFrame:
    """Per file and sheet: header rows, rows in, kept, corrected, quarantined, flagged, blank rows, columns
    ignored, whether the sheet is hidden in the workbook; sheets skipped (empty, or no registry header) with
    the reason."""
    members, quarantine = result.members, result.quarantine
    rows = []
    for f in result.summary["files"]:
        for sheet in f["sheets"]:
            name = sheet["sheet"] if sheet["sheet"] is not None else ""
            m = members.loc[(members["source_file"] == f["file"]) & (members["source_sheet"].fillna("") == name)]
            q = quarantine.loc[
                (quarantine["source_file"] == f["file"]) & (quarantine["source_sheet"].fillna("") == name)
            ]
            rows.append(
                {
                    "file": f["file"],
                    "sheet": name,
                    "encoding": f["encoding"] or "",
                    "header_rows": "-".join(map(str, sheet["header_rows"])),
                    "rows_in": sheet["rows_in"],
                    "rows_kept": len(m),
                    "rows_corrected": int(m["corrected"].astype(bool).sum()),
                    "rows_quarantined": len(q),
                    "rows_flagged": int(m["flagged"].astype(bool).sum()),
                    "blank_rows_skipped": sheet["blank_rows"],
                    "columns_ignored": ", ".join(sheet["columns_ignored"]),
                    "hidden_sheet": bool(sheet.get("hidden", False)),
                    "sheet_skipped": "",
                }
            )
        for sheet in f.get("sheets_skipped", []):
            rows.append(
                {
                    "file": f["file"],
                    "sheet": sheet["sheet"] or "",
                    "encoding": f["encoding"] or "",
                    "hidden_sheet": bool(sheet.get("hidden", False)),
                    "sheet_skipped": sheet["reason"],
                }
            )
    return pd.DataFrame(rows, columns=_SOURCE_COLUMNS)


def rules(result: CleanResult, lang: str = "en") -> pd.DataFrame:
    """Rules triggered: action, meaning, rows (for corrections also cells), most frequent first within each action."""
    log = result.log
    if log.empty:
        return pd.DataFrame(columns=["rule", "action", "meaning", "rows", "cells"])
    rows_per_rule = log.drop_duplicates(["source_file", "source_sheet", "source_row", "rule"]).groupby("rule").size()
    cells = log.groupby("rule").size()
    frame = pd.DataFrame({"rows": rows_per_rule, "cells": cells}).reset_index(names="rule")
    frame["action"] = frame["rule"].map(lambda r: RULES[r][0])
    frame["meaning"] = frame["rule"].map(lambda r: RULES[r][2 if lang == "zh" else 1])
    frame["order"] = frame["action"].map({a: i for i, a in enumerate(RULE_ORDER)})
    frame = frame.sort_values(["order", "rows", "rule"], ascending=[True, False, True]).drop(columns="order")
    return frame[["rule", "action", "meaning", "rows", "cells"]].reset_index(drop=True)


def missingness(result: CleanResult) -> pd.DataFrame:
    """Share of kept member rows (member fields) and households (household fields) with no value, by column."""
    rows = []
    skip = {"household_key", "person_key", "corrected", "flagged", "source_file", "source_sheet", "source_row"}
    hh_fields = set(result.households.columns) - {"household_key", "members_kept", "member_rows_in"}
    for column in result.members.columns:
        if column in skip or column in hh_fields:
            continue
        values = result.members[column]
        rows.append({"column": column, "level": "member", "n": len(values), "missing": int(values.isna().sum())})
    for column in sorted(hh_fields):
        values = result.households[column]
        missing = int(values.isna().sum())
        rows.append({"column": column, "level": "household", "n": len(values), "missing": missing})
    frame = pd.DataFrame(rows)
    frame["missing_share"] = (frame["missing"] / frame["n"].where(frame["n"] > 0)).round(4)
    return frame.sort_values(["missing_share", "column"], ascending=[False, True]).reset_index(drop=True)


def by_place(result: CleanResult, level: str = "township") -> pd.DataFrame:
    """Rows kept, corrected, quarantined and flagged by township or village (quarantined rows by the text they carry)."""
    if level not in ("township", "village"):
        raise ValueError("level must be 'township' or 'village'")
    m = result.members.assign(
        corrected=result.members["corrected"].astype(bool), flagged=result.members["flagged"].astype(bool)
    )
    kept = m.groupby(m[level].fillna("(none)")).agg(
        rows_kept=("person_key", "size"),
        rows_corrected=("corrected", "sum"),
        rows_flagged=("flagged", "sum"),
    )
    q = result.quarantine
    place = q[level].fillna("(none)") if level in q else pd.Series("(none)", index=q.index)
    layout = q["reasons"].isin(_LAYOUT) if "reasons" in q else pd.Series(False, index=q.index)
    place = place.where(~layout, "(not a record)")
    quarantined = place.replace("", "(none)").value_counts().rename("rows_quarantined")
    frame = kept.join(quarantined, how="outer").fillna(0).astype(int)
    frame["rows_in"] = frame["rows_kept"] + frame["rows_quarantined"]
    frame = frame[["rows_in", "rows_kept", "rows_corrected", "rows_quarantined", "rows_flagged"]]
    return frame.sort_values(["rows_flagged", "rows_quarantined"], ascending=False).rename_axis(level).reset_index()


def flags_by_place(result: CleanResult, level: str = "township") -> pd.DataFrame:
    """Flagged rows by place (rows) and flag rule (columns)."""
    log = result.log
    flags = log.loc[log["action"] == "flag", ["source_file", "source_sheet", "source_row", "rule"]].drop_duplicates()
    if flags.empty:
        return pd.DataFrame(columns=[level])
    m = result.members[["source_file", "source_sheet", "source_row", level]].copy()
    for frame in (flags, m):
        frame["source_row"] = frame["source_row"].astype(int)
        frame["source_sheet"] = frame["source_sheet"].fillna("").astype(str)
    joined = flags.merge(m, on=["source_file", "source_sheet", "source_row"], how="left")
    table = pd.crosstab(joined[level].fillna("(none)"), joined["rule"])
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    return table.rename_axis(columns=None).reset_index()


def quarantine_sample(result: CleanResult, n: int = 20) -> pd.DataFrame:
    """The first ``n`` quarantined rows that are records (not totals or notes): where, why, pseudonyms."""
    q = result.quarantine
    records = q.loc[~q["reasons"].isin(_LAYOUT)]
    return records[["source_file", "source_sheet", "source_row", "household_key", "reasons", "messages"]].head(n)


def build_files(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Every file a build read (``build/files.csv``): its kind, year, and for registry exports the rows
    in, kept and quarantined, with a total row of the exports."""
    files = spreadsheets.read_csv(Path(folder) / "files.csv")
    counts = [c for c in ("rows_in", "rows_kept", "rows_quarantined") if c in files]
    for column in counts:
        files[column] = files[column].astype("Int64")
    if "year" in files:
        files["year"] = files["year"].astype("Int64")
    shown = files[[c for c in ("file", "kind", "year", *counts) if c in files]]
    registry = shown.loc[shown["kind"] == "registry"]
    if len(registry) > 1:
        total = {"file": "all exports", "kind": "registry", **{c: registry[c].sum() for c in counts}}
        shown = pd.concat([shown, pd.DataFrame([total])], ignore_index=True)
    return shown


def build_links(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """What the build could not link or found contradicting itself (``build/links.csv``), counted by kind,
    every kind listed (zero where none was found)."""
    links = spreadsheets.read_csv(Path(folder) / "links.csv", dtype=str)
    counts = links["kind"].value_counts() if len(links) else pd.Series(dtype=int)
    kinds = list(dict.fromkeys([*LINK_KINDS, *counts.index]))
    return pd.DataFrame({"kind": kinds, "cases": [int(counts.get(k, 0)) for k in kinds]})


def load_run(
    clean_dir: str = "", *, year: int = 2018, data_dir: str | None = None
) -> tuple[CleanResult, ExportFaults | None]:
    """A cleaning run for the report: the folder ``clean_dir`` written by ``evalkit clean``, or, when empty,
    the SYNTHETIC messy export cleaned on the spot (returned with the faults planted in it)."""
    if clean_dir:
        return read_clean_run(clean_dir), None
    return clean_synthetic_export(year, data_dir=data_dir)


@dataclass(frozen=True)
class Params(Spec):
    """Parameters of ``00_data_quality``."""

    year: int = year_param("year the incomes refer to (the demo uses the synthetic county's incomes of this year)")
    clean_dir: str = param("", "folder written by `evalkit clean`; empty runs the synthetic demo", kind="clean_dir")

    NOTEBOOK: ClassVar[str] = "00_data_quality"


class DataQuality(Evaluation):
    """The data-quality notebook's sections."""

    Params: ClassVar[type[Spec]] = Params
    p: Params

    @cached_property
    def build_dir(self) -> Path | None:
        """The build report of the data package (``build/``, written by ``evalkit build``), reported on
        when no ``clean_dir`` is given and the package is a county's own; None otherwise."""
        if self.p.clean_dir or self.synthetic:
            return None
        folder = self.package.folder / "build"
        return folder if (folder / "files.csv").is_file() else None

    @cached_property
    def _loaded(self) -> tuple[CleanResult, ExportFaults | None]:
        if self.build_dir is not None:
            return read_clean_run(self.build_dir / "years" / str(self.p.year)), None
        return load_run(self.p.clean_dir, year=self.p.year, data_dir=self.data_dir)

    @property
    def run(self) -> CleanResult:
        """The cleaning run reported on."""
        return self._loaded[0]

    @property
    def planted(self) -> ExportFaults | None:
        """The faults planted in the synthetic export (None for a real cleaning run)."""
        return self._loaded[1]

    def unavailable(self) -> str | None:
        if self.p.clean_dir or self.synthetic:
            return None
        if self.build_dir is not None:
            if (self.build_dir / "years" / str(self.p.year) / "summary.json").is_file():
                return None
            if self.p.lang == "zh":
                return f"数据包的构建报告中没有 {self.p.year} 年的清洗结果：请用 `evalkit build` 重新构建或以 --into 加入该年的导出数据。"
            return (
                f"The data package's build report holds no cleaning run for {self.p.year}: build the package again, "
                f"or add that year's export with `evalkit build ... --into`."
            )
        if self.p.lang == "zh":
            return "未给出清洗结果（clean_dir），数据包也没有构建报告：请用 `evalkit build` 构建数据包，或用 `evalkit clean` 清洗导出数据并以 clean_dir 参数指定其输出文件夹。"
        return (
            "No cleaning run was given (clean_dir) and the data package has no build report: build the package with "
            "`evalkit build`, or clean an export with `evalkit clean` and give its output folder as clean_dir."
        )

    @property
    def notice(self) -> str:
        if self.unavailable():
            return self.unavailable() or ""
        zh = self.p.lang == "zh"
        if self.planted is not None:
            return (
                "合成数据：当场清洗的合成“脏”导出数据。"
                if zh
                else "SYNTHETIC DATA (合成数据): the synthetic messy export, cleaned now"
            )
        if self.build_dir is not None:
            if zh:
                return f"数据包的构建报告：读取的文件、建立的关联，以及{self.p.year}年的清洗结果。"
            return f"build report of the data package: the files read, the links, and the cleaning run of {self.p.year}"
        if zh:
            return "清洗结果：参数 clean_dir 指定的文件夹（只含假名化数据）。"
        return "cleaning run: the folder given as clean_dir (pseudonymized data only)"

    @needs()
    def build(self) -> report.Section:
        """What ``evalkit build`` read and linked: every file, every link made or failed, rows quarantined
        by year (only when the report is on a package's build report)."""
        s = self.section()
        if self.build_dir is None:
            s.note(
                "not a build report: this section describes what `evalkit build` read and linked",
                "本报告依据的不是数据包的构建报告，本节（`evalkit build` 读取和关联了什么）不适用。",
            )
            return s
        s.table("build_files", build_files(self.build_dir))
        s.table("build_links", build_links(self.build_dir))
        return s

    @cached_property
    def _accounting(self) -> pd.DataFrame:
        return accounting(self.run)

    @cached_property
    def _rules(self) -> pd.DataFrame:
        return rules(self.run, self.p.lang)

    @needs()
    def rows(self) -> report.Section:
        """Rows in = kept + quarantined, with the figure of where rows went and which rules fired."""
        s = self.section()
        if not self._accounting.attrs["balanced"]:
            raise DataError(
                "rows in does not equal rows kept + rows quarantined; the cleaning run is incomplete or was "
                "edited by hand: run `evalkit clean` again into a new folder",
                file="summary.json",
            )
        s.figure("rows", plots.quality_figure(self._accounting, self._rules, lang=self.p.lang))
        s.table("accounting", self._accounting)
        return s

    @needs()
    def sources(self) -> report.Section:
        """Rows by file and sheet."""
        s = self.section()
        s.table("by_source", by_source(self.run))
        return s

    @needs()
    def rules_triggered(self) -> report.Section:
        """Every rule that fired: corrections, quarantine reasons, flags."""
        s = self.section()
        s.table("rules", self._rules)
        return s

    @needs()
    def quarantined(self) -> report.Section:
        """The first quarantined records (pseudonyms only)."""
        s = self.section()
        s.table("quarantine_sample", quarantine_sample(self.run), internal=True)  # lists households
        s.note(
            "the first quarantined records are in internal/quarantine_sample.csv, for the office's use",
            "前几条被隔离的记录见 internal/quarantine_sample.csv，仅供扶贫部门内部核查使用，不在报告中公布。",
        )
        return s

    @needs()
    def missing(self) -> report.Section:
        """Missing values by column (the 15 most missing shown)."""
        s = self.section()
        s.table("missingness", missingness(self.run), show=15)
        return s

    @needs()
    def distributions(self) -> report.Section:
        """Distributions of the households kept."""
        s = self.section()
        s.figure("household_distributions", plots.household_distributions_figure(self.run.households, lang=self.p.lang))
        return s

    @needs()
    def logic_checks(self) -> report.Section:
        """Rows kept, corrected, quarantined and flagged by township (and by village, internal); flags by
        township and rule."""
        s = self.section()
        s.table("by_township", by_place(self.run, "township"))
        # persons per village, small counts included: for the office, not for a report it might pass on
        s.table("by_village", by_place(self.run, "village"), internal=True)
        s.table("flags_by_township", flags_by_place(self.run, "township"), translate=False)
        return s

    @cached_property
    def _planted_vs_found(self) -> pd.DataFrame | None:
        return None if self.planted is None else planted_vs_found(self.run, self.planted)

    @needs()
    def planted_faults(self) -> report.Section:
        """For the synthetic demo: every planted fault against what the cleaner found."""
        s = self.section()
        if self._planted_vs_found is None:
            s.note("not a synthetic run: nothing was planted", "本次不是合成数据演示，没有植入任何错误。")
        else:
            s.table("planted_vs_found", self._planted_vs_found)
        return s

    def key_figures(self) -> report.Section:
        """The figures written to ``metrics.json``."""
        if self.unavailable():
            return self.key_figures_section({"synthetic": int(self.synthetic)})
        summary = self.run.summary
        metrics = {
            "synthetic": int(self.planted is not None),
            **{
                key: summary[key]
                for key in (
                    "rows_in",
                    "rows_kept",
                    "rows_corrected",
                    "rows_quarantined",
                    "rows_flagged",
                    "households_kept",
                    "persons_kept",
                )
            },
            "accounting_balanced": int(self._accounting.attrs["balanced"]),
        }
        if self.build_dir is not None:
            files = build_files(self.build_dir)
            metrics["build_files"] = int((files["file"] != "all exports").sum())
            metrics.update({f"build_{k}": v for k, v in build_links(self.build_dir).itertuples(index=False)})
        if self._planted_vs_found is not None:
            found = self._planted_vs_found.loc[self._planted_vs_found["action"] != "flag"]
            metrics["planted_faults_all_found"] = int((found["matched"] == found["planted"]).all())
        return self.key_figures_section(metrics)
