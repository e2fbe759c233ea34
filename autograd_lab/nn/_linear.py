"""``F.linear`` and ``F.embedding``: an affine map, and a row lookup."""

from __future__ import annotations

import numpy as np

from .._ops import linalg
from .._ops import nn as _rows
from .._tensor import Tensor

__all__ = ["linear", "embedding"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; weight is ``(out_features, in_features)``.

    >>> import autograd_lab as al
    >>> F = al.nn.functional
    >>> F.linear(al.tensor([[1.0, 2.0]]), al.tensor([[1.0, 1.0]]), al.tensor([0.5]))
    tensor([[3.5000]])
    """
    in_features = input.shape[-1] if input.ndim else 1
    if weight.ndim not in (1, 2) or weight.shape[-1] != in_features or input.ndim == 0:
        # PyTorch's wording: the input as a matrix (leading dims flattened) times weight.T.
        rows = int(np.prod(input.shape[:-1])) if input.ndim > 1 else 1
        w = weight.shape if weight.ndim == 2 else (1,) + tuple(weight.shape)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_features} and "
                           f"{'x'.join(map(str, w[::-1]))})")
    if bias is None or weight.ndim != 2:
        out = input @ (weight.t() if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    # PyTorch's graph: one AddmmBackward0, with the input viewed as a matrix (and the
    # result viewed back) when it is not one already.
    if input.ndim == 2:
        return linalg.addmm(bias, input, weight.t())
    as_matrix = input.reshape(-1, in_features)
    return linalg.addmm(bias, as_matrix, weight.t()).reshape(*input.shape[:-1], weight.shape[0])


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input`` (a lookup table).

    Rows looked up at ``padding_idx`` get no gradient, as in PyTorch.
    """
    if input._data.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.dtype} instead "
                           "(while checking arguments for embedding)")
    n = weight.shape[0]
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"index out of range in self (embedding of {n} rows, got index "
                         f"{int(idx.max() if idx.max() >= n else idx.min())})")
    if padding_idx is None:
        padding_idx = -1
    elif padding_idx < 0:
        padding_idx += n
    return _rows.embedding(weight, input, padding_idx)
