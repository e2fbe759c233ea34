"""Pooling (``F.max_pool2d``, ``F.avg_pool2d`` and their 1-d forms): the arguments
checked here, in PyTorch's order and words; each pool is one row of ``_ops/nn.py`` (one
node, as PyTorch's), whose backward is one op again.
"""

from __future__ import annotations

from numbers import Integral

from .._ops import nn as _rows
from .._tensor import Tensor
from ._conv import pair

__all__ = ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"]


_out = _rows.pool_out_size


def _ints(value, arg: str, position: int, op: str) -> tuple:
    """``pair`` of a pooling argument, with PyTorch's TypeError for anything that is not an
    int or a tuple of ints (a string, None, a float)."""
    if isinstance(value, bool) or not (
            isinstance(value, Integral) or (isinstance(value, (tuple, list))
                                       and all(isinstance(v, Integral) for v in value))):
        raise TypeError(f"{op}(): argument '{arg}' (position {position}) must be tuple of ints, "
                        f"not {type(value).__name__}")
    return pair(value, arg)


def _geometry(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: Expected 3D or 4D (batch mode) tensor for input, got "
                           f"{input.ndim}D input of size {list(input.shape)}")
    k = _ints(kernel_size, "kernel_size", 2, name)
    s = k if stride is None or stride == () or stride == [] else _ints(stride, "stride", 3, name)
    p, d = _ints(padding, "padding", 4, name), _ints(dilation, "dilation", 5, name)
    # PyTorch's checks, in its order (pool2d_shape_check)
    if 0 in s:
        hint = ("the default stride is kernel_size: give a positive one" if s is k
                else "give a positive stride, or None for kernel_size")
        raise RuntimeError(f"stride should not be zero ({hint})")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if min(s) < 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    for i in range(2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    h, w = input.shape[-2:]
    oh, ow = (_out(n, k[i], s[i], p[i], d[i], ceil_mode) for i, n in enumerate((h, w)))
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[-3:]))}). "
                           f"Calculated output size: ({input.shape[-3]}x{oh}x{ow}). "
                           "Output size is too small")
    # ceil_mode may need extra room after the right/bottom padding
    extra = [max((o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (n + 2 * p[i]), 0)
             for i, (o, n) in enumerate(((oh, h), (ow, w)))]
    return k, s, p, d, (oh, ow), extra


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The largest value in each window (padding never wins): one node,
    MaxPool2DWithIndicesBackward0, as PyTorch's. ``return_indices`` also gives where each
    max is, a flat index into its (H, W) plane.

    >>> import autograd_lab as al
    >>> x = al.arange(16.0).reshape(1, 1, 4, 4)
    >>> al.nn.functional.max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    k, s, p, d, _, _ = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode,
                                 "max_pool2d")
    return _rows.max_pool2d(input, k, s, p, d, ceil_mode, return_indices)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window: one node, AvgPool2DBackward0, as PyTorch's. The divisor
    counts padding unless ``count_include_pad=False`` (never the part a ceil_mode window
    hangs past the padding), or is ``divisor_override``."""
    k, s, p, _, _, _ = _geometry(input, kernel_size, stride, padding, 1, ceil_mode,
                                 "avg_pool2d")
    return _rows.avg_pool2d(input, k, s, p, ceil_mode, count_include_pad, divisor_override)


def _pool1d(pool2d, name: str):
    """PyTorch's 1-d pooling is its 2-d pooling of a height-1 input: an unsqueeze, the
    2-d node (MaxPool2DWithIndicesBackward0, AvgPool2DBackward0), a squeeze
    (SqueezeBackward1)."""

    def pool(input: Tensor, kernel_size, stride=None, padding=0, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        if input.ndim not in (2, 3):
            raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got "
                               f"{list(input.shape)}")
        one = lambda v: v if v is None else (1, *_ints(v, "kernel_size", 2, name)[:1])  # noqa: E731
        out = pool2d(input.unsqueeze(-2), one(kernel_size),
                     None if stride is None or stride == () else one(stride),
                     (0, *_ints(padding, "padding", 4, name)[:1]), *args, **kwargs)
        if isinstance(out, tuple):
            return out[0].squeeze(-2), out[1].squeeze(-2)
        return out.squeeze(-2)

    pool.__name__ = pool.__qualname__ = name
    return pool


max_pool1d = _pool1d(max_pool2d, "max_pool1d")
max_pool1d.__doc__ = "``max_pool2d`` over windows of the last axis (PyTorch's graph: one node)."
avg_pool1d = _pool1d(avg_pool2d, "avg_pool1d")
avg_pool1d.__doc__ = "``avg_pool2d`` over windows of the last axis (PyTorch's graph: one node)."
