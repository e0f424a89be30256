"""Resident ID numbers (居民身份证号码, GB 11643-1999): check, normalize, derive.

An 18-character number is a 6-digit region code, an 8-digit birth date
(YYYYMMDD), a 3-digit sequence (odd for men, even for women) and a check
character computed from the first 17 digits. A legacy 15-digit number has a
6-digit birth date (YYMMDD, 19xx) and no check character; it is upgraded to
18 characters by the standard rule (insert ``19`` and append the check
character), which is a conversion, not a guess.

Numbers that Excel turned into floating point (``1.40426199001011E+17``, or
``140426199001011000`` with trailing zeros) have lost digits for good. They
are recognized and reported, never "repaired".

Messages never contain the number itself: they name the fault only.

Examples
--------
>>> check_character("11010519491231002")
'X'
>>> r = check_id("11010519491231002X")
>>> r.valid, r.birth_date.isoformat(), r.sex
(True, '1949-12-31', 'female')
>>> check_id("110105491231002").normalized  # a 15-digit legacy number
'11010519491231002X'
>>> check_id("1.10105194912E+17").problem
'id_mangled_by_excel'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["check_character", "check_id", "IdCheck", "PROVINCE_CODES", "ID_PROBLEMS"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

#: First two digits of valid region codes (provinces, autonomous regions, municipalities; 71/81/82 for Taiwan, HK, Macao).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

#: Every problem :func:`check_id` can report, with what it means and how to fix it.
ID_PROBLEMS = {
    "id_missing": "the ID number is empty; enter it in the registry system and export again",
    "id_mangled_by_excel": (
        "the ID number was stored as a number by Excel and lost its last digits (scientific notation, a decimal "
        "point or trailing zeros); set the column's format to Text in the source system and export again"
    ),
    "id_bad_length": "an ID number has 18 characters (or 15 for a legacy number); correct it in the registry",
    "id_bad_characters": "an ID number has digits only, with X allowed as the last character; correct it",
    "id_bad_region": "the first two digits are not a province code; correct the number in the registry",
    "id_bad_birth_date": "the birth date inside the number (characters 7-14) is not a real date; correct it",
    "id_bad_check_character": (
        "the last character does not match the check computed from the first 17 digits (GB 11643-1999); "
        "a digit was mistyped: correct it in the registry"
    ),
}

_MANGLED = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$|^\d+\.\d*$")


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one ID number.

    Attributes
    ----------
    valid
        True when the number (after the corrections in ``corrections``) is a valid 18-character ID.
    normalized
        The 18-character number when valid, else None.
    problem
        A key of :data:`ID_PROBLEMS` when not valid, else None.
    corrections
        What was normalized (``id_lowercase_x``, ``id_upgraded_from_15``), in order.
    birth_date, sex
        Derived from a valid number.
    """

    valid: bool
    normalized: str | None
    problem: str | None
    corrections: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    sex: str | None = None


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_character needs exactly 17 digits")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _date(text: str) -> dt.date | None:
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    return day if dt.date(1890, 1, 1) <= day <= dt.date.today() else None


def check_id(value: object) -> IdCheck:
    """Check one ID number (already stripped of spaces and full-width characters).

    Parameters
    ----------
    value
        The number as text (a float or int from a spreadsheet is examined as such).
    """
    if value is None or (isinstance(value, float) and value != value):
        return IdCheck(False, None, "id_missing")
    if isinstance(value, float):
        return IdCheck(False, None, "id_mangled_by_excel")
    text = str(value).strip()
    if not text:
        return IdCheck(False, None, "id_missing")
    corrections: list[str] = []
    if _MANGLED.match(text) or (len(text) == 18 and text.isdigit() and _looks_float(text)):
        return IdCheck(False, None, "id_mangled_by_excel")
    if text.endswith("x"):
        text = text[:-1] + "X"
        corrections.append("id_lowercase_x")
    if len(text) == 15:
        if not text.isdigit():
            return IdCheck(False, None, "id_bad_characters")
        upgraded = text[:6] + "19" + text[6:]
        text = upgraded + check_character(upgraded)
        corrections.append("id_upgraded_from_15")
    if len(text) != 18:
        return IdCheck(False, None, "id_bad_length")
    if not (text[:17].isdigit() and (text[17].isdigit() or text[17] == "X")):
        return IdCheck(False, None, "id_bad_characters")
    if text[:2] not in PROVINCE_CODES:
        return IdCheck(False, None, "id_bad_region")
    birth = _date(text[6:14])
    if birth is None:
        return IdCheck(False, None, "id_bad_birth_date")
    if check_character(text[:17]) != text[17]:
        return IdCheck(False, None, "id_bad_check_character")
    sex = "male" if int(text[16]) % 2 == 1 else "female"
    return IdCheck(True, text, None, tuple(corrections), birth, sex)


def _looks_float(text: str) -> bool:
    """An 18-digit number ending in zeros the way a float's 15 significant digits do, whose check fails."""
    return len(text.rstrip("0")) <= 15 and check_character(text[:17]) != text[17]
