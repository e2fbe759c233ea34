"""Issue 14 (engine, in-place): autograd_lab behaves as PyTorch.

Found by the differential fuzzer (tests/fuzz/). Each test checks a hand-written
expectation, and the same program in PyTorch when it is installed (only that comparison is
skipped without torch)."""
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

VIEW_OF_LEAF = ("a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")


def _error(fn):
    """``(exception type, message)`` of ``fn()``, or ``(None, None)`` when it runs."""
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the error is the result under test
        return type(err), str(err)
    return None, None


def _libraries():
    return (al,) if torch is None else (al, torch)


# --- a view of a leaf that began to require grad after the view was made ----------------
VIEWS = {
    "select": lambda x: x[0],
    "slice": lambda x: x[:1],
    "t": lambda x: x.t(),
    "view of a view": lambda x: x[0][1:],
}


@pytest.mark.parametrize("make_view", VIEWS.values(), ids=VIEWS.keys())
def test_in_place_on_a_view_of_a_leaf_that_later_requires_grad_is_refused(make_view):
    for L in _libraries():
        x = L.ones(2, 3)
        v = make_view(x)  # made while x does not require grad
        x.requires_grad_()
        kind, message = _error(lambda v=v: v.mul_(2))
        assert kind is RuntimeError and message.startswith(VIEW_OF_LEAF), (L.__name__, message)
        assert x._version == 0 and x.grad_fn is None  # nothing was written, x is still a leaf


def test_the_same_view_may_still_be_written_under_no_grad():
    for L in _libraries():
        x = L.ones(2, 3)
        v = x[0]
        x.requires_grad_()
        with L.no_grad():
            v.mul_(2)
        assert x._version == 1 and x.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


# --- autograd.grad: a gradient summed in place where paths meet has a version ------------
SUMS = {  # program -> (version of the gradient autograd.grad returns, its value at x = 1)
    "x * x": (lambda x: (x * x).sum(), 1, 2.0),  # two fresh gradients: the 2nd added in place
    "x + x": (lambda x: (x + x).sum(), 0, 2.0),  # one gradient on both edges: a new sum
    "exp + sin": (lambda x: x.exp().sum() + x.sin().sum(), 1, 3.2585),
    "exp + sin + cos": (lambda x: x.exp().sum() + x.sin().sum() + x.cos().sum(), 2, 2.4171),
    "one path": (lambda x: x.exp().sum(), 0, 2.7183),
}


@pytest.mark.parametrize("program", SUMS.values(), ids=SUMS.keys())
def test_a_gradient_summed_in_place_has_pytorchs_version(program):
    f, version, value = program
    for L in _libraries():
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(f(x), x)
        assert g._version == version, L.__name__
        assert g.tolist() == pytest.approx([value] * 3, abs=1e-4)


def test_under_create_graph_every_sum_is_a_new_tensor():
    for L in _libraries():
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad((x * x).sum(), x, create_graph=True)
        assert g._version == 0 and g.grad_fn is not None, L.__name__


def test_the_callers_gradient_is_never_summed_into():
    for L in _libraries():
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        seed = L.ones(3, dtype=L.float64)
        (g,) = L.autograd.grad(x + x, x, seed)  # seed flows to both edges of AddBackward0
        assert seed.tolist() == [1.0, 1.0, 1.0] and seed._version == 0, L.__name__
        assert g.tolist() == [2.0, 2.0, 2.0] and g._version == 0, L.__name__


def test_leaf_grad_values_do_not_change_when_sums_are_in_place():
    x = al.ones(3, dtype=al.float64, requires_grad=True)
    loss = x.exp().sum() + x.sin().sum() + (x * x).sum()
    loss.backward()
    assert x.grad.tolist() == pytest.approx([2.7183 + 0.5403 + 2.0] * 3, abs=1e-4)


# --- a gradient that is a view of another tensor is a view made under no_grad ------------
def test_a_gradient_that_is_a_view_is_one_made_under_no_grad():
    for L in _libraries():
        y = L.ones(2, 3, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad((y.t() * 2).sum(), y)  # TBackward0: a transpose of 2 * ones
        assert g._base is not None and g.is_leaf and not g.requires_grad, L.__name__
        w = L.ones((), dtype=L.float64, requires_grad=True)
        kind, message = _error(lambda g=g, w=w: g[0].copy_(w))
        assert kind is RuntimeError and message.startswith(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled."), (L.__name__, message)
        with L.no_grad():
            g[0].copy_(w)  # allowed, as for any tensor, where nothing records
        assert g.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]] and g._version == 1


def test_the_callers_gradient_is_returned_as_it_is():
    import numpy as np

    y = al.ones(2, 3, dtype=al.float64, requires_grad=True)
    seed = al.from_numpy(np.ones((4, 3))[::2])  # a NumPy view, but not a view of a Tensor
    (g,) = al.autograd.grad(y + 1.0, y, seed)  # AddBackward0 hands the seed on
    assert g is seed and g._base is None


