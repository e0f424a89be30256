"""Poverty and inequality indicators with honest uncertainty, decompositions and poverty dynamics.

Every indicator returns an :class:`Estimate` (``estimate``, ``std_error``, ``conf_int(level)``,
``to_frame()``, ``summary()``). Survey designs are given as ``weights``, ``strata`` and ``clusters``, or
whole as a :class:`Design` (with a finite-population correction or published replicate weights);
standard errors are linearized (influence values, the with-replacement first-stage formula), come from
a vectorized Rao–Wu cluster bootstrap, or from the design's replicate weights. ``domain=`` (a boolean
mask) gives any indicator for a subpopulation with the full design's variance. Poverty lines may be
estimated from the same sample (:func:`relative_line`, :func:`arpt`, :func:`arpr`), and their estimation
then enters the standard errors.

The Gini's influence value for an observation with income x is
``(2/mu) [x F(x) + A(x)] - (G + 1)(1 + x/mu)``, divided by the population size, where ``F`` is the
(mid-point) distribution function and ``A(x)`` the mean over the population of incomes at or above x
(income above x per person).

>>> from evalkit import indicators as ind
>>> e = ind.fgt([2, 5, 8, 12, 20], 10)
>>> round(e.estimate, 3), e.se_method
(0.6, 'linearized')
"""

from evalkit.indicators.concentration import concentration_curve, concentration_index
from evalkit.indicators.core import (
    SE_METHODS,
    atkinson,
    fgt,
    generalized_entropy,
    gini,
    mean_income,
    sen,
    sst,
    theil,
    watts,
)
from evalkit.indicators.decompose import fgt_by_group, fgt_change, fgt_table, growth_redistribution, lorenz
from evalkit.indicators.design import REPLICATE_TYPES, Design
from evalkit.indicators.groups import WATTS_COMPONENTS, by_group, watts_decomposition
from evalkit.indicators.dynamics import (
    Bunching,
    bunching,
    exit_hazard,
    exit_tests,
    exits_and_returns,
    flows_by_year,
    registry_incidence,
    survey_vs_registry,
    time_to_exit,
    transfer_share_at_exit,
    transitions,
)
from evalkit.indicators.multidim import GUARANTEES, AFResult, alkire_foster
from evalkit.indicators.quantiles import RelativeLine, median, quantile, relative_line
from evalkit.indicators.relative import arpr, arpt, poor_median, qsr, rmpg
from evalkit.indicators.results import Estimate
from evalkit.indicators.scales import SCALES, equivalize

__all__ = [
    "Estimate",
    "Design",
    "REPLICATE_TYPES",
    "SE_METHODS",
    "quantile",
    "median",
    "relative_line",
    "RelativeLine",
    "arpt",
    "arpr",
    "poor_median",
    "rmpg",
    "qsr",
    "generalized_entropy",
    "equivalize",
    "SCALES",
    "by_group",
    "watts_decomposition",
    "WATTS_COMPONENTS",
    "fgt",
    "watts",
    "sen",
    "sst",
    "gini",
    "theil",
    "atkinson",
    "mean_income",
    "concentration_index",
    "concentration_curve",
    "fgt_by_group",
    "fgt_table",
    "fgt_change",
    "growth_redistribution",
    "lorenz",
    "alkire_foster",
    "AFResult",
    "GUARANTEES",
    "registry_incidence",
    "exit_tests",
    "transitions",
    "exits_and_returns",
    "flows_by_year",
    "time_to_exit",
    "exit_hazard",
    "bunching",
    "Bunching",
    "transfer_share_at_exit",
    "survey_vs_registry",
]
