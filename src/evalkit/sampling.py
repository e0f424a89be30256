"""Survey sampling: splitting a total across strata, and drawing units with probability proportional to size.

Used by the exit assessment's sample design (:mod:`evalkit.assessment`) and by the synthetic county's
generator (:mod:`evalkit.synth`), which allocates populations and draws its survey the same way.

Examples
--------
>>> allocate(10, [50, 30, 20]).tolist()
[5, 3, 2]
>>> allocate(7, [10, 0.5, 5], minimum=1).tolist()
[4, 1, 2]
"""

from __future__ import annotations

import numpy as np

__all__ = ["allocate", "pps_systematic"]


def allocate(total: int, sizes: object, *, minimum: int = 0) -> np.ndarray:
    """Integers proportional to ``sizes`` that sum exactly to ``total``, each at least ``minimum``
    (largest remainders; ties go to the earlier part).

    Raises
    ------
    ValueError
        ``total`` cannot give every part its ``minimum``.

    Examples
    --------
    >>> allocate(10, [1.0, 1.0, 1.0]).tolist()
    [4, 3, 3]
    >>> int(allocate(20, [5.0, 1.0, 0.1], minimum=2).min())
    2
    """
    shares = np.asarray(sizes, dtype=float)
    n = shares.size
    free = total - minimum * n
    if free < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} each from a total of {total}")
    raw = shares / shares.sum() * free
    base = np.floor(raw).astype(np.int64)
    short = free - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return base + minimum


def pps_systematic(rng: np.random.Generator, sizes: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``m`` units with probability proportional to ``sizes`` (systematic, random order).

    Units whose probability would exceed one are taken with certainty. Returns (indices drawn, inclusion
    probability of every unit).

    Examples
    --------
    >>> idx, prob = pps_systematic(np.random.default_rng(0), np.array([10, 10, 20, 60]), 2)
    >>> prob.tolist(), len(idx), 3 in idx
    ([0.25, 0.25, 0.5, 1.0], 2, True)
    """
    sizes = np.asarray(sizes, dtype=float)
    prob = np.zeros(sizes.size)
    certain = np.zeros(sizes.size, dtype=bool)
    while True:
        rest = ~certain
        k = m - int(certain.sum())
        prob[rest] = k * sizes[rest] / sizes[rest].sum()
        prob[certain] = 1.0
        newly = rest & (prob >= 1.0)
        if not newly.any():
            break
        certain |= newly
    order = rng.permutation(np.flatnonzero(~certain))
    cumulative = np.cumsum(prob[order])
    k = m - int(certain.sum())
    points = rng.uniform(0, 1) + np.arange(k)
    drawn = order[np.searchsorted(cumulative, points, side="right")]
    return np.concatenate([np.flatnonzero(certain), drawn]), prob
