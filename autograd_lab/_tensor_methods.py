"""The one place that binds ops onto ``Tensor`` as methods and operators.

Keeping this separate from ``_tensor.py`` means the Tensor class reads as a list of
state, and each op is written once, as a function, in its family module.
"""

from __future__ import annotations

import numpy as np

from . import _dtypes
from ._ops import (
    conversion,
    indexing,
    inplace,
    linalg,
    pointwise,
    reductions,
    sorting,
    special,
    views,
)
from ._ops import nn as nn_rows
from ._ops._args import is_scalar, not_a_tensor
from ._tensor import Tensor, _wrap_dim
from .autograd import engine, tensor_hooks


def _softmax_method(row, name: str):
    """``x.softmax(dim)`` / ``x.log_softmax(dim)``: the rows F.softmax runs, with the
    method's required ``dim`` (F's own checks live in nn, a layer above this one)."""
    def method(self, dim, dtype=None):
        x = self if dtype is None else conversion.to(self, dtype)
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"{name}(): expected a floating-point tensor, got {x.dtype}")
        return row(x, _wrap_dim(dim, x._data.ndim))
    method.__name__ = name
    return method


__all__: list[str] = []


def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    method.__name__ = f"r{fn.__name__}"
    return method


def _comparison(fn):
    """``x == other`` and the other comparison operators. As in PyTorch, an ``other`` that
    is neither a Tensor nor a number (a str, None, a list) gets NotImplemented, so Python
    answers: ``x == "a"`` is False, ``x in [None]`` works, ``x < "a"`` raises TypeError."""

    def method(self, other):
        if isinstance(other, Tensor) or is_scalar(other):
            return fn(self, other)
        return NotImplemented

    method.__name__ = method.__qualname__ = f"__{fn.__name__}__"
    return method


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradient of this tensor into the leaves' ``.grad``.

    >>> import autograd_lab as al
    >>> x = al.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """
    engine.backward((self,), None if gradient is None else (gradient,), retain_graph,
                    create_graph, inputs)


def _requires_grad_(self, requires_grad: bool = True):
    """Set ``requires_grad`` of a leaf; on a non-leaf only ``True`` (a no-op) is allowed."""
    if type(requires_grad) is not bool:  # PyTorch refuses 1, "yes", None and tensors too
        raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, "
                        f"not {type(requires_grad).__name__}")
    if not (requires_grad and self._grad_fn is not None):
        self.requires_grad = requires_grad
    return self


def _detach_(self):
    """Make this tensor a leaf that does not require grad, in place."""
    if self._base is not None and self._grad_fn is not None:
        raise RuntimeError("Can't detach views in-place. Use detach() instead.")
    self._grad_fn = None
    self._requires_grad = False
    return self


def _type_as(self, other):
    """This tensor converted to ``other``'s dtype."""
    if not isinstance(other, Tensor):
        raise not_a_tensor("type_as", "other", 1, other)
    return conversion.to(self, other.dtype)


def _T(self):  # noqa: N802
    return views.permute(self, tuple(reversed(range(self._data.ndim))))


def _logical_not(self):
    if self._data.dtype != np.bool_:
        raise TypeError("~ (bitwise not) is only supported for bool tensors here")
    return pointwise.logical_not(self)


