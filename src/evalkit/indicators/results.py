"""Result objects: one estimate with its uncertainty, or a table of them.

Examples
--------
>>> e = Estimate("headcount", 0.2, 0.05, df=99, n=100, method="linearized")
>>> [round(v, 4) for v in e.conf_int()]
[0.1008, 0.2992]
>>> e.to_frame()[["indicator", "estimate", "std_error"]].to_dict("records")
[{'indicator': 'headcount', 'estimate': 0.2, 'std_error': 0.05}]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Estimate", "critical_value"]


def critical_value(alpha: float, df: float | None) -> float:
    """Two-sided critical value: Student t with the design's degrees of freedom, normal when df is None."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if df is None or not np.isfinite(df) or df <= 0:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


@dataclass(frozen=True)
class Estimate:
    """One indicator value with its standard error.

    Attributes
    ----------
    indicator
        Name (``headcount``, ``poverty_gap``, ``gini`` …).
    estimate
        Point estimate.
    std_error
        Standard error (NaN when not computed).
    df
        Degrees of freedom of the design (clusters minus strata), used for intervals; None for normal intervals.
    n
        Number of observations used.
    method
        How the standard error was obtained: ``linearized``, ``bootstrap`` or ``none``.
    details
        Parameters that define the indicator (line, alpha, epsilon …).
    """

    indicator: str
    estimate: float
    std_error: float = float("nan")
    df: float | None = None
    n: int = 0
    method: str = "none"
    details: dict[str, object] = field(default_factory=dict)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` interval: estimate ± t(df) × standard error."""
        half = critical_value(alpha, self.df) * self.std_error
        return (self.estimate - half, self.estimate + half)

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row: indicator, estimate, std_error, ci_low, ci_high, n, df, method and the details."""
        low, high = self.conf_int(alpha)
        row = {
            "indicator": self.indicator,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_low": low,
            "ci_high": high,
            "n": self.n,
            "df": self.df,
            "method": self.method,
            **self.details,
        }
        return pd.DataFrame([row])

    def summary(self, alpha: float = 0.05) -> str:
        """A one-line description."""
        low, high = self.conf_int(alpha)
        extra = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return (
            f"{self.indicator}: {self.estimate:.6g} (s.e. {self.std_error:.3g}, {self.method}; "
            f"{100 * (1 - alpha):g}% CI {low:.6g} to {high:.6g}; n={self.n}{', ' + extra if extra else ''})"
        )

    def __repr__(self) -> str:
        return f"Estimate({self.summary()})"
