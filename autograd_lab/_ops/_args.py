"""Argument coercion: which arguments are numbers, and Tensors for those that must be;
and PyTorch's TypeError for an argument of the wrong type (``wrong_type``, which lives in
_tensor.py beside ``_wrap_dim``, its first user)."""

from __future__ import annotations

import functools

import numpy as np

from .. import _dtypes
from .._tensor import Tensor, _int_arg, wrong_type

__all__ = ["ALL_DIMS", "no_none_dim", "is_scalar", "python_scalar", "as_tensor_arg",
           "not_a_tensor", "wrong_type", "int_arg", "ints_arg", "takes_a_tensor"]

_F64 = np.dtype(np.float64)


_SCALARS = (int, float, bool, np.number, np.bool_)


def is_scalar(x) -> bool:
    """Python and NumPy numbers: kept as plain values, not graph inputs."""
    return isinstance(x, _SCALARS)


def python_scalar(x):
    """NumPy scalars as the Python number they hold (both are "weak" in promotion)."""
    return x.item() if isinstance(x, (np.number, np.bool_)) else x


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for an argument that must be one (lists and arrays become constants).

    A scalar next to a tensor ``like`` takes its dtype, as PyTorch's wrapped numbers do.
    """
    if isinstance(x, Tensor):
        return x
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"expected a Tensor or a number, not {type(x).__name__} ({x!r:.30})")
    if like is not None and is_scalar(x):
        x = python_scalar(x)
        dtype = like._data.dtype
        if isinstance(x, float) and dtype.kind != "f":
            dtype = _dtypes._default.np
        elif isinstance(x, int) and not isinstance(x, bool) and dtype.kind == "b":
            dtype = np.dtype(np.int64)
        return Tensor(np.asarray(x, dtype=dtype))
    arr = np.asarray(x)
    if arr.dtype == _F64 and not isinstance(x, np.ndarray):
        arr = arr.astype(_dtypes._default.np)
    return Tensor(_dtypes.normalize_array(arr) if not isinstance(x, np.ndarray) else arr)


def not_a_tensor(op: str, name: str, position: int, x, number: bool = False) -> TypeError:
    """PyTorch's error for an argument that must be a Tensor (or a number)."""
    kind = "Tensor or Number" if number else "Tensor"
    return TypeError(f"{op}(): argument '{name}' (position {position}) must be {kind}, "
                     f"not {type(x).__name__}")


def int_arg(value) -> int:
    """``value`` as an int (a NumPy integer, an integer 0-d tensor), or PyTorch's TypeError
    naming the argument: "chunk(): argument 'chunks' (position 2) must be int, not str"."""
    return value if type(value) is int else _int_arg(value)


def ints_arg(value) -> tuple[int, ...]:
    """An int or a sequence of ints (``roll``'s shifts, ``broadcast_to``'s size) as a tuple,
    or PyTorch's "roll(): argument 'shifts' (position 2) must be tuple of ints, not NoneType"."""
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            if type(v) is not int and (isinstance(v, (bool, np.bool_))
                                       or not hasattr(type(v), "__index__")):
                raise wrong_type(value, "tuple of ints", "size",
                                 f"but found element of type {type(v).__name__} at pos {i}")
        return tuple(v if type(v) is int else int_arg(v) for v in value)
    if type(value) is int or (hasattr(type(value), "__index__")
                              and not isinstance(value, (bool, np.bool_))):
        return (int_arg(value),)
    raise wrong_type(value, "tuple of ints", "size")


def takes_a_tensor(fn):
    """``fn(input, ...)`` raising PyTorch's "clone(): argument 'input' (position 1) must be
    Tensor, not str" when ``input`` is not a Tensor, instead of an AttributeError from inside.
    For the ``al.<name>`` functions: the Tensor methods, whose ``self`` is always a Tensor,
    stay unwrapped."""

    first = fn.__code__.co_varnames[0]  # "input", or "tensor" for split

    @functools.wraps(fn)  # name, docs, module; signature() follows __wrapped__ to fn's
    def checked(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise not_a_tensor(fn.__name__, first, 1, input)
        return fn(input, *args, **kwargs)

    return checked


class _AllDims:
    """The default ``dim`` of ``max``, ``min``, ``prod`` and ``squeeze``: all dims. PyTorch
    has no spelling for it (``x.max(None)`` is refused, unlike ``x.sum(None)``), so an
    explicit None is refused here too."""

    def __repr__(self) -> str:
        return "all dims"


ALL_DIMS = _AllDims()


def no_none_dim(name: str, dim):
    """``dim`` as the functions below read it: None for all dims; an explicit None refused."""
    if dim is None:
        raise TypeError(f"{name}(): argument 'dim' must be int, not NoneType (leave dim out "
                        "to use all dims)")
    return None if dim is ALL_DIMS else dim
