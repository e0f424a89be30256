"""Build a county data package from an office's raw files: yearly registry exports, the place roster, the
bank's loan ledger, program rosters, the training follow-up, the assessment survey's entry file and the
published figures.

Every registry export is read and cleaned as ``evalkit clean`` does (every row kept, corrected or
quarantined; names, ID numbers and phones replaced by keyed pseudonyms before anything else), one year at a
time. Households and persons are linked across years through the pseudonyms of their household numbers and
ID numbers; the household-year panel comes from each year's incomes; ledgers and rosters link to the
registry through the pseudonyms of ID numbers (the survey through those of household numbers). What does
not link, or contradicts itself across years, is counted and listed in ``build/links.csv``, never resolved
silently.

Households and persons are numbered in the order they first appear (the earliest export, row by row):
``H00001``, ``P00001``. The cleaned rows of every year, with their keyed pseudonyms, are kept in
``build/years/``, so that a year added later with the same key (``into=``) is linked exactly as a build
from all years' files would link it, and every number stays.

Examples
--------
The SYNTHETIC county's raw files (``evalkit synth --out DIR`` writes them to ``DIR/raw/``) build into a
package with the committed package's numbers::

    evalkit build DIR/raw --out PKG --key-file KEY
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import folders, package, reference, spreadsheets
from evalkit.errors import ConfigurationError, DataError, UserInputError
from evalkit.io import PseudonymKey, clean, cleaners
from evalkit.io.clean import CleanResult
from evalkit.io.columns import HOUSEHOLD_FLAGS, PER_CAPITA
from evalkit.io.ids import check_id
from evalkit.io.pseudonym import pseudonymize

__all__ = ["build", "BuildResult", "classify", "LINK_KINDS", "PACKAGE_FILES"]

#: The files a build writes into the package folder.
PACKAGE_FILES = (
    "datapackage.json",
    "townships.csv",
    "villages.csv",
    "households.csv",
    "members.csv",
    "panel.csv",
    "loans.csv",
    "programs.csv",
    "labour.csv",
    "survey.csv",
    "build/files.csv",
    "build/links.csv",
    "build/quarantine.csv",
    "build/summary.json",
)

_PLACES = {"乡镇代码", "行政村代码", "农业人口"}
_LOANS = {"借款合同编号", "贷款金额(元)"}
_PROGRAMS = {"项目", "对象", "身份证号"}
_LABOUR = {"身份证号", "参加培训"}
_SURVEY = {"survey_id", "within_stratum", "weight"}
_LEDGER = {"figure_id", "value", "source_phrase"}
_YES = {"是": "True", "否": "False"}
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_MODELS = {
    "贫困户自我发展": "self_development",
    "贫困户用合伙发展": "partnership",
    "户贷社管合作发展": "coop_cooperation",
    "户贷社管合营发展": "coop_operation",
}
_REPAYMENT = {"已还清": "repaid", "正常": "current", "逾期": "overdue", "违约": "default"}
_PC = PER_CAPITA
_PANEL_FLAGS = HOUSEHOLD_FLAGS


#: What a build reports in ``build/links.csv`` when records do not link or contradict each other across years.
LINK_KINDS = (
    "person_in_two_households",
    "household_split",
    "household_merged",
    "id_number_changed",
    "household_in_two_villages",
    "return_to_poverty",
    "borrower_not_in_registry",
    "loan_above_cap",
    "registered_participant_not_found",
    "participant_registered_but_roster_says_not",
    "trainee_not_in_registry",
    "surveyed_household_not_in_registry",
)


@dataclass
class BuildResult:
    """A built package's tables (by package table name), and what the build read, linked and set aside."""

    tables: dict[str, pd.DataFrame]
    files: pd.DataFrame
    links: pd.DataFrame
    quarantine: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)
    published: Path | None = None  # the folder of the published figures' ledger, copied into the package
    runs: dict[int, CleanResult] = field(default_factory=dict)  # the years cleaned now (pseudonyms)
    kept: dict[int, Path] = field(default_factory=dict)  # earlier years' cleaning runs, copied as they are


