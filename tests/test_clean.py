"""Reading, cleaning and de-identifying registry exports: a corpus of broken files, each with its expected outcome."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

import export_fixtures as fx
from evalkit.errors import ConfigurationError, DataError
from evalkit.io import PseudonymKey, check_character, check_id, clean, load_key, pseudonymize

KEY = PseudonymKey(b"9d1c6e0b7a2f48e3c5b0d9a716f2e84c")


def run(path: Path | list[Path], **kw) -> dict:
    return clean(path if isinstance(path, list) else [path], KEY, **kw)


def accounting(result) -> tuple[int, int, int, int]:
    s = result.summary
    assert s["rows_in"] == s["rows_kept"] + s["rows_quarantined"]
    assert len(result.members) == s["rows_kept"] and len(result.quarantine) == s["rows_quarantined"]
    return s["rows_in"], s["rows_kept"], s["rows_corrected"], s["rows_quarantined"]


def quarantined(result) -> dict[str, int]:
    return result.summary["quarantine_reasons"]


# ---------------------------------------------------------------- ID numbers


def test_check_character_matches_the_standard_example() -> None:
    # GB 11643-1999 appendix example: 11010519491231002X
    assert check_character("11010519491231002") == "X"
    assert check_id("11010519491231002X").valid


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002", "id_bad_length"),
        ("1101051949123100", "id_bad_length"),
        ("11010519491231002Y", "id_bad_characters"),
        ("99010519491231002X", "id_bad_region"),
        (fx.make_id("19491331", 2, "110105"), "id_bad_birth_date"),
        ("110105194912310021", "id_bad_check_character"),
        ("1.40426196003050E+17", "id_mangled_by_excel"),
        (1.4042619600305e17, "id_mangled_by_excel"),
        ("140426196003050000", "id_mangled_by_excel"),
        ("", "id_missing"),
    ],
)
def test_id_faults(value, problem) -> None:
    assert check_id(value).problem == problem


def test_legacy_15_digit_ids_are_upgraded_and_lower_case_x_fixed() -> None:
    full = fx.make_id("19600305", 11)
    legacy = full[:6] + full[8:17]
    r = check_id(legacy)
    assert r.valid and r.normalized == full and r.corrections == ("id_upgraded_from_15",)
    assert (r.birth_date, r.sex) == (dt.date(1960, 3, 5), "male")
    x = check_id("11010519491231002x")
    assert x.valid and x.corrections == ("id_lowercase_x",)


def test_pseudonyms_are_keyed_stable_and_kind_specific() -> None:
    a = pseudonymize(["H1", "H1", None], KEY, "household")
    assert a[0] == a[1] and a[2] is None and a[0].startswith("H") and len(a[0]) == 17
    other = PseudonymKey(b"0e7b3c9a52d1f6e48a0c7b2d9e5f1a36")
    assert pseudonymize(["H1"], other, "household") != a[:1]
    assert pseudonymize(["H1"], KEY, "person_id")[0][1:] != a[0][1:]


def test_the_key_is_required_long_and_outside_the_repository(monkeypatch, tmp_path, repo_root) -> None:
    monkeypatch.delenv("EVALKIT_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="no pseudonym key"):
        load_key()
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "short")
    with pytest.raises(ConfigurationError, match="at least 32"):
        load_key()
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "a" * 40)
    with pytest.raises(ConfigurationError, match="not random"):
        load_key()
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "lichengcounty2018lichengcounty2018")  # guessable
    with pytest.raises(ConfigurationError, match="not a random key"):
        load_key()
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef")  # repeats itself
    with pytest.raises(ConfigurationError, match="repeats itself"):
        load_key()
    inside = repo_root / "pseudonym.key"
    with pytest.raises(ConfigurationError, match="inside the evalkit repository"):
        load_key(inside)
    from evalkit.io import new_key_file

    made = new_key_file(tmp_path / "k" / "pseudonym.key")
    assert oct(made.stat().st_mode & 0o777) == "0o600" and len(load_key(made).secret) == 64
    assert made.read_bytes() == load_key(made).secret  # exactly the key: no line end
    with pytest.raises(ConfigurationError, match="never overwrites"):
        new_key_file(made)


def test_a_key_file_is_read_exactly_and_must_be_private(tmp_path) -> None:
    """A key re-saved by an editor (byte-order mark, CRLF) would change every pseudonym: refused, not fixed."""
    from evalkit.io import new_key_file

    made = new_key_file(tmp_path / "pseudonym.key")
    key = load_key(made)
    for damaged in (b"\xef\xbb\xbf" + key.secret, key.secret + b"\r\n", key.secret + b"\n"):
        made.write_bytes(damaged)
        with pytest.raises(ConfigurationError, match="byte-order mark, a line end"):
            load_key(made)
    made.write_bytes(key.secret)
    made.chmod(0o644)
    with pytest.raises(ConfigurationError, match="can be read by other users.*chmod 600"):
        load_key(made)
    made.chmod(0o600)
    assert load_key(made).fingerprint == key.fingerprint and str(made) not in repr(load_key(made))


def test_a_cleaning_run_refuses_another_key(tmp_path) -> None:
    """Pseudonyms link only under one key: writing over a run made with another key, or cleaning a second
    year with another key than the first (``same_key``), is refused; the key's file is never recorded."""
    from evalkit.io import same_key

    path = fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows())
    first = run(path)
    first.write(tmp_path / "2018")
    other = PseudonymKey(b"0e7b3c9a52d1f6e48a0c7b2d9e5f1a36")
    second = clean(path, other, year=2018, poverty_line=3134.4)
    with pytest.raises(ConfigurationError, match="made with another pseudonym key"):
        second.write(tmp_path / "2018")
    with pytest.raises(ConfigurationError, match="differs from the one that cleaned"):
        same_key(tmp_path / "2018", other)
    same_key(tmp_path / "2018", KEY)
    summary = (tmp_path / "2018" / "summary.json").read_text(encoding="utf-8")
    assert KEY.fingerprint in summary and str(tmp_path) not in summary


