"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def median_ms(func, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result
