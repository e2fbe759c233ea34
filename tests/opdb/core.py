"""``OpInfo`` and ``SampleInput``: what the op database says about one op.

An ``OpInfo`` names the op's function, method and in-place variant, a NumPy reference,
and a generator of sample inputs; the tests in ``tests/test_opdb.py`` and the seed-004
port run every check on every sample (seed 004 is PyTorch's version of the same idea).
Samples are float64 and seeded, so a failing test names a reproducible case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_lab as al


@dataclass
class SampleInput:
    """One call: ``op(input, *args, **kwargs)``. ``name`` becomes part of the test id."""

    input: al.Tensor
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    name: str = ""

    def tensors(self) -> list[al.Tensor]:
        """The differentiable tensors of the call: the input, then tensor args."""
        return [self.input] + [a for a in self.args if isinstance(a, al.Tensor)]

    def with_tensors(self, tensors) -> tuple:
        """``(input, args)`` with the tensors replaced in order (non-tensors kept)."""
        it = iter(tensors)
        first = next(it)
        args = tuple(next(it) if isinstance(a, al.Tensor) else a for a in self.args)
        return first, args


@dataclass
class ErrorInput:
    sample: SampleInput
    error_type: type
    match: str


@dataclass
class OpInfo:
    """Everything the generated tests need to know about one op."""

    name: str
    op: Callable
    samples: Callable[[np.random.Generator], Iterator[SampleInput]]
    ref: Callable | None = None               # NumPy: ref(input_array, *args, **kwargs)
    method: str | None = None                 # Tensor method name, if any
    inplace: str | None = None                # in-place method name, if any
    supports_gradgrad: bool = True
    differentiable: bool = True               # False: no gradient (argmax, comparisons)
    errors: Callable[[], Iterator[ErrorInput]] | None = None
    atol: float = 1e-5
    rtol: float = 1e-3

    def call(self, sample: SampleInput, *tensors) -> Any:
        inp, args = sample.with_tensors(tensors or sample.tensors())
        return self.op(inp, *args, **sample.kwargs)


def make(rng: np.random.Generator, shape, low: float = -2.0, high: float = 2.0,
         away_from: tuple = (), requires_grad: bool = True) -> al.Tensor:
    """A seeded float64 tensor, with values kept away from the given kinks (0 for abs...)."""
    data = rng.uniform(low, high, size=shape)
    for point in away_from:
        close = np.abs(data - point) < 0.1
        data = np.where(close, data + 0.25 * np.sign(data - point + 1e-12), data)
    return al.tensor(data, dtype=al.float64, requires_grad=requires_grad)


def distinct(rng: np.random.Generator, shape, requires_grad: bool = True) -> al.Tensor:
    """Values with no ties (for max, sort, topk: the gradient is only defined without them)."""
    n = int(np.prod(shape)) if shape else 1
    data = rng.permutation(n).reshape(shape).astype(np.float64) * 0.37 - n * 0.15
    return al.tensor(data, dtype=al.float64, requires_grad=requires_grad)


def unary_samples(low=-2.0, high=2.0, away_from=()):
    """The standard shapes for an elementwise op: 0-d, 1-d, 2-d, a size-1 dim."""

    def samples(rng):
        for shape in [(), (5,), (3, 4), (2, 1, 3)]:
            yield SampleInput(make(rng, shape, low, high, away_from), name=f"shape{list(shape)}")

    return samples


def binary_samples(low=-2.0, high=2.0, other_low=None, other_high=None, away_from=()):
    """Same shapes, broadcast shapes, a 0-d tensor, and a Python number as ``other``."""
    olo = low if other_low is None else other_low
    ohi = high if other_high is None else other_high

    def samples(rng):
        for a, b, name in [((5,), (5,), "same"), ((3, 1), (1, 4), "broadcast"),
                           ((2, 3, 4), (4,), "broadcast_lead"), ((3,), (), "zero_dim_other")]:
            yield SampleInput(make(rng, a, low, high, away_from),
                              (make(rng, b, olo, ohi, away_from),), name=name)
        yield SampleInput(make(rng, (4,), low, high, away_from), (float((olo + ohi) / 2 + 0.3),),
                          name="python_scalar")

    return samples


def index(data) -> al.Tensor:
    """An int64 index tensor (no grad)."""
    return al.tensor(np.asarray(data, dtype=np.int64))


def mask(rng: np.random.Generator, shape) -> al.Tensor:
    """A seeded bool mask with at least one True and one False (when it has two elements)."""
    data = rng.uniform(size=shape) > 0.5
    flat = data.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[-1] = True, False
    return al.tensor(data)


def arr(x):
    """A NumPy array for a tensor argument (references receive the sample's args as is)."""
    return x.detach().numpy() if isinstance(x, al.Tensor) else x
