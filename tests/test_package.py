"""The county data package: the committed default meets the contract, standard tools agree, and a broken
package gets every problem listed at once (file, column, lines, what was expected)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit import cli, datasets, package, paths
from evalkit.errors import PackageError


def _copy_committed(dest: Path) -> Path:
    """The committed package (descriptor, synthetic tables, published figures) copied to ``dest``."""
    dest.mkdir()
    shutil.copy(paths.data_dir() / package.DESCRIPTOR, dest)
    shutil.copytree(paths.data_dir() / "synthetic", dest / "synthetic")
    shutil.copytree(paths.data_dir() / "published", dest / "published")
    return dest


def test_the_committed_data_is_a_package_that_meets_the_contract() -> None:
    pkg = package.open_package()
    assert pkg.synthetic and pkg.years == [2015, 2016, 2017, 2018]
    assert pkg.names == list(package.tables())  # every table, the published figures included
    assert package.validate() == []
    assert pkg.key_fingerprint is None  # synthetic tables carry no pseudonyms


def test_tables_load_with_the_dictionary_types_and_the_committed_values() -> None:
    pkg = package.open_package()
    households = pkg.load("households")
    assert households["exit_year"].dtype == "Int64" and households["exit_year"].isna().sum() == 637
    assert households["household_size"].dtype == "int64" and int(households["household_size"].sum()) == 8055
    panel = pkg.load("panel")
    assert panel["microcredit_active"].dtype == bool
    # numbers parsed from text equal pandas' own reading of the file, bit for bit
    plain = pd.read_csv(pkg.path("panel"))
    for column in ("income_pc", "wage_pc", "poverty_line", "transfer_pc"):
        assert panel[column].equals(plain[column]), column
    assert datasets.describe("loans").set_index("column").loc["amount_yuan", "unit"] == "yuan"


def test_a_folder_without_a_descriptor_is_refused_with_what_to_do(tmp_path) -> None:
    with pytest.raises(PackageError, match="no datapackage.json.*evalkit build"):
        package.open_package(tmp_path)
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / package.DESCRIPTOR).write_text("{}", encoding="utf-8")
    with pytest.raises(PackageError, match="give its package/ subfolder"):
        package.open_package(tmp_path)


def test_a_run_on_a_folder_that_is_not_a_package_stops_before_it_starts(tmp_path, capsys) -> None:
    (tmp_path / "data").mkdir()
    assert cli.main(["run", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "is not a data package: it has no datapackage.json" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_run_on_a_broken_package_lists_every_problem_before_it_starts(broken, tmp_path, capsys) -> None:
    assert cli.main(["run", "--data", str(broken), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "9 problem(s)" in err and "column 'birth_year', row 6" in err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """A copy of the committed package with one planted fault of each kind."""
    pkg = _copy_committed(tmp_path_factory.mktemp("broken") / "pkg")
    syn = pkg / "synthetic"
    members = pd.read_csv(syn / "synthetic_members.csv", dtype=str, keep_default_na=False)
    members.loc[4, "birth_year"] = "19六0"  # line 6: not a whole number
    members.loc[9, "sex"] = "男"  # line 11: not a code
    members.to_csv(syn / "synthetic_members.csv", index=False)
    loans = pd.read_csv(syn / "synthetic_loans.csv", dtype=str, keep_default_na=False)
    loans.loc[2, "loan_id"] = loans.loc[1, "loan_id"]  # lines 3 and 4: one key twice
    loans.loc[7, "amount_yuan"] = "-5000"  # line 9: below the minimum
    loans.to_csv(syn / "synthetic_loans.csv", index=False)
    panel = pd.read_csv(syn / "synthetic_panel.csv", dtype=str, keep_default_na=False)
    panel.loc[0, "household_id"] = "H99999"  # line 2: a household the registry does not hold
    panel.loc[5, "status"] = ""  # line 7: a required value missing
    panel.to_csv(syn / "synthetic_panel.csv", index=False)
    villages = pd.read_csv(syn / "synthetic_villages.csv", dtype=str, keep_default_na=False)
    villages.drop(columns="agri_pop").to_csv(syn / "synthetic_villages.csv", index=False)  # a required column
    desc = json.loads((pkg / package.DESCRIPTOR).read_text(encoding="utf-8"))
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "townships"]  # a required table
    (pkg / package.DESCRIPTOR).write_text(json.dumps(desc, ensure_ascii=False), encoding="utf-8")
    return pkg


def test_validate_lists_every_problem_with_file_column_and_lines(broken) -> None:
    problems = {(p.file, p.column): p for p in package.validate(broken)}
    members = "synthetic/synthetic_members.csv"
    assert problems[(members, "birth_year")].rows == (6,)
    assert problems[(members, "birth_year")].found == ("19六0",)
    assert problems[(members, "sex")].rows == (11,) and "one of male, female" in str(problems[(members, "sex")])
    loans = "synthetic/synthetic_loans.csv"
    assert problems[(loans, "loan_id")].rows == (3, 4)
    assert problems[(loans, "amount_yuan")].rows == (9,) and "at least 0" in problems[(loans, "amount_yuan")].expected
    panel = "synthetic/synthetic_panel.csv"
    assert problems[(panel, "household_id")].found == ("H99999",)
    assert problems[(panel, "status")].rows == (7,)
    villages = "synthetic/synthetic_villages.csv"
    assert problems[(villages, "agri_pop")].rows == (1,)
    assert "required" in problems[(package.DESCRIPTOR, "resources")].expected
    # the villages file no longer matches its declared columns either
    assert problems[(villages, None)].found == ("missing agri_pop",)
    assert len(problems) == 9


def test_the_command_exits_2_listing_every_problem(broken, capsys) -> None:
    assert cli.main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "9 problem(s)" in err
    assert "synthetic/synthetic_members.csv, column 'sex', row 11: expected one of male, female" in err
    assert "Traceback" not in err
    assert cli.main(["validate", str(paths.data_dir())]) == 0
    assert "meets the contract (SYNTHETIC" in capsys.readouterr().out


def test_check_raises_one_error_naming_every_problem(broken) -> None:
    with pytest.raises(PackageError, match=r"9 problem\(s\)") as caught:
        package.check(broken)
    assert "evalkit validate" in str(caught.value)


@pytest.mark.slow
def test_standard_tools_read_and_validate_the_committed_package(broken) -> None:
    frictionless = pytest.importorskip("frictionless", reason="the test extra installs frictionless")
    report = frictionless.validate(str(paths.data_dir() / package.DESCRIPTOR))
    assert report.valid, report.flatten(["type", "note"])[:5]
    # and they find the planted faults too (type, code, key, reference, missing value)
    desc = json.loads((broken / package.DESCRIPTOR).read_text(encoding="utf-8"))
    desc["resources"] = [r for r in desc["resources"] if r["name"] in ("households", "members", "loans")]
    (broken / "three.json").write_text(json.dumps(desc, ensure_ascii=False), encoding="utf-8")
    found = {tuple(e) for e in frictionless.validate(str(broken / "three.json")).flatten(["type", "fieldName"])}
    assert ("type-error", "birth_year") in found
    assert ("constraint-error", "sex") in found
    assert ("primary-key", None) in found or any(t == "primary-key" for t, _ in found)
