"""Integer allocation helpers: exact totals from random shares, vectorized."""

from __future__ import annotations

import numpy as np

__all__ = ["round_to_total", "sizes_with_total"]


def round_to_total(shares: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Integers proportional to ``shares`` that sum exactly to ``total`` (largest remainder).

    Examples
    --------
    >>> round_to_total(np.array([1.0, 1.0, 1.0]), 10).tolist()
    [4, 3, 3]
    >>> int(round_to_total(np.array([5.0, 1.0, 0.1]), 20, minimum=2).min())
    2
    """
    shares = np.asarray(shares, dtype=float)
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


def sizes_with_total(rng: np.random.Generator, n: int, total: int, *, max_size: int = 9) -> np.ndarray:
    """``n`` household sizes (1 to ``max_size``) summing exactly to ``total``.

    Sizes start from a skewed draw around the required mean and are moved one
    person at a time (vectorized in batches) until the total is exact.
    """
    if not n <= total <= n * max_size:
        raise ValueError(f"{n} households cannot hold {total} persons with sizes 1..{max_size}")
    mean = total / n
    sizes = np.clip(1 + rng.poisson(max(mean - 1, 0.01), size=n), 1, max_size)
    while (gap := total - int(sizes.sum())) != 0:
        if gap > 0:
            room = np.flatnonzero(sizes < max_size)
            pick = rng.choice(room, size=min(gap, room.size), replace=False)
            sizes[pick] += 1
        else:
            room = np.flatnonzero(sizes > 1)
            pick = rng.choice(room, size=min(-gap, room.size), replace=False)
            sizes[pick] -= 1
    return sizes
