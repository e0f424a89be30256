"""Ecological forest rangers (生态护林员): who is hired, and what the job adds to income.

Rangers are hired in the years ``SynthParams.ranger_years`` (2019 by default: the report
gives its 273 rangers at its 2019 date with no hiring year, and the registry's exits to
2018 then do not depend on them) among poor households with a working-age member,
more often where the head has little schooling and less often with a
disability (households registered for illness are not eligible): selection on observed characteristics that also shape
income growth. Each ranger is paid at least the published 3,000 yuan a year;
part of the pay replaces other work (displacement), so the planted effect on
household wage income is the pay net of displacement, stored as truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.synth.params import SynthParams

__all__ = ["assign_rangers", "ranger_eligible"]


def ranger_eligible(households: pd.DataFrame) -> np.ndarray:
    """The hiring rule: a working-age member able to patrol, and no registration for illness."""
    return (households["workers"].to_numpy() > 0) & (households["hardship"].to_numpy() != "illness")


def assign_rangers(
    rng: np.random.Generator, p: SynthParams, households: pd.DataFrame, candidates: np.ndarray, minimum_pay: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (hired, hire year, yearly pay, yearly effect on household wage income)."""
    workers = households["workers"].to_numpy()
    eligible = candidates & ranger_eligible(households)
    index = (
        p.ranger_intercept
        + p.ranger_per_forest_share * households["forest_share"].to_numpy()
        + p.ranger_per_head_education * households["head_education"].to_numpy()
    )
    hired = eligible & (rng.random(workers.size) < 1 / (1 + np.exp(-index)))
    year = rng.choice(np.asarray(p.ranger_years), size=workers.size)
    pay = np.round(minimum_pay + rng.uniform(0, p.ranger_pay_spread, workers.size), -1)
    displacement = rng.uniform(0, p.ranger_displacement_max, workers.size)
    effect = np.where(hired, pay * (1 - displacement), 0.0)
    return hired, np.where(hired, year, 0), np.where(hired, pay, 0.0), effect
