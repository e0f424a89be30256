"""Read an export file into grids of cells: CSV (any common encoding), .xlsx, .xls.

A grid is the sheet as the user sees it: a list of rows of raw cell values
(text, numbers, dates), merged cells filled with their top-left value, row
numbers as in the file (1-based). Nothing is interpreted here; finding the
header and the table is :mod:`evalkit.io.layout`'s job.

Encodings are detected, not guessed by the user: a byte-order mark decides
(UTF-8, UTF-16); otherwise the bytes must decode strictly as UTF-8, else as
GB18030 (a superset of GBK and GB2312, the encodings Chinese Excel writes).

Limits are checked before anything is unpacked, so a damaged or hostile file
costs no memory: a file may have at most :data:`MAX_FILE_BYTES`; a workbook's
parts may unpack to at most :data:`MAX_UNPACKED_BYTES` in all, none of them
more than :data:`MAX_RATIO` times its packed size (a registry compresses far
less than that; a "zip bomb" far more); no cell may be longer than Excel allows
(:data:`MAX_CELL_CHARS`). A password-protected workbook is named as such, and
hidden sheets are read but marked hidden, so the summary says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io as _io
import re
import zipfile
from xml.etree import ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import DataError

__all__ = ["Grid", "read_grids", "sha256_of", "detect_encoding", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
#: Largest export file read (bytes).
MAX_FILE_BYTES = 512 * 2**20
#: Largest total of a workbook's unpacked parts (bytes).
MAX_UNPACKED_BYTES = 1024 * 2**20
#: Largest unpacked-to-packed ratio of a workbook part over 16 MiB unpacked.
MAX_RATIO = 200
#: Longest cell (characters): Excel's own limit.
MAX_CELL_CHARS = 32_767
_PROTECTED = (
    "the workbook is protected by a password, so it cannot be read; open it in Excel, remove the password "
    "(File > Info > Protect Workbook), save it, and retry."
)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Grid:
    """One sheet (or one CSV file) as rows of raw cell values.

    Attributes
    ----------
    file
        Path of the source file.
    sheet
        Sheet name (None for CSV).
    rows
        Cell values row by row; ``rows[i]`` is file row ``i + 1``.
    encoding
        Detected text encoding (CSV only).
    widths
        Number of fields on each CSV line (None for Excel, where rows are padded).
    hidden
        The sheet is hidden in the workbook.
    """

    file: Path
    sheet: str | None
    rows: list[list[object]]
    encoding: str | None = None
    widths: list[int] | None = field(default=None, repr=False)
    hidden: bool = False

    @property
    def where(self) -> str:
        return f"{self.file.name}" + (f", sheet {self.sheet!r}" if self.sheet is not None else "")


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (the file is opened read-only)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(data: bytes, *, file: str = "") -> str:
    """The encoding of a text file's bytes: BOM, else strict UTF-8, else strict GB18030.

    Examples
    --------
    >>> detect_encoding("户编号".encode("utf-8"))
    'utf-8'
    >>> detect_encoding(b"\\xef\\xbb\\xbf" + "户编号".encode("utf-8"))
    'utf-8-sig'
    >>> detect_encoding("户编号".encode("gbk"))
    'gb18030'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    raise DataError(
        f"the bytes at position {utf8_error.start} are neither UTF-8 nor GBK/GB18030 text; the file may be "
        "damaged or in another encoding. Save it from Excel as 'CSV UTF-8' and try again.",
        file=file,
    )


