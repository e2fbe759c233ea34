"""``F.layer_norm``: normalise over the trailing ``normalized_shape`` dimensions."""

from __future__ import annotations

from numbers import Integral

from .._ops import nn as _rows
from .._tensor import Tensor

__all__ = ["layer_norm"]


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last dims (biased var).

    One node, ``NativeLayerNormBackward0``, which saves the input (as PyTorch's); its
    formula is written with Tensor ops, so second derivatives come from theirs.
    """
    if not isinstance(normalized_shape, (int, tuple, list)) or (
            not isinstance(normalized_shape, int)
            and not all(isinstance(n, Integral) for n in normalized_shape)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type(normalized_shape).__name__}")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(shape)}, "
                               f"got {list(t.shape)}")
    return _rows.layer_norm(input, shape, weight, bias, eps)
