"""Issue 14 (indexing): the ops that pick by an index save what PyTorch saves, and free it.

gather, index_select, scatter, masked_fill, masked_select, x[mask] / x[[0, 1]] / x[idx] and
max/min(dim) read an index tensor (or a mask) in backward. PyTorch saves it like any saved
tensor: a second backward without retain_graph raises, and an in-place change of the index
after the forward makes backward raise the version error. Each program below runs on a
hand-written expectation, and again in PyTorch when it is installed.
"""
import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

FREED = "Trying to backward through the graph a second time"
MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace"


def _x(lib):
    return lib.tensor([[1.0, 5.0, 2.0, 0.5], [3.0, -1.0, 4.0, 6.0], [0.0, 2.0, -3.0, 1.0]],
                      requires_grad=True)


def _index(lib, values):
    return lib.tensor(values)


# name -> (forward from (lib, x) to (y, the index tensor y's node saved), the node's name,
#          the saved attribute that holds the index)
OPS = {
    "gather": (lambda lib, x, i=None: _with(x.gather(1, i), i),
               lambda lib: _index(lib, [[0, 1], [2, 0], [1, 1]]), "GatherBackward0",
               "_saved_index"),
    "index_select": (lambda lib, x, i=None: _with(x.index_select(0, i), i),
                     lambda lib: _index(lib, [2, 0]), "IndexSelectBackward0", "_saved_index"),
    "scatter": (lambda lib, x, i=None: _with(x.scatter(1, i, 0.0), i),
                lambda lib: _index(lib, [[0], [1], [3]]), "ScatterBackward1", "_saved_index"),
    "scatter_src": (lambda lib, x, i=None: _with(x.scatter(1, i, x[:, :1] * 2), i),
                    lambda lib: _index(lib, [[0], [1], [3]]), "ScatterBackward0", "_saved_index"),
    "masked_fill": (lambda lib, x, i=None: _with(x.masked_fill(i, 0.0), i),
                    lambda lib: lib.tensor([True, False, True, False]), "MaskedFillBackward0",
                    "_saved_mask"),
    "masked_select": (lambda lib, x, i=None: _with(x.masked_select(i), i),
                      lambda lib: lib.tensor([True, False, True, False]), "MaskedSelectBackward0",
                      "_saved_mask"),
    "index_mask": (lambda lib, x, i=None: _with(x[i], i),
                   lambda lib: lib.tensor([True, False, True]), "IndexBackward0", None),
    "index_tensor": (lambda lib, x, i=None: _with(x[i], i),
                     lambda lib: _index(lib, [2, 0, 2]), "IndexBackward0", None),
    "index_columns": (lambda lib, x, i=None: _with(x[:, i], i),
                      lambda lib: _index(lib, [3, 1]), "IndexBackward0", None),
    "max_dim": (lambda lib, x, i=None: _pair(x.max(1)), None, "MaxBackward0", "_saved_indices"),
    "min_dim_keepdim": (lambda lib, x, i=None: _pair(x.min(0, keepdim=True)), None,
                        "MinBackward0", "_saved_indices"),
}


def _with(y, index):
    return y, index


def _pair(result):
    return result.values, result.indices


def _run(lib, name):
    forward, make_index, _, _ = OPS[name]
    x = _x(lib)
    return x, forward(lib, x, None if make_index is None else make_index(lib))


def _error(fn):
    try:
        fn()
    except RuntimeError as err:
        return str(err)
    return None


@pytest.mark.parametrize("name", sorted(OPS))
def test_backward_twice_raises_the_freed_graph_error(name):
    for lib in (al, torch) if torch is not None else (al,):
        x, (y, _) = _run(lib, name)
        loss = (y * y).sum()
        loss.backward()
        first = x.grad.clone()
        assert FREED in (_error(loss.backward) or "no error"), lib.__name__
        assert np.array_equal(x.grad.numpy(), first.numpy())  # nothing added by the failed run


@pytest.mark.parametrize("name", sorted(OPS))
def test_retain_graph_keeps_the_index(name):
    x, (y, _) = _run(al, name)
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)


@pytest.mark.parametrize("name", sorted(OPS))
def test_the_node_saves_the_index_and_frees_it(name):
    _, _, node_name, attr = OPS[name]
    x, (y, index) = _run(al, name)
    node = y.grad_fn
    assert node.name() == node_name
    if attr is not None:
        assert getattr(node, attr) is index  # the caller's tensor itself, not a copy
    y.sum().backward()
    if attr is not None:
        assert FREED in _error(lambda: getattr(node, attr))
    if torch is not None and attr is not None:
        tx, (ty, tindex) = _run(torch, name)
        assert ty.grad_fn.name() == node_name
        assert getattr(ty.grad_fn, attr) is tindex or torch.equal(getattr(ty.grad_fn, attr), tindex)
        ty.sum().backward()
        assert FREED in _error(lambda: getattr(ty.grad_fn, attr))