# ---------------------------------------------------------------- the corpus: clean files


@pytest.mark.parametrize(
    ("encoding", "sep", "detected"),
    [("utf-8", ",", "utf-8"), ("utf-8-sig", ",", "utf-8-sig"), ("gbk", ",", "gb18030"), ("utf-16", "\t", "utf-16")],
)
def test_encodings_are_detected(tmp_path, encoding, sep, detected) -> None:
    path = fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows(), encoding=encoding, sep=sep)
    result = run(path)
    assert accounting(result) == (9, 9, 0, 0)
    assert result.summary["files"][0]["encoding"] == detected
    assert result.summary["flags"] == {}
    assert set(result.members["village"]) == {"后峪", "东沟村", "西坡村"}


def test_raw_file_is_untouched_and_hashed(tmp_path) -> None:
    import hashlib

    path = fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows())
    before = path.read_bytes()
    result = run(path)
    assert path.read_bytes() == before
    assert result.summary["files"][0]["sha256"] == hashlib.sha256(before).hexdigest()


def test_values_and_derived_fields(tmp_path) -> None:
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, fx.base_rows()))
    m = result.members
    assert list(m["relation"]) == ["head", "spouse", "child", "head", "spouse", "head", "child", "head", "spouse"]
    assert m["birth_date_from_id"].iloc[0] == "1960-03-05" and m["sex_from_id"].iloc[1] == "female"
    h = result.households.set_index("village")
    assert h.loc["后峪", "main_cause"].tolist() == ["schooling", "illness"] or set(h.loc["后峪", "main_cause"]) == {
        "schooling",
        "illness",
    }
    assert result.households["income_pc"].sum() == 3400 + 2500 + 4100 + 3600
    assert result.households["exit_year"].isna().sum() == 1
    assert result.summary["households_kept"] == 4 and result.summary["persons_kept"] == 9


