"""Table rows behind ``al.nn.functional``: activations, softmax, padding, im2col/col2im.

These are rows rather than compositions because one NumPy forward is much faster than a
chain of small ops (conv, pooling) or numerically safer (softmax). Every backward is
still written with Tensor ops, so second derivatives come free:

- ``im2col`` and ``col2im`` are adjoint (one copies windows out, the other adds them
  back), so each one's backward is the other; conv and pooling are built on them;
- ``constant_pad`` with pads ``p`` has as backward ``constant_pad`` with ``-p`` (a crop).
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._table import apply_op, defop
from .pointwise import exp, sigmoid, tanh, where
from .special import erf

__all__ = ["softmax", "log_softmax", "gelu", "silu", "softplus", "constant_pad", "im2col",
           "col2im"]

_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_K_TANH = math.sqrt(2 / math.pi)  # gelu's tanh approximation: tanh(k (x + 0.044715 x**3))
_C_TANH = 0.044715
_erf_elementwise = np.vectorize(math.erf, otypes=[np.float64])  # 0-d: an array too


# --- softmax family ---------------------------------------------------------------------
def _softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    # Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    e = np.exp(a - np.max(a, axis=dim, keepdims=True))
    return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    shifted = a - np.max(a, axis=dim, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


@defop("softmax", _softmax_forward, save=("result",), attrs=("dim",))
def _softmax_backward(grad, result, dim):
    """y = softmax(x): dx = y * (g - sum(g * y)) along ``dim``."""
    return result * (grad - (grad * result).sum(dim, keepdim=True))


@defop("log_softmax", _log_softmax_forward, save=("result",), attrs=("dim",))
def _log_softmax_backward(grad, result, dim):
    """y = log_softmax(x): dx = g - exp(y) * sum(g) along ``dim``."""
    return grad - exp(result) * grad.sum(dim, keepdim=True)


# --- smooth activations -------------------------------------------------------------------
def _gelu_forward(a: np.ndarray) -> np.ndarray:
    cdf = 0.5 * (1.0 + _erf_elementwise(a * _SQRT1_2).astype(a.dtype))
    return a * cdf


@defop("gelu", _gelu_forward, save=("self",))
def _gelu_backward(grad, self):
    """gelu(x) = x Phi(x): d/dx = Phi(x) + x phi(x) (normal cdf and pdf)."""
    cdf = 0.5 * (1 + erf(self * _SQRT1_2))
    pdf = exp(self * self * -0.5) * _INV_SQRT_2PI
    return grad * (cdf + self * pdf)


def _gelu_tanh_forward(a: np.ndarray) -> np.ndarray:
    return 0.5 * a * (1.0 + np.tanh(_K_TANH * (a + _C_TANH * a * a * a)))


@defop("gelu_tanh", _gelu_tanh_forward, save=("self",), node_name="GeluBackward0")
def _gelu_tanh_backward(grad, self):
    """y = x/2 (1 + t), t = tanh(u), u = k(x + c x**3):
    dy/dx = (1 + t)/2 + x/2 (1 - t**2) k (1 + 3c x**2)."""
    x2 = self * self
    t = tanh((self + x2 * self * _C_TANH) * _K_TANH)
    du = (x2 * (3 * _C_TANH) + 1) * _K_TANH
    return grad * ((t + 1) * 0.5 + self * 0.5 * (1 - t * t) * du)


def _silu_forward(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))  # the stable sigmoid of pointwise.py
    return a * np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


@defop("silu", _silu_forward, save=("self",))
def _silu_backward(grad, self):
    """silu(x) = x s(x), s = sigmoid: d/dx = s (1 + x (1 - s))."""
    s = sigmoid(self)
    return grad * s * (self * (1 - s) + 1)


def _softplus_forward(a: np.ndarray, beta, threshold) -> np.ndarray:
    z = a * beta
    # logaddexp(0, z) = log(1 + exp(z)) without overflow; above threshold softplus is x.
    return np.where(z > threshold, a, np.logaddexp(0, z) / beta).astype(a.dtype, copy=False)


@defop("softplus", _softplus_forward, save=("self",), attrs=("beta", "threshold"))
def _softplus_backward(grad, self, beta, threshold):
    """softplus(x) = log(1 + exp(beta x)) / beta: d/dx = sigmoid(beta x) (1 above threshold)."""
    z = self * beta
    return where(z > threshold, grad, grad * sigmoid(z))


# --- padding --------------------------------------------------------------------------------
def _pad_forward(a: np.ndarray, pads: tuple, value) -> np.ndarray:
    """``pads`` is one (before, after) pair per axis; negative values crop."""
    crop = tuple(slice(max(-lo, 0), a.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pads))
    grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
    return np.pad(a[crop], grow, mode="constant", constant_values=value)


@defop("constant_pad", _pad_forward, attrs=("pad", "value"), node_name="ConstantPadNdBackward0")
def _constant_pad_backward(grad, pad, value):
    """Padding adds constants around the input: its adjoint crops them off again."""
    return constant_pad(grad, tuple((-lo, -hi) for lo, hi in pad), 0)


def constant_pad(input: Tensor, pads: tuple, value=0) -> Tensor:
    """``input`` with ``pads[i] = (before, after)`` elements of ``value`` on axis i."""
    return apply_op(_constant_pad_backward, (input,), (tuple(pads), value))


# --- im2col / col2im --------------------------------------------------------------------------
def out_size(size: int, kernel: int, dilation: int, stride: int) -> int:
    """How many windows of ``kernel`` (spread by ``dilation``) fit, ``stride`` apart."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(i, j, kernel, dilation, stride, out_hw):
    """The input positions that window element (i, j) reads, over all windows."""
    (dh, dw), (sh, sw), (oh, ow) = dilation, stride, out_hw
    return (Ellipsis,
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _im2col_forward(a, kernel, dilation, stride, self_shape):
    (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
    windows = np.lib.stride_tricks.sliding_window_view(
        a, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(-2, -1))
    windows = windows[..., ::sh, ::sw, ::dh, ::dw]  # (..., OH, OW, kh, kw)
    return np.ascontiguousarray(np.moveaxis(windows, (-2, -1), (-4, -3)))  # (..., kh, kw, OH, OW)


def _col2im_forward(cols, kernel, dilation, stride, output_size):
    kh, kw = kernel
    out = np.zeros(cols.shape[:-4] + tuple(output_size), dtype=cols.dtype)
    out_hw = cols.shape[-2:]
    for i in range(kh):
        for j in range(kw):
            out[_window_slices(i, j, kernel, dilation, stride, out_hw)] += cols[..., i, j, :, :]
    return out


@defop("im2col", _im2col_forward, attrs=("kernel_size", "dilation", "stride", "self_sym_sizes"))
def _im2col_backward(grad, kernel_size, dilation, stride, self_sym_sizes):
    """Each window copied input values: add every copy's gradient back (col2im)."""
    return col2im(grad, kernel_size, dilation, stride, self_sym_sizes[-2:])


@defop("col2im", _col2im_forward, attrs=("kernel_size", "dilation", "stride", "output_size"))
def _col2im_backward(grad, kernel_size, dilation, stride, output_size):
    """col2im sums windows into place: each window value gets its place's gradient (im2col)."""
    return im2col(grad, kernel_size, dilation, stride)


def im2col(input: Tensor, kernel_size, dilation, stride) -> Tensor:
    """Windows of the last two axes: ``(..., H, W)`` gives ``(..., kh, kw, OH, OW)``."""
    return apply_op(_im2col_backward, (input,),
                    (tuple(kernel_size), tuple(dilation), tuple(stride), input._data.shape))


def col2im(input: Tensor, kernel_size, dilation, stride, output_size) -> Tensor:
    """Sum ``(..., kh, kw, OH, OW)`` windows back into ``(..., *output_size)``."""
    return apply_op(_col2im_backward, (input,),
                    (tuple(kernel_size), tuple(dilation), tuple(stride), tuple(output_size)))


def softmax(input: Tensor, dim: int) -> Tensor:
    return apply_op(_softmax_backward, (input,), (dim,))


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return apply_op(_log_softmax_backward, (input,), (dim,))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    spec = _gelu_tanh_backward if approximate == "tanh" else _gelu_backward
    return apply_op(spec, (input,))


def silu(input: Tensor) -> Tensor:
    return apply_op(_silu_backward, (input,))


def softplus(input: Tensor, beta, threshold) -> Tensor:
    return apply_op(_softplus_backward, (input,), (beta, threshold))
