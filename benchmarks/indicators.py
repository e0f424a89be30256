"""Benchmark: grouped poverty indicators and the cluster bootstrap, against the slow ways, in one run.

Prints, for each task, the time of evalkit's way, the time of the baseline, and their ratio:

* FGT (headcount and poverty gap with standard errors) for 40,000 villages: ``evalkit.indicators.fgt_by_group``
  (grouped sums in one pass) against a pandas ``groupby().apply`` calling a Python function per village;
* a cluster bootstrap of the headcount: replicate factors applied to village totals (evalkit) against
  resampling household rows and recomputing on each replicate.

Run: ``.venv/bin/python benchmarks/indicators.py [--villages N] [--per-village M] [--reps R]``.
Targets are ratios, not absolute times; nothing here is a test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from evalkit import indicators as ind


def _timed(func, repeats: int = 1):
    """Median wall time of ``repeats`` calls after one untimed warm-up call (lazy imports, caches)."""
    result = func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=40_000)
    parser.add_argument("--per-village", type=int, default=10)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = args.villages * args.per_village
    village = np.repeat(np.arange(args.villages), args.per_village)
    income = rng.lognormal(8.3, 0.6, n)
    size = rng.integers(1, 6, n).astype(float)
    line = 3218.0

    fast_t, fast = _timed(lambda: ind.fgt_by_group(income, line, village, 1, size, clusters=village), 5)

    def per_village(frame: pd.DataFrame) -> pd.Series:  # the slow way: a Python function per group
        w, y = frame["w"].to_numpy(), frame["y"].to_numpy()
        gap = np.where(y < line, (line - y) / line, 0.0)
        p = w @ gap / w.sum()
        z = (gap - p) / w.sum()
        se = np.sqrt(len(y) / max(len(y) - 1, 1) * ((w * z - (w * z).mean()) ** 2).sum())
        return pd.Series({"estimate": p, "std_error": se})

    frame = pd.DataFrame({"v": village, "y": income, "w": size})
    slow_t, slow = _timed(lambda: frame.groupby("v")[["y", "w"]].apply(per_village))
    mine = fast.iloc[:-1].set_index("group")
    check = np.allclose(mine["estimate"].to_numpy(dtype=float), slow["estimate"].reindex(mine.index).to_numpy())
    print(
        f"FGT by village ({args.villages:,} villages, {n:,} households): evalkit {fast_t * 1000:.0f} ms, "
        f"groupby-apply {slow_t * 1000:.0f} ms, ratio {slow_t / fast_t:.0f}x (estimates equal: {check})"
    )

    # cluster bootstrap of the headcount over villages
    subset = village < 4000
    y, w, c = income[subset], size[subset], village[subset]
    fast_t, fast = _timed(lambda: ind.fgt(y, line, 0, w, clusters=c, se="bootstrap", reps=args.reps, seed=1), 5)

    def rows_bootstrap() -> float:
        brng = np.random.default_rng(1)
        ids = np.unique(c)
        members = {v: np.flatnonzero(c == v) for v in ids}
        values = []
        for _ in range(args.reps):
            drawn = brng.choice(ids, size=ids.size, replace=True)
            rows = np.concatenate([members[v] for v in drawn])
            values.append(w[rows] @ (y[rows] < line) / w[rows].sum())
        return float(np.std(values, ddof=1))

    slow_t, slow = _timed(rows_bootstrap)
    print(
        f"cluster bootstrap ({args.reps} replicates, 4,000 villages): evalkit {fast_t * 1000:.0f} ms "
        f"(s.e. {fast.std_error:.5f}), resampling rows {slow_t * 1000:.0f} ms (s.e. {slow:.5f}), "
        f"ratio {slow_t / fast_t:.0f}x"
    )


if __name__ == "__main__":
    main()
