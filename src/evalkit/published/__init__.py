"""The county report's published figures as tidy data, with their identities.

Examples
--------
>>> from evalkit import published
>>> ledger = published.load()
>>> len(ledger) > 150
True
>>> bad = published.reconcile().query("not holds")
>>> bad["identity"].tolist()
['health_subgroups']
"""

from evalkit.published.identities import evaluate, identities, reconcile, reconciliation_view
from evalkit.published.ledger import coverage_gaps, summary_by_area
from evalkit.published.ledger import LEDGER_COLUMNS, areas, figure, load, named_lists
from evalkit.published.trends import (
    evaluation_years,
    exits_by_year,
    incidence_path,
    latest_year,
    trend_metrics,
    villages_exited_by_year,
)

__all__ = [
    "LEDGER_COLUMNS",
    "areas",
    "coverage_gaps",
    "evaluate",
    "evaluation_years",
    "exits_by_year",
    "figure",
    "identities",
    "incidence_path",
    "latest_year",
    "load",
    "named_lists",
    "reconcile",
    "reconciliation_view",
    "summary_by_area",
    "trend_metrics",
    "villages_exited_by_year",
]
