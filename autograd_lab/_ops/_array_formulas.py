"""The NumPy formulas: a faster road to the derivatives of a few hot rows.

Not the definitions. Each row's definition is its formula in Tensor ops, in its family
module (``pointwise.py``, ``reductions.py`` ...); ``node.apply`` always runs that one,
and so does every backward when ``al.autograd.fast_formulas(False)`` is set. The
functions here compute the same values on NumPy arrays, skipping the Tensor, dispatch
and promotion work around each term (Note [Two formulas] in ``_table.py``); the engine
uses them for a plain backward. Rows whose formula is plain arithmetic need none: they
say ``runs_on_arrays=True`` and their one formula serves both.

Each formula takes and returns what its row's Tensor formula does, as arrays. The op
database checks every one against its definition on every sample (tests/test_opdb.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import linalg as _linalg  # noqa: F401 - defines rows registered below
from ._kernels import matmul_forward, mT_array, partial_sum, sum_to_forward
from ._table import REGISTRY
from .conv import _bias_grad, _grads_on_arrays
from .indexing import _put_forward
from .nn import (
    _C_TANH,
    _INV_SQRT_2PI,
    _K_TANH,
    _SQRT1_2,
    _erf_elementwise,
    _nll_self_grad_arrays,
    _pad_forward,
)
from .pointwise import _sigmoid_forward
from .reductions import (
    _AllDims,
    _dof,
    _mean_forward,
    _restore_dims_array,
    _reverse_cumsum_forward,
    _scatter_forward,
)
from .views import _along, _diagonal_backward_forward, _expand_forward, _roll_forward

__all__: list[str] = []


def arrays_for(row: str) -> Callable:
    """Decorator: register ``formula`` as the NumPy formula of ``REGISTRY[row]``."""

    def register(formula: Callable) -> Callable:
        return REGISTRY[row].on_arrays(formula)

    return register


# --- pointwise.py --------------------------------------------------------------------
@arrays_for("abs")
def _abs_backward_arrays(grad, self):
    sign = np.sign(self)
    return grad * np.where(sign == sign, sign, 0)  # sign(nan) is 0, as in PyTorch


@arrays_for("sin")
def _sin_backward_arrays(grad, self):
    return grad * np.cos(self)


@arrays_for("cos")
def _cos_backward_arrays(grad, self):
    return -grad * np.sin(self)


@arrays_for("pow_scalar")
def _pow_scalar_backward_arrays(grad, self, exponent):
    if exponent == 0:
        return grad * 0
    return grad * (self ** (exponent - 1) * exponent)


@arrays_for("square")
def _square_backward_arrays(grad, self):
    return grad * (self * 2)


@arrays_for("sqrt")
def _sqrt_backward_arrays(grad, result):
    return grad / (result * 2)


@arrays_for("tanh")
def _tanh_backward_arrays(grad, result):
    return grad * (1 - result * result)


@arrays_for("sigmoid")
def _sigmoid_backward_arrays(grad, result):
    return grad * result * (1 - result)


@arrays_for("relu")
def _relu_backward_arrays(grad, result, *, grad_is_owned=False):
    # relu's result is >= 0 or nan, so "not result <= 0" is "result != 0": one comparison.
    if grad_is_owned:  # nothing else sees it: write into it (Note [Owned gradients])
        np.multiply(grad, result != 0, out=grad)
        return grad
    # A multiply by a bool mask casts it in small buffers; casting the mask once to the
    # gradient's dtype, then multiplying in place, is faster (and much faster than np.where).
    out = np.empty(result.shape, grad.dtype)
    np.copyto(out, result != 0)
    if grad.size and not any(grad.strides):
        # One value everywhere (the gradient of a sum or a mean, a broadcast view): scale
        # by it, or not at all when it is 1 (x * 1 is x exactly, so nothing changes).
        value = grad[(0,) * grad.ndim]
        if value != 1:
            out *= value
    else:
        out *= grad
    return out


# --- reductions.py -------------------------------------------------------------------
@arrays_for("sum")
def _sum_backward_arrays(grad, dim, keepdim, self_sym_sizes):
    # A broadcast view, no copy of the gradient per element (Note [Two formulas]); as the
    # row's own grad.expand (and PyTorch's), a view that may be written where it repeats
    # nothing.
    restored = _restore_dims_array(grad, self_sym_sizes, dim, keepdim)
    return _expand_forward(restored, self_sym_sizes, restored.shape)


arrays_for("sum_dim")(_sum_backward_arrays)


def _extreme_backward_arrays(grad, self, result, dim, keepdim):
    shape = self.shape
    hit = self == _restore_dims_array(result, shape, dim, keepdim)
    count = np.sum(hit, axis=dim, keepdims=True).astype(grad.dtype)  # not int64: no float64
    return _restore_dims_array(grad, shape, dim, keepdim) * hit / count


def _evenly_distribute_backward_arrays(grad, self, result, dim, keepdim):
    hit = (self == result) | ((self != self) & (result != result))
    return grad * hit / np.asarray(np.sum(hit), dtype=grad.dtype)


def _select_dim_backward_arrays(grad, dim, keepdim, indices, self_sym_sizes):
    return _scatter_forward(grad, dim, keepdim, indices, self_sym_sizes)


@arrays_for("mean")
def _mean_backward_arrays(grad, dim, keepdim, self_sym_sizes, count):
    # Divide the small gradient, then spread it into new memory: the Tensor formula's
    # division of an expand gives new memory too, which the engine may sum a second
    # gradient into in place (Note [Summing in place]), as PyTorch does.
    small = grad / count
    out = np.empty(self_sym_sizes, small.dtype)
    out[...] = _restore_dims_array(small, self_sym_sizes, dim, keepdim)
    return out


arrays_for("mean_dim")(_mean_backward_arrays)


arrays_for("amax")(_extreme_backward_arrays)


arrays_for("amin")(_extreme_backward_arrays)


arrays_for("max")(_evenly_distribute_backward_arrays)


arrays_for("min")(_evenly_distribute_backward_arrays)


arrays_for("max_dim")(_select_dim_backward_arrays)


arrays_for("min_dim")(_select_dim_backward_arrays)


@arrays_for("sum_to_size")
def _sum_to_size_backward_arrays(grad, size, self_sym_sizes):
    return _expand_forward(grad, self_sym_sizes, grad.shape)


def _all_dims(dim) -> bool:
    return isinstance(dim, _AllDims)


@arrays_for("var")
def _var_backward_arrays(grad, self, dim, correction, keepdim):
    if _dof(self.shape, dim, correction) <= 0 and (_all_dims(dim) or not self.shape):
        return grad * np.where(self == self.mean(), np.nan, np.inf)  # as the Tensor formula
    scale = float(np.float64(2.0) / np.float64(_dof(self.shape, dim, correction)))
    count = int(np.prod([self.shape[d] for d in dim])) if self.shape else 1
    centred = self - _mean_forward(self, dim, True, None, count)
    return _restore_dims_array(grad, self.shape, dim, keepdim) * centred * scale


@arrays_for("std")
def _std_backward_arrays(grad, self, result, dim, correction, keepdim):
    shape = self.shape
    g = _restore_dims_array(grad, shape, dim, keepdim)
    r = _restore_dims_array(result, shape, dim, keepdim)
    zero = r == 0
    g = np.where(zero, 0, g / (2 * np.where(zero, 1, r)))
    return _var_backward_arrays(g, self, dim, correction, True)


@arrays_for("logsumexp")
def _logsumexp_backward_arrays(grad, self, result, dim, keepdim):
    shape = self.shape
    weights = np.exp(self - _restore_dims_array(result, shape, dim, keepdim))
    weights *= _restore_dims_array(grad, shape, dim, keepdim)
    return weights


@arrays_for("cumsum")
def _cumsum_backward_arrays(grad, dim):
    return _reverse_cumsum_forward(grad, dim)


# --- views.py ------------------------------------------------------------------------
@arrays_for("view")
def _reshape_back_arrays(grad, size, self_sym_sizes):
    # Note [Two formulas] in _table.py; NumPy copies only if the gradient's strides need it
    return grad.reshape(self_sym_sizes)


arrays_for("reshape")(_reshape_back_arrays)
arrays_for("squeeze")(_reshape_back_arrays)  # put the dropped size-1 dimensions back
arrays_for("squeeze_dim")(_reshape_back_arrays)
arrays_for("squeeze_dims")(_reshape_back_arrays)


@arrays_for("transpose")
def _transpose_backward_arrays(grad, dim0, dim1):
    # a 0-d tensor's transpose (over dim 0 or -1) is the tensor itself
    return grad if grad.ndim == 0 else np.swapaxes(grad, dim0, dim1)


@arrays_for("permute")
def _permute_backward_arrays(grad, dims):
    return np.transpose(grad, np.argsort(dims))


@arrays_for("expand")
def _expand_backward_arrays(grad, size, self_sym_sizes):
    return sum_to_forward(grad, self_sym_sizes)


@arrays_for("unsqueeze")
def _unsqueeze_backward_arrays(grad, dim):
    return np.squeeze(grad, axis=dim)


@arrays_for("t")
def _t_backward_arrays(grad):
    return grad.T


@arrays_for("narrow")
def _narrow_backward_arrays(grad, dim, start, end, step, self_sym_sizes):
    out = np.zeros(self_sym_sizes, grad.dtype)
    out[_along(dim, slice(start, end, step))] = grad
    return out


@arrays_for("index")
def _index_backward_arrays(grad, index, self_sym_sizes):
    return _put_forward(grad, index, self_sym_sizes)  # zeros, grad added at index


@arrays_for("select_int")
def _select_int_backward_arrays(grad, dim, index, self_sym_sizes):
    out = np.zeros(self_sym_sizes, grad.dtype)
    out[_along(dim, index)] = grad
    return out


@arrays_for("diagonal")
def _diagonal_backward_arrays(grad, offset, dim1, dim2, self_sym_sizes):
    return _diagonal_backward_forward(grad, self_sym_sizes, offset, dim1, dim2)


@arrays_for("repeat")
def _repeat_backward_arrays(grad, repeats, self_sym_sizes):
    padded = (1,) * (len(repeats) - len(self_sym_sizes)) + tuple(self_sym_sizes)
    pairs = tuple(n for r, s in zip(repeats, padded, strict=True) for n in (r, s))
    if not pairs:
        return grad
    summed = partial_sum(grad.reshape(pairs), tuple(range(0, len(pairs), 2)))
    return summed.reshape(self_sym_sizes)


@arrays_for("flip")
def _flip_backward_arrays(grad, dims):
    return np.flip(grad, axis=dims)  # a view with negative strides: enough for a gradient


@arrays_for("roll")
def _roll_backward_arrays(grad, shifts, dims):
    return _roll_forward(grad, tuple(-s for s in shifts), dims)


# --- linalg.py -----------------------------------------------------------------------
@arrays_for("matmul")
def _mm_backward_arrays(grad, self, mat2, *, needs_input_grad):
    """The same products on arrays (mm, and bmm per batch); an operand is None when the
    other's gradient is not wanted (Note [Saved only when needed] in _table.py)."""
    want_self, want_mat2 = needs_input_grad
    return (matmul_forward(grad, mT_array(mat2)) if want_self else None,
            matmul_forward(mT_array(self), grad) if want_mat2 else None)


