"""What every workload shares: the ``Case`` it hands the runner, its ``Target``, the check.

A workload module (``w1_chain.py`` ...) defines a ``case(quick)`` function returning a
``Case``: the input arrays, the forward written once against an engine adapter (see
``engines.py``), and the same computation with its backward written by hand in NumPy.
The runner checks that every engine's gradients equal the hand-written ones, then times
them all, interleaved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Target:
    """The issue's goal for autograd_lab on one workload: ``value <= limit``.

    ``kind`` says what is compared: ``"ratio"`` (autograd_lab / hand-written NumPy) or
    ``"value"`` (the figure itself, in the workload's unit, as W3's microseconds per op).
    """

    limit: float
    kind: str = "ratio"
    extra: str = ""  # a condition checked elsewhere, shown with the limit (W3's 1M-op run)

    def describe(self, unit: str) -> str:
        text = f"≤ {self.limit:g}x" if self.kind == "ratio" else f"≤ {self.limit:g} {unit}"
        return f"{text}, {self.extra}" if self.extra else text

    def met(self, value: float, ratio: float) -> bool:
        return (ratio if self.kind == "ratio" else value) <= self.limit


@dataclass
class Case:
    """One workload, ready to run.

    ``loss(ops, *params, *data)`` is the forward pass, for any engine adapter ``ops``;
    it returns the scalar to differentiate. ``numpy_grads(params, data)`` is the same
    computation in NumPy with its backward written by hand; it returns the gradients
    of that scalar with respect to ``params``, in order.
    """

    title: str  # one line, as in the table
    unit: str  # how figures are shown: "µs/op", "ms/step", "MB"
    per_call: float  # seconds per call times this gives the figure in ``unit``
    params: Sequence[np.ndarray]  # differentiated: each engine makes leaves of them
    data: Sequence[np.ndarray]  # not differentiated (inputs, targets, constants)
    loss: Callable
    numpy_grads: Callable[[Sequence[np.ndarray], Sequence[np.ndarray]], list[np.ndarray]]
    rtol: float = 1e-4
    atol: float = 1e-6
    repeats: int | None = None  # None: the runner's default
    min_time: float | None = None  # None: the runner's default
    notes: list[str] = field(default_factory=list)


class CheckFailed(AssertionError):
    """An engine's gradients differ from the hand-written NumPy ones (value or dtype)."""


def check_grads(engine: str, got: Sequence, expected: Sequence[np.ndarray], rtol: float,
                atol: float) -> None:
    """Assert ``got`` equals the hand-written gradients: same count, shape, dtype, values.

    The dtype matters as much as the values: the gradient of a float32 input must be
    float32 (an engine that quietly computes in float64 would be doing other work).
    """
    if len(got) != len(expected):
        raise CheckFailed(f"{engine}: {len(got)} gradients, expected {len(expected)}")
    for i, (g, ref) in enumerate(zip(got, expected, strict=True)):
        g = np.asarray(g)
        if g.shape != ref.shape or g.dtype != ref.dtype:
            raise CheckFailed(f"{engine}: gradient {i} is {g.dtype}{list(g.shape)}, expected "
                              f"{ref.dtype}{list(ref.shape)}")
        if not np.allclose(g, ref, rtol=rtol, atol=atol):
            raise CheckFailed(f"{engine}: gradient {i} differs from the hand-written one by up "
                              f"to {np.abs(g - ref).max():.3g} (rtol={rtol:g}, atol={atol:g})")
