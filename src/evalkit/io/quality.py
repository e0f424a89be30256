"""The data-quality report of a cleaning run, as tables.

Every function takes a :class:`~evalkit.io.clean.CleanResult` (or the folder
a run wrote, via :func:`~evalkit.io.clean.read_clean_run`) and returns a new
frame; nothing is recomputed from raw files, so the report never sees an
identifier.

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

import pandas as pd

from evalkit.io.clean import RULES, CleanResult

__all__ = [
    "accounting",
    "by_source",
    "rules",
    "missingness",
    "by_place",
    "flags_by_place",
    "quarantine_sample",
    "load_run",
    "RULE_ORDER",
]

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


def by_source(result: CleanResult) -> pd.DataFrame:
    """Per file and sheet: header rows, rows in, kept, corrected, quarantined, flagged, blank rows, columns ignored."""
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
                }
            )
    return pd.DataFrame(rows)


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
    m = result.members
    kept = m.groupby(m[level].fillna("(none)")).agg(
        rows_kept=("person_key", "size"),
        rows_corrected=("corrected", lambda s: int(s.astype(bool).sum())),
        rows_flagged=("flagged", lambda s: int(s.astype(bool).sum())),
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


def load_run(
    clean_dir: str = "", *, year: int = 2018, data_dir: str | None = None
) -> tuple[CleanResult, object | None]:
    """A cleaning run for the report: the folder ``clean_dir`` wrote by ``evalkit clean``, or, when empty,
    the SYNTHETIC messy export cleaned on the spot (returned with the faults planted in it)."""
    if clean_dir:
        from evalkit.io.clean import read_clean_run

        return read_clean_run(clean_dir), None
    from evalkit.synth.export import clean_synthetic_export

    return clean_synthetic_export(year, data_dir=data_dir)
