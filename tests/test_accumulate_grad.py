"""A leaf's first gradient: kept as ``.grad`` when the engine owns it, copied otherwise.

Note [Owned gradients] in autograd/engine.py states the rule. The ``decisions`` fixture
records the ``owned`` flag each ``AccumulateGrad.accumulate`` call receives, so each test
reads as one line of the rule; the first test checks that a kept gradient really is the
array the formula made, and every copy case checks that ``.grad`` aliases nothing the
user (or another leaf) can change. Every test runs with the fast paths and with the
definitions only (``formula_setting``): owning happens only with the fast paths.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._tensor import Tensor
from autograd_lab.autograd.function import attach
from autograd_lab.autograd.graph import AccumulateGrad, Node

pytestmark = pytest.mark.usefixtures("formula_setting")


def _leaf(*shape):
    data = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7 + 0.5
    return al.tensor(data, requires_grad=True)


@pytest.fixture
def decisions(monkeypatch):
    """The ``owned`` flag of every accumulation, in order."""
    flags, accumulate = [], AccumulateGrad.accumulate

    def recording(self, grad, owned):
        flags.append(owned)
        return accumulate(self, grad, owned)

    monkeypatch.setattr(AccumulateGrad, "accumulate", recording)
    return flags


@pytest.fixture
def fast(formula_setting) -> bool:
    return formula_setting == "fast"


def _record_results(monkeypatch, node) -> list:
    """Every gradient tuple the kind of ``node`` returns, by either road the engine takes."""
    made, cls = [], type(node)
    for name in ("apply", "_apply_arrays"):
        original = getattr(cls, name)

        def recording(self, grad_outputs, *args, _original=original, **kwargs):
            result = _original(self, grad_outputs, *args, **kwargs)
            made.append(result)
            return result

        monkeypatch.setattr(cls, name, recording)
    return made


# ---------------------------------------------------------------------------------------
# owned: kept without a copy
def test_a_gradient_mm_made_becomes_grad_itself(monkeypatch, decisions, fast):
    x, w = al.tensor(np.ones((2, 3))), _leaf(3, 4)
    out = x @ w
    made = _record_results(monkeypatch, out.grad_fn)
    out.sum().backward()
    mm_result = made[-1]  # (an inner call, if any, returned the same)
    assert decisions == [fast]
    if fast:  # the very array MmBackward0's formula made
        assert w.grad._data is mm_result[1]._data
    else:
        assert not np.shares_memory(w.grad._data, mm_result[1]._data)
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 2.0))  # x^T 1
    assert w.grad._data.flags.writeable and w.grad._data.base is None


def test_the_engines_sum_where_paths_meet_is_owned(decisions, fast):
    w = _leaf(3)
    (w + w).sum().backward()  # AddBackward0 passes one gradient on twice: neither is fresh
    assert decisions == [fast]  # but their sum is
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_kept_first_gradient_accumulates_correctly():
    x, w = al.tensor(np.ones((2, 3))), _leaf(3, 4)
    (x @ w).sum().backward()
    first = w.grad
    (x @ w).sum().backward()
    assert w.grad is first  # later gradients are added in place
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 4), 4.0))


# ---------------------------------------------------------------------------------------
# the rule on hand-made nodes, apart from any op
class _Made(Node):
    """A node that promises fresh results, and returns what ``make(grad)`` gives."""

    _fresh_grad_inputs = True

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def apply(self, grad_outputs):
        return self.make(grad_outputs[0])


def _through(make, *inputs, promise=True):
    node = _Made(make)
    if not promise:
        node._fresh_grad_inputs = False
    out = Tensor(np.zeros(inputs[0].shape))
    attach(node, inputs, [out])
    return out


def test_a_fresh_result_of_a_node_that_promises_fresh_results_is_owned(decisions, fast):
    x = _leaf(3)
    made = []
    _through(lambda g: made.append(Tensor(g._data * 2)) or (made[0],), x).sum().backward()
    assert decisions == [fast]
    assert (x.grad._data is made[0]._data) == fast


def test_without_the_promise_the_same_result_is_copied(decisions):
    x = _leaf(3)
    made = []
    out = _through(lambda g: made.append(Tensor(g._data * 2)) or (made[0],), x, promise=False)
    out.sum().backward()
    assert decisions == [False]
    assert not np.shares_memory(x.grad._data, made[0]._data)


def test_one_array_sent_along_two_edges_is_copied_for_both(decisions):
    x, y = _leaf(3), _leaf(3)
    _through(lambda g: (Tensor(g._data * 2),) * 2, x, y).sum().backward()
    assert decisions == [False, False]
    assert not np.shares_memory(x.grad._data, y.grad._data)


def test_a_view_is_copied(decisions):
    x = _leaf(3)
    _through(lambda g: (Tensor((g._data * 2)[::-1]),), x).sum().backward()
    assert decisions == [False]
    assert x.grad._data.base is None


def test_a_gradient_the_producer_was_given_is_copied(decisions):
    x = _leaf(3)
    seed = al.tensor([1.0, 2.0, 3.0], dtype=al.float64)
    _through(lambda g: (g,), x).backward(seed)
    assert decisions == [False]
    seed.mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------------------
# copied: each holder keeps what it was given
def test_the_callers_gradient_argument_is_copied(decisions):
    x = _leaf(3)
    g = al.tensor([1.0, 2.0, 3.0], dtype=al.float64)
    x.backward(g)  # GraphRoot hands the caller's tensor straight to x
    assert decisions == [False]
    g.mul_(10)  # the caller changes its own tensor afterwards
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_the_callers_gradient_passed_on_by_an_op_is_copied(decisions):
    x = _leaf(3)
    g = al.tensor([1.0, 2.0, 3.0], dtype=al.float64)
    (x + 2).backward(g)  # AddBackward0 passes its gradient on as it came
    assert decisions == [False]
    g.mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_gradient_a_hook_kept_is_copied(decisions):
    x = _leaf(3)
    kept = []
    x.register_hook(kept.append)
    (x * 3).sum().backward()
    assert decisions == [False]
    kept[0].mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    (x * 3).sum().backward()  # accumulating into .grad leaves the kept one alone
    np.testing.assert_array_equal(kept[0].numpy(), [30.0, 30.0, 30.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0, 6.0])


def test_a_gradient_node_hooks_saw_is_copied(decisions):
    kept = []
    x = _leaf(3)
    y = x * 3
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: kept.append(grad_inputs[0]))
    y.sum().backward()  # a post-hook of the producer
    acc = y.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda grad_outputs: kept.append(grad_outputs[0]))
    x.grad = None
    (x * 3).sum().backward()  # a pre-hook of the AccumulateGrad
    acc.register_hook(lambda grad_inputs, grad_outputs: kept.append(grad_outputs[0]))
    x.grad = None
    (x * 3).sum().backward()  # a post-hook of the AccumulateGrad
    assert decisions == [False, False, False]
    for g in kept:
        assert not np.shares_memory(g._data, x.grad._data)
        np.testing.assert_array_equal(g.numpy(), [3.0, 3.0, 3.0])


def test_two_leaves_fed_the_same_gradient_get_their_own_memory(decisions, fast):
    x, y = _leaf(3), _leaf(3)
    ((x * 2) + (y * 2)).backward(al.tensor([1.0, 2.0, 3.0], dtype=al.float64))
    assert decisions == [fast, fast]  # each MulBackward0 made its own
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    decisions.clear()
    x, y = _leaf(3), _leaf(3)
    (x + y).sum().backward()  # one broadcast gradient, handed to both
    assert decisions == [False, False]
    x.grad.add_(1)
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0, 1.0])


def test_a_gradient_shown_by_backward_steps_is_copied(decisions):
    x = _leaf(3)
    steps = list(al.autograd.backward_steps((x * 2).sum()))
    assert decisions == [False]
    x.grad.add_(1)
    shown = [s for s in steps if type(s.node) is AccumulateGrad][0]
    np.testing.assert_array_equal(shown.grad_outputs[0].numpy(), [2.0, 2.0, 2.0])


def test_a_gradient_captured_by_inputs_is_copied(decisions):
    x = _leaf(3)
    (x * 2).sum().backward(inputs=[x])
    assert decisions == [False]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_under_create_graph_grad_is_a_recorded_clone(decisions):
    x = _leaf(3)
    (x * x).sum().backward(create_graph=True)
    assert decisions == [False]
    assert x.grad.requires_grad  # d(x^2) = 2x, itself differentiable
    np.testing.assert_allclose(x.grad.detach().numpy(), 2 * x.detach().numpy())


def test_a_read_only_broadcast_is_copied_into_writable_memory(decisions):
    b = _leaf(4)
    b.sum().backward()  # SumBackward0 gives a read-only broadcast of its gradient
    assert decisions == [False]
    assert b.grad._data.flags.writeable and b.grad._data.base is None
    b.grad.add_(1)  # would fail on a read-only broadcast view
    np.testing.assert_array_equal(b.grad.numpy(), [2.0] * 4)
    c = _leaf(4)
    (al.ones(2, 4, dtype=al.float64) + c).sum().backward()  # summed back to c's shape
    assert c.grad._data.flags.writeable and c.grad._data.base is None
    c.grad.add_(1)
    np.testing.assert_array_equal(c.grad.numpy(), [3.0] * 4)


class _Keeps(al.autograd.Function):
    """Doubles its input; its backward returns a tensor it keeps (and may change later)."""

    kept = None

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        _Keeps.kept = grad * 2
        return _Keeps.kept


def test_a_user_functions_result_is_copied(decisions):
    x = _leaf(3)
    _Keeps.apply(x).sum().backward()
    assert decisions == [False]  # a user Function promises nothing about its results
    _Keeps.kept.mul_(10)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
