"""One result type for every estimate evalkit returns: indicators, program effects, assessment rates.

A :class:`Result` holds a point estimate with its uncertainty and says how both were obtained:

* ``estimate``, ``std_error``, ``p_value`` (two-sided test of zero unless the estimator computed its own,
  as the wild bootstrap does), ``n`` and ``n_clusters``;
* ``df``: degrees of freedom of t intervals and tests (clusters minus strata for survey designs, clusters
  minus one for clustered regressions); ``None`` means normal intervals;
* ``method``: the estimator (``plug-in``, ``twfe``, ``ipw`` …); ``se_method``: how the standard error was
  obtained (``linearized``, ``bootstrap``, ``cluster-robust`` …);
* ``conf_int(level=0.95)``: the interval that ``to_frame(level)`` reports (an interval computed by the
  estimator itself, such as a test-inversion or Wilson interval, takes precedence over estimate ± t × s.e.);
* ``to_frame(level)``: one row whose columns start with the subclass's identifier (``indicator`` for
  indicators and rates) followed by :data:`FRAME_COLUMNS`, then anything specific, then ``details``;
* ``summary(level)``: one line of text, which is also ``str()`` and ``repr()``; ``_repr_html_``: the
  frame as a table, so a result displays as a table in JupyterLab.

The confidence level is called ``level`` everywhere (0.95 for a 95% interval).

Examples
--------
>>> r = Result(estimate=0.2, std_error=0.05, df=99, n=100, method="plug-in", se_method="linearized")
>>> [round(v, 4) for v in r.conf_int()]
[0.1008, 0.2992]
>>> list(r.to_frame().columns)
['estimate', 'std_error', 'ci_low', 'ci_high', 'p_value', 'n', 'n_clusters', 'method', 'se_method']
>>> critical_value(0.95, None) == critical_value(0.95, float("inf"))
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Result", "FRAME_COLUMNS", "critical_value", "two_sided_p_value", "check_level"]

#: Columns every result's ``to_frame()`` has, in this order (after the subclass's identifier columns).
FRAME_COLUMNS: tuple[str, ...] = (
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "n_clusters",
    "method",
    "se_method",
)


def check_level(level: float) -> float:
    """Return ``level`` if it is a confidence level strictly between 0 and 1, else raise ValueError."""
    if not 0 < level < 1:
        raise ValueError(f"level is a confidence level strictly between 0 and 1 (0.95 for 95%), got {level}")
    return level


def critical_value(level: float, df: float | None) -> float:
    """Two-sided critical value for a ``level`` interval: Student t with ``df`` degrees of freedom, normal
    when ``df`` is None, not finite or not positive.

    >>> round(critical_value(0.95, 9), 3)
    2.262
    """
    q = (1 + check_level(level)) / 2
    if df is None or not np.isfinite(df) or df <= 0:
        return float(stats.norm.ppf(q))
    return float(stats.t.ppf(q, df))


def two_sided_p_value(estimate: float, std_error: float, df: float | None) -> float:
    """p-value of the two-sided test that the true value is zero (t with ``df``, normal when None; NaN
    without a positive standard error).

    >>> round(two_sided_p_value(2.0, 1.0, None), 4)
    0.0455
    """
    if not np.isfinite(std_error) or std_error <= 0:
        return float("nan")
    t = abs(estimate / std_error)
    if df is None or not np.isfinite(df) or df <= 0:
        return float(2 * stats.norm.sf(t))
    return float(2 * stats.t.sf(t, df))


@dataclass(frozen=True, kw_only=True)
class Result:
    """One estimate with its uncertainty (see the module docstring for the fields)."""

    estimate: float
    std_error: float = float("nan")
    p_value: float | None = None
    n: int = 0
    n_clusters: int | None = None
    df: float | None = None
    method: str = ""
    se_method: str = ""
    details: Mapping[str, object] = field(default_factory=dict)
    #: intervals computed by the estimator itself (bootstrap, test inversion), by confidence level
    intervals: Mapping[float, tuple[float, float]] = field(default_factory=dict)

    #: identifier columns that lead ``to_frame()`` (attribute names), set by subclasses
    ID_COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if self.p_value is None:
            object.__setattr__(self, "p_value", two_sided_p_value(self.estimate, self.std_error, self.df))

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided interval at confidence ``level``: the estimator's own interval when it computed one
        for this level, otherwise estimate ± t(df) × standard error."""
        check_level(level)
        if level in self.intervals:
            low, high = self.intervals[level]
            return (float(low), float(high))
        half = critical_value(level, self.df) * self.std_error
        return (self.estimate - half, self.estimate + half)

    def _extra_columns(self, level: float) -> dict[str, object]:
        """Columns specific to a subclass, after :data:`FRAME_COLUMNS` and before ``details``."""
        return {}

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row: identifier columns, :data:`FRAME_COLUMNS`, subclass columns, then ``details``."""
        low, high = self.conf_int(level)
        row: dict[str, object] = {name: getattr(self, name) for name in self.ID_COLUMNS}
        row.update(
            estimate=self.estimate,
            std_error=self.std_error,
            ci_low=low,
            ci_high=high,
            p_value=self.p_value,
            n=self.n,
            n_clusters=self.n_clusters,
            method=self.method,
            se_method=self.se_method,
        )
        row.update(self._extra_columns(level))
        row.update({k: v for k, v in self.details.items() if k not in row})
        return pd.DataFrame([row])

    def _title(self) -> str:
        parts = [str(getattr(self, name)) for name in self.ID_COLUMNS] or [self.method or "estimate"]
        return " ".join(parts)

    def summary(self, level: float = 0.95) -> str:
        """One line: what, the estimate, its standard error and interval, how they were obtained, n."""
        low, high = self.conf_int(level)
        how = ", ".join(part for part in (self.method, self.se_method) if part)
        clusters = f", clusters={self.n_clusters}" if self.n_clusters is not None else ""
        p = f"; p={self.p_value:.3g}" if self.p_value is not None and math.isfinite(self.p_value) else ""
        return (
            f"{self._title()}: {self.estimate:.6g} (s.e. {self.std_error:.3g}{'; ' + how if how else ''}; "
            f"{100 * level:g}% CI {low:.6g} to {high:.6g}{p}; n={self.n}{clusters})"
        )

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.summary()})"

    def _repr_html_(self) -> str:
        caption = html.escape(self._title())
        table = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.6g}", na_rep="")
        return f"<div><strong>{caption}</strong>{table}</div>"
