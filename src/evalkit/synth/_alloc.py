"""Household sizes with an exact total (the generator's integer helper; shares of a total: :func:`evalkit.sampling.allocate`)."""

from __future__ import annotations

import numpy as np

__all__ = ["sizes_with_total"]


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
