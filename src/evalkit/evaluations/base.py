"""What every evaluation shares: a typed parameter specification and a class that loads the data once.

A notebook's parameters are a frozen dataclass derived from :class:`Spec`. Each field is declared with
:func:`param`: its default, the help text the notebook's ``parameters`` cell repeats, and what is allowed
(a ``Literal`` type lists the choices; ``choices`` gives them when they depend on the data, such as the
years a data folder covers; ``check`` a range; ``kind`` a file or folder that must exist). The generic
machinery that reads these specifications (type checks, allowed values, the messages) is
:mod:`evalkit.params`; nothing here validates.

An :class:`Evaluation` holds the parameters and loads each input once (``county``, ``ledger``); its
subclasses have one method per notebook section returning a :class:`~evalkit.report.Section`.

>>> from dataclasses import fields
>>> [f.name for f in fields(Spec)]
['year', 'lang', 'data_dir', 'out_dir', 'min_count']
>>> Spec().lang, Spec(year=2016).year
('en', 2016)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import pandas as pd

from evalkit import datasets, disclosure, package, published, report
from evalkit.package import Package
from evalkit.labels import Lang

__all__ = [
    "Spec",
    "param",
    "year_param",
    "reps_param",
    "seed_param",
    "Evaluation",
    "FileKind",
    "needs",
    "CORE_TABLES",
    "effect_interval",
]

#: The tables every package holds (the contract's required ones) and every notebook may read.
CORE_TABLES = ("townships", "villages", "households", "members", "panel")

_Method = TypeVar("_Method", bound=Callable[..., "report.Section"])


def needs(*tables: str) -> Callable[[_Method], _Method]:
    """Mark a section method as needing optional ``tables`` of the package: when the package lacks one (or
    the notebook cannot run on the data at all: :meth:`Evaluation.unavailable`), the section is one sentence
    saying so (:meth:`Evaluation.lacks`) and the notebook goes on.

    The tables a notebook can use are collected from these marks (:meth:`Evaluation.uses`).
    """

    def mark(method: _Method) -> _Method:
        @functools.wraps(method)
        def section(self: Evaluation, *args: Any, **kwargs: Any) -> report.Section:
            why = self.unavailable() or self.lacks(*tables)
            if why:
                out = self.section()
                out.note(why)
                return out
            return method(self, *args, **kwargs)

        section.needs = tables  # type: ignore[attr-defined]
        return section  # type: ignore[return-value]

    return mark


#: What a text parameter names: an existing file, a folder written by ``evalkit clean``, or a data folder.
FileKind = Literal["file", "clean_dir", "data_dir"]


def param(
    default: Any,
    help: str,
    *,
    choices: tuple[object, ...] | Callable[[str], tuple[object, ...]] | None = None,
    check: tuple[Callable[[Any], bool], str] | None = None,
    kind: FileKind | None = None,
) -> Any:
    """A parameter field: ``default``, ``help`` (the comment of the notebook's parameters cell), and what
    is allowed besides its type.

    Parameters
    ----------
    choices
        Allowed values, or a function of the data folder returning them.
    check
        ``(predicate, description)``: a number must satisfy ``predicate``; the message says ``description``.
    kind
        For text parameters naming a path (an empty value is always allowed: it means the default).
    """
    return field(default=default, metadata={"help": help, "choices": choices, "check": check, "kind": kind})


def _years(data_dir: str) -> tuple[object, ...]:
    return tuple(datasets.open_package(data_dir or None).years)


def year_param(help: str, default: int = 2018) -> Any:
    """The ``year`` field with a notebook's own help text; allowed: the years the data folder covers."""
    return param(default, help, choices=_years)


def reps_param(help: str, default: int = 199) -> Any:
    """A number of bootstrap replications (at least 19)."""
    return param(default, help, check=(lambda v: v >= 19, "at least 19 (bootstrap replications)"))


def seed_param(help: str = "random seed of the bootstraps", default: int = 0) -> Any:
    """A random seed."""
    return param(default, help)


@dataclass(frozen=True)
class Spec:
    """Parameters every notebook takes. Subclasses add their own and may redeclare these with their own
    default or help text (``year`` through :func:`year_param`)."""

    year: int = year_param("evaluation year (2015 to 2018 for the embedded data)")
    lang: Lang = param("en", "language of labels and table headers: en or zh")
    data_dir: str = param("", "data package folder; empty means the embedded SYNTHETIC county", kind="data_dir")
    out_dir: str = param("", "output folder; empty means outputs/YEAR/NOTEBOOK")
    min_count: int = param(
        5,
        "published counts of households or persons below this (but above 0) are suppressed",
        check=(lambda v: v >= 1, "at least 1 (smallest count published)"),
    )

    #: the notebook these parameters belong to (its file name without ``.ipynb``)
    NOTEBOOK: ClassVar[str] = ""


class Evaluation:
    """One notebook's computations: parameters, the data they read (loaded once), one method per section.

    ``data_dir`` empty means the embedded data (the SYNTHETIC county); every method returns new frames.
    """

    Params: ClassVar[type[Spec]] = Spec
    #: Tables without which the notebook cannot start (the runner refuses it before it runs, naming them).
    REQUIRES: ClassVar[tuple[str, ...]] = CORE_TABLES
    #: Optional tables the notebook reads when present, besides those its :func:`needs` marks name.
    USES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Spec) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} takes {self.Params.__name__}, got {type(params).__name__}")
        self.p = params

    @property
    def data_dir(self) -> str | os.PathLike[str] | None:
        """The data folder, or None for the embedded data."""
        return self.p.data_dir or None

    @cached_property
    def package(self) -> Package:
        """The data package (:func:`evalkit.datasets.open_package`)."""
        return datasets.open_package(self.data_dir)

    @cached_property
    def county(self) -> dict[str, pd.DataFrame]:
        """The county's tables (:func:`evalkit.datasets.load_county`)."""
        return datasets.load_county(self.data_dir)

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """The published figures (:func:`evalkit.published.load`)."""
        return published.load(self.data_dir)

    @classmethod
    def uses(cls) -> tuple[str, ...]:
        """Optional tables the notebook's sections use when the package has them (from :func:`needs`)."""
        found = {t for name in dir(cls) for t in getattr(getattr(cls, name, None), "needs", ())} | set(cls.USES)
        return tuple(t for t in package.tables() if t in found)

    def unavailable(self) -> str | None:
        """Why none of the notebook's sections can be computed on this data (None: they can); sections marked
        with :func:`needs` show this sentence instead."""
        return None

    def lacks(self, *tables: str) -> str | None:
        """None when the package holds every one of ``tables``; else the sentence the report shows instead of
        what needs them, in the notebook's language."""
        missing = [package.table(t) for t in tables if not self.package.has(t)]
        if not missing:
            return None
        if self.p.lang == "zh":
            names = "、".join(f"“{t.title_zh}”" for t in missing)
            return f"本数据包没有{names}表，本节需要该数据，故未计算。"
        names = [f"{t.title_en.lower()} ({t.name})" for t in missing]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return (
            f"This data package has no {listed} table{'s' if len(names) > 1 else ''}, so this section is not computed."
        )

    def township_names(self) -> pd.Series:
        """Township id → name in the notebook's language (the Chinese name where the package has no English)."""
        towns = self.county["townships"].set_index("township_id")
        column = "name_en" if self.p.lang == "en" and "name_en" in towns else "name_zh"
        return towns[column]

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` of the package, or an empty frame with the dictionary's columns when it lacks it."""
        if self.package.has(name):
            return self.county[name]
        return pd.DataFrame(columns=[f.name for f in package.table(name).fields])

    @property
    def synthetic(self) -> bool:
        """The package says its tables are SYNTHETIC (they carry their planted truth)."""
        return self.package.synthetic

    @property
    def notice(self) -> str:
        """What the data is, in one line in the notebook's language (the SYNTHETIC notice for the embedded
        county)."""
        zh = self.p.lang == "zh"
        if self.synthetic:
            return datasets.SYNTHETIC_NOTICE_ZH if zh else datasets.SYNTHETIC_NOTICE
        title = self.package.descriptor.get("title", "")
        return f"数据：{title}" if zh else f"Data: {title}"

    def suppress_villages(
        self, table: pd.DataFrame, counts: list[str], *, derived: tuple[str, ...] | list[str] = ()
    ) -> pd.DataFrame:
        """A village table as the report publishes it: its township beside each village, counts from 1 to
        ``min_count - 1`` and what derives from them blanked, and a second cell in any township with only
        one blank (the report publishes township totals): :func:`evalkit.disclosure.suppress`."""
        if "township_id" not in table.columns:
            towns = self.county["villages"][["village_id", "township_id"]]
            table = table.merge(towns, on="village_id", how="left", validate="many_to_one")
            order = list(table.columns[:-1])
            order.insert(order.index("village_id"), "township_id")
            table = table[order]
        return disclosure.suppress(
            table, counts, min_count=self.p.min_count, derived=list(derived), within=["township_id"]
        )

    def section(self) -> report.Section:
        """A new, empty section in the notebook's language."""
        return report.Section(lang=self.p.lang)

    def key_figures_section(self, metrics: dict[str, float | int]) -> report.Section:
        """The section that writes ``metrics`` to ``metrics.json`` and shows them as a table."""
        s = self.section()
        s.metrics.update(metrics)
        s.show(pd.Series(metrics, name="value").rename_axis("measure").reset_index())
        return s


def effect_interval(row: Any) -> dict[str, float]:
    """``effect_<method>_ci_low`` and ``_ci_high`` of one row of an effects table (95%), for the key figures
    (the year page reads them); nothing where either end is not finite.

    >>> effect_interval(pd.Series({"method": "aipw", "ci_low": 1118.06951, "ci_high": 2700.24859}))
    {'effect_aipw_ci_low': 1118.0695, 'effect_aipw_ci_high': 2700.2486}
    """
    low, high = float(row.ci_low), float(row.ci_high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return {}
    return {f"effect_{row.method}_ci_low": round(low, 4), f"effect_{row.method}_ci_high": round(high, 4)}
