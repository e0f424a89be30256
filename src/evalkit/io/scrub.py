"""One scrubber for every text evalkit writes: identifiers are recognised by what they are, in one pass.

An export's identifiers do not stay in their columns: a name is typed into a note or a village cell, an ID
number is written with spaces or dashes, a phone number ends up in a sheet's name. :class:`Scrubber`
replaces, wherever they occur in a text,

* resident ID numbers (GB 11643-1999): 18 characters (or 15, legacy) with a province code and a real birth
  date, with or without separators (spaces, dashes, dots) between the digits, whatever the check character
  (a mistyped number identifies a person as well); and numbers Excel turned into floating point
  (``1.40426199001011E+17``);
* mobile numbers (11 digits from 13 to 19, optionally ``+86``, with or without separators) and landline
  numbers (an area code 0xx or 0xxx and 7 or 8 digits);
* bank card numbers (16 to 19 digits, with or without separators, passing the Luhn check);
* the names, phone numbers and other values seen in the input's identifier columns (``names``), and a name
  of two or three Chinese characters starting with a common surname right after a word that introduces a
  person (姓名, 户主, 联系人 …).

Its cost grows linearly with the text: patterns are regular expressions over the text, and known names are
looked up by position (each substring of two to four Chinese characters against a set, longer or Latin
values through an index of their first characters), never by looping over every name for every cell.

Examples
--------
>>> s = Scrubber(names=["赵一山"])
>>> s("户主赵一山, 身份证 1404 2619 6003 0501 12, 电话 139-0000-0011")
'户主<redacted>, 身份证 <redacted>, 电话 <redacted>'
>>> s("联系人：钱二 0355-5201234; 一山村")  # a surname after 联系人; a landline; 一山 alone is not a name
'联系人：<redacted> <redacted>; 一山村'
>>> s("收入 12,000 元; 2018-05-01")
'收入 12,000 元; 2018-05-01'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from evalkit.io.distinct import each_distinct
from evalkit.io.ids import PROVINCE_CODES

__all__ = ["Scrubber", "REDACTED", "SURNAMES"]

REDACTED = "<redacted>"

#: Common Chinese surnames (single characters): a two- or three-character name after a word that introduces
#: a person is recognised when it starts with one of them.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

_SEP = r"[ \u00a0\u3000\-‐–—.·]"
# 18 (or 15) digits, separators allowed between them; the last character may be X
_ID = re.compile(rf"(?<![0-9A-Za-z])[1-8]\d(?:{_SEP}?\d){{12}}(?:(?:{_SEP}?\d){{3}}{_SEP}?[0-9Xx])?(?![0-9A-Za-z])")
_EXCEL_ID = re.compile(r"(?<![0-9])[1-8]\d?\.\d{5,}[Ee]\+?1[4-7](?![0-9])")
_MOBILE = re.compile(rf"(?<![0-9])(?:\+?86{_SEP}?)?1[3-9]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?![0-9])")
_LANDLINE = re.compile(rf"(?<![0-9])\(?0\d{{2,3}}\)?{_SEP}?\d{{7,8}}(?![0-9])")
_CARD = re.compile(rf"(?<![0-9])\d{{4}}(?:{_SEP}?\d{{4}}){{3}}(?:{_SEP}?\d{{1,3}})?(?![0-9])")
_PERSON_WORD = re.compile(
    r"(?:姓名|户主|联系人|家属|本人|配偶|之子|之女|签字|签名|经办人|填表人|负责人|申请人)[:：\s]*([\u3400-\u9fff]{2,3})"
)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_DIGITS = re.compile(r"\D")
_NUMBERISH = re.compile(rf"\+?[\d()]+(?:{_SEP}?[\d()]+)*[Xx]?")
_NUMBER_RUN = re.compile(rf"(?<![0-9A-Za-z])\d(?:{_SEP}?\d)*[Xx]?(?![0-9A-Za-z])")
_MANY_DIGITS = re.compile(r"(?:\d\D{0,2}){7}")


def _plausible_id(match: str) -> bool:
    digits = _DIGITS.sub("", match.upper().replace("X", "0"))
    if len(digits) not in (15, 18) or digits[:2] not in PROVINCE_CODES:
        return False
    birth = digits[6:14] if len(digits) == 18 else "19" + digits[6:12]
    year, month, day = int(birth[:4]), int(birth[4:6]), int(birth[6:8])
    return 1890 <= year <= 2035 and 1 <= month <= 12 and 1 <= day <= 31


def _luhn(match: str) -> bool:
    digits = [int(c) for c in _DIGITS.sub("", match)]
    if not 16 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0


class Scrubber:
    """Replaces identifiers in text (see the module docstring); ``names`` are values of the input's
    identifier columns (names, phone numbers, addresses) to find anywhere too."""

    def __init__(self, names: Iterable[object] = (), *, replacement: str = REDACTED) -> None:
        self.replacement = replacement
        self._short: set[str] = set()  # 2-4 Chinese characters: looked up by position
        self._numbers: set[str] = set()  # numbers (phones, ID numbers) as digits: looked up by digit run
        self._long: dict[str, set[str]] = {}  # anything else, by its first three characters
        for value in names:
            text = _as_text(value)
            text = text.strip() if text is not None else ""
            if len(text) < 2:
                continue
            if 2 <= len(text) <= 4 and _CJK_RUN.fullmatch(text):
                self._short.add(text)
            elif _NUMBERISH.fullmatch(text):
                digits = _DIGITS.sub("", text.upper().replace("X", "0"))
                if len(digits) >= 5:
                    self._numbers.add(digits)
            elif len(text) >= 3:
                self._long.setdefault(text[:3], set()).add(text)

    @classmethod
    def from_columns(cls, data: pd.DataFrame, columns: Iterable[str]) -> Scrubber:
        """A scrubber knowing every value of ``columns`` of ``data`` (the input's identifier columns)."""
        values: set[str] = set()
        for col in columns:
            if col in data:
                values.update(str(v).strip() for v in data[col].dropna().unique())
        return cls(values)

    def finds(self, value: object) -> bool:
        """Whether ``value`` (text, or a number written out) holds an identifier written with digits (an ID,
        phone or card number, or a number of the input's identifier columns)."""
        text = _as_text(value)
        return text is not None and _MANY_DIGITS.search(text) is not None and self(text) != text

    def __call__(self, text: object) -> object:
        """``text`` with every identifier replaced; non-text values are returned as they are."""
        if not isinstance(text, str) or len(text) < 2:
            return text
        out = self._known(text)
        out = _PERSON_WORD.sub(self._person, out)
        for pattern, keep in ((_ID, _plausible_id), (_CARD, _luhn)):
            out = pattern.sub(lambda m, keep=keep: self.replacement if keep(m.group()) else m.group(), out)
        for pattern in (_EXCEL_ID, _MOBILE, _LANDLINE):
            out = pattern.sub(self.replacement, out)
        return out

    def _person(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name[0] not in SURNAMES:
            return match.group()
        return match.group()[: match.start(1) - match.start()] + self.replacement

    def _known(self, text: str) -> str:
        """Replace the known values, longest first at each position, in one scan."""
        if not self._short and not self._long and not self._numbers:
            return text
        spans: list[tuple[int, int]] = []
        if self._numbers:
            for run in _NUMBER_RUN.finditer(text):
                if _DIGITS.sub("", run.group().upper().replace("X", "0")) in self._numbers:
                    spans.append(run.span())
        if self._long:
            for i in range(len(text) - 2):
                for word in self._long.get(text[i : i + 3], ()):
                    if text.startswith(word, i):
                        spans.append((i, i + len(word)))
        if self._short:
            for run in _CJK_RUN.finditer(text):
                start, end = run.span()
                for i in range(start, end - 1):
                    for k in (4, 3, 2):
                        if i + k <= end and text[i : i + k] in self._short:
                            spans.append((i, i + k))
                            break
        if not spans:
            return text
        spans.sort()
        pieces, last = [], 0
        for start, end in spans:
            if start < last:  # inside a span already replaced
                last = max(last, end)
                continue
            pieces += [text[last:start], self.replacement]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def cell(self, value: object) -> object:
        """A cell of a mixed column scrubbed: text as :meth:`__call__`; a number written out is replaced by
        the replacement text when its digits are an identifier (a phone typed into an amount), else kept."""
        if isinstance(value, str):
            return self(value)
        text = _as_text(value)
        return value if text is None or self(text) == text else self.replacement

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with every cell of its text and mixed columns scrubbed (column names too)."""
        out = frame.copy()
        for i in range(out.shape[1]):  # by position: a table may repeat a column name
            column = out.iloc[:, i]
            if column.dtype == object or pd.api.types.is_string_dtype(column):
                out.iloc[:, i] = self._cells(column.to_numpy(dtype=object))
        out.columns = [self(c) for c in out.columns]
        return out

    def _cells(self, values: np.ndarray) -> list[object]:
        """:meth:`cell` of every value, each distinct value scrubbed once (a column repeats its values)."""
        return each_distinct(values, self.cell)

    def finds_each(self, values: pd.Series) -> np.ndarray:
        """:meth:`finds` of every cell of ``values`` (each distinct value tested once), as a boolean array."""
        return np.array(each_distinct(values.to_numpy(dtype=object), self.finds), dtype=bool)


def _as_text(value: object) -> str | None:
    """A value as it reads: text as it is, a whole number without its ``.0``; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if value != value or abs(value) == float("inf"):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e19 else repr(value)
    return str(value)
