"""Return-to-poverty risk: screening rules (and, later, statistical risk models)."""

from evalkit.risk.rules import ReportRule, report_rule_flags

__all__ = ["ReportRule", "report_rule_flags"]
