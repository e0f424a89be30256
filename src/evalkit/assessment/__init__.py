"""The third-party exit assessment: the four figures with intervals and verdicts, sample size, allocation, drawing.

>>> from evalkit import assessment
>>> plan = assessment.sample_size(p_true=0.01, threshold=0.02, power=0.8, icc=0.05, per_village=25)
>>> plan.households_srs, plan.design_effect, plan.villages_needed
(987, 2.2, 87)
"""

from evalkit.assessment.design import (
    SamplePlan,
    draw_visit_list,
    estimate_icc,
    plan_grid,
    sample_size,
    simulated_power,
    survey_template,
)
from evalkit.assessment.estimators import (
    ASSESS_COLUMNS,
    SURVEY_COLUMNS,
    RateEstimate,
    approval_rate,
    assess,
    check_survey,
    composite_incidence,
    missed_rate,
    rate_estimate,
    read_survey,
    thresholds,
    wrong_exit_rate,
)

__all__ = [
    "RateEstimate",
    "ASSESS_COLUMNS",
    "rate_estimate",
    "wrong_exit_rate",
    "missed_rate",
    "composite_incidence",
    "approval_rate",
    "assess",
    "thresholds",
    "check_survey",
    "read_survey",
    "SURVEY_COLUMNS",
    "SamplePlan",
    "sample_size",
    "plan_grid",
    "simulated_power",
    "draw_visit_list",
    "estimate_icc",
    "survey_template",
]
