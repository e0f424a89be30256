"""Return-to-poverty risk: screening rules as data, monitoring categories, and a statistical risk model.

>>> from evalkit import risk
>>> risk.rule_value("report_screening", "income_below", 2018)
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
from evalkit.risk.monitoring import CRITERIA, by_village, risk_rules, rule_value, screen
from evalkit.risk.rules import ReportRule, report_rule_flags

__all__ = [
    "ReportRule",
    "report_rule_flags",
    "CRITERIA",
    "risk_rules",
    "rule_value",
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
