"""Program effects and reach.

* :func:`did`: difference-in-differences with absorbed fixed effects (two-way fixed effects, event study,
  imputation, Callaway–Sant'Anna, naive), :func:`placebo` and :func:`wild_cluster_bootstrap`;
* :func:`att`: effect on the treated from one cross-section or a change (diff, ols, ipw, aipw);
* reach: :func:`take_up`, :func:`repayment`;
* :class:`Effect`: the result every estimator returns (``estimate``, ``std_error``, ``p_value``,
  ``conf_int(level)``, ``to_frame()``, ``summary()``).

>>> from evalkit import impact
>>> impact.METHODS
('twfe', 'event_study', 'imputation', 'callaway_santanna', 'naive')
"""

from evalkit.impact.att import ATT_METHODS, att, propensity
from evalkit.impact.did import METHODS, demean, did, placebo
from evalkit.impact.effect import Effect
from evalkit.impact.reach import repayment, take_up
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
    "Effect",
    "demean",
    "METHODS",
    "take_up",
    "repayment",
]
