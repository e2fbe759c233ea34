"""Pooling (``F.max_pool2d``, ``F.avg_pool2d``): im2col windows, then max or mean.

The max goes through ``Tensor.max(dim)``, whose backward places each gradient at the
winning element (the first on ties, as PyTorch), so no index bookkeeping is needed here.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .._ops.nn import im2col
from .._tensor import Tensor
from ._conv import pair
from ._padding import pad

__all__ = ["max_pool2d", "avg_pool2d"]


def _out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode the last window may hang over the
    end, but must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


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
    """The largest value in each window; padding is -inf, so it never wins.

    >>> import autograd_lab as al
    >>> x = al.arange(16.0).reshape(1, 1, 4, 4)
    >>> al.nn.functional.max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    k, s, p, d, (oh, ow), extra = _geometry(input, kernel_size, stride, padding, dilation,
                                            ceil_mode, "max_pool2d")
    x = input
    if any(p) or any(extra):
        x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]), value=float("-inf"))
    cols = im2col(x, k, d, s)  # (..., kh, kw, OH, OW)
    lead = tuple(input.shape[:-2])
    values, window = cols.reshape(*lead, k[0] * k[1], oh, ow).max(dim=-3)
    if not return_indices:
        return values
    # the flat index into each (H, W) plane of the winner, as PyTorch returns it
    ki, kj = np.divmod(window.numpy(), k[1])
    rows = np.arange(oh)[:, None] * s[0] - p[0] + ki * d[0]
    cols_ = np.arange(ow)[None, :] * s[1] - p[1] + kj * d[1]
    return values, Tensor((rows * input.shape[-1] + cols_).astype(np.int64))


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window; the divisor counts padding unless ``count_include_pad=False``
    (never the part a ceil_mode window hangs past the padding), as in PyTorch."""
    k, s, p, d, (oh, ow), extra = _geometry(input, kernel_size, stride, padding, 1, ceil_mode,
                                            "avg_pool2d")
    x = input
    if any(p) or any(extra):
        x = pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]))
    sums = im2col(x, k, d, s).sum((-4, -3))
    if divisor_override:
        return sums / divisor_override
    h, w = input.shape[-2:]
    inside = np.zeros(x.shape[-2:])  # which padded positions count towards the divisor
    if count_include_pad:
        inside[: h + 2 * p[0], : w + 2 * p[1]] = 1
    else:
        inside[p[0]: p[0] + h, p[1]: p[1] + w] = 1
    windows = np.lib.stride_tricks.sliding_window_view(inside, k)[:: s[0], :: s[1]]
    counts = windows.sum((-2, -1))[:oh, :ow]
    return sums / Tensor(counts.astype(input._data.dtype))
