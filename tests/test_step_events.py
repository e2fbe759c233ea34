"""``backward_steps`` shows the algorithm: order, what is ready and what waits, hooks, sums.

Each expectation is derived by hand from the graph built in the test (or, for the final
gradients, from ``backward()`` on an identical graph).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.autograd.steps import summed_dims

pytestmark = pytest.mark.usefixtures("formula_setting")


def _graph():
    """Shared subexpressions, a broadcast and two leaves: a graph worth ordering."""
    x = al.tensor([[1.0], [2.0], [3.0]], requires_grad=True)  # (3, 1), broadcast below
    w = al.tensor([[0.5, -1.0, 2.0, 0.25]], requires_grad=True)  # (1, 4)
    y = x * w  # (3, 4)
    return x, w, (y.sin() + y * 2 + (x * 3).sum()).sum()


def test_steps_run_in_a_topological_order():
    *_, loss = _graph()
    steps = list(al.autograd.backward_steps(loss))
    position = {step.node: step.index for step in steps}
    assert [s.index for s in steps] == list(range(len(steps)))
    for step in steps:  # every node runs after each node that sends it a gradient
        for fn, _ in step.node.next_functions:
            if fn is not None:
                assert position[fn] > step.index, (step.node.name(), fn.name())


def test_the_last_step_holds_the_grads_backward_leaves():
    x, w, loss = _graph()
    last = list(al.autograd.backward_steps(loss))[-1]
    x2, w2, loss2 = _graph()
    loss2.backward()
    got = {id(leaf): grad.numpy() for leaf, grad in last.accumulated_grads}
    assert set(got) == {id(x), id(w)}
    np.testing.assert_array_equal(got[id(x)], x2.grad.numpy())
    np.testing.assert_array_equal(got[id(w)], w2.grad.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())


def test_accumulated_grads_are_snapshots():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    steps = list(al.autograd.backward_steps((x * w).sum()))
    firsts = [s for s in steps if s.accumulated_grads]
    first = firsts[0].accumulated_grads
    assert len(first) == 1 and len(steps[-1].accumulated_grads) == 2
    before = [g.numpy().copy() for _, g in steps[-1].accumulated_grads]
    (x * w * 10).sum().backward()  # adds into .grad in place
    assert [g.numpy().tolist() for _, g in steps[-1].accumulated_grads] == \
        [b.tolist() for b in before]
    assert x.grad.numpy().tolist() == [33.0, 44.0]


def test_a_node_waits_until_all_its_gradients_are_in():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2  # used twice: its node needs 2 gradients
    loss = (y * 3 + y * 4).sum()
    steps = list(al.autograd.backward_steps(loss))
    producer = y.grad_fn
    waits = [(s.node.name(), [(n, has) for fn, n, has in s.waiting if fn is producer])
             for s in steps]
    seen = [w for _, w in waits if w]
    assert seen == [[(2, 1)]]  # after the first consumer: needs 2, has 1
    ran = [s.node for s in steps].index(producer)
    assert producer in steps[ran - 1].ready  # the second consumer made it ready
    assert all(producer not in s.ready for s in steps[ran:])


def test_the_ready_queue_is_in_run_order():
    *_, loss = _graph()
    steps = list(al.autograd.backward_steps(loss))
    for step, following in zip(steps, steps[1:], strict=False):
        if step.ready:
            assert step.ready[0] is following.node


def test_each_step_names_the_hooks_that_ran():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2

    def double(g):
        return g * 2

    def note(grad_inputs, grad_outputs):
        return None

    def after(tensor):
        return None

    y.register_hook(double)
    y.retain_grad()
    y.grad_fn.register_hook(note)
    x.register_post_accumulate_grad_hook(after)
    steps = {s.node.name(): s for s in al.autograd.backward_steps(y.sum())}
    assert steps["MulBackward0"].hooks == (
        "tensor hook double on output 0", "retain_grad on output 0", "post-hook note")
    assert steps["AccumulateGrad"].hooks == ("post-accumulate-grad hook after",)
    assert steps["SumBackward0"].hooks == ()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])  # the hook doubled it


def test_a_broadcast_gradient_is_summed_back_and_the_step_says_where():
    x = al.tensor([[1.0], [2.0], [3.0]], requires_grad=True)  # (3, 1)
    b = al.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)  # (4,)
    y = al.ones(2, 3, 4, dtype=al.float32)
    steps = {s.node.name(): s for s in al.autograd.backward_steps(((x + y) * b).sum())}
    assert steps["AddBackward0"].summed == ((0, (0, 2)),)  # (2, 3, 4) -> (3, 1)
    assert steps["MulBackward0"].summed == ((1, (0, 1)),)  # (2, 3, 4) -> (4,)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 2 * 10.0))


@pytest.mark.parametrize(("grad_shape", "input_shape"), [
    ((2, 3, 4), (3, 1)), ((2, 3, 4), (4,)), ((5,), (5,)), ((5, 1), (1, 1)), ((3, 2), ()),
])
def test_summing_over_summed_dims_is_the_adjoint_of_broadcasting(grad_shape, input_shape):
    # <broadcast(v), g> == <v, sum of g over the summed dims>, for any v and g
    rng = np.random.default_rng(0)
    g, v = rng.standard_normal(grad_shape), rng.standard_normal(input_shape)
    back = g.sum(axis=summed_dims(grad_shape, input_shape)).reshape(input_shape)
    np.testing.assert_allclose(np.sum(np.broadcast_to(v, grad_shape) * g), np.sum(v * back))
