"""Special functions: ``erf`` and ``erfinv`` (``al.special``).

NumPy has neither, so ``erf`` uses the standard library's ``math.erf`` per element (exact,
and fast enough for teaching-sized tensors), and ``erfinv`` refines an initial guess
with Newton steps on ``erf`` until it is exact to the last bits.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._apply import apply_op
from ._table import REGISTRY, defop
from .pointwise import exp, scale

__all__ = ["erf", "erfinv"]

_erf_elementwise = np.vectorize(math.erf, otypes=[np.float64])  # 0-d: an array too
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _as_float(a: np.ndarray) -> np.ndarray:
    from .. import _dtypes

    return a if a.dtype.kind == "f" else a.astype(_dtypes.get_default_dtype().np)


def _erf_forward(a: np.ndarray) -> np.ndarray:
    a = _as_float(a)
    return _erf_elementwise(a).astype(a.dtype)


def _erfinv_forward(a: np.ndarray) -> np.ndarray:
    a = _as_float(a)
    y = a.astype(np.float64)
    # A rough inverse (Winitzki's approximation), then Newton on erf(x) - y = 0.
    c = 0.147
    ln = np.log1p(-y * y)
    t = 2 / (math.pi * c) + ln / 2
    x = np.sign(y) * np.sqrt(np.sqrt(t * t - ln / c) - t)
    finite = np.abs(y) < 1
    for _ in range(4):
        err = _erf_elementwise(np.where(finite, x, 0.0)).astype(np.float64) - y
        x = np.where(finite, x - err / (_TWO_OVER_SQRT_PI * np.exp(-x * x)), x)
    x = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, x))
    return np.where(np.abs(y) > 1, np.nan, x).astype(a.dtype)


@defop("erf", _erf_forward, save=("self",),
       math="grad_self = 2/√π * exp(-self.pow(2)) * grad")
def _erf_backward(grad, self):
    """d erf(x) = 2/sqrt(pi) * exp(-x**2), written as PyTorch's formula (so that a
    create_graph graph shows its ops: PowBackward0, NegBackward0, ExpBackward0,
    MulBackward1 for the number, MulBackward0)."""
    return scale(exp(-(self ** 2)), _TWO_OVER_SQRT_PI) * grad


ERF = REGISTRY["erf"]


@defop("erfinv", _erfinv_forward, save=("self",),
       math="grad_self = √π/2 * exp(self.erfinv().pow(2)) * grad")
def _erfinv_backward(grad, self):
    """d erfinv(y) = sqrt(pi)/2 * exp(erfinv(y)**2). As in PyTorch, the formula saves the
    input and computes erfinv again (an ErfinvBackward0 in a create_graph graph)."""
    return scale(exp(erfinv(self) ** 2), 0.5 * math.sqrt(math.pi)) * grad


ERFINV = REGISTRY["erfinv"]


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise."""
    return apply_op(ERF, (input,))


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function, elementwise (nan outside [-1, 1])."""
    return apply_op(ERFINV, (input,))
