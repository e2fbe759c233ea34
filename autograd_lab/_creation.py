"""Creation functions: ``tensor``, ``zeros``, ``arange``, ``randn`` and friends.

Python float data gets the default dtype (float32); NumPy arrays keep their dtype
when we support it. Random numbers come from one seeded generator (``manual_seed``).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _dtypes
from ._tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand",
           "randn", "randint", "rand_like", "randn_like", "manual_seed", "scalar_tensor"]

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind rand, randn and randint (for reproducible notebooks)."""
    global _rng
    _rng = np.random.default_rng(int(seed))
    return _rng


def _resolve(dtype, fallback: np.dtype | None = None, fn: str = "tensor") -> np.dtype | None:
    if dtype is None:
        return fallback
    return _dtypes.to_numpy_dtype(dtype, fn)


# ---- argument checks, in PyTorch's words (its argument parser's messages) ------------------
def _check_input(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")


def _check_bool(fn: str, name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}(): argument '{name}' must be bool, not {type(value).__name__}")


def _check_number(fn: str, name: str, position: int, value) -> None:
    if isinstance(value, Tensor) and value.numel() == 1:
        return
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Number, "
                        f"not {type(value).__name__}")


_WHAT = ("autograd_lab supports float32, float64, int64 and bool data: give numbers, "
         "nested lists of numbers, or a NumPy array")


def _from_python(data, float_dtype=None) -> np.ndarray:
    """``data`` as an array. Python floats are read as float64 and rounded once, to
    ``float_dtype`` when the caller asked for a dtype (``tensor([0.2], dtype=float64)`` is
    exactly 0.2, not 0.2 rounded to float32 first), else to PyTorch's inferred dtype."""
    if isinstance(data, Tensor):
        return data._data.copy()
    original = data
    if isinstance(data, (str, bytes)):
        raise TypeError(f"tensor(): invalid data type '{type(data).__name__}': {_WHAT}")
    if data is None or isinstance(data, (dict, set)):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _nested_values(data)
    try:
        arr = np.array(data)
    except ValueError:
        raise ValueError(
            "tensor(): expected nested sequences of equal length (a rectangular shape); "
            f"got ragged data: {_shape_report(data)}"
        ) from None
    if arr.dtype.kind in "USV":  # strings (or bytes) inside the lists
        raise TypeError(f"tensor(): invalid data type '{arr.dtype.type.__name__.rstrip('_')}': "
                        f"{_WHAT}")
    if arr.dtype == object:
        raise TypeError(
            "tensor(): could not build a tensor from this data; give numbers, nested lists of "
            "equal length, or a NumPy array."
        )
    if arr.dtype.kind == "f":
        return arr.astype(float_dtype if float_dtype is not None and float_dtype.kind in "fc"
                          else _float_dtype(original))
    return _dtypes.normalize_array(arr)


def _float_dtype(data) -> np.dtype:
    """PyTorch's inference for float data: Python floats take the default dtype, NumPy
    float scalars and tensors keep theirs, and the widest one wins."""
    elements = _flat(data) if isinstance(data, (list, tuple)) else (data,)
    wide = False
    for x in elements:
        if isinstance(x, (np.floating, np.ndarray, Tensor)):
            dt = x._data.dtype if isinstance(x, Tensor) else x.dtype
            if dt == np.float64:
                wide = True
                break
        elif isinstance(x, float) and _dtypes._default is _dtypes.float64:
            wide = True
            break
    return np.dtype(np.float64) if wide else np.dtype(np.float32)


def _shape_report(data, dim: int = 0) -> str:
    """PyTorch's wording for the first ragged dimension of nested lists."""
    if not isinstance(data, (list, tuple)) or not data:
        return "no ragged dimension found"
    lengths = [len(x) if isinstance(x, (list, tuple)) else None for x in data]
    first = lengths[0]
    for n in lengths:
        if n != first:
            if first is None or n is None:
                return f"expected all elements at dim {dim + 1} to be numbers or all sequences"
            return f"expected sequence of length {first} at dim {dim + 1} (got {n})"
    for x in data:
        report = _shape_report(x, dim + 1)
        if report.startswith("expected"):
            return report
    return "no ragged dimension found"


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _nested_values(data):
    if isinstance(data, Tensor):
        return data._data.tolist() if data._data.ndim else data._data.item()
    if isinstance(data, (list, tuple)):
        return [_nested_values(x) for x in data]
    return data


def _finish(arr: np.ndarray, requires_grad: bool, fn: str = "tensor") -> Tensor:
    _check_bool(fn, "requires_grad", requires_grad)
    out = Tensor(arr)
    if requires_grad:
        out.requires_grad = True  # the property checks that the dtype is floating point
    return out


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays or tensors).

    >>> import autograd_lab as al
    >>> al.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    if isinstance(data, np.ndarray):
        supported = data.dtype in _dtypes._FROM_NP
        arr = data.copy() if supported else _dtypes.normalize_array(data).copy()
    else:
        arr = _from_python(data, _resolve(dtype))
    np_dtype = _resolve(dtype)
    if np_dtype is not None and arr.dtype != np_dtype:
        arr = arr.astype(np_dtype)
    return _finish(arr, requires_grad)