def _sniff_delimiter(text: str) -> str:
    sample = [line for line in text.splitlines()[:30] if line.strip()]
    counts = {d: sum(line.count(d) for line in sample) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _read_csv(path: Path, data: bytes) -> list[Grid]:
    encoding = detect_encoding(data, file=path.name)
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    rows: list[list[object]] = []
    try:
        for record in reader:
            rows.append(list(record))
    except csv.Error as exc:
        raise DataError(
            f"the file cannot be read as CSV near line {reader.line_num}: {exc}. A quoted field is not closed, "
            "which usually means the file was cut off; export it again.",
            file=path.name,
            row=reader.line_num,
        ) from None
    _check_cells(rows, "the file", path)
    return [Grid(path, None, rows, encoding=encoding, widths=[len(r) for r in rows])]


def _merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Merged ranges of each sheet, read from the workbook XML (openpyxl's read-only mode omits them)."""
    from openpyxl.utils.cell import range_boundaries

    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    out: dict[str, list[tuple[int, int, int, int]]] = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target", "") for r in rels}
        for sheet in book.iter():
            if not sheet.tag.endswith("}sheet"):
                continue
            where = target.get(sheet.get(ns_rel), "")
            member = where.lstrip("/") if where.startswith("/") else f"xl/{where}"
            try:
                xml = archive.read(member)
            except KeyError:
                continue
            refs = re.findall(rb'<(?:\w+:)?mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', xml)
            out[sheet.get("name", "")] = [
                (r[1], r[0], r[3], r[2]) for r in (range_boundaries(ref.decode()) for ref in refs)
            ]
    return out


def _check_unpacked(path: Path) -> None:
    """Refuse a workbook whose parts would unpack to more than the limits allow (see the module docstring)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # reported as damaged by the reader
    total = sum(p.file_size for p in parts)
    if total > MAX_UNPACKED_BYTES:
        raise DataError(
            f"the workbook unpacks to {total / 2**20:,.0f} MiB, more than the {MAX_UNPACKED_BYTES / 2**20:,.0f} MiB "
            "evalkit reads; split the export (one file per township) or export it as CSV.",
            file=path.name,
        )
    for part in parts:
        if part.file_size > 16 * 2**20 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise DataError(
                f"a part of the workbook ({part.filename}) unpacks to {part.file_size / 2**20:,.0f} MiB from "
                f"{part.compress_size / 2**10:,.0f} KiB, far more than a registry export compresses; the file is "
                "damaged or built to exhaust memory. Export the registry again.",
                file=path.name,
            )


def _check_cells(rows: list[list[object]], where: str, path: Path) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise DataError(
                    f"{where}: a cell of {len(value):,} characters, longer than Excel allows ({MAX_CELL_CHARS:,}); "
                    "the file is damaged. Export the registry again.",
                    file=path.name,
                    row=r,
                    column=str(c),
                )


def _read_xlsx(path: Path) -> list[Grid]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked(path)
    try:
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
        merged = _merged_ranges(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, ElementTree.ParseError) as exc:
        raise DataError(
            f"not a readable Excel workbook ({type(exc).__name__}); the file may be truncated or damaged. "
            "Open it in Excel, save it again as .xlsx, and retry.",
            file=path.name,
        ) from None
    grids = []
    try:
        for sheet in book.worksheets:
            rows: list[list[object]] = [list(row) for row in sheet.iter_rows(values_only=True)]
            for min_row, min_col, max_row, max_col in merged.get(sheet.title, []):
                if min_row > len(rows):
                    continue
                top = rows[min_row - 1]
                value = top[min_col - 1] if min_col - 1 < len(top) else None
                for r in range(min_row - 1, min(max_row, len(rows))):
                    row = rows[r]
                    if len(row) < max_col:
                        row.extend([None] * (max_col - len(row)))
                    for c in range(min_col - 1, max_col):
                        row[c] = value
            _check_cells(rows, f"sheet {len(grids) + 1}", path)
            grids.append(Grid(path, sheet.title, rows, hidden=sheet.sheet_state != "visible"))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        raise DataError(
            f"the workbook could not be read to the end ({type(exc).__name__}); it may be truncated. Export it again.",
            file=path.name,
        ) from None
    finally:
        book.close()
    return grids


def _read_xls(path: Path) -> list[Grid]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise DataError(_PROTECTED, file=path.name) from None
        raise DataError(
            f"not a readable legacy Excel (.xls) workbook ({type(exc).__name__}); the file may be truncated or "
            "damaged. Open it in Excel, save it as .xlsx, and retry.",
            file=path.name,
        ) from None
    except (OSError, AssertionError, IndexError, ValueError) as exc:
        raise DataError(
            f"not a readable legacy Excel (.xls) workbook ({type(exc).__name__}); the file may be truncated or "
            "damaged. Open it in Excel, save it as .xlsx, and retry.",
            file=path.name,
        ) from None
    grids = []
    for sheet in book.sheets():
        rows: list[list[object]] = []
        for r in range(sheet.nrows):
            row: list[object] = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(None)
                else:
                    row.append(cell.value)
            rows.append(row)
        for r0, r1, c0, c1 in sheet.merged_cells:
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else None
            for r in range(r0, min(r1, len(rows))):
                for c in range(c0, min(c1, len(rows[r]))):
                    rows[r][c] = value
        _check_cells(rows, f"sheet {len(grids) + 1}", path)
        grids.append(Grid(path, sheet.name, rows, hidden=sheet.visibility != 0))
    return grids


def read_grids(path: str | Path) -> list[Grid]:
    """Every sheet of an export file as a :class:`Grid` (one for a CSV file).

    Raises
    ------
    DataError
        The file does not exist, is empty, has an unsupported type, or cannot be decoded or opened.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("no such file; check the path.", file=str(path))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(
            f"the file has {size / 2**20:,.0f} MiB, more than the {MAX_FILE_BYTES / 2**20:,.0f} MiB evalkit reads "
            "in one piece; split the export (one file per township).",
            file=path.name,
        )
    data = path.read_bytes()
    if not data.strip():
        raise DataError("the file is empty; export the registry again.", file=path.name)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataError(
            f"unsupported file type {suffix!r}; evalkit reads {', '.join(SUPPORTED_SUFFIXES)}.", file=path.name
        )
    if data.startswith(_ZIP_MAGIC) and suffix not in (".xlsx", ".xlsm"):
        raise DataError("this is an Excel .xlsx workbook with the wrong extension; rename it to .xlsx.", file=path.name)
    if data.startswith(_OLE_MAGIC) and "EncryptedPackage".encode("utf-16-le") in data:
        raise DataError(_PROTECTED, file=path.name)
    if data.startswith(_OLE_MAGIC) and suffix != ".xls":
        raise DataError(
            "this is a legacy Excel .xls workbook with the wrong extension; rename it to .xls.", file=path.name
        )
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        return _read_xls(path)
    return _read_csv(path, data)


def is_date(value: object) -> bool:
    """True for the date and datetime values spreadsheets return."""
    return isinstance(value, dt.date)
