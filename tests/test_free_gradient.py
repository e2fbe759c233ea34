"""Every holder of a gradient still sees the value it was given, with relu in the graph.

relu's NumPy backward used to write its result into its incoming gradient when reference
counts said nothing else held it. Nothing overwrites a gradient now (the engine's one
saving, Note [Owned gradients] in autograd/engine.py, only keeps a leaf's first gradient
without a copy). These tests guard that: a hook, a second edge, ``backward_steps``, the
caller's ``gradient=`` and ``autograd.grad`` each see the value the maths gives, derived
by hand below, in both formula settings.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

pytestmark = pytest.mark.usefixtures("formula_setting")

UPSTREAM = np.arange(15.0).reshape(5, 3)


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


def _eye():
    return al.eye(3, dtype=al.float64)


def test_a_fresh_gradient_into_relu_gives_the_right_grads():
    x, w = _inputs()
    y = al.relu(x @ w) @ _eye()  # mm's backward makes relu's gradient
    (y * al.tensor(UPSTREAM)).sum().backward()
    gx, gw = _expected_grads(x, w, UPSTREAM)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12)


def test_a_hook_keeps_the_gradient_relu_was_given():
    x, w = _inputs()
    kept = []
    y = al.relu(x @ w)
    y.register_hook(kept.append)
    z = y @ _eye()
    z.backward(al.ones(5, 3, dtype=al.float64) * 2.0)
    np.testing.assert_array_equal(kept[0].numpy(), np.full((5, 3), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), _expected_grads(x, w, 2.0)[0], rtol=1e-12)


def test_node_hooks_keep_what_relu_was_given_and_made():
    x, w = _inputs()
    r = al.relu(x @ w)
    seen = {}
    r.grad_fn.register_prehook(lambda grad_outputs: seen.update(into=grad_outputs[0]))
    r.grad_fn.register_hook(lambda grad_inputs, grad_outputs:
                            seen.update(out=grad_inputs[0], given=grad_outputs[0]))
    (r * al.tensor(UPSTREAM)).sum().backward()
    z = x.detach().numpy() @ w.detach().numpy()
    np.testing.assert_array_equal(seen["into"].numpy(), UPSTREAM)
    np.testing.assert_array_equal(seen["given"].numpy(), UPSTREAM)
    np.testing.assert_array_equal(seen["out"].numpy(), UPSTREAM * (z > 0))


def test_the_callers_gradient_is_left_as_it_was():
    x, w = _inputs()
    seed = al.tensor(np.full((5, 3), 3.0))
    al.relu(x @ w).backward(seed)
    np.testing.assert_array_equal(seed.numpy(), np.full((5, 3), 3.0))
    np.testing.assert_allclose(x.grad.numpy(), _expected_grads(x, w, 3.0)[0], rtol=1e-12)


def test_one_gradient_sent_along_two_edges_reaches_both_relus_whole():
    x, w = _inputs()
    w2 = al.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    # AddBackward hands the same gradient tensor to both relus
    total = (al.relu(x @ w) + al.relu(x @ w2)) @ _eye()
    total.backward(al.tensor(UPSTREAM))
    gx = _expected_grads(x, w, UPSTREAM)[0] + _expected_grads(x, w2, UPSTREAM)[0]
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), _expected_grads(x, w, UPSTREAM)[1], rtol=1e-12)
    np.testing.assert_allclose(w2.grad.numpy(), _expected_grads(x, w2, UPSTREAM)[1], rtol=1e-12)


def test_backward_steps_shows_the_gradient_relu_was_given():
    x, w = _inputs()
    loss = (al.relu(x @ w) @ _eye() * al.tensor(UPSTREAM)).sum()
    # map, not a loop: each step is dropped as soon as it is read
    shown = map(_relu_input, al.autograd.backward_steps(loss))
    (relu_in,) = [g for g in shown if g is not None]
    np.testing.assert_array_equal(relu_in, UPSTREAM)


def _relu_input(step):
    if step.node.name() == "ReluBackward0":
        return step.grad_outputs[0].numpy().copy()
    return None


def test_autograd_grad_returns_the_gradient_relu_was_given():
    x, w = _inputs()
    r = al.relu(x @ w)
    loss = (r @ _eye() * al.tensor(UPSTREAM)).sum()
    g_r, g_x = al.autograd.grad(loss, [r, x])
    np.testing.assert_array_equal(g_r.numpy(), UPSTREAM)
    np.testing.assert_allclose(g_x.numpy(), _expected_grads(x, w, UPSTREAM)[0], rtol=1e-12)
