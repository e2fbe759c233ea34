"""The fast NumPy paths of ``relu`` and ``conv2d`` (issue 6, W5) against plain formulas.

- relu's forward compares large float arrays with a row of zeros (Note [relu on rows of
  zeros] in _ops/pointwise.py): same values as ``np.maximum(x, 0)``, nan, inf and a
  partial last row included;
- relu's NumPy backward scales a cast mask, and only scales it by the value when the
  gradient is one value broadcast (a sum's or a mean's): same values as the definition
  ``grad * ~(result <= 0)``;
- the stride-1 convolution's gradients run on flat rows (Note [Flat rows] in
  _ops/conv.py), for the weight as well as the input, and the bias is folded into the
  forward product (Note [Bias in the product]): checked against a direct loop over the
  kernel taps, for each set of gradients asked for, and with a non-finite input, which
  must take the strided path.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close

import autograd_lab as al
import autograd_lab.nn.functional as F
from autograd_lab._ops._array_formulas import _relu_backward_arrays
from autograd_lab._ops._kernels import _RELU_ROW


# --- relu ---------------------------------------------------------------------------------------
def _special_values(n, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    x[:6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -np.nan]
    x[-3:] = [np.nan, -np.inf, -1.0]  # the last elements: in the partial row, if any
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [_RELU_ROW, 3 * _RELU_ROW + 5, _RELU_ROW - 1])
def test_relu_forward_equals_maximum_with_zero(dtype, size):
    x = _special_values(size, dtype).reshape(-1, 1) if size % 2 else _special_values(
        size, dtype).reshape(2, -1)
    out = F.relu(al.tensor(x)).numpy()
    expected = np.maximum(x, 0)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_array_equal(out, expected)  # nan where nan
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))


def test_relu_forward_of_a_large_strided_view():
    x = _special_values(4 * _RELU_ROW, np.float32).reshape(64, -1)[:, ::2]
    np.testing.assert_array_equal(F.relu(al.tensor(x)).numpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(al.relu(al.tensor(x)).numpy(), np.maximum(x, 0))


def _relu_grad_definition(grad, result):
    return grad * ~(result <= 0)


@pytest.mark.parametrize("value", [1.0, 3.0, -0.5, np.inf, 0.0])
def test_relu_backward_with_one_value_broadcast(value):
    result = np.maximum(_special_values(2 * _RELU_ROW, np.float32).reshape(4, -1), 0)
    grad = np.broadcast_to(np.float32(value), result.shape)  # read-only, zero strides
    with np.errstate(invalid="ignore"):
        expected = _relu_grad_definition(grad, result)
    out = _relu_backward_arrays(grad, result)
    assert out.dtype == np.float32 and out.shape == result.shape
    np.testing.assert_array_equal(out, expected)
    assert out.flags.writeable


def test_relu_backward_with_a_full_gradient_and_a_0d_one():
    result = np.maximum(_special_values(_RELU_ROW + 7, np.float64), 0)
    grad = np.random.default_rng(1).standard_normal(result.shape)
    grad[10] = np.inf  # inf times a 0 of the mask is nan, as in the definition
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(_relu_backward_arrays(grad, result),
                                      _relu_grad_definition(grad, result))
    for r in (0.0, 2.0, np.nan):
        out = _relu_backward_arrays(np.asarray(5.0), np.asarray(r))
        np.testing.assert_array_equal(out, _relu_grad_definition(np.asarray(5.0), np.asarray(r)))


@pytest.mark.parametrize("reduce", ["sum", "sum_times_3", "mean"])
def test_relu_gradient_through_sum_and_mean(reduce):
    x_np = _special_values(3 * _RELU_ROW, np.float32).reshape(3, -1)
    x_np[np.isnan(x_np)] = 1.0  # a nan input would make the sum nan, not the gradient
    x = al.tensor(x_np, requires_grad=True)
    y = F.relu(x)
    loss = {"sum": lambda: y.sum(), "sum_times_3": lambda: y.sum() * 3,
            "mean": lambda: y.mean()}[reduce]()
    loss.backward()
    scale = {"sum": 1.0, "sum_times_3": 3.0, "mean": 1.0 / x_np.size}[reduce]
    expected = (x_np > 0).astype(np.float32) * np.float32(scale)
    assert x.grad.dtype == al.float32
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    # the Tensor formula (create_graph records it) gives the same values
    (g,) = al.autograd.grad({"sum": lambda: F.relu(x).sum(),
                             "sum_times_3": lambda: F.relu(x).sum() * 3,
                             "mean": lambda: F.relu(x).mean()}[reduce](), [x], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), expected)


# --- convolution --------------------------------------------------------------------------------
def _tap(xp, i, j, stride, dilation, out_hw):
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (Ellipsis, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _reference(x, w, b, g, stride, padding, dilation, groups):
    """The convolution and its gradients in float64, one kernel tap and group at a time."""
    x, w, g = (np.asarray(a, np.float64) for a in (x, w, g))
    (ph, pw), (o, cg, kh, kw) = padding, w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_hw = g.shape[2:]
    og = o // groups
    out = np.zeros(g.shape)
    gw, gxp = np.zeros(w.shape), np.zeros(xp.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(groups):
            cs, os_ = slice(k * cg, (k + 1) * cg), slice(k * og, (k + 1) * og)
            for i in range(kh):
                for j in range(kw):
                    where = _tap(xp, i, j, stride, dilation, out_hw)
                    xs = xp[:, cs][where]
                    out[:, os_] += np.einsum("ncpq,oc->nopq", xs, w[os_, :, i, j])
                    gw[os_, :, i, j] = np.einsum("nopq,ncpq->oc", g[:, os_], xs)
                    gxp[:, cs][where] += np.einsum("nopq,oc->ncpq", g[:, os_], w[os_, :, i, j])
    if b is not None:
        out += np.asarray(b, np.float64).reshape(o, 1, 1)
    gx = gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
    return out, gx, gw, g.sum((0, 2, 3))


# (input shape, weight shape, padding, dilation, groups): all stride 1, the flat rows' case
FLAT_CASES = [
    ((3, 3, 8, 7), (4, 3, 3, 3), (1, 1), (1, 1), 1),
    ((2, 4, 7, 9), (6, 2, 2, 3), (2, 1), (2, 1), 2),
    ((1, 2, 5, 5), (2, 1, 3, 2), (0, 0), (1, 2), 2),
]


@pytest.mark.parametrize("wanted", ["input", "weight", "bias", "all"])
@pytest.mark.parametrize("case", range(len(FLAT_CASES)))
def test_stride1_conv_gradients_match_a_direct_loop(case, wanted):
    x_shape, w_shape, padding, dilation, groups = FLAT_CASES[case]
    rng = np.random.default_rng(case)
    x_np, w_np = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b_np = rng.standard_normal(w_shape[0])
    x = al.tensor(x_np, requires_grad=wanted in ("input", "all"))
    w = al.tensor(w_np, requires_grad=wanted in ("weight", "all"))
    b = al.tensor(b_np, requires_grad=wanted in ("bias", "all"))
    out = F.conv2d(x, w, b, padding=padding, dilation=dilation, groups=groups)
    g_np = rng.standard_normal(out.shape)
    ref_out, gx, gw, gb = _reference(x_np, w_np, b_np, g_np, (1, 1), padding, dilation, groups)
    assert_close(out.detach().numpy(), ref_out, atol=1e-12, rtol=1e-12)
    leaves = [t for t in (x, w, b) if t.requires_grad]
    grads = al.autograd.grad(out, leaves, al.tensor(g_np))
    expected = {id(x): gx, id(w): gw, id(b): gb}
    for leaf, grad in zip(leaves, grads, strict=True):
        assert_close(grad.numpy(), expected[id(leaf)], atol=1e-12, rtol=1e-12)


def test_float32_conv_relu_sum_keeps_float32_and_matches():
    # W5 in small: the sum's gradient arrives broadcast, relu's as a fresh array
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((5, 3, 9, 9)).astype(np.float32)
    w_np = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b_np = rng.standard_normal(4).astype(np.float32)
    for through_relu in (True, False):
        x, w, b = (al.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
        out = F.conv2d(x, w, b, padding=1)
        (F.relu(out) if through_relu else out).sum().backward()
        out_ref = _reference(x_np, w_np, b_np, np.zeros(out.shape), (1, 1), (1, 1), (1, 1), 1)[0]
        g = (out_ref > 0).astype(np.float64) if through_relu else np.ones(out.shape)
        _, gx, gw, gb = _reference(x_np, w_np, b_np, g, (1, 1), (1, 1), (1, 1), 1)
        for leaf, ref in ((x, gx), (w, gw), (b, gb)):
            assert leaf.grad.dtype == al.float32
            assert_close(leaf.grad.numpy(), ref, atol=1e-4, rtol=1e-4)


def test_infinite_input_keeps_the_weight_gradient_exact():
    # On flat rows the weight's gradient also multiplies a few positions outside the
    # windows, by a zero of the widened output gradient; an infinite input would make
    # those nan (inf * 0) where the true gradient is finite or infinite, so that case
    # takes the strided path (Note [Flat rows] in _ops/conv.py).
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((1, 1, 4, 5)), rng.standard_normal((2, 1, 2, 3))
    x_np[0, 0, 2, 0] = np.inf  # first column: only the taps with j = 0 reach it
    x, w = al.tensor(x_np), al.tensor(w_np, requires_grad=True)
    out = F.conv2d(x, w)
    g_np = rng.standard_normal(out.shape)
    (gw,) = al.autograd.grad(out, [w], al.tensor(g_np))
    expected = _reference(x_np, w_np, None, g_np, (1, 1), (0, 0), (1, 1), 1)[2]
    assert np.isfinite(expected[:, :, :, 1:]).all()
    np.testing.assert_array_equal(np.isnan(gw.numpy()), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(gw.numpy()), np.isinf(expected))
    finite = np.isfinite(expected)
    assert_close(gw.numpy()[finite], expected[finite], atol=1e-12, rtol=1e-12)


def test_bias_of_a_wider_dtype_is_added_after_the_product():
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    w_np = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b_np = rng.standard_normal(3)  # float64
    out = F.conv2d(al.tensor(x_np), al.tensor(w_np), al.tensor(b_np), padding=1)
    ref = _reference(x_np, w_np, b_np, np.zeros((2, 3, 5, 5)), (1, 1), (1, 1), (1, 1), 1)[0]
    assert_close(out.numpy(), ref, atol=1e-5, rtol=1e-5)
