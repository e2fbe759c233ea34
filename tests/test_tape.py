"""Tests for autograd_lab/tape.py, the one-page gradient tape.

Its gradients are checked against central finite differences (float64), and
against ``autograd_lab.autograd.grad`` on the very same expressions.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab import tape

Variable, grad = tape.Variable, tape.grad


@pytest.fixture(autouse=True)
def fresh_tape():
    """Each test records on its own tape, with names starting at v0."""
    with tape.new_tape():
        yield


# ---------------------------------------------------------------- helpers


def make_inputs(shapes, domain, seed=0):
    """Random float64 inputs; ``domain`` keeps them off kinks (relu) and poles (1/x)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if domain == "away_from_zero":
            x = rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        else:
            x = rng.standard_normal(shape)
        arrays.append(np.asarray(x, dtype=np.float64))
    return arrays


def numerical_grads(f, arrays, eps=1e-6):
    """Central differences: dL/dx[i] ~ (L(x[i] + eps) - L(x[i] - eps)) / (2 eps)."""

    def L(xs):
        return float(f(*[Variable(x) for x in xs]).value)

    grads = []
    for k, x in enumerate(arrays):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k][i] += eps
            minus[k][i] -= eps
            g[i] = (L(plus) - L(minus)) / (2 * eps)
        grads.append(g)
    return grads


# Each case: a scalar function written only with operators and methods that
# tape.Variable and the full engine's Tensor share, its input shapes, and a domain.
CASES = {
    "a*b+c": (lambda a, b, c, w: ((a * b + c) * w).sum(), [(3, 4)] * 4, "any"),
    "broadcast_add": (lambda a, b, w: ((a + b) * w).sum(), [(3, 4), (4,), (3, 4)], "any"),
    "broadcast_mul": (lambda a, b, w: (a * b * w).sum(), [(2, 3, 4), (3, 1), (2, 3, 4)], "any"),
    "used_twice": (lambda x: (x * x + x).sum(), [(5,)], "any"),
    "neg_sub": (lambda a, b: ((-a - b) * a).sum(), [(3,), (3,)], "any"),
    "matmul": (lambda a, b, w: ((a @ b) * w).sum(), [(3, 4), (4, 2), (3, 2)], "any"),
    "matmul_vector_left": (lambda v, b, w: ((v @ b) * w).sum(), [(4,), (4, 2), (2,)], "any"),
    "matmul_vector_right": (lambda a, v, w: ((a @ v) * w).sum(), [(3, 4), (4,), (3,)], "any"),
    "matmul_batched": (lambda a, b, w: ((a @ b) * w).sum(), [(2, 3, 4), (4, 5), (2, 3, 5)], "any"),
    "exp_log_tanh_sin_cos": (
        lambda x: ((x.exp() + 1.0).log().tanh().sin() * x.cos()).sum(),
        [(6,)],
        "any",
    ),
    "relu": (lambda x, w: (x.relu() * w).sum(), [(4, 3), (4, 3)], "away_from_zero"),
    "division": (lambda a, b: (a / b).sum(), [(3, 4), (4,)], "away_from_zero"),
}


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_finite_differences(name):
    f, shapes, domain = CASES[name]
    arrays = make_inputs(shapes, domain)
    xs = [Variable(a) for a in arrays]
    analytic = grad(f(*xs), xs)
    numeric = numerical_grads(f, arrays)
    for k, (a, ga, gn) in enumerate(zip(arrays, analytic, numeric, strict=True)):
        assert ga.shape == a.shape, f"{name}: grad {k} has shape {ga.shape}"
        np.testing.assert_allclose(ga, gn, rtol=1e-6, atol=1e-7, err_msg=f"{name}: input {k}")


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_full_engine(name):
    f, shapes, domain = CASES[name]
    arrays = make_inputs(shapes, domain)
    xs = [Variable(a) for a in arrays]
    expected = grad(f(*xs), xs)
    ts = [al.tensor(a, dtype=al.float64, requires_grad=True) for a in arrays]
    got = al.autograd.grad(f(*ts), ts)
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_allclose(
            g.detach().numpy(), e, rtol=1e-10, atol=1e-12, err_msg=f"{name}: input {k}"
        )


def test_unused_variable_gets_zeros():
    x, y = Variable(np.arange(3.0)), Variable(np.ones((2, 2)))
    y.exp()  # on the tape, but L does not depend on it: grad must skip it
    L = (x * x).sum()
    gx, gy = grad(L, [x, y])
    np.testing.assert_array_equal(gx, 2 * np.arange(3.0))
    np.testing.assert_array_equal(gy, np.zeros((2, 2)))


def test_constants_on_either_side():
    def f(x):
        y = (2.0 * x - x / 3.0 + np.arange(3.0)) * (1.0 - x) + 1.0 / x
        return y.sum() + (np.ones((2, 3)) @ x).sum()

    (a,) = make_inputs([(3,)], "away_from_zero")
    x = Variable(a)
    L = f(x)
    assert isinstance(L, Variable)  # ndarray @ Variable went through __rmatmul__
    np.testing.assert_allclose(grad(L, [x])[0], numerical_grads(f, [a])[0], rtol=1e-6)


def test_grad_of_L_wrt_itself_is_one():
    L = (Variable([1.0, 2.0]) * 3.0).sum()
    np.testing.assert_array_equal(grad(L, [L])[0], np.array(1.0))


def test_non_scalar_L_raises():
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        grad(Variable([1.0, 2.0]) * 2.0, [])


def test_float32_stays_float32():
    x = Variable(np.ones(3, dtype=np.float32))
    L = (x * 2.0 + 1.0).sum()
    assert L.value.dtype == np.float32
    assert grad(L, [x])[0].dtype == np.float32


def test_unbroadcast_sums_over_copied_dimensions():
    g = tape.unbroadcast(np.ones((2, 3, 4)), (3, 1))
    np.testing.assert_array_equal(g, np.full((3, 1), 8.0))


# ---------------------------------------------------------------- the tape itself


def test_tape_reads_like_the_program():
    x, y = Variable([1.0, 2.0]), Variable([3.0, 4.0])
    (x * y + x).sum()
    assert [repr(e) for e in tape.gradient_tape] == [
        "v2 = mul(v0, v1)",
        "v3 = add(v2, v0)",
        "v4 = sum(v3)",
    ]
    assert repr(x) == "Variable(array([1., 2.]), name='v0')"


def test_new_tape_restores_the_outer_tape():
    x = Variable([1.0])
    x.exp()
    with tape.new_tape() as inner:
        Variable([2.0]).sin()
        assert [repr(e) for e in inner] == ["v1 = sin(v0)"]
    assert [repr(e) for e in tape.gradient_tape] == ["v1 = exp(v0)"]
    assert Variable([0.0]).name == "v2"


def test_reset_tape_clears_and_restarts_names():
    Variable([1.0]).exp()
    tape.reset_tape()
    assert tape.gradient_tape == []
    assert Variable([1.0]).name == "v0"
