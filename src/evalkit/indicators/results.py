"""The indicators' result: :class:`Estimate`, a :class:`~evalkit.results.Result` named by its indicator.

Examples
--------
>>> e = Estimate(indicator="headcount", estimate=0.2, std_error=0.05, df=99, n=100, se_method="linearized")
>>> [round(v, 4) for v in e.conf_int()]
[0.1008, 0.2992]
>>> e.to_frame()[["indicator", "estimate", "std_error", "se_method"]].to_dict("records")
[{'indicator': 'headcount', 'estimate': 0.2, 'std_error': 0.05, 'se_method': 'linearized'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from evalkit.indicators.design import Design
from evalkit.results import Result

__all__ = ["Estimate"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Estimate(Result):
    """One indicator value with its standard error.

    ``indicator`` names it (``headcount``, ``poverty_gap``, ``gini`` …); ``method`` is ``plug-in`` (the
    weighted sample value of the population indicator); ``se_method`` is ``linearized``, ``bootstrap`` or
    ``none``; ``df`` is clusters minus strata; ``details`` hold what defines the indicator (line, FGT order,
    inequality aversion …). ``to_frame()`` adds ``df`` after the common columns.
    """

    indicator: str
    method: str = "plug-in"

    ID_COLUMNS: ClassVar[tuple[str, ...]] = ("indicator",)

    @classmethod
    def on(
        cls,
        design: Design,
        indicator: str,
        estimate: float,
        std_error: float,
        se_method: str,
        details: Mapping[str, object] | None = None,
    ) -> Estimate:
        """An estimate on ``design``, whose observations, clusters and degrees of freedom it reports."""
        return cls(
            indicator=indicator,
            estimate=estimate,
            std_error=std_error,
            df=design.df,
            n=design.n,
            n_clusters=design.n_clusters,
            se_method=se_method,
            details=dict(details or {}),
        )

    def _extra_columns(self, level: float) -> dict[str, object]:
        return {"df": self.df}
