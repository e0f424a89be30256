"""Canonical registry columns, their Chinese aliases, and the code lists, read from data.

``data/reference/registry_columns.csv`` lists every column evalkit knows
(canonical English name, level, kind, whether required, aliases separated by
``|``); ``data/reference/registry_codes.csv`` lists the labels accepted for each
coded column; causes of poverty come from ``poverty_causes.csv``. Add an alias
or a label there, not in code.

Examples
--------
>>> header_key("人均纯收入（万元）")
('人均纯收入', 10000)
>>> aliases()["户编号"]
'household_id'
>>> code_map("sex")["男"]
'male'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pandas as pd

from evalkit import paths
from evalkit.reference import poverty_causes

__all__ = [
    "columns",
    "aliases",
    "code_map",
    "header_key",
    "normalize_text",
    "REQUIRED",
    "IDENTIFIERS",
    "KINDS",
]

_UNIT = re.compile(r"[(\[](万元|元|万|人|个|月|年)[)\]]")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to half-width), spaces collapsed and stripped.

    >>> normalize_text("　１２３４，５  元 ")
    '1234,5 元'
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def header_key(text: object) -> tuple[str, int]:
    """A header cell's lookup key and the unit multiplier its text declares (万元 → 10,000)."""
    if text is None:
        return "", 1
    value = normalize_text(str(text)).replace("*", "").replace("＊", "")
    multiplier = 1
    match = _UNIT.search(value)
    if match:
        multiplier = 10_000 if match.group(1) in ("万元", "万") else 1
        value = _UNIT.sub("", value)
    return _SPACE.sub("", value).lower(), multiplier


@cache
def columns() -> pd.DataFrame:
    """The column table (one row per canonical column)."""
    table = pd.read_csv(paths.reference_dir() / "registry_columns.csv", encoding="utf-8", keep_default_na=False)
    table["required"] = table["required"].astype(str).str.lower().eq("true")
    return table


@cache
def aliases() -> dict[str, str]:
    """Lookup key (see :func:`header_key`) → canonical column; canonical names are aliases of themselves."""
    out: dict[str, str] = {}
    for row in columns().itertuples():
        for alias in [row.column, *row.aliases.split("|")]:
            out[header_key(alias)[0]] = row.column
    return out


@cache
def code_map(column: str) -> dict[str, str]:
    """Accepted label (normalized, lower case) → code, for one coded column."""
    if column == "main_cause":
        causes = poverty_causes()
        pairs = [(label, c.code) for c in causes.itertuples() for label in (c.code, c.name_zh, c.name_en)]
        pairs += [("其他", "other"), ("其它", "other"), ("other", "other")]
    else:
        codes = pd.read_csv(paths.reference_dir() / "registry_codes.csv", encoding="utf-8", keep_default_na=False)
        if column not in set(codes["column"]) and _kinds().get(column) == "flag":
            column = "flag"  # a yes/no column without its own labels takes the shared ones
        codes = codes.loc[codes["column"] == column]
        pairs = [(label, c.code) for c in codes.itertuples() for label in (c.code, *c.labels.split("|"))]
    return {normalize_text(label).lower(): code for label, code in pairs}


def _kinds() -> dict[str, str]:
    return dict(zip(columns()["column"], columns()["kind"], strict=True))


REQUIRED: tuple[str, ...] = tuple(columns().loc[columns()["required"], "column"])
IDENTIFIERS: tuple[str, ...] = tuple(columns().loc[columns()["kind"] == "identifier", "column"])
KINDS: dict[str, str] = _kinds()

#: The yes/no household columns a registry export carries each year (the guarantees and program flags).
HOUSEHOLD_FLAGS: tuple[str, ...] = tuple(
    columns().loc[(columns()["kind"] == "flag") & (columns()["level"] == "household"), "column"]
)

#: A registry export's household income columns → the data package panel's per-capita columns.
PER_CAPITA: dict[str, str] = {
    "wage_income": "wage_pc",
    "operating_income": "operating_pc",
    "property_income": "property_pc",
    "transfer_income": "transfer_pc",
    "pension_income": "pension_pc",
    "dibao_income": "dibao_pc",
    "eco_comp_income": "eco_comp_pc",
    "other_policy_income": "other_policy_pc",
}
