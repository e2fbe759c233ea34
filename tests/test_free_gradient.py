"""relu's NumPy backward writes into its incoming gradient when nothing else holds it
(Note [Overwriting a free gradient] in ``_ops/_table.py``), and only then: every holder
the engine knows of (a hook, a second edge, ``backward_steps``, the caller's
``gradient=``, ``autograd.grad``) must still see the gradient it was given."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops._table import REGISTRY
from autograd_lab.autograd.graph import _COUNTS_ARE_EXACT

RELU = REGISTRY["relu"]


@pytest.fixture
def free_flags(monkeypatch):
    """Record the ``grad_is_free`` each relu backward is called with."""
    flags, formula = [], RELU.array_backward

    def recording(grad, result, *, grad_is_free=False):
        flags.append(grad_is_free)
        return formula(grad, result, grad_is_free=grad_is_free)

    monkeypatch.setattr(RELU, "array_backward", recording)
    return flags


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = al.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    w = al.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    return x, w


def _expected_grads(x, w, upstream):
    """d/dx and d/dw of sum(upstream * relu(x @ w)), by hand."""
    z = x.detach().numpy() @ w.detach().numpy()
    g = upstream * (z > 0)
    return g @ w.detach().numpy().T, x.detach().numpy().T @ g


def test_a_fresh_gradient_is_overwritten_and_the_result_is_right(free_flags):
    x, w = _inputs()
    upstream = np.arange(15.0).reshape(5, 3)
    y = al.relu(x @ w) @ al.eye(3, dtype=al.float64)  # mm's backward makes relu's gradient
    (y * al.tensor(upstream)).sum().backward()
    assert free_flags == [_COUNTS_ARE_EXACT]
    gx, gw = _expected_grads(x, w, upstream)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12)


def test_a_gradient_a_hook_kept_is_not_overwritten(free_flags):
    x, w = _inputs()
    kept = []
    y = al.relu(x @ w)
    y.register_hook(lambda g: kept.append(g))
    z = y @ al.eye(3, dtype=al.float64)
    z.backward(al.ones(5, 3, dtype=al.float64) * 2.0)
    assert free_flags == [False]
    np.testing.assert_array_equal(kept[0].numpy(), np.full((5, 3), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), _expected_grads(x, w, 2.0)[0], rtol=1e-12)


def test_the_callers_gradient_is_not_overwritten(free_flags):
    x, w = _inputs()
    seed = al.tensor(np.full((5, 3), 3.0))
    al.relu(x @ w).backward(seed)
    assert free_flags == [False]
    np.testing.assert_array_equal(seed.numpy(), np.full((5, 3), 3.0))


def test_one_gradient_sent_along_two_edges_is_overwritten_only_by_the_last(free_flags):
    x, w = _inputs()
    w2 = al.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    # AddBackward hands the same gradient tensor to both relus
    total = (al.relu(x @ w) + al.relu(x @ w2)) @ al.eye(3, dtype=al.float64)
    total.backward(al.ones(5, 3, dtype=al.float64))
    assert free_flags == [False, _COUNTS_ARE_EXACT]
    gx = _expected_grads(x, w, 1.0)[0] + _expected_grads(x, w2, 1.0)[0]
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12)
    np.testing.assert_allclose(w2.grad.numpy(), _expected_grads(x, w2, 1.0)[1], rtol=1e-12)


def test_a_gradient_shown_by_backward_steps_is_not_overwritten(free_flags):
    x, w = _inputs()
    loss = (al.relu(x @ w) @ al.eye(3, dtype=al.float64)).sum()
    steps = list(al.autograd.backward_steps(loss))
    assert free_flags == [False]
    relu_step = [s for s in steps if s.node.name() == "ReluBackward0"][0]
    np.testing.assert_array_equal(relu_step.grad_outputs[0].numpy(), np.ones((5, 3)))


def test_a_gradient_captured_by_autograd_grad_is_not_overwritten(free_flags):
    x, w = _inputs()
    y = x @ w
    r = al.relu(y)
    loss = (r @ al.eye(3, dtype=al.float64)).sum()
    g_r, g_x = al.autograd.grad(loss, [r, x])
    assert free_flags == [False]
    np.testing.assert_array_equal(g_r.numpy(), np.ones((5, 3)))
    np.testing.assert_allclose(g_x.numpy(), _expected_grads(x, w, 1.0)[0], rtol=1e-12)
