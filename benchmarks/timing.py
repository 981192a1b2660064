"""Timing shared by the benchmark scripts."""

from __future__ import annotations

import time
from typing import Callable, Hashable


def alternating_seconds(runners: dict[Hashable, Callable[[], object]], runs: int) -> dict[Hashable, list[float]]:
    """Wall seconds of each call of ``runners`` over ``runs`` rounds; within a round the callables
    take turns, so that machine noise (which drifts over minutes) hits each of them alike."""
    seconds: dict[Hashable, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return seconds