# Which in-place change after the forward makes backward raise: PyTorch saves the index
# (all of them), and self for gather and masked_select only.
SELF_SAVED = {"gather", "masked_select"}


@pytest.mark.parametrize("name", sorted(OPS))
def test_changing_the_index_in_place_makes_backward_raise(name):
    def program(lib):
        x, (y, index) = _run(lib, name)
        with lib.no_grad():
            index.copy_(index.flip(0) if index.dtype != lib.bool else ~index)
        return _error(lambda: y.sum().backward())

    err = program(al)
    assert err is not None and err.startswith(MODIFIED)
    assert "is at version 1; expected version 0" in err
    if torch is not None:
        assert program(torch).startswith(MODIFIED)


@pytest.mark.parametrize("name", sorted(n for n in OPS if n != "scatter_src"))
def test_changing_self_in_place_raises_only_where_pytorch_saves_self(name):
    forward, make_index, _, _ = OPS[name]

    def program(lib):
        leaf = _x(lib)
        x = leaf * 1  # a non-leaf, which may be changed in place
        y, _ = forward(lib, x, None if make_index is None else make_index(lib))
        x.mul_(2)
        return _error(lambda: y.sum().backward())

    err = program(al)
    if name in SELF_SAVED:
        assert err is not None and err.startswith(MODIFIED)
    else:
        assert err is None
    if torch is not None:
        terr = program(torch)
        assert (terr is None) == (err is None), terr


def test_the_index_is_the_callers_tensor_not_a_copy():
    """Without grad nothing is saved: a later change to the index changes nothing done."""
    x = al.arange(6.0).view(2, 3)
    i = al.tensor([[2], [0]])
    y = x.gather(1, i)
    i.zero_()
    assert y.tolist() == [[2.0], [3.0]]
    assert x.gather(1, i).tolist() == [[0.0], [3.0]]


def test_gradients_are_unchanged():
    x = _x(al)
    i = al.tensor([[0, 1], [2, 0], [1, 1]])
    (x.gather(1, i) * 2).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0, 0.0, 0.0], [2.0, 0.0, 2.0, 0.0], [0.0, 4.0, 0.0, 0.0]]
    x = _x(al)
    v, j = x.max(1)
    (v * 3).sum().backward()
    assert j.tolist() == [1, 3, 1]
    assert x.grad.tolist() == [[0, 3, 0, 0], [0, 0, 0, 3], [0, 3, 0, 0]]


def test_double_backward_through_a_saved_index():
    """create_graph keeps the graph: the gradient of the gradient reads the index again."""
    x = _x(al)
    i = al.tensor([[0, 0], [2, 0], [1, 1]])
    y = (x.gather(1, i) ** 2).sum()
    (g,) = al.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    assert x.grad.tolist() == [[4, 0, 0, 0], [2, 0, 2, 0], [0, 4, 0, 0]]


@pytest.mark.parametrize("op", ["masked_fill_", "scatter_"])
def test_the_in_place_forms_save_and_free_their_index_too(op):
    def program(lib, change_index):
        x = lib.ones(3, 4, requires_grad=True)
        y = x.exp()  # ExpBackward0 saves its result, y: the in-place op then changes y
        z = y * 1
        if op == "masked_fill_":
            index = lib.tensor([True, False, True, False])
            z.masked_fill_(index, 0.0)
        else:
            index = lib.tensor([[0], [1], [2]])
            z.scatter_(1, index, 0.0)
        node = z.grad_fn
        if change_index:
            index.copy_(~index if index.dtype == lib.bool else index.flip(0))
            return _error(lambda: z.sum().backward()), node
        z.sum().backward()
        return None, node

    err, node = program(al, change_index=True)
    assert err.startswith(MODIFIED)
    _, node = program(al, change_index=False)
    attr = "_saved_mask" if op == "masked_fill_" else "_saved_index"
    assert FREED in _error(lambda: getattr(node, attr))
    if torch is not None:
        err, tnode = program(torch, change_index=True)
        assert err.startswith(MODIFIED)
        _, tnode = program(torch, change_index=False)
        assert FREED in _error(lambda: getattr(tnode, attr))