# --- CopySlices lets go of its node: a second backward through it raises ------------------
def test_a_second_backward_through_a_slice_written_in_place_raises():
    for L in _libraries():
        x = L.ones(3, requires_grad=True)
        a = x + 0  # AddBackward0 saves nothing, nor does zero_'s node
        a[0].zero_()
        a.sum().backward()
        kind, message = _error(lambda a=a: a.sum().backward())
        assert kind is RuntimeError and "backward through the graph a second time" in message
        x = L.ones(3, requires_grad=True)
        a = x + 0
        a[0].zero_()
        a.sum().backward(retain_graph=True)
        a.sum().backward()
        assert x.grad.tolist() == [0.0, 2.0, 2.0], L.__name__


def _grad_writes(lib):
    """What in-place writes do to the gradients autograd.grad returns for sum() and mean()."""
    out = []
    x = lib.ones(2, 3, requires_grad=True)
    g, = lib.autograd.grad(x.mean(), x)
    g.add_(1)  # new memory: every element changes by itself
    out.append((g._version, round(g.sum().item(), 5)))
    g, = lib.autograd.grad(x.sum(), x)
    g[:1, :1].add_(1)  # sum's gradient is an expand: one memory location for all six
    out.append((g._version, g.sum().item()))
    try:
        g.add_(1)
        out.append("ok")
    except RuntimeError as err:
        out.append(str(err).split(".")[0])
    return out


def test_gradients_of_sum_and_mean_are_the_memory_pytorch_gives():
    """mean's gradient is ordinary memory; sum's is a writable expand (stride 0), so writing
    one element writes them all and a whole write is refused as internal overlap."""
    expected = [(1, 7.0), (1, 12.0), "unsupported operation: more than one element of the "
                "written-to tensor refers to a single memory location"]
    assert _grad_writes(al) == expected
    if torch is not None:
        assert _grad_writes(torch) == expected



# --- an input that overlaps the memory written to partially is refused -------------------
PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to "
           "tensor refer to a single memory location.")


def _setitem_none(x, y):
    x[None] = x


OVERLAPS = {  # an in-place op on x (2, 3) or y (2, 1) -> does PyTorch refuse it?
    "x.unsqueeze(0).mul_(x)": (lambda x, y: x.unsqueeze(0).mul_(x), True),
    "x.unsqueeze(0).copy_(x)": (lambda x, y: x.unsqueeze(0).copy_(x), True),
    "y.view(-1).mul_(y)": (lambda x, y: y.view(-1).mul_(y), True),
    "y.t().mul_(y.view(1, 2))": (lambda x, y: y.t().mul_(y.view(1, 2)), True),
    "x[:1].mul_(x[0])": (lambda x, y: x[:1].mul_(x[0]), True),
    "x[1:].add_(x[:1])": (lambda x, y: x[1:].add_(x[:1]), False),  # disjoint
    "x.view(6).mul_(x.view(6))": (lambda x, y: x.view(6).mul_(x.view(6)), False),  # the same
    "x.t().mul_(x.t())": (lambda x, y: x.t().mul_(x.t()), False),
    "x.diagonal().mul_(x[0, :2])": (lambda x, y: x.diagonal().mul_(x[0, :2]), False),  # too hard
    "y.expand_as(y).mul_(y)": (lambda x, y: y.expand_as(y).mul_(y), False),
    "x[None] = x": (_setitem_none, False),  # x is expanded to x[None]'s shape first
}


@pytest.mark.parametrize("case", OVERLAPS.values(), ids=OVERLAPS.keys())
def test_an_input_overlapping_the_written_memory_partially_is_refused(case):
    op, refused = case
    for L in _libraries():
        x, y = L.ones(2, 3), L.ones(2, 1)
        kind, message = _error(lambda x=x, y=y: op(x, y))
        if refused:
            assert kind is RuntimeError and message.startswith(PARTIAL), (L.__name__, message)
        else:
            assert kind is None, (L.__name__, message)


def test_copying_a_tensor_into_its_own_memory_changes_nothing_even_when_expanded():
    """copy_ from the same memory laid out alike returns early in PyTorch, so an expanded
    tensor (one memory location for many elements) may be copied into itself; its version
    still counts the write. Any other write into it is refused."""
    for L in _libraries():
        g = L.ones(1).expand(3)
        same = g.detach()
        same.copy_(g)
        assert same.tolist() == [1.0, 1.0, 1.0] and same._version == 1, L.__name__
        kind, message = _error(lambda g=g, L=L: g.detach().copy_(L.zeros(3)))
        assert kind is RuntimeError and "more than one element" in message, L.__name__
