"""Issue 14 (pointwise and reductions): PyTorch's node names, saved values, freeing,
errors and warnings. Each test checks a hand-written expectation, and PyTorch's
behaviour too where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparison is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _lib(name):
    return torch if name == "torch" else al


LIBS = ["al"] + (["torch"] if torch is not None else [])


# --- saved values: mul and div save only what their gradients read ---------------------
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["mul", "div"])
def test_constant_operand_may_change_after_mul_div(lib, op):
    m = _lib(lib)
    x = m.tensor([1.0, 2.0], requires_grad=True)
    c = m.tensor([3.0, 4.0])
    y = x * c if op == "mul" else x / c
    assert y.grad_fn._saved_self is None  # the constant's gradient is never computed
    with m.no_grad():
        x.mul_(2)
    y.sum().backward()
    expected = [3.0, 4.0] if op == "mul" else [1 / 3, 1 / 4]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("lib", LIBS)
def test_div_saves_self_when_other_requires_grad(lib):
    m = _lib(lib)
    c = m.tensor([3.0, 4.0])
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = c / x
    np.testing.assert_allclose(y.grad_fn._saved_self.numpy(), [3.0, 4.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-3.0, -1.0])


# --- node names ------------------------------------------------------------------------
def _names(node):
    return node.name(), [None if n is None else n.name().rsplit("::", 1)[-1]
                         for n, _ in node.next_functions]


NAMES = {
    "log1p": (lambda m, x: m.log1p(x), ("Log1PBackward0", ["AccumulateGrad"])),
    "max_dim_0d": (lambda m, x: x.sum().max(0)[0], ("MaxBackward0", ["SumBackward0"])),
    "min_dim_0d": (lambda m, x: x.sum().min(dim=-1)[0], ("MinBackward0", ["SumBackward0"])),
    "rdiv": (lambda m, x: 2.0 / x, ("MulBackward0", ["ReciprocalBackward0", None])),
    "rdiv_int": (lambda m, x: 2 / x, ("MulBackward0", ["ReciprocalBackward0", None])),
    "sum_to_size": (lambda m, x: (x + x.t()).sum_to_size(1, 2),
                    ("SumBackward1", ["AddBackward0"])),
    "div_floor": (lambda m, x: m.div(x, 2, rounding_mode="floor"),
                  ("DivBackward2", ["AccumulateGrad", None])),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", sorted(NAMES))
def test_node_names(lib, case):
    m = _lib(lib)
    fn, expected = NAMES[case]
    x = m.tensor([[0.5, 1.5]], requires_grad=True)
    assert _names(fn(m, x).grad_fn) == expected


@pytest.mark.parametrize("lib", LIBS)
def test_max_dim_of_0d(lib):
    m = _lib(lib)
    x = m.tensor(1.5, requires_grad=True)
    values, indices = x.max(0, keepdim=True)
    assert values.shape == () and indices.shape == () and indices.item() == 0
    values.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_rounding_mode(lib, mode):
    m = _lib(lib)
    x = m.tensor([7.0, -7.0, 7.5, -7.5], requires_grad=True)
    y = m.tensor([2.0, 2.0, -2.0, 2.0], requires_grad=True)
    q = m.div(x, y, rounding_mode=mode)
    expected = [3.0, -4.0, -4.0, -4.0] if mode == "floor" else [3.0, -3.0, -3.0, -3.0]
    assert q.tolist() == expected
    assert q.grad_fn.name() == "DivBackward2"
    q.sum().backward()
    assert x.grad.tolist() == [0.0] * 4 and y.grad.tolist() == [0.0] * 4
    ints = m.div(m.tensor([7, -7, 7, -7]), m.tensor([2, 2, -2, 3]), rounding_mode=mode)
    assert ints.tolist() == ([3, -4, -4, -3] if mode == "floor" else [3, -3, -3, -2])
    assert str(ints.dtype).endswith("int64")


@pytest.mark.parametrize("lib", LIBS)
def test_rdiv_saves_the_reciprocal(lib):
    m = _lib(lib)
    x = m.tensor([2.0, 4.0], requires_grad=True)
    y = 2.0 / x
    reciprocal = y.grad_fn.next_functions[0][0]
    np.testing.assert_allclose(reciprocal._saved_result.detach().numpy(), [0.5, 0.25])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, -0.125])


# --- bad input: a clear TypeError, PyTorch's words where it has them --------------------
BAD = {
    "exp_str": (lambda m, t: m.exp("a"), "exp(): argument 'input' (position 1) must be Tensor, "
                                         "not str"),
    "exp_list": (lambda m, t: m.exp([1.0]), "must be Tensor, not list"),
    "relu_str": (lambda m, t: m.relu("a"), "relu(): argument 'input' (position 1) must be Tensor"),
    "sigmoid_none": (lambda m, t: m.sigmoid(None), "must be Tensor, not NoneType"),
    "neg_none": (lambda m, t: m.neg(None), "must be Tensor, not NoneType"),
    "add_str": (lambda m, t: t + "a", "unsupported operand type(s) for +: 'Tensor' and 'str'"),
    "mul_none": (lambda m, t: t * None, "unsupported operand type(s) for *: 'Tensor' and "
                                        "'NoneType'"),
    "none_add": (lambda m, t: None + t, "unsupported operand type(s) for +: 'NoneType' and "
                                        "'Tensor'"),
    "div_str": (lambda m, t: t / "a", "unsupported operand type(s) for /: 'Tensor' and 'str'"),
    "maximum_number": (lambda m, t: m.maximum(t, 2.0), "maximum(): argument 'other' (position 2) "
                                                       "must be Tensor, not float"),
    "minimum_number": (lambda m, t: m.minimum(2.0, t), "minimum(): argument 'input' (position 1) "
                                                       "must be Tensor, not float"),
    "clamp_str": (lambda m, t: m.clamp(t, min="a"), "clamp()"),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_type_error(lib, case):
    m = _lib(lib)
    fn, message = BAD[case]
    t = m.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        fn(m, t)
    assert message in str(info.value)


REDUCTION_ERRORS = {
    "sum_dim_str": (lambda m, t: t.sum(dim="a"), TypeError, "dim"),
    "mean_dim_float": (lambda m, t: t.mean(dim=1.5), TypeError, "dim"),
    "max_dim_str": (lambda m, t: t.max(dim="a"), TypeError, "dim"),
    "sum_of_str": (lambda m, t: m.sum("a"), TypeError,
                   "sum(): argument 'input' (position 1) must be Tensor, not str"),
    "amax_empty_dim": (lambda m, t: m.zeros(0, 3).amax(0), IndexError,
                       "amax(): Expected reduction dim 0 to have non-zero size."),
    "amin_empty_all": (lambda m, t: m.zeros(0, 3).amin(), RuntimeError,
                       "Expected reduction dim to be specified for input.numel() == 0"),
    "max_empty_dim": (lambda m, t: m.zeros(0, 3).max(0), IndexError,
                      "max(): Expected reduction dim 0 to have non-zero size."),
    "max_empty": (lambda m, t: m.zeros(0, 3).max(), RuntimeError,
                  "max(): Expected reduction dim to be specified for input.numel() == 0"),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", sorted(REDUCTION_ERRORS))
def test_reduction_errors(lib, case):
    m = _lib(lib)
    fn, kind, message = REDUCTION_ERRORS[case]
    t = m.tensor([[1.0, 2.0]], requires_grad=True)
    with pytest.raises(kind) as info:
        fn(m, t)
    assert message in str(info.value)


# --- inf and nan arrive silently, as in PyTorch ------------------------------------------
SILENT = """
import warnings
import autograd_lab as al
big = al.tensor([1e30, 1e30])
big.prod(), big.cumprod(0), big.prod(0), al.zeros(0).var(correction=0), al.zeros(0, 2).mean(0)
x = al.tensor([1e30, 1e30], requires_grad=True)
x.prod().backward()
print("done")
"""


def test_reductions_do_not_warn():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-W", "default", "-c", SILENT],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # (var over nothing gives PyTorch's UserWarning about the degrees of freedom, no more)
    assert "done" in done.stdout and "RuntimeWarning" not in done.stderr, done.stderr


# --- create_graph: the gradient requires grad exactly when PyTorch's does ---------------
@pytest.mark.parametrize("lib", LIBS)
def test_relu_gradient_under_create_graph(lib):
    m = _lib(lib)
    x = m.tensor([1.0, -2.0], requires_grad=True)
    g, = m.autograd.grad(m.relu(x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "ThresholdBackwardBackward0"
    assert g.tolist() == [1.0, 0.0]
    gg, = m.autograd.grad(g.sum(), x)
    assert gg.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
def test_sign_gradient_is_a_constant(lib):
    m = _lib(lib)
    x = m.tensor([[1.0, -2.0]], requires_grad=True)
    w = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    g, = m.autograd.grad((m.sign(x) @ w).sum(), x, create_graph=True)
    assert not g.requires_grad and g.tolist() == [[0.0, 0.0]]


def _reduction_graphs(lib):
    """The graphs create_graph=True records for reductions' formulas, and sum_to_size's."""
    def chain(fn):
        if fn is None:
            return None
        name = "AccumulateGrad" if "AccumulateGrad" in fn.name() else fn.name()
        nexts = tuple(chain(n) for n, _ in fn.next_functions)
        return (name, nexts) if nexts else name

    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    v = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    seed = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)  # a seed with a history
    return [chain(lib.autograd.grad(v.sum(), v, seed, create_graph=True)[0].grad_fn),
            chain(lib.autograd.grad(v.sum(0), v, seed, create_graph=True)[0].grad_fn),
            chain(lib.autograd.grad(x.logsumexp(0).sum(), x, create_graph=True)[0].grad_fn),
           chain(lib.autograd.grad((x * b).sum(), b, create_graph=True)[0].grad_fn),
           chain(x.sum_to_size(3).grad_fn)]


def test_reduction_formulas_record_pytorchs_ops():
    """sum() spreads its 0-d gradient with a bare expand, sum(dim) puts the reduced axis
    back with an unsqueeze first (not a view), and sum_to_size drops leading dims with a
    view after a keepdim sum, as PyTorch's sum_to."""
    expected = [
        ("ExpandBackward0", ("AccumulateGrad",)),
        ("ExpandBackward0", (("UnsqueezeBackward0", ("AccumulateGrad",)),)),
        ("MulBackward0", (None, ("ExpBackward0", (("SubBackward0", (
            "AccumulateGrad", ("UnsqueezeBackward0", (("LogsumexpBackward0",
                                                      ("AccumulateGrad",)),)))),)))),
        ("ViewBackward0", (("SumBackward1", (("MulBackward0", (None, "AccumulateGrad")),)),)),
        ("ViewBackward0", (("SumBackward1", ("AccumulateGrad",)),)),
    ]
    assert _reduction_graphs(al) == expected
    if torch is not None:
        assert _reduction_graphs(torch) == expected
