"""Program effects: difference-in-differences with absorbed fixed effects (``did``).

>>> from evalkit import impact
>>> impact.METHODS
('twfe', 'event_study', 'imputation', 'naive')
"""

from evalkit.impact.did import METHODS, DidResult, demean, did
from evalkit.impact.reach import concentration_curve, concentration_index, repayment, take_up

__all__ = [
    "did",
    "DidResult",
    "demean",
    "METHODS",
    "take_up",
    "concentration_index",
    "concentration_curve",
    "repayment",
]