def scalar_tensor(s, *, dtype=None) -> Tensor:
    _check_number("scalar_tensor", "s", 1, s)
    if isinstance(s, Tensor):
        raise TypeError("scalar_tensor(): argument 's' (position 1) must be Number, not Tensor")
    return tensor(s, dtype=dtype)


def as_tensor(data, *, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or returns a Tensor as is)."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in _dtypes._FROM_NP:
        np_dtype = _resolve(dtype, data.dtype)
        return Tensor(data if np_dtype == data.dtype else data.astype(np_dtype))
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtypes.from_numpy_dtype(array.dtype)  # a clear error for unsupported dtypes
    return Tensor(array)


def _shape(size, fn: str = "zeros") -> tuple:
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        if not isinstance(size[0], (tuple, list)) and type(size[0]).__name__ != "Size":
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(size[0]).__name__}")
        size = tuple(size[0])
    for k, s in enumerate(size):
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral):
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {k + 1} "
                            f'with error "type must be tuple of ints,but got {type(s).__name__}"')
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_shape(size, "zeros"), _resolve(dtype, _dtypes._default.np, "zeros")),
                   requires_grad, "zeros")


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_shape(size, "ones"), _resolve(dtype, _dtypes._default.np, "ones")),
                   requires_grad, "ones")


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_shape(size, "empty"), _resolve(dtype, _dtypes._default.np, "empty")),
                   requires_grad, "empty")


def _fill_dtype(value) -> np.dtype:
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return np.dtype(np.int64)
    return _dtypes._default.np


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_number("full", "fill_value", 2, fill_value)
    np_dtype = _resolve(dtype, _fill_dtype(fill_value), "full")
    return _finish(np.full(_shape((size,), "full"), fill_value, np_dtype), requires_grad, "full")


def zeros_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("zeros_like", input)
    return _finish(np.zeros(input.shape, _resolve(dtype, input._data.dtype, "zeros_like")),
                   requires_grad, "zeros_like")


def ones_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("ones_like", input)
    return _finish(np.ones(input.shape, _resolve(dtype, input._data.dtype, "ones_like")),
                   requires_grad, "ones_like")


def empty_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("empty_like", input)
    return _finish(np.empty(input.shape, _resolve(dtype, input._data.dtype, "empty_like")),
                   requires_grad, "empty_like")


def full_like(input: Tensor, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("full_like", input)
    _check_number("full_like", "fill_value", 2, fill_value)
    np_dtype = _resolve(dtype, input._data.dtype, "full_like")
    return _finish(np.full(input.shape, fill_value, np_dtype), requires_grad, "full_like")


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
        _check_number("arange", "end", 1, end)
    else:
        _check_number("arange", "start", 1, start)
        _check_number("arange", "end", 2, end)
        _check_number("arange", "step", 3, step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    fallback = np.dtype(np.int64) if ints else _dtypes._default.np
    return _finish(np.arange(start, end, step).astype(_resolve(dtype, fallback, "arange")),
                   requires_grad, "arange")


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_number("linspace", "start", 1, start)
    _check_number("linspace", "end", 2, end)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, "
                        f"not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _finish(np.linspace(start, end, steps).astype(_resolve(dtype, _dtypes._default.np)),
                   requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    for name, v in (("n", n), ("m", m)):
        if v is None and name == "m":
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, m, dtype=_resolve(dtype, _dtypes._default.np)), requires_grad)


def _random_floats(fn: str, np_dtype):
    """Random samples are floats: PyTorch refuses an integer or bool dtype (with
    NotImplementedError; NumPy would round them to zeros)."""
    if np_dtype.kind != "f":
        raise NotImplementedError(f"{fn}() is not implemented for dtype "
                                  f"{_dtypes.from_numpy_dtype(np_dtype)}: its samples need a "
                                  "floating point dtype")
    return np_dtype


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    np_dtype = _random_floats("rand", _resolve(dtype, _dtypes._default.np, "rand"))
    return _finish(_rng.random(_shape(size, "rand")).astype(np_dtype), requires_grad, "rand")


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    np_dtype = _random_floats("randn", _resolve(dtype, _dtypes._default.np, "randn"))
    return _finish(_rng.standard_normal(_shape(size, "randn")).astype(np_dtype), requires_grad,
                   "randn")


def randint(low, high=None, size=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size), as PyTorch allows
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = _rng.integers(low, high, size=_shape((size,))).astype(_resolve(dtype, np.dtype(np.int64)))
    return _finish(arr, requires_grad)


def rand_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("rand_like", input)
    _random_floats("rand_like", _resolve(dtype or input.dtype, None, "rand_like"))
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    _check_input("randn_like", input)
    _random_floats("randn_like", _resolve(dtype or input.dtype, None, "randn_like"))
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)
