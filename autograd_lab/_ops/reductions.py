"""Reductions: sum, mean, max/min, amax/amin, prod, var/std, logsumexp, norm, with ``dim``
and ``keepdim``; and the scans cumsum/cumprod.

Every backward here first puts the reduced dimensions back (``_restore_dims``) so
that the incoming gradient lines up with the input again, then spreads it out.
"""

from __future__ import annotations

import functools
import warnings
from collections import namedtuple

import numpy as np

from .._shapes import expands_to
from .._tensor import Tensor
from .._tensor import _wrap_dim as _wrap_int_dim
from ..autograd import recording
from ..autograd.grad_mode import state
from . import pointwise
from ._apply import apply_op, wrap_unrowed
from ._args import ALL_DIMS, ints_arg, no_none_dim, not_a_tensor
from ._kernels import BLAS_DTYPES, partial_sum, sum_to_forward
from ._table import REGISTRY, defop
from .conversion import new_empty, new_zeros
from .indexing import cat, in_c_order, index_arrays, masked_fill, saves_index
from .views import expand, flip, movedim, narrow, reshape, unsqueeze, view

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "sum_to_size",
           "normalize_dims", "prod", "var", "std", "logsumexp", "norm", "cumsum", "cumprod"]

# PyTorch returns ``(values, indices)`` as a named tuple from max/min with a dim.
# Named as PyTorch's results are (their repr shows the name), not after the variable.
max_result = namedtuple("max", ["values", "indices"])  # type: ignore[name-match]
min_result = namedtuple("min", ["values", "indices"])  # type: ignore[name-match]


def _wrap_dim(dim, ndim: int) -> int:
    """``dim`` as an index into ``ndim`` dims; a clear TypeError for a dim that is no int."""
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"argument 'dim' must be int or tuple of ints, not {type(dim).__name__}")
    return _wrap_int_dim(int(dim), ndim)