def test_undecodable_bytes_are_an_error(tmp_path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(",".join(fx.HEADER).encode("utf-8") + b"\r\n\x81\xff\xfe\x80garbage\r\n")
    with pytest.raises(DataError, match="neither UTF-8 nor GBK"):
        run(path)


def test_xlsx_title_two_row_header_merged_cells_total_and_note(tmp_path) -> None:
    header_top = [h if h not in fx.INCOME else "收入情况（元）" for h in fx.HEADER]
    rows = [["黎城县建档立卡贫困人口明细表"], header_top, fx.HEADER, *fx.typed(fx.base_rows()), ["合计", *[""] * 8, 9]]
    rows.append(["注：本表由村级填报，乡镇审核。"])
    first_income = fx.HEADER.index("人均纯收入") + 1
    from openpyxl.utils import get_column_letter as L

    merges = [f"A1:{L(len(fx.HEADER))}1", f"{L(first_income)}2:{L(first_income + 5)}2"]
    merges += [f"{L(j)}2:{L(j)}3" for j in range(1, len(fx.HEADER) + 1) if not first_income <= j < first_income + 6]
    # household cells merged down over members (H1: rows 4-6): the value sits in the top cell only
    merges += ["C4:C6", "J4:J6", "O4:O6"]
    for r in (5, 6):
        for c in ("C", "J", "O"):
            rows[r - 1][ord(c) - 65] = None
    path = fx.write_xlsx(tmp_path / "e.xlsx", {"户信息": rows}, {"户信息": merges})
    result = run(path)
    assert accounting(result) == (11, 9, 0, 2)
    assert quarantined(result) == {"note_row": 1, "total_row": 1}
    sheet = result.summary["files"][0]["sheets"][0]
    assert sheet["header_rows"] == [2, 3] and sheet["rows_in"] == 11
    assert (result.members.loc[:2, "household_size"] == 3).all()
    assert result.summary["flags"] == {}


def test_legacy_xls(tmp_path) -> None:
    rows = [["建档立卡明细"], fx.HEADER, *fx.typed(fx.base_rows())]
    result = run(fx.write_xls(tmp_path / "e.xls", rows))
    assert accounting(result) == (9, 9, 0, 0)
    assert result.members["birth_date"].iloc[0] == "1960-03-05"


def test_several_sheets_and_a_sheet_that_is_not_a_table(tmp_path) -> None:
    rows = fx.typed(fx.base_rows())
    path = fx.write_xlsx(
        tmp_path / "e.xlsx",
        {
            "填表说明": [["本表填报说明"], ["1. 按户填写"]],
            "东阳关镇": [fx.HEADER, *rows[:5]],
            "清泉镇": [fx.HEADER, *rows[5:]],
            "空表": [],
        },
    )
    result = run(path)
    assert accounting(result) == (9, 9, 0, 0)
    skipped = {s["sheet"]: s["reason"] for s in result.summary["files"][0]["sheets_skipped"]}
    assert skipped == {"sheet-1": "no registry header found", "sheet-4": "empty sheet"}  # named by position


def test_amounts_in_wan_yuan_are_converted(tmp_path) -> None:
    header = [h + "(万元)" if h in fx.INCOME else h for h in fx.HEADER]
    rows = fx.base_rows()
    for row in rows:
        for name in fx.INCOME:
            row[fx.col(name)] = f"{float(row[fx.col(name)]) / 10000:g}"
    result = run(fx.write_csv(tmp_path / "e.csv", header, rows))
    assert accounting(result) == (9, 9, 9, 0)
    assert result.households["income_pc"].sort_values().tolist() == [2500, 3400, 3600, 4100]
    assert result.summary["corrections"]["wan_to_yuan"] == 9 * 6 - 9 * 0  # every income cell, zeros included


def test_excel_serial_dates_fullwidth_and_whitespace(tmp_path) -> None:
    rows = fx.base_rows()
    rows[0][fx.col("出生日期")] = str((dt.date(1960, 3, 5) - dt.date(1899, 12, 30)).days)  # 21980
    rows[1][fx.col("出生日期")] = "1962年8月11日"
    rows[2][fx.col("人均纯收入")] = "３４００"
    rows[3][fx.col("行政村")] = " 后峪 "
    rows[4][fx.col("家庭纯收入")] = "5,000"
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows))
    assert accounting(result) == (9, 9, 5, 0)
    assert result.summary["corrections"] == {
        "date_format": 1,
        "excel_serial_date": 1,
        "fullwidth": 1,
        "number_format": 1,
        "whitespace": 1,
    }
    assert result.members["birth_date"].iloc[0] == "1960-03-05"
    assert result.summary["flags"] == {}


