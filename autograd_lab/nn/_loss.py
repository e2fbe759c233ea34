"""Losses: ``F.nll_loss``, ``F.cross_entropy``, ``F.mse_loss``, ``F.binary_cross_entropy``.

``nll_loss`` is one table row (``NllLossBackward0``), so ``cross_entropy`` is
``LogSoftmaxBackward0 -> NllLossBackward0`` as in PyTorch; label smoothing, probability
targets and the other losses are compositions of Tensor ops, whose gradients and second
derivatives come from the pieces. The reductions, weights, ``ignore_index`` and label
smoothing follow PyTorch's formulas (``aten/src/ATen/native/LossNLL.cpp``).
"""

from __future__ import annotations

import warnings

from .._ops import nn as _rows
from .._ops import pointwise
from .._ops.indexing import masked_fill
from .._ops.reductions import _TORCH_DTYPE_NAMES  # PyTorch's names: Long, Float
from .._tensor import Tensor
from ._activation import log_softmax

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "binary_cross_entropy"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _class_dim(input: Tensor) -> int:
    return 1 if input.ndim >= 2 else 0


def _weight_view(weight: Tensor, input: Tensor) -> Tensor:
    """``weight`` (one per class) shaped to broadcast along the class dimension."""
    trailing = input.ndim - _class_dim(input) - 1
    return weight.reshape(weight.shape[0], *([1] * trailing))


def _check_targets(input: Tensor, target: Tensor, name: str) -> None:
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected target of scalar type Long (class indices) but "
                           f"found {target.dtype}")
    expected = tuple(input.shape[:1] + input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(target.shape) != expected:
        if input.ndim >= 2 and target.ndim and target.shape[0] != input.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({target.shape[0]}).")
        raise RuntimeError(f"{name}: expected target of shape {list(expected)} for input of "
                           f"shape {list(input.shape)}, got {list(target.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (times weight[target[n]]), from log-probabilities ``input``.

    ``mean`` divides by the total weight of the targets that were not ignored. One node,
    ``NllLossBackward0``, as in PyTorch (see Note [nll_loss as one row] in _ops/nn.py).

    >>> import autograd_lab as al
    >>> logp = al.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> al.nn.functional.nll_loss(logp, al.tensor([0, 1]))
    tensor(0.3000)
    """
    _check_reduction(reduction)
    _check_targets(input, target, "nll_loss")
    n_classes = input.shape[_class_dim(input)]
    idx = target._data
    # Two reductions settle the common case (every target a class); only then is the
    # ignored index looked at, element by element.
    if idx.size and (idx.min() < 0 or idx.max() >= n_classes):
        bad = (idx != ignore_index) & ((idx < 0) | (idx >= n_classes))
        if bad.any():
            raise IndexError(f"Target {int(idx[bad].flat[0])} is out of bounds.")
    return _rows.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dimension, then the negative log-likelihood.

    ``target`` holds class indices (an int tensor), or class probabilities (a float
    tensor of ``input``'s shape). ``label_smoothing=eps`` mixes the target with the
    uniform distribution: (1 - eps) * nll + eps / C * (-sum of log-probabilities).

    >>> import autograd_lab as al
    >>> al.nn.functional.cross_entropy(al.tensor([[1000.0, 0.0]]), al.tensor([1]))
    tensor(1000.)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    dim = _class_dim(input)
    n_classes = input.shape[dim]
    logp = log_softmax(input, dim)
    if target._data.dtype.kind == "f":
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, input)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    ignored = Tensor(target._data == ignore_index)
    per_class = logp if weight is None else logp * _weight_view(weight, input)
    smooth = masked_fill(-per_class.sum(dim), ignored, 0.0)
    if reduction == "mean":
        total: float | Tensor  # how many targets count; with class weights, their weight
        if weight is None:
            total = float((~ignored._data).sum())
        else:
            total = weight[Tensor(target._data[~ignored._data])].sum()
        smooth = smooth.sum() / total
    else:
        smooth = _reduce(smooth, reduction)
    # PyTorch's graph: the two terms scaled by numbers (MulBackward1), then added
    return pointwise.scale(nll, 1 - label_smoothing) + pointwise.scale(
        smooth, label_smoothing / n_classes)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, input):
    """Soft targets: -sum_c target_c * log p_c (times weight_c); ``mean`` averages over
    the samples (and spatial positions), not over the weights."""
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"cross_entropy: expected probability target of shape "
                           f"{list(input.shape)}, got {list(target.shape)}")
    dim = _class_dim(input)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / input.shape[dim]
    prod = logp * target
    if weight is not None:
        prod = prod * _weight_view(weight, input)
    # PyTorch's graph: -sum over all (divided by the number of samples for mean), or
    # -sum over the classes for none
    if reduction == "none":
        return -prod.sum(dim)
    loss = -prod.sum()
    if reduction == "mean":
        loss = pointwise.divided(loss, input.numel() // input.shape[dim] if input.numel() else 0)
    return loss


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target) ** 2, reduced; warns if the shapes differ (broadcasting is
    then probably a bug, as PyTorch warns). One node, ``MseLossBackward0``, which saves
    both operands, as PyTorch's does."""
    _check_reduction(reduction)
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"mse_loss(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__} (wrap it with al.tensor(...))")
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=2)
    return _rows.mse_loss(input, target, reduction)


def _clamped_log(x: Tensor) -> Tensor:
    """log(x), but never below -100 (PyTorch's clamp that keeps log(0) finite); where
    x == 0 the gradient is 0 rather than inf * 0 = nan."""
    positive = x > 0
    return pointwise.where(positive, pointwise.where(positive, x, 1.0).log(), -100.0).clamp(
        min=-100.0)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities ``input`` in [0, 1]."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({list(target.shape)}) that is different to the "
                         f"input size ({list(input.shape)}) is deprecated. Please ensure they "
                         "have the same size.")
    if target.dtype != input.dtype:  # checked before the values, as PyTorch does
        found, expected = (_TORCH_DTYPE_NAMES.get(t._data.dtype.name, str(t.dtype))
                           for t in (target, input))
        raise RuntimeError(f"Found dtype {found} but expected {expected}")
    data = input._data
    if data.size and ((data < 0) | (data > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is None or not weight.requires_grad:  # PyTorch's one node
        return _rows.binary_cross_entropy(input, target, weight, reduction)
    # PyTorch refuses a weight that requires grad ("not differentiable with respect to
    # argument 'weight'"); here the composition of Tensor ops differentiates it too.
    loss = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    return _reduce(loss * weight, reduction)
