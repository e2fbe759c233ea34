"""``F.dropout``: zero elements at random in training, scale the rest by 1/(1-p)."""

from __future__ import annotations

from .. import _creation
from .._tensor import Tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Keep each element with probability 1-p and divide by 1-p, so the mean is unchanged.

    The mask is drawn with ``al.rand`` (the generator ``al.manual_seed`` seeds), so a
    seeded run repeats exactly. In eval mode (``training=False``) it is the identity.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = _creation.rand(input.shape, dtype=input.dtype) >= p
    mask = keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.mul_(mask) if inplace else input * mask
