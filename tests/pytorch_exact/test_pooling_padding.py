"""Issue 14 (nn): pooling and reflection padding as one node each, and
ConvolutionBackward0's edges, as PyTorch builds them.

Each test states a hand-written expectation that runs without PyTorch, and runs the same
program in PyTorch too where it is installed (``LIBS``), so the expectation is PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparison is optional
    torch = None

LIBS = ["al"] + (["torch"] if torch is not None else [])


def _lib(name):
    return torch if name == "torch" else al


def _name(fn):
    return None if fn is None else fn.name().replace("torch::autograd::", "")


def _edges(t):
    return [(_name(fn), i) for fn, i in t.grad_fn.next_functions]


# --- ConvolutionBackward0: three edges, the third empty without bias -----------------------
@pytest.mark.parametrize("lib", LIBS)
def test_convolution_without_bias_lists_an_empty_third_edge(lib):
    L = _lib(lib)
    x = L.ones(1, 2, 4, 4, requires_grad=True)
    w = L.ones(3, 2, 3, 3, requires_grad=True)
    y = L.nn.functional.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert _edges(y) == [("AccumulateGrad", 0), ("AccumulateGrad", 0), (None, 0)]
    y1 = L.nn.functional.conv1d(x[:, :, 0], w[:, :, 0])
    assert [e[0] for e in _edges(y1)][2] is None and len(_edges(y1)) == 3
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(w.grad.detach().numpy())[0, 0], np.full((3, 3), 4.0))
    b = L.zeros(3, requires_grad=True)
    assert [e[0] for e in _edges(L.nn.functional.conv2d(x, w, b))] == ["AccumulateGrad"] * 3


# --- pooling: one node each ----------------------------------------------------------------
X = np.array([[[[1.0, 5.0, 2.0, 0.0],
                [3.0, 4.0, 8.0, 1.0],
                [0.0, 2.0, 6.0, 7.0],
                [9.0, 1.0, 3.0, 3.0]]]])


@pytest.mark.parametrize("lib", LIBS)
def test_max_pool2d_is_one_node_and_its_gradient_goes_to_each_max(lib):
    L = _lib(lib)
    x = L.tensor(X, requires_grad=True)
    y, idx = L.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert _edges(y) == [("AccumulateGrad", 0)]
    assert y.detach().numpy().tolist() == [[[[5.0, 8.0], [9.0, 7.0]]]]
    assert idx.tolist() == [[[[1, 6], [12, 11]]]]  # flat places in the 4x4 plane
    y.backward(L.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=L.float64))
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[2, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


@pytest.mark.parametrize("lib", LIBS)
def test_max_pool2d_overlapping_windows_add_their_gradients(lib):
    L = _lib(lib)
    x = L.tensor([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    L.nn.functional.max_pool2d(x, 2, stride=1).sum().backward()  # 9 wins all four windows
    assert x.grad.numpy()[0, 0, 1, 1] == 4.0 and x.grad.sum().item() == 4.0


@pytest.mark.parametrize("lib", LIBS)
def test_max_pool2d_second_order_goes_through_its_backward_op(lib):
    L = _lib(lib)
    x = L.tensor(X, requires_grad=True)
    v = L.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=L.float64, requires_grad=True)
    y = L.nn.functional.max_pool2d(x, 2)
    (g,) = L.autograd.grad(y, x, v, create_graph=True)
    assert g.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"
    assert [e[0] for e in _edges(g)] == ["AccumulateGrad", "AccumulateGrad"]  # v, x
    # g is linear in v: d<g, u>/dv gathers u at the maxima; d/dx is 0
    u = L.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    gv, gx = L.autograd.grad((g * u).sum(), (v, x))
    assert gv.numpy().tolist() == [[[[1.0, 6.0], [12.0, 11.0]]]]
    assert not gx.numpy().any()


@pytest.mark.parametrize("lib", LIBS)
def test_avg_pool2d_is_one_node_and_spreads_its_gradient(lib):
    L = _lib(lib)
    x = L.tensor(X, requires_grad=True)
    y = L.nn.functional.avg_pool2d(x, 2)
    assert y.grad_fn.name() == "AvgPool2DBackward0" and _edges(y) == [("AccumulateGrad", 0)]
    assert y.detach().numpy().tolist() == [[[[13 / 4, 11 / 4], [12 / 4, 19 / 4]]]]
    y.backward(L.tensor([[[[4.0, 8.0], [0.0, 4.0]]]], dtype=L.float64))
    assert x.grad.numpy()[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, 1, 1],
                                             [0, 0, 1, 1]]
    # padding not counted: the corner window (3x3, padding 1) divides by the 4 places inside
    z = L.nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    assert z[0, 0, 0, 0].item() == (1 + 5 + 3 + 4) / 4
    (g,) = L.autograd.grad(z.sum(), x, create_graph=True)
    assert g.grad_fn.name() == "AvgPool2DBackwardBackward0"


@pytest.mark.parametrize("lib", LIBS)
def test_pool1d_is_the_2d_node_between_unsqueeze_and_squeeze(lib):
    L = _lib(lib)
    x = L.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]], requires_grad=True)
    for name, values in (("max_pool1d", [3.0, 5.0]), ("avg_pool1d", [2.0, 3.5])):
        y = getattr(L.nn.functional, name)(x, 2)
        assert y.detach().numpy().tolist() == [[values]]
        assert y.grad_fn.name() == "SqueezeBackward1"
        inner = y.grad_fn.next_functions[0][0]
        assert inner.name() == ("MaxPool2DWithIndicesBackward0" if name == "max_pool1d"
                                else "AvgPool2DBackward0")
        assert _name(inner.next_functions[0][0]) == "UnsqueezeBackward0"


# --- reflection padding ----------------------------------------------------------------------
@pytest.mark.parametrize("lib", LIBS)
def test_reflection_pad1d_is_one_node_and_folds_its_gradient_back(lib):
    L = _lib(lib)
    x = L.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    y = L.nn.functional.pad(x, (2, 1), mode="reflect")
    assert y.detach().numpy().tolist() == [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    assert y.grad_fn.name() == "ReflectionPad1DBackward0"
    assert _edges(y) == [("AccumulateGrad", 0)]
    y.backward(L.tensor([[[1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]]]))
    # place 0 was copied at 2; place 1 at 1, 3, 5; place 2 at 0, 4
    assert x.grad.numpy().tolist() == [[[100.0, 101010.0, 10001.0]]]


@pytest.mark.parametrize("lib", LIBS)
def test_reflection_pad2d_and_its_second_order(lib):
    L = _lib(lib)
    x = L.tensor(np.arange(9.0).reshape(1, 3, 3), requires_grad=True)
    y = L.nn.functional.pad(x, (1, 0, 0, 2), mode="reflect")
    assert y.grad_fn.name() == "ReflectionPad2DBackward0"
    assert y.detach().numpy()[0].tolist() == [[1, 0, 1, 2], [4, 3, 4, 5], [7, 6, 7, 8],
                                              [4, 3, 4, 5], [1, 0, 1, 2]]
    v = L.ones(1, 5, 4, dtype=L.float64, requires_grad=True)
    (g,) = L.autograd.grad(y, x, v, create_graph=True)
    assert g.grad_fn.name() == "ReflectionPad2DBackwardBackward0"
    assert g.detach().numpy()[0].tolist() == [[2, 4, 2], [2, 4, 2], [1, 2, 1]]
    (gv,) = L.autograd.grad((g * x).sum(), v)  # d<fold(v), x>/dv = pad(x)
    np.testing.assert_array_equal(gv.numpy(), y.detach().numpy())


# --- gradcheck and gradgradcheck (float64, finite differences) -----------------------------
CASES = {
    "max_pool2d": lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "max_pool2d_dilation": lambda F, x: F.max_pool2d(x, 2, 1, 1, dilation=2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                            count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, 1, divisor_override=3),
    "max_pool1d": lambda F, x: F.max_pool1d(x.flatten(0, 1), 3, 2, 1),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x.flatten(0, 1), 3, 2, 1),
    "reflect1d": lambda F, x: F.pad(x.flatten(0, 1), (2, 3), mode="reflect"),
    "reflect2d": lambda F, x: F.pad(x, (2, 3, 1, 4), mode="reflect"),
    "reflect2d_unbatched": lambda F, x: F.pad(x.flatten(0, 1), (0, 1, 2, 0), mode="reflect"),
}


def _input(lib):
    rng = np.random.default_rng(0)
    data = rng.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) / 7.0  # distinct: no ties
    return _lib(lib).tensor(data, requires_grad=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name):
    fn = CASES[name]
    F = al.nn.functional
    assert al.autograd.gradcheck(lambda x: fn(F, x), (_input("al"),))
    assert al.autograd.gradgradcheck(lambda x: fn(F, x), (_input("al"),))


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_gradients_and_node_names_match_torch(name):
    fn = CASES[name]
    results = {}
    for lib in ("al", "torch"):
        L = _lib(lib)
        x = _input(lib)
        y = fn(L.nn.functional, x)
        v = L.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
        (g,) = L.autograd.grad(y, x, v, create_graph=True)
        (gv,) = L.autograd.grad((g * g).sum(), v)
        results[lib] = (y.grad_fn.name(), g.grad_fn.name(), y.detach().numpy(),
                        g.detach().numpy(), gv.numpy())
    ours, theirs = results["al"], results["torch"]
    assert ours[:2] == theirs[:2]
    for a, b in zip(ours[2:], theirs[2:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
