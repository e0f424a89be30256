"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
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


def machine() -> str:
    """One line naming the machine, its cores and the Python version, printed first by every benchmark."""
    return f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
