"""Property-based tests: random malformed tables give only documented errors, and row accounting always balances."""

from __future__ import annotations

import pytest

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import export_fixtures as fx
from evalkit.errors import DataError
from evalkit.io import RULES, PseudonymKey, clean

KEY = PseudonymKey(b"81f4c0e92a7d3b65e0c1f8a4d7b2963e")
REQUIRED = ["户编号", "人编号", "行政村", "与户主关系"]
OPTIONAL = [h for h in fx.HEADER if h not in REQUIRED]

cell = st.one_of(
    st.just(""),
    st.sampled_from(
        ["户主", "配偶", "之子", "男", "女", "因病", "因学", "健康", "非在校生", "普通劳动力", "后峪", "合计", "注：无"]
    ),
    st.integers(min_value=-(10**6), max_value=10**19).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:g}"),
    st.sampled_from(["２０１６", "1,234.5", "3.2万", "1990年3月5日", "42430", "1.40426E+17", "x", " 12 "]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)


@st.composite
def tables(draw):
    columns = REQUIRED + draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=len(OPTIONAL)))
    columns = draw(st.permutations(columns))
    n = draw(st.integers(min_value=1, max_value=12))
    rows = [[draw(cell) for _ in columns] for _ in range(n)]
    if draw(st.booleans()):  # a title row above the header
        return [["黎城县建档立卡明细表"], list(columns), *rows]
    return [list(columns), *rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
@pytest.mark.slow
def test_random_tables_balance_or_fail_clearly(tmp_path_factory, table, encoding) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    path = tmp_path_factory.mktemp("prop") / "export.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    try:
        result = clean([path], KEY)
    except DataError as exc:  # documented errors only, each naming the file
        assert "export.csv" in str(exc)
        return
    s = result.summary
    assert s["rows_in"] == s["rows_kept"] + s["rows_quarantined"]
    assert s["rows_kept"] == s["rows_unchanged"] + s["rows_corrected"]
    assert len(result.members) == s["rows_kept"] and len(result.quarantine) == s["rows_quarantined"]
    assert set(result.log["rule"]) <= set(RULES)
    assert result.quarantine["reasons"].str.len().gt(0).all()
    assert not {"name", "id_number", "phone", "household_id", "person_id"} & set(result.members.columns)
