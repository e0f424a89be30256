"""Program effects and reach.

* :func:`did`: difference-in-differences with absorbed fixed effects (two-way fixed effects, event study,
  imputation, Callaway–Sant'Anna, naive), :func:`placebo` and :func:`wild_cluster_bootstrap`;
* :func:`att`: effect on the treated from one cross-section or a change (diff, ols, ipw, aipw);
* reach: :func:`take_up`, :func:`concentration_index`, :func:`concentration_curve`, :func:`repayment`;
* :mod:`evalkit.impact.microcredit`: the microcredit evaluation of notebook 02.

>>> from evalkit import impact
>>> impact.METHODS
('twfe', 'event_study', 'imputation', 'callaway_santanna', 'naive')
"""

from evalkit.impact.att import ATT_METHODS, att, propensity
from evalkit.impact.did import METHODS, DidResult, demean, did, placebo
from evalkit.impact.reach import concentration_curve, concentration_index, repayment, take_up
from evalkit.impact.staggered import callaway_santanna
from evalkit.impact.wild import wild_cluster_bootstrap

__all__ = [
    "did",
    "placebo",
    "callaway_santanna",
    "wild_cluster_bootstrap",
    "att",
    "propensity",
    "ATT_METHODS",
    "DidResult",
    "demean",
    "METHODS",
    "take_up",
    "concentration_index",
    "concentration_curve",
    "repayment",
]
