"""Property-based tests: random malformed tables give only documented errors, and row accounting always balances."""

from __future__ import annotations

import pytest

import csv
import io

import numpy as np

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


def _shown(value: object) -> str:
    """An event's cell as a test compares it: missing values alike and numbers as floats (an events frame
    holds None or NaN, 1990 or 1990.0, depending on what else its column holds), anything else by its repr."""
    if value is None or (isinstance(value, float) and value != value):
        return "NA"
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        return repr(float(value))
    return repr(value)


raw_value = st.one_of(
    cell,
    st.sampled_from([0.0, -0.0, 1, 1.0, True, False, None, float("nan"), 13900000011, 1.5e17, "13900000011"]),
    st.integers(min_value=-5, max_value=5),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(raw_value, max_size=30))
def test_each_distinct_value_cleaned_once_gives_what_each_cell_cleaned_alone_gives(values) -> None:
    """The cleaners and the scrubber compute each distinct value once and share the result: the values and
    the events must be exactly those of cleaning every cell on its own (types and the sign of zero kept)."""
    import pandas as pd

    from evalkit.io import cleaners
    from evalkit.io.scrub import Scrubber

    series = pd.Series(values, dtype=object)
    verbs = {
        "number": lambda s: cleaners.to_number(s, typed=True),
        "integer": lambda s: cleaners.to_integer(s, low=0, high=99, what="size"),
        "year": cleaners.to_year,
        "date": cleaners.to_date,
        "text": cleaners.to_text,
        "key": lambda s: cleaners.to_key(s, what="household number"),
        "code": lambda s: cleaners.to_code(s, {"男": "male", "女": "female"}, what="sex"),
    }
    for name, verb in verbs.items():
        together = verb(series)
        alone = [verb(series.iloc[[i]]) for i in range(len(series))]
        expected = [a.values.tolist()[0] for a in alone]
        got = together.values.tolist()
        assert [repr(v) for v in got] == [repr(v) for v in expected], name
        events = [tuple(map(_shown, row)) for a in alone for row in a.events.itertuples(index=False)]
        assert [tuple(map(_shown, row)) for row in together.events.itertuples(index=False)] == events, name
    scrub = Scrubber(["张三", "13900000011"])
    assert [repr(v) for v in scrub._cells(series.to_numpy(dtype=object))] == [repr(scrub.cell(v)) for v in values]
    assert scrub.finds_each(series).tolist() == [scrub.finds(v) for v in values]
