"""0-d tensors take NumPy's scalar math for + - * with a number (Note [Scalar math for
0-d tensors] in ``_ops/_table.py``): the same values and dtypes as the ufunc path that
every other shape takes, forward and backward."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops._table import REGISTRY

DTYPES = [np.bool_, np.int64, np.float32, np.float64]
NUMBERS = [True, 3, -2, 2.5, 1e308, -0.0]
OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
VALUES = {np.bool_: [True, False], np.int64: [7, -3, 2**62],
          np.float32: [0.75, -1.5e38, np.inf], np.float64: [0.5, -1e308, np.nan]}


def test_the_arithmetic_rows_take_the_scalar_path():
    # The rows this file covers: if a forward changes, the scalar path must follow it.
    for name in ("add_scalar", "sub_scalar", "mul_scalar"):
        assert REGISTRY[name].scalar_forward is not None
    assert REGISTRY["sin"].scalar_forward is None


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_0d_forward_matches_the_1d_ufunc_path(op, dtype):
    fn = OPS[op]
    for value in VALUES[dtype]:
        for number in NUMBERS:
            if dtype is np.bool_ and op == "sub" or op == "sub" and number is True:
                continue  # bool subtraction raises, on both paths (tested in test_tensor)
            zero_d = fn(al.tensor(np.array(value, dtype=dtype)), number)
            one_d = fn(al.tensor(np.array([value], dtype=dtype)), number)
            assert zero_d.shape == ()
            assert type(zero_d.numpy()) is np.ndarray
            assert zero_d.dtype == one_d.dtype, (value, number)
            np.testing.assert_array_equal(zero_d.numpy(), one_d.numpy()[0])


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_0d_backward_matches_the_hand_derivative(op, dtype):
    derivative = {"add": 1.0, "sub": 1.0, "mul": 2.5}[op]
    x = al.tensor(np.array(0.3, dtype=dtype), requires_grad=True)
    y = OPS[op](x * 1.0, 2.5)  # a non-leaf in, so the op's own node runs its formula
    y.backward(al.tensor(np.array(4.0, dtype=dtype)))
    assert x.grad.dtype == x.dtype and x.grad.shape == ()
    assert type(x.grad.numpy()) is np.ndarray
    assert x.grad.item() == 4.0 * derivative


def test_a_long_0d_chain_keeps_its_dtype_and_value():
    x = al.tensor(np.float32(0.5), requires_grad=True)
    y = x
    for _ in range(50):
        y = y * 1.01 + 0.01
    y.backward()
    expected_value, expected_grad = np.float32(0.5), np.float32(1.0)
    for _ in range(50):
        expected_value = expected_value * np.float32(1.01) + np.float32(0.01)
        expected_grad = expected_grad * np.float32(1.01)
    assert y.dtype == al.float32 and x.grad.dtype == al.float32
    assert y.item() == pytest.approx(float(expected_value), rel=1e-6)
    assert x.grad.item() == pytest.approx(float(expected_grad), rel=1e-6)