arrays_for("bmm")(_mm_backward_arrays)


@arrays_for("mv")
def _mv_backward_arrays(grad, self, vec, *, needs_input_grad):
    want_self, want_vec = needs_input_grad
    return (np.multiply.outer(grad, vec) if want_self else None,
            matmul_forward(self.T, grad) if want_vec else None)


@arrays_for("addmm")
def _addmm_backward_arrays(grad, mat1, mat2, *, needs_input_grad):
    _, want_mat1, want_mat2 = needs_input_grad
    return (grad,
            matmul_forward(grad, mat2.T) if want_mat1 else None,
            matmul_forward(mat1.T, grad) if want_mat2 else None)


# --- nn.py ---------------------------------------------------------------------------
@arrays_for("softmax")
def _softmax_backward_arrays(grad, result, dim):
    if result.ndim == 0:
        return result * (grad - grad * result)
    out = grad - partial_sum(grad * result, (dim % result.ndim,), True)
    out *= result
    return out


@arrays_for("log_softmax")
def _log_softmax_backward_arrays(grad, result, dim):
    if result.ndim == 0:
        return grad - np.exp(result) * grad
    out = np.exp(result)
    out *= partial_sum(grad, (dim % result.ndim,), True)
    np.subtract(grad, out, out=out)
    return out


