"""A leaf's first gradient: kept as ``.grad`` when nothing else holds it, copied otherwise.

See Note [Stealing the first gradient] in autograd/graph.py. Each aliasing case below
would make ``.grad`` share memory with something the user (or another leaf) can change;
the first test checks that the saving really happens, so that a change in how Python
counts references cannot quietly turn it off.
"""

from __future__ import annotations

import numpy as np

import autograd_lab as al
from autograd_lab.autograd import graph


def _leaf(*shape):
    data = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7 + 0.5
    return al.tensor(data, requires_grad=True)


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    x, w = al.tensor(np.ones((2, 3))), _leaf(3, 4)
    out = x @ w
    made = {}
    out.grad_fn.register_hook(lambda grad_inputs, grad_outputs:
                              made.update(id=id(grad_inputs[1]._data)))
    out.sum().backward()
    # the very array MmBackward0 made (a copy where reference counts cannot be trusted)
    assert (id(w.grad._data) == made["id"]) == graph._COUNTS_ARE_EXACT
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((3, 4)) * 2)
    assert w.grad._data.flags.writeable and w.grad._data.base is None


def test_a_kept_first_gradient_accumulates_correctly():
    x, w = al.tensor(np.ones((2, 3))), _leaf(3, 4)
    (x @ w).sum().backward()
    first = w.grad
    (x @ w).sum().backward()
    assert w.grad is first  # later gradients are added in place
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 4.0))


def test_the_callers_gradient_argument_is_copied():
    x = _leaf(3)
    g = al.tensor([1.0, 2.0, 3.0], dtype=al.float64)
    x.backward(g)
    g.mul_(10)  # the caller changes its own tensor afterwards
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_gradient_a_hook_kept_is_copied():
    x = _leaf(3)
    kept = []
    x.register_hook(kept.append)
    (x * 3).sum().backward()
    kept[0].mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    (x * 3).sum().backward()  # accumulating into .grad leaves the kept one alone
    np.testing.assert_array_equal(kept[0].numpy(), [30.0, 30.0, 30.0])


def test_two_leaves_fed_the_same_gradient_get_their_own_memory():
    x, y = _leaf(3), _leaf(3)
    ((x * 2) + (y * 2)).backward(al.tensor([1.0, 2.0, 3.0], dtype=al.float64))
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    x, y = _leaf(3), _leaf(3)
    (x + y).sum().backward()  # one broadcast gradient, handed to both
    x.grad.add_(1)
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0, 1.0])


def test_a_gradient_shown_by_backward_steps_is_copied():
    x = _leaf(3)
    steps = list(al.autograd.backward_steps((x * 2).sum()))
    x.grad.add_(1)
    shown = [s for s in steps if type(s.node).__name__ == "AccumulateGrad"][0]
    np.testing.assert_array_equal(shown.grad_outputs[0].numpy(), [2.0, 2.0, 2.0])


def test_a_broadcast_gradient_is_copied_into_writable_memory():
    b = _leaf(4)
    (al.ones(2, 4, dtype=al.float64) + b).sum().backward()
    assert b.grad._data.flags.writeable and b.grad._data.base is None
    b.grad.add_(1)  # would fail on a read-only broadcast view
    np.testing.assert_array_equal(b.grad.numpy(), [3.0] * 4)
