"""Benchmark: two-way fixed-effects DiD with village-clustered errors, evalkit against the usual ways, in one run.

Columns (median of ``--repeats`` runs, milliseconds; ratio to the fastest): ``evalkit`` (:func:`evalkit.impact.did`,
effects absorbed by alternating projections), ``linearmodels`` (``PanelOLS`` with entity and time effects,
clustered), and ``statsmodels`` with ``C(unit)`` dummies, only up to ``--dummies-max`` units (it needs minutes and
gigabytes beyond), and ``pyfixest`` (``feols("y ~ d | unit + year", vcov={"CRV1": "village"})``, numba-compiled
demeaning; ``pip install -e '.[bench]'``). Estimates are checked equal.

Run: ``.venv/bin/python benchmarks/did.py [--units 4000 100000 1000000] [--years 6]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import machine, median_ms

from evalkit import impact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[4000, 100_000, 1_000_000])
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dummies-max", type=int, default=1000)
    args = parser.parse_args()
    print(machine())
    rows = []
    for units in args.units:
        rng = np.random.default_rng(0)
        data = pd.DataFrame(
            {"unit": np.repeat(np.arange(units), args.years), "year": np.tile(np.arange(args.years), units)}
        )
        data["village"] = data["unit"] // 16
        start = rng.choice([2, 3, 4, 99], size=units)
        data["d"] = (data["year"] >= start[data["unit"]]).astype(float)
        data["y"] = (
            rng.normal(size=units)[data["unit"]] + 0.3 * data["year"] + 2.0 * data["d"] + rng.normal(size=len(data))
        )
        times = {}
        times["evalkit"], mine = median_ms(
            lambda: impact.did(data, "y", "d", "unit", "year", cluster="village"), args.repeats
        )
        from linearmodels.panel import PanelOLS

        indexed = data.set_index(["unit", "year"])

        def by_linearmodels():
            return PanelOLS(indexed["y"], indexed[["d"]], entity_effects=True, time_effects=True).fit(
                cov_type="clustered", clusters=indexed[["village"]]
            )

        times["linearmodels"], lm = median_ms(by_linearmodels, args.repeats)
        same = abs(lm.params.iloc[0] - mine.estimate) < 1e-8
        try:
            import pyfixest as pf
        except ImportError:
            pf = None
            print("pyfixest not installed: its column is left out (pip install -e '.[bench]')")
        if pf is not None:

            def by_pyfixest():
                return pf.feols("y ~ d | unit + year", data=data, vcov={"CRV1": "village"})

            by_pyfixest()  # numba compiles its kernels on the first call
            times["pyfixest"], fx = median_ms(by_pyfixest, args.repeats)
            # pyfixest stops its alternating projections at a looser tolerance (fixef_tol 1e-8 on the demeaning)
            same = same and abs(fx.coef()["d"] - mine.estimate) < 1e-6
        if units <= args.dummies_max:
            import statsmodels.formula.api as smf

            def by_dummies():
                return smf.ols("y ~ d + C(unit) + C(year)", data).fit(
                    cov_type="cluster", cov_kwds={"groups": data["village"]}
                )

            times["statsmodels_dummies"], sm = median_ms(by_dummies, 1)
            same = same and abs(sm.params["d"] - mine.estimate) < 1e-8
        fastest = min(times.values())
        rows.append(
            {
                "units": units,
                "rows": len(data),
                **{f"{k}_ms": round(v, 1) for k, v in times.items()},
                **{f"{k}_x": round(v / fastest, 2) for k, v in times.items()},
                "estimates_equal": same,
            }
        )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
