"""``F.dropout``: zero elements at random in training, scale the rest by 1/(1-p)."""

from __future__ import annotations

from .. import _creation
from .._ops.reductions import _TORCH_DTYPE_NAMES  # PyTorch's names: Long, Float
from .._tensor import Tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Keep each element with probability 1-p and divide by 1-p, so the mean is unchanged.

    The mask is drawn with ``al.rand`` (the generator ``al.manual_seed`` seeds), so a
    seeded run repeats exactly. In eval mode (``training=False``) it is the identity.
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"dropout(): argument 'p' must be float, not {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if not input.is_floating_point():  # the mask scaled by 1/(1-p) is a float
        name = _TORCH_DTYPE_NAMES.get(input._data.dtype.name, str(input.dtype))
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = _creation.rand(input.shape, dtype=input.dtype) >= p
    mask = keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(mask) if inplace else input * mask