def test_ids_broken_by_excel_and_by_typing(tmp_path) -> None:
    rows = fx.typed(fx.base_rows())
    full = rows[0][fx.col("证件号码")]
    rows[0][fx.col("证件号码")] = float(full[:17]) * 10  # Excel number: digits lost
    rows[1][fx.col("证件号码")] = rows[1][fx.col("证件号码")][:-1] + (
        "0" if rows[1][fx.col("证件号码")][-1] != "0" else "1"
    )
    legacy = rows[2][fx.col("证件号码")]
    rows[2][fx.col("证件号码")] = legacy[:6] + legacy[8:17]
    rows[3][fx.col("证件号码")] = fx.make_id("19481320", 41)  # month 13
    path = fx.write_xlsx(tmp_path / "e.xlsx", {"户": [fx.HEADER, *rows]})
    result = run(path)
    assert accounting(result) == (9, 6, 1, 3)
    assert quarantined(result) == {"id_bad_birth_date": 1, "id_bad_check_character": 1, "id_mangled_by_excel": 1}
    assert result.summary["corrections"] == {"id_upgraded_from_15": 1}
    # the quarantined rows still get a person pseudonym (from the person number) so the office can trace them
    assert result.quarantine["person_key"].str.startswith("Q").all()
    assert result.quarantine["source_row"].tolist() == [2, 3, 5]


def test_duplicates(tmp_path) -> None:
    rows = fx.base_rows()
    rows.append(list(rows[0]))  # the same row twice
    moved = list(rows[7])  # H4's head listed again in H3 (same ID number)
    moved[fx.col("户编号")], moved[fx.col("人编号")], moved[fx.col("行政村")] = "H3", "P33", "东沟村"
    rows.append(moved)
    h2 = [list(r) for r in rows if r[fx.col("户编号")] == "H2"]
    for r in h2:  # household H2 also listed in another village
        r[fx.col("行政村")] = "西坡村"
        r[fx.col("人编号")] = r[fx.col("人编号")] + "b"
    rows += h2
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows))
    assert accounting(result) == (13, 6, 0, 7)
    assert quarantined(result) == {
        "duplicate_row": 1,
        "household_in_two_villages": 4,
        "person_in_two_households": 2,
    }
    # 1 + 4 + 2 = 7 rows; H3 now lists 3 persons for a size of 2; H4 lost its head row
    assert result.summary["flags"] == {"household_size_mismatch": 2, "no_single_head": 1}


def test_registry_logic_checks_flag_without_removing(tmp_path) -> None:
    rows = fx.base_rows()
    h1 = [i for i, r in enumerate(rows) if r[fx.col("户编号")] == "H1"]
    rows[h1[2]][fx.col("在校生状况")] = "非在校生"  # H1 因学 with no student
    rows[3][fx.col("健康状况")] = "健康"  # H2 因病 with no sick member
    for i in (7, 8):
        rows[i][fx.col("致贫原因")] = "因残"  # H4 因残 with no disabled member
    rows[8][fx.col("性别")] = "男"  # H4 spouse male like the head (and against her ID)
    for i in (5, 6):
        rows[i][fx.col("家庭纯收入")] = "9000"  # H3 components 8200
        rows[i][fx.col("人均纯收入")] = "4500"  # consistent with 9000 / 2
    rows[6][fx.col("务工时间")] = "14"
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows))
    assert accounting(result) == (9, 9, 0, 0)
    assert result.summary["flags"] == {
        "cause_disability_no_disabled_member": 2,
        "cause_illness_no_sick_member": 2,
        "cause_schooling_no_student": 3,
        "head_spouse_same_sex": 2,
        "income_components_mismatch": 2,
        "sex_differs_from_id": 1,
        "work_months_out_of_range": 1,
    }
    assert result.summary["rows_flagged"] == 9


