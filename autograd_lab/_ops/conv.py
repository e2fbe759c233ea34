"""``convolution``: conv1d and conv2d as ONE table row, ``ConvolutionBackward0`` (PyTorch's
node name), instead of a chain of pad, im2col, permute, view and matmul nodes.

The forward is im2col + matmul on NumPy arrays: every window of the zero-padded input is
copied into a column, ``(C*kh*kw, OH*OW)`` per sample, and a batched product with the
``(groups, O/groups, C/groups*kh*kw)`` weight writes the output directly in
``(N, O, OH, OW)`` order: no transposing copy of the output, nor of its gradient. The
bias rides along in that product (Note [Bias in the product]).

Only the input and the weight are saved, as PyTorch does: the backward copies the
columns again (0.1 ms on W5 with stride 1, in whole rows: Note [Flat rows]) rather than
keeping them alive from forward to backward, which would hold kh*kw times the input's
memory per convolution between the passes.

A 1-D convolution is the 2-D one on a height-1 image: the arrays get a size-1 axis (a
view) inside the formulas, so ``conv1d`` is one ``ConvolutionBackward0`` node too.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .._tensor import Tensor
from ._apply import apply_op
from ._table import REGISTRY, defop
from .nn import col2im, constant_pad, im2col
from .pointwise import _with_edges  # Note [Edges as PyTorch lists them]
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
    # Note [Bias in the product]: one more row of ones in each group's columns, and the
    # bias as one more column of the weight, unless the bias has a wider dtype.
    with_bias = b is not None and np.result_type(dtype, b) == dtype
    rows_k = k + 1 if with_bias else k
    cols = np.empty((rows, groups, rows_k, oh * ow), dtype=dtype)  # Note [Fresh memory]
    if with_bias:
        cols[:, :, k] = 1  # never overwritten: the copies below fill rows :k only
        w_groups = np.concatenate([w_groups, b.reshape(groups, o // groups, 1)], axis=2)
    for start, stop in chunks:
        m = stop - start
        part = cols[:m]
        # im2col of these samples, into the first k rows of each group
        np.copyto(part[:, :, :k].reshape(m, groups, c_group, kh, kw, oh, ow),
                  windows[start:stop].reshape(m, groups, c_group, kh, kw, oh, ow))
        np.matmul(w_groups, part, out=out[start:stop])
    out = out.reshape(n, o, oh, ow)
    if b is not None and not with_bias:
        out = out + b.reshape(o, 1, 1)
    return out


# Note [Bias in the product]
# Adding the bias to the output is one more pass over it (W5: about 0.1 ms). Folded
# into the product it costs almost nothing: each group's columns get a last row of ones
# and its weight a last column holding the bias, so the product adds bias[o] * 1 to every
# output of filter o. The row of ones is written once per call; im2col fills the others.


def _convolution_forward(x, w, b, stride, padding, dilation, groups):
    if x.ndim == 3:  # conv1d
        s, p, d = _spatial_2d(stride, padding, dilation)
        return _forward_2d(x[:, :, None], w[:, :, None], b, s, p, d, groups)[:, :, 0]
    return _forward_2d(x, w, b, stride, padding, dilation, groups)


def _convolution_nobias_forward(x, w, stride, padding, dilation, groups):
    return _convolution_forward(x, w, None, stride, padding, dilation, groups)


# --- the formula on NumPy arrays (a plain backward) --------------------------------------------
# Both gradients go through the batch one chunk of samples at a time (Note [Fresh memory]),
# sharing one columns buffer: dw = sum over samples of dy @ cols^T, with the chunk's columns
# rebuilt from the saved input; dx = col2im(w^T @ dy), one add per kernel tap (within one
# tap no two windows share an input element, so plain ``+=`` is right, no ``np.add.at``).
# Two versions: ``_StridedGrads`` for any stride, ``_FlatGrads`` for stride 1 (Note [Flat
# rows]), each with ``add(start, stop, grad)`` per chunk and ``result()`` at the end.
class _StridedGrads:
    """The gradients for any stride: taps and windows as strided views of the padded input."""

    def __init__(self, x, w_groups, kernel, stride, padding, dilation, out_hw, rows, dtype,
                 want_input, want_weight):
        n, c, h, w = x.shape
        (ph, pw), (kh, kw), (oh, ow) = padding, kernel, out_hw
        self.w_groups, self.want_input, self.want_weight = w_groups, want_input, want_weight
        self.cols = np.empty((rows, c, kh, kw, oh, ow), dtype=dtype)
        if want_weight:
            self.windows = _windows(_padded(x, padding), kernel, stride, dilation)
            self.grad_weight = np.zeros(w_groups.shape, dtype=dtype)
        if want_input:
            self.padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dtype)
            self.crop = (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))
            self.taps = [(i, j, _tap_slices(i, j, stride, dilation, out_hw))
                         for i in range(kh) for j in range(kw)]

    def add(self, start: int, stop: int, grad: np.ndarray) -> None:
        """Add the chunk ``grad`` (samples start:stop of the output gradient)'s share."""
        m, (g, og, k) = stop - start, self.w_groups.shape
        grad_groups = grad.reshape(m, g, og, -1)  # (m, groups, O/g, OH*OW)
        part = self.cols[:m]
        if self.want_weight:
            np.copyto(part, self.windows[start:stop])  # im2col of these samples
            # (m, groups, O/g, OH*OW) @ (m, groups, OH*OW, K), summed over the m samples
            self.grad_weight += np.matmul(
                grad_groups, part.reshape(m, g, k, -1).swapaxes(-1, -2)).sum(0)
        if self.want_input:  # the columns' gradient w^T @ dy, then col2im
            np.matmul(self.w_groups.swapaxes(-1, -2), grad_groups, out=part.reshape(m, g, k, -1))
            target = self.padded[start:stop]
            for i, j, where in self.taps:
                target[where] += part[:, :, i, j]

    def result(self) -> tuple:
        return (self.padded[self.crop] if self.want_input else None,
                self.grad_weight if self.want_weight else None)


