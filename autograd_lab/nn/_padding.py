"""``F.pad``: constant padding is a table row, and so is reflect padding of the last one
or two dims (ReflectionPad1D/2D, as PyTorch); replicate and circular are
advanced indexing (an index array built by ``np.pad`` on ``arange``), so their gradients
(scatter-adds) come from indexing."""

from __future__ import annotations

from numbers import Integral
from typing import Literal

import numpy as np

from .._ops.nn import constant_pad, reflection_pad
from .._tensor import Tensor

__all__ = ["pad"]

# PyTorch's name of each index-built mode, and np.pad's name for it.
_NUMPY_MODE: dict[str, Literal["reflect", "edge", "wrap"]] = {
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


def _pairs(pad, ndim: int) -> tuple:
    """PyTorch's flat ``(left_last, right_last, left_prev, ...)`` as per-axis pairs."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return tuple(pairs)


def _check_reflect(input: Tensor, pairs) -> None:
    for axis, (lo, hi) in enumerate(pairs):
        if min(lo, hi) < 0:
            raise RuntimeError(f"pad: negative padding is only supported in constant mode, "
                               f"got {lo, hi}")
        if max(lo, hi) >= input.shape[axis] and (lo or hi):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{axis} of input {list(input.shape)}")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions; negative pads crop (constant mode).

    >>> import autograd_lab as al
    >>> al.nn.functional.pad(al.tensor([1.0, 2.0]), (1, 2), value=9.0)
    tensor([9., 1., 2., 9., 9.])
    """
    if not isinstance(pad, (tuple, list)) or not all(isinstance(p, Integral) for p in pad):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    pairs = _pairs(pad, input.ndim)
    if mode == "constant":
        return constant_pad(input, pairs, 0 if value is None else value)
    if mode not in _NUMPY_MODE:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode == "reflect":
        _check_reflect(input, pairs)
        n = len(pad) // 2
        if n in (1, 2) and input.ndim in (n + 1, n + 2):  # PyTorch's ReflectionPad1D/2D
            return reflection_pad(input, tuple(pad))
    out = input
    for axis, (lo, hi) in enumerate(pairs):
        if lo == hi == 0:
            continue
        size = input.shape[axis]
        if min(lo, hi) < 0:
            raise RuntimeError(f"pad: negative padding is only supported in constant mode, "
                               f"got {lo, hi}")
        if mode == "reflect" and max(lo, hi) >= size:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{axis} of input {list(input.shape)}")
        index = np.pad(np.arange(size), (lo, hi), mode=_NUMPY_MODE[mode])
        out = out[(slice(None),) * axis + (index,)]
    return out
