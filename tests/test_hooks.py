"""Hooks: tensor hooks, post-accumulate-grad hooks, Node pre- and post-hooks, and the
order in which the engine runs nodes and hooks (PyTorch's "Backward Hooks execution").
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arr, close

import autograd_lab as al
from autograd_lab.autograd.graph import AccumulateGrad, Node, RemovableHandle

pytestmark = pytest.mark.usefixtures("formula_setting")


def vec(*values):
    return al.tensor(list(values), requires_grad=True)


def accumulator(x):
    """The AccumulateGrad node of leaf ``x`` (reached through a throwaway op)."""
    node = (x * 1.0).grad_fn.next_functions[0][0]
    assert type(node) is AccumulateGrad
    return node


# =======================================================================================
# tensor hooks
def test_leaf_hook_observes_the_gradient():
    x = vec(1.0, 2.0)
    seen = []
    x.register_hook(lambda g: seen.append(arr(g).copy()))
    (x * 3.0).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    close(x.grad, [3.0, 3.0])


def test_leaf_hook_replaces_the_gradient():
    x = vec(1.0, 2.0)
    x.register_hook(lambda g: g * 10.0)
    (x * x).sum().backward()  # 2x, times 10
    close(x.grad, [20.0, 40.0])


def test_non_leaf_hook_replaces_the_gradient_flowing_on():
    x = vec(1.0, 2.0)
    y = x * 2.0
    seen = []
    y.register_hook(lambda g: seen.append(arr(g).copy()))
    y.register_hook(lambda g: g * 100.0)
    (y * y).sum().backward()  # dL/dy = 2y = [4, 8]; dL/dx = 2 * 100 * dL/dy
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    close(x.grad, [800.0, 1600.0])


def test_several_hooks_run_in_registration_order_each_seeing_the_last():
    x = vec(1.0)
    log = []

    def first(g):
        log.append(("first", g.item()))
        return g + 1.0

    def second(g):
        log.append(("second", g.item()))
        return g * 10.0

    def third(g):
        log.append(("third", g.item()))

    x.register_hook(first)
    x.register_hook(second)
    x.register_hook(third)
    (x * 2.0).sum().backward()
    assert log == [("first", 2.0), ("second", 3.0), ("third", 30.0)]
    close(x.grad, [30.0])


def test_hook_handle_remove_and_context_manager():
    x = vec(1.0)
    handle = x.register_hook(lambda g: g * 2.0)
    assert isinstance(handle, RemovableHandle)
    (x * 1.0).sum().backward()
    close(x.grad, [2.0])
    handle.remove()
    handle.remove()  # twice is harmless
    (x * 1.0).sum().backward()
    close(x.grad, [3.0])
    with x.register_hook(lambda g: g * 0.0):
        (x * 1.0).sum().backward()
    close(x.grad, [3.0])
    (x * 1.0).sum().backward()
    close(x.grad, [4.0])


def test_removing_one_hook_keeps_the_others():
    y_src = vec(1.0)
    y = y_src * 1.0
    log = []
    h1 = y.register_hook(lambda g: log.append(1))
    y.register_hook(lambda g: log.append(2))
    h1.remove()
    y.sum().backward()
    assert log == [2]


def test_hook_runs_once_per_backward_even_with_many_uses():
    x = vec(2.0)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * x * x).sum().backward()  # gradients summed first, then one hook call: 3x^2
    assert calls == [12.0]


def test_hooks_see_the_gradient_before_retain_grad_stores_it():
    # PyTorch: retain_grad's value is the hooked gradient, whichever was registered first.
    for retain_first in (True, False):
        x = vec(1.0, 2.0)
        y = x * 2.0
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 10.0)
        if not retain_first:
            y.retain_grad()
        y.sum().backward()
        close(y.grad, [10.0, 10.0])
        close(x.grad, [20.0, 20.0])


def test_leaf_hook_runs_before_accumulation_and_grad_fn_none():
    x = vec(1.0)
    seen = []

    def hook(g):
        seen.append(None if x.grad is None else x.grad.item())

    x.register_hook(hook)
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()
    assert seen == [None, 2.0]  # .grad not yet updated when the hook runs
    close(x.grad, [4.0])


def test_leaf_hook_also_runs_under_autograd_grad():
    x = vec(1.0, 2.0)
    x.register_hook(lambda g: g * 10.0)
    (g,) = al.autograd.grad((x * 2.0).sum(), x)  # PyTorch applies it: 20
    close(g, [20.0, 20.0])
    assert x.grad is None


def test_non_leaf_hook_and_retain_grad_under_autograd_grad():
    x = vec(1.0, 2.0)
    y = x * 3.0
    y.retain_grad()
    y.register_hook(lambda g: g * 100.0)
    (gy,) = al.autograd.grad((y * y).sum(), y)  # 2y = [6, 12], hooked: x100
    close(gy, [600.0, 1200.0])
    close(y.grad, [600.0, 1200.0])
    assert x.grad is None


def test_hook_returning_wrong_shape_raises():
    x = vec(1.0, 2.0)
    x.register_hook(lambda g: al.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="hook"):
        (x * 1.0).sum().backward()


def test_register_hook_on_tensor_without_grad_raises():
    msg = "cannot register a hook on a tensor that doesn't require gradient"
    with pytest.raises(RuntimeError, match=msg):
        al.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match=msg):
        al.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_hook_registered_in_forward_runs_during_backward():
    def forward(x, y):
        x.register_hook(lambda g: g * g)
        return x * y

    x = al.tensor([0.5, 0.5], requires_grad=True)
    y = al.tensor([0.5, 0.5], requires_grad=True)
    forward(x, y).backward(al.tensor([2.0, 2.0]))
    close(x.grad, [1.0, 1.0])  # (grad_out * y)^2
    close(y.grad, [1.0, 1.0])  # grad_out * x


def test_hooks_under_create_graph_are_differentiated():
    x = al.tensor(3.0, requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * x)  # the hook's product is recorded too
    (g,) = al.autograd.grad(y, x, create_graph=True)  # (1 * x) * 2x = 2x^2 = 18
    close(g, 18.0)
    assert g.requires_grad
    (gg,) = al.autograd.grad(g, x)  # 4x = 12
    close(gg, 12.0)


def test_hook_sees_grad_mode_of_the_backward():
    x = vec(1.0)
    modes = []
    x.register_hook(lambda g: modes.append(al.is_grad_enabled()))
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward(create_graph=True)
    assert modes == [False, True]
    assert al.is_grad_enabled()


# =======================================================================================
# post-accumulate-grad hooks
def test_post_accumulate_grad_hook_sees_the_updated_grad():
    x = vec(1.0, 2.0)
    seen = []

    def hook(t):
        assert t is x
        seen.append(arr(t.grad).copy())

    handle = x.register_post_accumulate_grad_hook(hook)
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(seen[1], [5.0, 5.0])
    handle.remove()
    (x * 3.0).sum().backward()
    assert len(seen) == 2


def test_post_accumulate_grad_hook_can_update_in_place_like_an_optimizer():
    x = vec(1.0, 2.0)

    def sgd_step(t):
        with al.no_grad():
            t.detach().numpy()[:] -= 0.5 * t.grad.numpy()
        t.grad = None

    x.register_post_accumulate_grad_hook(sgd_step)
    (x * x).sum().backward()  # grad 2x, step x - x = 0
    close(x, [0.0, 0.0])
    assert x.grad is None


def test_post_accumulate_grad_hook_runs_after_tensor_hooks():
    x = vec(1.0)
    log = []
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.item())))
    x.register_hook(lambda g: log.append(("pre", g.item())) or g * 2.0)
    (x * 5.0).sum().backward()
    assert log == [("pre", 5.0), ("post", 10.0)]


def test_post_accumulate_grad_hook_not_run_by_autograd_grad():
    x = vec(1.0)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    al.autograd.grad((x * 2.0).sum(), x)
    assert calls == []


def test_post_accumulate_grad_hook_only_on_leaves():
    x = vec(1.0)
    msg = "post accumulate grad hooks cannot be registered on non-leaf tensors"
    with pytest.raises(RuntimeError, match=msg):
        (x * 2.0).register_post_accumulate_grad_hook(lambda t: None)


# =======================================================================================
# Node hooks
def test_node_post_hook_gets_grad_inputs_and_grad_outputs():
    a = vec(1.0, 2.0)
    b = vec(3.0, 4.0)
    c = a * b
    seen = []
    handle = c.grad_fn.register_hook(lambda gi, go: seen.append((gi, go)))
    assert isinstance(handle, RemovableHandle)
    c.sum().backward()
    (grad_inputs, grad_outputs) = seen[0]
    assert isinstance(grad_inputs, tuple) and isinstance(grad_outputs, tuple)
    assert len(grad_inputs) == 2 and len(grad_outputs) == 1
    close(grad_outputs[0], [1.0, 1.0])
    close(grad_inputs[0], [3.0, 4.0])  # d/da = b
    close(grad_inputs[1], [1.0, 2.0])  # d/db = a


def test_node_post_hook_replaces_grad_inputs():
    a = vec(1.0, 2.0)
    b = a * 3.0  # two edges, the number's None: a hook returns one value per edge
    b.grad_fn.register_hook(lambda gi, go: (gi[0] * 10.0, None))
    b.sum().backward()
    close(a.grad, [30.0, 30.0])
    c = a * 3.0
    c.grad_fn.register_hook(lambda gi, go: (gi[0] * 10.0,))
    with pytest.raises(RuntimeError, match=r"incorrect number of values \(got 1, but expected "
                                           r"2\)"):  # as PyTorch
        c.sum().backward()


def test_node_post_hook_on_two_input_node_can_drop_one():
    a = vec(1.0)
    b = vec(2.0)
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: (gi[0], None))
    c.sum().backward()
    close(a.grad, [2.0])
    assert b.grad is None


def test_node_post_hook_wrong_count_raises():
    a = vec(1.0)
    b = vec(2.0)
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: (gi[0],))
    with pytest.raises(RuntimeError, match="incorrect number of values"):
        c.sum().backward()


def test_node_prehook_replaces_grad_outputs():
    # The docs' example: b = a.clone(); prehook doubles the gradient.
    a = al.tensor([0.0, 0.0, 0.0], requires_grad=True)
    b = a.clone()
    assert isinstance(b.grad_fn, Node)
    handle = b.grad_fn.register_prehook(lambda go: (go[0] * 2.0,))
    b.sum().backward(retain_graph=True)
    close(a.grad, [2.0, 2.0, 2.0])
    handle.remove()
    a.grad = None
    b.sum().backward(retain_graph=True)
    close(a.grad, [1.0, 1.0, 1.0])


def test_node_post_hook_docs_example():
    a = al.tensor([0.0, 0.0, 0.0], requires_grad=True)
    b = a.clone()
    handle = b.grad_fn.register_hook(lambda gi, go: (go[0] * 2.0,))
    b.sum().backward(retain_graph=True)
    close(a.grad, [2.0, 2.0, 2.0])
    handle.remove()
    a.grad = None
    b.sum().backward(retain_graph=True)
    close(a.grad, [1.0, 1.0, 1.0])


def test_node_hook_order_tensor_hook_then_prehook_then_post_hook():
    x = vec(1.0)
    y = x * 2.0
    log = []
    y.grad_fn.register_hook(lambda gi, go: log.append(("post", go[0].item(), gi[0].item())))
    y.grad_fn.register_prehook(lambda go: log.append(("pre", go[0].item())) or (go[0] + 1.0,))
    y.register_hook(lambda g: log.append(("tensor", g.item())) or g * 3.0)
    y.sum().backward()
    # tensor hook: 1 -> 3; node pre-hook: 3 -> 4; node runs: 4 * 2 = 8
    assert log == [("tensor", 1.0), ("pre", 3.0), ("post", 4.0, 8.0)]
    close(x.grad, [8.0])


def test_accumulate_grad_node_hooks():
    x = vec(1.0)
    acc = accumulator(x)
    log = []
    x.register_hook(lambda g: log.append(("tensor", g.item())))
    acc.register_prehook(lambda go: log.append(("pre", go[0].item())) or (go[0] * 2.0,))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post_acc", t.grad.item())))
    acc.register_hook(lambda gi, go: log.append(("post", gi, go[0].item())))
    (x * 5.0).backward()
    assert log == [("tensor", 5.0), ("pre", 5.0), ("post_acc", 10.0), ("post", (), 10.0)]
    close(x.grad, [10.0])


def test_node_prehook_does_not_change_the_gradient_grad_returns():
    # PyTorch captures the gradient for grad() before the node's own pre-hooks.
    a = vec(1.0, 2.0)
    b = a * 3.0
    b.grad_fn.register_prehook(lambda go: (go[0] * 1000.0,))
    (gb,) = al.autograd.grad((b * 1.0).sum(), [b])
    close(gb, [1.0, 1.0])


def test_node_hooks_under_create_graph():
    x = al.tensor(2.0, requires_grad=True)
    y = x * x
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * x, gi[1] * x))
    (g,) = al.autograd.grad(y, x, create_graph=True)  # (x + x) * x = 2x^2 = 8
    close(g, 8.0)
    (gg,) = al.autograd.grad(g, x)  # 4x = 8
    close(gg, 8.0)


# =======================================================================================
# the order nodes run in
def _record_every_node(root, names):
    order = []
    seen = set()
    stack = [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        label = node.name() if type(node) is not AccumulateGrad else f"Acc({names[node.variable]})"
        node.register_prehook(lambda go, label=label: order.append(label))
        stack.extend(fn for fn, _ in node.next_functions)
    return order


def test_later_created_nodes_run_first():
    x = al.tensor(1.0, requires_grad=True)
    w = al.tensor(2.0, requires_grad=True)
    a = x * 2.0  # 1st node
    b = w * 3.0  # 2nd
    c = a.exp() + b.sin()  # exp 3rd, sin 4th, add 5th
    loss = c * 1.0  # 6th
    order = _record_every_node(loss, {x: "x", w: "w"})
    loss.backward()
    # Same order as PyTorch: a ready AccumulateGrad runs at once; otherwise the most
    # recently created ready node.
    assert order == ["MulBackward0", "AddBackward0", "SinBackward0", "ExpBackward0",
                     "MulBackward0", "Acc(w)", "MulBackward0", "Acc(x)"]


def test_node_waits_for_all_its_gradients():
    x = al.tensor(1.0, requires_grad=True)
    h = x * 2.0
    a = h * 3.0
    b = h.exp()
    loss = a + b
    order = _record_every_node(loss, {x: "x"})
    seen_by_h = []
    h.register_hook(lambda g: seen_by_h.append(g.item()))
    loss.backward()
    assert order == ["AddBackward0", "ExpBackward0", "MulBackward0", "MulBackward0", "Acc(x)"]
    assert seen_by_h == pytest.approx([3.0 + np.exp(2.0)])  # one call, both paths summed


def test_hook_of_a_tensor_outside_the_backward_does_not_run():
    x = vec(1.0)
    y = x * 2.0
    z = x * 3.0
    calls = []
    z.register_hook(lambda g: calls.append(g))
    y.sum().backward()
    assert calls == []  # z's node is not part of this backward


# =======================================================================================
# PyTorch as an oracle
def test_oracle_hook_order_and_values_match_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        log = []
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        w = lib.tensor([0.5, 3.0], requires_grad=True)
        h = x * w
        h.register_hook(lambda g: log.append(("h", g.tolist())) or g * 2.0)
        x.register_hook(lambda g: log.append(("x", g.tolist())))
        w.register_hook(lambda g: log.append(("w", g.tolist())) or g + 1.0)
        h.retain_grad()
        loss = (h.exp() * x).sum()
        loss.backward()
        return log, [t.detach().numpy().astype(np.float64) for t in (x.grad, w.grad, h.grad)]

    (mine_log, mine), (their_log, theirs) = run(al), run(torch)
    assert [name for name, _ in mine_log] == [name for name, _ in their_log]
    for (_, a), (_, b) in zip(mine_log, their_log, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


# =======================================================================================
# unusual but legal
def test_tensor_hook_is_called_with_none_when_its_gradient_was_dropped():
    # As PyTorch: the node hook drops b's gradient; b's hook still runs, with None,
    # and b's .grad stays None (no post-accumulate hook either).
    a = vec(1.0)
    b = vec(2.0)
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: (gi[0], None))
    seen, post = [], []
    b.register_hook(lambda g: seen.append(g))
    b.register_post_accumulate_grad_hook(lambda t: post.append(1))
    c.sum().backward()
    assert seen == [None] and post == []
    assert b.grad is None
    close(a.grad, [2.0])


def test_hook_may_supply_a_gradient_where_there_was_none():
    a = vec(1.0)
    b = vec(2.0)
    c = a * b
    c.grad_fn.register_hook(lambda gi, go: (gi[0], None))
    b.register_hook(lambda g: al.tensor([7.0]) if g is None else g)
    c.sum().backward()
    close(b.grad, [7.0])


def test_reentrant_backward_inside_a_hook():
    x = al.tensor(2.0, requires_grad=True)

    def hook(g):
        assert not al.is_grad_enabled()  # hooks run in the backward's grad mode
        with al.enable_grad():
            w = al.tensor(3.0, requires_grad=True)
            (gw,) = al.autograd.grad(w * w, w)  # 6
        assert not al.is_grad_enabled()
        return g * gw

    x.register_hook(hook)
    (x * x).backward()  # 2x * 6 = 24
    close(x.grad, 24.0)
    assert al.is_grad_enabled()


def test_error_in_a_hook_propagates_and_restores_grad_mode():
    x = vec(1.0)

    def bad(g):
        raise ValueError("hook failed")

    x.register_hook(bad)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 2.0).sum().backward(create_graph=True)
    assert al.is_grad_enabled()
    assert x.grad is None


def test_a_node_post_hook_sees_one_gradient_per_edge_as_pytorch():
    """``x * 2`` has two edges (the number's is None): the hook gets (grad, None)."""
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_inputs))
    y.sum().backward()
    (grads,) = seen
    assert len(grads) == len(y.grad_fn.next_functions) == 2
    assert grads[0].tolist() == [2.0, 2.0] and grads[1] is None
    assert x.grad.tolist() == [2.0, 2.0]
