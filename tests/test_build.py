"""Building a data package from an office's raw files: the SYNTHETIC county written as its raw files
(registry exports 2014-2019 in six forms, place roster, bank ledger) builds back into the committed numbers,
identifiers never reach the package, and what cannot be used is refused with a message."""

from __future__ import annotations

import json
import shutil
import numpy as np
import pandas as pd
import pytest

from evalkit import build, cli, datasets, package
from evalkit.io import PseudonymKey
from evalkit.synth.raw import write_raw

pytestmark = pytest.mark.slow

KEY = PseudonymKey(b"9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e0b9d27a6")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    county = datasets.load_county()
    raw = root / "raw"
    write_raw(county, raw)
    result = build.build([raw], KEY, synthetic=True)
    folder = build.write(result, root / "package", inputs=[raw])
    return result, folder, raw, county


def test_the_raw_files_come_in_the_forms_offices_produce(built) -> None:
    _, _, raw, _ = built
    names = sorted(p.name for p in (raw / "registry").iterdir())
    assert names == [f"registry_{y}.{'xlsx' if y in (2014, 2017, 2019) else 'csv'}" for y in range(2014, 2020)]
    (raw / "registry" / "registry_2015.csv").read_bytes().decode("gbk")  # GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        (raw / "registry" / "registry_2015.csv").read_bytes().decode("utf-8")
    kinds = {p.name: build.classify(p) for p in raw.glob("*.csv")}
    assert kinds == {
        "places.csv": "places",
        "bank_loans.csv": "loans",
        "program_rosters.csv": "programs",
        "training_followup.csv": "labour",
        "assessment_survey.csv": "survey",
    }
    assert build.classify(raw / "published" / "ledger.csv") == "published"


def test_every_row_is_accounted_for(built) -> None:
    result, *_ = built
    files = result.files.set_index("year")
    registry = files.loc[files["kind"] == "registry"]
    assert (registry["rows_in"] == registry["rows_kept"] + registry["rows_quarantined"]).all()
    # the 2014 workbook's totals row and the 2018 CSV's three rows exported twice, nothing else
    assert registry["rows_quarantined"].to_dict() == {2014: 1, 2015: 0, 2016: 0, 2017: 0, 2018: 3, 2019: 0}
    assert sorted(result.quarantine["reasons"].unique()) == ["duplicate_row", "total_row"]


def test_the_build_gives_back_the_committed_tables(built) -> None:
    _, folder, _, county = built
    pkg = package.open_package(folder)
    assert pkg.names == [n for n in package.tables() if n not in ("truth", "parameters")]
    for name in ("households", "members", "programs", "loans", "labour", "survey"):
        ours, committed = pkg.load(name), county[name]
        assert list(ours.columns) == list(committed.columns), name
        pd.testing.assert_frame_equal(ours, committed, check_dtype=False, obj=name)
    for name in ("townships", "villages"):  # the roster has no English names or report annotations
        ours = pkg.load(name)
        pd.testing.assert_frame_equal(ours, county[name][list(ours.columns)], check_dtype=False, obj=name)
    panel, committed = pkg.load("panel"), county["panel"]
    assert list(panel.columns) == list(committed.columns)
    numbers = [c for c in committed.columns if pd.api.types.is_float_dtype(committed[c])]
    others = [c for c in committed.columns if c not in numbers]
    pd.testing.assert_frame_equal(panel[others], committed[others], check_dtype=False)
    # incomes are household totals to the fen in the exports: per-capita values come back to the fen
    assert np.abs(panel[numbers].to_numpy() - committed[numbers].to_numpy()).max() < 1e-9
    assert pkg.load("published").equals(package.open_package().load("published"))


