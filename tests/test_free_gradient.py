"""Every holder of a gradient still sees the value it was given, with relu in the graph.

relu's NumPy backward used to write its result into its incoming gradient when reference
counts said nothing else held it. Now it does so only when the engine owns that gradient
(Note [Owned gradients] in autograd/engine.py), a rule stated by the engine, not guessed
from reference counts. These tests guard it: a hook, a node post-hook, a second edge,
``backward_steps``, the caller's ``gradient=`` and ``autograd.grad`` each see the value
the maths gives, derived by hand below, in both formula settings; and relu is told it owns
its gradient exactly when nothing else can see it.
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


# ---------------------------------------------------------------------------------------
# relu writes into its incoming gradient only when the engine owns it
@pytest.fixture
def owned_flags(monkeypatch):
    """The ``grad_is_owned`` each call of relu's NumPy formula gets."""
    from autograd_lab._ops._table import REGISTRY

    relu, flags = REGISTRY["relu"], []
    formula = relu.array_backward

    def recording(grad, result, *, grad_is_owned=False):
        flags.append(grad_is_owned)
        return formula(grad, result, grad_is_owned=grad_is_owned)

    monkeypatch.setattr(relu, "array_backward", recording)
    return flags


def _relu_loss(hook=None, post_hook=None):
    x, w = _inputs()
    r = al.relu(x @ w)
    if hook is not None:
        r.register_hook(hook)
    if post_hook is not None:
        r.grad_fn.register_hook(post_hook)
    return x, w, (r @ _eye() * al.tensor(UPSTREAM)).sum()


def _check(x, w):
    gx, gw = _expected_grads(x, w, UPSTREAM)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12)


def test_relu_writes_into_a_gradient_the_engine_owns(owned_flags, formula_setting):
    x, w, loss = _relu_loss()
    loss.backward()
    # mm's backward made relu's gradient fresh: owned, unless only definitions run
    assert owned_flags == ([True] if formula_setting == "fast" else [])
    _check(x, w)


def test_relu_leaves_a_gradient_a_hook_saw(owned_flags, formula_setting):
    seen = []
    x, w, loss = _relu_loss(hook=lambda g: seen.append(g.numpy().copy()) or None)
    loss.backward()
    assert True not in owned_flags
    _check(x, w)


def test_relu_leaves_the_gradient_its_post_hook_is_shown(owned_flags, formula_setting):
    shown = []
    x, w, loss = _relu_loss(post_hook=lambda gi, go: shown.append(go[0].numpy().copy()))
    loss.backward()
    assert True not in owned_flags
    np.testing.assert_array_equal(shown[0], UPSTREAM)
    _check(x, w)


def test_relu_owns_nothing_while_steps_are_shown(owned_flags, formula_setting):
    x, w, loss = _relu_loss()
    steps = [(s.node.name(), [g.numpy().copy() for g in s.grad_outputs if g is not None])
             for s in al.autograd.backward_steps(loss)]
    assert True not in owned_flags
    relu_in = next(gs for name, gs in steps if name == "ReluBackward0")
    np.testing.assert_array_equal(relu_in[0], UPSTREAM)
    _check(x, w)
