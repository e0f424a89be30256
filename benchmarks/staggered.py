"""Benchmark: Callaway–Sant'Anna with a covariate (doubly robust) and its aggregations, evalkit against
moderndid (a port of R's did), in one run.

Columns (median of ``--repeats`` runs, milliseconds; ratio to the faster): ``evalkit``
(:func:`evalkit.impact.did` with ``method="callaway_santanna"``, then the four aggregations) and
``moderndid`` (``att_gt`` without bootstrap, then ``aggte`` four times). Group-time effects are checked
equal (1e-8).

Run: ``.venv/bin/python benchmarks/staggered.py [--units 4000 20000 100000] [--years 6]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from _timing import machine, median_ms

from evalkit import impact

AGGREGATIONS = ("simple", "group", "calendar", "dynamic")


def panel(units: int, years: int, seed: int = 0) -> pd.DataFrame:
    """Staggered adoption from years 2 to 4 (a quarter never treated), selection on a covariate."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=units)
    first = np.where(rng.uniform(size=units) < 0.25 + 0.1 * (x > 0), 0, rng.choice([2003, 2004, 2005], units))
    unit = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2001, 2001 + years), units)
    treated = (first[unit] > 0) & (year >= first[unit])
    y = rng.normal(size=units)[unit] + 0.2 * x[unit] * (year - 2000) + 0.5 * treated + rng.normal(size=unit.size)
    return pd.DataFrame({"unit": unit, "year": year, "y": y, "x": x[unit], "first": first[unit]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[4000, 20_000, 100_000])
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    rows = []
    for units in args.units:
        data = panel(units, args.years)

        def by_evalkit():
            fit = impact.did(
                data,
                "y",
                None,
                "unit",
                "year",
                method="callaway_santanna",
                first_treated="first",
                covariates=["x"],
                control="never",
            )
            return fit, [fit.aggregate(kind).estimate for kind in AGGREGATIONS]

        times = {}
        times["evalkit"], (mine, _) = median_ms(by_evalkit, args.repeats)
        try:
            import moderndid as md
            import polars as pl
        except ImportError:
            print("moderndid not installed: its column is left out (pip install -e '.[test]')")
        else:
            frame = pl.from_pandas(data)

            def by_moderndid():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = md.att_gt(frame, "y", "year", "unit", "first", xformla="~x", cband=False, boot=False)
                    return fit, [md.aggte(fit, type=kind, cband=False, boot=False).overall_att for kind in AGGREGATIONS]

            times["moderndid"], (theirs, _) = median_ms(by_moderndid, args.repeats)
            same = np.allclose(mine.group_time["att"].to_numpy(), np.asarray(theirs.att_gt), atol=1e-8)
            if not same:
                print(f"units={units}: group-time effects differ from moderndid's")
        fastest = min(times.values())
        for name, ms in times.items():
            rows.append(
                {
                    "units": units,
                    "years": args.years,
                    "method": name,
                    "ms": round(ms, 1),
                    "ratio": round(ms / fastest, 2),
                }
            )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
