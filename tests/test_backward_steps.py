"""``backward_steps`` reports true snapshots, whether or not the caller keeps the steps.

A notebook that prints each step and moves on keeps nothing; a widget that lists them
keeps them all. Both must see the same values, the values the maths gives, and a later
backward must not change a step already reported. Iterating to the end must leave the
``.grad``s a plain ``backward()`` leaves.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.autograd.graph import AccumulateGrad

pytestmark = pytest.mark.usefixtures("formula_setting")

UPSTREAM = np.arange(1.0, 16.0).reshape(5, 3)  # weights of the loss, so no gradient is 1


def _graph():
    """relu, mm, a broadcast add and a weighted sum over three leaves, built afresh."""
    rng = np.random.default_rng(0)
    x = al.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    w = al.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = al.tensor(rng.standard_normal(3), requires_grad=True)
    loss = (al.relu(x @ w + b) * al.tensor(UPSTREAM)).sum()
    return (x, w, b), loss


def _values(grads) -> list:
    return [None if g is None else g.numpy().copy() for g in grads]


def _record(step) -> tuple:
    """Copies of everything a step shows, so that the step object itself can be dropped."""
    var_grad = None if step.variable_grad is None else step.variable_grad.numpy().copy()
    return (step.index, step.node.name(), _values(step.grad_outputs),
            _values(step.grad_inputs), var_grad)


def _accumulates(step) -> bool:
    return type(step.node) is AccumulateGrad


def _assert_same_records(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:2] == w[:2]
        for got_values, want_values in zip(g[2:4], w[2:4], strict=True):
            assert len(got_values) == len(want_values)
            for a, b in zip(got_values, want_values, strict=True):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_array_equal(a, b)
        assert (g[4] is None) == (w[4] is None)
        if g[4] is not None:
            np.testing.assert_array_equal(g[4], w[4])


def _dropping_each_step():
    leaves, loss = _graph()
    # map, not a for loop: a loop variable would keep the previous step alive
    records = list(map(_record, al.autograd.backward_steps(loss)))
    return leaves, records


def _keeping_every_step():
    leaves, loss = _graph()
    steps = list(al.autograd.backward_steps(loss))
    return leaves, [_record(step) for step in steps]


def test_a_caller_that_drops_each_step_sees_what_a_caller_that_keeps_them_sees():
    _, dropped = _dropping_each_step()
    _, kept = _keeping_every_step()
    _assert_same_records(dropped, kept)


def test_relus_step_shows_the_gradient_it_was_given():
    (x, w, b), records = _dropping_each_step()
    (relu,) = [r for r in records if r[1] == "ReluBackward0"]
    # d loss / d relu(z) = UPSTREAM, by the product rule of the weighted sum
    np.testing.assert_array_equal(relu[2][0], UPSTREAM)
    z = x.detach().numpy() @ w.detach().numpy() + b.detach().numpy()
    np.testing.assert_array_equal(relu[3][0], UPSTREAM * (z > 0))


def test_iterating_to_the_end_leaves_the_grads_backward_leaves():
    leaves, loss = _graph()
    loss.backward()
    for run in (_dropping_each_step, _keeping_every_step):
        stepped, _ = run()
        for got, want in zip(stepped, leaves, strict=True):
            np.testing.assert_array_equal(got.grad.numpy(), want.grad.numpy())


def test_a_later_backward_does_not_change_a_kept_accumulate_grad_step():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    # keep only the AccumulateGrad step, dropping each other one as soon as it is seen
    (step,) = filter(_accumulates, al.autograd.backward_steps((x * 3).sum()))
    np.testing.assert_array_equal(step.grad_outputs[0].numpy(), [3.0, 3.0])
    (x * 5).sum().backward()  # adds into x.grad in place
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0])
    np.testing.assert_array_equal(step.grad_outputs[0].numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(step.variable_grad.numpy(), [3.0, 3.0])


def test_a_later_backward_does_not_change_a_step_fed_by_mm():
    x = al.tensor(np.ones((2, 3)))
    w = al.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (step,) = filter(_accumulates, al.autograd.backward_steps((x @ w).sum()))
    record = _record(step)
    (x @ w).sum().backward()
    np.testing.assert_array_equal(record[2][0], np.full((3, 4), 2.0))  # d sum(x @ w)/dw = x^T 1
    np.testing.assert_array_equal(step.grad_outputs[0].numpy(), np.full((3, 4), 2.0))
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 4.0))