@arrays_for("nll_loss")
def _nll_loss_backward_arrays(grad, self, target, weight, reduction, ignore_index,
                              total_weight, picks):
    return _nll_self_grad_arrays(grad, self, picks, reduction, total_weight._data)


@arrays_for("nll_loss_weighted")
def _nll_loss_weighted_backward_arrays(grad, self, weight, target, reduction, ignore_index,
                                       total_weight, picks, *, needs_input_grad):
    total = total_weight._data
    grad_self = grad_weight = None
    if needs_input_grad[0]:
        grad_self = _nll_self_grad_arrays(grad, self, picks, reduction, total)
    if needs_input_grad[1]:
        loss = picks.picked(self)
        np.negative(loss, out=loss)
        if reduction == "mean":
            loss -= np.sum(loss * picks.sample_weight) / total
            loss /= total
        contrib = np.where(picks.valid, grad * loss, 0)
        grad_weight = np.zeros(weight.shape, contrib.dtype)
        np.add.at(grad_weight, picks.classes[picks.valid], contrib[picks.valid])
    return grad_self, grad_weight


arrays_for("nll_loss2d")(_nll_loss_backward_arrays)


arrays_for("nll_loss2d_weighted")(_nll_loss_weighted_backward_arrays)


@arrays_for("gelu")
def _gelu_backward_arrays(grad, self):
    cdf = 0.5 * (1 + _erf_elementwise(self * _SQRT1_2).astype(self.dtype, copy=False))
    pdf = np.exp(self * self * -0.5) * _INV_SQRT_2PI
    return grad * (cdf + self * pdf)


