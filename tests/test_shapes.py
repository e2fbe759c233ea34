"""``_shapes.expands_to`` against NumPy's own broadcasting rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lab as al
from autograd_lab._shapes import expands_to

shapes = st.lists(st.integers(0, 3), max_size=4).map(tuple)


def numpy_says(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


@given(shapes, shapes)
def test_expands_to_agrees_with_numpy(shape, target):
    assert expands_to(shape, target) == numpy_says(shape, target)


def test_sum_to_size_refuses_a_shape_that_does_not_expand():
    with pytest.raises(RuntimeError, match=r"size \[3\] is not expandable to size \[2, 4\]"):
        al.ones(2, 4).sum_to_size(3)


def test_engine_sums_a_broadcast_gradient_back():
    bias = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (al.ones(4, 3) * bias).sum().backward()
    np.testing.assert_array_equal(bias.grad.numpy(), [4.0, 4.0, 4.0])