_METHODS = {
    # pointwise
    "add": pointwise.add, "sub": pointwise.sub, "mul": pointwise.mul, "div": pointwise.div,
    "neg": pointwise.neg, "pow": pointwise.pow, "exp": pointwise.exp, "log": pointwise.log,
    "expm1": pointwise.expm1, "log1p": pointwise.log1p, "sqrt": pointwise.sqrt,
    "rsqrt": pointwise.rsqrt, "reciprocal": pointwise.reciprocal, "square": pointwise.square,
    "softmax": _softmax_method(nn_rows.softmax, "softmax"),
    "log_softmax": _softmax_method(nn_rows.log_softmax, "log_softmax"),
    "abs": pointwise.abs, "sign": pointwise.sign, "sgn": pointwise.sgn, "sin": pointwise.sin,
    "cos": pointwise.cos,
    "tan": pointwise.tan, "sinh": pointwise.sinh, "cosh": pointwise.cosh, "asin": pointwise.asin,
    "acos": pointwise.acos, "atan": pointwise.atan, "tanh": pointwise.tanh,
    "sigmoid": pointwise.sigmoid, "relu": pointwise.relu, "clamp": pointwise.clamp,
    "clip": pointwise.clamp, "maximum": pointwise.maximum, "minimum": pointwise.minimum,
    "where": lambda self, condition, other: pointwise.where(condition, self, other),
    "eq": pointwise.eq, "ne": pointwise.ne, "lt": pointwise.lt, "le": pointwise.le,
    "gt": pointwise.gt, "ge": pointwise.ge, "logical_not": pointwise.logical_not,
    # reductions
    "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max, "min": reductions.min,
    "amax": reductions.amax, "amin": reductions.amin, "argmax": reductions.argmax,
    "argmin": reductions.argmin, "sum_to_size": reductions.sum_to_size,
    "prod": reductions.prod, "var": reductions.var, "std": reductions.std,
    "logsumexp": reductions.logsumexp, "norm": reductions.norm, "cumsum": reductions.cumsum,
    "cumprod": reductions.cumprod,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "dot": linalg.dot,
    "outer": linalg.outer,
    # shapes
    "reshape": views.reshape, "view": views.view, "transpose": views.transpose,
    "permute": views.permute, "t": views.t, "expand": views.expand, "expand_as": views.expand_as,
    "broadcast_to": views.broadcast_to, "squeeze": views.squeeze, "unsqueeze": views.unsqueeze,
    "flatten": views.flatten, "movedim": views.movedim, "narrow": views.narrow,
    "select": views.select, "diagonal": views.diagonal, "unbind": views.unbind,
    "split": views.split, "chunk": views.chunk, "repeat": views.repeat, "tile": views.tile,
    "flip": views.flip, "roll": views.roll,
    # indexing
    "gather": indexing.gather, "scatter": indexing.scatter,
    "index_select": indexing.index_select, "masked_fill": indexing.masked_fill,
    "masked_select": indexing.masked_select, "triu": indexing.triu, "tril": indexing.tril,
    # copies and conversions
    "clone": conversion.clone, "to": conversion.to, "detach": conversion.detach,
    "double": lambda self: conversion.to(self, _dtypes.float64),
    "float": lambda self: conversion.to(self, _dtypes.float32),
    "long": lambda self: conversion.to(self, _dtypes.int64),
    "type_as": _type_as,
    "contiguous": conversion.contiguous,
    "is_contiguous": lambda self: bool(self._data.flags.c_contiguous),
    "cpu": lambda self: self,  # everything lives on the CPU here
    "topk": sorting.topk, "take_along_dim": sorting.take_along_dim,
    "erf": special.erf, "erfinv": special.erfinv,
    # in place (x.add_(y) ...; see _ops/inplace.py)
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "pow_": inplace.pow_, "neg_": inplace.neg_, "clamp_": inplace.clamp_, "clip_": inplace.clamp_,
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_,
    "scatter_": inplace.scatter_, "masked_fill_": inplace.masked_fill_,
    "index_put_": inplace.index_put_, "_index_put_impl_": inplace._index_put_impl_,
    "triu_": inplace.triu_, "tril_": inplace.tril_,
    **inplace.UNARY_INPLACE,
    # autograd
    "backward": _backward, "requires_grad_": _requires_grad_, "detach_": _detach_,
    "retain_grad": tensor_hooks.retain_grad, "register_hook": tensor_hooks.register_hook,
    "register_post_accumulate_grad_hook": tensor_hooks.register_post_accumulate_grad_hook,
}

_OPERATORS = {
    "__add__": pointwise.add_operator, "__radd__": _reflected(pointwise.add_operator),
    "__sub__": pointwise.sub, "__rsub__": _reflected(pointwise.sub),
    "__mul__": pointwise.mul, "__rmul__": _reflected(pointwise.mul),
    "__truediv__": pointwise._true_div, "__rtruediv__": _reflected(pointwise._true_div),
    "__pow__": pointwise.pow, "__rpow__": _reflected(pointwise.pow),
    "__matmul__": linalg.matmul, "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": pointwise.neg, "__pos__": lambda self: self, "__abs__": pointwise.abs,
    "__eq__": _comparison(pointwise.eq), "__ne__": _comparison(pointwise.ne),
    "__lt__": _comparison(pointwise.lt), "__le__": _comparison(pointwise.le),
    "__gt__": _comparison(pointwise.gt), "__ge__": _comparison(pointwise.ge),
    "__and__": pointwise.logical_and, "__or__": pointwise.logical_or,
    "__invert__": _logical_not,
    "__getitem__": indexing.getitem, "__setitem__": inplace.setitem,
    "__iadd__": inplace.iadd, "__isub__": inplace.isub, "__imul__": inplace.imul,
    "__itruediv__": inplace.itruediv, "__ipow__": inplace.ipow,
}

for _name, _fn in {**_METHODS, **_OPERATORS}.items():
    setattr(Tensor, _name, _fn)

# The stub declares T and mT as properties; binding them here is what it describes.
Tensor.T = property(_T)  # type: ignore[method-assign, assignment]
Tensor.mT = property(views.mT)  # type: ignore[method-assign, assignment]
