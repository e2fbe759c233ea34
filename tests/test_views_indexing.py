"""View ops (narrow, select, diagonal, unbind, split, chunk) and indexing/rearranging ops
(repeat, tile, flip, roll, gather, scatter, index_select, masked_fill, masked_select, triu,
tril): values against NumPy, first and second derivatives against finite differences, the
view contract (shared memory and version, ``_base`` the root), in-place variants, PyTorch's
node names and error messages.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import arr, check_gradgrad, check_vjp, close, rand64

import autograd_lab as al


def f64(values, requires_grad=False):
    return al.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def idx(values):
    return al.tensor(np.asarray(values, dtype=np.int64))


def std(*shape, seed=0):
    return rand64(*shape, seed=seed)


def const(*shape, seed=0):
    return rand64(*shape, seed=seed, requires_grad=False)


def weighted(outputs):
    """One tensor from a tuple of outputs, each weighted differently (so a mix-up shows)."""
    return al.cat([(o * (k + 1.0)).reshape(-1) for k, o in enumerate(outputs)])


MASK_ROW = [True, False, True, False]

# ------------------------------------------------------------------------ the op table
# (id, f, makers): f takes the inputs made by makers; every input from ``std`` requires
# grad. Each case is checked with check_vjp and check_gradgrad.
CASES = [
    # views
    ("narrow", lambda x: x.narrow(1, 1, 2), [lambda: std(3, 4)]),
    ("narrow_negdim_negstart", lambda x: x.narrow(-2, -2, 2), [lambda: std(3, 4)]),
    ("narrow_empty", lambda x: al.narrow(x, 0, 3, 0) + 0, [lambda: std(3, 4)]),
    ("select", lambda x: x.select(1, 2), [lambda: std(3, 4)]),
    ("select_neg", lambda x: al.select(x, -1, -1), [lambda: std(2, 3, 4)]),
    ("select_to_0d", lambda x: x.select(0, 1), [lambda: std(3)]),
    ("diagonal", lambda x: x.diagonal(), [lambda: std(3, 4)]),
    ("diagonal_offset", lambda x: x.diagonal(1), [lambda: std(3, 4)]),
    ("diagonal_neg_offset", lambda x: al.diagonal(x, -1), [lambda: std(3, 4)]),
    ("diagonal_dims", lambda x: x.diagonal(0, -1, 0), [lambda: std(3, 2, 4)]),
    ("diagonal_empty", lambda x: x.diagonal(5) + 0, [lambda: std(3, 4)]),
    ("unbind", lambda x: weighted(x.unbind()), [lambda: std(3, 4)]),
    ("unbind_negdim", lambda x: weighted(al.unbind(x, -1)), [lambda: std(3, 4)]),
    ("unbind_some_unused", lambda x: x.unbind(1)[2] * 3, [lambda: std(3, 4)]),
    ("split_int", lambda x: weighted(x.split(2, 1)), [lambda: std(3, 5)]),
    ("split_sizes", lambda x: weighted(al.split(x, [1, 0, 2], dim=0)), [lambda: std(3, 4)]),
    ("split_one_used", lambda x: x.split(2, -1)[1].exp(), [lambda: std(3, 5)]),
    ("chunk", lambda x: weighted(x.chunk(3, 1)), [lambda: std(2, 7)]),
    ("chunk_fewer", lambda x: weighted(al.chunk(x, 4)), [lambda: std(5, 2)]),
    # rearranging copies
    ("repeat", lambda x: x.repeat(2, 3), [lambda: std(2, 3)]),
    ("repeat_new_dims", lambda x: al.repeat(x, 2, 1, 2), [lambda: std(3, 2)]),
    ("repeat_0d", lambda x: x.repeat(3), [lambda: std()]),
    ("repeat_zero", lambda x: x.repeat(0, 2) + 0, [lambda: std(2, 3)]),
    ("tile", lambda x: x.tile((2,)), [lambda: std(2, 3)]),
    ("tile_more", lambda x: al.tile(x, (2, 1, 2)), [lambda: std(2, 3)]),
    ("flip", lambda x: x.flip(0), [lambda: std(3, 4)]),
    ("flip_many", lambda x: al.flip(x, (-1, 0)), [lambda: std(2, 3, 4)]),
    ("flip_0d", lambda x: x.flip(0), [lambda: std()]),
    ("roll", lambda x: x.roll(1, 0), [lambda: std(3, 4)]),
    ("roll_flat", lambda x: x.roll(5), [lambda: std(3, 4)]),
    ("roll_many", lambda x: al.roll(x, (1, -2), (-1, 0)), [lambda: std(3, 4)]),
    # indexing
    ("gather", lambda x: x.gather(1, idx([[0, 0, 3], [2, 1, 1]])), [lambda: std(2, 4)]),
    ("gather_smaller", lambda x: al.gather(x, 0, idx([[2, 0], [2, 2]])), [lambda: std(3, 4)]),
    ("gather_negdim", lambda x: x.gather(-1, idx([[1], [1], [0]])), [lambda: std(3, 4)]),
    ("gather_0d", lambda x: x.gather(0, idx(0)), [lambda: std()]),
    ("scatter_src", lambda x, s: x.scatter(0, idx([[2, 0, 1], [0, 1, 2]]), s),
     [lambda: std(3, 3), lambda: std(2, 3, seed=1)]),
    ("scatter_src_larger", lambda x, s: al.scatter(x, 1, idx([[3, 0], [1, 2]]), s),
     [lambda: std(2, 4), lambda: std(3, 3, seed=1)]),
    ("scatter_value", lambda x: x.scatter(1, idx([[0], [3]]), 2.5), [lambda: std(2, 4)]),
    ("scatter_value_kw", lambda x: al.scatter(x, -1, idx([[1, 2]]), value=-1.0),
     [lambda: std(2, 4)]),
    ("index_select", lambda x: x.index_select(0, idx([2, 0, 2, 2])), [lambda: std(3, 4)]),
    ("index_select_negdim", lambda x: al.index_select(x, -1, idx([3, 3])), [lambda: std(3, 4)]),
    ("index_select_0d_index", lambda x: x.index_select(1, idx(1)), [lambda: std(3, 4)]),
    ("index_select_0d", lambda x: x.index_select(0, idx([0])), [lambda: std()]),
    ("masked_fill", lambda x: x.masked_fill(al.tensor(MASK_ROW), 2.0), [lambda: std(3, 4)]),
    ("masked_fill_broadcast", lambda x: al.masked_fill(x, al.tensor([[True], [False]]), -1.0),
     [lambda: std(4)]),
    ("masked_fill_tensor", lambda x, v: x.masked_fill(al.tensor(MASK_ROW), v),
     [lambda: std(3, 4), lambda: std(seed=1)]),
    ("masked_select", lambda x: x.masked_select(al.tensor(MASK_ROW)), [lambda: std(3, 4)]),
    ("masked_select_broadcast", lambda x: al.masked_select(x, al.tensor([[True], [False]])),
     [lambda: std(3)]),
    ("triu", lambda x: x.triu(), [lambda: std(3, 4)]),
    ("triu_offset", lambda x: al.triu(x, -1), [lambda: std(2, 3, 4)]),
    ("tril", lambda x: x.tril(1), [lambda: std(4, 3)]),
    ("tril_neg", lambda x: al.tril(x, -2), [lambda: std(4, 3)]),
]


@pytest.mark.parametrize("f, makers", [pytest.param(f, m, id=i) for i, f, m in CASES])
def test_gradient_and_second_derivative(f, makers):
    check_vjp(f, [m() for m in makers])
    # the second derivative also differentiates through a nonlinearity, so that it is not
    # trivially zero: d2/dx2 of f(x)**2 involves the op's backward of the backward
    check_gradgrad(lambda *xs: f(*xs) ** 2, [m() for m in makers])


def test_gather_repeated_indices_sum_their_gradients():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    x.gather(0, idx([0, 0, 2, 0])).sum().backward()
    close(x.grad, [3.0, 0.0, 1.0])


def test_index_select_repeated_indices_sum_their_gradients():
    x = f64([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x.index_select(1, idx([1, 1, 0])) * f64([1.0, 2.0, 4.0])).sum().backward()
    close(x.grad, [[4.0, 3.0], [4.0, 3.0]])


def test_scatter_gradients_by_hand():
    """PyTorch's formula: self gets grad with the scattered places zeroed, src gets
    grad.gather(dim, index)."""
    x = f64(np.zeros((2, 3)), requires_grad=True)
    src = f64([[1.0, 2.0, 3.0]], requires_grad=True)
    g = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x.scatter(0, idx([[1, 0, 1]]), src).backward(g)
    close(x.grad, [[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]])
    close(src.grad, [[4.0, 2.0, 6.0]])


def test_masked_fill_tensor_value_gets_the_sum_of_filled_gradients():
    x = f64(np.ones((2, 4)), requires_grad=True)
    v = f64(0.5, requires_grad=True)
    g = f64(np.arange(8.0).reshape(2, 4))
    x.masked_fill(al.tensor(MASK_ROW), v).backward(g)
    close(v.grad, 0 + 2 + 4 + 6)
    close(x.grad, [[0, 1, 0, 3], [0, 5, 0, 7]])


# ------------------------------------------------------------------------ values vs NumPy
A = np.arange(24.0).reshape(2, 3, 4)
VALUES = [
    ("narrow", lambda t: t.narrow(2, 1, 2), A[:, :, 1:3]),
    ("select", lambda t: t.select(-2, 1), A[:, 1]),
    ("diagonal", lambda t: t.diagonal(1, 1, 2), np.diagonal(A, 1, 1, 2)),
    ("diagonal_neg", lambda t: t.diagonal(-1, -1, 0), np.diagonal(A, -1, -1, 0)),
    ("repeat", lambda t: t.repeat(2, 1, 1, 3), np.tile(A, (2, 1, 1, 3))),
    ("tile", lambda t: t.tile((2, 1)), np.tile(A, (2, 1))),
    ("flip", lambda t: t.flip(0, 2), np.flip(A, (0, 2))),
    ("roll", lambda t: t.roll((1, -1), (0, 2)), np.roll(A, (1, -1), (0, 2))),
    ("roll_flat", lambda t: t.roll(3), np.roll(A, 3)),
    ("gather", lambda t: t.gather(2, idx(np.zeros((2, 3, 1), np.int64) + [[[3]], [[1]]])),
     np.take_along_axis(A, np.zeros((2, 3, 1), np.int64) + [[[3]], [[1]]], 2)),
    ("index_select", lambda t: t.index_select(1, idx([2, 0])), A[:, [2, 0]]),
    ("masked_fill", lambda t: t.masked_fill(al.tensor(A > 10), -1.0), np.where(A > 10, -1.0, A)),
    ("masked_select", lambda t: t.masked_select(al.tensor(A % 5 == 0)), A[A % 5 == 0]),
    ("triu", lambda t: t.triu(1), np.triu(A, 1)),
    ("tril", lambda t: t.tril(-1), np.tril(A, -1)),
]


@pytest.mark.parametrize("f, expected", [pytest.param(f, e, id=i) for i, f, e in VALUES])
def test_values_match_numpy(f, expected):
    out = f(f64(A))
    close(out, expected)
    assert out.dtype == al.float64


def test_split_chunk_unbind_values():
    t = f64(A)
    for got, want in zip(t.unbind(1), [A[:, i] for i in range(3)], strict=True):
        close(got, want)
    for got, want in zip(t.split(3, -1), np.split(A, [3], -1), strict=True):
        close(got, want)
    for got, want in zip(t.split([1, 2], 1), np.split(A, [1], 1), strict=True):
        close(got, want)
    assert [c.shape for c in al.arange(5).chunk(4)] == [(2,), (2,), (1,)]  # fewer, as PyTorch
    assert [c.shape for c in al.zeros(0, 2).chunk(3)] == [(0, 2)] * 3
    assert [c.shape for c in al.zeros(0).split(2)] == [(0,)]


def test_scatter_values_with_unique_indices():
    # With repeated indices PyTorch leaves the winner undefined: only unique ones here.
    x = al.zeros(3, 4)
    out = x.scatter(0, idx([[2, 0, 1, 0], [1, 2, 0, 2]]), al.arange(1.0, 9.0).view(2, 4))
    expected = np.zeros((3, 4))
    expected[[2, 0, 1, 0], [0, 1, 2, 3]] = [1, 2, 3, 4]
    expected[[1, 2, 0, 2], [0, 1, 2, 3]] = [5, 6, 7, 8]
    close(out, expected)
    close(x, np.zeros((3, 4)))  # out of place
    close(al.arange(4).scatter(0, idx([3, 1]), 9), [0, 9, 2, 9])


def test_masked_fill_keeps_the_dtype_and_casts_the_value():
    out = al.arange(4).masked_fill(al.tensor(MASK_ROW), 1.7)
    assert out.dtype == al.int64
    assert out.tolist() == [1, 1, 1, 3]


def test_int_tensors_work_without_grad():
    t = al.arange(6).view(2, 3)
    assert t.flip(1).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert t.gather(1, idx([[2], [0]])).tolist() == [[2], [3]]
    assert t.triu().tolist() == [[0, 1, 2], [0, 4, 5]]


# ------------------------------------------------------------------------ node names
NODE_NAMES = [
    (lambda x: x.narrow(0, 0, 1), "SliceBackward0"),
    (lambda x: x.select(0, 0), "SelectBackward0"),
    (lambda x: x.diagonal(), "DiagonalBackward0"),
    (lambda x: x.unbind()[0], "UnbindBackward0"),
    (lambda x: x.split(1)[0], "SplitBackward0"),
    (lambda x: x.split([1, 2])[0], "SplitWithSizesBackward0"),
    (lambda x: x.chunk(2)[0], "SplitBackward0"),
    (lambda x: x.repeat(1, 2), "RepeatBackward0"),
    (lambda x: x.tile((2,)), "RepeatBackward0"),
    (lambda x: x.flip(0), "FlipBackward0"),
    (lambda x: x.roll(1), "RollBackward0"),
    (lambda x: x.gather(0, idx([[0]])), "GatherBackward0"),
    (lambda x: x.scatter(0, idx([[0]]), f64([[1.0]])), "ScatterBackward0"),
    (lambda x: x.scatter(0, idx([[0]]), 1.0), "ScatterBackward1"),
    (lambda x: x.index_select(0, idx([0])), "IndexSelectBackward0"),
    (lambda x: x.masked_fill(al.tensor([True, False, True]), 0.0), "MaskedFillBackward0"),
    (lambda x: x.masked_fill(al.tensor([True, False, True]), f64(0.0)), "MaskedFillBackward1"),
    (lambda x: x.masked_select(al.tensor([True, False, True])), "MaskedSelectBackward0"),
    (lambda x: x.triu(), "TriuBackward0"),
    (lambda x: x.tril(), "TrilBackward0"),
]


@pytest.mark.parametrize("f, name", NODE_NAMES, ids=[n for _, n in NODE_NAMES])
def test_node_names_follow_pytorch(f, name):
    x = std(3, 3)
    assert f(x).grad_fn.name() == name


def test_multi_output_views_share_one_node_with_output_numbers():
    x = std(3, 4).clone()
    parts = x.unbind(1)
    assert len({id(p.grad_fn) for p in parts}) == 1
    assert [p._output_nr for p in parts] == [0, 1, 2, 3]
    assert parts[0].grad_fn._saved_dim == 1
    node = x.split(2)[0].grad_fn
    assert node._saved_split_size == 2 and node._saved_dim == 0
    assert x.split([1, 2])[1].grad_fn._saved_split_sizes == (1, 2)


def test_saved_values_are_visible():
    x = std(3, 4)
    node = x.narrow(1, 1, 2).grad_fn
    assert (node._saved_dim, node._saved_start, node._saved_end) == (1, 1, 3)
    assert x.select(0, -1).grad_fn._saved_index == 2
    assert x.diagonal(1, 1, 0).grad_fn._saved_offset == 1
    assert x.gather(0, idx([[1]])).grad_fn._saved_index.tolist() == [[1]]
    assert x.repeat(2, 1).grad_fn._saved_repeats == (2, 1)


# ------------------------------------------------------------------------ views
VIEWS = [
    ("narrow", lambda t: t.narrow(1, 1, 2)),
    ("select", lambda t: t.select(1, -1)),
    ("diagonal", lambda t: t.diagonal(1)),
    ("unbind", lambda t: t.unbind(1)[2]),
    ("split", lambda t: t.split(1)[1]),
    ("chunk", lambda t: t.chunk(2, 1)[1]),
]


@pytest.mark.parametrize("make", [pytest.param(f, id=i) for i, f in VIEWS])
def test_views_share_memory_and_version_with_the_root(make):
    root = al.zeros(3, 4)
    mid = root[:, :]  # a view of a view: _base is still the root
    v = make(mid)
    assert v._base is root and v.is_view()
    assert np.shares_memory(arr(v), arr(root))
    before = root._version
    with al.no_grad():  # allowed for every view (multi-output views included)
        v.fill_(7.0)
    assert root._version == v._version == before + 1
    assert (arr(root) == 7.0).sum() == v.numel()
    root.fill_(1.0)
    assert (arr(v) == 1.0).all() and v._version == before + 2


def test_views_of_non_grad_tensors_can_be_modified_in_place():
    root = al.zeros(2, 3)
    a, b = root.unbind()
    b.add_(1.0)  # nothing requires grad: no history to protect, as in PyTorch
    close(root, [[0, 0, 0], [1, 1, 1]])
    root.diagonal().fill_(5.0)
    close(root, [[5, 0, 0], [1, 5, 1]])


# ------------------------------------------------------------------------ in place: versions
INPLACE = [
    ("scatter_src", lambda t: t.scatter_(1, idx([[0], [2]]), f64([[1.0], [2.0]]))),
    ("scatter_value", lambda t: t.scatter_(0, idx([[1, 0, 1]]), 3.0)),
    ("masked_fill_", lambda t: t.masked_fill_(al.tensor([True, False, True]), 0.5)),
    ("masked_fill_tensor", lambda t: t.masked_fill_(al.tensor([[False], [True]]), f64(2.0))),
    ("triu_", lambda t: t.triu_()),
    ("tril_", lambda t: t.tril_(-1)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in INPLACE])
def test_inplace_bumps_the_version_once_and_returns_self(call):
    t = f64(np.arange(6.0).reshape(2, 3))
    assert call(t) is t
    assert t._version == 1


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in INPLACE])
def test_inplace_agrees_with_out_of_place(call):
    x = rand64(2, 3)
    y = x.clone()
    call(y)
    ref_x = rand64(2, 3)
    ref = _out_of_place(call, ref_x)
    close(y.detach(), arr(ref))
    y.sum().backward()
    ref.sum().backward()
    close(x.grad, arr(ref_x.grad))


def _out_of_place(call, x):
    """The same op out of place, found by name on the tensor (scatter_ -> scatter)."""

    class Recorder:
        def __getattr__(self, name):
            return lambda *a, **k: getattr(x, name.rstrip("_"))(*a, **k)

    return call(Recorder())


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in INPLACE])
def test_inplace_on_a_view_of_a_non_leaf(call):
    """On a view from narrow: the base's history is rebased (CopySlices), and gradients
    equal those of the same computation out of place."""

    def inplace(x):
        y = x * 1.0
        call(y.narrow(0, 0, 2))
        return y

    def out_of_place(x):
        y = x * 1.0
        top = _out_of_place(call, y.narrow(0, 0, 2))
        return al.cat([top, y.narrow(0, 2, 1)])

    x = rand64(3, 3)
    y = inplace(x)
    assert y.grad_fn.name() == "CopySlices"
    close(y.detach(), arr(out_of_place(x)))
    check_vjp(inplace, [rand64(3, 3)])
    check_gradgrad(lambda x: inplace(x) ** 2, [rand64(3, 3)])


VIEW_THEN_INPLACE = [
    ("narrow", lambda y: y.narrow(1, 1, 2).mul_(3.0),
     lambda y: al.cat([y.narrow(1, 0, 1), y.narrow(1, 1, 2) * 3.0, y.narrow(1, 3, 1)], 1)),
    ("select", lambda y: y.select(0, -1).sin_(),
     lambda y: al.cat([y.narrow(0, 0, 2), y.narrow(0, 2, 1).sin()])),
    ("diagonal", lambda y: y.diagonal().mul_(2.0),
     lambda y: y + y * al.eye(3, 4, dtype=al.float64)),
    ("diagonal_offset", lambda y: y.diagonal(-1).sin_(),
     lambda y: y + (y.sin() - y) * al.eye(3, 4, dtype=al.float64).roll(1, 0).tril(-1)),
    ("select_then_narrow", lambda y: y.select(1, 0).narrow(0, 1, 2).mul_(3.0),
     lambda y: y * f64([[1, 1, 1, 1], [3, 1, 1, 1], [3, 1, 1, 1]])),
]


@pytest.mark.parametrize("modify, reference", [pytest.param(m, r, id=i)
                                               for i, m, r in VIEW_THEN_INPLACE])
def test_inplace_through_views_gives_the_out_of_place_gradients(modify, reference):
    def inplace(x):
        y = x * 1.0
        modify(y)
        return y

    def out_of_place(x):
        return reference(x * 1.0)

    x1, x2 = rand64(3, 4), rand64(3, 4)
    y1, y2 = inplace(x1), out_of_place(x2)
    close(y1.detach(), arr(y2))
    g = f64(np.random.default_rng(5).standard_normal((3, 4)))
    y1.backward(g)
    y2.backward(g)
    close(x1.grad, arr(x2.grad))
    check_vjp(inplace, [rand64(3, 4)])
    check_gradgrad(lambda x: inplace(x) ** 2, [rand64(3, 4)])


def _exp_last_row_in_place_then_square(x):
    y = x * 1.0
    y.select(0, -1).exp_()  # exp_ saves its result, and this result is a view's
    return y ** 2


def test_inplace_on_a_view_that_saves_its_result_first_derivative():
    check_vjp(_exp_last_row_in_place_then_square, [rand64(3, 4)])


def test_double_backward_through_a_result_saving_inplace_on_a_view():
    """exp_ on a view saves its result; unpacked, it follows the view's regenerated history
    (through CopySlices), not the exp_ node a second time (PyTorch's weak grad_fn)."""
    check_gradgrad(_exp_last_row_in_place_then_square, [rand64(3, 4)])


def test_view_grad_fn_is_regenerated_after_its_base_changes():
    x = rand64(3, 4)
    y = x * 1.0
    d = y.diagonal()
    y.mul_(2.0)
    assert d.grad_fn.name() == "DiagonalBackward0"
    assert d.grad_fn.next_functions[0][0] is y.grad_fn
    d.sum().backward()
    close(x.grad, 2 * np.eye(3, 4))


def test_inplace_on_a_view_of_a_leaf_is_refused():
    x = rand64(3, 4)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.narrow(0, 0, 1).zero_()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.diagonal().zero_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.triu_()


# ------------------------------------------------------------------------ multi-output views
MULTI = [
    ("unbind", lambda y: y.unbind(), "Unbind"),
    ("unbind_dim1", lambda y: y.unbind(1), "Unbind"),
    ("split", lambda y: y.split(2), "Split"),
    ("split_sizes", lambda y: y.split([2, 1]), "SplitWithSizes"),
    ("chunk", lambda y: y.chunk(2), "Split"),
]
def setitem(v):
    v[0] = 1.0


_MULTI_WHY = ("This view is the output of a function that returns multiple views. Such functions "
              "do not allow the output views to be modified inplace. You should replace the "
              "inplace operation by an out-of-place one.")


@pytest.mark.parametrize("make, maker", [pytest.param(m, n, id=i) for i, m, n in MULTI])
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("op", [lambda v: v.mul_(2.0), lambda v: v.zero_(), setitem,
                                lambda v: v.masked_fill_(v.detach() > 0, 0.0)],
                         ids=["mul_", "zero_", "setitem", "masked_fill_"])
def test_inplace_on_multi_output_views_raises(make, maker, which, op):
    y = rand64(3, 4).clone()
    v = make(y)[which]
    version = y._version
    if op.__name__ == "setitem":  # v[0] = 1 writes through v[0], a view of the view
        which, maker = 0, "Select"
    # PyTorch 2.x spells the node without "Backward0" here (torch 2.13 checked)
    message = (rf"^Output {which} of {maker}(Backward0)? is a view and is being modified "
               rf"inplace\. {re.escape(_MULTI_WHY)}$")
    with pytest.raises(RuntimeError, match=message):
        op(v)
    assert y._version == version  # refused before anything was written


def test_multi_output_views_of_a_view_and_with_other_inputs_requiring_grad():
    y = rand64(3, 4).clone()
    w = y.unbind(1)[0][1:]  # a view of a multi-output view keeps the label
    with pytest.raises(RuntimeError, match="returns multiple views"):
        w.add_(1.0)
    z = al.zeros(2, 3)  # no grad on the base, but the value written requires it
    with pytest.raises(RuntimeError, match="returns multiple views"):
        z.unbind()[0].add_(rand64(3))


def test_multi_output_view_after_its_base_changed_raises_on_use():
    y = rand64(3, 4).clone()
    a = y.split(2)[0]
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"its base or another view of its base has been "
                                           r"modified inplace\. This view is the output"):
        a.grad_fn  # noqa: B018 - reading grad_fn regenerates, and is refused, as PyTorch


