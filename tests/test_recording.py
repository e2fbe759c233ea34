"""``al.autograd.record_ops`` and ``register_op_hook``: every op application reports an OpRecord.

A stepper reads the records of depth 0 (the op, its inputs, the node it made); a tracer
takes the ops a Function's forward ran and replays each row's ``spec``. These tests pin
both uses down: the sequence a small program records, the very tensors in each record,
and a replay of the records on new inputs that gives what running the program gives.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops._table import OpSpec
from autograd_lab.autograd import OpRecord, record_ops, recording, register_op_hook
from autograd_lab.library import custom_op
from autograd_lab.library.dispatch import run_bound

_counter = itertools.count()


class Cube(al.autograd.Function):
    """x ** 3 as two ops in forward (x * x, then * x), its own backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        square = x * x
        return square * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


@pytest.fixture
def npsin():
    """A custom op whose kernel is NumPy (``test_recording_<n>::npsin``), with a backward."""
    ns = f"test_recording_{next(_counter)}"

    @custom_op(f"{ns}::npsin", mutates_args=())
    def op(x: al.Tensor) -> al.Tensor:
        return al.tensor(np.sin(x.numpy()))

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()

    op.register_autograd(backward, setup_context=setup_context)
    yield op
    op._destroy()
    if hasattr(al.ops, ns):
        delattr(al.ops, ns)


def program(x, w, npsin):
    """The program under test: a chain, a view, an in-place op on it, a Function, a custom op."""
    p = x * w
    y = p.sum()
    z = y.exp()
    b = x * 2.0
    v = b[1:]
    v.mul_(3.0)
    f = Cube.apply(x)
    c = npsin(x)
    return {"p": p, "y": y, "z": z, "b": b, "v": v, "f": f, "c": c}


def _inputs():
    x = al.tensor([0.5, 1.0, 1.5], requires_grad=True)
    w = al.tensor([2.0, -1.0, 0.25])
    return x, w


EXPECTED = [  # (name, kind, depth)
    ("mul", "op", 0),
    ("sum", "op", 0),
    ("exp", "op", 0),
    ("mul_scalar", "op", 0),
    ("slice", "view", 0),
    ("mul_scalar", "inplace", 0),
    ("mul", "op", 1),                # Cube's forward: x * x
    ("mul", "op", 1),                # ... * x
    ("Function:Cube", "function", 0),
]


def test_program_records_the_expected_sequence(npsin):
    x, w = _inputs()
    with record_ops() as records:
        out = program(x, w, npsin)
    names = [(r.name, r.kind, r.depth) for r in records]
    assert names[:len(EXPECTED)] == EXPECTED
    # the custom op: its kernel runs in the Function that register_autograd made, one level
    # down, and the op itself is one record of kind "custom_op" at depth 0, last
    gen, op = records[-2], records[-1]
    assert (gen.kind, gen.depth) == ("function", 1)
    assert gen.name.startswith("Function:GeneratedBackwardFor_test_recording_")
    assert (op.kind, op.depth) == ("custom_op", 0)
    assert op.name == npsin._opdef.qualname and op.name.endswith("::npsin")
    assert op.spec is npsin._opdef and op.attrs == (x,)
    assert len(records) == len(EXPECTED) + 2
    assert [r.index for r in records] == list(range(len(records)))
    assert all(isinstance(r, OpRecord) for r in records)

    mul, total, exp, scaled, view, inplace, sq, cube, fn = records[:len(EXPECTED)]
    # inputs are the very tensors passed; outputs the results; node the result's grad_fn
    assert mul.inputs[0] is x and mul.inputs[1] is w and len(mul.inputs) == 2
    assert mul.outputs == (out["p"],) and mul.outputs[0] is out["p"]
    assert mul.node is out["p"].grad_fn and mul.node.name() == "MulBackward0"
    assert total.inputs[0] is out["p"] and total.outputs[0] is out["y"]
    assert total.node is out["y"].grad_fn
    assert exp.inputs[0] is out["y"] and exp.outputs[0] is out["z"] and exp.node is out["z"].grad_fn
    assert scaled.attrs == (2.0,) and scaled.outputs[0] is out["b"]
    # the view: its node was b's grad_fn's consumer; the in-place change regenerated it since
    assert view.inputs[0] is out["b"] and view.outputs[0] is out["v"]
    assert view.node.name() == "SliceBackward0"
    assert view.node.next_functions[0][0] is scaled.node
    # in-place on a view: input and output are the view; node is the base's new CopySlices
    assert inplace.inputs[0] is out["v"] and inplace.outputs[0] is out["v"]
    assert inplace.attrs == (3.0,)
    assert inplace.node is out["b"].grad_fn and inplace.node.name() == "CopySlices"
    assert inplace.node.fn.name() == "MulBackward0"
    # the Function: its forward's ops one level down, made no node (forward runs in no_grad)
    assert sq.inputs[0] is x and sq.inputs[1] is x and sq.node is None
    assert cube.inputs == (sq.outputs[0], x) and cube.node is None
    assert fn.inputs[0] is x and fn.outputs[0] is out["f"] and fn.node is out["f"].grad_fn
    assert fn.node.name() == "CubeBackward" and fn.spec is Cube
    assert fn.attrs == fn.inputs  # every argument, in order: fn.spec.apply(*fn.attrs) again
    assert fn.outputs[0] is cube.outputs[0]  # what a tracer follows through the Function
    assert op.inputs[0] is x and op.outputs[0] is out["c"] and op.node is out["c"].grad_fn
    assert gen.node is op.node
    # built-in ops carry their row
    for r in (mul, total, exp, scaled, view, inplace, sq, cube):
        assert isinstance(r.spec, OpSpec) and r.spec.name == r.name


