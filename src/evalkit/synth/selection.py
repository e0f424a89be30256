"""Draw the registry from the households poor at baseline, hitting every published count.

Within each exit cohort (households whose income crosses the line in that year,
or not by 2018), households are drawn at random, in cells by borrowing and by
illness, so that the registry has exactly the published households and persons
per cohort, the published persons registered through illness, the published
number of microcredit borrowers, and at least one household in every village.
Exact sums are reached by swapping a drawn household for an undrawn one of the
same cell and a different size.
"""

from __future__ import annotations

import numpy as np

from evalkit.errors import CalibrationError
from evalkit.sampling import allocate

__all__ = ["choose_with_sum", "select_registry", "fix_count"]


def choose_with_sum(
    rng: np.random.Generator,
    pools: list[np.ndarray],
    counts: list[int],
    sizes: np.ndarray,
    total: int,
    max_steps: int = 100_000,
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Draw ``counts[i]`` items from ``pools[i]`` so that their ``sizes`` sum to ``total``.

    ``weights`` (indexed like ``sizes``) tilt the first draw; the swaps that
    reach the exact total are uniform.
    """
    chosen = []
    for pool, k in zip(pools, counts, strict=True):
        if k > pool.size:
            raise CalibrationError(f"a cell needs {k} households but has {pool.size} candidates")
        w = None if weights is None else weights[pool] / weights[pool].sum()
        chosen.append(rng.choice(pool, size=k, replace=False, p=w))
    rest = [np.setdiff1d(pool, pick) for pool, pick in zip(pools, chosen, strict=True)]
    gap = total - int(sum(sizes[c].sum() for c in chosen))
    steps = 0
    while gap != 0:
        steps += 1
        if steps > max_steps:
            raise CalibrationError(f"cannot reach a size total of {total}; {gap:+d} left")
        cell = rng.integers(len(pools))
        if chosen[cell].size == 0 or rest[cell].size == 0:
            continue
        i = rng.integers(chosen[cell].size)
        diff = sizes[rest[cell]] - sizes[chosen[cell][i]]
        ok = np.flatnonzero((np.sign(diff) == np.sign(gap)) & (np.abs(diff) <= abs(gap)))
        if ok.size == 0:
            continue
        j = ok[rng.integers(ok.size)]
        chosen[cell][i], rest[cell][j] = rest[cell][j], chosen[cell][i]
        gap -= int(diff[j])
    return chosen


def select_registry(
    rng: np.random.Generator,
    cohort: np.ndarray,
    illness: np.ndarray,
    borrower: np.ndarray,
    sizes: np.ndarray,
    village: np.ndarray,
    *,
    households: dict[int, int],
    persons: dict[int, int],
    illness_persons: int,
    borrowers: int,
) -> np.ndarray:
    """Indices of registry households. ``cohort`` is -1 for households not eligible."""
    keys = sorted(households)
    pool_persons = np.array([sizes[(cohort == c) & illness].sum() / max(sizes[cohort == c].sum(), 1) for c in keys])
    ill_target = allocate(illness_persons, pool_persons * np.array([persons[c] for c in keys]))
    borrow_pool = np.array([(borrower & (cohort == c)).sum() / max((cohort == c).sum(), 1) for c in keys])
    borrow_target = allocate(borrowers, borrow_pool * np.array([households[c] for c in keys]))
    picked = []
    for c, q, b in zip(keys, ill_target, borrow_target, strict=True):
        n, s = households[c], persons[c]
        in_c = cohort == c
        mean_ill = sizes[in_c & illness].mean()
        k_ill = int(np.clip(round(q / mean_ill), 1, n - 1))
        cells = {
            (bb, ii): np.flatnonzero(in_c & (borrower == bb) & (illness == ii))
            for bb in (True, False)
            for ii in (True, False)
        }
        k = _split_cells({key: cell.size for key, cell in cells.items()}, n=n, borrowers=int(b), ill=k_ill)
        ill = choose_with_sum(
            rng, [cells[(True, True)], cells[(False, True)]], [k[(True, True)], k[(False, True)]], sizes, int(q)
        )
        rest = choose_with_sum(
            rng, [cells[(True, False)], cells[(False, False)]], [k[(True, False)], k[(False, False)]], sizes, int(s - q)
        )
        picked.extend(ill + rest)
    chosen = np.concatenate(picked)
    return _cover_villages(rng, chosen, cohort, illness, borrower, sizes, village)


def _split_cells(
    pool: dict[tuple[bool, bool], int], *, n: int, borrowers: int, ill: int
) -> dict[tuple[bool, bool], int]:
    """Household counts for the (borrower, illness) cells with the required margins.

    Proportional to the candidate pools (iterative proportional fitting), then
    rounded and clipped so that no cell asks for more than 95% of its pool.

    Examples
    --------
    >>> k = _split_cells({(True, True): 50, (True, False): 400, (False, True): 300, (False, False): 500}, n=800, borrowers=300, ill=250)
    >>> k[(True, True)] + k[(True, False)], k[(True, True)] + k[(False, True)], sum(k.values())
    (300, 250, 800)
    >>> k[(True, True)] <= 0.95 * 50
    True
    """
    grid = (
        np.array([[pool[(True, True)], pool[(True, False)]], [pool[(False, True)], pool[(False, False)]]], dtype=float)
        + 1e-9
    )
    rows, cols = np.array([borrowers, n - borrowers], dtype=float), np.array([ill, n - ill], dtype=float)
    for _ in range(200):
        grid *= (rows / grid.sum(axis=1))[:, None]
        grid *= (cols / grid.sum(axis=0))[None, :]
    cap = {key: int(0.95 * size) for key, size in pool.items()}
    low = max(0, borrowers - cap[(True, False)], ill - cap[(False, True)], borrowers + ill - n)
    high = min(cap[(True, True)], borrowers, ill, cap[(False, False)] - n + borrowers + ill)
    if low > high:
        raise CalibrationError(
            f"candidate pools {pool} cannot supply {n} households with {borrowers} borrowers and {ill} ill"
        )
    k11 = int(np.clip(round(grid[0, 0]), low, high))
    return {
        (True, True): k11,
        (True, False): borrowers - k11,
        (False, True): ill - k11,
        (False, False): n - borrowers - ill + k11,
    }


def _cover_villages(
    rng: np.random.Generator,
    chosen: np.ndarray,
    cohort: np.ndarray,
    illness: np.ndarray,
    borrower: np.ndarray,
    sizes: np.ndarray,
    village: np.ndarray,
) -> np.ndarray:
    """Swap households so that every village with candidates has one (same cell, same size)."""
    chosen = chosen.copy()
    eligible = np.flatnonzero(cohort >= 0)
    for v in np.unique(village[eligible]):
        if np.isin(village[chosen], [v]).any():
            continue
        counts = dict(zip(*np.unique(village[chosen], return_counts=True), strict=True))
        done = False
        for j in rng.permutation(eligible[village[eligible] == v]):
            same = (
                (cohort[chosen] == cohort[j])
                & (illness[chosen] == illness[j])
                & (borrower[chosen] == borrower[j])
                & (sizes[chosen] == sizes[j])
                & np.array([counts[x] >= 2 for x in village[chosen]])
            )
            if same.any():
                chosen[np.flatnonzero(same)[0]] = j
                done = True
                break
        if not done:
            raise CalibrationError(f"village {v} cannot be given a registered household")
    return chosen


def fix_count(
    rng: np.random.Generator,
    chosen: np.ndarray,
    flag: np.ndarray,
    target: int,
    *,
    keys: list[np.ndarray],
    village: np.ndarray,
) -> np.ndarray:
    """Swap drawn and undrawn households until exactly ``target`` drawn ones have ``flag``.

    A swap exchanges two households that agree on every array in ``keys``
    (exit cohort, illness, borrowing, size …), so every other count is kept;
    a household is only swapped out of a village that keeps another one.
    """
    chosen = chosen.copy()
    code = np.zeros(flag.size, dtype=np.int64)
    for key in keys:
        _, inverse = np.unique(key, return_inverse=True)
        code = code * (inverse.max() + 1) + inverse
    inside = np.zeros(flag.size, dtype=bool)
    inside[chosen] = True
    eligible = keys[0] >= 0  # the first key is the exit cohort; -1 marks households that cannot be registered
    gap = target - int(flag[chosen].sum())
    village_code = np.unique(village, return_inverse=True)[1]
    counts = np.bincount(village_code[chosen], minlength=village_code.max() + 1)
    for j in rng.permutation(np.flatnonzero(~inside & eligible & (flag == (gap > 0)))):
        if gap == 0:
            break
        match = np.flatnonzero(
            (code[chosen] == code[j])
            & (flag[chosen] != flag[j])
            & ((counts[village_code[chosen]] >= 2) | (village_code[chosen] == village_code[j]))
        )
        if match.size == 0:
            continue
        position = match[rng.integers(match.size)]
        counts[village_code[chosen[position]]] -= 1
        counts[village_code[j]] += 1
        inside[chosen[position]], inside[j] = False, True
        chosen[position] = j
        gap += -1 if gap > 0 else 1
    if gap != 0:
        raise CalibrationError(f"cannot bring the flagged count to {target}; {gap:+d} left")
    return chosen