class _FlatGrads:
    """The gradients for stride 1 on flat rows (Note [Flat rows]): the output gradient
    widened to padded-row width, the columns copied from the flattened padded input in
    whole rows, and each tap of col2im one contiguous add."""

    def __init__(self, x, w_groups, kernel, stride, padding, dilation, out_hw, rows, dtype,
                 want_input, want_weight):
        n, c, h, w = x.shape
        (ph, pw), (kh, kw), (dh, dw), (oh, ow) = padding, kernel, dilation, out_hw
        hp, wp = h + 2 * ph, w + 2 * pw
        self.w_groups, self.want_input, self.want_weight = w_groups, want_input, want_weight
        self.ow = ow
        self.span = span = oh * wp  # the output rows, each as wide as a padded input row
        self.offsets = [(i, j, i * dh * wp + j * dw) for i in range(kh) for j in range(kw)]
        self.cols = np.empty((rows, c, kh, kw, span), dtype=dtype)
        # the output gradient, widened with zero columns (they stay zero)
        self.wide_grad = np.zeros((rows, w_groups.shape[0] * w_groups.shape[1], oh, wp),
                                  dtype=dtype)
        # Flat padded images: the last taps' extra columns run (kw-1)*dw past the image,
        # so each flat image gets that much room after it (zeros).
        flat_size = hp * wp + (kw - 1) * dw
        crop = (Ellipsis, slice(ph, ph + h), slice(pw, pw + w))
        if want_weight:
            x_flat = np.zeros((n, c, flat_size), dtype=dtype)
            x_flat[:, :, :hp * wp].reshape(n, c, hp, wp)[crop] = x
            # Tap (i, j) of sample s, channel ch is the row x_flat[s, ch, offset:offset + span].
            # All of them as one read-only view (N, C, kh, kw, span); the last tap's row
            # ends at hp*wp + (kw-1)*dw, inside the room left above.
            item = x_flat.itemsize
            self.windows = as_strided(
                x_flat, (n, c, kh, kw, span),
                (x_flat.strides[0], x_flat.strides[1], dh * wp * item, dw * item, item),
                writeable=False)
            self.grad_weight = np.zeros(w_groups.shape, dtype=dtype)
        if want_input:
            self.flat = np.zeros((n, c, flat_size), dtype=dtype)
            self.result_view = self.flat[:, :, :hp * wp].reshape(n, c, hp, wp)[crop]

    def add(self, start: int, stop: int, grad: np.ndarray) -> None:
        """Add the chunk ``grad`` ((m, O, OH, OW), samples start:stop)'s share."""
        m, (g, og, k), span = stop - start, self.w_groups.shape, self.span
        wide = self.wide_grad[:m]
        wide[..., :self.ow] = grad
        wide_groups = wide.reshape(m, g, og, span)
        part = self.cols[:m]
        if self.want_weight:
            np.copyto(part, self.windows[start:stop])  # im2col of these samples, in rows
            # the zero columns of ``wide`` meet the extra columns of ``part``: they add 0
            self.grad_weight += np.matmul(
                wide_groups, part.reshape(m, g, k, span).swapaxes(-1, -2)).sum(0)
        if self.want_input:
            np.matmul(self.w_groups.swapaxes(-1, -2), wide_groups,
                      out=part.reshape(m, g, k, span))
            target = self.flat[start:stop]
            for i, j, offset in self.offsets:
                target[:, :, offset:offset + span] += part[:, :, i, j]

    def result(self) -> tuple:
        return (self.result_view if self.want_input else None,
                self.grad_weight if self.want_weight else None)