def test_implausible_income_and_exit_below_the_line(tmp_path) -> None:
    rows = fx.base_rows()
    for i in (7, 8):  # H4 exited 2018 with 2,000 yuan per person
        rows[i][fx.col("人均纯收入")], rows[i][fx.col("家庭纯收入")] = "2000", "4000"
        rows[i][fx.col("工资性收入")], rows[i][fx.col("生产经营性收入")] = "1000", "2200"
    for i in (5, 6):
        rows[i][fx.col("人均纯收入")] = "-50"
        rows[i][fx.col("家庭纯收入")] = "-100"
        rows[i][fx.col("工资性收入")], rows[i][fx.col("生产经营性收入")] = "0", "-300"
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows), year=2018, poverty_line=3134.4)
    assert result.summary["flags"] == {"exit_below_line": 2, "implausible_income": 2}
    assert result.summary["exit_check"]["run"] is True
    no_line = run(fx.write_csv(tmp_path / "f.csv", fx.HEADER, rows), year=2018)  # 2018 has no sourced line
    assert no_line.summary["exit_check"]["years_without_sourced_line"] == [2018]
    assert "exit_below_line" not in no_line.summary["flags"]


def test_codes_and_values_that_cannot_be_cleaned_are_quarantined(tmp_path) -> None:
    rows = fx.base_rows()
    rows[0][fx.col("与户主关系")] = "邻居"
    rows[1][fx.col("人均纯收入")] = "三千四"
    rows[2][fx.col("出生日期")] = "2008-02-30"
    rows[3][fx.col("户编号")] = ""
    rows[4][fx.col("家庭人口数")] = "45"
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows))
    assert accounting(result) == (9, 4, 0, 5)
    assert quarantined(result) == {
        "bad_date": 1,
        "bad_number": 1,
        "key_missing": 1,
        "out_of_range": 1,
        "unknown_code": 1,
    }
    messages = " ".join(result.quarantine["messages"])
    assert "'邻居' is not a known relation" in messages and "'三千四' is not a number" in messages


def test_truncated_csv(tmp_path) -> None:
    good = fx.write_csv(tmp_path / "e.csv", fx.HEADER, fx.base_rows()).read_bytes()
    cut_row = tmp_path / "cut.csv"
    cut_row.write_bytes(good[: good.rfind(b"\r\n", 0, len(good) - 2) + 2] + good[-60:-40])  # last line cut short
    result = run(cut_row)
    assert accounting(result) == (9, 8, 0, 1) and quarantined(result) == {"short_row": 1}
    open_quote = tmp_path / "quote.csv"
    open_quote.write_bytes(good + b'"H5,P51,\xe5\xbc\xa0')
    with pytest.raises(DataError, match="cut off"):
        run(open_quote)


def test_truncated_xlsx(tmp_path) -> None:
    good = fx.write_xlsx(tmp_path / "e.xlsx", {"户": [fx.HEADER, *fx.base_rows()]}).read_bytes()
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="truncated or damaged"):
        run(bad)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: fx.write_csv(p, fx.HEADER, []), "header but no data rows"),
        (
            lambda p: fx.write_csv(
                p, ["借款人", "贷款金额", "放款日期", "还款状态"], [["甲", "50000", "2017-03-01", "正常"]]
            ),
            "no header row found",
        ),
        (
            lambda p: fx.write_csv(p, [h for h in fx.HEADER if h != "户编号"], [r[:2] + r[3:] for r in fx.base_rows()]),
            r"required columns are missing: household_id \(e.g. 户编号\)",
        ),
        (
            lambda p: fx.write_csv(p, [*fx.HEADER, "村"], [[*r, "x"] for r in fx.base_rows()]),
            "two columns mean the same",
        ),
        (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 100), "wrong extension"),
    ],
    ids=["empty", "header-only", "other-registry", "missing-required", "duplicate-column", "xlsx-named-csv"],
)
def test_unusable_inputs_are_one_clear_error(tmp_path, make, message) -> None:
    path = tmp_path / "e.csv"
    make(path)
    with pytest.raises(DataError, match=message) as info:
        run(path)
    assert "e.csv" in str(info.value)


