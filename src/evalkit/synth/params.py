"""Every assumption of the synthetic county that is not a published figure.

Published figures (counts, totals) come from the ledger (:mod:`evalkit.synth.targets`);
poverty lines from ``data/reference/poverty_lines.csv``. What remains — shapes
of distributions, selection strengths, the planted effects — is here, in one
object, written next to the data as ``synthetic_parameters.csv`` so that users
see exactly what was assumed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["SynthParams", "MICROCREDIT_MODELS"]

#: Microcredit models named by the report, with their assumed shares.
MICROCREDIT_MODELS: dict[str, tuple[str, str, float]] = {
    "self_development": ("贫困户自我发展", "household self-development", 0.45),
    "partnership": ("贫困户用合伙发展", "household partnership", 0.15),
    "coop_cooperation": ("户贷社管合作发展", "household-borrowed, cooperative-managed cooperation", 0.25),
    "coop_operation": ("户贷社管合营发展", "household-borrowed, cooperative-managed joint operation", 0.15),
}


@dataclass(frozen=True)
class SynthParams:
    """Assumptions of the synthetic county (all amounts in yuan per year unless noted)."""

    years: tuple[int, ...] = (2014, 2015, 2016, 2017, 2018, 2019)
    mean_household_size: float = 3.05
    # baseline poverty: households poor in 2014 = registry quotas inflated by this slack, plus the never-registered poor
    # households poor in 2014 intended for each exit cohort, as multiples of the published counts; programs pull
    # exits earlier, so early cohorts need less and late ones more
    pool_slack_by_cohort: tuple[float, ...] = (1.3, 1.3, 1.3, 2.3)  # 2015, 2016, 2017, 2018
    pool_slack_remaining: float = 2.3
    speed_per_person: float = 0.25
    illness_weight: float = 0.16
    illness_weight_per_elderly: float = 0.05
    never_registered_poor_households: int = 330
    poor_village_weight: float = 2.5
    poor_size_penalty: float = 0.4
    # income paths (log distance to the line)
    start_gap_low: float = 0.08
    start_gap_high: float = 0.60
    path_noise_sd: float = 0.012
    nonpoor_margin_scale: float = 0.55
    nonpoor_growth_low: float = 0.02
    nonpoor_growth_high: float = 0.08
    # components
    operating_share_a: float = 2.0
    operating_share_b: float = 5.0
    operating_year_step: float = 60.0
    operating_noise_sd: float = 60.0
    operating_floor: float = 250.0
    pension_per_elderly: float = 1000.0
    pension_growth: float = 0.06
    property_share: float = 0.3
    other_policy_low: float = 80.0
    other_policy_high: float = 220.0
    dibao_share_of_line: float = 0.30
    dibao_share_unstable: float = 0.45  # gap-filling allowance once income falls (两线合一)
    # unstable exits and returns to poverty (logit of being unstable, among 2015-2016 exits)
    unstable_intercept: float = -1.4
    unstable_illness: float = 1.2
    unstable_no_workers: float = 0.8
    unstable_per_elderly: float = 0.5
    unstable_dibao: float = 0.8
    unstable_return_share: float = 0.85
    unstable_small_household: float = 0.6
    major_event_rate: float = 0.02
    major_event_rate_illness: float = 0.05
    # microcredit (household-level effects, yuan per household per year)
    microcredit_years: tuple[int, ...] = (2016, 2017, 2018)
    microcredit_loan_total: int = 73_200_000
    microcredit_cap: int = 50_000
    microcredit_share_at_cap: float = 0.85
    effect_operating_self: float = 1200.0
    effect_operating_partnership: float = 900.0
    effect_operating_coop_operation: float = 300.0
    effect_dividend_coop_cooperation: float = 1500.0
    effect_dividend_coop_operation: float = 1200.0
    effect_sd_share: float = 0.25
    effect_per_extra_worker: float = 0.15
    # selection into borrowing (logit coefficients)
    borrow_intercept: float = -0.2
    borrow_per_worker: float = 0.55
    borrow_per_1000_operating: float = 0.45
    borrow_hardship_illness_disability: float = -1.2
    borrow_head_education: float = 0.3
    # ecological forest rangers
    ranger_years: tuple[int, ...] = (2019,)  # the report's year; registry exits to 2018 do not depend on rangers
    ranger_intercept: float = -4.0
    ranger_per_forest_share: float = 6.0  # hiring follows the village's forest cover
    ranger_per_head_education: float = -0.8  # and favours heads with less schooling (0 illiterate .. 4 tertiary)
    forest_operating_cut: float = 0.0  # forest villages farm less: operating share x (1 - cut x forest share)
    eco_comp_full_forest: float = 900.0  # ecological compensation, yuan per person per year at full forest cover
    ranger_pay_spread: float = 1000.0  # pay = published minimum (3,000) + uniform(0, spread)
    ranger_displacement_max: float = 0.4  # share of pay replacing other work, uniform(0, max)
    # vocational training (member level)
    training_intercept: float = -3.2
    training_per_edu: float = 0.8
    training_per_decade: float = 0.6
    training_female: float = 0.2
    training_completion: float = 0.85
    training_noncompleter_share: float = 0.25  # share of the course effect for members who did not complete
    training_base_wage: float = 9000.0  # yuan per year for an employed member before training
    # relocation: drawn towards forested (remote) villages; wage gain per person in 2019
    relocation_forest_power: float = 3.0
    relocation_gain_town: float = 700.0  # Jinxiuyuan, by the county town: gain from this ...
    relocation_gain_village: float = 300.0  # village sites and dispersed settlement: gain from this ...
    relocation_gain_spread: float = 400.0  # ... to this much more, uniformly
    # poverty-alleviation workshops (扶贫车间): the report names six and gives no worker count
    workshop_workers_low: int = 8  # registered workers per workshop, uniform from this ...
    workshop_workers_high: int = 25  # ... to this (assumption, not a published figure)
    # family-doctor signing (健康扶贫“双签约”): the report gives no count; policy aimed at every registered household
    family_doctor_share: float = 0.97  # share of registered households signed (assumption)
    # the county household survey (third-party assessment, end of 2018)
    survey_villages_per_township: int = 5
    survey_registered_per_village: int = 25
    survey_other_per_village: int = 25
    missed_persons_share: float = 0.006  # eligible but never registered, share of non-registered persons
    wrong_exit_persons_share: float = 0.012  # exited but failing the exit criteria, share of exited persons
    wrong_exit_by_income_share: float = 0.6  # the rest fail on safe housing
    approval_base: float = 0.96
    approval_wrongly_exited: float = 0.70
    approval_missed: float = 0.75
    notes: dict[str, str] = field(
        default_factory=lambda: {
            "incomes": "per-capita net income = wage + operating + property + transfers (pension, minimum living allowance, ecological compensation, other policy payments)",
            "status": "registry households are below the year's line before their exit year and at or above it from the exit year to 2018",
            "effects": "microcredit raises operating income (self-development, partnership, joint operation) or pays cooperative dividends counted as property income (cooperation, joint operation), from the loan year on, constant over time",
        }
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: name, value (as text)."""
        items = [(k, v if isinstance(v, str) else repr(v)) for k, v in asdict(self).items() if k != "notes"]
        items += [(f"note_{k}", v) for k, v in self.notes.items()]
        return pd.DataFrame(items, columns=["parameter", "value"])
