"""Gradients of every built-in op against central finite differences (float64).

Each case is ``(f, make_inputs)``: ``make_inputs()`` returns fresh seeded leaves in a
domain where ``f`` is smooth (log and sqrt on positive values, relu/abs/clamp away from
their kinks, max/min without ties). ``check_vjp`` (tests/helpers.py) compares
``al.autograd.grad(f(*xs), xs, grad_outputs=v)`` with numeric vector-Jacobian
products and also checks that each gradient has its input's shape and dtype.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close, check_gradgrad, check_vjp, rand64
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd_lab as al
from autograd_lab._ops._apply import apply_op
from autograd_lab._ops._table import OpSpec


# ----------------------------------------------------------------------------- inputs
def std(*shape, seed=0):
    """Standard normal float64 leaf."""
    return rand64(*shape, seed=seed)


def pos(*shape, seed=0):
    """Uniform in [0.5, 2): for log, sqrt, division and pow bases."""
    return rand64(*shape, low=0.5, high=2.0, seed=seed)


def unit(*shape, seed=0):
    """Uniform in (-0.8, 0.8): for asin, acos and tan."""
    return rand64(*shape, low=-0.8, high=0.8, seed=seed)


def off0(*shape, seed=0):
    """Standard normal, at least 0.15 away from 0: for relu, abs, sign, 1/x."""
    return rand64(*shape, seed=seed, away_from=0.0)


def const(arr):
    """A float64 tensor that does not require grad."""
    return al.tensor(np.asarray(arr, dtype=np.float64))


def case(f, *makers, id):  # noqa: A002 - pytest's word
    return pytest.param(f, makers, id=id)


def run(f, makers, second=False):
    inputs = [m() for m in makers]
    check_vjp(f, inputs)
    if second:
        check_gradgrad(f, [m() for m in makers])


# ----------------------------------------------------------------------------- the checker itself
def _bogus_spec(backward, name="bogus_square"):
    """An op outside the registry whose backward we choose (for testing the checker)."""
    return OpSpec(name, np.square, backward, ("self",), ("self",), (), "BogusBackward0", False)


def test_check_vjp_catches_a_wrong_derivative():
    spec = _bogus_spec(lambda grad, self: grad * 2.002 * self)  # 0.1% too large
    with pytest.raises(AssertionError, match="mismatch"):
        check_vjp(lambda x: apply_op(spec, (x,)), [pos(5)])


def test_check_vjp_catches_a_wrong_gradient_dtype_or_shape():
    with pytest.raises(AssertionError, match="shape"):
        assert_close(np.zeros(3), np.zeros((1, 3)))
    spec = _bogus_spec(lambda grad, self: grad * 2 * self)
    with pytest.raises(AssertionError, match="float64"):
        check_vjp(lambda x: apply_op(spec, (x,)), [al.tensor([1.0], requires_grad=True)])


def test_check_gradgrad_catches_a_backward_that_is_not_differentiable():
    # First derivative right, but computed from raw data: its own derivative is lost.
    spec = _bogus_spec(lambda grad, self: grad * al.tensor(2 * self.detach().numpy()))
    f = lambda x: apply_op(spec, (x,))  # noqa: E731
    check_vjp(f, [pos(4)])
    with pytest.raises(AssertionError, match="second derivative"):
        check_gradgrad(f, [pos(4)])


def test_check_vjp_passes_on_a_hand_derived_gradient():
    x = std(3, 2)
    (g,) = check_vjp(lambda a: (a * a * a).sum(), [x], grad_output=const(1.0))
    assert_close(g.numpy(), 3 * x.detach().numpy() ** 2, what="d sum(x^3)")


# ----------------------------------------------------------------------------- pointwise
BINARY_CASES = [
    # tensor-tensor
    case(lambda a, b: a + b, std, lambda: std(seed=1), id="add-0d"),
    case(lambda a, b: a + b, lambda: std(3, 4), lambda: std(3, 4, seed=1), id="add"),
    case(lambda a, b: a - b, lambda: std(3, 4), lambda: std(3, 4, seed=1), id="sub"),
    case(lambda a, b: a * b, lambda: std(3, 4), lambda: std(3, 4, seed=1), id="mul"),
    case(lambda a, b: a / b, lambda: std(3, 4), lambda: pos(3, 4, seed=1), id="div"),
    case(lambda a, b: a ** b, lambda: pos(3, 4), lambda: std(3, 4, seed=1), id="pow-tensor"),
    case(lambda a, b: al.pow(a, b), lambda: pos(3, 4), lambda: std(3, 4, seed=1), id="al.pow"),
    case(lambda a, b: al.add(a, b, alpha=2.5), lambda: std(3), lambda: std(3, seed=1),
         id="add-alpha"),
    case(lambda a, b: al.sub(a, b, alpha=0.5), lambda: std(3), lambda: std(3, seed=1),
         id="sub-alpha"),
    case(lambda a, b: al.rsub(a, b), lambda: std(3), lambda: std(3, seed=1), id="rsub"),
    case(lambda a, b: a.add(b), lambda: std(3), lambda: std(3, seed=1), id="method-add"),
    case(lambda a, b: a.mul(b).div(b.exp()), lambda: std(3), lambda: std(3, seed=1),
         id="method-chain"),
    case(lambda a, b: al.maximum(a, b), lambda: std(3, 4), lambda: std(3, 4, seed=1), id="maximum"),
    case(lambda a, b: al.minimum(a, b), lambda: std(3, 4), lambda: std(3, 4, seed=1), id="minimum"),
    case(lambda a, b: a.maximum(b), lambda: std(5), lambda: std(5, seed=1), id="method-maximum"),
    case(lambda a, b: al.where(const([[1, 0, 1, 1]] * 3) > 0, a, b), lambda: std(3, 4),
         lambda: std(3, 4, seed=1), id="where"),
    case(lambda a, b: al.clamp(a, min=b), lambda: std(6), lambda: std(6, seed=1),
         id="clamp-tensor-min"),
    case(lambda a, b: al.clamp(a, max=b), lambda: std(6), lambda: std(6, seed=1),
         id="clamp-tensor-max"),
    case(lambda a, lo, hi: al.clamp(a, lo, hi), lambda: std(8), lambda: std(8, seed=1) - 0.5,
         lambda: std(8, seed=2) + 0.5, id="clamp-tensor-both"),
    case(lambda a, hi: a.clamp(min=-0.5, max=hi), lambda: std(2, 4), lambda: std(4, seed=1).abs(),
         id="clamp-scalar-and-tensor"),
    # tensor-scalar and scalar-tensor
    case(lambda a: a + 2.0, std, id="add-scalar"),
    case(lambda a: 2.0 + a, std, id="radd-scalar"),
    case(lambda a: a - 2.0, std, id="sub-scalar"),
    case(lambda a: 2.0 - a, lambda: std(3, 2), id="rsub-scalar"),
    case(lambda a: a * 3.0, lambda: std(3, 2), id="mul-scalar"),
    case(lambda a: 3 * a, lambda: std(3, 2), id="rmul-int"),
    case(lambda a: a / 4.0, lambda: std(3, 2), id="div-scalar"),
    case(lambda a: 2.0 / a, lambda: off0(3, 2), id="rdiv-scalar"),
    case(lambda a: a ** 3, lambda: std(3, 2), id="pow-3"),
    case(lambda a: a ** 2, lambda: std(3, 2), id="pow-2"),
    case(lambda a: a ** 0.5, lambda: pos(3, 2), id="pow-half"),
    case(lambda a: a ** -1.5, lambda: pos(3, 2), id="pow-neg"),
    case(lambda a: a ** 0, lambda: pos(3, 2), id="pow-0"),
    case(lambda a: a ** 1, lambda: std(3, 2), id="pow-1"),
    case(lambda a: 2.0 ** a, lambda: std(3, 2), id="rpow-2"),
    case(lambda a: 0.5 ** a, lambda: std(3, 2), id="rpow-half"),
    case(lambda a: al.pow(3.0, a), lambda: std(4), id="al.pow-scalar-base"),
    case(lambda a: a * np.float64(1.5), lambda: std(4), id="mul-numpy-scalar"),
    case(lambda a: al.maximum(a, const(0.3)), lambda: rand64(5, seed=3, away_from=0.3),
         id="maximum-0d"),
    case(lambda a: al.where(a.detach() > 0, a, 0.0), lambda: off0(3, 4), id="where-scalar-other"),
    case(lambda a: al.where(a.detach() > 0, 1.0, a), lambda: off0(3, 4), id="where-scalar-self"),
]


@pytest.mark.parametrize("f,makers", BINARY_CASES)
def test_binary_gradient(f, makers):
    run(f, makers)


def _clamped(*shape, seed=0):
    """Values away from the clamp bounds -0.5 and 0.5."""
    x = rand64(*shape, seed=seed, away_from=0.5).detach().numpy()
    x = np.where(np.abs(x + 0.5) < 0.15, x - 0.3, x)
    return al.tensor(x, requires_grad=True)


UNARY_CASES = [
    case(lambda a: -a, lambda: std(3, 4), id="neg-op"),
    case(al.neg, lambda: std(3, 4), id="neg"),
    case(al.exp, lambda: std(3, 4), id="exp"),
    case(al.expm1, lambda: std(3, 4), id="expm1"),
    case(al.log, lambda: pos(3, 4), id="log"),
    case(al.log1p, lambda: pos(3, 4), id="log1p"),
    case(al.sqrt, lambda: pos(3, 4), id="sqrt"),
    case(al.rsqrt, lambda: pos(3, 4), id="rsqrt"),
    case(al.reciprocal, lambda: off0(3, 4), id="reciprocal"),
    case(al.square, lambda: std(3, 4), id="square"),
    case(al.abs, lambda: off0(3, 4), id="abs"),
    case(lambda a: abs(a), lambda: off0(3, 4), id="abs-builtin"),
    case(al.sign, lambda: off0(3, 4), id="sign"),
    case(al.sin, lambda: std(3, 4), id="sin"),
    case(al.cos, lambda: std(3, 4), id="cos"),
    case(al.tan, lambda: unit(3, 4), id="tan"),
    case(al.sinh, lambda: std(3, 4), id="sinh"),
    case(al.cosh, lambda: std(3, 4), id="cosh"),
    case(al.asin, lambda: unit(3, 4), id="asin"),
    case(al.acos, lambda: unit(3, 4), id="acos"),
    case(al.atan, lambda: std(3, 4), id="atan"),
    case(al.tanh, lambda: std(3, 4), id="tanh"),
    case(al.sigmoid, lambda: std(3, 4), id="sigmoid"),
    case(lambda a: al.sigmoid(a * 30), lambda: std(3, 4), id="sigmoid-saturating"),
    case(al.relu, lambda: off0(3, 4), id="relu"),
    case(lambda a: a.clamp(-0.5, 0.5), lambda: _clamped(3, 4), id="clamp"),
    case(lambda a: a.clamp(min=-0.5), lambda: _clamped(3, 4), id="clamp-min"),
    case(lambda a: a.clamp(max=0.5), lambda: _clamped(3, 4), id="clamp-max"),
    case(lambda a: al.clip(a, -0.5, 0.5), lambda: _clamped(3, 4), id="clip"),
    case(lambda a: a.exp().log(), lambda: std(3), id="exp-log"),
    case(lambda a: a.sqrt().sin().tanh(), lambda: pos(5), id="chain"),
    case(lambda a: a.sigmoid() * a.tanh() + a.exp() / (1 + a * a), lambda: std(2, 3),
         id="composite"),
    case(lambda a: (a * a).sum() * a, lambda: std(3), id="reused-input"),
    case(lambda a: a.square().clone(), lambda: std(3), id="clone"),
]


@pytest.mark.parametrize("f,makers", UNARY_CASES)
def test_unary_gradient(f, makers):
    run(f, makers)


def test_0d_tensors():
    run(lambda a, b: (a * b).exp() / b, [lambda: std(), lambda: pos(seed=1)])


def test_relu_sign_abs_gradients_by_hand():
    x = al.tensor([-2.0, -0.5, 0.5, 3.0], dtype=al.float64, requires_grad=True)
    (g_relu,) = al.autograd.grad(al.relu(x).sum(), x)
    (g_abs,) = al.autograd.grad(x.abs().sum(), x)
    (g_sign,) = al.autograd.grad(x.sign().sum(), x)
    assert g_relu.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert g_abs.tolist() == [-1.0, -1.0, 1.0, 1.0]
    assert g_sign.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_clamp_gradient_is_zero_where_clipped():
    x = al.tensor([-2.0, -0.2, 0.3, 2.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.clamp(-1, 1).sum(), x)
    assert g.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_maximum_minimum_route_the_gradient_to_the_winner():
    a = al.tensor([1.0, 5.0, 2.0], dtype=al.float64, requires_grad=True)
    b = al.tensor([3.0, 4.0, 2.0], dtype=al.float64, requires_grad=True)
    ga, gb = al.autograd.grad(al.maximum(a, b).sum(), (a, b))
    assert ga.tolist() == [0.0, 1.0, 0.5] and gb.tolist() == [1.0, 0.0, 0.5]
    ga, gb = al.autograd.grad(al.minimum(a, b).sum(), (a, b))
    assert ga.tolist() == [1.0, 0.0, 0.5] and gb.tolist() == [0.0, 1.0, 0.5]


def test_pow_scalar_base_zero_and_exponent_zero():
    x = al.tensor([0.5, 2.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad((0.0 ** x).sum(), x)  # 0**x is 0 for x > 0: flat
    assert g.tolist() == [0.0, 0.0]
    (g,) = al.autograd.grad((x ** 0).sum(), x)
    assert g.tolist() == [0.0, 0.0]


def test_clamp_with_tensor_bounds_by_hand():
    # PyTorch's clamp.Tensor: the input keeps the gradient on the boundary; a bound gets it
    # only where it was the value chosen.
    x = al.tensor([0.0, 1.0, 5.0, -3.0], dtype=al.float64, requires_grad=True)
    lo = al.tensor([0.0, 0.5, 0.0, -1.0], dtype=al.float64, requires_grad=True)
    hi = al.tensor([2.0, 2.0, 4.0, -2.0], dtype=al.float64, requires_grad=True)  # lo > hi last
    out = al.clamp(x, lo, hi)
    assert out.tolist() == [0.0, 1.0, 4.0, -2.0]
    gx, glo, ghi = al.autograd.grad(out.sum(), (x, lo, hi))
    assert gx.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert glo.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert ghi.tolist() == [0.0, 0.0, 1.0, 1.0]
    gx, glo = al.autograd.grad(al.clamp(x, min=lo).sum(), (x, lo))
    assert gx.tolist() == [1.0, 1.0, 1.0, 0.0] and glo.tolist() == [0.0, 0.0, 0.0, 1.0]
    gx, ghi = al.autograd.grad(al.clamp(x, max=hi).sum(), (x, hi))
    assert gx.tolist() == [1.0, 1.0, 0.0, 1.0] and ghi.tolist() == [0.0, 0.0, 1.0, 0.0]


def test_gradients_at_nan_follow_pytorch():
    nan = float("nan")
    x = al.tensor([nan, 2.0, -1.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.relu().sum(), x)
    assert g.tolist() == [1.0, 1.0, 0.0]  # relu's mask is "not <= 0": nan passes
    (g,) = al.autograd.grad(x.abs().sum(), x)
    assert g.tolist() == [0.0, 1.0, -1.0]  # sign(nan) is 0 in PyTorch
    assert x.detach().sign().tolist() == [0.0, 1.0, -1.0]
    (g,) = al.autograd.grad(x.max(), x)
    assert g.tolist() == [1.0, 0.0, 0.0]  # the nan is the max: it gets the gradient
    y = al.tensor([1.0, nan, 3.0], dtype=al.float64, requires_grad=True)
    gx, gy = al.autograd.grad(al.maximum(x, y).sum(), (x, y))
    assert gx.tolist() == [1.0, 1.0, 0.0] and gy.tolist() == [1.0, 1.0, 1.0]


def test_pow_tensor_exponent_zero_at_base_zero():
    x = al.tensor([0.0, 0.0, 2.0], dtype=al.float64, requires_grad=True)
    e = al.tensor([0.0, 2.0, 0.0], dtype=al.float64, requires_grad=True)
    gx, ge = al.autograd.grad((x ** e).sum(), (x, e))
    assert gx.tolist() == [0.0, 0.0, 0.0]
    assert_close(ge.numpy(), [0.0, 0.0, np.log(2.0)])


def test_node_names_follow_pytorch():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t = al.tensor([1.5, 1.5])
    names = {
        "AddBackward0": x + 1, "SubBackward0": x - x, "RsubBackward1": 1 - x,
        "MulBackward0": x * 2, "DivBackward0": x / x, "NegBackward0": -x,
        "PowBackward0": x ** 2, "PowBackward1": x ** x, "PowBackward2": 2 ** x,
        "ExpBackward0": x.exp(), "SumBackward0": x.sum(), "SumBackward1": x.sum(0),
        "MeanBackward0": x.mean(), "MeanBackward1": x.mean(dim=1),
        "MaxBackward1": x.max(), "MaxBackward0": x.max(0).values, "AmaxBackward0": x.amax(),
        "ClampBackward1": x.clamp(0, 1), "ClampBackward0": x.clamp(min=t),
        "TBackward0": x.t(), "TransposeBackward0": x.transpose(0, 1),
        "PermuteBackward0": x.permute(1, 0), "ViewBackward0": x.view(4),
        "ExpandBackward0": x.expand(2, 2, 2), "SelectBackward0": x[0],
        "SliceBackward0": x[1:], "IndexBackward0": x[[0, 0]], "MmBackward0": x @ x,
        "CatBackward0": al.cat([x, x]), "StackBackward0": al.stack([x, x]),
        "MaximumBackward0": al.maximum(x, x), "WhereBackward0": al.where(x > 2, x, 0.0),
        "SigmoidBackward0": x.sigmoid(), "ReluBackward0": x.relu(),
    }
    for name, out in names.items():
        assert out.grad_fn.name() == name, (name, out.grad_fn.name())
    node = (2.0 ** x).grad_fn
    assert node._saved_self == 2.0 and node._saved_exponent is x
    assert (x ** 3).grad_fn._saved_exponent == 3


def test_where_gradient_by_hand():
    a = al.tensor([1.0, 2.0, 3.0], dtype=al.float64, requires_grad=True)
    b = al.tensor([10.0, 20.0, 30.0], dtype=al.float64, requires_grad=True)
    cond = al.tensor([True, False, True])
    ga, gb = al.autograd.grad((al.where(cond, a, b) * const([1.0, 2.0, 3.0])).sum(), (a, b))
    assert ga.tolist() == [1.0, 0.0, 3.0] and gb.tolist() == [0.0, 2.0, 0.0]


# ----------------------------------------------------------------------------- broadcasting
BROADCAST_SHAPES = [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)), ((), (3,)),
                    ((3,), ()), ((2, 1, 4), (3, 1)), ((1,), (2, 2))]
BROADCAST_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": al.maximum,
    "minimum": al.minimum,
    "where": lambda a, b: al.where(a.detach() > 1.2, a, b),
    "clamp-min": lambda a, b: al.clamp(a, min=b),
}


@pytest.mark.parametrize("op", BROADCAST_OPS)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_broadcast_gradient_has_input_shape(op, shapes):
    sa, sb = shapes
    # positive inputs keep div and pow smooth; distinct seeds avoid max/min ties
    run(BROADCAST_OPS[op], [lambda: pos(*sa, seed=3), lambda: pos(*sb, seed=4)])


@settings(max_examples=30, deadline=None, database=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(BROADCAST_OPS)), seed=st.integers(0, 2 ** 16))
def test_broadcast_gradient_random_shapes(shapes, op, seed):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    a, b = pos(*sa, seed=seed), pos(*sb, seed=seed + 1)
    assert BROADCAST_OPS[op](a, b).shape == result
    check_vjp(BROADCAST_OPS[op], [a, b])


def test_broadcast_where_condition_broadcasts_too():
    cond = al.tensor([[True], [False], [True]])
    run(lambda a, b: al.where(cond, a, b), [lambda: std(4), lambda: std(1, 4, seed=1)])


def test_broadcast_gradient_sums_by_hand():
    a = al.tensor([[1.0], [2.0]], dtype=al.float64, requires_grad=True)  # (2, 1)
    b = al.tensor([1.0, 10.0, 100.0], dtype=al.float64, requires_grad=True)  # (3,)
    ga, gb = al.autograd.grad((a * b).sum(), (a, b))
    assert ga.shape == (2, 1) and ga.tolist() == [[111.0], [111.0]]
    assert gb.shape == (3,) and gb.tolist() == [3.0, 3.0, 3.0]


# ----------------------------------------------------------------------------- reductions
REDUCTION_CASES = [
    case(lambda a: a.sum(), lambda: std(2, 3, 4), id="sum"),
    case(lambda a: al.sum(a, 1), lambda: std(2, 3, 4), id="sum-1"),
    case(lambda a: a.sum(dim=-1), lambda: std(2, 3, 4), id="sum-neg"),
    case(lambda a: a.sum(dim=(0, 2)), lambda: std(2, 3, 4), id="sum-tuple"),
    case(lambda a: a.sum(dim=(-1, 0), keepdim=True), lambda: std(2, 3, 4), id="sum-tuple-keep"),
    case(lambda a: a.sum(1, keepdim=True), lambda: std(2, 3, 4), id="sum-keep"),
    case(lambda a: a.sum(dim=[0, 1, 2]), lambda: std(2, 3, 4), id="sum-all-dims"),
    case(lambda a: a.sum(0), std, id="sum-0d-dim0"),
    case(lambda a: a.mean(), lambda: std(2, 3, 4), id="mean"),
    case(lambda a: a.mean(0), lambda: std(2, 3, 4), id="mean-0"),
    case(lambda a: al.mean(a, dim=-2, keepdim=True), lambda: std(2, 3, 4), id="mean-neg-keep"),
    case(lambda a: a.mean(dim=(1, 2)), lambda: std(2, 3, 4), id="mean-tuple"),
    case(lambda a: a.mean(-1), std, id="mean-0d-dim-1"),
    case(lambda a: a.max(), lambda: std(3, 4), id="max"),
    case(lambda a: a.min(), lambda: std(3, 4), id="min"),
    case(lambda a: al.max(a), lambda: std(3, 4), id="al.max"),
    case(lambda a: a.max(dim=1)[0], lambda: std(3, 4), id="max-dim"),
    case(lambda a: a.max(dim=-1, keepdim=True).values, lambda: std(3, 4), id="max-dim-keep"),
    case(lambda a: a.min(0).values, lambda: std(3, 4), id="min-dim"),
    case(lambda a: a.min(dim=-2, keepdim=True)[0], lambda: std(2, 3, 4), id="min-dim-keep"),
    case(lambda a: al.max(a, a * 0.5 + 0.1), lambda: std(5), id="max-binary"),
    case(lambda a: a.amax(), lambda: std(3, 4), id="amax"),
    case(lambda a: a.amax(dim=1), lambda: std(3, 4), id="amax-1"),
    case(lambda a: a.amax(dim=(0, -1)), lambda: std(2, 3, 4), id="amax-tuple"),
    case(lambda a: a.amax(dim=-1, keepdim=True), lambda: std(2, 3, 4), id="amax-keep"),
    case(lambda a: al.amin(a, dim=0), lambda: std(3, 4), id="amin-0"),
    case(lambda a: a.amin(dim=(1, 2), keepdim=True), lambda: std(2, 3, 4), id="amin-tuple-keep"),
    case(lambda a: a.sum_to_size(1, 4), lambda: std(3, 4), id="sum_to_size"),
]


@pytest.mark.parametrize("f,makers", REDUCTION_CASES)
def test_reduction_gradient(f, makers):
    run(f, makers)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_values_and_indices(name, dim, keepdim):
    x = std(3, 4, seed=7)
    res = getattr(x, name)(dim=dim, keepdim=keepdim)
    values, indices = res
    assert res.values is values and res.indices is indices
    arr = x.detach().numpy()
    arg = (np.argmax if name == "max" else np.argmin)(arr, axis=dim)
    ref = (np.max if name == "max" else np.min)(arr, axis=dim)
    if keepdim:
        arg, ref = np.expand_dims(arg, dim), np.expand_dims(ref, dim)
    assert indices.dtype == al.int64 and not indices.requires_grad
    assert indices.shape == arg.shape and (indices.numpy() == arg).all()
    assert values.shape == ref.shape and np.array_equal(values.detach().numpy(), ref)
    # the gradient lands on the selected element of each slice
    (g,) = al.autograd.grad(values.sum(), x)
    expected = np.zeros_like(arr)
    np.put_along_axis(expected, arg if keepdim else np.expand_dims(arg, dim), 1.0, axis=dim)
    assert np.array_equal(g.numpy(), expected)


def test_amax_and_max_split_ties_evenly_max_dim_picks_one():
    x = al.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x.amax(), x)
    assert g.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    (g,) = al.autograd.grad(x.max(), x)
    assert g.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    (g,) = al.autograd.grad(x.amax(dim=1).sum(), x)
    assert g.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]
    (g,) = al.autograd.grad(x.amin(dim=0).sum(), x)
    assert g.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    values, indices = x.max(dim=1)
    assert indices.tolist() == [1, 0]
    (g,) = al.autograd.grad(values.sum(), x)
    assert g.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_sum_mean_shapes_and_values():
    x = std(2, 3, 4)
    arr = x.detach().numpy()
    assert x.sum(dim=(0, 2)).shape == (3,)
    assert x.sum(dim=(0, 2), keepdim=True).shape == (1, 3, 1)
    assert x.mean(-1, keepdim=True).shape == (2, 3, 1)
    assert_close(x.mean(dim=(0, -1)).detach().numpy(), arr.mean(axis=(0, 2)))
    assert x.sum().shape == ()
    scalar = std()
    assert scalar.sum(0).shape == () and scalar.mean(dim=-1).shape == ()
    assert scalar.amax(0).shape == () and scalar.max(0).values.shape == ()
    with pytest.raises(IndexError, match="Dimension out of range"):
        scalar.sum(1)


# ----------------------------------------------------------------------------- matmul
MATMUL_SHAPES = [((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((3, 4), (4, 2)),
                 ((2, 3, 4), (2, 4, 2)), ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)),
                 ((4,), (2, 4, 3)), ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 2)),
                 ((1, 3, 4), (2, 4, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradient(shapes):
    sa, sb = shapes
    run(lambda a, b: a @ b, [lambda: std(*sa), lambda: std(*sb, seed=1)])
    # the forward agrees with NumPy
    a, b = std(*sa), std(*sb, seed=1)
    assert_close((a @ b).detach().numpy(), a.detach().numpy() @ b.detach().numpy())


@pytest.mark.parametrize("f,sa,sb", [
    (al.mm, (3, 4), (4, 2)), (al.bmm, (2, 3, 4), (2, 4, 2)), (al.dot, (4,), (4,)),
    (al.outer, (3,), (4,)), (al.matmul, (2, 3), (3,)), (lambda a, b: a.matmul(b), (3,), (3, 2)),
], ids=["mm", "bmm", "dot", "outer", "al.matmul", "method"])
def test_matmul_family_gradient(f, sa, sb):
    run(f, [lambda: std(*sa), lambda: std(*sb, seed=1)])


def test_matmul_with_only_one_input_requiring_grad():
    w = std(4, 2, seed=1)
    run(lambda a: a @ w.detach(), [lambda: std(3, 4)])
    x = std(3, 4)
    run(lambda b: x.detach() @ b, [lambda: std(4, 2, seed=1)])


# ----------------------------------------------------------------------------- shapes and views
VIEW_CASES = [
    case(lambda a: a.reshape(4, 6), lambda: std(2, 3, 4), id="reshape"),
    case(lambda a: a.reshape(-1), lambda: std(2, 3, 4), id="reshape-minus1"),
    case(lambda a: al.reshape(a, (3, -1)), lambda: std(2, 3, 4), id="al.reshape-tuple"),
    case(lambda a: a.view(6, 4), lambda: std(2, 3, 4), id="view"),
    case(lambda a: a.view(-1, 2), lambda: std(2, 3, 4), id="view-minus1"),
    case(lambda a: a.transpose(0, 2), lambda: std(2, 3, 4), id="transpose"),
    case(lambda a: a.transpose(-1, -2), lambda: std(2, 3, 4), id="transpose-neg"),
    case(lambda a: a.permute(2, 0, 1), lambda: std(2, 3, 4), id="permute"),
    case(lambda a: a.permute((1, -1, 0)), lambda: std(2, 3, 4), id="permute-tuple-neg"),
    case(lambda a: a.t(), lambda: std(3, 4), id="t"),
    case(lambda a: a.t(), lambda: std(4), id="t-1d"),
    case(lambda a: a.t() * 2, std, id="t-0d"),
    case(lambda a: a.T, lambda: std(3, 4), id="T"),
    case(lambda a: a.T, lambda: std(2, 3, 4), id="T-3d"),
    case(lambda a: a.mT, lambda: std(2, 3, 4), id="mT"),
    case(lambda a: a.expand(2, 3, 4), lambda: std(3, 1), id="expand"),
    case(lambda a: a.expand(-1, 4), lambda: std(3, 1), id="expand-minus1"),
    case(lambda a: a.expand(2, 3), std, id="expand-0d"),
    case(lambda a: a.expand_as(const(np.zeros((2, 3)))), lambda: std(1, 3), id="expand_as"),
    case(lambda a: al.broadcast_to(a, (4, 3)), lambda: std(3), id="broadcast_to"),
    case(lambda a: a.squeeze(), lambda: std(3, 1, 2, 1), id="squeeze"),
    case(lambda a: a.squeeze(1), lambda: std(3, 1, 2, 1), id="squeeze-dim"),
    case(lambda a: a.squeeze(-1), lambda: std(3, 1, 2, 1), id="squeeze-neg"),
    case(lambda a: a.squeeze(0), lambda: std(3, 1, 2, 1), id="squeeze-non-singleton"),
    case(lambda a: a.squeeze((1, 3)), lambda: std(3, 1, 2, 1), id="squeeze-tuple"),
    case(lambda a: a.unsqueeze(0), lambda: std(3, 2), id="unsqueeze"),
    case(lambda a: a.unsqueeze(-1), lambda: std(3, 2), id="unsqueeze-neg"),
    case(lambda a: a.unsqueeze(1), lambda: std(3, 2), id="unsqueeze-mid"),
    case(lambda a: a.flatten(), lambda: std(2, 3, 4), id="flatten"),
    case(lambda a: a.flatten(1), lambda: std(2, 3, 4), id="flatten-1"),
    case(lambda a: al.flatten(a, 0, 1), lambda: std(2, 3, 4), id="flatten-0-1"),
    case(lambda a: a.flatten(-2, -1), lambda: std(2, 3, 4), id="flatten-neg"),
    case(lambda a: a.movedim(0, -1), lambda: std(2, 3, 4), id="movedim"),
    case(lambda a: a.transpose(0, 1).reshape(-1), lambda: std(3, 4), id="reshape-noncontiguous"),
    case(lambda a: a.t().unsqueeze(0).expand(2, 4, 3).permute(2, 0, 1).sum(1), lambda: std(3, 4),
         id="view-chain"),
]


@pytest.mark.parametrize("f,makers", VIEW_CASES)
def test_view_gradient(f, makers):
    run(f, makers)


def test_view_shapes_match_pytorch_rules():
    x = std(2, 3, 4)
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert std(3, 1, 2, 1).squeeze().shape == (3, 2)
    assert std(3, 1, 2, 1).squeeze(0).shape == (3, 1, 2, 1)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1) and x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.flatten(1).shape == (2, 12) and std().flatten().shape == (1,)
    assert std(3, 1).expand(2, -1, 4).shape == (2, 3, 4)
    assert std(4).t().shape == (4,) and std().t().shape == ()


def test_views_share_memory_and_reshape_copies_only_when_it_must():
    x = std(2, 3)
    arr = x.detach().numpy()
    for v in [x.view(6), x.reshape(3, 2), x.t(), x.transpose(0, 1), x.permute(1, 0), x[0],
              x[:, 1:], x[None], x.unsqueeze(0), x.expand(4, 2, 3), x.flatten(), x.T]:
        assert v._base is x and v.is_view(), v.grad_fn.name()
        assert np.shares_memory(v.detach().numpy(), arr)
    r = x.t().reshape(6)  # not expressible as a view of x: a copy
    assert r.grad_fn.name() == "UnsafeViewBackward0" and r._base is None
    assert not np.shares_memory(r.detach().numpy(), arr)
    assert r.detach().tolist() == arr.T.reshape(6).tolist()
    assert x.reshape(6).grad_fn.name() == "ViewBackward0"
    for copy in [x[[0, 1]], x[x.detach() > 0], x.clone(), x * 1]:
        assert copy._base is None and not np.shares_memory(copy.detach().numpy(), arr)
    # a view of a view points at the root
    assert x.t()[0]._base is x


# ----------------------------------------------------------------------------- indexing
INDEX_CASES = [
    case(lambda a: a[1], lambda: std(3, 4), id="int"),
    case(lambda a: a[-1], lambda: std(3, 4), id="neg-int"),
    case(lambda a: a[1, 2], lambda: std(3, 4), id="int-int"),
    case(lambda a: a[:, -2], lambda: std(3, 4), id="slice-int"),
    case(lambda a: a[1:3], lambda: std(4, 3), id="slice"),
    case(lambda a: a[::2, 1::2], lambda: std(4, 5), id="slice-step"),
    case(lambda a: a[-3:-1], lambda: std(4, 3), id="slice-neg"),
    case(lambda a: a[None], lambda: std(3, 4), id="None"),
    case(lambda a: a[:, None, 1:], lambda: std(3, 4), id="None-mid"),
    case(lambda a: a[...], lambda: std(3, 4), id="Ellipsis"),
    case(lambda a: a[..., 1], lambda: std(2, 3, 4), id="Ellipsis-int"),
    case(lambda a: a[0, ..., None], lambda: std(2, 3, 4), id="int-Ellipsis-None"),
    case(lambda a: a[[0, 2]], lambda: std(3, 4), id="list"),
    case(lambda a: a[[0, 0, 2]], lambda: std(3, 4), id="list-repeated"),
    case(lambda a: a[[2, 0, 2, 2]] * const(np.arange(4.0)[:, None]), lambda: std(3, 4),
         id="list-repeated-weighted"),
    case(lambda a: a[al.tensor([1, 1, 0])], lambda: std(3, 4), id="tensor-repeated"),
    case(lambda a: a[al.tensor([[0, 1], [1, 1]])], lambda: std(3, 4), id="tensor-2d-index"),
    case(lambda a: a[[-1, 0]], lambda: std(3, 4), id="list-negative"),
    case(lambda a: a[[0, 1, 1], [2, 2, 3]], lambda: std(3, 4), id="two-lists"),
    case(lambda a: a[1:, [0, 0, 2]], lambda: std(3, 4), id="slice-list"),
    case(lambda a: a[[0, 0], 1:3], lambda: std(3, 4), id="list-slice"),
    case(lambda a: a[:, [1, 1], 0], lambda: std(2, 3, 4), id="slice-list-int"),
    case(lambda a: a[None, [2, 0]], lambda: std(3, 4), id="None-list"),
    case(lambda a: a[..., [3, 3]], lambda: std(2, 3, 4), id="Ellipsis-list"),
    case(lambda a: a[al.tensor([True, False, True])], lambda: std(3, 4), id="bool-mask-rows"),
    case(lambda a: a[[True, False, True]], lambda: std(3, 4), id="bool-list"),
    case(lambda a: a[a.detach() > 0], lambda: std(3, 4), id="bool-mask-full"),
    case(lambda a: a[:, al.tensor([False, True, True, False])], lambda: std(3, 4),
         id="bool-mask-cols"),
    case(lambda a: a[al.tensor(1)], lambda: std(3, 4), id="0d-index-tensor"),
    case(lambda a: a[1][2:], lambda: std(3, 4), id="chained"),
]


@pytest.mark.parametrize("f,makers", INDEX_CASES)
def test_getitem_gradient(f, makers):
    run(f, makers)


def test_getitem_repeated_indices_sum_their_gradients():
    x = al.tensor([10.0, 20.0, 30.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(x[[0, 0, 2]].sum(), x)
    assert g.tolist() == [2.0, 0.0, 1.0]
    m = al.zeros(3, 2, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad((m[[1, 1, 1]] * const([[1.0, 2.0]] * 3)).sum(), m)
    assert g.tolist() == [[0.0, 0.0], [3.0, 6.0], [0.0, 0.0]]
    (g,) = al.autograd.grad(m[[0, 0], [1, 1]].sum(), m)
    assert g.tolist() == [[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]


@settings(max_examples=40, deadline=None, database=None)
@given(rows=st.lists(st.integers(-4, 3), min_size=1, max_size=7),
       cols=st.one_of(st.none(), st.integers(-3, 2), st.slices(3)),
       seed=st.integers(0, 2 ** 16))
def test_getitem_advanced_gradient_is_scatter_add(rows, cols, seed):
    """d sum(x[index] * w) / dx = w added into the picked places (np.add.at)."""
    x = std(4, 3, seed=seed)
    index = (rows,) if cols is None else (rows, cols)
    out = x[index]
    arr = x.detach().numpy()
    assert np.array_equal(out.detach().numpy(), arr[index])
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (g,) = al.autograd.grad((out * const(w)).sum(), x)
    expected = np.zeros_like(arr)
    np.add.at(expected, index, w)
    assert_close(g.numpy(), expected, what="scatter-add gradient")


def test_getitem_values_match_numpy():
    x = std(3, 4, 5)
    arr = x.detach().numpy()
    for index in [(1,), (slice(None), 2), (None, 1), (Ellipsis, 0), ([0, 2, 2],),
                  (slice(1, None), [1, 0]), ([0, 1], [2, 3]), (slice(None), None, [3, 3])]:
        assert np.array_equal(x[index].detach().numpy(), arr[index]), index
    mask = arr > 0
    assert np.array_equal(x[al.tensor(mask)].detach().numpy(), arr[mask])
    assert x[[]].shape == (0, 4, 5)


# ----------------------------------------------------------------------------- cat and stack
def _ng(*shape, seed=5):
    """An input that does not require grad."""
    return std(*shape, seed=seed).detach()


CAT_CASES = [
    case(lambda a, b: al.cat([a, b]), lambda: std(2, 3), lambda: std(4, 3, seed=1), id="cat-0"),
    case(lambda a, b: al.cat([a, b], dim=1), lambda: std(2, 3), lambda: std(2, 1, seed=1),
         id="cat-1"),
    case(lambda a, b: al.cat((a, b), dim=-1), lambda: std(2, 3), lambda: std(2, 2, seed=1),
         id="cat-neg"),
    case(lambda a, b: al.cat([a, b, a], dim=-2), lambda: std(2, 3, 2), lambda: std(2, 1, 2, seed=1),
         id="cat-repeated-input"),
    case(lambda a: al.cat([_ng(3, 2), a, _ng(3, 1)], dim=1), lambda: std(3, 2), id="cat-partial"),
    case(lambda a: al.cat([a, _ng(1)]), lambda: std(4), id="cat-partial-1d"),
    case(lambda a, b: al.stack([a, b]), lambda: std(2, 3), lambda: std(2, 3, seed=1), id="stack-0"),
    case(lambda a, b: al.stack([a, b], dim=1), lambda: std(2, 3), lambda: std(2, 3, seed=1),
         id="stack-1"),
    case(lambda a, b: al.stack((a, b), dim=-1), lambda: std(2, 3), lambda: std(2, 3, seed=1),
         id="stack-neg"),
    case(lambda a: al.stack([_ng(2, 3), a, _ng(2, 3, seed=6)], dim=-2), lambda: std(2, 3),
         id="stack-partial"),
    case(lambda a, b: al.stack([a, b, a * b]), std, lambda: std(seed=1), id="stack-0d"),
]


@pytest.mark.parametrize("f,makers", CAT_CASES)
def test_cat_stack_gradient(f, makers):
    run(f, makers)


def test_cat_only_some_inputs_require_grad():
    a = std(2, 3)
    b = _ng(2, 1)
    out = al.cat([b, a], dim=1)
    assert out.requires_grad and out.shape == (2, 4)
    (g,) = al.autograd.grad(out.sum(), a)
    assert g.shape == (2, 3) and g.tolist() == [[1.0] * 3] * 2
    assert not al.cat([_ng(2), _ng(3)]).requires_grad
    assert al.stack([b, b]).shape == (2, 2, 1)


# ----------------------------------------------------------------------------- second derivatives
GRADGRAD_CASES = [
    case(lambda a, b: a * b, lambda: std(3, 2), lambda: std(3, 2, seed=1), id="mul"),
    case(lambda a, b: a * b, lambda: std(3, 1), lambda: std(4, seed=1), id="mul-broadcast"),
    case(lambda a, b: a / b, lambda: std(3, 2), lambda: pos(3, 2, seed=1), id="div"),
    case(lambda a: 2.0 / a, lambda: pos(4), id="rdiv"),
    case(lambda a, b: a ** b, lambda: pos(3, 2), lambda: std(3, 2, seed=1), id="pow-tensor"),
    case(lambda a: a ** 3, lambda: std(4), id="pow-3"),
    case(lambda a: a ** 2.5, lambda: pos(4), id="pow-2.5"),
    case(lambda a: 2.0 ** a, lambda: std(4), id="rpow"),
    case(al.exp, lambda: std(4), id="exp"),
    case(al.log, lambda: pos(4), id="log"),
    case(al.sin, lambda: std(4), id="sin"),
    case(al.cos, lambda: std(4), id="cos"),
    case(al.tanh, lambda: std(4), id="tanh"),
    case(al.sigmoid, lambda: std(4), id="sigmoid"),
    case(al.sqrt, lambda: pos(4), id="sqrt"),
    case(al.rsqrt, lambda: pos(4), id="rsqrt"),
    case(al.reciprocal, lambda: pos(4), id="reciprocal"),
    case(al.tan, lambda: unit(4), id="tan"),
    case(al.asin, lambda: unit(4), id="asin"),
    case(al.atan, lambda: std(4), id="atan"),
    case(al.sinh, lambda: std(4), id="sinh"),
    case(al.expm1, lambda: std(4), id="expm1"),
    case(al.log1p, lambda: pos(4), id="log1p"),
    case(lambda a: a.abs() * a, lambda: off0(4), id="abs"),
    case(lambda a: a.relu() * a, lambda: off0(4), id="relu"),
    case(lambda a: a.clamp(-0.5, 0.5) * a, lambda: _clamped(4), id="clamp"),
    case(lambda a, b: al.maximum(a, b) * a, lambda: std(4), lambda: std(4, seed=1), id="maximum"),
    case(lambda a, b: al.where(a.detach() > 0, a * a, b * a), lambda: std(4),
         lambda: std(4, seed=1), id="where"),
    case(lambda a, b: a @ b, lambda: std(3, 4), lambda: std(4, 2, seed=1), id="matmul-2d"),
    case(lambda a, b: (a @ b) ** 2, lambda: std(3, 4), lambda: std(4, 2, seed=1),
         id="matmul-squared"),
    case(lambda a, b: a @ b, lambda: std(4), lambda: std(4, 2, seed=1), id="matmul-1d-2d"),
    case(lambda a, b: a @ b, lambda: std(2, 3), lambda: std(3, seed=1), id="matmul-2d-1d"),
    case(lambda a, b: (a @ b).exp(), lambda: std(2, 1, 2, 3), lambda: std(2, 3, 2, seed=1),
         id="matmul-batched-broadcast"),
    case(lambda a: (a * a).sum(), lambda: std(2, 3), id="sum"),
    case(lambda a: (a * a).sum(dim=1, keepdim=True), lambda: std(2, 3), id="sum-dim"),
    case(lambda a: (a * a).mean(0), lambda: std(2, 3), id="mean-dim"),
    case(lambda a: a.exp().mean(), lambda: std(2, 3), id="mean"),
    case(lambda a: (a * a).amax(dim=1), lambda: std(2, 3), id="amax"),
    case(lambda a: (a * a).max(dim=0).values, lambda: std(2, 3), id="max-dim"),
    case(lambda a: (a ** 3)[[0, 0, 2]], lambda: std(3, 2), id="getitem-repeated"),
    case(lambda a: (a * a)[a.detach() > 0], lambda: std(3, 2), id="getitem-mask"),
    case(lambda a: (a * a)[1:, 0], lambda: std(3, 2), id="getitem-basic"),
    case(lambda a, b: al.cat([a * a, b * a], dim=-1), lambda: std(2, 2), lambda: std(2, 2, seed=1),
         id="cat"),
    case(lambda a, b: al.stack([a.sin(), b * a], dim=1), lambda: std(3), lambda: std(3, seed=1),
         id="stack"),
    case(lambda a: (a * a).t().reshape(-1).expand(2, 6), lambda: std(3, 2), id="views"),
    case(lambda a, b: (a * b).sin().sum(), lambda: std(3, 2), lambda: std(3, 2, seed=1),
         id="composite-sin"),
    case(lambda a, b: ((a @ b).tanh() * a.sigmoid().sum()).mean(), lambda: std(2, 3),
         lambda: std(3, 3, seed=1), id="composite-mlp"),
]


@pytest.mark.parametrize("f,makers", GRADGRAD_CASES)
def test_second_derivative(f, makers):
    check_gradgrad(f, [m() for m in makers])


def test_second_derivative_by_hand():
    x = al.tensor([0.5, -1.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert_close(g.detach().numpy(), [0.75, 3.0])
    (h,) = al.autograd.grad(g.sum(), x)
    assert_close(h.numpy(), [3.0, -6.0])  # d2/dx2 x^3 = 6x
    (g,) = al.autograd.grad(x.sin().sum(), x, create_graph=True)
    (h,) = al.autograd.grad(g.sum(), x)
    assert_close(h.numpy(), -np.sin([0.5, -1.0]))


# ----------------------------------------------------------------------------- dtypes
def _grads(out, *inputs):
    return al.autograd.grad(out.sum(), inputs)


def test_float32_in_float32_gradients():
    x = al.tensor([0.5, 1.5, 2.0], requires_grad=True)
    y = al.tensor([1.0, -1.0, 3.0], requires_grad=True)
    assert x.dtype == al.float32
    for f in [lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a ** b, lambda a, b: a @ b,
              lambda a, b: al.maximum(a, b), lambda a, b: al.cat([a, b]),
              lambda a, b: al.stack([a.exp(), b.sin()]), lambda a, b: (a[[0, 0]] * b[1:]).sum(),
              lambda a, b: a.sqrt().log() + b.sigmoid().tanh().amax()]:
        out = f(x, y)
        assert out.dtype == al.float32
        for g in _grads(out, x, y):
            assert g.dtype == al.float32


@pytest.mark.parametrize("scalar", [2.5, 2, np.float64(2.5), np.int64(2)])
def test_float32_with_python_scalar_stays_float32(scalar):
    x = al.tensor([1.0, 2.0], requires_grad=True)
    for out in [x * scalar, scalar * x, x + scalar, x - scalar, scalar - x, x / scalar,
                scalar / x, x ** scalar, scalar ** x, al.maximum(x, al.tensor(scalar)),
                al.where(x > 1, x, scalar), x.clamp(min=scalar), x * True]:
        assert out.dtype == al.float32, out
        (g,) = _grads(out, x)
        assert g.dtype == al.float32
    al.set_default_dtype(al.float64)
    try:  # the scalar is "weak" whatever the default dtype is
        assert (x * scalar).dtype == al.float32 and (scalar / x).dtype == al.float32
    finally:
        al.set_default_dtype(al.float32)


def test_conversions_change_the_dtype_and_grads_convert_back():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    for y in [x.double(), x.to(al.float64), x.to(dtype=al.float64), x.to("cpu", al.float64)]:
        assert y.dtype == al.float64 and y.grad_fn.name() == "ToCopyBackward0"
        (g,) = _grads(y * y, x)
        assert g.dtype == al.float32 and g.tolist() == [2.0, 4.0]
    s = x.sum(dtype=al.float64)
    assert s.dtype == al.float64
    (g,) = _grads(s * s, x)  # d (x1 + x2)^2 = 2 (x1 + x2)
    assert g.dtype == al.float32 and g.tolist() == [6.0, 6.0]
    z = al.tensor([1.5], dtype=al.float64, requires_grad=True)
    assert z.float().dtype == al.float32
    (g,) = _grads(z.float() * 2, z)
    assert g.dtype == al.float64 and g.tolist() == [2.0]
    assert al.tensor([1, 2]).double().dtype == al.float64
    assert al.tensor([1.7, -1.7]).long().tolist() == [1, -1]


def test_int_division_gives_the_default_float():
    a, b = al.tensor([1, 2, 3]), al.tensor([2, 2, 2])
    assert a.dtype == al.int64
    q = a / b
    assert q.dtype == al.float32 and q.tolist() == [0.5, 1.0, 1.5]
    assert (a / 2).dtype == al.float32 and (2 / a).dtype == al.float32
    assert (a * 2).dtype == al.int64 and (a * 2.5).dtype == al.float32
    assert (a + True).dtype == al.int64
    al.set_default_dtype(al.float64)
    try:
        assert (a / b).dtype == al.float64
        assert (a * 0.5).dtype == al.float64
    finally:
        al.set_default_dtype(al.float32)


def test_float_valued_ops_on_integers_give_floats():
    a = al.tensor([1, 2, 4])
    np.testing.assert_allclose(a.sigmoid().numpy(), 1 / (1 + np.exp(-np.array([1.0, 2, 4]))),
                               rtol=1e-6)
    np.testing.assert_allclose(a.reciprocal().numpy(), [1.0, 0.5, 0.25])
    for name in ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal", "rsqrt", "atan"]:
        assert getattr(a, name)().dtype == al.float32, name
        assert getattr(al.tensor([True, True]), name)().dtype == al.float32, name


def test_float32_plus_float64_promotes_and_grads_keep_their_dtypes():
    a = al.tensor([1.0, 2.0], dtype=al.float32, requires_grad=True)
    b = al.tensor([3.0, 4.0], dtype=al.float64, requires_grad=True)
    for out in [a + b, a * b, b / a, a ** b, al.maximum(a, b), al.cat([a, b]), al.stack([a, b])]:
        assert out.dtype == al.float64
        ga, gb = _grads(out, a, b)
        assert ga.dtype == al.float32 and gb.dtype == al.float64
        assert ga.shape == a.shape and gb.shape == b.shape


def test_zero_dim_tensor_does_not_promote_a_same_category_tensor():
    # PyTorch: a 0-d tensor changes the result dtype only if its category is higher.
    a = al.tensor([1.0, 2.0], requires_grad=True)  # float32
    s = al.tensor(3.0, dtype=al.float64, requires_grad=True)
    out = a * s
    assert out.dtype == al.float32
    ga, gs = _grads(out, a, s)
    assert ga.dtype == al.float32 and gs.dtype == al.float64 and gs.shape == ()
    assert gs.item() == 3.0
    assert (al.tensor([1, 2]) * al.tensor(1.5, dtype=al.float64)).dtype == al.float64
    assert (al.tensor([1, 2]) + al.tensor(1.5)).dtype == al.float32
    assert (al.tensor([1.0]) + al.tensor([1])).dtype == al.float32
    assert (al.tensor(1.0, dtype=al.float64) + al.tensor(2.0)).dtype == al.float64


def test_tensor_infers_float64_from_numpy_scalars_and_tensors():
    assert al.tensor(np.float64(1.5)).dtype == al.float64
    assert al.tensor([np.float64(1.5), 2.0]).dtype == al.float64
    assert al.tensor([np.float32(1.5), 2.0]).dtype == al.float32
    assert al.tensor([al.tensor(1.0, dtype=al.float64), 2.0]).dtype == al.float64
    assert al.tensor([np.array([1.0, 2.0])]).dtype == al.float64
    assert al.tensor([1.5, 2.0]).dtype == al.float32


def test_where_with_bool_tensor_and_int_scalar():
    out = al.where(al.tensor([True, False]), al.tensor([True, True]), 2)
    assert out.dtype == al.int64 and out.tolist() == [1, 2]


def test_torch_agrees_on_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((3, 4)), rng.uniform(0.5, 2, (4, 2))

    def both(f_al, f_t):
        a, b = al.tensor(a_np, requires_grad=True), al.tensor(b_np, requires_grad=True)
        ta = torch.tensor(a_np, requires_grad=True)
        tb = torch.tensor(b_np, requires_grad=True)
        ga = al.autograd.grad(f_al(a, b), (a, b))
        gt = torch.autograd.grad(f_t(ta, tb), (ta, tb))
        for x, y in zip(ga, gt, strict=True):
            np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-10, atol=1e-12)

    both(lambda a, b: ((a @ b).tanh() ** 2).sum(), lambda a, b: ((a @ b).tanh() ** 2).sum())
    both(lambda a, b: (a[[0, 0, 2]][:, 1:3] * b.log().T[:, :2].sum()).amax(),
         lambda a, b: (a[[0, 0, 2]][:, 1:3] * b.log().T[:, :2].sum()).amax())
    both(lambda a, b: al.cat([a.sigmoid(), b.T.sqrt()], 0).max(dim=1).values.sum(),
         lambda a, b: torch.cat([a.sigmoid(), b.T.sqrt()], 0).max(dim=1).values.sum())


def test_matmul_skips_the_gradient_nobody_needs():
    """A batch of inputs that does not require grad gets no gradient computed at all."""
    batch = al.randn(4, 3, dtype=al.float64)
    w = al.randn(3, 2, dtype=al.float64, requires_grad=True)
    node = (batch @ w).grad_fn
    assert node.needs_input_grad == (False, True)
    grad_batch, grad_w = node(al.ones(4, 2, dtype=al.float64))
    assert grad_batch is None
    np.testing.assert_allclose(grad_w.numpy(), batch.numpy().T @ np.ones((4, 2)))
