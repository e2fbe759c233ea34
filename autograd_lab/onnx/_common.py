"""What the row mappings share: the output they must make, casts, constants, axes."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .errors import CannotMap
from .symbolic import GraphContext, Value, onnx_dtype

__all__ = ["Out", "cast", "scalar", "axis", "axes", "reduce", "reshape", "slice_", "CannotMap"]

INT64_MIN = np.iinfo(np.int64).min


class Out(NamedTuple):
    """What a program node computes: one output's ``dtype`` and ``shape``, or
    ``outputs`` as ``(dtype, shape)`` pairs for several."""

    dtype: np.dtype | None
    shape: tuple | None
    outputs: tuple

    @classmethod
    def of(cls, meta: dict) -> Out:
        """From a program node's ``meta``."""
        return cls(np.dtype(meta["dtype"]) if "dtype" in meta else None,
                   tuple(meta["shape"]) if "shape" in meta else None,
                   tuple((np.dtype(d), tuple(s)) for d, s in meta.get("outputs", ())))

    @property
    def ndim(self) -> int:
        assert self.shape is not None, "ndim is asked only of values whose shape is known"
        return len(self.shape)


def cast(g: GraphContext, value: Value, dtype) -> Value:
    """``value`` as ``dtype`` (a ``Cast`` node only when its dtype differs or is unknown)."""
    dtype = np.dtype(dtype)
    if value.dtype == dtype:
        return value
    return g.op("Cast", value, to_i=onnx_dtype(dtype)).set_type(dtype, value.shape)


def scalar(g: GraphContext, number, dtype) -> Value:
    """A 0-d constant of ``dtype`` (how a Python number in a row's attributes enters)."""
    return g.constant(np.asarray(number, dtype=dtype), name="scalar")


def axis(dim: int, ndim: int) -> int:
    """``dim`` counted from the front (PyTorch allows negative dims, some ONNX ops not)."""
    return dim + ndim if dim < 0 else dim


def axes(dims, ndim: int) -> list:
    if dims is None:
        return list(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    return [axis(d, ndim) for d in dims]


def reduce(g: GraphContext, op_type: str, x: Value, dims, keepdim: bool) -> Value:
    """``Reduce*`` over ``dims`` (``None``: all). Opset 18 moved ``axes`` from an attribute
    to an input for every reduction but ``ReduceSum`` (moved in 13)."""
    dims = None if dims is None or len(dims) == 0 else list(dims)
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.op(op_type, x, None if dims is None else g.ints(dims, "axes"),
                    keepdims_i=int(keepdim))
    return g.op(op_type, x, axes_i=dims, keepdims_i=int(keepdim))


def reshape(g: GraphContext, x: Value, shape) -> Value:
    """``x`` reshaped to the (static) ``shape`` the program recorded; a 0 there is a
    zero-size dimension, not ONNX's "copy this dimension"."""
    shape = tuple(shape)
    if x.shape is not None and tuple(x.shape) == shape:
        return x
    return g.op("Reshape", x, g.ints(shape, "shape"), allowzero_i=1 if 0 in shape else None)


def slice_(g: GraphContext, x: Value, starts, ends, dims, steps=None) -> Value:
    steps = [1] * len(starts) if steps is None else steps
    return g.op("Slice", x, g.ints(starts, "starts"), g.ints(ends, "ends"),
                g.ints(dims, "axes"), g.ints(steps, "steps"))
