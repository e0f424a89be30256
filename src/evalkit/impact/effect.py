"""The estimators' result: :class:`Effect`, a :class:`~evalkit.results.Result` named by its estimator.

Every estimator in :mod:`evalkit.impact` returns an :class:`Effect`; :func:`effect` builds one with the
degrees of freedom of a clustered estimate (clusters − 1), so that its interval, p-value and frame agree.

>>> e = effect("twfe", 3.0, 1.0, n=40, n_clusters=10, se_method="cluster-robust")
>>> round(e.p_value, 4), [round(v, 3) for v in e.conf_int()]
(0.015, [0.738, 5.262])
>>> list(e.to_frame().columns[:8])
['method', 'estimate', 'std_error', 'ci_low', 'ci_high', 'p_value', 'n', 'n_clusters']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from evalkit.results import Result

__all__ = ["Effect", "effect"]


@dataclass(frozen=True, kw_only=True, repr=False)
class Effect(Result):
    """An effect estimate; for event studies also the coefficient ``path`` and, for Callaway–Sant'Anna, the
    ``group_time`` effects.

    ``method`` is the estimator (``twfe``, ``event_study``, ``imputation``, ``callaway_santanna``, ``naive``,
    ``diff``, ``ols``, ``ipw``, ``aipw``, ``match``); ``to_frame()`` leads with it.
    """

    path: pd.DataFrame | None = None
    group_time: pd.DataFrame | None = None

    ID_COLUMNS: ClassVar[tuple[str, ...]] = ("method",)


def effect(
    method: str,
    estimate: float,
    std_error: float,
    *,
    n: int,
    n_clusters: int,
    se_method: str,
    p_value: float | None = None,
    details: Mapping[str, object] | None = None,
    **more: object,
) -> Effect:
    """An :class:`Effect` whose intervals and tests use t with ``n_clusters - 1`` degrees of freedom (normal
    with a single cluster)."""
    return Effect(
        method=method,
        estimate=float(estimate),
        std_error=float(std_error),
        p_value=p_value,
        n=int(n),
        n_clusters=int(n_clusters),
        df=n_clusters - 1 if n_clusters > 1 else None,
        se_method=se_method,
        details=dict(details or {}),
        **more,
    )
