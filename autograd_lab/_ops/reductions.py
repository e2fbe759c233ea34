"""Reductions: sum, mean, max/min, amax/amin, prod, var/std, logsumexp, norm, with ``dim``
and ``keepdim``; and the scans cumsum/cumprod.

Every backward here first puts the reduced dimensions back (``_restore_dims``) so
that the incoming gradient lines up with the input again, then spreads it out.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from .._shapes import expands_to
from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import state
from . import pointwise
from ._table import apply_op, defop
from .views import expand, movedim, reshape, unsqueeze

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "sum_to_size",
           "normalize_dims", "prod", "var", "std", "logsumexp", "norm", "cumsum", "cumprod"]

# PyTorch returns ``(values, indices)`` as a named tuple from max/min with a dim.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    axes = tuple(sorted(_wrap_dim(int(d), ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return ()  # a 0-d tensor accepts dim 0 or -1 (as PyTorch) and has nothing to reduce
    return axes


def _restore_dims(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Re-insert the reduced axes of size 1 so that ``grad`` broadcasts against the input."""
    if keepdim or not shape:
        return grad
    kept = tuple(1 if axis in dims else size for axis, size in enumerate(shape))
    return reshape(grad, kept)


def _restore_dims_array(grad: np.ndarray, shape: tuple, dims: tuple, keepdim: bool):
    """``_restore_dims`` on an array (for the NumPy formulas)."""
    if keepdim or not shape:
        return grad
    return grad.reshape(tuple([1 if axis in dims else size for axis, size in enumerate(shape)]))