def _header(path: Path) -> set[str]:
    """The header cells of a CSV file's first line (empty for other files)."""
    if path.suffix.lower() != ".csv":
        return set()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding) as handle:
                return {cell.strip() for cell in handle.readline().split(",")}
        except UnicodeDecodeError:
            continue
    return set()


def classify(path: str | os.PathLike[str]) -> str:
    """What a raw file is, from its header: ``places`` (the place roster), ``loans`` (the bank's ledger),
    ``programs`` (program rosters), ``labour`` (the training and employment follow-up), ``survey`` (the
    assessment survey's entry file), ``published`` (a ledger of published figures) or ``registry`` (an export
    of the registry, the default for any other .csv, .xlsx or .xls file)."""
    path = Path(path)
    header = _header(path)
    for kind, needs in (
        ("places", _PLACES),
        ("loans", _LOANS),
        ("programs", _PROGRAMS),
        ("labour", _LABOUR),
        ("survey", _SURVEY),
        ("published", _LEDGER),
    ):
        if needs <= header:
            return kind
    if path.suffix.lower() == ".csv" and path.parent.name == "published":
        return "published_companion"  # the ledger's areas, lists and identities, copied with it
    return "registry"


def _year_of(path: Path, result: CleanResult) -> int:
    years = result.households["year"].dropna().unique() if "year" in result.households else []
    if len(years) == 1:
        return int(years[0])
    found = _YEAR.findall(path.stem)
    if len(found) == 1:
        return int(found[0])
    raise DataError(
        "cannot tell which year this registry export is: its 年度 (year) column is "
        + ("missing" if len(years) == 0 else f"not one year ({', '.join(map(str, sorted(years)))})")
        + " and its file name does not name one year. Add a 年度 column, or name the file with its year "
        "(registry_2018.xlsx).",
        file=path.name,
    )


def _expand(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".xlsx", ".xls"))
        elif path.is_file():
            files.append(path)
        else:
            raise UserInputError(f"no such file or folder: {item}")
    if not files:
        raise UserInputError("no input files: give registry exports (.csv, .xlsx, .xls), folders of them, or both.")
    return files


