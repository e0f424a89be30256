"""Calibration targets for the synthetic county, read from the published ledger.

No target is typed into the generator: each comes from a ledger figure, so the
synthetic county follows the ledger if the ledger is corrected.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit import published

__all__ = ["Targets", "targets"]


@dataclass(frozen=True)
class Targets:
    towns: int
    townships: int
    centers: int
    villages: int
    agri_pop: int
    total_pop: int
    poor_villages: int
    villages_exited: dict[int, int]
    households: int
    persons: int
    exits_households: dict[int, int]
    exits_persons: dict[int, int]
    illness_persons: int
    illness_major: int
    illness_severe: int
    illness_chronic: int
    base_year: int
    microcredit_households: int
    screened_households: int
    screened_persons: int
    rangers: int
    ranger_min_pay: float
    microcredit_loans_at_least: int


def targets() -> Targets:
    """Targets from the embedded ledger."""
    f = published.figure
    exits = published.exits_by_year()
    villages = published.villages_exited_by_year()
    ledger = published.load()
    base_year = int(ledger.loc[ledger["figure_id"] == "ov_poor_pp_base", "year"].iloc[0])
    return Targets(
        towns=int(f("ov_towns")),
        townships=int(f("ov_townships")),
        centers=int(f("ov_centers")),
        villages=int(f("ov_villages")),
        agri_pop=int(f("ov_agri_pop")),
        total_pop=int(f("ov_total_pop")),
        poor_villages=int(f("ov_poor_villages")),
        villages_exited={int(y): int(v) for y, v in zip(villages["year"], villages["villages"], strict=True) if v},
        households=int(f("ov_poor_hh_base")),
        persons=int(f("ov_poor_pp_base")),
        exits_households=dict(zip(exits["year"].astype(int), exits["households"].astype(int), strict=True)),
        exits_persons=dict(zip(exits["year"].astype(int), exits["persons"].astype(int), strict=True)),
        illness_persons=int(f("hea_illness_pp")),
        illness_major=int(f("hea_major")),
        illness_severe=int(f("hea_severe")),
        illness_chronic=int(f("hea_chronic")),
        base_year=base_year,
        microcredit_households=int(f("fun_microcredit_hh")),
        screened_households=int(f("dp_screened_hh")),
        screened_persons=int(f("dp_screened_pp")),
        rangers=int(f("eco_rangers")),
        ranger_min_pay=f("eco_ranger_income"),
        microcredit_loans_at_least=int(f("fun_microcredit")),
    )
