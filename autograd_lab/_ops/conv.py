"""``convolution``: conv1d and conv2d as ONE table row, ``ConvolutionBackward0`` (PyTorch's
node name), instead of a chain of pad, im2col, permute, view and matmul nodes.

The forward is im2col + matmul on NumPy arrays: every window of the zero-padded input is
copied into a column, ``(C*kh*kw, OH*OW)`` per sample, and a batched product with the
``(groups, O/groups, C/groups*kh*kw)`` weight writes the output directly in
``(N, O, OH, OW)`` order: no transposing copy of the output, nor of its gradient.

Only the input and the weight are saved, as PyTorch does: the backward copies the
columns again (0.3 ms on W5) rather than keeping them alive from forward to backward,
which would hold kh*kw times the input's memory per convolution between the passes.

A 1-D convolution is the 2-D one on a height-1 image: the arrays get a size-1 axis (a
view) inside the formulas, so ``conv1d`` is one ``ConvolutionBackward0`` node too.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._tensor import Tensor
from ._table import apply_op, defop
from .nn import col2im, constant_pad, im2col
from .views import reshape, squeeze, transpose, unsqueeze

__all__ = ["convolution"]


# Note [Fresh memory]
# On W5 (32x3x32x32 input, 16 3x3 filters, float32) the columns are 3.5 MB, and so is
# their gradient. Made whole, each is a new large array: when the allocator hands it out
# as fresh pages from the kernel, the page faults cost more than the product itself
# (this machine: ~2,000 faults and several ms per step for the hand-written version).
# So the NumPy code goes through the batch in chunks of about CHUNK_BYTES of columns,
# reusing one buffer: copy the chunk's windows in, multiply, and in the backward add
# the chunk's column gradient back into the input's gradient (col2im: one strided add
# per kernel tap; within one tap no two windows share an input element, so no
# ``np.add.at``). A chunk of ~1 MB stays in cache and is still large enough for BLAS;
# much smaller chunks (one sample, or per-tap products with C rows) lose more to the
# many small calls than they save.
CHUNK_BYTES = 1 << 20


def _spatial_2d(stride, padding, dilation):
    """A 1-D convolution's attrs as those of the 2-D one on a height-1 image."""
    if len(stride) == 2:
        return stride, padding, dilation
    return (1, *stride), (0, *padding), (1, *dilation)


def _padded(a: np.ndarray, padding) -> np.ndarray:
    """``a`` with ``padding = (ph, pw)`` zeros around its last two axes (no copy if none).
    Zeros then one assignment: faster than ``np.pad``, which is general."""
    ph, pw = padding
    if not (ph or pw):
        return a
    n, c, h, w = a.shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=a.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = a
    return out


