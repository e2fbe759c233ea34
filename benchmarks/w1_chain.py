"""W1: a chain of 200 elementwise ops on a 16-element float64 tensor (per-op overhead).

Step ``i`` applies ``STEPS[i % 4]``: ``* 1.001``, ``+ 0.01``, ``sin``, ``tanh``, in turn;
then the sum. The arrays are so small that the maths costs next to nothing: what is
measured is what an engine spends per op on recording a node and running it backwards.
Reported in microseconds per op (forward + backward of the whole chain, divided by 200).
"""

from __future__ import annotations

import numpy as np

from .common import Case, Target

LENGTH, SIZE = 200, 16
TARGET = Target(4.0)
HOW = (f"{LENGTH} elementwise ops (`* 1.001`, `+ 0.01`, `sin`, `tanh`, in turn) on a "
       f"{SIZE}-element float64 vector, then `sum()` and backward. The time of the whole "
       f"forward + backward divided by {LENGTH}.")

# Each step: (forward(x, ops), derivative(x, y)). ``ops`` is an engine adapter, or the
# ``np`` module for the hand-written version (both spell sin and tanh alike); the
# derivative, for the hand-written backward, is written from the step's input x and
# output y.
STEPS = (
    (lambda x, ops: x * 1.001, lambda x, y: 1.001),
    (lambda x, ops: x + 0.01, lambda x, y: 1.0),
    (lambda x, ops: ops.sin(x), lambda x, y: np.cos(x)),
    (lambda x, ops: ops.tanh(x), lambda x, y: 1.0 - y * y),
)


def loss(ops, x):
    for i in range(LENGTH):
        x = STEPS[i % len(STEPS)][0](x, ops)
    return ops.sum(x)


def numpy_grads(params, data):
    """Forward, keeping every step's output, then the chain rule step by step backwards."""
    (x,) = params
    values = [x]  # values[i] is the input of step i, values[i + 1] its output
    for i in range(LENGTH):
        values.append(STEPS[i % len(STEPS)][0](values[-1], np))
    grad = np.ones_like(x)  # d(sum)/d(last output)
    for i in reversed(range(LENGTH)):
        grad = grad * STEPS[i % len(STEPS)][1](values[i], values[i + 1])
    return [grad]


def case(quick: bool) -> Case:
    x = np.random.default_rng(0).standard_normal(SIZE)  # float64
    return Case(
        title=f"W1: {LENGTH} elementwise ops on a {SIZE}-element float64 tensor",
        unit="µs/op", per_call=1e6 / LENGTH, params=[x], data=[], loss=loss,
        numpy_grads=numpy_grads, rtol=1e-12, atol=1e-14,
    )
