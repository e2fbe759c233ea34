"""W3: a chain of 100,000 ops on a 0-d float64 tensor; and one of 1,000,000 for autograd_lab.

``y = y * 1.0001`` and ``y = y + 0.0001`` in turn, 50,000 times each, then backward from
the last ``y``. A graph this deep breaks an engine whose backward recurses (micrograd
hits Python's recursion limit near 20,000 ops); autograd_lab's engine walks the graph
with a loop, and ``million()`` shows it on a million ops. The figure is microseconds
per op, forward + backward, so it is comparable with W1's (here each op is on one
number, so even less of it is maths).
"""

from __future__ import annotations

import gc
import time

import numpy as np

from .common import Case, Target

LENGTH, QUICK_LENGTH, MILLION = 100_000, 20_000, 1_000_000
TARGET = Target(10.0, kind="value", extra="and 1,000,000 ops run")
HOW = (f"`y = y * 1.0001` and `y = y + 0.0001` in turn on a 0-d float64 tensor, {LENGTH:,} "
       f"ops in all ({QUICK_LENGTH:,} with `--quick`), then backward from the last `y`; the "
       f"time of forward + backward divided by the number of ops. Then a {MILLION:,}-op "
       f"chain, autograd_lab only, run and timed once (not with `--quick`).")
MUL, ADD = 1.0001, 0.0001


def chain(y, length: int):
    for _ in range(length // 2):
        y = y * MUL + ADD
    return y


def numpy_grads_of_length(length: int):
    def numpy_grads(params, data):
        """Forward on NumPy scalars, then backward: the chain rule op by op.

        Neither op needs a saved value: d(y * c)/dy = c and d(y + c)/dy = 1, so the
        backward is one multiply per ``* c`` op and nothing for a ``+ c`` op.
        """
        (x,) = params
        y = chain(x, length)  # the forward, as the engines run it
        assert np.isfinite(y)
        grad = np.float64(1.0)
        for _ in range(length // 2):
            grad = grad * MUL
        return [np.asarray(grad)]

    return numpy_grads


def case(quick: bool) -> Case:
    length = QUICK_LENGTH if quick else LENGTH
    return Case(
        title=f"W3: chain of {length:,} 0-d float64 ops",
        unit="µs/op", per_call=1e6 / length, params=[np.array(0.5)], data=[],
        loss=lambda ops, x: chain(x, length), numpy_grads=numpy_grads_of_length(length),
        rtol=1e-9, atol=0.0,
        # one call takes a second or more: no loop needed, and few repeats
        repeats=2 if quick else 3, min_time=0.0,
    )


def million(limit: float = 60.0) -> dict:
    """Forward and backward of a 1,000,000-op chain in autograd_lab, timed once.

    Returns the seconds of each phase and the gradient; ``limit`` only flags a slow run
    (a run that takes longer is reported as such, not stopped).
    """
    import autograd_lab as al

    gc.collect()
    gc.freeze()  # as timing.interleaved does: the collector sees the chain's objects only
    x = al.tensor(0.5, dtype=al.float64, requires_grad=True)
    start = time.perf_counter()
    y = chain(x, MILLION)
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    del y  # the graph's nodes are freed here
    freed = time.perf_counter()
    expected = MUL ** (MILLION // 2)
    grad = float(x.grad)
    return {
        "ops": MILLION, "forward_s": built - start, "backward_s": done - built,
        "free_s": freed - done, "total_s": freed - start,
        "us_per_op": (freed - start) / MILLION * 1e6, "grad": grad,
        "grad_ok": bool(np.isclose(grad, expected, rtol=1e-8)), "expected": expected,
        "over_limit": freed - start > limit,
    }