def test_unbind_split_under_no_grad_label_no_grad_mode():
    y = rand64(3, 4).clone()
    with al.no_grad():
        a = y.unbind()[0]
    assert not a.requires_grad
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        a.mul_(2.0)


def test_unused_outputs_get_zero_gradient():
    x = rand64(3, 4)
    a, b, c = x.unbind()
    (b * 2).sum().backward()
    close(x.grad, [[0] * 4, [2] * 4, [0] * 4])
    x.grad = None
    pieces = x.split([1, 3], 1)
    g, = al.autograd.grad(pieces[1].sum(), x)
    close(g, [[0, 1, 1, 1]] * 3)


# ------------------------------------------------------------------------ errors
ERRORS = [
    (lambda x: x.narrow(0, 4, 1), IndexError,
     r"start out of range \(expected to be in range of \[-3, 3\], but got 4\)"),
    (lambda x: x.narrow(0, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension"),
    (lambda x: x.narrow(0, 1, -1), RuntimeError, "length must be non-negative"),
    (lambda x: x.narrow(2, 0, 1), IndexError, "Dimension out of range"),
    (lambda x: al.tensor(1.0).narrow(0, 0, 1), RuntimeError, "cannot be applied to a 0-dim"),
    (lambda x: x.select(0, 3), IndexError,
     r"select\(\): index 3 out of range for tensor of size \[3, 4\] at dimension 0"),
    (lambda x: x.select(-1, -5), IndexError, "index -5 out of range"),
    (lambda x: al.tensor(1.0).select(0, 0), IndexError, "select.. cannot be applied to a 0-dim"),
    (lambda x: x.diagonal(0, 1, -1), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
    (lambda x: al.zeros(3).diagonal(), IndexError, "Dimension out of range"),
    (lambda x: al.tensor(1.0).unbind(), IndexError, "Dimension specified as 0 but tensor has no"),
    (lambda x: x.unbind(2), IndexError, "Dimension out of range"),
    (lambda x: x.split([1, 1]), RuntimeError,
     r"split_with_sizes expects split_sizes to sum exactly to 3 \(input tensor's size at "
     r"dimension 0\), but got split_sizes=\[1, 1\]"),
    (lambda x: x.split([4, -1]), RuntimeError, "only non-negative entries"),
    (lambda x: x.split(-1), RuntimeError, "split expects split_size be non-negative"),
    (lambda x: x.split(0), RuntimeError, "split_size can only be 0 if dimension size is 0"),
    (lambda x: al.tensor(1.0).split(1), RuntimeError, "split expects at least a 1-dimensional"),
    (lambda x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda x: al.tensor(1.0).chunk(1), RuntimeError, "chunk expects at least a 1-dimensional"),
    (lambda x: x.repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller"),
    (lambda x: x.repeat(-1, 2), RuntimeError, "Trying to create tensor with negative dimension"),
    (lambda x: x.flip(0, -2), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda x: x.flip(2), IndexError, "Dimension out of range"),
    (lambda x: x.roll((1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda x: x.roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda x: x.gather(0, idx([[3]])), RuntimeError,
     "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.gather(0, idx([[-1]])), RuntimeError, "index -1 is out of bounds"),
    (lambda x: x.gather(0, idx([0, 1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda x: x.gather(0, idx([[0, 1, 2, 0, 1]])), RuntimeError,
     r"Size does not match at dimension 1 expected index \[1, 5\] to be no larger than self "
     r"\[3, 4\] apart from dimension 0"),
    (lambda x: x.gather(0, f64([[0.0]])), RuntimeError, r"gather\(\): Expected dtype int32/int64"),
    (lambda x: x.gather(2, idx([[0]])), IndexError, "Dimension out of range"),
    (lambda x: x.scatter(0, idx([[0, 1, 2]]), f64([[1.0, 2.0]])), RuntimeError,
     r"Expected index \[1, 3\] to be no larger than self \[3, 4\] apart from dimension 0 and "
     r"to be no larger size than src \[1, 2\]"),
    (lambda x: x.scatter(0, idx([[0, 1, 2, 0, 1]]), 1.0), RuntimeError,
     r"Expected index \[1, 5\] to be no larger than self \[3, 4\] apart from dimension 0$"),
    (lambda x: x.scatter(0, idx([0]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda x: x.scatter(0, idx([[0]]), f64(1.0)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda x: x.scatter(0, idx([[0]]), al.ones(1, 1)), RuntimeError,
     r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.scatter(0, idx([[7]]), 1.0), RuntimeError,
     "index 7 is out of bounds for dimension 0 with size 3"),
    (lambda x: x.scatter(0, f64([[0.0]]), 1.0), RuntimeError, "Expected dtype int32/int64"),
    (lambda x: x.detach().scatter_(0, idx([[3]]), 1.0), RuntimeError, "out of bounds"),
    (lambda x: x.index_select(0, idx([3])), IndexError, "index out of range in self"),
    (lambda x: x.index_select(0, idx([-1])), IndexError, "index out of range in self"),
    (lambda x: x.index_select(0, idx([[1]])), IndexError, "Index is supposed to be a vector"),
    (lambda x: x.index_select(0, f64([1.0])), RuntimeError, "Expected dtype int32 or int64"),
    (lambda x: x.masked_fill(idx([1, 0, 1, 0]), 0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    (lambda x: x.masked_fill(al.tensor(MASK_ROW), f64([1.0])), RuntimeError,
     "only supports a 0-dimensional value tensor, but got tensor with 1 dimension"),
    (lambda x: x.masked_fill(al.tensor([True, False]), 0.0), RuntimeError,
     "The size of tensor a"),
    (lambda x: x.detach().masked_fill_(al.ones(2, 3, 4, dtype=al.bool), 0.0), RuntimeError,
     r"output with shape \[3, 4\] doesn't match the broadcast shape \[2, 3, 4\]"),
    (lambda x: x.masked_select(idx([1, 0, 1, 0])), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    (lambda x: x.masked_select(al.tensor([True, False])), RuntimeError,
     r"The size of tensor a \(4\) must match the size of tensor b \(2\) at non-singleton "
     "dimension 1"),
    (lambda x: al.zeros(3).triu(), RuntimeError, "triu: input tensor must have at least 2 dim"),
    (lambda x: al.zeros(3).tril_(), RuntimeError, "tril: input tensor must have at least 2 dim"),
]


@pytest.mark.parametrize("f, kind, match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(f, kind, match):
    x = rand64(3, 4)
    with pytest.raises(kind, match=match):
        f(x)


# ------------------------------------------------------------------------ PyTorch agrees
def test_torch_agrees_on_values_gradients_and_messages():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a_np, s_np = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    index = [[2, 0, 1, 0], [0, 0, 2, 1]]
    mask = [True, False, False, True]

    def program(lib, x, s):
        ix = lib.tensor(index)
        parts = [x.narrow(1, 1, 2).sin(), x.select(0, 2) * 2, x.diagonal(1).exp(),
                 lib.stack(x.unbind(1), 0) * 0.5, lib.cat(x.split([1, 2]), 0).cos(),
                 x.repeat(1, 2) ** 2, x.tile((2,)).tanh(), x.flip(0, 1) * x,
                 x.roll((1, -1), (0, 1)).sigmoid(), x.gather(0, ix).exp(),
                 x.scatter(0, lib.tensor([[2, 0, 1, 0]]), s[:1] ** 2),
                 x.scatter(1, lib.tensor([[3], [1]]), 2.0),
                 x.index_select(0, lib.tensor([2, 2, 0])),
                 x.masked_fill(lib.tensor(mask), 0.5) ** 3,
                 x.masked_select(lib.tensor(mask)).exp(),
                 x.triu(1).sin(), x.tril(-1).cos(), *[c * 1.5 for c in x.chunk(2, 1)]]
        return sum((p * p).sum() for p in parts)

    x = al.tensor(a_np, requires_grad=True)
    s = al.tensor(s_np, requires_grad=True)
    tx = torch.tensor(a_np, requires_grad=True)
    ts = torch.tensor(s_np, requires_grad=True)
    out, tout = program(al, x, s), program(torch, tx, ts)
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-12)
    g = al.autograd.grad(out, (x, s), create_graph=True)
    tg = torch.autograd.grad(tout, (tx, ts), create_graph=True)
    for mine, theirs in zip(g, tg, strict=True):
        np.testing.assert_allclose(arr(mine), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    gg = al.autograd.grad(sum((t * t).sum() for t in g), (x, s))
    tgg = torch.autograd.grad(sum((t * t).sum() for t in tg), (tx, ts))
    for mine, theirs in zip(gg, tgg, strict=True):
        np.testing.assert_allclose(arr(mine), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_squeeze_nodes_are_named_by_overload_as_in_pytorch():
    # squeeze() / squeeze(dim) / squeeze(dims) are three overloads in PyTorch, so three names
    y = al.zeros(3, 1, 4, 1, requires_grad=True) * 1
    assert y.squeeze().grad_fn.name() == "SqueezeBackward0"
    assert y.squeeze(1).grad_fn.name() == "SqueezeBackward1"
    assert y.squeeze((1, 3)).grad_fn.name() == "SqueezeBackward2"
    (g,) = al.autograd.grad(y.squeeze((1, 3)).sum(), y)
    assert g.shape == (3, 1, 4, 1)
