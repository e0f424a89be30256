"""No identifier and no formula in any output of cleaning, wherever the export hid them: in kept text cells,
in file and sheet names, written with separators, in rows broken by a stray line end, in any column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import export_fixtures as fx
from evalkit.io import PseudonymKey, clean
from evalkit.io.scrub import Scrubber

KEY = PseudonymKey(b"5f0c2e9a41b7d3863e0f9a2c7b14d5e6a8c3f1e0b9d27a64")
PEOPLE = fx.base_rows()
NAMES = [row[fx.col("姓名")] for row in PEOPLE]
IDS = [row[fx.col("证件号码")] for row in PEOPLE]
PHONES = [row[fx.col("联系电话")] for row in PEOPLE]


def _outputs(result, folder: Path) -> str:
    """Every byte written (the five files), as text."""
    result.write(folder)
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in sorted(folder.iterdir()))


def _leaks(blob: str) -> list[str]:
    """Identifiers of the fixture people found in ``blob``: names anywhere, digits with any separators."""
    digits = re.sub(r"(?<=\d)[ \-.\u00a0]+(?=[\dXx])", "", blob)
    return sorted({v for v in NAMES if v in blob} | {v for v in IDS + PHONES if v in digits or v.lower() in digits})


def _spaced(value: str, sep: str) -> str:
    """An ID number or phone as people write it: groups of four (ID: 6-4-4-4) or 3-4-4."""
    if len(value) == 18:
        return sep.join([value[:6], value[6:10], value[10:14], value[14:]])
    return sep.join([value[:3], value[3:7], value[7:]])


def test_identifiers_in_kept_cells_names_separators_and_broken_rows(tmp_path) -> None:
    rows = [list(r) for r in PEOPLE]
    rows[0][fx.col("行政村")] = "后峪" + NAMES[3]  # a name typed into the village cell of a kept row
    rows[1][fx.col("乡镇")] = "东阳关镇 " + _spaced(PHONES[5], "-")  # a phone, dashed, in the township cell
    rows[2][fx.col("出生日期")] = _spaced(IDS[2], " ")  # an ID with spaces in a date cell: quarantined, shown
    rows[3][fx.col("健康状况")] = f"联系人：{NAMES[7]}"  # an unknown code: quarantined, shown
    name = f"{NAMES[0]}_{IDS[0]}_{PHONES[0]}.csv"
    path = fx.write_csv(tmp_path / name, fx.HEADER, rows)
    broken = path.read_text(encoding="utf-8").replace(f",{NAMES[8]},", f",{NAMES[8]}\r\n,", 1)  # a stray line end
    path.write_text(broken, encoding="utf-8")
    book = fx.write_xlsx(tmp_path / f"{IDS[1]}.xlsx", {f"{NAMES[1]}户": [fx.HEADER, *fx.typed(PEOPLE[4:6])]})
    result = clean([path, book], KEY, year=2018, poverty_line=3134.4)
    s = result.summary
    assert s["rows_in"] == s["rows_kept"] + s["rows_quarantined"] and s["rows_quarantined"] >= 3
    assert [f["file"] for f in s["files"]] == ["file-1", "file-2"] and s["files"][1]["sheets"][0]["sheet"] == "sheet-1"
    assert _leaks(_outputs(result, tmp_path / "out")) == []


def test_formula_payloads_are_written_as_text(tmp_path) -> None:
    rows = [list(r) for r in PEOPLE]
    rows[0][fx.col("行政村")] = '=HYPERLINK("http://evil","后峪")'
    rows[4][fx.col("行政村")] = "+cmd|' /C calc'!A0"
    rows[5][fx.col("行政村")] = "\t=1+1"  # whitespace cleaning must not turn this into a live formula
    rows[6][fx.col("乡镇")] = "@SUM(A1:A9)"
    rows[7][fx.col("健康状况")] = "-2+3"  # an unknown code: quarantined and shown
    path = fx.write_csv(tmp_path / "export.csv", fx.HEADER, rows)
    result = clean(path, KEY, year=2018, poverty_line=3134.4)
    result.write(tmp_path / "out")
    for file in (tmp_path / "out").glob("*.csv"):
        raw = file.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), file.name  # UTF-8 with a byte-order mark
        import csv
        import io

        for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))):
            live = [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(cell)]
            assert live == [], (file.name, live)


def _number(text: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text) is not None


_FORMS = st.sampled_from(["plain", "spaces", "dashes"])


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    who=st.integers(0, len(PEOPLE) - 1),
    kind=st.sampled_from(["name", "id", "phone"]),
    form=_FORMS,
    row=st.integers(0, len(PEOPLE) - 1),
    column=st.integers(0, len(fx.HEADER) - 1),
    in_file_name=st.booleans(),
    xlsx=st.booleans(),
)
def test_an_identifier_planted_anywhere_reaches_no_output(
    tmp_path_factory, who, kind, form, row, column, in_file_name, xlsx
):
    folder = tmp_path_factory.mktemp("plant")
    value = {"name": NAMES, "id": IDS, "phone": PHONES}[kind][who]
    if kind != "name" and form != "plain":
        value = _spaced(value, " " if form == "spaces" else "-")
    rows = [list(r) for r in PEOPLE]
    rows[row][column] = value if column != fx.col("行政村") else "后峪" + value
    stem = value if in_file_name else "export"
    if xlsx:
        path = fx.write_xlsx(folder / f"{stem}.xlsx", {f"{value}表"[:31]: [fx.HEADER, *rows]})
    else:
        path = fx.write_csv(folder / f"{stem}.csv", fx.HEADER, rows)
    try:
        result = clean(path, KEY, year=2018, poverty_line=3134.4)
    except Exception as error:  # a file that cannot be used at all: its message must not leak either
        assert _leaks(Scrubber(NAMES)(str(error))) == []
        return
    assert _leaks(_outputs(result, folder / "out")) == []