def test_no_grad_ops_are_recorded_with_node_none():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    plain = al.tensor([3.0, 4.0])
    with record_ops() as records:
        with al.no_grad():
            a = x * 2.0
            a.add_(1.0)
        b = plain.exp()          # no input requires grad: no node either
        c = x.exp()
    assert [(r.name, r.kind) for r in records] == [
        ("mul_scalar", "op"), ("add_scalar", "inplace"), ("exp", "op"), ("exp", "op")]
    assert [r.node for r in records[:3]] == [None, None, None]
    assert records[0].outputs[0] is a and records[1].outputs[0] is a and records[2].outputs[0] is b
    assert records[3].node is c.grad_fn is not None


def test_record_ops_nest_and_stop_at_exit():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    assert not recording._active  # nothing listens: ops pay one test of this global
    with record_ops() as outer:
        a = x.sin()
        with record_ops() as inner:
            b = a.cos()
        c = b.tanh()
        assert recording._active
    assert not recording._active
    d = c.exp()  # after the block: recorded nowhere
    assert [r.name for r in outer] == ["sin", "cos", "tanh"]
    assert [r.name for r in inner] == ["cos"]
    assert [r.index for r in outer] == [0, 1, 2] and inner[0].index == 0  # per recording
    assert inner[0].outputs[0] is b and outer[1].outputs[0] is b
    assert len(outer) == 3 and len(inner) == 1 and d.grad_fn.name() == "ExpBackward0"


def test_op_hook_sees_every_op_until_removed():
    seen = []
    x = al.tensor([1.0, 2.0], requires_grad=True)
    handle = register_op_hook(seen.append)
    assert recording._active
    y = x * x
    handle.remove()
    assert not recording._active
    y.sum()
    assert [r.name for r in seen] == ["mul"]
    assert seen[0].outputs[0] is y and seen[0].node is y.grad_fn
    handle.remove()  # twice is fine
    with register_op_hook(seen.append):  # the handle is a context manager too
        x.exp()
    assert [r.name for r in seen] == ["mul", "exp"] and not recording._active
    with pytest.raises(TypeError, match="callable"):
        register_op_hook(42)


def test_ops_a_hook_runs_are_not_recorded():
    def hook(record):
        record.outputs[0].sum()  # an op inside the hook: not recorded, no recursion

    x = al.tensor([1.0, 2.0])
    with register_op_hook(hook), record_ops() as records:
        x.exp()
    assert [r.name for r in records] == ["exp"]


def test_regenerating_a_view_is_not_recorded():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1.0
    u = b[:2]
    with record_ops() as records:
        b.add_(1.0)     # u's history is stale now
        s = u * 2.0     # regenerates u's grad_fn (a slice replayed): bookkeeping only
    assert [(r.name, r.kind) for r in records] == [("add_scalar", "inplace"),
                                                   ("mul_scalar", "op")]
    assert records[0].node is b.grad_fn and records[1].node is s.grad_fn


def test_records_in_another_thread_are_not_mine():
    x = al.tensor([1.0, 2.0])
    theirs = []

    def work():
        with record_ops() as records:
            x.exp()
        theirs.extend(records)

    with record_ops() as mine:
        t = threading.Thread(target=work)
        t.start()
        t.join()
        x.sin()
    assert [r.name for r in mine] == ["sin"] and [r.name for r in theirs] == ["exp"]


