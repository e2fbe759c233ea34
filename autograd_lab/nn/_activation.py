"""Activations and the softmax family (``F.relu``, ``F.gelu``, ``F.softmax``...).

The pointwise maths lives in table rows (``_ops/nn.py``); this module checks arguments
the way PyTorch does and picks the row.
"""

from __future__ import annotations

import warnings

from .._ops import nn as _rows
from .._ops import pointwise
from .._tensor import Tensor, _wrap_dim

__all__ = ["relu", "gelu", "silu", "softplus", "tanh", "sigmoid", "softmax", "log_softmax"]


def _require_float(input: Tensor, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): expected a floating-point tensor, got {input.dtype}")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise.

    >>> import autograd_lab as al
    >>> al.nn.functional.relu(al.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu_() if inplace else pointwise.relu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the normal cdf); ``approximate="tanh"`` uses the tanh formula."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    _require_float(input, "gelu")
    return _rows.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _require_float(input, "silu")
    out = _rows.silu(input)
    return input.copy_(out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (no overflow)."""
    _require_float(input, "softplus")
    return _rows.softplus(input, beta, threshold)


def tanh(input: Tensor) -> Tensor:
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return pointwise.sigmoid(input)


def _softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's legacy choice when ``dim`` is not given (with its deprecation warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(input: Tensor, dim, dtype, name: str) -> tuple[Tensor, int]:
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, name)
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    return input, _wrap_dim(dim, input.ndim)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed with the max subtracted (no overflow).

    >>> import autograd_lab as al
    >>> al.nn.functional.softmax(al.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    input, dim = _prepare(input, dim, dtype, "softmax")
    return _rows.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim``: stable where log(softmax(x)) would give -inf."""
    input, dim = _prepare(input, dim, dtype, "log_softmax")
    return _rows.log_softmax(input, dim)

