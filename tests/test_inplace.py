"""In-place ops and views: versions, shared memory, the errors, and rebased histories.

What PyTorch guarantees and we check here:

- every in-place op bumps the version counter by exactly one, and a base and all its views
  share that counter;
- a view shares memory with its (root) ``_base``: writes through either are seen by both;
- in-place on a leaf that requires grad (or a view of one) raises, except under no_grad;
- a tensor saved for backward and modified afterwards makes backward raise;
- in-place on a non-leaf, or on a view of one, rebases history so that gradients stay right
  (checked by hand, against finite differences, and by a hypothesis test that compares
  random view + in-place programs with the same maths written out of place).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arr, check_gradgrad, check_vjp, close, rand64
from hypothesis import event, given, settings
from hypothesis import strategies as st

import autograd_lab as al
from autograd_lab._ops.inplace import UNARY_INPLACE
from autograd_lab.autograd.function import attach
from autograd_lab.autograd.graph import Node
from autograd_lab.autograd.inplace import rebase_history


def f64(values, requires_grad=False):
    return al.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def grads_of(loss, *inputs):
    loss.backward()
    return [arr(t.grad) for t in inputs]


# ----------------------------------------------------------------------------- versions
# Every in-place spelling, as (id, call). Values stay in (0.2, 0.8) so that every op is
# defined (log, sqrt, asin ...); ``other`` has the shape of the tensor modified.
def _other(t):
    return al.full(t.shape, 0.5, dtype=t.dtype)


INPLACE_CALLS = [
    ("add_scalar", lambda t: t.add_(1.0)), ("add_tensor", lambda t: t.add_(_other(t))),
    ("add_alpha", lambda t: t.add_(_other(t), alpha=2)), ("sub_", lambda t: t.sub_(0.1)),
    ("mul_", lambda t: t.mul_(_other(t))), ("div_", lambda t: t.div_(2.0)),
    ("pow_scalar", lambda t: t.pow_(2)), ("pow_tensor", lambda t: t.pow_(_other(t))),
    ("neg_", lambda t: t.neg_()), ("clamp_", lambda t: t.clamp_(0.3, 0.6)),
    ("clamp_min_tensor", lambda t: t.clamp_(min=_other(t))), ("clip_", lambda t: t.clip_(max=0.4)),
    ("zero_", lambda t: t.zero_()), ("fill_", lambda t: t.fill_(3.0)),
    ("fill_tensor", lambda t: t.fill_(f64(2.0))), ("copy_", lambda t: t.copy_(_other(t))),
    ("iadd", lambda t: t.__iadd__(1.0)), ("isub", lambda t: t.__isub__(_other(t))),
    ("imul", lambda t: t.__imul__(3.0)), ("itruediv", lambda t: t.__itruediv__(2.0)),
    ("ipow", lambda t: t.__ipow__(2.0)),
    ("setitem_basic", lambda t: t.__setitem__(..., 1.0)),
    ("setitem_advanced", lambda t: t.__setitem__(t > 0.5, 0.0)),
    *[(name, lambda t, name=name: getattr(t, name)()) for name in sorted(UNARY_INPLACE)],
]


@pytest.mark.parametrize("call", [c for _, c in INPLACE_CALLS], ids=[i for i, _ in INPLACE_CALLS])
def test_each_inplace_op_bumps_the_shared_version_by_one(call):
    base = f64(np.linspace(0.2, 0.8, 8).reshape(2, 4))
    view = base[1]
    view_of_view = view[1:3]
    out = call(view)
    assert out is view or out is None  # in-place ops return their tensor (setitem: None)
    assert base._version == view._version == view_of_view._version == 1
    call(base)
    assert base._version == view._version == view_of_view._version == 2


@pytest.mark.parametrize("call", [c for _, c in INPLACE_CALLS], ids=[i for i, _ in INPLACE_CALLS])
def test_each_inplace_op_bumps_once_when_recorded_too(call):
    a = f64(np.linspace(0.2, 0.8, 8).reshape(2, 4), requires_grad=True)
    x = a.clone()
    call(x[0])
    assert x._version == 1 and x.grad_fn.name() == "CopySlices"
    y = a * 1.0
    call(y)
    assert y._version == 1 and y.grad_fn is not None


@pytest.mark.parametrize("name", sorted(UNARY_INPLACE))
def test_unary_inplace_matches_the_out_of_place_op(name):
    a = rand64(5, low=0.2, high=0.8)
    seed = f64(np.arange(1.0, 6.0))
    x = a.clone()
    getattr(x, name)()
    (x * seed).sum().backward()
    grad_inplace = arr(a.grad)
    a.grad = None
    expected = getattr(al, name[:-1])(a)
    (expected * seed).sum().backward()
    close(x.detach(), arr(expected))
    close(a.grad, grad_inplace)
    assert x.grad_fn.name() == expected.grad_fn.name()


def test_augmented_assignment_on_a_slice_bumps_twice_as_in_pytorch():
    # Python runs x[1:3] *= 2 as: v = x[1:3]; v *= 2 (one bump); x[1:3] = v (another)
    x = al.zeros(4)
    x[1:3] *= 2
    assert x._version == 2


def test_version_counter_is_lazy_and_starts_at_zero():
    t = al.ones(3)
    assert t._version == 0 and t[1:]._version == 0


# ----------------------------------------------------------------------------- views
VIEW_OPS = [
    ("slice", lambda t: t[1:3]), ("select", lambda t: t[1]), ("select_0d", lambda t: t[1, 2]),
    ("step", lambda t: t[:, ::2]), ("ellipsis", lambda t: t[..., 1]), ("none", lambda t: t[None]),
    ("transpose", lambda t: t.transpose(0, 1)), ("permute", lambda t: t.permute(1, 0)),
    ("t", lambda t: t.t()), ("T", lambda t: t.T), ("mT", lambda t: t.mT),
    ("view", lambda t: t.view(12)), ("reshape", lambda t: t.reshape(2, 6)),
    ("flatten", lambda t: t.flatten()), ("unsqueeze", lambda t: t.unsqueeze(1)),
    ("squeeze", lambda t: t[1:2].squeeze(0)), ("expand_no_repeat", lambda t: t.expand(1, 4, 3)),
    ("view_of_view", lambda t: t.t()[1:, 2:]),
]


@pytest.mark.parametrize("make", [m for _, m in VIEW_OPS], ids=[i for i, _ in VIEW_OPS])
def test_views_share_memory_and_point_at_the_root_base(make):
    base = al.arange(1.0, 13.0).reshape(4, 3).clone()  # clone: the root is not itself a view
    view = make(base)
    assert view._base is base and view.is_view() and not base.is_view()
    view.mul_(-1.0)  # a write through the view ...
    assert (base.numpy() < 0).sum() == view.numel()  # ... is seen by the base
    base.fill_(7.0)  # and a write to the base is seen by the view
    assert (view.numpy() == 7.0).all()
    assert base._version == view._version == 2


def test_a_view_of_a_view_has_the_root_as_base():
    x = al.zeros(4, 3)
    v = x[1:3]
    w = v.t()[0]
    assert v._base is x and w._base is x


def test_reshape_copies_when_memory_does_not_allow_a_view():
    x = al.zeros(3, 4)
    assert x.reshape(12).is_view()
    y = x.t().reshape(12)  # the transpose is not contiguous: reshape has to copy
    assert not y.is_view() and y._base is None
    y.add_(1.0)
    assert x.sum().item() == 0.0


def test_detach_shares_memory_and_version_but_is_not_a_view():
    # As PyTorch: detach()._base is None, but memory and the version counter are shared.
    a = f64([1.0, 2.0], requires_grad=True)
    d = a.detach()
    assert d._base is None and not d.requires_grad
    d.add_(1.0)
    assert a.tolist() == [2.0, 3.0] and a._version == 1


def test_data_shares_memory_but_not_the_version_counter():
    a = f64([1.0, 2.0], requires_grad=True)
    y = a.tanh()  # saves its result
    a.data.add_(1.0)  # bypasses tracking: no version bump, so no error later
    assert a._version == 0 and a.tolist() == [2.0, 3.0]
    y.sum().backward()  # as in PyTorch, the change is invisible to autograd


def test_writing_through_a_slice_of_an_expanded_tensor_reaches_its_base():
    x = al.zeros(3)
    row = x.expand(2, 3)[0]  # one row of the expansion repeats nothing: it may be written
    row.add_(1.0)
    assert x.tolist() == [1.0, 1.0, 1.0]


# ----------------------------------------------------------------------------- errors
LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF = ("a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")


@pytest.mark.parametrize("modify", [
    lambda a: a.add_(1.0), lambda a: a.mul_(a), lambda a: a.exp_(), lambda a: a.zero_(),
    lambda a: a.copy_(f64([1.0, 2.0, 3.0])), lambda a: a.__iadd__(1.0),
    lambda a: a.__setitem__([0, 1], 0.0),
], ids=["add_", "mul_", "exp_", "zero_", "copy_", "iadd", "setitem_advanced"])
def test_inplace_on_a_leaf_that_requires_grad_raises(modify):
    a = f64([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF):
        modify(a)
    assert a._version == 0 and a.tolist() == [1.0, 2.0, 3.0]  # nothing was written


@pytest.mark.parametrize("modify", [
    lambda a: a[1:].mul_(2.0), lambda a: a[0].zero_(), lambda a: a.__setitem__(0, 5.0),
    lambda a: a.__setitem__(slice(None), 5.0), lambda a: a.view(3, 1)[0].add_(1.0),
], ids=["slice_mul_", "select_zero_", "setitem_int", "setitem_slice", "view_select"])
def test_inplace_on_a_view_of_such_a_leaf_raises(modify):
    a = f64([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=VIEW_OF_LEAF):
        modify(a)
    assert a.tolist() == [1.0, 2.0, 3.0]


def test_under_no_grad_leaves_and_their_views_may_be_modified():
    """How optimizers update parameters."""
    p = f64([1.0, 2.0, 3.0], requires_grad=True)
    (p * p).sum().backward()
    with al.no_grad():
        p.sub_(0.25 * p.grad)  # [0.5, 1.0, 1.5]
        p[0] = 10.0
        p[1:].mul_(2.0)
    assert p.tolist() == [10.0, 2.0, 3.0]
    assert p.is_leaf and p.requires_grad and p.grad_fn is None and p._version == 3
    p.grad = None
    (p * p).sum().backward()  # and the parameter trains on
    close(p.grad, [20.0, 4.0, 6.0])


def test_inplace_on_an_expanded_tensor_raises():
    x = al.zeros(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers "
                                           "to a single memory location. Please clone()"):
        x.expand(2, 3).add_(1.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[None].expand(4, 3)[:, 0].mul_(2)
    x[None].expand(4, 3)[:, 0].zero_()  # fills may write an expanded tensor (as PyTorch)


def test_an_input_partly_overlapping_the_output_raises_as_in_pytorch():
    x = al.arange(5.0)
    with pytest.raises(RuntimeError, match="some elements of the input tensor and the "
                                           "written-to tensor refer to a single memory location"):
        x[1:].add_(x[:-1])
    with pytest.raises(RuntimeError, match="single memory location"):
        x[[1, 2]] = x[0:2]
    x.mul_(x)  # the very same memory is fine
    x[1:3] = x[1:3]
    assert x.tolist() == [0.0, 1.0, 4.0, 9.0, 16.0]


def test_inplace_on_read_only_memory_names_the_fix():
    a = np.ones(3)
    a.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only.*clone"):
        al.from_numpy(a).add_(1.0)


def test_inplace_result_must_fit_the_tensor():
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        al.zeros(3).add_(al.ones(2, 3))
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired "
                                           "output type int64"):
        al.tensor([1, 2]).add_(1.5)
    x = al.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x /= 2
    x += 3  # int into int is fine
    assert x.tolist() == [4, 5] and x.dtype == al.int64


def test_copy_fill_and_setitem_convert_to_the_tensors_dtype():
    x = al.tensor([1, 2, 3])
    x.copy_(al.tensor([1.7, 2.2, 3.9]))
    assert x.tolist() == [1, 2, 3] and x.dtype == al.int64
    x[0] = 9.9
    assert x.tolist() == [9, 2, 3]
    x.fill_(4.5)
    assert x.tolist() == [4, 4, 4]
    y = al.zeros(2)  # float32
    y.add_(f64([1.0, 2.0]))  # a float64 operand: computed, then stored as float32
    assert y.dtype == al.float32 and y.tolist() == [1.0, 2.0]


def test_an_int_tensor_stays_out_of_the_graph():
    w = f64([1.5, 2.5], requires_grad=True)
    x = al.zeros(2, dtype=al.int64)
    x.copy_(w)
    x[0] = w[1]
    assert x.tolist() == [2, 2] and not x.requires_grad and x.grad_fn is None


def test_fill_with_a_tensor_needs_a_0d_tensor():
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        al.zeros(3).fill_(al.ones(3))


def test_view_made_under_no_grad_may_not_be_modified_with_grad_mode_on():
    a = f64([1.0, 2.0, 3.0], requires_grad=True)
    with al.no_grad():
        v = a[:2]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being "
                                           "modified inplace with grad mode enabled"):
        v.mul_(2.0)
    c = a.clone()
    with al.no_grad():
        w = c[:2]
    c.mul_(2.0)  # the base changes with grad mode on: using the view is now ambiguous
    with pytest.raises(RuntimeError, match="its base or another view of its base has been "
                                           "modified inplace"):
        w * 2.0


def test_setitem_errors():
    x = al.zeros(2, 3)
    with pytest.raises(IndexError):
        x[5] = 1.0
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape \\[4\\] cannot "
                                           "be broadcast to indexing result of shape \\[2\\]"):
        x[[0, 1], 0] = al.ones(4)
    with pytest.raises(RuntimeError, match="must match"):
        x[0] = al.ones(4)
    x[0] = al.ones(1, 3)  # leading 1s are dropped, as PyTorch does
    assert x[0].tolist() == [1.0, 1.0, 1.0]


# ----------------------------------------------------------------------------- saved tensors
MODIFIED = ("one of the variables needed for gradient computation has been modified by an "
            "inplace operation")


def test_modified_saved_output_raises_with_shape_op_and_versions():
    x = f64([0.1, 0.2, 0.3], requires_grad=True)
    y = x.tanh()  # TanhBackward0 saves its output
    y.add_(1.0)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    text = str(info.value)
    assert MODIFIED in text
    assert "[float64 tensor of shape [3]], which is output 0 of TanhBackward0," in text
    assert "is at version 1; expected version 0 instead" in text
    assert "clone()" in text and "anomaly" in text


def test_modified_saved_input_raises():
    a = f64([1.0, 2.0], requires_grad=True)
    w = f64([3.0, 4.0], requires_grad=True)
    x = a.clone()
    y = x * w  # MulBackward0 saves x to compute w's gradient
    x[0] = 0.0  # through a view: the shared counter moves
    with pytest.raises(RuntimeError, match=MODIFIED + ".*is at version 1; expected version 0"):
        y.sum().backward()


def test_inplace_twice_on_a_result_saving_op_raises_as_in_pytorch():
    a = f64([0.1, 0.2], requires_grad=True)
    x = a.clone()
    x.exp_()
    x.exp_()  # the first ExpBackward0 saved x at version 1
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0, is at version 2; "
                                           "expected version 1"):
        x.sum().backward()


def test_an_op_whose_other_operand_is_itself_raises():
    a = f64([1.0, 2.0], requires_grad=True)
    x = a.clone()
    x.mul_(x)  # saves x (as other) and then overwrites it
    with pytest.raises(RuntimeError, match=MODIFIED):
        x.sum().backward()


def test_unsaved_tensors_may_be_modified():
    a = f64([1.0, 2.0], requires_grad=True)
    x = a.clone()
    y = x * 3.0  # a scalar factor: nothing saved
    x.add_(1.0)
    y.sum().backward()
    close(a.grad, [3.0, 3.0])


def test_detach_changes_are_caught():
    a = f64([0.5, 0.6], requires_grad=True)
    y = a.sin()  # saves a
    a.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


# ----------------------------------------------------------------------------- rebased history
def test_inplace_on_a_slice_of_a_clone():
    a = f64(np.arange(1.0, 6.0), requires_grad=True)
    x = a.clone()
    x[1:3] *= 2
    assert x.tolist() == [1.0, 4.0, 6.0, 4.0, 5.0]
    assert x.grad_fn.name() == "CopySlices"
    x.sum().backward()
    close(a.grad, [1.0, 2.0, 2.0, 1.0, 1.0])


def test_copyslices_graph_shape():
    a = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x = a.clone()
    clone_node = x.grad_fn
    v = x[1:3]
    v.mul_(2.0)
    assert x.grad_fn.name() == "CopySlices"
    assert x.grad_fn.next_functions == ((clone_node, 0), (None, 0))  # base's old history, 2.0
    assert v.grad_fn.name() == "SliceBackward0"  # regenerated from the new base
    assert v.grad_fn.next_functions == ((x.grad_fn, 0),)
    assert not v.is_leaf and v.requires_grad


def test_inplace_on_a_view_then_backward_through_base_or_view():
    a = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = f64(5.0, requires_grad=True)
    x = a.clone()
    v = x[1:3]
    v.mul_(w)
    (x * x).sum().backward(retain_graph=True)
    close(a.grad, [2.0, 2 * 25 * 2.0, 2 * 25 * 3.0, 8.0])  # d(x^2)/da with x = a * w inside
    close(w.grad, 2 * 5.0 * (4.0 + 9.0))
    a.grad = w.grad = None
    v.sum().backward()
    close(a.grad, [0.0, 5.0, 5.0, 0.0])
    close(w.grad, 5.0)


def test_two_overlapping_views_modified_in_turn():
    a = f64(np.arange(1.0, 6.0), requires_grad=True)
    x = a.clone()
    v1, v2 = x[0:3], x[2:5]
    v1.mul_(2.0)
    v2.mul_(3.0)  # element 2 is in both: doubled, then tripled
    assert x.tolist() == [2.0, 4.0, 18.0, 12.0, 15.0]
    c = f64([1.0, 10.0, 100.0, 1000.0, 10000.0])
    (x * c).sum().backward(retain_graph=True)
    close(a.grad, [2.0, 20.0, 600.0, 3000.0, 30000.0])
    a.grad = None
    v1.sum().backward()  # v1 went stale when v2 changed: its history is regenerated
    assert v1.tolist() == [2.0, 4.0, 18.0]
    close(a.grad, [2.0, 2.0, 6.0, 0.0, 0.0])


def test_views_of_views_and_columns():
    a = rand64(4, 3, seed=1)
    w = rand64(3, seed=2)

    def f(a, w):
        x = a * 1.0
        x[:, 1].add_(w[0] * 2.0)  # a column: not contiguous
        x.t()[2, 1:].mul_(w[1:3].sum())  # a view of a view
        x[1:3][0].sin_()  # another view of a view
        return x

    check_vjp(f, [a, w])
    check_gradgrad(f, [rand64(4, 3, seed=3), rand64(3, seed=4)])


def test_a_view_that_needs_the_bases_memory_layout():
    # y is a transposed copy (F-ordered, like PyTorch's preserve_format clone); y.t() is then
    # C-contiguous, so .view(6) works, and CopySlices must replay it on a gradient laid out
    # like y, not on a C-ordered one.
    a = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = a.t().clone()
    y.t().view(6).mul_(2.0)
    (y * al.arange(6.0, dtype=al.float64).reshape(3, 2)).sum().backward()
    close(a.grad, [[0.0, 4.0, 8.0], [2.0, 6.0, 10.0]])


def test_inplace_on_a_non_leaf_non_view():
    a = f64([0.1, 0.2, 0.3], requires_grad=True)
    y = a * 2.0
    y.add_(1.0)
    y.exp_()
    assert y.grad_fn.name() == "ExpBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].next_functions[0][0].name() == "MulBackward0"
    y.sum().backward()
    close(a.grad, 2.0 * np.exp(2.0 * np.array([0.1, 0.2, 0.3]) + 1.0))


@pytest.mark.parametrize("f", [
    lambda a, w: a.clone().mul_(w).add_(a).sin_().pow_(2),
    lambda a, w: a.clone().div_(w).clamp_(-0.5, 0.5).sigmoid_(),
    lambda a, w: a.clone().copy_(w * a).neg_().tanh_(),
    lambda a, w: a.clone().sub_(w, alpha=3).abs_().sqrt_(),
    lambda a, w: a.clone().add_(1.0).log_().pow_(w),
], ids=["mul_add_sin_pow", "div_clamp_sigmoid", "copy_neg_tanh", "sub_abs_sqrt", "add_log_pow"])
def test_chains_of_inplace_ops_against_finite_differences(f):
    a = rand64(5, low=0.2, high=0.9, seed=5)
    w = rand64(5, low=0.5, high=1.5, seed=6)
    check_vjp(f, [a, w])
    check_gradgrad(f, [rand64(5, low=0.2, high=0.9, seed=7), rand64(5, low=0.5, high=1.5, seed=8)])


def test_setitem_with_a_value_that_requires_grad():
    a = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = f64([10.0, 20.0], requires_grad=True)
    c = f64([1.0, 2.0, 3.0, 4.0])
    x = a.clone()
    x[1:3] = w
    assert x.grad_fn.name() == "CopySlices"
    assert x.grad_fn.next_functions[1][0].variable is w  # w's AccumulateGrad
    (x * c).sum().backward()
    close(a.grad, [1.0, 0.0, 0.0, 4.0])  # the overwritten elements get nothing
    close(w.grad, [2.0, 3.0])


def test_setitem_broadcast_value_and_advanced_indices():
    a = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    s = f64(7.0, requires_grad=True)
    w = f64([10.0, 20.0], requires_grad=True)
    c = f64([1.0, 2.0, 3.0, 4.0])
    x = a.clone()
    x[1:3] = s  # one value broadcast to two places
    x[[0, 3]] = w  # advanced: index_put_
    assert x.grad_fn.name() == "IndexPutBackward0"
    assert x.tolist() == [10.0, 7.0, 7.0, 20.0]
    (x * c).sum().backward()
    close(a.grad, [0.0, 0.0, 0.0, 0.0])
    close(s.grad, 5.0)
    close(w.grad, [1.0, 4.0])


def test_setitem_with_a_mask():
    a = f64([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x = a.clone()
    x[x < 0] = 0.0
    (x * x).sum().backward()
    close(a.grad, [0.0, 4.0, 0.0, 8.0])


def test_setitem_into_a_tensor_that_does_not_require_grad():
    w = f64([10.0, 20.0], requires_grad=True)
    z = al.zeros(4, dtype=al.float64)
    z[1:3] = w
    assert z.requires_grad and not z.is_leaf and z.grad_fn.name() == "CopySlices"
    (z * f64([1.0, 2.0, 3.0, 4.0])).sum().backward()
    close(w.grad, [2.0, 3.0])


def test_an_old_view_follows_its_base_into_the_graph():
    z = al.zeros(4, dtype=al.float64)
    v = z[:2]
    assert not v.requires_grad
    w = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    z.add_(w)  # z now has history, and so, through z, has v
    assert v.requires_grad and not v.is_leaf
    (v * 3.0).sum().backward()
    close(w.grad, [3.0, 3.0, 0.0, 0.0])


def test_retain_grad_follows_the_tensor_and_hooks_stay_with_the_old_value():
    a = f64([1.0, 2.0], requires_grad=True)
    y = a * 2.0
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.mul_(3.0)
    (y * y).sum().backward()
    close(y.grad, 2 * arr(y))  # the gradient of the current y
    assert seen == [[36.0, 72.0]]  # the hook saw the gradient of y before mul_
    close(a.grad, [72.0, 144.0])


def test_a_view_that_retains_grad_keeps_it_after_rebase():
    a = f64([1.0, 2.0, 3.0], requires_grad=True)
    x = a.clone()
    v = x[1:]
    v.retain_grad()
    v.mul_(2.0)
    (v * v).sum().backward()
    close(v.grad, 2 * arr(v))


def test_backward_twice_through_copyslices_needs_retain_graph():
    a = f64([1.0, 2.0], requires_grad=True)
    w = f64(3.0, requires_grad=True)
    x = a.clone()
    x[0:1].mul_(w)  # MulBackward0 inside CopySlices saves w and the old slice
    x.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        x.sum().backward()


def test_no_graph_when_nothing_requires_grad():
    x = al.ones(3)
    x.mul_(2.0)
    x[0] = 5.0
    assert x.grad_fn is None and not x.requires_grad and x.is_leaf


def test_grad_fn_of_an_inplace_op_under_no_grad_is_unchanged():
    a = f64([1.0, 2.0], requires_grad=True)
    y = a * 2.0
    node = y.grad_fn
    with al.no_grad():
        y.add_(1.0)
    assert y.grad_fn is node and y._version == 1


# ----------------------------------------------------------------------------- random programs
# A program is a list of steps; each picks a view of x (fresh, or one made by an earlier
# step) and an in-place op to apply to it. The same program also runs out of place: the
# state is a tensor B, and a step replaces the view's elements of B with op(view(B)).
VIEWS = [
    lambda t: t, lambda t: t[1:3], lambda t: t[:, 1], lambda t: t[2], lambda t: t.t(),
    lambda t: t.t()[1:], lambda t: t[1:, ::2], lambda t: t.view(12)[3:9],
    lambda t: t.unsqueeze(0)[0, 1:3], lambda t: t[1:3][1], lambda t: t.permute(1, 0)[:, 2],
    lambda t: t[..., 1:2].squeeze(1), lambda t: t.expand(1, 4, 3)[0, 0], lambda t: t[3, 2],
]

# (in-place form, out-of-place form, does the op's node save its result?)
W0 = 0.7  # value of the scalar leaf w used by some ops


def _rows_mask(t):
    m = np.zeros(t.shape)
    m[0] = 1.0
    return f64(m)


OPS = [
    (lambda v, w: v.add_(0.5), lambda t, w: t + 0.5, False),
    (lambda v, w: v.mul_(1.5), lambda t, w: t * 1.5, False),
    (lambda v, w: v.sub_(w), lambda t, w: t - w, False),
    (lambda v, w: v.mul_(w), lambda t, w: t * w, False),
    (lambda v, w: v.__iadd__(w), lambda t, w: t + w, False),
    (lambda v, w: v.neg_(), lambda t, w: -t, False),
    (lambda v, w: v.sin_(), lambda t, w: al.sin(t), False),
    (lambda v, w: v.pow_(2), lambda t, w: t ** 2, False),
    (lambda v, w: v.clamp_(-0.9, 0.9), lambda t, w: al.clamp(t, -0.9, 0.9), False),
    (lambda v, w: v.copy_(w), lambda t, w: t * 0.0 + w, False),
    (lambda v, w: v.fill_(0.3), lambda t, w: t * 0.0 + 0.3, False),
    (lambda v, w: v.zero_(), lambda t, w: t * 0.0, False),
    (lambda v, w: v.__setitem__(..., w), lambda t, w: t * 0.0 + w, False),
    (lambda v, w: v.__setitem__([0], w) if v.ndim else v.add_(w),
     lambda t, w: (t * (1.0 - _rows_mask(t)) + w * _rows_mask(t)) if t.ndim else t + w, False),
    (lambda v, w: v.tanh_(), lambda t, w: al.tanh(t), True),
    (lambda v, w: v.sigmoid_(), lambda t, w: al.sigmoid(t), True),
]


def _place(state, view, values):
    """``state`` with the elements that ``view`` selects replaced by ``values``, out of place."""
    positions = view(al.arange(12).reshape(4, 3)).numpy().reshape(-1)
    source = np.arange(12)
    source[positions] = 12 + np.arange(positions.size)
    flat = al.cat([state.reshape(12), values.reshape(-1)])
    return flat[al.tensor(source)].reshape(4, 3)


step_strategy = st.tuples(st.integers(0, len(VIEWS) - 1), st.integers(0, len(OPS) - 1),
                          st.integers(0, 5))


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step_strategy, min_size=1, max_size=6), seed=st.integers(0, 2**16),
       read_views=st.lists(st.integers(0, 5), max_size=3))
def test_random_view_and_inplace_programs_match_their_out_of_place_form(steps, seed, read_views):
    rng = np.random.default_rng(seed)
    a_np = rng.uniform(-1.0, 1.0, (4, 3))
    c = f64(rng.standard_normal((4, 3)))

    # in place: views of x (kept, so later steps may use a stale one), modified in place
    a, w = f64(a_np, requires_grad=True), f64(W0, requires_grad=True)
    x = a.clone()
    made = []  # (view index, view tensor)
    expect_error = saved_result = False
    for view_i, op_i, reuse in steps:
        if made and reuse < len(made):
            view_i, v = made[reuse]
        else:
            v = VIEWS[view_i](x)
            made.append((view_i, v))
        expect_error |= saved_result  # a later in-place change overwrites a saved result
        OPS[op_i][0](v, w)
        saved_result |= OPS[op_i][2]
    loss = (x * c).sum()
    for k in read_views:
        if k < len(made):
            loss = loss + (made[k][1] * 0.5).sum()

    # out of place: the same maths on a state tensor B
    a2, w2 = f64(a_np, requires_grad=True), f64(W0, requires_grad=True)
    state, used = a2 * 1.0, []
    for view_i, op_i, reuse in steps:
        if used and reuse < len(used):
            view_i = used[reuse]
        else:
            used.append(view_i)
        view = VIEWS[view_i]
        state = _place(state, view, OPS[op_i][1](view(state), w2))
    loss2 = (state * c).sum()
    for k in read_views:
        if k < len(used):
            loss2 = loss2 + (VIEWS[used[k]](state) * 0.5).sum()

    np.testing.assert_allclose(arr(x), arr(state), rtol=1e-12, atol=1e-12)
    for (_, v), view_i in zip(made, used, strict=True):  # every view still sees its base
        np.testing.assert_allclose(arr(v), arr(VIEWS[view_i](state)), rtol=1e-12, atol=1e-12)
    if expect_error:
        event("a saved result was overwritten: backward raises")
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()
        return
    event("gradients compared")
    loss.backward()
    loss2.backward()
    np.testing.assert_allclose(arr(a.grad), arr(a2.grad), rtol=1e-10, atol=1e-12)
    if w2.grad is None:
        assert w.grad is None or np.all(arr(w.grad) == 0)
    else:
        np.testing.assert_allclose(arr(w.grad), arr(w2.grad), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- the graph API
class _AddTwiceInto(Node):
    """Backward of ``target += 2 * w`` written as a bare node, inputs ``(w, target)``: the
    shape of what a Function's ``ctx.mark_dirty`` hands to ``rebase_history``."""

    def apply(self, grad_outputs):
        g = grad_outputs[0]
        return g * 2.0, g


