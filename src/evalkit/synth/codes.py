"""Code tables the synthetic county uses (read from ``data/reference/``)."""

from __future__ import annotations

import pandas as pd

from evalkit.reference import poverty_causes

__all__ = ["causes"]


def causes() -> pd.DataFrame:
    """Causes of poverty (致贫原因) with codes, from ``data/reference/poverty_causes.csv``."""
    return poverty_causes()
