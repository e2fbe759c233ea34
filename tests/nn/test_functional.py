"""``al.nn.functional``: values against NumPy references written here, gradients and
second derivatives against finite differences (tests/helpers.py), PyTorch's options
and error messages. Comparisons with torch itself are in test_functional_vs_torch.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import arr, assert_close, check_gradgrad, check_vjp, rand64

import autograd_lab as al

F = al.nn.functional


def t64(a):
    return al.tensor(np.asarray(a, dtype=np.float64))


# ----------------------------------------------------------------------------- references
def np_softmax(x, dim):
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def np_log_softmax(x, dim):
    m = x.max(dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(dim, keepdims=True))


def np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Cross-correlation by direct loops over every output element."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for ni in range(n):
        for oc in range(o):
            g = oc // per_group
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += (w[oc, ci, p, q]
                                        * x[ni, g * cg + ci, i * stride[0] + p * dilation[0],
                                            j * stride[1] + q * dilation[1]])
                    out[ni, oc, i, j] = acc + (0.0 if b is None else b[oc])
    return out


def np_pool(x, k, s, p, reduce, pad_value):
    n, c, h, w = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return out


# ----------------------------------------------------------------------------- activations
X = np.array([[-3.0, -0.5, 0.0], [0.7, 2.0, 25.0]])


@pytest.mark.parametrize("name, reference", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("silu", lambda x: x / (1 + np.exp(-x))),
    ("softplus", lambda x: np.where(x > 20, x, np.log1p(np.exp(x)))),
    ("gelu", lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    ("tanh", np.tanh),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
])
def test_activation_values(name, reference):
    assert_close(arr(getattr(F, name)(t64(X))), reference(X), atol=1e-12, rtol=1e-12)


def test_gelu_tanh_approximation_and_bad_mode():
    k = math.sqrt(2 / math.pi)
    expected = 0.5 * X * (1 + np.tanh(k * (X + 0.044715 * X**3)))
    assert_close(arr(F.gelu(t64(X), approximate="tanh")), expected, atol=1e-12)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(t64(X), approximate="fast")


def test_softplus_beta_and_threshold():
    x = t64([-1.0, 0.5, 3.0, 40.0])
    beta, threshold = 2.0, 5.0
    z = beta * arr(x)
    expected = np.where(z > threshold, arr(x), np.log1p(np.exp(z)) / beta)
    assert_close(arr(F.softplus(x, beta=beta, threshold=threshold)), expected, atol=1e-12)


@pytest.mark.parametrize("f", [
    F.relu, F.silu, F.tanh, F.sigmoid, F.gelu,
    lambda x: F.gelu(x, approximate="tanh"),
    lambda x: F.softplus(x, beta=2.0, threshold=2.0),
], ids=["relu", "silu", "tanh", "sigmoid", "gelu", "gelu_tanh", "softplus"])
def test_activation_gradients(f):
    # away from relu's kink at 0; softplus switches at x = 1, between two seeded values
    x = rand64(3, 4, away_from=0.0, gap=0.2)
    check_gradgrad(f, [x])


def test_activation_node_names_follow_pytorch():
    x = rand64(3)
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"
    assert F.gelu(x, approximate="tanh").grad_fn.name() == "GeluBackward0"
    assert F.silu(x).grad_fn.name() == "SiluBackward0"
    assert F.softplus(x).grad_fn.name() == "SoftplusBackward0"
    assert F.softmax(x, 0).grad_fn.name() == "SoftmaxBackward0"
    assert F.log_softmax(x, 0).grad_fn.name() == "LogSoftmaxBackward0"


def test_relu_inplace():
    x = t64([-1.0, 2.0])
    out = F.relu(x, inplace=True)
    assert out is x and x.tolist() == [0.0, 2.0]


# ----------------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_values(dim):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    assert_close(arr(F.softmax(t64(x), dim)), np_softmax(x, dim), atol=1e-12)
    assert_close(arr(F.log_softmax(t64(x), dim)), np_log_softmax(x, dim), atol=1e-12)


@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_and_log_softmax_gradients(dim):
    check_gradgrad(lambda x: F.softmax(x, dim), [rand64(3, 4)])
    check_gradgrad(lambda x: F.log_softmax(x, dim), [rand64(3, 4, seed=1)])


def test_softmax_family_is_stable_at_large_logits():
    x = al.tensor([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0]], requires_grad=True)
    p = F.softmax(x, dim=1)
    logp = F.log_softmax(x, dim=1)
    assert np.isfinite(arr(p)).all() and np.isfinite(arr(logp)).all()
    assert_close(arr(p)[0], [1.0, 0.0, 0.0])
    assert_close(arr(logp)[0], [0.0, -1000.0, -2000.0])
    assert_close(arr(logp)[1], [-math.log(3)] * 3, atol=1e-6)
    logp.sum().backward()
    assert np.isfinite(arr(x.grad)).all()


def test_softmax_dtype_argument_and_implicit_dim_warning():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert F.softmax(x, 1, dtype=al.float64).dtype == al.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    assert_close(arr(out), np_softmax(arr(x).astype(np.float64), 1), atol=1e-6)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(x, 2)


# ----------------------------------------------------------------------------- losses
LOGITS = np.array([[2.0, -1.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4], [-2.0, 3.0, 1.0, 0.0],
                   [1.0, 1.0, -1.0, 2.5], [0.0, -0.5, 0.7, 1.2]])
TARGET = np.array([0, 3, 1, 1, 2])
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


def test_cross_entropy_matches_hand_formula():
    logp = np_log_softmax(LOGITS, 1)
    per = -logp[np.arange(5), TARGET]
    out = F.cross_entropy(t64(LOGITS), al.tensor(TARGET), reduction="none")
    assert_close(arr(out), per, atol=1e-12)
    assert_close(arr(F.cross_entropy(t64(LOGITS), al.tensor(TARGET))), per.mean(), atol=1e-12)
    assert_close(arr(F.cross_entropy(t64(LOGITS), al.tensor(TARGET), reduction="sum")),
                 per.sum(), atol=1e-12)


def test_cross_entropy_weight_and_ignore_index():
    logp = np_log_softmax(LOGITS, 1)
    target = TARGET.copy()
    target[2] = -100
    keep = target != -100
    w = WEIGHT[TARGET] * keep
    expected = (-logp[np.arange(5), TARGET] * w).sum() / w.sum()
    out = F.cross_entropy(t64(LOGITS), al.tensor(target), weight=t64(WEIGHT))
    assert_close(arr(out), expected, atol=1e-12)
    none = F.cross_entropy(t64(LOGITS), al.tensor(target), weight=t64(WEIGHT), reduction="none")
    assert arr(none)[2] == 0.0
    # a custom ignore_index
    out = F.cross_entropy(t64(LOGITS), al.tensor(TARGET), ignore_index=1)
    keep = TARGET != 1
    assert_close(arr(out), -logp[np.arange(5), TARGET][keep].mean(), atol=1e-12)


def test_cross_entropy_label_smoothing_by_hand():
    eps, c = 0.2, 4
    logp = np_log_softmax(LOGITS, 1)
    target = TARGET.copy()
    target[0] = -100
    keep = target != -100
    nll = -logp[np.arange(5), TARGET]
    smooth = -logp.sum(1)
    expected = (1 - eps) * nll[keep].mean() + eps / c * smooth[keep].mean()
    out = F.cross_entropy(t64(LOGITS), al.tensor(target), label_smoothing=eps)
    assert_close(arr(out), expected, atol=1e-12)
    # with class weights: both parts are normalised by the total weight of the targets
    w = WEIGHT[TARGET] * keep
    nll_w = (nll * w).sum() / w.sum()
    smooth_w = (-(logp * WEIGHT).sum(1) * keep).sum() / w.sum()
    out = F.cross_entropy(t64(LOGITS), al.tensor(target), weight=t64(WEIGHT), label_smoothing=eps)
    assert_close(arr(out), (1 - eps) * nll_w + eps / c * smooth_w, atol=1e-12)


def test_cross_entropy_probability_targets():
    probs = np.random.default_rng(1).dirichlet(np.ones(4), 5)
    logp = np_log_softmax(LOGITS, 1)
    out = F.cross_entropy(t64(LOGITS), t64(probs))
    assert_close(arr(out), -(probs * logp).sum(1).mean(), atol=1e-12)
    smoothed = probs * 0.9 + 0.1 / 4
    out = F.cross_entropy(t64(LOGITS), t64(probs), weight=t64(WEIGHT), label_smoothing=0.1)
    assert_close(arr(out), -(smoothed * logp * WEIGHT).sum(1).mean(), atol=1e-12)


def test_cross_entropy_spatial_and_unbatched():
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((2, 3, 2, 2)), rng.integers(0, 3, (2, 2, 2))
    logp = np_log_softmax(x, 1)
    picked = np.take_along_axis(logp, t[:, None], 1)[:, 0]
    assert_close(arr(F.cross_entropy(t64(x), al.tensor(t))), -picked.mean(), atol=1e-12)
    out = F.cross_entropy(t64(LOGITS[0]), al.tensor(2))
    assert_close(arr(out), -np_log_softmax(LOGITS[0], 0)[2], atol=1e-12)


def test_cross_entropy_is_stable_at_logits_of_1000():
    x = al.tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, al.tensor([1, 1]))
    assert math.isfinite(loss.item())
    assert_close(arr(loss), 500.0, rtol=1e-6)
    loss.backward()
    assert_close(arr(x.grad), [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.3},
    {"ignore_index": 1, "label_smoothing": 0.1},
])
def test_cross_entropy_gradients(kwargs):
    target = al.tensor(np.array([0, 3, 1, 1]))
    check_gradgrad(lambda x, w: F.cross_entropy(x, target, weight=w, **kwargs),
                   [rand64(4, 4), rand64(4, low=0.5, high=2.0, seed=1)])


def test_cross_entropy_probability_target_gradient():
    check_gradgrad(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1),
                   [rand64(3, 4), rand64(3, 4, low=0.0, high=1.0, seed=1)])


def test_nll_loss_by_hand():
    logp = t64(np.log([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    out = F.nll_loss(logp, al.tensor([0, 2]), weight=t64([1.0, 1.0, 3.0]))
    expected = -(np.log(0.7) * 1 + np.log(0.8) * 3) / 4
    assert_close(arr(out), expected, atol=1e-12)
    # every target ignored: 0 / 0, as PyTorch
    out = F.nll_loss(logp, al.tensor([-100, -100]))
    assert math.isnan(out.item())


def test_loss_errors():
    x = t64(LOGITS)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x, al.tensor([0, 1, 7, 0, 0]))
    # the ignored index is no error, a negative target that is not it is one
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.cross_entropy(x, al.tensor([-100, 1, -1, 0, 0]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        F.cross_entropy(x, al.tensor([0, 1, 2, 5, 0]), ignore_index=3)
    assert math.isfinite(F.cross_entropy(x, al.tensor([-100, 1, 2, 0, 0])).item())
    with pytest.raises(ValueError, match=r"Expected input batch_size \(5\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(x, al.tensor([0, 1]))
    with pytest.raises(ValueError, match="mean_of_squares is not a valid value for reduction"):
        F.cross_entropy(x, al.tensor(TARGET), reduction="mean_of_squares")
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, al.tensor(TARGET), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="expected target of scalar type Long"):
        F.nll_loss(x, t64([0.0, 1.0, 2.0, 0.0, 0.0]))


def test_mse_loss_values_gradient_and_shape_warning():
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.5], [3.0, 1.0]])
    assert_close(arr(F.mse_loss(t64(a), t64(b))), ((a - b) ** 2).mean())
    assert_close(arr(F.mse_loss(t64(a), t64(b), reduction="sum")), ((a - b) ** 2).sum())
    check_gradgrad(lambda x, y: F.mse_loss(x, y), [rand64(2, 3), rand64(2, 3, seed=1)])
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(t64(a), t64([1.0, 2.0]))


def test_binary_cross_entropy():
    p, y = np.array([0.2, 0.9, 0.5]), np.array([0.0, 1.0, 0.3])
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert_close(arr(F.binary_cross_entropy(t64(p), t64(y), reduction="none")), expected)
    w = np.array([1.0, 2.0, 0.5])
    assert_close(arr(F.binary_cross_entropy(t64(p), t64(y), weight=t64(w))), (w * expected).mean())
    check_gradgrad(lambda x: F.binary_cross_entropy(x, t64(y)),
                   [rand64(3, low=0.1, high=0.9)])
    # log(0) is clamped at -100, as in PyTorch; the gradient there is finite
    x = al.tensor([0.0, 1.0], dtype=al.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, t64([1.0, 0.0]), reduction="sum")
    assert loss.item() == 200.0
    loss.backward()
    assert np.isfinite(arr(x.grad)).all()
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(t64([1.5]), t64([1.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(t64([0.5]), t64([1.0, 0.0]))


# ----------------------------------------------------------------------------- linear, embedding
def test_linear_values_gradients_and_shape_error():
    x, w, b = rand64(2, 3), rand64(4, 3, seed=1), rand64(4, seed=2)
    assert_close(arr(F.linear(x, w, b)), arr(x) @ arr(w).T + arr(b), atol=1e-12)
    check_gradgrad(F.linear, [x, w, b])
    check_vjp(lambda x, w: F.linear(x, w), [rand64(2, 2, 3), rand64(4, 3, seed=1)])
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x3 and 5x4\)"):
        F.linear(x, rand64(4, 5))
    with pytest.raises(RuntimeError, match=r"\(6x3 and 5x4\)"):
        F.linear(rand64(2, 3, 3), rand64(4, 5))


def test_embedding_lookup_gradient_and_padding_idx():
    weight = rand64(5, 3)
    idx = al.tensor([[0, 2, 2], [4, 1, 0]])
    assert_close(arr(F.embedding(idx, weight)), arr(weight)[arr(idx)])
    check_gradgrad(lambda w: F.embedding(idx, w), [weight])
    out = F.embedding(idx, weight, padding_idx=2)
    out.sum().backward()
    assert arr(weight.grad).tolist() == [[2.0] * 3, [1.0] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3]
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(al.tensor([5]), weight)


# ----------------------------------------------------------------------------- conv
CONV_CASES = [
    dict(),
    dict(stride=(2, 2)),
    dict(padding=(1, 2)),
    dict(dilation=(2, 1)),
    dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2)),
    dict(groups=2),
    dict(groups=2, stride=(2, 2), padding=(1, 0)),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
def test_conv2d_matches_direct_loops(kw):
    rng = np.random.default_rng(0)
    groups = kw.get("groups", 1)
    x = rng.standard_normal((2, 4, 6, 5))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6)
    out = F.conv2d(t64(x), t64(w), t64(b), **kw)
    assert_close(arr(out), np_conv2d(x, w, b, **kw), atol=1e-10)


@pytest.mark.parametrize("kw", [CONV_CASES[0], CONV_CASES[4], CONV_CASES[6]], ids=str)
def test_conv2d_gradients_and_double_backward(kw):
    groups = kw.get("groups", 1)
    x, w, b = rand64(1, 2, 4, 4), rand64(2, 2 // groups, 2, 2, seed=1), rand64(2, seed=2)
    check_gradgrad(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b])


def test_conv2d_padding_strings_and_unbatched():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 3, 4))
    out = F.conv2d(t64(x), t64(w), padding="same")
    assert out.shape == (1, 3, 5, 6)
    # 'same' with an even kernel pads one more after than before (as PyTorch)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 2)))
    assert_close(arr(out), np_conv2d(padded, w), atol=1e-10)
    assert F.conv2d(t64(x), t64(w), padding="valid").shape == (1, 3, 3, 3)
    assert F.conv2d(t64(x[0]), t64(w)).shape == (3, 3, 3)


def test_conv1d():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    out = F.conv1d(t64(x), t64(w), t64(b), stride=2, padding=1, dilation=2)
    ref = np_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2))[:, :, 0]
    assert_close(arr(out), ref, atol=1e-10)
    check_gradgrad(lambda x, w: F.conv1d(x, w, padding="same"), [rand64(1, 2, 5),
                                                                 rand64(2, 2, 3, seed=1)])


def test_conv2d_errors():
    x = t64(np.zeros((1, 4, 5, 5)))
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[2, 3, 3, 3\], "
                                           r"expected input\[1, 4, 5, 5\] to have 3 channels"):
        F.conv2d(x, t64(np.zeros((2, 3, 3, 3))))
    with pytest.raises(RuntimeError, match="expected weight to be divisible by 2"):
        F.conv2d(x, t64(np.zeros((3, 2, 3, 3))), groups=2)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(x, t64(np.zeros((2, 4, 6, 6))))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(x, t64(np.zeros((2, 4, 3, 3))), stride=2, padding="same")


def test_unfold_and_fold_are_adjoint():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 4))
    cols = F.unfold(t64(x), (2, 3), padding=1, stride=(2, 1))
    u = rng.standard_normal(cols.shape)
    back = F.fold(t64(u), (5, 4), (2, 3), padding=1, stride=(2, 1))
    # <unfold(x), u> == <x, fold(u)>
    assert_close((arr(cols) * u).sum(), (x * arr(back)).sum(), atol=1e-10)
    check_gradgrad(lambda x: F.unfold(x, 2, dilation=2), [rand64(1, 1, 4, 4)])


# ----------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_pooling_values(k, s, p):
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 5))
    assert_close(arr(F.max_pool2d(t64(x), k, s, p)), np_pool(x, k, s, p, np.max, -np.inf))
    assert_close(arr(F.avg_pool2d(t64(x), k, s, p)), np_pool(x, k, s, p, np.mean, 0.0),
                 atol=1e-12)


def test_pooling_gradients_and_double_backward():
    check_gradgrad(lambda x: F.max_pool2d(x, 3, 2, 1), [rand64(1, 2, 5, 5)])
    check_gradgrad(lambda x: F.max_pool2d(x, 2, dilation=2), [rand64(1, 1, 5, 5, seed=1)])
    check_gradgrad(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                   [rand64(1, 2, 6, 5)])


def test_max_pool2d_ties_go_to_the_first_element_and_indices():
    x = al.tensor([[[[1.0, 1.0], [0.0, 1.0]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    assert arr(x.grad).tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    assert idx.tolist() == [[[[0]]]]
    x = t64(np.arange(16.0).reshape(1, 1, 4, 4))
    _, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert idx.tolist() == [[[[5, 7], [13, 15]]]]


def test_avg_pool2d_options():
    x = t64(np.ones((1, 1, 3, 3)))
    # with padding 1, corners cover 4 real elements of 9 (include pad) or of 4 (exclude)
    assert arr(F.avg_pool2d(x, 3, 1, 1))[0, 0, 0, 0] == pytest.approx(4 / 9)
    assert arr(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))[0, 0, 0, 0] == 1.0
    assert arr(F.avg_pool2d(x, 2, divisor_override=1))[0, 0, 0, 0] == 4.0
    assert F.avg_pool2d(x, 2, ceil_mode=True).shape == (1, 1, 2, 2)


def test_pooling_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(t64(np.zeros((1, 1, 4, 4))), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(t64(np.zeros((1, 1, 2, 2))), 3)


# ----------------------------------------------------------------------------- dropout
def test_dropout_is_seeded_scaled_and_off_in_eval():
    x = al.ones(1000, dtype=al.float64)
    al.manual_seed(7)
    a = F.dropout(x, 0.3)
    al.manual_seed(7)
    b = F.dropout(x, 0.3)
    assert a.tolist() == b.tolist()
    values = set(np.round(arr(a), 12).tolist())
    assert values <= {0.0, round(1 / 0.7, 12)}
    assert 0.2 < (arr(a) == 0).mean() < 0.4
    assert F.dropout(x, 0.3, training=False) is x
    assert arr(F.dropout(x, 1.0)).sum() == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_gradient_uses_the_same_mask():
    x = rand64(50)
    al.manual_seed(3)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    assert_close(arr(x.grad), (arr(out) != 0) * 2.0)


# ----------------------------------------------------------------------------- layer_norm, pad
def test_layer_norm_values_and_gradients():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5)
    assert_close(arr(F.layer_norm(t64(x), (3, 4))), expected, atol=1e-12)
    check_gradgrad(lambda x, w, b: F.layer_norm(x, 4, w, b),
                   [rand64(2, 4), rand64(4, seed=1), rand64(4, seed=2)])
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with "
                                           r"shape \[\*, 5\]"):
        F.layer_norm(t64(x), 5)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(mode):
    x = np.arange(12.0).reshape(1, 3, 4)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    expected = np.pad(x, ((0, 0), (2, 1), (1, 2)), mode=np_mode)
    assert_close(arr(F.pad(t64(x), (1, 2, 2, 1), mode=mode)), expected)
    check_gradgrad(lambda x: F.pad(x, (1, 2, 2, 1), mode=mode), [rand64(1, 3, 4)])


def test_pad_value_negative_pads_and_errors():
    x = t64([[1.0, 2.0, 3.0]])
    assert F.pad(x, (1, 0), value=-1.0).tolist() == [[-1.0, 1.0, 2.0, 3.0]]
    assert F.pad(x, (-1, 1)).tolist() == [[2.0, 3.0, 0.0]]
    assert F.pad(x, (0, 0, 1, 0)).tolist() == [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]
    assert F.pad(x, (1, 1)).grad_fn is None
    assert F.pad(rand64(2), (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
