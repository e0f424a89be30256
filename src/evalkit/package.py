"""The county data package: evalkit's one input contract.

A package is a folder with a descriptor, ``datapackage.json``, following the Frictionless Data Package
standard (so that standard tools can read and validate it), and one CSV file per table. The tables, their
columns, types, codes and units, which are required and which optional, are evalkit's dictionary
(``data/reference/package_tables.csv`` and ``package_fields.csv``, in English and Chinese). The descriptor
adds what evalkit needs to know of the whole: whether the package is SYNTHETIC, the years it can be
evaluated for, and the fingerprint of the pseudonym key its identifiers were replaced with (never the key).

The committed default data (``data/``) is such a package: the SYNTHETIC county under ``synthetic/`` and the
county report's published figures under ``published/``.

Examples
--------
>>> from evalkit import package
>>> pkg = package.open_package()
>>> pkg.synthetic, pkg.years
(True, [2015, 2016, 2017, 2018])
>>> len(pkg.load("households"))
3601
>>> package.validate(pkg.folder)
[]
>>> package.table("loans").title_zh
'扶贫小额信贷'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit import paths
from evalkit.errors import PackageError

__all__ = [
    "DESCRIPTOR",
    "PROFILE",
    "Field",
    "TableSpec",
    "Problem",
    "Package",
    "PackageError",
    "tables",
    "table",
    "dictionary",
    "table_schema",
    "descriptor",
    "write_descriptor",
    "describe_files",
    "open_package",
    "validate",
    "check",
]

#: The descriptor's file name (the Data Package standard's).
DESCRIPTOR = "datapackage.json"
#: The descriptor's ``evalkit`` property marks the package as made for this contract version.
PROFILE = "evalkit-county/1"

Presence = Literal["required", "optional", "synthetic"]
FieldType = Literal["string", "integer", "number", "boolean"]

_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")
_LISTED = 8  # rows named in one problem before "and N more"


@dataclass(frozen=True)
class Field:
    """One column of a package table, as evalkit's dictionary defines it."""

    name: str
    type: FieldType
    required: bool
    not_null: bool
    enum: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    title_en: str
    title_zh: str
    unit: str
    codes: str

    def expected(self) -> str:
        """What a cell of this column must hold, in words."""
        kind = {
            "string": "text",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false",
        }[self.type]
        parts = [kind]
        if self.enum:
            parts = [f"one of {', '.join(self.enum)}"]
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"from {_num(self.minimum)} to {_num(self.maximum)}")
        elif self.minimum is not None:
            parts.append(f"at least {_num(self.minimum)}")
        elif self.maximum is not None:
            parts.append(f"at most {_num(self.maximum)}")
        if self.not_null:
            parts.append("never empty")
        return ", ".join(parts)

    def to_schema(self) -> dict[str, Any]:
        """The field as a Table Schema field descriptor (with evalkit's Chinese title and unit beside)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "title": self.title_en}
        if self.title_zh:
            out["title_zh"] = self.title_zh
        if self.unit:
            out["unit"] = self.unit
        if self.codes and not self.enum:
            out["description"] = self.codes
        constraints: dict[str, Any] = {}
        if self.not_null:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = _json_number(self.minimum, self.type)
        if self.maximum is not None:
            constraints["maximum"] = _json_number(self.maximum, self.type)
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class TableSpec:
    """One table of the package: its presence, keys and fields."""

    name: str
    presence: Presence
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (column, table, column)
    title_en: str
    title_zh: str
    description: str
    fields: tuple[Field, ...] = field(repr=False)

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required_fields(self) -> list[str]:
        """Columns every package with this table must have."""
        return [f.name for f in self.fields if f.required]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _json_number(value: float, kind: str) -> float | int:
    return int(value) if kind == "integer" or float(value).is_integer() else float(value)


@cache
def tables() -> dict[str, TableSpec]:
    """Every table of the contract, by name, in the dictionary's order."""
    ref = paths.reference_dir()
    tab = pd.read_csv(ref / "package_tables.csv", dtype=str, keep_default_na=False)
    fld = pd.read_csv(ref / "package_fields.csv", dtype=str, keep_default_na=False)
    out = {}
    for row in tab.itertuples(index=False):
        rows = fld.loc[fld["table"] == row.table]
        fields = tuple(
            Field(
                name=r.column,
                type=r.type,  # type: ignore[arg-type]
                required=r.presence == "required",
                not_null=r.not_null == "true",
                enum=tuple(r.enum.split("|")) if r.enum else (),
                minimum=float(r.minimum) if r.minimum else None,
                maximum=float(r.maximum) if r.maximum else None,
                title_en=r.meaning_en,
                title_zh=r.meaning_zh,
                unit=r.unit,
                codes=r.codes,
            )
            for r in rows.itertuples(index=False)
        )
        foreign = []
        for part in filter(None, (p.strip() for p in row.foreign_keys.split(";"))):
            column, target = part.split(">")
            ref_table, ref_column = target.split(".")
            foreign.append((column, ref_table, ref_column))
        out[row.table] = TableSpec(
            name=row.table,
            presence=row.presence,  # type: ignore[arg-type]
            primary_key=tuple(row.primary_key.split()),
            foreign_keys=tuple(foreign),
            title_en=row.title_en,
            title_zh=row.title_zh,
            description=row.description_en,
            fields=fields,
        )
    return out


