"""Benchmark: grouped weighted FGT (P0, P1, P2) and the weighted Gini at registry sizes, against what users
would otherwise write, side by side in one run.

Columns (medians of ``--repeats`` runs, milliseconds, and the ratio to the fastest single-pass column):

* ``kernel``: a single compiled pass over the rows (numba, if installed; the practical memory-bandwidth
  limit for this job);
* ``bincount``: numpy ``bincount`` per term, written by hand;
* ``evalkit``: :func:`evalkit.indicators.fgt_table` (P0, P1, P2 for every group in one grouped pass);
* ``pandas``: idiomatic pandas, terms as columns then one ``groupby().sum()``;
* ``apply``: pandas ``groupby().apply`` with a Python function per group (skipped above ``--apply-max`` rows,
  where it takes minutes; its 40,000-group time is printed at 1e5 rows to show the cliff);
* ``polars`` and ``duckdb`` (if installed): the same grouped sums in their own engines.

Then the weighted Gini per group: one sort and cumulative sums (evalkit's formula) in numpy, and the same
through DuckDB's window functions.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 100000 1000000 10000000] [--groups 10 40000]``.
Prints machine information first. Nothing here is asserted; targets are read off the ratios.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import machine, median_ms

from evalkit import indicators as ind


def _kernel():
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def fgt(y, w, g, z, k):  # one pass: four running sums per group
        out = np.zeros((k, 4))
        for i in range(y.size):
            gap = (z - y[i]) / z if y[i] < z else 0.0
            out[g[i], 0] += w[i]
            out[g[i], 1] += w[i] * (1.0 if y[i] < z else 0.0)
            out[g[i], 2] += w[i] * gap
            out[g[i], 3] += w[i] * gap * gap
        return out

    return fgt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--groups", type=int, nargs="+", default=[10, 40_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--apply-max", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{machine()}, numpy {np.__version__}, pandas {pd.__version__}")
    kernel = _kernel()
    try:
        import polars as pl
    except ImportError:
        pl = None
    try:
        import duckdb
    except ImportError:
        duckdb = None
    z = 3218.0
    rows = []
    for n in args.sizes:
        rng = np.random.default_rng(0)
        y = rng.lognormal(8.3, 0.6, n)
        w = rng.integers(1, 6, n).astype(float)
        for k in args.groups:
            g = rng.integers(0, k, n)
            times: dict[str, float] = {}
            if kernel is not None:
                kernel(y[:10], w[:10], g[:10] % 2, z, 2)  # compile outside the timing
                times["kernel"], _ = median_ms(lambda: kernel(y, w, g, z, k), args.repeats)

            def by_bincount():
                poor = y < z
                gap = np.where(poor, (z - y) / z, 0.0)
                return [np.bincount(g, weights=t, minlength=k) for t in (w, w * poor, w * gap, w * gap * gap)]

            times["bincount"], _ = median_ms(by_bincount, args.repeats)
            times["evalkit"], _ = median_ms(lambda: ind.fgt_table(y, z, g, w), args.repeats)
            frame = pd.DataFrame({"g": g, "y": y, "w": w})

            def by_pandas():
                poor = (frame["y"] < z).astype(float)
                gap = ((z - frame["y"]) / z).clip(lower=0)
                terms = pd.DataFrame(
                    {
                        "g": frame["g"],
                        "w": frame["w"],
                        "p0": frame["w"] * poor,
                        "p1": frame["w"] * gap,
                        "p2": frame["w"] * gap * gap,
                    }
                )
                sums = terms.groupby("g").sum()
                return sums[["p0", "p1", "p2"]].div(sums["w"], axis=0)

            times["pandas"], _ = median_ms(by_pandas, args.repeats)
            if n <= args.apply_max:

                def one(part: pd.DataFrame) -> pd.Series:
                    poor = part["y"] < z
                    gap = np.where(poor, (z - part["y"]) / z, 0.0)
                    ww = part["w"].to_numpy()
                    return pd.Series(
                        {"p0": ww @ poor / ww.sum(), "p1": ww @ gap / ww.sum(), "p2": ww @ gap**2 / ww.sum()}
                    )

                times["apply"], _ = median_ms(lambda: frame.groupby("g")[["y", "w"]].apply(one), 1)
            if pl is not None:
                lf = pl.DataFrame({"g": g, "y": y, "w": w})

                def by_polars():
                    gap = ((z - pl.col("y")) / z).clip(lower_bound=0)
                    return lf.group_by("g").agg(
                        pl.col("w").sum(),
                        (pl.col("w") * (pl.col("y") < z)).sum().alias("p0"),
                        (pl.col("w") * gap).sum().alias("p1"),
                        (pl.col("w") * gap * gap).sum().alias("p2"),
                    )

                times["polars"], _ = median_ms(by_polars, args.repeats)
            if duckdb is not None:
                con = duckdb.connect()
                con.register("frame", frame)
                sql = (
                    f"SELECT g, SUM(w), SUM(w * (y < {z})::DOUBLE), SUM(w * GREATEST({z} - y, 0) / {z}), "
                    f"SUM(w * POW(GREATEST({z} - y, 0) / {z}, 2)) FROM frame GROUP BY g"
                )
                times["duckdb"], _ = median_ms(lambda: con.execute(sql).fetchall(), args.repeats)
            base = times.get("kernel", times["bincount"])
            rows.append(
                {
                    "task": "FGT",
                    "rows": n,
                    "groups": k,
                    **{f"{name}_ms": round(t, 1) for name, t in times.items()},
                    **{f"{name}_x": round(t / base, 2) for name, t in times.items()},
                }
            )

            # weighted Gini per group: one lexsort and cumulative sums (evalkit's formula)
            def gini_numpy():
                np.seterr(invalid="ignore", divide="ignore")  # empty groups give NaN
                order = np.lexsort((y, g))
                gs, ys, ws = g[order], y[order], w[order]
                cum = np.cumsum(ws)
                starts = np.searchsorted(gs, np.arange(k))
                before = cum - ws - np.repeat((cum - ws)[starts], np.diff(np.append(starts, n)))
                t = np.bincount(gs, weights=ws * ys * (2 * before + ws), minlength=k)
                return (
                    t / (np.bincount(gs, weights=ws, minlength=k) * np.bincount(gs, weights=ws * ys, minlength=k)) - 1
                )

            gini_times = {"numpy": median_ms(gini_numpy, args.repeats)[0]}
            if duckdb is not None:
                gsql = (
                    "SELECT g, SUM(w * y * (2 * b + w)) / (SUM(w) * SUM(w * y)) - 1 FROM (SELECT g, w, y, "
                    "COALESCE(SUM(w) OVER (PARTITION BY g ORDER BY y ROWS BETWEEN UNBOUNDED PRECEDING AND 1 "
                    "PRECEDING), 0) AS b FROM frame) GROUP BY g"
                )
                gini_times["duckdb"] = median_ms(lambda: con.execute(gsql).fetchall(), args.repeats)[0]
            rows.append(
                {
                    "task": "Gini",
                    "rows": n,
                    "groups": k,
                    **{f"{name}_ms": round(t, 1) for name, t in gini_times.items()},
                }
            )
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