def test_the_package_is_valid_says_what_it_is_and_holds_no_identifier(built) -> None:
    result, folder, raw, _ = built
    assert package.validate(folder) == []
    pkg = package.open_package(folder)
    assert pkg.synthetic and pkg.years == [2015, 2016, 2017, 2018, 2019]
    assert pkg.key_fingerprint == KEY.fingerprint
    summary = json.loads((folder / "build" / "summary.json").read_text(encoding="utf-8"))
    # one per household back in poverty; the 124 program participants outside the registry stay unlinked,
    # and the rosters say so too (no contradiction listed)
    assert summary["links"] == {"return_to_poverty": 24}
    export = pd.read_csv(raw / "registry" / "registry_2016.csv", dtype=str)
    identifiers = set(export["姓名"]) | set(export["证件号码"]) | set(export["联系电话"])
    ledger = pd.read_csv(raw / "bank_loans.csv", dtype=str)
    identifiers |= set(ledger["借款人"]) | set(ledger["身份证号"])
    for roster in ("program_rosters.csv", "training_followup.csv"):
        identifiers |= set(pd.read_csv(raw / roster, dtype=str)["身份证号"])
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            cells = set(pd.Series(text.replace("\n", ",").split(",")).str.strip('"'))
            assert not identifiers & cells, path.name
            assert str(raw) not in text, path.name


def test_a_build_without_a_place_roster_or_over_its_inputs_is_refused(built, tmp_path, capsys) -> None:
    _, _, raw, _ = built
    key_file = tmp_path / "key"
    key_file.write_text("9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e0b9d27a6")
    key_file.chmod(0o600)
    registry_only = str(raw / "registry" / "registry_2015.csv")
    assert cli.main(["build", registry_only, "--out", str(tmp_path / "pkg"), "--key-file", str(key_file)]) == 2
    assert "exactly one place roster" in capsys.readouterr().err
    assert not (tmp_path / "pkg").exists()
    inside = raw / "package"
    assert cli.main(["build", str(raw), "--out", str(inside), "--key-file", str(key_file)]) == 2
    assert not inside.exists()


def test_cleaning_keeps_the_registry_columns_the_panel_needs(built) -> None:
    result, *_ = built
    panel = result.tables["panel"]
    assert panel.loc[panel["year"] == 2019, "status"].value_counts().to_dict()["returned"] == 24
    assert (result.links["kind"] == "return_to_poverty").sum() == 24


def test_a_year_added_into_a_package_gives_the_package_of_all_years(built, tmp_path) -> None:
    """2014-2018 built, then 2019 added with --into: byte for byte the package built from all six years; the
    same year added again changes nothing; another key is refused and changes nothing."""
    _, full, raw, _ = built
    early = tmp_path / "early"
    early.mkdir()
    for path in raw.iterdir():
        if path.is_file():
            (early / path.name).write_bytes(path.read_bytes())
    (early / "registry").mkdir()
    for year in range(2014, 2019):
        source = next((raw / "registry").glob(f"registry_{year}.*"))
        (early / "registry" / source.name).write_bytes(source.read_bytes())
    shutil.copytree(raw / "published", early / "published")
    package_dir = tmp_path / "pkg"
    build.write(build.build([early], KEY, synthetic=True), package_dir, inputs=[early])
    assert package.open_package(package_dir).years == [2015, 2016, 2017, 2018]
    export_2019 = next((raw / "registry").glob("registry_2019.*"))
    for _ in range(2):  # the second time changes nothing
        build.write(build.build([export_2019], KEY, into=package_dir), package_dir, inputs=[export_2019])
        for name in ("datapackage.json", "households.csv", "members.csv", "panel.csv", "loans.csv", "survey.csv"):
            assert (package_dir / name).read_bytes() == (full / name).read_bytes(), name
    other = PseudonymKey(b"0" * 8 + b"9a41b7d3863e0f9a2c7b14d5e6a8c3f15f0c2e1e")
    before = (package_dir / "panel.csv").read_bytes()
    with pytest.raises(Exception, match="built with another pseudonym key"):
        build.build([export_2019], other, into=package_dir)
    assert (package_dir / "panel.csv").read_bytes() == before