# Note [Fast partial sums]
# NumPy sums a float array over *some* of its axes far below memory speed when the axes
# it keeps or reduces are short: over the middle axis of (64, 128, 32), or the last axis
# of (8192, 32), it is 5 to 20 times slower than a product with a vector of ones, which
# BLAS runs at memory speed (gemv). Such sums are in every backward pass: each broadcast
# input's gradient is summed back down to its shape (``sum_to_size``, which the engine
# calls), and means and softmaxes reduce one axis. ``partial_sum`` merges the axes of a
# contiguous array into runs (kept, reduced, kept, ...) and reduces each reduced run
# with one matrix-vector product; a reduced axis along which the array repeats itself
# (stride 0: an expanded gradient) is not added up at all, but read once and multiplied.
# Accuracy: over a leading or middle axis NumPy adds the rows one after another, as the
# product with ones does; over the last, contiguous axis NumPy sums pairwise, which is
# more accurate on long runs, so trailing runs longer than 1024 stay with NumPy, and so
# do full reductions (pairwise too) and everything that is not float32/float64.
_BLAS_DTYPES = frozenset([np.dtype(np.float32), np.dtype(np.float64)])
_SMALL = 1024  # below this many elements np.sum's lower call overhead wins
_LONG_TRAILING = 1024
_ONES: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A vector of ``n`` ones; cached (read-only) up to a size not worth keeping."""
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = np.ones(n, dtype)
        if n <= 65536:
            if len(_ONES) >= 64:
                _ONES.clear()
            ones.flags.writeable = False
            _ONES[key] = ones
    return ones


# np.sum on an ndarray is this ufunc method behind a Python wrapper that sorts out its
# keyword arguments: about a microsecond a call, more than a small sum itself.
_add_reduce = np.add.reduce


def partial_sum(a: np.ndarray, axes: tuple, keepdims: bool = False) -> np.ndarray:
    """``np.sum(a, axis=axes, keepdims=keepdims)`` for sorted non-negative ``axes``, at
    memory speed for partial float sums (see Note [Fast partial sums])."""
    if a.dtype not in _BLAS_DTYPES or a.size < _SMALL or not axes:
        return _add_reduce(a, axis=axes, keepdims=keepdims)
    shape = a.shape
    factor = 1
    if 0 in a.strides:  # repeated along a reduced axis: read once, multiply
        index = []
        for axis, (size, stride) in enumerate(zip(shape, a.strides, strict=True)):
            if stride == 0 and size > 1 and axis in axes:
                index.append(slice(0, 1))
                factor *= size
            else:
                index.append(slice(None))
        a = a[tuple(index)]
    if len(axes) == a.ndim or not a.flags.c_contiguous:
        out = _add_reduce(a, axis=axes, keepdims=keepdims)
        return out * factor if factor != 1 else out
    if len(axes) == 1:  # the common case, with less bookkeeping
        axis = axes[0]
        r = a.shape[axis]  # 1 if the array repeated itself along it (then ``factor``)
        pre = 1
        for size in a.shape[:axis]:
            pre *= size
        post = a.size // (pre * r)
        ones = _ones(r, a.dtype)
        if post == 1:  # a contiguous run: NumPy's pairwise sum if it is long
            m = a.reshape(pre, r)
            out = np.sum(m, axis=1) if r > _LONG_TRAILING else m @ ones
        elif pre == 1:
            out = ones @ a.reshape(r, post)
        else:
            out = np.matmul(ones.reshape(1, r), a.reshape(pre, r, post))
        tail = shape[axis + 1:]
        out = out.reshape(shape[:axis] + (1,) + tail if keepdims else shape[:axis] + tail)
        return out * factor if factor != 1 else out
    if a.size < 4 * _SMALL:  # several runs: more calls, worth it from about 4096 elements
        out = np.sum(a, axis=axes, keepdims=keepdims)
        return out * factor if factor != 1 else out
    runs = []  # [size, reduced] for runs of adjacent axes (size-1 axes dropped)
    for axis, size in enumerate(a.shape):
        if size != 1:
            reduced = axis in axes
            if runs and runs[-1][1] == reduced:
                runs[-1][0] *= size
            else:
                runs.append([size, reduced])
    out = a
    dtype = a.dtype
    for i in range(len(runs)):
        if not runs[i][1]:
            continue
        r = runs[i][0]
        pre = 1
        for size, _ in runs[:i]:
            pre *= size
        post = 1
        for size, _ in runs[i + 1:]:
            post *= size
        if pre == 1 and post == 1:
            out = _add_reduce(out, axis=None)
        elif pre == 1:
            out = _ones(r, dtype) @ out.reshape(r, post)
        elif post == 1:
            m = out.reshape(pre, r)
            out = np.sum(m, axis=1) if r > _LONG_TRAILING else m @ _ones(r, dtype)
        else:
            out = np.matmul(_ones(r, dtype).reshape(1, r), out.reshape(pre, r, post))
        runs[i][0] = 1  # reduced away; the runs before it are now one with it in size
    if keepdims:
        out_shape = tuple([1 if axis in axes else size for axis, size in enumerate(shape)])
    else:
        out_shape = tuple([size for axis, size in enumerate(shape) if axis not in axes])
    out = out.reshape(out_shape)
    return out * factor if factor != 1 else out


def _sum_forward(a, dims, keepdim, self_shape):
    return partial_sum(a, dims, keepdim)


@defop("sum", _sum_forward, attrs=("dim", "keepdim", "self_sym_sizes"))
def _sum_backward(grad, dim, keepdim, self_sym_sizes):
    """Each input element contributed once to its sum: d sum = 1, spread by expand."""
    return expand(_restore_dims(grad, self_sym_sizes, dim, keepdim), self_sym_sizes)


@_sum_backward.on_arrays
def _sum_backward_arrays(grad, dim, keepdim, self_sym_sizes):
    # A read-only broadcast view: no copy of the gradient per element (Note [Two formulas]).
    return np.broadcast_to(_restore_dims_array(grad, self_sym_sizes, dim, keepdim),
                           self_sym_sizes)


# PyTorch names the node SumBackward0 for sum() and SumBackward1 for sum(dim).
_sum_dim_spec = defop("sum_dim", _sum_forward, attrs=("dim", "keepdim", "self_sym_sizes"),
                      node_name="SumBackward1")(_sum_backward.backward)
_sum_dim_spec.on_arrays(_sum_backward_arrays)


def _mean_forward(a, dims, keepdim, self_shape, count):
    if a.dtype not in _BLAS_DTYPES:
        return np.mean(a, axis=dims, keepdims=keepdim)
    # np.mean is a sum divided by the count too, in the input's float dtype
    return partial_sum(a, dims, keepdim) / count


@defop("mean", _mean_forward, attrs=("dim", "keepdim", "self_sym_sizes", "count"))
def _mean_backward(grad, dim, keepdim, self_sym_sizes, count):
    """d mean = 1/N for each of the N elements averaged."""
    return expand(_restore_dims(grad, self_sym_sizes, dim, keepdim), self_sym_sizes) / count


@_mean_backward.on_arrays
def _mean_backward_arrays(grad, dim, keepdim, self_sym_sizes, count):
    # divide the small gradient, then broadcast it (read-only, no copy)
    return np.broadcast_to(_restore_dims_array(grad / count, self_sym_sizes, dim, keepdim),
                           self_sym_sizes)


_mean_dim_spec = defop("mean_dim", _mean_forward,
                       attrs=("dim", "keepdim", "self_sym_sizes", "count"),
                       node_name="MeanBackward1")(_mean_backward.backward)
_mean_dim_spec.on_arrays(_mean_backward_arrays)


def _amax_forward(a, dims, keepdim):
    return np.amax(a, axis=dims, keepdims=keepdim)


def _amin_forward(a, dims, keepdim):
    return np.amin(a, axis=dims, keepdims=keepdim)


def _extreme_backward(grad, self, result, dim, keepdim):
    """The gradient goes to the elements equal to the extreme, split evenly among ties."""
    shape = self.shape
    hit = self == _restore_dims(result, shape, dim, keepdim)
    count = hit.sum(dim=dim, keepdim=True)
    return _restore_dims(grad, shape, dim, keepdim) * hit / count


def _extreme_backward_arrays(grad, self, result, dim, keepdim):
    shape = self.shape
    hit = self == _restore_dims_array(result, shape, dim, keepdim)
    count = np.sum(hit, axis=dim, keepdims=True).astype(grad.dtype)  # not int64: no float64
    return _restore_dims_array(grad, shape, dim, keepdim) * hit / count


_amax_spec = defop("amax", _amax_forward, save=("self", "result"), attrs=("dim", "keepdim"))(
    _extreme_backward)
_amin_spec = defop("amin", _amin_forward, save=("self", "result"), attrs=("dim", "keepdim"))(
    _extreme_backward)
_amax_spec.on_arrays(_extreme_backward_arrays)
_amin_spec.on_arrays(_extreme_backward_arrays)


def _evenly_distribute_backward(grad, self, result, dim, keepdim):
    """max()/min() of everything: ties share the gradient; if the result is nan, the nan
    elements share it (PyTorch's evenly_distribute_backward)."""
    hit = (self == result) | ((self != self) & (result != result))
    return grad * hit / hit.sum()


def _evenly_distribute_backward_arrays(grad, self, result, dim, keepdim):
    hit = (self == result) | ((self != self) & (result != result))
    return grad * hit / np.asarray(np.sum(hit), dtype=grad.dtype)


_max_all_spec = defop("max", _amax_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MaxBackward1")(_evenly_distribute_backward)
_min_all_spec = defop("min", _amin_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MinBackward1")(_evenly_distribute_backward)
_max_all_spec.on_arrays(_evenly_distribute_backward_arrays)
_min_all_spec.on_arrays(_evenly_distribute_backward_arrays)


def _take_forward(a, dim, keepdim, indices):
    values = np.take_along_axis(a, np.expand_dims(indices, dim), axis=dim)
    return values if keepdim else np.squeeze(values, axis=dim)


def _select_dim_backward(grad, dim, keepdim, indices, self_sym_sizes):
    """Only the selected element of each slice received the gradient."""
    return scatter_along_dim(grad, indices, dim, keepdim, self_sym_sizes)


_max_dim_spec = defop("max_dim", lambda a, d, k, i, s: _take_forward(a, d, k, i),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MaxBackward0")(_select_dim_backward)
_min_dim_spec = defop("min_dim", lambda a, d, k, i, s: _take_forward(a, d, k, i),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MinBackward0")(_select_dim_backward)


def _select_dim_backward_arrays(grad, dim, keepdim, indices, self_sym_sizes):
    return _scatter_forward(grad, dim, keepdim, indices, self_sym_sizes)


_max_dim_spec.on_arrays(_select_dim_backward_arrays)
_min_dim_spec.on_arrays(_select_dim_backward_arrays)


def _scatter_forward(g, dim, keepdim, indices, shape):
    out = np.zeros(shape, dtype=g.dtype)
    values = g if keepdim else np.expand_dims(g, dim)
    np.put_along_axis(out, np.expand_dims(indices, dim), values, axis=dim)
    return out


@defop("scatter_along_dim", _scatter_forward, attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
       node_name="ScatterBackward0")
def _scatter_backward(grad, dim, keepdim, indices, self_sym_sizes):
    """The adjoint of picking one element per slice: pick the same elements back."""
    return apply_op(_max_dim_spec, (grad,), (dim, keepdim, indices, None))


def scatter_along_dim(grad, indices, dim, keepdim, shape):
    """Place ``grad`` at ``indices`` along ``dim`` of a zero tensor of ``shape``."""
    return apply_op(_scatter_backward, (grad,), (dim, keepdim, indices, shape))


# --- public functions ------------------------------------------------------------------
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default); bool and int sum to int64 as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind == "b":
        input = input.to(np.int64)
    dims = normalize_dims(dim, input._data.ndim)
    spec = _sum_backward if dim is None else _sum_dim_spec
    return apply_op(spec, (input,), (dims, bool(keepdim), input._data.shape))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Average over ``dim``; defined for floating-point tensors only (as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, but got "
            f"{input.dtype}. Convert first, e.g. t.float().mean()."
        )
    dims = normalize_dims(dim, input._data.ndim)
    shape = input._data.shape
    count = int(np.prod([shape[d] for d in dims])) if shape else 1
    spec = _mean_backward if dim is None else _mean_dim_spec
    return apply_op(spec, (input,), (dims, bool(keepdim), shape, count))


def _extreme(input, dim, keepdim, all_spec, dim_spec, arg_fn, result_type, name):
    if input._data.size == 0:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        return apply_op(all_spec, (input,), (normalize_dims(None, input.ndim), False))
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return result_type(apply_op(all_spec, (input,), ((), False)), Tensor(np.asarray(0)))
    indices = arg_fn(input._data, axis=d)
    values = apply_op(dim_spec, (input,), (d, bool(keepdim), indices, input._data.shape))
    idx = np.expand_dims(indices, d) if keepdim else indices
    return result_type(values, Tensor(np.asarray(idx, dtype=np.int64)))


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The largest element, or ``(values, indices)`` along ``dim``."""
    if isinstance(dim, Tensor):
        from .pointwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, _max_all_spec, _max_dim_spec, np.argmax, max_result, "max")


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """The smallest element, or ``(values, indices)`` along ``dim``."""
    if isinstance(dim, Tensor):
        from .pointwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, _min_all_spec, _min_dim_spec, np.argmin, min_result, "min")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest values over ``dim``; ties share the gradient evenly."""
    return apply_op(_amax_spec, (input,), (normalize_dims(dim, input._data.ndim), bool(keepdim)))


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim``; ties share the gradient evenly."""
    return apply_op(_amin_spec, (input,), (normalize_dims(dim, input._data.ndim), bool(keepdim)))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmax(input._data), dtype=np.int64))
    d = _wrap_dim(dim, input._data.ndim)
    return Tensor(np.asarray(np.argmax(input._data, axis=d, keepdims=keepdim), dtype=np.int64))


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmin(input._data), dtype=np.int64))
    d = _wrap_dim(dim, input._data.ndim)
    return Tensor(np.asarray(np.argmin(input._data, axis=d, keepdims=keepdim), dtype=np.int64))


def _sum_to_forward(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and a.shape[lead + i] != 1
    )
    return partial_sum(a, axes, True).reshape(shape) if axes else a


@defop("sum_to_size", lambda a, size, self_shape: _sum_to_forward(a, size),
       attrs=("size", "self_sym_sizes"), node_name="SumToSizeBackward0")
def _sum_to_size_backward(grad, size, self_sym_sizes):
    """The adjoint of summing a broadcast away: expand the gradient back out."""
    return expand(grad, self_sym_sizes)


@_sum_to_size_backward.on_arrays
def _sum_to_size_backward_arrays(grad, size, self_sym_sizes):
    return np.broadcast_to(grad, self_sym_sizes)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to ``size`` (the reverse of broadcasting ``size`` up to it)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    size = tuple(size)
    if input._data.shape == size:
        return input
    if not expands_to(size, input._data.shape):
        raise RuntimeError(f"size {list(size)} is not expandable to size {list(input.shape)}")
    return apply_op(_sum_to_size_backward, (input,), (size, input._data.shape))



# --- prod ------------------------------------------------------------------------------
# Note [prod with zeros]
# d prod(x) / dx_i is the product of the *other* elements. Computing it as prod(x) / x_i
# breaks at a zero (0/0), which is why PyTorch treats "one zero" and "several zeros"
# apart. Here it is computed as it is defined: ``prod_others`` multiplies, for each
# element, the exclusive products to its left and to its right (two cumprods, no
# division), so one zero, two zeros or none all come out exact. prod_others is an op of
# its own, and its backward (the products of all elements but two) reuses prod_others
# on an N x N layout, so every order of derivative stays exact too.
def _prod_others_forward(a):
    """For each element along the last axis, the product of the other elements there."""
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    ones = np.ones(a.shape[:-1] + (1,), dtype=a.dtype)
    left = np.cumprod(np.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


@defop("prod_others", _prod_others_forward, save=("self",), node_name="ProdOthersBackward0")
def _prod_others_backward(grad, self):
    """out_i = prod_{j != i} x_j along the last axis, so d out_i / d x_k (k != i) is the
    product of all elements but i and k, and 0 for k = i:
    grad_k = sum_{i != k} grad_i * prod_{j not in {i, k}} x_j.
    Row k of an N x N layout holds x with x_k replaced by 1; prod_others of that row is
    prod_{j not in {i, k}} x_j at column i (the diagonal is masked out)."""
    n = self.shape[-1]
    eye = Tensor(np.eye(n, dtype=np.bool_))
    rows = expand(unsqueeze(self, -2), (*self.shape[:-1], n, n))
    pair = prod_others(pointwise.where(eye, 1.0, rows))
    pair = pointwise.where(eye, 0.0, pair)
    return (pair * unsqueeze(grad, -2)).sum(-1)


def prod_others(input: Tensor) -> Tensor:
    """For each element along the last dim, the product of the other elements there."""
    return apply_op(_prod_others_backward, (input,))


def _prod_forward(a, dim, keepdim):
    return np.prod(a, axis=dim, keepdims=keepdim)


@defop("prod", lambda a: np.prod(a), save=("self", "result"))
def _prod_backward(grad, self, result):
    """d prod(x) / dx_i = prod_{j != i} x_j (exact with zeros: see Note [prod with zeros])."""
    if self.ndim == 0:
        return grad  # the product of one element is that element
    return grad * reshape(prod_others(reshape(self, (-1,))), self.shape)


@defop("prod_dim", _prod_forward, save=("self", "result"), attrs=("dim", "keepdim"),
       node_name="ProdBackward1")
def _prod_dim_backward(grad, self, result, dim, keepdim):
    """prod over one dim: each element's gradient is the product of the other elements of
    its slice (see Note [prod with zeros]), times the slice's incoming gradient."""
    if self.ndim == 0:
        return grad  # the product of one element is that element
    others = movedim(prod_others(movedim(self, dim, -1)), -1, dim)
    return _restore_dims(grad, self.shape, (dim,), keepdim) * others


def _integral_to_int64(input: Tensor, dtype) -> Tensor:
    """``dtype`` if given; bool and int accumulate in int64 (PyTorch's rule for sum/prod)."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        return input.to(np.int64)
    return input


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or over the single dim ``dim`` (PyTorch takes one int here).

    The gradient is exact when the input holds zeros (see Note [prod with zeros])."""
    input = _integral_to_int64(input, dtype)
    if dim is None:
        return apply_op(_prod_backward, (input,))
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__} "
                        "(PyTorch's prod reduces one dim at a time)")
    d = _wrap_dim(int(dim), input._data.ndim)
    if input._data.ndim == 0:
        return apply_op(_prod_dim_backward, (input,), ((), bool(keepdim)))
    return apply_op(_prod_dim_backward, (input,), (d, bool(keepdim)))


# --- var and std ---------------------------------------------------------------------------
def _dof(shape: tuple, dims: tuple, correction) -> float:
    """N - correction, floored at 0 as PyTorch does (N: elements per reduced group)."""
    n = int(np.prod([shape[d] for d in dims])) if shape else 1
    return n - correction if n - correction > 0 else 0


def _var_forward(a, dims, correction, keepdim):
    """sum (a - mean)^2 / max(0, N - correction); 0/0 and x/0 give nan and inf silently
    (written out rather than np.var, whose own warning would bypass ours)."""
    centred = a - np.mean(a, axis=dims, keepdims=True)
    squares = np.sum(centred * centred, axis=dims, keepdims=keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = squares / np.asarray(_dof(a.shape, dims, correction), dtype=a.dtype)
    return out.astype(a.dtype, copy=False)


def _std_forward(a, dims, correction, keepdim):
    return np.sqrt(_var_forward(a, dims, correction, keepdim))


@defop("var", _var_forward, save=("self",), attrs=("dim", "correction", "keepdim"))
def _var_backward(grad, self, dim, correction, keepdim):
    """var = sum_i (x_i - mean)^2 / (N - correction), so
    d var / dx_i = 2 (x_i - mean) / (N - correction) (the terms through mean sum to 0)."""
    scale = np.float64(2.0) / np.float64(_dof(self.shape, dim, correction))  # inf at dof 0
    centred = self - self.mean(dim, keepdim=True)
    return _restore_dims(grad, self.shape, dim, keepdim) * centred * float(scale)


@_var_backward.on_arrays
def _var_backward_arrays(grad, self, dim, correction, keepdim):
    scale = float(np.float64(2.0) / np.float64(_dof(self.shape, dim, correction)))
    count = int(np.prod([self.shape[d] for d in dim])) if self.shape else 1
    centred = self - _mean_forward(self, dim, True, None, count)
    return _restore_dims_array(grad, self.shape, dim, keepdim) * centred * scale


@defop("std", _std_forward, save=("self", "result"), attrs=("dim", "correction", "keepdim"))
def _std_backward(grad, self, result, dim, correction, keepdim):
    """std = sqrt(var), so d std = d var / (2 std) = (x_i - mean) / ((N - correction) std);
    where std is 0 the gradient is 0 (PyTorch's masked_fill in std_backward)."""
    shape = self.shape
    g = _restore_dims(grad, shape, dim, keepdim)
    r = _restore_dims(result, shape, dim, keepdim)
    zero = r == 0
    # the second where keeps a nan out of double backward (0 * inf in the unused branch)
    g = pointwise.where(zero, 0.0, g / (2 * pointwise.where(zero, 1.0, r)))
    return _var_backward.backward(g, self, dim, correction, True)


@_std_backward.on_arrays
def _std_backward_arrays(grad, self, result, dim, correction, keepdim):
    shape = self.shape
    g = _restore_dims_array(grad, shape, dim, keepdim)
    r = _restore_dims_array(result, shape, dim, keepdim)
    zero = r == 0
    g = np.where(zero, 0, g / (2 * np.where(zero, 1, r)))
    return _var_backward_arrays(g, self, dim, correction, True)


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(x, False): the legacy ``unbiased`` overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either 'unbiased' or 'correction', not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes "
                           f"(got {input.dtype}; convert first, e.g. t.float().{name}())")
    dims = normalize_dims(dim, input._data.ndim)
    if _dof(input._data.shape, dims, correction) <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return (dims, correction, bool(keepdim))


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over ``dim`` (all by default) with Bessel's ``correction`` (1 by default;
    ``unbiased=False`` means 0): sum (x - mean)^2 / max(0, N - correction)."""
    return apply_op(_var_backward, (input,),
                    _var_args("var", input, dim, unbiased, keepdim, correction))


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation: ``sqrt(var(input, dim, correction=...))``."""
    return apply_op(_std_backward, (input,),
                    _var_args("std", input, dim, unbiased, keepdim, correction))


# --- logsumexp ------------------------------------------------------------------------------
def _logsumexp_forward(a, dims, keepdim):
    """log(sum(exp(a))) computed as m + log(sum(exp(a - m))) with m the max: no overflow."""
    if a.size == 0:
        return np.log(np.sum(np.exp(a), axis=dims, keepdims=keepdim))
    m = np.amax(a, axis=dims, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf (or an inf): nothing to shift by
    out = np.log(np.sum(np.exp(a - m), axis=dims, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dims)


@defop("logsumexp", _logsumexp_forward, save=("self", "result"), attrs=("dim", "keepdim"))
def _logsumexp_backward(grad, self, result, dim, keepdim):
    """d logsumexp / dx_i = exp(x_i) / sum_j exp(x_j) = exp(x_i - logsumexp): the softmax
    weights, computed from the saved result so that they never overflow."""
    shape = self.shape
    weights = (self - _restore_dims(result, shape, dim, keepdim)).exp()
    return _restore_dims(grad, shape, dim, keepdim) * weights


@_logsumexp_backward.on_arrays
def _logsumexp_backward_arrays(grad, self, result, dim, keepdim):
    shape = self.shape
    weights = np.exp(self - _restore_dims_array(result, shape, dim, keepdim))
    weights *= _restore_dims_array(grad, shape, dim, keepdim)
    return weights


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, stable for large values; ints give the default float."""
    if input._data.dtype.kind != "f":
        from .. import _dtypes

        input = input.to(_dtypes._default)
    return apply_op(_logsumexp_backward, (input,),
                    (normalize_dims(dim, input._data.ndim), bool(keepdim)))


# --- norm -------------------------------------------------------------------------------
def _norm_forward(a, ord, dims, keepdim):  # noqa: A002 - PyTorch's argument name
    x = np.abs(a)
    if ord == np.inf:
        return np.amax(x, axis=dims, keepdims=keepdim)
    if ord == -np.inf:
        return np.amin(x, axis=dims, keepdims=keepdim)
    if ord == 0:
        return np.sum(x != 0, axis=dims, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return np.sum(x, axis=dims, keepdims=keepdim)
    if ord == 2:
        return np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
    return np.sum(x ** ord, axis=dims, keepdims=keepdim) ** (1.0 / ord)


@defop("linalg_vector_norm", _norm_forward, save=("self", "result"),
       attrs=("ord", "dim", "keepdim"))
def _norm_backward(grad, self, result, ord, dim, keepdim):  # noqa: A002
    """||x||_p = (sum |x_i|^p)^(1/p), so d||x||_p / dx_i = sgn(x_i) |x_i|^(p-1) / ||x||^(p-1):
    p = 2: x_i / ||x||; p = 1: sgn(x_i); p = 0: 0 (a count); p = +-inf: sgn(x_i) at the
    elements where |x_i| = ||x||, shared among ties. Where ||x|| = 0 the gradient is 0, and
    for p < 1 also where x_i = 0 (PyTorch's norm_backward)."""
    shape = self.shape
    g = _restore_dims(grad, shape, dim, keepdim)
    r = _restore_dims(result, shape, dim, keepdim)
    if ord == 0:
        return Tensor(np.zeros_like(self._data))
    if ord == 1:
        return self.sign() * g
    if ord in (np.inf, -np.inf):
        a = self.abs()
        hit = (a == r) | (a != a)  # nan elements take part, as in amax's backward
        return self.sign() * (g / hit.sum(dim, keepdim=True)) * hit
    zero = r == 0
    safe_r = pointwise.where(zero, 1.0, r)  # the double where: no nan in double backward
    if ord == 2:
        return self * pointwise.where(zero, 0.0, g / safe_r)
    scale = pointwise.where(zero, 0.0, g / safe_r ** (ord - 1))
    if ord < 1:  # |x_i|^(p-1) is infinite at x_i = 0: PyTorch takes 0 there
        x0 = self == 0
        powered = pointwise.where(x0, 0.0, pointwise.where(x0, 1.0, self.abs()) ** (ord - 1))
        return self.sign() * powered * scale
    if ord < 2:
        return self.sign() * self.abs() ** (ord - 1) * scale
    return self * self.abs() ** (ord - 2) * scale


_TORCH_DTYPE_NAMES = {"int64": "Long", "bool": "Bool", "float32": "Float", "float64": "Double"}


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements by default), as PyTorch 2's ``torch.norm``
    (which calls ``linalg.vector_norm``): p = 'fro' (= 2, the default), any number, inf, -inf.
    The gradient at a zero vector is 0."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        name = _TORCH_DTYPE_NAMES.get(input._data.dtype.name, str(input.dtype))
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {name}")
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(f"norm(p={p!r}) is not implemented here; 'fro' and "
                                      "numeric p (vector norms) are")
        p = 2
    elif p is None:
        p = 2
    ord = float(p)  # noqa: A001
    dims = normalize_dims(dim, input._data.ndim)
    if np.isinf(ord) and input._data.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    return apply_op(_norm_backward, (input,), (ord, dims, bool(keepdim)))


# --- cumsum and cumprod ---------------------------------------------------------------------
def _scan(np_fn):
    def forward(a, dim):
        return a.copy() if a.ndim == 0 else np_fn(a, axis=dim)

    forward.__name__ = np_fn.__name__
    return forward


def _reverse_cumsum_forward(a, dim):
    if a.ndim == 0:
        return a.copy()
    return np.flip(np.cumsum(np.flip(a, axis=dim), axis=dim), axis=dim)


@defop("cumsum", _scan(np.cumsum), attrs=("dim",))
def _cumsum_backward(grad, dim):
    """out_i = sum_{j <= i} x_j, so grad_x_j = sum_{i >= j} grad_i: a cumsum from the end."""
    return apply_op(_reverse_cumsum_backward, (grad,), (dim,))


@_cumsum_backward.on_arrays
def _cumsum_backward_arrays(grad, dim):
    return _reverse_cumsum_forward(grad, dim)


@defop("reverse_cumsum", _reverse_cumsum_forward, attrs=("dim",),
       node_name="ReverseCumsumBackward0")
def _reverse_cumsum_backward(grad, dim):
    """out_j = sum_{i >= j} x_i is cumsum's adjoint, and cumsum is its adjoint. (PyTorch
    writes this as flip, cumsum, flip; one op here.)"""
    return apply_op(_cumsum_backward, (grad,), (dim,))


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; bool and int accumulate in int64, as in PyTorch."""
    input = _integral_to_int64(input, dtype)
    return apply_op(_cumsum_backward, (input,), (_wrap_dim(dim, input._data.ndim),))


def _cumprod_grad_with_zeros(x, g, out, dim):
    """cumprod's gradient in NumPy, O(N), exact with zeros (no graph: create_graph=False).

    With z the first zero of a slice: for k < z, grad_k = reverse_cumsum(g * out)_k / x_k
    (x_k is not 0); for k = z, grad_z = prod_{j<z} x_j * sum_{i>=z} g_i prod_{z<j<=i} x_j;
    for k > z every product holds x_z = 0, so grad_k = 0."""
    x, g, out = (np.moveaxis(a, dim, -1) for a in (x, g, out))
    n = x.shape[-1]
    is_zero = x == 0
    z = np.where(is_zero.any(-1, keepdims=True), np.argmax(is_zero, -1, keepdims=True), n)
    j = np.arange(n)
    before = j < z
    rc = _reverse_cumsum_forward(g * out, -1)
    grad = np.where(before, rc / np.where(before, x, 1), 0)
    left = np.prod(np.where(before, x, 1), -1, keepdims=True)
    right = np.sum(np.where(j >= z, g * np.cumprod(np.where(j > z, x, 1), -1), 0), -1,
                   keepdims=True)
    grad = np.where(j == z, left * right, grad)
    return Tensor(np.moveaxis(grad.astype(x.dtype, copy=False), -1, dim))


@defop("cumprod", _scan(np.cumprod), save=("self", "result"), attrs=("dim",))
def _cumprod_backward(grad, self, result, dim):
    """out_i = prod_{j <= i} x_j, so grad_x_k = sum_{i >= k} grad_i prod_{j <= i, j != k} x_j.
    Without zeros that is reverse_cumsum(grad * out) / x_k. With a zero the division fails:
    without create_graph an O(N) formula around the first zero serves (as PyTorch's fast
    path); with create_graph the sum is built as written, so that it differentiates
    exactly: row k of an N x N layout holds x with x_k replaced by 1, its cumprod at
    column i is prod_{j <= i, j != k} x_j, kept for i >= k (O(N^2), like PyTorch's)."""
    if self.ndim == 0:
        return grad  # the product of one element is that element
    if not np.any(self._data == 0):
        return apply_op(_reverse_cumsum_backward, (grad * result,), (dim,)) / self
    if not state.enabled:
        return _cumprod_grad_with_zeros(self._data, grad._data, result._data, dim)
    x = movedim(self, dim, -1)
    n = x.shape[-1]
    eye = Tensor(np.eye(n, dtype=np.bool_))
    upper = Tensor(np.triu(np.ones((n, n), dtype=np.bool_)))  # i >= k
    rows = pointwise.where(eye, 1.0, expand(unsqueeze(x, -2), (*x.shape[:-1], n, n)))
    partial = pointwise.where(upper, cumprod(rows, -1), 0.0)
    g = unsqueeze(movedim(grad, dim, -1), -2)
    return movedim((partial * g).sum(-1), -1, dim)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; the gradient is exact with zeros in the input."""
    input = _integral_to_int64(input, dtype)
    return apply_op(_cumprod_backward, (input,), (_wrap_dim(dim, input._data.ndim),))