def _takes_a_tensor(fn):
    """``fn(input, ...)`` raising PyTorch's TypeError when ``input`` is not a Tensor
    (instead of an AttributeError from deep inside); free when it is one."""

    @functools.wraps(fn)
    def checked(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise not_a_tensor(fn.__name__, "input", 1, input)
        return fn(input, *args, **kwargs)

    return checked


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dims = (dim,)
    elif isinstance(dim, (list, tuple, np.ndarray)):
        dims = tuple(dim)
    else:
        raise TypeError(f"argument 'dim' must be int or tuple of ints, not {type(dim).__name__}")
    if not dims:
        return tuple(range(ndim))
    axes = tuple(sorted(_wrap_dim(d, ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    if ndim == 0:
        return ()  # a 0-d tensor accepts dim 0 or -1 (as PyTorch) and has nothing to reduce
    return axes


def _restore_dims(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Re-insert the reduced axes of size 1 so that ``grad`` broadcasts against the input:
    one unsqueeze per axis, in order, as PyTorch's formulas do (a create_graph graph shows
    UnsqueezeBackward0s)."""
    if keepdim or not shape:
        return grad
    for axis in sorted(dims):
        grad = unsqueeze(grad, axis)
    return grad


def _restore_dims_array(grad: np.ndarray, shape: tuple, dims: tuple, keepdim: bool):
    """``_restore_dims`` on an array (for the NumPy formulas)."""
    if keepdim or not shape:
        return grad
    return grad.reshape(tuple([1 if axis in dims else size for axis, size in enumerate(shape)]))


def _sum_forward(a, dims, keepdim, self_shape):
    return partial_sum(a, dims, keepdim)


@defop("sum", _sum_forward, attrs=("dim", "keepdim", "self_sym_sizes"),
       math="grad_self = grad.expand(self_sym_sizes)")
def _sum_all_backward(grad, dim, keepdim, self_sym_sizes):
    """Each input element contributed once to the sum of all: d sum = 1, the 0-d gradient
    spread by expand."""
    return expand(grad, self_sym_sizes)


def _sum_backward(grad, dim, keepdim, self_sym_sizes):
    """Each input element contributed once to its sum over ``dim``: the reduced axes put
    back, then expand."""
    return expand(_restore_dims(grad, self_sym_sizes, dim, keepdim), self_sym_sizes)


SUM = REGISTRY["sum"]


# PyTorch names the node SumBackward0 for sum() and SumBackward1 for sum(dim).
defop("sum_dim", in_c_order(_sum_forward), attrs=("dim", "keepdim", "self_sym_sizes"),
                      node_name="SumBackward1",
      math="grad_self = grad expanded back over dim to self's shape")(_sum_backward)


SUM_DIM = REGISTRY["sum_dim"]


def _mean_forward(a, dims, keepdim, self_shape, count):
    if a.dtype not in BLAS_DTYPES:
        return np.mean(a, axis=dims, keepdims=keepdim)
    # np.mean is a sum divided by the count too, in the input's float dtype
    return partial_sum(a, dims, keepdim) / count


@defop("mean", _mean_forward, attrs=("dim", "keepdim", "self_sym_sizes", "count"),
       math="grad_self = grad.expand(self_sym_sizes) / count")
def _mean_all_backward(grad, dim, keepdim, self_sym_sizes, count):
    """d mean = 1/N for each of the N elements averaged (a division by a number:
    DivBackward1 under create_graph, as PyTorch's)."""
    return pointwise.divided(expand(grad, self_sym_sizes), count)


def _mean_backward(grad, dim, keepdim, self_sym_sizes, count):
    """d mean = 1/N for each of the N elements averaged over ``dim``."""
    return pointwise.divided(expand(_restore_dims(grad, self_sym_sizes, dim, keepdim),
                                    self_sym_sizes), count)


MEAN = REGISTRY["mean"]


defop("mean_dim", in_c_order(_mean_forward),
                       attrs=("dim", "keepdim", "self_sym_sizes", "count"),
                       node_name="MeanBackward1",
      math="grad_self = grad expanded back over dim to self's shape, / count")(_mean_backward)


MEAN_DIM = REGISTRY["mean_dim"]


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


defop("amax", in_c_order(_amax_forward), save=("self", "result"), attrs=("dim", "keepdim"),
      math=("grad_self = grad * [self == result] / (number of ties)  (grad, result expanded back "
            "over dim)"))(
    _extreme_backward)


AMAX = REGISTRY["amax"]


defop("amin", in_c_order(_amin_forward), save=("self", "result"), attrs=("dim", "keepdim"),
      math=("grad_self = grad * [self == result] / (number of ties)  (grad, result expanded back "
            "over dim)"))(
    _extreme_backward)


AMIN = REGISTRY["amin"]


def _evenly_distribute_backward(grad, self, result, dim, keepdim):
    """max()/min() of everything: ties share the gradient; if the result is nan, the nan
    elements share it. PyTorch's evenly_distribute_backward: zeros, then the share written
    in place where the mask holds (version 1: Note [Formulas that write their result in
    place] in _table.py)."""
    hit = (self != self) if bool((result != result)._data) else (self == result)
    zeros = new_zeros(grad, self._data.shape)
    return zeros.masked_fill_(hit, grad / hit.sum())


defop("max", _amax_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MaxBackward1", result_writes=1,
      math=("grad_self = zeros_like(self).masked_fill_(mask, grad / mask.sum())  "
            "(mask: self == result, or self is nan if result is)"))(_evenly_distribute_backward)


MAX = REGISTRY["max"]


defop("min", _amin_forward, save=("self", "result"), attrs=("dim", "keepdim"),
                      node_name="MinBackward1", result_writes=1,
      math=("grad_self = zeros_like(self).masked_fill_(mask, grad / mask.sum())  "
            "(mask: self == result, or self is nan if result is)"))(_evenly_distribute_backward)


MIN = REGISTRY["min"]


def _kept(indices, dim: int, ndim: int) -> np.ndarray:
    """The indices of max(dim) (a Tensor, or an array a traced program computed) with
    ``dim`` kept, as take_along_axis and put_along_axis read them."""
    indices = index_arrays(indices)
    return indices if indices.ndim == ndim else np.expand_dims(indices, dim)


def _take_forward(a, dim, keepdim, indices):
    if a.ndim == 0:  # a 0-d tensor is its own only slice (PyTorch allows dim 0 or -1)
        return a.copy()
    values = np.take_along_axis(a, _kept(indices, dim, a.ndim), axis=dim)
    return values if keepdim else np.squeeze(values, axis=dim)


def _select_dim_backward(grad, dim, keepdim, indices, self_sym_sizes):
    """Only the selected element of each slice received the gradient. PyTorch's
    value_selecting_reduction_backward: zeros, then ``grad`` scattered in place at
    ``indices``. Its zeros are ``at::zeros``, empty memory then ``zero_``, a write of its
    own: the result has version 2 (Note [Formulas that write their result in place] in
    _table.py)."""
    out = new_empty(grad, self_sym_sizes)
    out.zero_()
    if not keepdim and self_sym_sizes:
        grad, indices = unsqueeze(grad, dim), unsqueeze(indices, dim)
    return out.scatter_(dim, indices, grad)


defop("max_dim", in_c_order(lambda a, d, k, i, s: _take_forward(a, d, k, i)),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MaxBackward0", result_writes=2,
      math=("grad_self = zeros(self_sym_sizes).scatter_(dim, indices, grad)  (each slice's max; "
            "grad, indices unsqueezed at dim)"))(
    _select_dim_backward)


MAX_DIM = REGISTRY["max_dim"]
saves_index(MAX_DIM, "indices")  # MaxBackward0._saved_indices: the indices max returned


defop("min_dim", in_c_order(lambda a, d, k, i, s: _take_forward(a, d, k, i)),
                      attrs=("dim", "keepdim", "indices", "self_sym_sizes"),
                      node_name="MinBackward0", result_writes=2,
      math=("grad_self = zeros(self_sym_sizes).scatter_(dim, indices, grad)  (each slice's min; "
            "grad, indices unsqueezed at dim)"))(
    _select_dim_backward)


MIN_DIM = REGISTRY["min_dim"]
saves_index(MIN_DIM, "indices")


def _scatter_forward(g, dim, keepdim, indices, shape):
    """max(dim)'s gradient on arrays (its NumPy formula): ``g`` placed at ``indices``."""
    if len(shape) == 0:  # the gradient of max(dim) of a 0-d tensor
        return np.array(g)
    out = np.zeros(shape, dtype=g.dtype)
    values = g if keepdim else np.expand_dims(g, dim)
    np.put_along_axis(out, _kept(indices, dim, len(shape)), values, axis=dim)
    return out


# --- public functions ------------------------------------------------------------------
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default); bool and int sum to int64 as in PyTorch."""
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind == "b":
        input = input.to(np.int64)
    dims = normalize_dims(dim, input._data.ndim)
    spec = SUM if dim is None else SUM_DIM
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
    spec = MEAN if dim is None else MEAN_DIM
    return apply_op(spec, (input,), (dims, bool(keepdim), shape, count))


def _extreme(input, dim, keepdim, all_spec, dim_spec, arg_fn, result_type, name):
    if input._data.size == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        return apply_op(all_spec, (input,), (normalize_dims(None, input.ndim), False))
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim and input._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    indices = np.asarray(0) if input._data.ndim == 0 else arg_fn(input._data, axis=d)
    if keepdim and input._data.ndim:
        indices = np.expand_dims(indices, d)
    # the node saves the very tensor max returns (Note [Saved index tensors] in
    # indexing.py): changing it in place makes backward raise, as in PyTorch
    indices = Tensor(np.asarray(indices, dtype=np.int64))
    values = apply_op(dim_spec, (input,), (d, bool(keepdim), indices, input._data.shape))
    if recording._active:  # reported as wrap_unrowed would: after the values it indexes
        recording.report(f"arg{name}", "op", (input,), (d, bool(keepdim)), (indices,))
    return result_type(values, indices)


def max(input: Tensor, dim=ALL_DIMS, keepdim: bool = False):  # noqa: A001
    """The largest element, or ``(values, indices)`` along ``dim``."""
    dim = no_none_dim("max", dim)
    if isinstance(dim, Tensor):
        from .pointwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, MAX, MAX_DIM, np.argmax, max_result, "max")


def min(input: Tensor, dim=ALL_DIMS, keepdim: bool = False):  # noqa: A001
    """The smallest element, or ``(values, indices)`` along ``dim``."""
    dim = no_none_dim("min", dim)
    if isinstance(dim, Tensor):
        from .pointwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, MIN, MIN_DIM, np.argmin, min_result, "min")


def _nonempty_dims(name: str, input: Tensor, dim) -> tuple:
    """``dim`` normalized; PyTorch's errors for a max/min over nothing (no identity)."""
    dims = normalize_dims(dim, input._data.ndim)
    if input._data.size == 0:
        if dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0):
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in dims:
            if input._data.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return dims


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest values over ``dim``; ties share the gradient evenly."""
    return apply_op(AMAX, (input,), (_nonempty_dims("amax", input, dim), bool(keepdim)))


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest values over ``dim``; ties share the gradient evenly."""
    return apply_op(AMIN, (input,), (_nonempty_dims("amin", input, dim), bool(keepdim)))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        out = np.asarray(np.argmax(input._data), dtype=np.int64)
        return wrap_unrowed("argmax", out, (input,), (None, keepdim))
    d = _wrap_dim(dim, input._data.ndim)
    out = np.asarray(np.argmax(input._data, axis=d, keepdims=keepdim), dtype=np.int64)
    return wrap_unrowed("argmax", out, (input,), (d, keepdim))


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        out = np.asarray(np.argmin(input._data), dtype=np.int64)
        return wrap_unrowed("argmin", out, (input,), (None, keepdim))
    d = _wrap_dim(dim, input._data.ndim)
    out = np.asarray(np.argmin(input._data, axis=d, keepdims=keepdim), dtype=np.int64)
    return wrap_unrowed("argmin", out, (input,), (d, keepdim))


@defop("sum_to_size", lambda a, size, self_shape: sum_to_forward(a, size),
       attrs=("size", "self_sym_sizes"), node_name="SumBackward1",
       math="grad_self = grad.expand(self_sym_sizes)")
def _sum_to_size_backward(grad, size, self_sym_sizes):
    """The adjoint of summing a broadcast away: expand the gradient back out."""
    return expand(grad, self_sym_sizes)


SUM_TO_SIZE = REGISTRY["sum_to_size"]


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to ``size`` (the reverse of broadcasting ``size`` up to it)."""
    size = ints_arg(size[0] if len(size) == 1 else size)
    if input._data.shape == size:
        return input
    if not expands_to(size, input._data.shape):
        raise RuntimeError(f"size {list(size)} is not expandable to size {list(input.shape)}")
    if size == ():  # PyTorch's sum_to: a plain sum (SumBackward0) down to a 0-d tensor
        return sum(input)
    lead = input._data.ndim - len(size)
    if not lead:
        return apply_op(SUM_TO_SIZE, (input,), (size, input._data.shape))
    # PyTorch's sum_to: the leading dims summed with keepdim (SumBackward1), then dropped by
    # a view (ViewBackward0)
    kept = apply_op(SUM_TO_SIZE, (input,), ((1,) * lead + size, input._data.shape))
    return reshape(kept, size)


# --- prod ------------------------------------------------------------------------------
# Note [prod with zeros]
# d prod(x) / dx_i is the product of the *other* elements. Without a zero in the input that
# is ``result / x_i``, and PyTorch's prod_backward (followed here op for op) takes that
# branch: ``grad * (result / self)``. With a zero the division fails (0/0 at the zero),
# so the formula switches, on the data, to ``prod_safe_zeros_backward``: for each element
# the exclusive products to its left and to its right, two cumprods of the input shifted
# by one (a cat of ones and a narrow), no division. One zero, two zeros or none: every
# gradient is exact, and so is the second order, since cumprod's own gradient is exact
# with zeros. Which branch ran shows in the create_graph graph (DivBackward0 or the
# cumprods), as in PyTorch.
def _prod_safe_zeros_backward(grad, input, dim):
    """grad * (the product of the elements before each one) * (the product of those
    after it), along ``dim``: exact with zeros."""
    n = input.shape[dim]
    if input.numel() == 0:
        return expand(grad, input.shape)
    if n == 1:
        return grad  # the product of one element is that element
    ones_shape = list(input.shape)
    ones_shape[dim] = 1
    ones = Tensor(np.ones(ones_shape, dtype=grad._data.dtype))
    before = cumprod(cat([ones, narrow(input, dim, 0, n - 1)], dim), dim)
    after = flip(cumprod(cat([ones, flip(narrow(input, dim, 1, n - 1), dim)], dim), dim), dim)
    return grad * (before * after)


def _prod_forward(a, dim, keepdim):
    with np.errstate(all="ignore"):  # np.prod warns from NumPy's own module
        return np.prod(a, axis=dim, keepdims=keepdim)


@defop("prod", lambda a: _prod_forward(a, None, False), save=("self", "result"),
       math=("grad_self = grad * (result / self)  (with zeros in self: grad * (∏ before) * "
             "(∏ after), two cumprods)"))
def _prod_backward(grad, self, result):
    """d prod(x) / dx_i = prod_{j != i} x_j: result / x_i, or with zeros the exclusive
    products (see Note [prod with zeros])."""
    if self.ndim == 0:
        return grad  # the product of one element is that element
    if not np.any(self._data == 0):
        return grad * (result / self)
    flat = view(self.contiguous(), (-1,))
    return view(_prod_safe_zeros_backward(grad, flat, 0), self.shape)


PROD = REGISTRY["prod"]


@defop("prod_dim", in_c_order(_prod_forward), save=("self", "result"), attrs=("dim", "keepdim"),
       node_name="ProdBackward1",
       math=("grad_self = grad * (result / self)  (with zeros in self: grad * (∏ before) * "
             "(∏ after) along dim)"))
def _prod_dim_backward(grad, self, result, dim, keepdim):
    """prod over one dim: each element's gradient is the product of the other elements of
    its slice (see Note [prod with zeros]), times the slice's incoming gradient."""
    if self.ndim == 0:
        return grad  # the product of one element is that element
    if not keepdim:
        grad = unsqueeze(grad, dim)
        result = unsqueeze(result, dim)
    if not np.any(self._data == 0):
        return grad * (result / self)
    return _prod_safe_zeros_backward(grad, self, dim)


PROD_DIM = REGISTRY["prod_dim"]


def _integral_to_int64(input: Tensor, dtype) -> Tensor:
    """``dtype`` if given; bool and int accumulate in int64 (PyTorch's rule for sum/prod)."""
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        return input.to(np.int64)
    return input


def prod(input: Tensor, dim=ALL_DIMS, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or over the single dim ``dim`` (PyTorch takes one int here).

    The gradient is exact when the input holds zeros (see Note [prod with zeros])."""
    dim = no_none_dim("prod", dim)
    input = _integral_to_int64(input, dtype)
    if dim is None:
        return apply_op(PROD, (input,))
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__} "
                        "(PyTorch's prod reduces one dim at a time)")
    d = _wrap_dim(int(dim), input._data.ndim)
    if input._data.ndim == 0:
        return apply_op(PROD_DIM, (input,), ((), bool(keepdim)))
    return apply_op(PROD_DIM, (input,), (d, bool(keepdim)))


# --- var and std ---------------------------------------------------------------------------
def _dof(shape: tuple, dims: tuple, correction) -> float:
    """N - correction, floored at 0 as PyTorch does (N: elements per reduced group)."""
    n = int(np.prod([shape[d] for d in dims])) if shape else 1
    return n - correction if n - correction > 0 else 0


def _var_forward(a, dims, correction, keepdim):
    """sum (a - mean)^2 / max(0, N - correction); 0/0 and x/0 give nan and inf silently
    (written out rather than np.var, whose own warning would bypass ours)."""
    n = int(np.prod([a.shape[d] for d in dims])) if a.shape else 1
    with np.errstate(divide="ignore", invalid="ignore"):  # np.mean would warn "empty slice"
        centred = a - np.sum(a, axis=dims, keepdims=True) / np.asarray(n, dtype=a.dtype)
        squares = np.sum(centred * centred, axis=dims, keepdims=keepdim)
        out = squares / np.asarray(_dof(a.shape, dims, correction), dtype=a.dtype)
    return out.astype(a.dtype, copy=False)


def _std_forward(a, dims, correction, keepdim):
    return np.sqrt(_var_forward(a, dims, correction, keepdim))


class _AllDims(tuple):
    """The dims of a ``var``/``std``/``norm`` called without ``dim`` (all of them). PyTorch's
    formulas take a different branch then: ``self.mean()`` (MeanBackward0) rather than
    ``self.mean(dim, keepdim=True)``, and no unsqueeze of the gradient."""

    __slots__ = ()


def _unsqueeze_multiple(t: Tensor, shape: tuple, dim: tuple, keepdim: bool) -> Tensor:
    """PyTorch's ``unsqueeze_multiple`` as its var/std/norm formulas call it: the reduced
    axes put back unless keepdim, a call without ``dim`` (a 0-d gradient broadcasts as it
    is) or a 0-d/1-d input."""
    if keepdim or isinstance(dim, _AllDims) or len(shape) <= 1:
        return t
    return _restore_dims(t, shape, dim, False)


def _var_formula(grad, self, dim, correction, keepdim):
    """PyTorch's var_backward: ``(2 / (N - correction)) * grad * (self - mean)``."""
    shape = self.shape
    n = int(np.prod([shape[d] for d in dim])) if shape else 1
    dof = float(n - correction)
    with np.errstate(divide="ignore"):  # N - correction = 0: inf, as PyTorch's 2.0 / 0.0
        two_over_dof = float(np.float64(2.0) / np.float64(dof))
    if isinstance(dim, _AllDims) or not shape:
        if dof <= 0:  # 2 / (N - correction) is inf: PyTorch's formula says so outright,
            # inf everywhere, nan where self is the mean (inf * 0), without recording self
            return grad * pointwise.where(self == self.mean(), float("nan"), float("inf"))
        return pointwise.scale(grad, two_over_dof) * (self - self.mean())
    grad = _unsqueeze_multiple(grad, shape, dim, keepdim)
    return pointwise.scale(grad, two_over_dof) * (self - self.mean(dim, keepdim=True))


@defop("var", in_c_order(_var_forward), save=("self",), attrs=("dim", "correction", "keepdim"),
       math=("grad_self = (2 / (N - correction)) * grad * (self - self.mean(dim, keepdim=True))"
             "  (N: the elements reduced)"))
def _var_backward(grad, self, dim, correction, keepdim):
    """var = sum_i (x_i - mean)^2 / (N - correction), so
    d var / dx_i = 2 (x_i - mean) / (N - correction) (the terms through mean sum to 0)."""
    return _var_formula(grad, self, dim, correction, keepdim)


VAR = REGISTRY["var"]


@defop("std", in_c_order(_std_forward), save=("self", "result"),
       attrs=("dim", "correction", "keepdim"),
       math=("grad_self = var_backward((grad / (result * 2)).masked_fill(result == 0, 0), self, "
             "dim, correction)"))
def _std_backward(grad, self, result, dim, correction, keepdim):
    """std = sqrt(var), so d std = d var / (2 std): var's gradient, fed grad / (2 std).
    Where std is 0 that is taken as 0 (PyTorch's masked_fill in std_backward)."""
    grad_var = masked_fill(grad / pointwise.scale(result, 2), result == 0, 0)
    return _var_formula(grad_var, self, dim, correction, keepdim)


STD = REGISTRY["std"]


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
    if dim is None:
        dims = _AllDims(dims)
    if _dof(input._data.shape, dims, correction) <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    return (dims, correction, bool(keepdim))


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over ``dim`` (all by default) with Bessel's ``correction`` (1 by default;
    ``unbiased=False`` means 0): sum (x - mean)^2 / max(0, N - correction)."""
    return apply_op(VAR, (input,),
                    _var_args("var", input, dim, unbiased, keepdim, correction))


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation: ``sqrt(var(input, dim, correction=...))``."""
    return apply_op(STD, (input,),
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


@defop("logsumexp", in_c_order(_logsumexp_forward), save=("self", "result"),
       attrs=("dim", "keepdim"),
       math="grad_self = grad * exp(self - result)  (grad, result expanded back over dim)")
def _logsumexp_backward(grad, self, result, dim, keepdim):
    """d logsumexp / dx_i = exp(x_i) / sum_j exp(x_j) = exp(x_i - logsumexp): the softmax
    weights, computed from the saved result so that they never overflow."""
    shape = self.shape
    weights = (self - _restore_dims(result, shape, dim, keepdim)).exp()
    return _restore_dims(grad, shape, dim, keepdim) * weights


LOGSUMEXP = REGISTRY["logsumexp"]


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, stable for large values; ints give the default float."""
    if dim is None:  # PyTorch's dim is required: no "all dims" spelling
        ints_arg(dim)
    if input._data.dtype.kind != "f":
        from .. import _dtypes

        input = input.to(_dtypes._default)
    return apply_op(LOGSUMEXP, (input,),
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


@defop("linalg_vector_norm", in_c_order(_norm_forward), save=("self", "result"),
       attrs=("ord", "dim", "keepdim"),
       math=("grad_self = grad * sgn(self)·|self|^(ord-1) / result^(ord-1)  (0 where result = 0; "
             "ord 0: 0; ±inf: ties share)"))
def _norm_backward(grad, self, result, ord, dim, keepdim):  # noqa: A002
    """||x||_p = (sum |x_i|^p)^(1/p), so d||x||_p / dx_i = sgn(x_i) |x_i|^(p-1) / ||x||^(p-1):
    p = 2: x_i / ||x||; p = 1: sgn(x_i); p = 0: 0 (a count); p = +-inf: sgn(x_i) at the
    elements where |x_i| = ||x||, shared among ties. Where ||x|| = 0 the gradient is 0, and
    for p < 1 also where x_i = 0. Written as PyTorch's norm_backward, op for op (its
    masked_fill_ are out-of-place masked_fill here: the same nodes)."""
    norm = result
    if not keepdim and self.ndim != 0 and not isinstance(dim, _AllDims):
        grad = _restore_dims(grad, self.shape, dim, False)
        norm = _restore_dims(norm, self.shape, dim, False)
    if ord == 0:
        return Tensor(np.zeros_like(self._data))
    if ord == 1:
        return self.sgn() * grad
    if ord == 2:
        return grad * masked_fill(self / norm, norm == 0, 0)
    if ord in (np.inf, -np.inf):
        a = self.abs()
        mask = (a == norm) | (a != a)  # nan elements take part, as in amax's backward
        return self.sgn() * ((grad / mask.sum(dim, keepdim=True)) * mask)
    if ord < 1:  # |x_i|^(p-1) is infinite at x_i = 0: PyTorch takes 0 there
        self_scaled = self.sgn() * masked_fill(self.abs() ** (ord - 1), self == 0, 0)
        return self_scaled * grad * norm ** (1 - ord)
    if ord < 2:
        self_scaled = self.sgn() * self.abs() ** (ord - 1)
    else:
        self_scaled = self * self.abs() ** (ord - 2)
    return self_scaled * masked_fill(grad / norm ** (ord - 1), norm == 0, 0)


LINALG_VECTOR_NORM = REGISTRY["linalg_vector_norm"]


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
    if dim is None:
        dims = _AllDims(dims)
    if np.isinf(ord) and input._data.size == 0:
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    return apply_op(LINALG_VECTOR_NORM, (input,), (ord, dims, bool(keepdim)))


# --- cumsum and cumprod ---------------------------------------------------------------------
def _scan(np_fn):
    def forward(a, dim):
        if a.ndim == 0:
            return a.copy()
        with np.errstate(all="ignore"):  # np.cumprod warns from NumPy's own module
            return np_fn(a, axis=dim)

    forward.__name__ = np_fn.__name__
    return forward


def _reverse_cumsum_forward(a, dim):
    if a.ndim == 0:
        return a.copy()
    # new memory in C order, as PyTorch's (not a flipped view)
    return np.ascontiguousarray(np.flip(np.cumsum(np.flip(a, axis=dim), axis=dim), axis=dim))


@defop("cumsum", in_c_order(_scan(np.cumsum)), attrs=("dim",),
       math="grad_self = reverse_cumsum(grad, dim)  (grad_self[j] = ∑_{i≥j} grad[i])")
def _cumsum_backward(grad, dim):
    """out_i = sum_{j <= i} x_j, so grad_x_j = sum_{i >= j} grad_i: a cumsum from the end."""
    return apply_op(REVERSE_CUMSUM, (grad,), (dim,))


CUMSUM = REGISTRY["cumsum"]


@defop("reverse_cumsum", _reverse_cumsum_forward, attrs=("dim",),
       node_name="ReverseCumsumBackward0",
       math="grad_self = cumsum(grad, dim)")
def _reverse_cumsum_backward(grad, dim):
    """out_j = sum_{i >= j} x_i is cumsum's adjoint, and cumsum is its adjoint. (PyTorch
    writes this as flip, cumsum, flip; one op here.)"""
    return apply_op(CUMSUM, (grad,), (dim,))


REVERSE_CUMSUM = REGISTRY["reverse_cumsum"]


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; bool and int accumulate in int64, as in PyTorch."""
    input = _integral_to_int64(input, dtype)
    return apply_op(CUMSUM, (input,), (_wrap_dim(dim, input._data.ndim),))


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


@defop("cumprod", in_c_order(_scan(np.cumprod)), save=("self", "result"), attrs=("dim",),
       math=("grad_self[k] = ∑_{i≥k} grad[i] · ∏_{j≤i, j≠k} self[j]  (with no zero: "
             "reverse_cumsum(grad·result) / self)"))
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
        return apply_op(REVERSE_CUMSUM, (grad * result,), (dim,)) / self
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


CUMPROD = REGISTRY["cumprod"]


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; the gradient is exact with zeros in the input."""
    input = _integral_to_int64(input, dtype)
    return apply_op(CUMPROD, (input,), (_wrap_dim(dim, input._data.ndim),))


for _name in ("sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "var",
              "std", "logsumexp", "norm", "cumsum", "cumprod", "sum_to_size"):
    globals()[_name] = _takes_a_tensor(globals()[_name])