def test_repeated_header_and_long_rows(tmp_path) -> None:
    rows = fx.base_rows()
    rows.insert(4, list(fx.HEADER))
    rows.append([*rows[0][:-1], "139", "extra"])
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows))
    assert accounting(result) == (11, 9, 0, 2)
    assert quarantined(result) == {"long_row": 1, "repeated_header": 1}


# ---------------------------------------------------------------- no identifier anywhere


def test_no_identifier_in_any_output(tmp_path) -> None:
    rows = fx.base_rows()
    rows[0][fx.col("与户主关系")] = rows[0][fx.col("姓名")]  # a name typed into the wrong column
    rows[1][fx.col("证件号码")] = rows[1][fx.col("证件号码")][:-1] + "0"
    path = fx.write_csv(tmp_path / "e.csv", fx.HEADER, rows)
    result = run(path)
    out = tmp_path / "out"
    result.write(out)
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    leaked = [value for value in fx.identifiers() if value in text]
    assert leaked == []
    assert "<redacted>" in text  # the name in the relation column was scrubbed from the message


def test_summary_is_json_with_the_row_accounting(tmp_path) -> None:
    rows = fx.base_rows()
    blank = [""] * len(fx.HEADER)
    result = run(fx.write_csv(tmp_path / "e.csv", fx.HEADER, [*rows[:4], blank, blank, *rows[4:]]))
    result.write(tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["blank_rows_skipped"] == 2 and summary["files"][0]["sheets"][0]["blank_rows"] == 2
    assert {k: summary[k] for k in ("rows_in", "rows_kept", "rows_corrected", "rows_quarantined")} == {
        "rows_in": 9,
        "rows_kept": 9,
        "rows_corrected": 0,
        "rows_quarantined": 0,
    }
    assert summary["identifiers_dropped"] == ["name", "id_number", "phone"]
    members = pd.read_csv(tmp_path / "out" / "members.csv")
    assert not {"name", "id_number", "phone", "household_id", "person_id"} & set(members.columns)


def test_limits_protected_and_hidden_sheets(tmp_path, monkeypatch) -> None:
    """A workbook that would unpack beyond the limits is refused before it is unpacked; a password-protected
    one is named as such; a hidden sheet is read and said to be hidden."""
    import zipfile

    from evalkit.io import sheets

    rows = fx.typed(fx.base_rows())
    sheets_ = {"户信息": [fx.HEADER, *rows[:5]], "隐藏": [fx.HEADER, *rows[5:]], "说明": [["本表由村级填报"]]}
    book = fx.write_xlsx(tmp_path / "e.xlsx", sheets_)
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb["隐藏"].sheet_state = "hidden"
    wb["说明"].sheet_state = "hidden"
    wb.save(book)
    result = run(book)
    assert [s["hidden"] for s in result.summary["files"][0]["sheets"]] == [False, True]
    from evalkit.evaluations.data_quality import by_source

    shown = by_source(result)  # the data-quality report says which sheets were hidden, and which skipped
    assert shown["sheet"].tolist() == ["sheet-1", "sheet-2", "sheet-3"]
    assert shown["hidden_sheet"].tolist() == [False, True, True] and shown["rows_in"].tolist()[:2] == [5, 4]
    assert shown["sheet_skipped"].tolist() == ["", "", "no registry header found"]
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<a>" + b"A" * (40 * 2**20) + b"</a>")
    with pytest.raises(DataError, match="far more than a registry export compresses"):
        run(bomb)
    monkeypatch.setattr(sheets, "MAX_UNPACKED_BYTES", 2**20)
    with pytest.raises(DataError, match="unpacks to 40 MiB, more than the 1 MiB"):
        run(bomb)
    protected = tmp_path / "locked.xlsx"  # an encrypted workbook is an OLE container holding EncryptedPackage
    protected.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(DataError, match="protected by a password"):
        run(protected)
    long_cell = [list(r) for r in fx.base_rows()]
    long_cell[0][fx.col("行政村")] = "村" * 40_000
    with pytest.raises(DataError, match="longer than Excel allows"):
        run(fx.write_csv(tmp_path / "long.csv", fx.HEADER, long_cell))
