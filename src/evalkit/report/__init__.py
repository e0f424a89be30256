"""Writing what notebooks show: figures, tables and ``metrics.json``."""

from evalkit.report.sections import Section
from evalkit.report.styles import highlight_false
from evalkit.report.outputs import (
    FIGURE_CHECKS_FILE,
    METRICS_FILE,
    TABLE_ENCODING,
    NotebookOutputs,
    read_figure_checks,
    read_metrics,
    read_table,
    write_metrics,
)

__all__ = [
    "Section",
    "highlight_false",
    "FIGURE_CHECKS_FILE",
    "METRICS_FILE",
    "read_figure_checks",
    "TABLE_ENCODING",
    "NotebookOutputs",
    "read_metrics",
    "read_table",
    "write_metrics",
]