def _add_twice_into(target, w):
    with al.no_grad():
        target.add_(w * 2.0)  # the forward, untracked (its own bump is PyTorch's kernel bump)
    node = _AddTwiceInto()
    attach(node, (w, target), (target,))
    rebase_history(target, node, input_nr=1)  # target was input 1
    return node


def test_rebase_history_for_a_dirty_input_that_is_not_input_0():
    a = f64([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = f64([10.0, 20.0], requires_grad=True)
    c = f64([1.0, 2.0, 3.0, 4.0])
    x = a.clone()
    v = x[1:3]
    node = _add_twice_into(v, w)
    assert x.grad_fn.name() == "CopySlices" and x.grad_fn.fn is node
    assert x.tolist() == [1.0, 22.0, 43.0, 4.0]
    (x * c).sum().backward()
    close(a.grad, [1.0, 2.0, 3.0, 4.0])
    close(w.grad, [4.0, 6.0])

    a.grad = w.grad = None
    y = a * 1.0
    y.retain_grad()
    node = _add_twice_into(y, f64([1.0, 1.0, 1.0, 1.0], requires_grad=True))
    assert y.grad_fn is node
    (y * c).sum().backward()
    close(a.grad, [1.0, 2.0, 3.0, 4.0])
    close(y.grad, [1.0, 2.0, 3.0, 4.0])  # retain_grad moved to the new grad_fn


def test_rebase_history_refuses_a_view_modified_by_a_multi_output_node():
    a = f64([1.0, 2.0], requires_grad=True)
    v = a.clone()[0:1]
    node = _AddTwiceInto()
    attach(node, (None, v), (v, f64([0.0])))
    with pytest.raises(RuntimeError, match="Functions which modify views in-place must return a "
                                           "single Variable"):
        rebase_history(v, node, input_nr=1)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("modify", ["directly", "through_a_view", "after_a_detach"])
def test_an_input_saved_before_it_had_a_version_counter_still_catches_changes(
        modify, create_graph):
    # ``a`` has no version counter when sin saves it; it gets one only when changed
    x = al.tensor([0.5, 1.0, 2.0], requires_grad=True)
    a = x * 2.0
    y = a.sin()
    if modify == "directly":
        a.mul_(3.0)
    elif modify == "through_a_view":
        a[1:].add_(1.0)
    else:
        a.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward(create_graph=create_graph)


def test_an_input_saved_before_it_had_a_version_counter_is_fine_unchanged():
    x = al.tensor([0.5, 1.0, 2.0], dtype=al.float64, requires_grad=True)
    a = x * 2.0
    y = a.sin()
    a.detach().clone().zero_()  # a copy: a itself is unchanged
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * np.cos([1.0, 2.0, 4.0]), rtol=1e-12)