def table(name: str) -> TableSpec:
    """The contract's table ``name`` (a :class:`PackageError` lists the known ones otherwise)."""
    known = tables()
    if name not in known:
        raise PackageError(f"no table {name!r} in evalkit's data package; known: {', '.join(known)}.")
    return known[name]


def dictionary(name: str | None = None) -> pd.DataFrame:
    """The bilingual data dictionary (one table's, or every table's with a ``table`` column first).

    >>> dictionary("members").set_index("column").loc["health", "meaning_zh"]
    '健康状况'
    """
    frame = pd.read_csv(paths.reference_dir() / "package_fields.csv", dtype=str, keep_default_na=False)
    if name is None:
        return frame
    table(name)
    return frame.loc[frame["table"] == name].drop(columns="table").reset_index(drop=True)


def table_schema(name: str, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The Table Schema of table ``name`` for a file with ``columns`` (default: every field)."""
    spec = table(name)
    chosen = [spec.field(c) for c in columns] if columns is not None else list(spec.fields)
    schema: dict[str, Any] = {"fields": [f.to_schema() for f in chosen], "missingValues": [""]}
    names = {f.name for f in chosen}
    if spec.primary_key and set(spec.primary_key) <= names:
        schema["primaryKey"] = list(spec.primary_key)
    return schema


def _foreign_keys(name: str, columns: set[str], present: set[str]) -> list[dict[str, Any]]:
    return [
        {"fields": col, "reference": {"resource": ref, "fields": ref_col}}
        for col, ref, ref_col in table(name).foreign_keys
        if col in columns and ref in present
    ]


def descriptor(
    files: dict[str, str],
    columns: dict[str, Sequence[str]],
    *,
    name: str,
    title: str,
    synthetic: bool,
    years: Iterable[int],
    key_fingerprint: str | None = None,
) -> dict[str, Any]:
    """A package descriptor (a dict ready for ``datapackage.json``).

    Parameters
    ----------
    files
        Table name to its path inside the package (forward slashes).
    columns
        Table name to the columns of its file, in order.
    name, title
        The package's name (lower case, ``-``, ``_``, ``.``) and title.
    synthetic
        The tables are SYNTHETIC (generated), not an office's records.
    years
        The years the package can be evaluated for.
    key_fingerprint
        :meth:`evalkit.io.PseudonymKey.fingerprint` of the key its pseudonyms were made with.
    """
    present = set(files)
    resources = []
    for table_name in tables():
        if table_name not in files:
            continue
        cols = list(columns[table_name])
        schema = table_schema(table_name, cols)
        keys = _foreign_keys(table_name, set(cols), present)
        if keys:
            schema["foreignKeys"] = keys
        spec = table(table_name)
        resources.append(
            {
                "name": table_name,
                "path": files[table_name],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": spec.title_en,
                "title_zh": spec.title_zh,
                "description": spec.description,
                "schema": schema,
            }
        )
    meta: dict[str, Any] = {
        "profile": PROFILE,
        "synthetic": bool(synthetic),
        "years": sorted(int(y) for y in years),
    }
    if key_fingerprint:
        meta["key_fingerprint"] = key_fingerprint
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "evalkit": meta,
        "resources": resources,
    }


def write_descriptor(folder: str | os.PathLike[str], desc: dict[str, Any]) -> Path:
    """Write ``desc`` as ``folder/datapackage.json`` (UTF-8, sorted as given, newline-terminated)."""
    path = Path(folder) / DESCRIPTOR
    path.write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def describe_files(
    folder: str | os.PathLike[str],
    files: dict[str, str],
    *,
    name: str,
    title: str,
    synthetic: bool,
    years: Iterable[int],
    key_fingerprint: str | None = None,
) -> Path:
    """Write the descriptor of the CSV ``files`` (table name to path inside ``folder``), reading the columns
    from each file's header; return the descriptor's path."""
    base = Path(folder)
    columns = {t: list(pd.read_csv(base / rel, nrows=0, encoding="utf-8-sig").columns) for t, rel in files.items()}
    desc = descriptor(
        files, columns, name=name, title=title, synthetic=synthetic, years=years, key_fingerprint=key_fingerprint
    )
    return write_descriptor(base, desc)


def _read_text_table(path: Path) -> pd.DataFrame:
    """A CSV file as text cells (empty cells as missing): the schema, not pandas' guessing, decides types."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def _rows(mask: pd.Series) -> list[int]:
    """File lines (header = 1) of the True cells of ``mask`` (a RangeIndex frame's column)."""
    return [int(i) + 2 for i in np.flatnonzero(mask.to_numpy())]


@dataclass(frozen=True)
class Problem:
    """One way a package breaks the contract: where (file, column, lines) and what was expected."""

    table: str
    file: str
    column: str | None
    rows: tuple[int, ...]
    expected: str
    found: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = self.file
        if self.column:
            where += f", column {self.column!r}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:_LISTED])
            more = len(self.rows) - _LISTED
            where += f", row{'s' if len(self.rows) > 1 else ''} {shown}" + (f" and {more} more" if more > 0 else "")
        text = f"{where}: expected {self.expected}"
        if self.found:
            text += "; found " + ", ".join(repr(v) for v in self.found[:3])
            if len(self.found) > 3:
                text += f" and {len(self.found) - 3} more"
        return text


def _converted(values: pd.Series, spec: Field) -> tuple[pd.Series, pd.Series]:
    """``values`` (text) converted to the field's type, and a mask of cells that did not convert."""
    present = values.notna()
    if spec.type == "string":
        return values, pd.Series(False, index=values.index)
    if spec.type == "boolean":
        lookup = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
        mapped = values.map(lookup)
        bad = present & mapped.isna()
        return mapped, bad
    numbers = pd.to_numeric(values, errors="coerce")
    bad = present & numbers.isna()
    if spec.type == "integer":
        fractional = numbers.notna() & (numbers != np.floor(numbers))
        bad |= fractional
    return numbers, bad


def _typed(values: pd.Series, spec: Field) -> pd.Series:
    """A validated text column in the pandas type evalkit computes with."""
    converted, _ = _converted(values, spec)
    if spec.type == "string":
        return values
    if spec.type == "boolean":
        return converted.astype(bool) if converted.notna().all() else converted.astype("boolean")
    if spec.type == "integer":
        return converted.astype("int64") if spec.not_null and converted.notna().all() else converted.astype("Int64")
    return converted.astype("float64")


def _check_column(values: pd.Series, spec: Field, table_name: str, file: str) -> list[Problem]:
    problems = []
    present = values.notna()
    if spec.not_null and not present.all():
        problems.append(Problem(table_name, file, spec.name, tuple(_rows(~present)), f"a value ({spec.expected()})"))
    converted, bad = _converted(values, spec)
    if bad.any():
        found = tuple(values[bad].astype(str).unique()[:3])
        problems.append(Problem(table_name, file, spec.name, tuple(_rows(bad)), spec.expected(), found))
    ok = present & ~bad
    if spec.enum:
        outside = ok & ~values.isin(spec.enum)
        if outside.any():
            found = tuple(values[outside].astype(str).unique()[:3])
            problems.append(Problem(table_name, file, spec.name, tuple(_rows(outside)), spec.expected(), found))
    if spec.type in ("integer", "number") and (spec.minimum is not None or spec.maximum is not None):
        numbers = converted.where(ok)
        outside = pd.Series(False, index=values.index)
        if spec.minimum is not None:
            outside |= numbers < spec.minimum
        if spec.maximum is not None:
            outside |= numbers > spec.maximum
        if outside.any():
            found = tuple(values[outside].astype(str).unique()[:3])
            problems.append(Problem(table_name, file, spec.name, tuple(_rows(outside)), spec.expected(), found))
    return problems


@dataclass
class Package:
    """An opened data package: its folder, its descriptor, and its tables loaded on demand."""

    folder: Path
    descriptor: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        """The descriptor's ``evalkit`` property."""
        return self.descriptor.get("evalkit", {})

    @property
    def synthetic(self) -> bool:
        """The package says its tables are SYNTHETIC."""
        return bool(self.meta.get("synthetic", False))

    @property
    def years(self) -> list[int]:
        """The years the package can be evaluated for."""
        return [int(y) for y in self.meta.get("years", [])]

    @property
    def key_fingerprint(self) -> str | None:
        """The fingerprint of the pseudonym key (None when the package records none)."""
        return self.meta.get("key_fingerprint")

    @property
    def names(self) -> list[str]:
        """The tables the package holds, in the contract's order."""
        held = {r.get("name") for r in self.descriptor.get("resources", [])}
        return [n for n in tables() if n in held]

    def has(self, name: str) -> bool:
        """The package holds table ``name``."""
        return name in self.names

    def resource(self, name: str) -> dict[str, Any]:
        """The descriptor's resource ``name``."""
        for res in self.descriptor.get("resources", []):
            if res.get("name") == name:
                return res
        spec = table(name)
        raise PackageError(
            f"this package has no {spec.title_en.lower()} table ({name!r}); it holds {', '.join(self.names)}.",
            file=str(self.folder / DESCRIPTOR),
        )

    def path(self, name: str) -> Path:
        """The file of table ``name``."""
        return self.folder / self.resource(name)["path"]

    def load(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a new frame with the dictionary's types (nullable integers where empty cells are
        allowed; booleans as ``bool``)."""
        path = self.path(name)
        spec = table(name)
        try:
            raw = _read_text_table(path)
        except FileNotFoundError:
            raise PackageError(
                f"the file of table {name!r} is missing; datapackage.json lists it at {self.resource(name)['path']!r}.",
                file=str(path),
            ) from None
        known = {f.name for f in spec.fields}
        return pd.DataFrame(
            {c: _typed(raw[c], spec.field(c)) if c in known else raw[c] for c in raw.columns},
            index=raw.index,
        )


def open_package(folder: str | os.PathLike[str] | None = None) -> Package:
    """Open the package in ``folder`` (default: the committed data, ``data/``) by reading its descriptor."""
    base = paths.data_dir(folder)
    path = base / DESCRIPTOR
    if not path.is_file():
        hint = (
            " It looks like a folder written by `evalkit synth`: give its package/ subfolder."
            if (base / "package" / DESCRIPTOR).is_file()
            else " Build one from an office's files with `evalkit build`, or give a folder written by `evalkit synth`"
            " (its package/ subfolder)."
        )
        raise PackageError(f"{base} is not a data package: it has no {DESCRIPTOR}.{hint}", file=str(path))
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"cannot be read as UTF-8 JSON ({exc}).", file=str(path)) from None
    if not isinstance(desc, dict) or not isinstance(desc.get("resources"), list):
        raise PackageError(
            "expected a JSON object with a list of resources (the Data Package standard).", file=str(path)
        )
    return Package(folder=base, descriptor=desc)


def _check_descriptor(pkg: Package) -> list[Problem]:
    problems = []
    file = DESCRIPTOR
    meta = pkg.descriptor.get("evalkit")
    if not isinstance(meta, dict) or meta.get("profile") != PROFILE:
        problems.append(Problem("", file, "evalkit", (), f'an "evalkit" property with "profile": "{PROFILE}"'))
    elif not pkg.years or not all(isinstance(y, int) for y in meta.get("years", [])):
        problems.append(Problem("", file, "evalkit.years", (), "a non-empty list of the years the package covers"))
    names = [r.get("name") for r in pkg.descriptor["resources"]]
    for dup in sorted({n for n in names if names.count(n) > 1 and n}):
        problems.append(Problem(dup, file, None, (), f"table {dup!r} listed once", (dup,)))
    unknown = [n for n in names if n not in tables()]
    if unknown:
        problems.append(
            Problem(
                "",
                file,
                "resources",
                (),
                f"tables of evalkit's dictionary ({', '.join(tables())})",
                tuple(map(str, unknown)),
            )
        )
    for spec in tables().values():
        if spec.presence == "required" and spec.name not in names:
            problems.append(
                Problem(spec.name, file, "resources", (), f"a {spec.name!r} table ({spec.title_en}): it is required")
            )
        if spec.presence == "synthetic" and spec.name in names and not pkg.synthetic:
            problems.append(
                Problem(
                    spec.name, file, "resources", (), f"no {spec.name!r} table: it belongs to SYNTHETIC packages only"
                )
            )
    for res in pkg.descriptor["resources"]:
        rel = str(res.get("path", ""))
        if not rel or rel.startswith("/") or ".." in Path(rel).parts or re.match(r"^[a-z]+://", rel):
            problems.append(
                Problem(str(res.get("name")), file, "path", (), "a relative path inside the package", (rel,))
            )
    return problems


def _check_table(pkg: Package, spec: TableSpec) -> tuple[list[Problem], pd.DataFrame | None]:
    res = pkg.resource(spec.name)
    rel = str(res.get("path", ""))
    path = pkg.folder / rel
    if not path.is_file():
        return [Problem(spec.name, rel, None, (), f"the file datapackage.json lists for table {spec.name!r}")], None
    try:
        raw = _read_text_table(path)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        return [Problem(spec.name, rel, None, (), f"a UTF-8 CSV file ({str(exc).splitlines()[0]})")], None
    problems = []
    declared = [f.get("name") for f in res.get("schema", {}).get("fields", [])]
    header = list(raw.columns)
    if declared != header:
        lost = [c for c in declared if c not in header]
        added = [c for c in header if c not in declared]
        found = tuple(
            [f"missing {c}" for c in lost] + [f"undeclared {c}" for c in added] or ["the same columns in another order"]
        )
        problems.append(
            Problem(spec.name, rel, None, (1,), "the columns datapackage.json declares, in that order", found)
        )
    known = {f.name for f in spec.fields}
    extra = [c for c in header if c not in known]
    if extra:
        problems.append(
            Problem(spec.name, rel, None, (1,), f"only columns of evalkit's dictionary for {spec.name!r}", tuple(extra))
        )
    for name in spec.required_fields:
        if name not in header:
            problems.append(
                Problem(spec.name, rel, name, (1,), f"a column {name!r} ({spec.field(name).title_en}): it is required")
            )
    for column in header:
        if column in known:
            problems.extend(_check_column(raw[column], spec.field(column), spec.name, rel))
    key = [c for c in spec.primary_key if c in header]
    if key and len(key) == len(spec.primary_key):
        dup = raw.duplicated(subset=key, keep=False)
        if dup.any():
            found = tuple(
                " ".join(map(str, v)) for v in raw.loc[dup, key].drop_duplicates().head(3).itertuples(index=False)
            )
            problems.append(
                Problem(spec.name, rel, " + ".join(key), tuple(_rows(dup)), "each key once (the primary key)", found)
            )
    return problems, raw


def validate(folder: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every way the package in ``folder`` breaks the contract (an empty list when it meets it).

    Checks the descriptor (the evalkit property, required and synthetic-only tables, paths inside the
    package), each file (readable as UTF-8 CSV, columns as declared and in the dictionary, required columns),
    each cell (type, codes, ranges, required values), primary keys, and foreign keys (every reference found).
    """
    pkg = open_package(folder)
    problems = _check_descriptor(pkg)
    frames: dict[str, pd.DataFrame] = {}
    for name in pkg.names:
        found, frame = _check_table(pkg, table(name))
        problems.extend(found)
        if frame is not None:
            frames[name] = frame
    for name, frame in frames.items():
        rel = str(pkg.resource(name)["path"])
        for column, ref, ref_column in table(name).foreign_keys:
            if column not in frame or ref not in frames or ref_column not in frames[ref]:
                continue
            values = frame[column]
            missing = values.notna() & ~values.isin(frames[ref][ref_column].dropna())
            if missing.any():
                problems.append(
                    Problem(
                        name,
                        rel,
                        column,
                        tuple(_rows(missing)),
                        f"a {ref_column} of the {ref!r} table",
                        tuple(values[missing].unique()[:3]),
                    )
                )
    return problems


def check(folder: str | os.PathLike[str] | None = None) -> Package:
    """Open the package in ``folder``, or raise a :class:`PackageError` listing every problem."""
    problems = validate(folder)
    pkg = open_package(folder)
    if problems:
        body = "\n".join(f"  {p}" for p in problems)
        raise PackageError(
            f"{len(problems)} problem(s) in the data package {pkg.folder}:\n{body}\n"
            "How to fix: correct the files (or rebuild the package with `evalkit build`) and validate again "
            "with `evalkit validate`."
        )
    return pkg
