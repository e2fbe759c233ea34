"""Copies and dtype conversions: ``clone``, ``to``, ``detach``."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd import recording
from ._apply import apply_op, wrap_unrowed
from ._args import not_a_tensor
from ._table import REGISTRY, defop

__all__ = ["clone", "contiguous", "to", "detach"]


def _clone_forward(a: np.ndarray) -> np.ndarray:
    """A copy laid out as ``a`` (PyTorch's preserve_format); an expanded ``a`` (a stride 0
    over a dim of size > 1) is not dense, and is copied in C order, as PyTorch does."""
    expanded = any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape, strict=True))
    return np.copy(a, order="C" if expanded else "K")


@defop("clone", _clone_forward,
       math="grad_self = grad")
def _clone_backward(grad):
    """A copy passes the gradient through unchanged."""
    return grad


CLONE = REGISTRY["clone"]


@defop("contiguous", lambda a: a.copy(order="C"), node_name="CloneBackward0",
       math="grad_self = grad")
def _contiguous_backward(grad):
    """A copy in C order (PyTorch's clone(memory_format=contiguous_format)): the values are
    the input's, so the gradient passes through unchanged."""
    return grad


CONTIGUOUS = REGISTRY["contiguous"]


@defop("to", lambda a, np_dtype, self_np_dtype: a.astype(np_dtype), attrs=("dtype", "self_dtype"),
       node_name="ToCopyBackward0", exact_dtype=True,
       math="grad_self = grad.to(self_dtype)")
def _to_backward(grad, dtype, self_dtype):
    """Converting back: the gradient has the input's dtype."""
    return to(grad, self_dtype)


TO = REGISTRY["to"]


def clone(input: Tensor) -> Tensor:
    """A copy laid out as its input (PyTorch's preserve_format)."""
    return apply_op(CLONE, (input,))


def contiguous(input: Tensor) -> Tensor:
    """``input`` itself when its memory is in C order, else a copy in C order, so that
    ``x.mT.contiguous().view(-1)`` works as in PyTorch."""
    return input if input._data.flags.c_contiguous else apply_op(CONTIGUOUS, (input,))


def to(input: Tensor, *args, **kwargs) -> Tensor:
    """A tensor of the asked dtype (the same tensor if it already has it), as PyTorch's
    ``to(dtype)``, ``to(device, dtype)``, ``to(other)`` and keyword forms. Only the
    device "cpu" exists here."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("copy", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, str):
            device = arg
        elif isinstance(arg, Tensor):
            dtype = arg.dtype
        elif arg is not None:
            dtype = arg
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"autograd_lab runs on the CPU only; got device {device!r}")
    if dtype is None:
        return input
    np_dtype = _dtypes.to_numpy_dtype(dtype)
    if np_dtype == input._data.dtype:
        return input
    return apply_op(TO, (input,), (np_dtype, input._data.dtype))


def new_zeros(like: Tensor, size: tuple) -> Tensor:
    """Zeros of ``like``'s dtype, as PyTorch's ``like.new_zeros(size)``: the memory a
    formula writes its result into (index's, max's). An op, not a bare array, so a traced
    program makes the zeros itself on each run (Note [Recording ops])."""
    return wrap_unrowed("new_zeros", np.zeros(size, like._data.dtype), (like,), (tuple(size),))


def new_empty(like: Tensor, size: tuple) -> Tensor:
    """Memory of ``like``'s dtype with any values in it, as PyTorch's ``new_empty``: for a
    formula that writes every element before reading (max(dim)'s ``zero_`` then
    ``scatter_``, PyTorch's ``at::zeros``)."""
    return wrap_unrowed("new_empty", np.empty(size, like._data.dtype), (like,), (tuple(size),))


def detach(input: Tensor) -> Tensor:
    """The same memory (and version counter) outside the graph."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("detach", "input", 1, input)
    out = Tensor(input._data)
    out._vc = input._version_counter()
    if recording._active:  # Note [Recording ops]
        recording.report("detach", "view", (input,), (), (out,))
    return out