@arrays_for("gelu_tanh")
def _gelu_tanh_backward_arrays(grad, self):
    x2 = self * self
    t = np.tanh((self + x2 * self * _C_TANH) * _K_TANH)
    du = (x2 * (3 * _C_TANH) + 1) * _K_TANH
    return grad * ((t + 1) * 0.5 + self * 0.5 * (1 - t * t) * du)


@arrays_for("silu")
def _silu_backward_arrays(grad, self):
    s = _sigmoid_forward(self)
    return grad * s * (self * (1 - s) + 1)


@arrays_for("softplus")
def _softplus_backward_arrays(grad, self, beta, threshold):
    z = self * beta
    return np.where(z > threshold, grad, grad * _sigmoid_forward(z))


@arrays_for("constant_pad")
def _constant_pad_backward_arrays(grad, pad, value):
    return _pad_forward(grad, tuple((-lo, -hi) for lo, hi in pad), 0)


# --- conv.py -------------------------------------------------------------------------
@arrays_for("convolution")
def _convolution_backward_arrays(grad, input, weight, stride, padding, dilation, groups, *,
                                 needs_input_grad=(True, True, True)):
    gi, gw = _grads_on_arrays(grad, input, weight, stride, padding, dilation, groups,
                              needs_input_grad)
    return gi, gw, (_bias_grad(grad) if needs_input_grad[2] else None)


@arrays_for("convolution_nobias")
def _convolution_nobias_backward_arrays(grad, input, weight, stride, padding, dilation, groups,
                                        *, needs_input_grad=(True, True, False)):
    return (*_grads_on_arrays(grad, input, weight, stride, padding, dilation, groups,
                              needs_input_grad), None)  # the empty bias edge
