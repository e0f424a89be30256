"""Return-to-poverty risk: screening rules as data, monitoring categories, and a statistical risk model.

>>> from evalkit import risk
>>> risk.ScreeningRules.from_table().income_below
4000.0
"""

from evalkit.risk.model import (
    OutOfTime,
    RiskModel,
    calibration,
    features,
    fit,
    out_of_time,
    precision_recall_at,
    roc_auc,
    screening_curve,
)
from evalkit.risk.monitoring import CRITERIA, ScreeningRules, by_village, screen

__all__ = [
    "ScreeningRules",
    "CRITERIA",
    "screen",
    "by_village",
    "RiskModel",
    "features",
    "fit",
    "roc_auc",
    "calibration",
    "precision_recall_at",
    "OutOfTime",
    "out_of_time",
    "screening_curve",
]
