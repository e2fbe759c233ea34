"""Timing several engines on one workload: interleaved repeats, then medians and minimums.

Each engine's step is first given a loop count: the smallest of 1, 2, 5, 10, 20, ...
whose loop takes at least ``min_time`` seconds, so that a fast step is not lost in the
clock's resolution. Then come the repeats, and the engines take turns within each one
(a b c d, b c d a, c d a b, ...: the order rotates so that no engine always runs right
after the same neighbour). Outside load on a small machine comes in bursts; taking
turns spreads a burst over all the engines instead of landing on one of them.

Two summaries per engine: the median repeat (the typical cost) and the fastest (the
cost with the least outside interference; ``timeit``'s documentation prefers it). The
report shows both. Python's garbage collector stays on, as in a user's program: an
engine whose graph is made of Python objects pays for the collector scanning it, and
that is part of its cost. Two precautions keep that cost the engine's own:

* ``gc.freeze()`` before timing moves every object that exists then (the modules of all
  the engines, the inputs, the leaves) out of the collector's sight. Without it, a full
  collection during autograd_lab's step would also scan the ~150,000 objects that
  importing torch created, and a Python-object engine would look slower (W3: 12 to 19
  µs per op) only because another engine was imported into the same process;
* ``gc.collect()`` before each repeat, so that one engine's garbage is not collected on
  another's time.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

LOOPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


@dataclass
class Timing:
    """Seconds per call of one engine's step, over the repeats."""

    samples: list[float]
    faults: list[float]  # minor page faults per call, one figure per repeat

    @property
    def median_faults(self) -> float:
        return statistics.median(self.faults)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)


def minor_faults() -> int:
    """Minor page faults of this process so far: each is a fresh page of memory that the
    kernel had to map (and zero) on first touch."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def loop_seconds(fn: Callable[[], object], loops: int) -> float:
    """Seconds for ``loops`` calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return time.perf_counter() - start


def calibrate(fn: Callable[[], object], min_time: float) -> int:
    """The smallest loop count in LOOPS whose loop takes at least ``min_time`` seconds."""
    for loops in LOOPS:
        if loop_seconds(fn, loops) >= min_time:
            return loops
    return LOOPS[-1]


def interleaved(steps: dict[str, Callable[[], object]], repeats: int,
                min_time: float) -> dict[str, Timing]:
    """Time every step ``repeats`` times, the engines taking turns; seconds per call.

    Each step is assumed warmed up already (the runner's gradient check calls each once).
    """
    gc.collect()
    gc.freeze()
    loops = {name: calibrate(fn, min_time) if min_time > 0 else 1 for name, fn in steps.items()}
    names = list(steps)
    samples: dict[str, list[float]] = {name: [] for name in names}
    faults: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            gc.collect()
            before = minor_faults()
            samples[name].append(loop_seconds(steps[name], loops[name]) / loops[name])
            faults[name].append((minor_faults() - before) / loops[name])
    return {name: Timing(samples[name], faults[name]) for name in names}