# Note [Flat rows]
# col2im adds each tap's (N, C, OH, OW) slice into the padded gradient, and im2col copies
# each tap's slice of the padded input out; the slices' rows are only OW long (32 on W5),
# and NumPy pays a per-row cost that is most of the time of such short copies and adds.
# With stride 1, output position (r, q) of tap (i, j) is input position (r + i*dh,
# q + j*dw): in an image flattened to one row of HP*WP values that is offset
# i*dh*WP + j*dw plus r*WP + q, so if the output rows are taken WP wide (padded with
# WP - OW columns), a tap is ONE contiguous range of the flat image. The extra columns
# land on the next row's first positions (or past the end: the flat buffers have room).
# In col2im their column gradients are w^T @ 0 = 0, so they add nothing; in the weight's
# gradient the widened output gradient is 0 there, so they add 0 * x = 0. Only a
# non-finite value makes them nan (inf * 0): a non-finite weight spoils col2im, a
# non-finite input the weight's gradient, and the strided version runs then.


def _grads_on_arrays_2d(grad, x, w, stride, padding, dilation, groups, want_input, want_weight):
    """dw = sum over samples of dy @ cols^T; dx = col2im(w^T @ dy). Both per chunk of the
    batch, with the chunk's columns rebuilt from the saved input (Note [Fresh memory])."""
    n, c = x.shape[:2]
    o, c_group, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    dtype = np.result_type(grad, x, w)
    w_groups = w.reshape(groups, o // groups, c_group * kh * kw)
    chunks, rows = _chunks(n, c * kh * kw * oh * ow * dtype.itemsize)
    flat = (tuple(stride) == (1, 1)  # Note [Flat rows]
            and not (want_input and not np.isfinite(w).all())
            and not (want_weight and not np.isfinite(x).all()))
    if not flat and not grad.flags.c_contiguous:
        grad = np.ascontiguousarray(grad)  # e.g. sum's gradient, expanded: BLAS needs strides
    grads = (_FlatGrads if flat else _StridedGrads)(
        x, w_groups, (kh, kw), stride, padding, dilation, (oh, ow), rows, dtype, want_input,
        want_weight)
    for start, stop in chunks:
        grads.add(start, stop, grad[start:stop])
    grad_input, grad_weight = grads.result()
    return grad_input, (None if grad_weight is None else grad_weight.reshape(w.shape))


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
# Two rows, with and without bias, so that a missing bias is no input at all. Both are
# ConvolutionBackward0, with three edges as PyTorch lists them: without bias the third is
# empty, (None, 0) (Note [Edges as PyTorch lists them] in pointwise.py).
_ATTRS = ("stride", "padding", "dilation", "groups")


@defop("convolution", _convolution_forward, inputs=("input", "weight", "bias"),
       save=("input", "weight"), attrs=_ATTRS, node_name="ConvolutionBackward0",
       math=("grad_input = col2im(weightᵀ @ grad);  grad_weight = ∑ₙ grad @ im2col(input)ᵀ;  "
             "grad_bias = grad.sum(0, 2, …)"))
def _convolution_backward(grad, input, weight, stride, padding, dilation, groups, *,
                          needs_input_grad=(True, True, True)):
    """y = conv(x, w) + b: dx is the transposed convolution of dy with w, dw correlates
    dy with the windows of x, db sums dy over the batch and the positions."""
    gi, gw = _grads_in_tensor_ops(grad, input, weight, stride, padding, dilation, groups,
                                  needs_input_grad)
    gb = grad.sum((0, *range(2, grad.ndim))) if needs_input_grad[2] else None
    return gi, gw, gb


CONVOLUTION = REGISTRY["convolution"]


@defop("convolution_nobias", _convolution_nobias_forward, inputs=("input", "weight"),
       save=("input", "weight"), attrs=_ATTRS, node_name="ConvolutionBackward0",
       math=("grad_input = col2im(weightᵀ @ grad);  "
             "grad_weight = ∑ₙ grad @ im2col(input)ᵀ  (input padded, grad_input cropped)"))
def _convolution_nobias_backward(grad, input, weight, stride, padding, dilation, groups, *,
                                 needs_input_grad=(True, True, False)):
    """conv(x, w) without bias: the first two gradients of ``convolution``, and None for
    the empty third edge."""
    return (*_grads_in_tensor_ops(grad, input, weight, stride, padding, dilation, groups,
                                  needs_input_grad), None)


CONVOLUTION_NOBIAS = REGISTRY["convolution_nobias"]
CONVOLUTION_NOBIAS.node_cls = _with_edges(CONVOLUTION_NOBIAS, 2, lambda e: (*e, (None, 0)))


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple,
                padding: tuple, dilation: tuple, groups: int) -> Tensor:
    """Batched 1-D or 2-D cross-correlation, ``(N, C, *spatial)`` with
    ``(O, C/groups, *kernel)``, zero ``padding`` on both sides of each spatial dim.

    The caller (``nn.functional.conv1d``/``conv2d``) checks the shapes and gives every
    attr as a tuple of one int per spatial dim; padding strings are resolved there.
    """
    attrs = (tuple(stride), tuple(padding), tuple(dilation), int(groups))
    if bias is None:
        return apply_op(CONVOLUTION_NOBIAS, (input, weight), attrs)
    return apply_op(CONVOLUTION, (input, weight, bias), attrs)
