"""Program effects: difference-in-differences with absorbed fixed effects (``did``).

>>> from evalkit import impact
>>> impact.METHODS
('twfe', 'event_study', 'imputation', 'naive')
"""

from evalkit.impact.did import METHODS, DidResult, demean, did

__all__ = ["did", "DidResult", "demean", "METHODS"]