def test_more_kinds_of_op():
    x = al.tensor([[3.0, 1.0], [2.0, 5.0]], requires_grad=True)
    with record_ops() as records:
        rows = x.unbind(0)          # one node, two outputs, views
        d = x.detach()              # a view outside the graph
        mask = x > 2.0              # no row, no gradient
        values, indices = x.max(1)  # values from a row, indices without one
        top = x.topk(1)
    kinds = [(r.name, r.kind, len(r.outputs)) for r in records]
    assert kinds == [("unbind", "view", 2), ("detach", "view", 1), ("gt", "op", 1),
                     ("max_dim", "op", 1), ("argmax", "op", 1),
                     ("take_along_dim", "op", 1), ("topk.indices", "op", 1)]
    unbind, detach, gt, mx, argmax, take, topk_idx = records
    assert unbind.outputs == tuple(rows) and unbind.node is rows[0].grad_fn is rows[1].grad_fn
    assert detach.outputs[0] is d and detach.node is None
    assert gt.inputs == (x,) and gt.attrs == (2.0,) and gt.outputs[0] is mask and gt.node is None
    assert gt.spec is None
    assert mx.outputs[0] is values and argmax.outputs[0] is indices and argmax.attrs == (1, False)
    assert take.outputs[0] is top.values and topk_idx.outputs[0] is top.indices


def test_function_that_modifies_a_view_records_the_base_copyslices():
    class Double(al.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.mark_dirty(v)
            return v.mul_(2.0)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1.0
    v = b[1:]
    with record_ops() as records:
        out = Double.apply(v)
    inner, fn = records
    assert (inner.name, inner.kind, inner.depth, inner.node) == ("mul_scalar", "inplace", 1, None)
    assert (fn.name, fn.kind, fn.depth) == ("Function:Double", "function", 0)
    assert fn.outputs[0] is out and fn.node is b.grad_fn and fn.node.name() == "CopySlices"


# -- replay: what a tracer does with the records ---------------------------------------------
def _replay(records, env, made=None):
    """Run the program again from ``records``: each op on the values in ``env`` (keyed by
    tensor id), taking the ops a Function's forward ran in place of the Function, and
    calling a custom op again through its OpDef. Returns env; ``made`` (a dict) gets
    each record's output values by index."""
    for r in records:
        if r.kind == "function":
            continue  # its forward's ops (depth + 1) are in the records
        if r.depth > 0 and r.kind != "op":
            raise AssertionError(f"unexpected nested record {r}")
        arrays = [env.get(id(t), t._data) for t in r.inputs]
        if r.kind == "custom_op":
            args = [al.tensor(env[id(v)]) if isinstance(v, al.Tensor) else v for v in r.attrs]
            result = run_bound(r.spec, args)
            outs = [result._data]
        else:
            out = r.spec.forward(*arrays, *r.attrs)
            outs = list(out) if isinstance(out, tuple) else [out]
        for t, value in zip(r.outputs, outs, strict=True):
            env[id(t)] = np.asarray(value)  # an in-place op: inputs[0] now has this value
        if made is not None:
            made[r.index] = [np.asarray(value) for value in outs]
    return env


def test_replaying_the_rows_gives_each_output(npsin):
    """Each depth-0 built-in record's spec, run on its inputs' arrays (as they were
    then), gives its output."""
    x, w = _inputs()
    then = {}  # each record's output values at the time it was made

    def snapshot(r):
        then[r.index] = [o._data.copy() for o in r.outputs]

    with register_op_hook(snapshot), record_ops() as records:
        out = program(x, w, npsin)
    made = {}
    env = _replay(records, {id(x): x._data.copy(), id(w): w._data.copy()}, made)
    checked = 0
    for r in records:
        if r.depth == 0 and isinstance(r.spec, OpSpec):
            np.testing.assert_allclose(made[r.index][0], then[r.index][0], err_msg=r.name)
            checked += 1
    assert checked == 6
    for name in ("z", "v", "f", "c"):
        np.testing.assert_allclose(env[id(out[name])], out[name]._data, err_msg=name)


def test_replay_on_new_inputs_matches_running_the_program(npsin):
    x, w = _inputs()
    with record_ops() as records:
        out = program(x, w, npsin)
    x2 = al.tensor([-1.0, 0.25, 2.0], requires_grad=True)
    w2 = al.tensor([1.5, 3.0, -2.0])
    env = _replay(records, {id(x): x2._data.copy(), id(w): w2._data.copy()})
    fresh = program(x2, w2, npsin)
    for name in ("z", "v", "f", "c"):
        np.testing.assert_allclose(env[id(out[name])], fresh[name]._data, err_msg=name)
        assert not np.allclose(out[name]._data, fresh[name]._data)  # the inputs mattered