def test_the_year_added_is_evaluated(built, tmp_path, evalkit_cli) -> None:
    """The 2019 evaluation on the package built from raw files: the registry's 2019 poor are those still
    registered or back in poverty (counted from the committed panel), and the risk model, which needs a year
    after 2019, says so instead of failing."""
    import subprocess

    _, folder, _, county = built
    out = tmp_path / "2019"
    only = ["01_incidence_trends", "04_return_to_poverty"]
    done = subprocess.run(
        [*evalkit_cli, "run", "--data", str(folder), "--year", "2019", "--only", *only, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    panel, households = county["panel"], county["households"].set_index("household_id")
    poor = panel.loc[(panel["year"] == 2019) & panel["status"].isin(["registered", "returned"]), "household_id"]
    metrics = json.loads((out / "01_incidence_trends" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["registry_poor_persons"] == int(households.loc[poor, "household_size"].sum()) == 1021
    html = (out / "04_return_to_poverty.html").read_text(encoding="utf-8")
    assert "the panel ends in 2019" in html


def test_on_an_office_package_the_reports_never_say_synthetic_and_report_the_build(built, tmp_path, evalkit_cli):
    """The same package marked as an office's own: the data-quality report shows the build (every file,
    every kind of link, the year's cleaning run) and no report or executed notebook says SYNTHETIC."""
    import subprocess

    _, folder, _, county = built
    own = tmp_path / "own"
    shutil.copytree(folder, own)
    descriptor = json.loads((own / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["evalkit"]["synthetic"] = False
    (own / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    out = tmp_path / "out"
    only = ["00_data_quality", "02_microcredit", "07_registry_overview"]
    done = subprocess.run(
        [*evalkit_cli, "run", "--data", str(own), "--only", *only, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    for name in only:  # what the notebook says and shows (its code's comments describe the defaults)
        executed = json.loads((out / f"{name}.ipynb").read_text(encoding="utf-8"))
        said = [
            "".join(c["source"])
            if c["cell_type"] == "markdown"
            else json.dumps(c.get("outputs", []), ensure_ascii=False)
            for c in executed["cells"]
        ]
        for text in said:
            assert "SYNTHETIC" not in text and "合成数据" not in text, (name, text[:300])
    tables = out / "00_data_quality" / "tables"
    files = pd.read_csv(tables / "build_files.csv", encoding="utf-8-sig")
    size = len(county["members"])  # each year's export lists every member once, plus the totals row of
    exports = files.loc[files["Kind"] == "registry"].set_index("File")  # 2014's workbook and three rows
    years = exports.dropna(subset=["Year"]).set_index("Year")  # 2018's CSV repeats (quarantined)
    assert years["Rows in"].to_dict() == {
        2014: size + 1,
        2015: size,
        2016: size,
        2017: size,
        2018: size + 3,
        2019: size,
    }
    assert (years["Rows kept"] == size).all()
    assert exports.loc["all exports", "Rows in"] == 6 * size + 4 and exports.loc["all exports", "Rows kept"] == 6 * size
    links = pd.read_csv(tables / "build_links.csv", encoding="utf-8-sig").set_index("Kind")["Cases"]
    assert set(build.LINK_KINDS) <= set(links.index)
    back = county["panel"].query("status == 'returned'")["household_id"].nunique()
    assert links["return_to_poverty"] == back == 24
    metrics = json.loads((out / "00_data_quality" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["synthetic"] == 0 and metrics["rows_in"] == size and metrics["build_return_to_poverty"] == 24


def test_splits_merges_and_corrected_id_numbers_are_reported_not_resolved(built, tmp_path) -> None:
    """The 2019 export changed as registries change: one member moved to a new household (a split), two
    households of a village made one (a merge), one ID number corrected (a new pseudonym). Each is reported
    once in build/links.csv, and nothing is joined or dropped."""
    from evalkit.io.ids import check_character

    _, _, raw, county = built
    changed = tmp_path / "raw"
    changed.mkdir()
    (changed / "places.csv").write_bytes((raw / "places.csv").read_bytes())
    for year in range(2014, 2019):
        source = next((raw / "registry").glob(f"registry_{year}.*"))
        (changed / source.name).write_bytes(source.read_bytes())
    rows = pd.read_excel(raw / "registry" / "registry_2019.xlsx", dtype=str)
    sizes = rows.groupby("户编号")["证件号码"].transform("size")
    # a split: a member who is not the head moves to a new household
    mover = rows.index[(sizes >= 3) & (rows["与户主关系"] != "户主")][0]
    old_home = rows.at[mover, "户编号"]
    rows.loc[rows["户编号"] == old_home, "家庭人口数"] = str(int(rows.at[mover, "家庭人口数"]) - 1)
    rows.loc[mover, ["户编号", "家庭人口数", "与户主关系"]] = ["140426009999999", "1", "户主"]
    # a merge: a one-person household joins another household of its village
    single = rows.index[(sizes == 1) & (rows["户编号"] != old_home)][0]
    village = rows.at[single, "行政村代码"]
    host = rows.loc[(rows["行政村代码"] == village) & (rows["户编号"] != rows.at[single, "户编号"])].index[0]
    host_home = rows.at[host, "户编号"]
    rows.loc[rows["户编号"] == host_home, "家庭人口数"] = str(int(rows.at[host, "家庭人口数"]) + 1)
    rows.loc[single, ["户编号", "家庭人口数", "与户主关系"]] = [host_home, rows.at[host, "家庭人口数"], "其他"]
    # an ID number corrected: the same person, another sequence number of the same sex
    fixed = rows.index[~rows.index.isin([mover, single]) & (rows["户编号"] != host_home)][5]
    old_id = rows.at[fixed, "证件号码"]
    first17 = old_id[:14] + f"{(int(old_id[14:16]) + 7) % 100:02d}" + old_id[16]
    rows.at[fixed, "证件号码"] = first17 + check_character(first17)
    rows.to_csv(changed / "registry_2019.csv", index=False, encoding="utf-8")

    result = build.build([changed], KEY, synthetic=True)
    kinds = result.links["kind"].value_counts()
    assert kinds.get("household_split") == 1 and kinds.get("household_merged") == 1
    assert kinds.get("id_number_changed") == 1
    assert kinds.get("person_in_two_households") == 2  # the mover and the one who joined
    files = result.files.set_index("year")
    assert files.loc[2019, "rows_in"] == files.loc[2019, "rows_kept"] == len(rows)  # nothing dropped
    assert len(result.tables["members"]) == len(county["members"]) + 1  # the corrected ID is a new person
    assert len(result.tables["households"]) == len(county["households"]) + 1  # the new household


def test_plain_exports_build_the_same_package_as_disturbed_ones(built, tmp_path) -> None:
    """The round trip without the offices' disturbances: every registry year as a plain UTF-8 CSV builds
    tables byte for byte equal to those built from the disturbed exports (order, GBK, title and totals rows,
    the 户主关系 alias, 万元, repeated rows), so every notebook's metrics, which read only these tables, are
    the same as in the disturbed round trip (tests/test_annual_run.py)."""
    _, folder, raw, county = built
    plain = tmp_path / "plain"
    write_raw(county, plain, plain=True)
    assert sorted(p.suffix for p in (plain / "registry").iterdir()) == [".csv"] * 6
    for path in plain.iterdir():  # the ledgers, rosters and published figures are the same files
        if path.is_file():
            assert path.read_bytes() == (raw / path.name).read_bytes(), path.name
    result = build.build([plain], KEY, synthetic=True)
    assert result.quarantine.empty
    out = build.write(result, tmp_path / "package", inputs=[plain])
    for name in ("townships", "villages", "households", "members", "panel", "loans", "programs", "labour", "survey"):
        assert (out / f"{name}.csv").read_bytes() == (folder / f"{name}.csv").read_bytes(), name