def _windows(padded: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Every window of ``padded`` as a view ``(N, C, kh, kw, OH, OW)``, nothing copied.

    sliding_window_view gives the dense windows; ``[::s, ::s, ::d, ::d]`` keeps the strided
    windows and the dilated taps. Copying it in that axis order is im2col: for one sample,
    a ``(C*kh*kw, OH*OW)`` matrix, the right factor of the product with the weight.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    windows = sliding_window_view(padded, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    return windows[:, :, ::sh, ::sw, ::dh, ::dw].transpose(0, 1, 4, 5, 2, 3)


def _chunks(n: int, per_sample_bytes: int) -> tuple:
    """Batch ranges whose columns fill about CHUNK_BYTES (Note [Fresh memory]), and the
    number of samples the reused buffer must hold."""
    rows = max(1, CHUNK_BYTES // max(per_sample_bytes, 1))
    return [(start, min(start + rows, n)) for start in range(0, n, rows)], min(rows, n)


def _tap_slices(i: int, j: int, stride, dilation, out_hw) -> tuple:
    """The padded-input positions that kernel tap (i, j) reads, over all windows."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (Ellipsis,
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _forward_2d(x, w, b, stride, padding, dilation, groups):
    n, c = x.shape[:2]
    o, c_group, kh, kw = w.shape
    windows = _windows(_padded(x, padding), (kh, kw), stride, dilation)
    oh, ow = windows.shape[-2:]
    k = c_group * kh * kw
    dtype = np.result_type(x, w)
    w_groups = w.reshape(groups, o // groups, k)
    out = np.empty((n, groups, o // groups, oh * ow), dtype=dtype)
    chunks, rows = _chunks(n, c * kh * kw * oh * ow * dtype.itemsize)
    cols = np.empty((rows, c, kh, kw, oh, ow), dtype=dtype)  # reused: Note [Fresh memory]
    for start, stop in chunks:
        part = cols[:stop - start]
        np.copyto(part, windows[start:stop])  # im2col of these samples
        np.matmul(w_groups, part.reshape(-1, groups, k, oh * ow), out=out[start:stop])
    out = out.reshape(n, o, oh, ow)
    if b is not None:
        b = b.reshape(o, 1, 1)
        if np.result_type(out, b) == out.dtype:
            out += b  # in place: no second output-sized array
        else:
            out = out + b
    return out


def _convolution_forward(x, w, b, stride, padding, dilation, groups):
    if x.ndim == 3:  # conv1d
        s, p, d = _spatial_2d(stride, padding, dilation)
        return _forward_2d(x[:, :, None], w[:, :, None], b, s, p, d, groups)[:, :, 0]
    return _forward_2d(x, w, b, stride, padding, dilation, groups)


def _convolution_nobias_forward(x, w, stride, padding, dilation, groups):
    return _convolution_forward(x, w, None, stride, padding, dilation, groups)


# --- the formula on NumPy arrays (a plain backward) --------------------------------------------
class _StridedCol2im:
    """The input's gradient, one chunk of samples at a time: the columns' gradient
    ``w^T @ dy``, then col2im, one strided add per kernel tap (within one tap no two
    windows share an input element, so plain ``+=`` is right, no ``np.add.at``)."""

    def __init__(self, x_shape, w_t, groups, kernel, stride, padding, dilation, out_hw, rows,
                 dtype):
        n, c, h, w = x_shape
        (ph, pw), (kh, kw), (oh, ow) = padding, kernel, out_hw
        self.w_t, self.groups, self.out_hw = w_t, groups, out_hw
        self.padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dtype)
        self.crop = (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))
        self.taps = [(i, j, _tap_slices(i, j, stride, dilation, out_hw))
                     for i in range(kh) for j in range(kw)]
        self.cols = np.empty((rows, c, kh, kw, oh, ow), dtype=dtype)

    def add(self, start: int, stop: int, grad_groups: np.ndarray) -> None:
        part = self.cols[:stop - start]
        m, g, k = stop - start, self.groups, self.w_t.shape[1]
        np.matmul(self.w_t, grad_groups, out=part.reshape(m, g, k, -1))
        target = self.padded[start:stop]
        for i, j, where in self.taps:
            target[where] += part[:, :, i, j]

    def result(self) -> np.ndarray:
        return self.padded[self.crop]


class _FlatCol2im(_StridedCol2im):
    """col2im for stride 1 (Note [Flat rows]): tap (i, j) is one contiguous range of
    each padded image, taken as a flat row, so each add runs over long rows."""

    def __init__(self, x_shape, w_t, groups, kernel, stride, padding, dilation, out_hw, rows,
                 dtype):
        n, c, h, w = x_shape
        (ph, pw), (kh, kw), (dh, dw), (oh, ow) = padding, kernel, dilation, out_hw
        hp, wp = h + 2 * ph, w + 2 * pw
        self.w_t, self.groups, self.out_hw, self.ow = w_t, groups, out_hw, ow
        self.span = oh * wp  # the output rows, each as wide as a padded input row
        # the last taps' garbage columns run (kw-1)*dw past the image: room for them
        self.flat = np.zeros((n, c, hp * wp + (kw - 1) * dw), dtype=dtype)
        self.padded = self.flat[:, :, :hp * wp].reshape(n, c, hp, wp)
        self.crop = (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))
        self.offsets = [(i, j, i * dh * wp + j * dw) for i in range(kh) for j in range(kw)]
        self.cols = np.empty((rows, c, kh, kw, self.span), dtype=dtype)
        # the output gradient, widened with zero columns (they stay zero)
        self.wide_grad = np.zeros((rows, w_t.shape[0] * w_t.shape[2], oh, wp), dtype=dtype)

    def add(self, start: int, stop: int, grad_groups: np.ndarray) -> None:
        m, g, k = stop - start, self.groups, self.w_t.shape[1]
        wide = self.wide_grad[:m]
        wide[..., :self.ow] = grad_groups.reshape(wide[..., :self.ow].shape)
        part = self.cols[:m]
        np.matmul(self.w_t, wide.reshape(m, g, -1, self.span), out=part.reshape(m, g, k, -1))
        target = self.flat[start:stop]
        span = self.span
        for i, j, offset in self.offsets:
            target[:, :, offset:offset + span] += part[:, :, i, j]


# Note [Flat rows]
# col2im adds each tap's (N, C, OH, OW) slice into the padded gradient; the slices'
# rows are only OW long (32 on W5), and NumPy pays a per-row cost that is most of the
# time of such short adds. With stride 1, output position (r, q) of tap (i, j) is input
# position (r + i*dh, q + j*dw): in an image flattened to one row of HP*WP values that
# is offset i*dh*WP + j*dw plus r*WP + q, so if the output rows are taken WP wide
# (padded with WP - OW columns), a tap is ONE contiguous range of the flat image. The
# extra columns land on the next row's first positions (or past the end: the flat
# buffer has room); their column gradients are w^T @ 0 = 0, so they add nothing. Only
# a non-finite weight would make them nan (inf * 0): the strided version runs then.


def _grads_on_arrays_2d(grad, x, w, stride, padding, dilation, groups, want_input, want_weight):
    """dw = sum over samples of dy @ cols^T; dx = col2im(w^T @ dy). Both per chunk of the
    batch, with the chunk's columns rebuilt from the saved input (Note [Fresh memory])."""
    n, c = x.shape[:2]
    o, c_group, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    k = c_group * kh * kw
    dtype = np.result_type(grad, x, w)
    if not grad.flags.c_contiguous:  # e.g. sum's gradient, expanded: BLAS needs real strides
        grad = np.ascontiguousarray(grad)
    # (N, groups, O/groups, OH*OW): the output gradient as the products' factor
    grad_groups = grad.reshape(n, groups, o // groups, oh * ow)
    w_groups = w.reshape(groups, o // groups, k)
    chunks, rows = _chunks(n, c * kh * kw * oh * ow * dtype.itemsize)
    if want_weight:
        windows = _windows(_padded(x, padding), (kh, kw), stride, dilation)
        grad_weight = np.zeros((groups, o // groups, k), dtype=dtype)
        cols = np.empty((rows, c, kh, kw, oh, ow), dtype=dtype)
    if want_input:
        flat = tuple(stride) == (1, 1) and np.isfinite(w).all()  # Note [Flat rows]
        col2im = (_FlatCol2im if flat else _StridedCol2im)(
            x.shape, w_groups.swapaxes(-1, -2), groups, (kh, kw), stride, padding, dilation,
            (oh, ow), rows, dtype)
    for start, stop in chunks:
        if want_weight:
            part = cols[:stop - start]
            np.copyto(part, windows[start:stop])  # im2col of these samples
            # (m, groups, O/g, OH*OW) @ (m, groups, OH*OW, K), summed over the m samples
            grad_weight += np.matmul(grad_groups[start:stop],
                                     part.reshape(-1, groups, k, oh * ow).swapaxes(-1, -2)).sum(0)
        if want_input:
            col2im.add(start, stop, grad_groups[start:stop])
    return (col2im.result() if want_input else None,
            grad_weight.reshape(w.shape) if want_weight else None)


def _bias_grad(grad: np.ndarray) -> np.ndarray:
    """``grad.sum((0, 2, ...))`` as a product with a vector of ones: BLAS sums the rows of
    positions three times faster than a reduction over non-adjacent axes."""
    n, o = grad.shape[:2]
    if grad.dtype.kind != "f" or not grad.flags.c_contiguous or not grad.size:
        return grad.sum((0, *range(2, grad.ndim)))
    rows = grad.reshape(n * o, -1)
    return (rows @ np.ones(rows.shape[1], dtype=grad.dtype)).reshape(n, o).sum(0)


def _grads_on_arrays(grad, x, w, stride, padding, dilation, groups, needs_input_grad):
    want_input, want_weight = needs_input_grad[0], needs_input_grad[1]
    if x.ndim == 4:
        return _grads_on_arrays_2d(grad, x, w, stride, padding, dilation, groups,
                                   want_input, want_weight)
    s, p, d = _spatial_2d(stride, padding, dilation)
    gi, gw = _grads_on_arrays_2d(grad[:, :, None], x[:, :, None], w[:, :, None], s, p, d,
                                 groups, want_input, want_weight)
    return (None if gi is None else gi[:, :, 0]), (None if gw is None else gw[:, :, 0])


# --- the formula in Tensor ops (create_graph=True: differentiable again) ---------------------
def _grads_in_tensor_ops_2d(grad, x, w, stride, padding, dilation, groups, want_input,
                            want_weight):
    """The same gradients as ``_grads_on_arrays`` through the im2col, col2im and pad rows
    and matmul, each of which has a backward of its own: so they can be differentiated
    again (with respect to the input, the weight and the incoming gradient)."""
    n, c = x.shape[:2]
    o, c_group, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    ph, pw = padding
    k = c_group * kh * kw
    grad_groups = reshape(grad, n, groups, o // groups, oh * ow)
    pads = ((0, 0), (0, 0), (ph, ph), (pw, pw))
    grad_input = grad_weight = None
    if want_weight:
        padded = constant_pad(x, pads, 0) if ph or pw else x
        cols = reshape(im2col(padded, (kh, kw), dilation, stride), n, groups, k, oh * ow)
        grad_weight = reshape((grad_groups @ transpose(cols, -1, -2)).sum(0), *w.shape)
    if want_input:
        w_groups = transpose(reshape(w, groups, o // groups, k), -1, -2)  # (groups, K, O/g)
        grad_cols = reshape(w_groups @ grad_groups, n, c, kh, kw, oh, ow)
        padded_hw = (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw)
        grad_input = col2im(grad_cols, (kh, kw), dilation, stride, padded_hw)
        if ph or pw:
            grad_input = constant_pad(grad_input, tuple((-lo, -hi) for lo, hi in pads), 0)
    return grad_input, grad_weight


def _grads_in_tensor_ops(grad, x, w, stride, padding, dilation, groups, needs_input_grad):
    want_input, want_weight = needs_input_grad[0], needs_input_grad[1]
    if x.ndim == 4:
        return _grads_in_tensor_ops_2d(grad, x, w, stride, padding, dilation, groups,
                                       want_input, want_weight)
    s, p, d = _spatial_2d(stride, padding, dilation)
    gi, gw = _grads_in_tensor_ops_2d(unsqueeze(grad, 2), unsqueeze(x, 2), unsqueeze(w, 2),
                                     s, p, d, groups, want_input, want_weight)
    return (None if gi is None else squeeze(gi, 2)), (None if gw is None else squeeze(gw, 2))


# --- the rows ----------------------------------------------------------------------------------
# Two rows, with and without bias, so that a missing bias is no input at all (PyTorch's
# node then has a third, empty edge; ours has two edges). Both are ConvolutionBackward0.
_ATTRS = ("stride", "padding", "dilation", "groups")


@defop("convolution", _convolution_forward, inputs=("input", "weight", "bias"),
       save=("input", "weight"), attrs=_ATTRS, node_name="ConvolutionBackward0")
def _convolution_backward(grad, input, weight, stride, padding, dilation, groups, *,
                          needs_input_grad=(True, True, True)):
    """y = conv(x, w) + b: dx is the transposed convolution of dy with w, dw correlates
    dy with the windows of x, db sums dy over the batch and the positions."""
    gi, gw = _grads_in_tensor_ops(grad, input, weight, stride, padding, dilation, groups,
                                  needs_input_grad)
    gb = grad.sum((0, *range(2, grad.ndim))) if needs_input_grad[2] else None
    return gi, gw, gb


@_convolution_backward.on_arrays
def _convolution_backward_arrays(grad, input, weight, stride, padding, dilation, groups, *,
                                 needs_input_grad=(True, True, True)):
    gi, gw = _grads_on_arrays(grad, input, weight, stride, padding, dilation, groups,
                              needs_input_grad)
    return gi, gw, (_bias_grad(grad) if needs_input_grad[2] else None)


@defop("convolution_nobias", _convolution_nobias_forward, inputs=("input", "weight"),
       save=("input", "weight"), attrs=_ATTRS, node_name="ConvolutionBackward0")
def _convolution_nobias_backward(grad, input, weight, stride, padding, dilation, groups, *,
                                 needs_input_grad=(True, True)):
    """conv(x, w) without bias: the first two gradients of ``convolution``."""
    return _grads_in_tensor_ops(grad, input, weight, stride, padding, dilation, groups,
                                needs_input_grad)


@_convolution_nobias_backward.on_arrays
def _convolution_nobias_backward_arrays(grad, input, weight, stride, padding, dilation, groups,
                                        *, needs_input_grad=(True, True)):
    return _grads_on_arrays(grad, input, weight, stride, padding, dilation, groups,
                            needs_input_grad)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple,
                padding: tuple, dilation: tuple, groups: int) -> Tensor:
    """Batched 1-D or 2-D cross-correlation, ``(N, C, *spatial)`` with
    ``(O, C/groups, *kernel)``, zero ``padding`` on both sides of each spatial dim.

    The caller (``nn.functional.conv1d``/``conv2d``) checks the shapes and gives every
    attr as a tuple of one int per spatial dim; padding strings are resolved there.
    """
    attrs = (tuple(stride), tuple(padding), tuple(dilation), int(groups))
    if bias is None:
        return apply_op(_convolution_nobias_backward, (input, weight), attrs)
    return apply_op(_convolution_backward, (input, weight, bias), attrs)
