"""Code tables the synthetic county uses (read from ``data/reference/``)."""

from __future__ import annotations

import pandas as pd

from evalkit import paths

__all__ = ["causes"]


def causes() -> pd.DataFrame:
    """Causes of poverty (致贫原因) with codes, from ``data/reference/poverty_causes.csv``."""
    return pd.read_csv(paths.reference_dir() / "poverty_causes.csv", encoding="utf-8")