def _places(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    yes = frame.get("是否贫困村", pd.Series("", index=frame.index)).isin(["是", "1", "true", "True"])
    villages = pd.DataFrame(
        {
            "village_id": frame["行政村代码"],
            "township_id": frame["乡镇代码"],
            "name_zh": frame["行政村"],
            "poor_village": yes,
            "poor_village_exit_year": pd.to_numeric(frame.get("贫困村退出年度"), errors="coerce").astype("Int64"),
            "agri_pop": pd.to_numeric(frame["农业人口"]).astype("int64"),
            "total_pop": pd.to_numeric(frame.get("总人口"), errors="coerce").astype("Int64"),
        }
    )
    towns = frame.drop_duplicates("乡镇代码")
    townships = pd.DataFrame({"township_id": towns["乡镇代码"], "name_zh": towns["乡镇"]})
    if "乡镇类型" in towns:
        townships["unit_type"] = towns["乡镇类型"].map({"镇": "town", "乡": "township", "中心": "center"})
    townships = townships.sort_values("township_id")
    return townships.reset_index(drop=True), villages


def _number(keys: pd.Series, prefix: str, width: int) -> dict[str, str]:
    """Sequence numbers in order of first appearance."""
    first = pd.unique(keys.dropna())
    return {key: f"{prefix}{i:0{width}d}" for i, key in enumerate(first, start=1)}


def build(
    inputs: Iterable[str | os.PathLike[str]],
    key: PseudonymKey,
    *,
    synthetic: bool = False,
    into: str | os.PathLike[str] | None = None,
) -> BuildResult:
    """Read, clean and link an office's raw files into the tables of a data package.

    Parameters
    ----------
    inputs
        Registry exports (one per year; the year from its 年度 column or its file name), the place roster and
        the bank's loan ledger, or folders holding them.
    key
        The pseudonym key (:func:`evalkit.io.pseudonym.load_key`); the same key links the years.
    synthetic
        The files are evalkit's SYNTHETIC county (``evalkit synth``), not an office's.
    into
        A package built earlier with the same key: its years are kept (a year given again is cleaned again,
        so adding the same export twice changes nothing), and its places, ledgers and rosters are kept
        unless new ones are given. Numbers of households and persons already in it do not change.
    """
    files = _expand(inputs)
    kinds = {path: classify(path) for path in files}
    earlier = _earlier(into, key) if into is not None else None
    places = [p for p, k in kinds.items() if k == "places"]
    if len(places) > 1 or (not places and earlier is None):
        raise UserInputError(
            f"give exactly one place roster (a CSV with the columns 乡镇代码, 乡镇, 行政村代码, 行政村, 农业人口); "
            f"found {len(places)}."
        )
    if places:
        townships, villages = _places(places[0])
    else:
        townships, villages = earlier.text("townships"), earlier.text("villages")
    runs: dict[int, CleanResult] = dict(earlier.runs) if earlier else {}
    synthetic = synthetic or bool(earlier and earlier.package.synthetic)
    read = []
    given: set[int] = set()
    for position, path in enumerate(files, start=1):
        if kinds[path] != "registry":
            read.append({"file": f"file-{position}", "kind": kinds[path], "year": None})
            continue
        result = clean(path, key)
        year = _year_of(path, result)
        if year in given:
            raise UserInputError(f"two registry exports for {year} (file-{position} and an earlier one); give one.")
        given.add(year)
        runs[year] = result
        s = result.summary
        read.append(
            {
                "file": f"file-{position}",
                "kind": "registry",
                "year": year,
                "rows_in": s["rows_in"],
                "rows_kept": s["rows_kept"],
                "rows_quarantined": s["rows_quarantined"],
                "sha256": s["files"][0]["sha256"] if s.get("files") else None,
            }
        )
    if not runs:
        raise UserInputError("no registry export among the inputs.")
    if earlier is not None:
        read = [r for r in earlier.files if r.get("year") not in given or r.get("kind") != "registry"] + read
    years = sorted(runs)
    members_all = pd.concat([runs[y].members.assign(_year=y) for y in years], ignore_index=True)
    hh_ids = _number(members_all["household_key"], "H", 5)
    person_ids = _number(members_all["person_key"], "P", 5)
    links: list[dict[str, object]] = []

    # households: the values of the latest export each household is in (place, size, cause, identification
    # and exit years); a household that left the registry keeps those of its last year
    latest = (
        pd.concat([runs[y].households for y in years], ignore_index=True)
        .drop_duplicates("household_key", keep="last")
        .set_index("household_key")
    )
    firsts = members_all.drop_duplicates("household_key")["household_key"]
    households = pd.DataFrame({"household_key": firsts.to_numpy()})
    households["household_id"] = households["household_key"].map(hh_ids)
    for column in ("village_code", "household_size", "main_cause", "identification_year", "exit_year"):
        households[column] = households["household_key"].map(latest[column]) if column in latest else np.nan
    households = households.rename(columns={"village_code": "village_id"})
    moved = members_all.groupby("household_key")["village_code"].nunique()
    for hk in moved.index[moved > 1]:
        links.append({"kind": "household_in_two_villages", "household_id": hh_ids[hk], "detail": "village changed"})

    # members: the first export each person appears in
    first_rows = members_all.drop_duplicates("person_key")
    members = pd.DataFrame(
        {
            "person_id": first_rows["person_key"].map(person_ids).to_numpy(),
            "household_id": first_rows["household_key"].map(hh_ids).to_numpy(),
            "relation": first_rows["relation"].to_numpy(),
            "sex": first_rows["sex"].to_numpy(),
            "birth_year": pd.to_numeric(first_rows["birth_date"].astype(str).str[:4], errors="coerce")
            .astype("Int64")
            .to_numpy(),
            "education": first_rows["education"].to_numpy(),
            "schooling": first_rows["schooling"].to_numpy(),
            "labour_ability": first_rows["labour_ability"].to_numpy(),
            "health": first_rows["health"].to_numpy(),
            "disabled": first_rows["disabled"].to_numpy(),
        }
    )
    homes = members_all.groupby("person_key")["household_key"].nunique()
    for pk in homes.index[homes > 1]:
        links.append({"kind": "person_in_two_households", "person_id": person_ids[pk], "detail": "across years"})
    links += _changes(members_all, years, hh_ids, person_ids)

    # the household-year panel
    lines = reference.poverty_lines(allow_interpolated=True)
    official = set(reference.poverty_lines().index)
    parts = []
    for year in years:
        hh = runs[year].households
        size = hh["household_size"].astype(float)
        part = pd.DataFrame(
            {
                "household_id": hh["household_key"].map(hh_ids).to_numpy(),
                "year": year,
                "poverty_line": float(lines.loc[year]),
                "line_interpolated": year not in official,
                "status": hh["status"].to_numpy(),
                "income_pc": hh["income_pc"].to_numpy(),
            }
        )
        for total, pc in _PC.items():
            part[pc] = np.round(hh[total].to_numpy(dtype=float) / size.to_numpy(), 2)
        for flag in _PANEL_FLAGS:
            part[flag] = hh[flag].astype(bool).to_numpy()
        parts.append(part)
    panel = pd.concat(parts, ignore_index=True)
    order = {h: i for i, h in enumerate(households["household_id"])}
    panel = panel.sort_values(["household_id", "year"], key=lambda s: s.map(order) if s.name == "household_id" else s)
    panel = panel.reset_index(drop=True)
    columns = [f.name for f in package.table("panel").fields]
    panel = panel[[c for c in columns if c in panel]]
    back = panel.loc[panel["status"] == "returned", ["household_id", "year"]]
    links += [
        {"kind": "return_to_poverty", "household_id": h, "detail": f"registered again in {y} after its exit"}
        for h, y in back.itertuples(index=False)
    ]

    tables = {
        "townships": townships,
        "villages": villages,
        "households": households.drop(columns="household_key"),
        "members": members,
        "panel": panel,
    }
    person_home = members_all.drop_duplicates("person_key", keep="last").set_index("person_key")["household_key"]
    linker = _Linker(key, person_home, hh_ids, person_ids)
    for kind, reader in (("loans", _loans), ("programs", _programs), ("labour", _labour), ("survey", _survey)):
        found = [p for p, k in kinds.items() if k == kind]
        if len(found) > 1:
            raise UserInputError(f"give one {kind} file; found {len(found)}.")
        if found:
            table, failed = reader(found[0], linker)
            tables[kind] = table
            links += failed
        elif earlier is not None and earlier.package.has(kind):
            tables[kind] = earlier.text(kind)  # kept as it was (its numbers did not change)
    ledgers = [p for p, k in kinds.items() if k == "published"]
    published = ledgers[0].parent if ledgers else None
    if published is None and earlier is not None and earlier.package.has("published"):
        published = earlier.package.folder / "published"
    quarantine = pd.concat(
        [runs[y].quarantine.assign(year=y) for y in years if len(runs[y].quarantine)] or [pd.DataFrame()],
        ignore_index=True,
    )
    if earlier is not None and len(earlier.quarantine):
        kept = earlier.quarantine.loc[~earlier.quarantine["year"].isin(given)]
        quarantine = pd.concat([kept, quarantine], ignore_index=True).sort_values("year", kind="stable")
    summary = {
        "evalkit_build": 1,
        "years": years,
        "households": len(households),
        "persons": len(members),
        "key_fingerprint": key.fingerprint,
        "synthetic": synthetic,
        "links": {str(k): int(v) for k, v in pd.DataFrame(links)["kind"].value_counts().items()} if links else {},
    }
    return BuildResult(
        runs={y: runs[y] for y in years if earlier is None or y in given},
        kept={y: earlier.package.folder / "build" / "years" / str(y) for y in years if earlier and y not in given},
        published=published,
        tables=tables,
        files=pd.DataFrame(read),
        links=pd.DataFrame(links, columns=["kind", "household_id", "person_id", "detail"]),
        quarantine=quarantine.drop(columns=[c for c in ("household_key", "person_key") if c in quarantine]),
        summary=summary,
    )


def _changes(
    members_all: pd.DataFrame, years: list[int], hh_ids: dict[str, str], person_ids: dict[str, str]
) -> list[dict[str, object]]:
    """What changed between consecutive exports and is reported, never resolved: a household whose members
    are in several households the next year (split), a household made of several of the year before
    (merged), and a person who leaves a household the same year a person of the same sex and birth date
    joins it (an ID number corrected between the years, which gives a new pseudonym: the two are not
    linked)."""
    found: list[dict[str, object]] = []
    rows = members_all[["_year", "person_key", "household_key", "sex", "birth_date"]].drop_duplicates(
        ["_year", "person_key"]
    )
    for before, after in itertools.pairwise(years):
        a = rows.loc[rows["_year"] == before]
        b = rows.loc[rows["_year"] == after]
        pairs = a.merge(b, on="person_key", suffixes=("_a", "_b"))[["household_key_a", "household_key_b"]]
        pairs = pairs.drop_duplicates()
        into = pairs.groupby("household_key_a")["household_key_b"].nunique()
        for hk, n in into[into > 1].items():
            found.append(
                {
                    "kind": "household_split",
                    "household_id": hh_ids[hk],
                    "detail": f"{after}: its members in {n} households",
                }
            )
        out_of = pairs.groupby("household_key_b")["household_key_a"].nunique()
        for hk, n in out_of[out_of > 1].items():
            found.append(
                {"kind": "household_merged", "household_id": hh_ids[hk], "detail": f"{after}: made of {n} households"}
            )
        gone = a.loc[~a["person_key"].isin(b["person_key"])]
        new = b.loc[~b["person_key"].isin(a["person_key"])]
        same = gone.merge(new, on=["household_key", "sex", "birth_date"], suffixes=("_a", "_b"))
        for old_key, new_key in same[["person_key_a", "person_key_b"]].itertuples(index=False):
            found.append(
                {
                    "kind": "id_number_changed",
                    "person_id": person_ids[old_key],
                    "detail": f"{after}: the same household, sex and birth date as {person_ids[new_key]}; not linked",
                }
            )
    return found


@dataclass
class _Earlier:
    """A package built before: its descriptor, the cleaned years it was built from, its reports."""

    package: package.Package
    runs: dict[int, CleanResult]
    files: list[dict[str, object]]
    quarantine: pd.DataFrame

    def text(self, name: str) -> pd.DataFrame:
        """A table as the package holds it, cells as text (written back unchanged)."""
        return _read(self.package.path(name))


def _earlier(into: str | os.PathLike[str], key: PseudonymKey) -> _Earlier:
    pkg = package.open_package(into)
    years = pkg.folder / "build" / "years"
    if pkg.key_fingerprint is None or not years.is_dir():
        raise UserInputError(f"{pkg.folder} was not written by `evalkit build`; only a built package can take a year.")
    if pkg.key_fingerprint != key.fingerprint:
        raise ConfigurationError(
            f"{pkg.folder} was built with another pseudonym key (fingerprint {pkg.key_fingerprint}; this key's is "
            f"{key.fingerprint}): its households and persons would not link to these. Use the key it was built with."
        )
    runs = {}
    for folder in sorted(p for p in years.iterdir() if p.is_dir()):
        members = pd.read_csv(
            folder / "members.csv", encoding="utf-8-sig", dtype={"household_key": str, "person_key": str}
        )
        households = pd.read_csv(folder / "households.csv", encoding="utf-8-sig", dtype={"household_key": str})
        for column in [c for c in ("household_size", "identification_year", "exit_year", "year") if c in households]:
            households[column] = households[column].astype("Int64")  # as cleaning gives them (whole numbers)
        for flag in [c for c in HOUSEHOLD_FLAGS if c in households]:
            households[flag] = households[flag].map({True: True, False: False, "True": True, "False": False})
        runs[int(folder.name)] = CleanResult(members, households, pd.DataFrame(), pd.DataFrame(), {})
    files = pd.read_csv(pkg.folder / "build" / "files.csv", encoding="utf-8-sig").astype(object)
    files = files.where(files.notna(), None).to_dict("records")
    quarantine_file = pkg.folder / "build" / "quarantine.csv"
    quarantine = (
        pd.read_csv(quarantine_file, encoding="utf-8-sig", dtype=str)
        if quarantine_file.stat().st_size > 3
        else pd.DataFrame()
    )
    if len(quarantine):
        quarantine["year"] = quarantine["year"].astype(int)
    return _Earlier(pkg, runs, files, quarantine)


class _Linker:
    """Finds registry households and persons from raw identifiers, through the same keyed pseudonyms."""

    def __init__(
        self, key: PseudonymKey, person_home: pd.Series, hh_ids: dict[str, str], person_ids: dict[str, str]
    ) -> None:
        self.key, self.person_home, self.hh_ids, self.person_ids = key, person_home, hh_ids, person_ids

    def persons(self, id_numbers: pd.Series) -> pd.Series:
        """Person pseudonyms of ID numbers (None where an ID number is invalid)."""
        checks = [check_id(v) for v in id_numbers]
        normalized = pd.Series([c.normalized if c.valid else None for c in checks], dtype=object)
        return pd.Series(pseudonymize(normalized, self.key, "person"), index=id_numbers.index, dtype=object)

    def household_of(self, persons: pd.Series) -> pd.Series:
        """The package household of each person pseudonym (None outside the registry)."""
        return persons.map(self.person_home).map(self.hh_ids)

    def households(self, numbers: pd.Series) -> pd.Series:
        """Package households of registry household numbers."""
        keys = cleaners.to_key(numbers, what="household number").values
        return pd.Series(pseudonymize(keys, self.key, "household"), index=numbers.index, dtype=object).map(self.hh_ids)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def _unlinked(kind: str, mask: pd.Series, what: str) -> list[dict[str, object]]:
    return [{"kind": kind, "detail": f"{what} row {i + 2}"} for i in np.flatnonzero(mask.to_numpy())]


def _loans(path: Path, linker: _Linker) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The bank's ledger linked to registry households through the borrower's ID-number pseudonym."""
    frame = _read(path)
    household = linker.household_of(linker.persons(frame["身份证号"]))
    links = _unlinked("borrower_not_in_registry", household.isna(), "ledger")
    amount = pd.to_numeric(frame["贷款金额(元)"]).astype("int64")
    links += _unlinked("loan_above_cap", amount > 50_000, "ledger")
    loans = pd.DataFrame(
        {
            "loan_id": frame["借款合同编号"],
            "household_id": household,
            "loan_year": pd.to_numeric(frame["放款年度"]).astype("int64"),
            "model": frame["贷款模式"].map(_MODELS),
            "model_zh": frame["贷款模式"],
            "amount_yuan": amount,
            "term_months": pd.to_numeric(frame["期限(月)"]).astype("int64"),
            "due_year": pd.to_numeric(frame["到期年度"]).astype("int64"),
            "status_2019": frame["2019年末还款状态"].map(_REPAYMENT),
        }
    )
    return loans.loc[household.notna()].reset_index(drop=True), links


def _programs(path: Path, linker: _Linker) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Program rosters: a participant is linked through the pseudonym of the ID number given (the member's,
    or the head's for household programs); a participant the registry does not hold is kept as not
    registered, and a roster's 建档立卡户 that the registry contradicts is listed."""
    frame = _read(path)
    persons = linker.persons(frame["身份证号"])
    household = linker.household_of(persons)
    says = frame["建档立卡户"].eq("是")
    links = _unlinked("registered_participant_not_found", says & household.isna(), "program roster")
    links += _unlinked("participant_registered_but_roster_says_not", ~says & household.notna(), "program roster")
    member = frame["对象"].eq("人") & household.notna()
    table = pd.DataFrame(
        {
            "program": frame["项目"],
            "household_id": household,
            "person_id": persons.map(linker.person_ids).where(member),
            "village_id": frame["行政村代码"],
            "registered": household.notna(),
            "persons": frame["涉及人数"],
            "start_year": frame["年度"],
            "amount_yuan": frame["金额(元)"],
            "amount_basis": frame["金额说明"],
            "detail": frame["明细"],
            "detail_zh": frame["明细(中文)"],
        }
    )
    return table, links


def _labour(path: Path, linker: _Linker) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The training and employment follow-up, linked to members through their ID-number pseudonyms."""
    frame = _read(path)
    persons = linker.persons(frame["身份证号"])
    household = linker.household_of(persons)
    links = _unlinked("trainee_not_in_registry", household.isna(), "training follow-up")
    table = pd.DataFrame(
        {
            "person_id": persons.map(linker.person_ids),
            "household_id": household,
            "trained": frame["参加培训"].map(_YES),
            "course": frame["培训项目"],
            "course_zh": frame["培训项目(中文)"],
            "training_year": frame["培训年度"],
            "completed": frame["完成培训"].map(_YES),
            "employed_2016": frame["2016年就业"].map(_YES),
            "wage_2016": frame["2016年工资性收入"],
            "employed_2019": frame["2019年就业"].map(_YES),
            "wage_2019": frame["2019年工资性收入"],
        }
    )
    return table.loc[household.notna()].reset_index(drop=True), links


def _survey(path: Path, linker: _Linker) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The assessment survey's entry file; its registered households linked through their household numbers."""
    frame = _read(path)
    position = list(frame.columns).index("户编号")
    number = frame.pop("户编号")
    household = linker.households(number)
    links = _unlinked("surveyed_household_not_in_registry", number.notna() & household.isna(), "survey")
    frame.insert(position, "registry_household_id", household)
    return frame, links


def _written(folder: Path) -> set[str]:
    """The files an earlier build wrote into ``folder`` (its tables, reports and published figures)."""
    copied = {
        str(p.relative_to(folder))
        for sub in ("published", "build/years")
        for p in (folder / sub).rglob("*")
        if p.is_file()
    }
    return set(PACKAGE_FILES) | copied


def write(result: BuildResult, out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Write a built package into ``out`` (all or nothing; never over an input) and return its folder."""
    target = Path(out).expanduser()
    with folders.writing(
        target, marker=package.DESCRIPTOR, inputs=inputs, listed=_written, command="evalkit build"
    ) as staging:
        files = {}
        for name, frame in result.tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
            files[name] = f"{name}.csv"
        if result.published is not None:
            shutil.copytree(result.published, staging / "published")
            files["published"] = "published/ledger.csv"
        (staging / "build").mkdir()
        for year, run in result.runs.items():
            folder = staging / "build" / "years" / str(year)
            folder.mkdir(parents=True)
            run.write_files(folder)
        for year, earlier in result.kept.items():
            shutil.copytree(earlier, staging / "build" / "years" / str(year))
        spreadsheets.write_csv(result.files, staging / "build" / "files.csv")
        spreadsheets.write_csv(result.links, staging / "build" / "links.csv")
        spreadsheets.write_csv(result.quarantine, staging / "build" / "quarantine.csv")
        (staging / "build" / "summary.json").write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        years = [int(y) for y in result.summary["years"]][1:]  # the first export is the baseline
        package.describe_files(
            staging,
            files,
            name="county-package",
            title="County data package built by evalkit build",
            synthetic=bool(result.summary["synthetic"]),
            years=years,
            key_fingerprint=str(result.summary["key_fingerprint"]),
        )
    return target
