"""The recorded graph as a learner sees it: ``grad_fn`` names, ``next_functions``,
``AccumulateGrad.variable``, ``_saved_*`` attributes, ``metadata``, and how
``requires_grad``/``is_leaf`` propagate."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arr, close

import autograd_lab as al
from autograd_lab.autograd.graph import AccumulateGrad, Node


@pytest.fixture
def x():
    return al.tensor([1.0, 2.0], requires_grad=True)


@pytest.fixture
def w():
    return al.tensor([3.0, 4.0], requires_grad=True)


# =======================================================================================
# names
@pytest.mark.parametrize(
    "make, name",
    [
        (lambda x, w: x * w, "MulBackward0"),
        (lambda x, w: x * 2.0, "MulBackward0"),
        (lambda x, w: x + w, "AddBackward0"),
        (lambda x, w: x + 1.0, "AddBackward0"),
        (lambda x, w: x - w, "SubBackward0"),
        (lambda x, w: 2.0 - x, "RsubBackward1"),
        (lambda x, w: x / w, "DivBackward0"),
        (lambda x, w: x**2, "PowBackward0"),
        (lambda x, w: x**w, "PowBackward1"),
        (lambda x, w: 2.0**x, "PowBackward2"),
        (lambda x, w: -x, "NegBackward0"),
        (lambda x, w: x.exp(), "ExpBackward0"),
        (lambda x, w: x.sum(), "SumBackward0"),
        (lambda x, w: x.clone(), "CloneBackward0"),
        (lambda x, w: x.reshape(1, 2) @ w.reshape(2, 1), "MmBackward0"),
    ],
)
def test_node_names_are_pytorchs(x, w, make, name):
    out = make(x, w)
    assert isinstance(out.grad_fn, Node)
    assert out.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(out)


def test_accumulate_grad_name_and_variable(x):
    acc = (x * 2.0).grad_fn.next_functions[0][0]
    assert type(acc) is AccumulateGrad
    assert acc.name() == "AccumulateGrad"
    assert acc.variable is x
    assert acc.next_functions == ()


def test_one_accumulate_grad_per_leaf_while_the_graph_lives(x):
    a = x * 2.0
    b = x.exp()
    acc = a.grad_fn.next_functions[0][0]
    assert b.grad_fn.next_functions[0][0] is acc
    y = x * x
    assert y.grad_fn.next_functions == ((acc, 0), (acc, 0))


# =======================================================================================
# next_functions
def test_next_functions_chain(x, w):
    m = x * w
    s = m.sum()
    assert s.grad_fn.next_functions == ((m.grad_fn, 0),)
    (acc_x, nx), (acc_w, nw) = m.grad_fn.next_functions
    assert (nx, nw) == (0, 0)
    assert acc_x.variable is x and acc_w.variable is w


def test_next_functions_none_for_inputs_without_grad(x):
    c = al.tensor([5.0, 6.0])
    left = x * c
    right = c * x
    assert left.grad_fn.next_functions[1] == (None, 0)
    assert right.grad_fn.next_functions[0] == (None, 0)
    assert type(left.grad_fn.next_functions[0][0]) is AccumulateGrad
    assert type(right.grad_fn.next_functions[1][0]) is AccumulateGrad


def test_next_functions_of_a_many_input_op(x, w):
    c = al.tensor([0.0, 0.0])
    out = al.cat([x, c, w])
    nf = out.grad_fn.next_functions
    assert len(nf) == 3
    assert nf[0][0].variable is x
    assert nf[1] == (None, 0)
    assert nf[2][0].variable is w


def test_next_functions_is_a_tuple_of_pairs(x):
    y = (x * 2.0).exp()
    nf = y.grad_fn.next_functions
    assert isinstance(nf, tuple)
    assert all(isinstance(edge, tuple) and len(edge) == 2 for edge in nf)


def test_nodes_can_be_called_by_hand(x, w):
    m = x * w
    gx, gw = m.grad_fn(al.tensor([1.0, 10.0]))
    close(gx, [3.0, 40.0])  # grad * w
    close(gw, [1.0, 20.0])  # grad * x


def test_sequence_numbers_increase_with_creation(x):
    a = x * 2.0
    b = a.exp()
    c = b.sum()
    assert a.grad_fn._sequence_nr < b.grad_fn._sequence_nr < c.grad_fn._sequence_nr


# =======================================================================================
# saved values
def test_saved_self_and_other_are_the_inputs(x, w):
    m = x * w
    assert m.grad_fn._saved_self is x
    assert m.grad_fn._saved_other is w


def test_saved_result_is_the_output_pointing_at_its_node(x):
    e = x.exp()
    r = e.grad_fn._saved_result
    close(r, np.exp([1.0, 2.0]))
    assert r.grad_fn is e.grad_fn  # as PyTorch: the same node, a new Tensor object
    assert np.shares_memory(arr(r), arr(e))


def test_saved_scalar_attributes(x):
    p = x**3
    close(p.grad_fn._saved_self, [1.0, 2.0])
    assert p.grad_fn._saved_exponent == 3
    m = x * 2.5
    assert m.grad_fn._saved_other == 2.5


def test_saved_attributes_listed_by_dir(x, w):
    names = dir((x * w).grad_fn)
    assert "_saved_self" in names and "_saved_other" in names


def test_unknown_saved_attribute_is_an_attribute_error(x):
    with pytest.raises(AttributeError):
        _ = (x * 2.0).grad_fn._saved_nothing_like_this
    assert not hasattr((x + x).grad_fn, "_saved_self")


# =======================================================================================
# metadata
def test_metadata_is_a_persistent_dict_per_node(x):
    a = x * 2.0
    b = a * 3.0
    md = a.grad_fn.metadata
    assert md == {} and isinstance(md, dict)
    md["layer"] = "first"
    assert a.grad_fn.metadata is md
    assert a.grad_fn.metadata["layer"] == "first"
    assert b.grad_fn.metadata == {}
    b.sum().backward()
    assert a.grad_fn.metadata == {"layer": "first"}  # survives backward


def test_metadata_visible_from_a_hook(x):
    y = x * 2.0
    y.grad_fn.metadata["tag"] = "double"
    seen = []
    y.grad_fn.register_prehook(lambda go: seen.append(y.grad_fn.metadata["tag"]))
    y.sum().backward()
    assert seen == ["double"]


# =======================================================================================
# requires_grad and is_leaf
def test_requires_grad_propagates_and_makes_non_leaves(x):
    c = al.tensor([1.0, 1.0])
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert c.is_leaf and not c.requires_grad
    y = x * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = c * c
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None


def test_no_grad_results_are_leaves(x):
    with al.no_grad():
        y = x * 2.0
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_requires_grad_flag_of_a_non_leaf_cannot_change(x):
    y = x * 2.0
    leaf_only = "you can only change requires_grad flags of leaf variables"
    with pytest.raises(RuntimeError, match=leaf_only):
        y.requires_grad = True
    with pytest.raises(RuntimeError, match="use var_no_grad = var.detach\\(\\)"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    assert y.requires_grad_() is y  # as PyTorch: True on a non-leaf is allowed, a no-op
    assert y.requires_grad and y.grad_fn is not None


def test_requires_grad_only_for_floating_point():
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        al.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        al.tensor([1, 2], requires_grad=True)


def test_requires_grad_underscore_returns_self_and_makes_a_leaf():
    t = al.tensor([1.0])
    assert t.requires_grad_() is t
    assert t.requires_grad and t.is_leaf
    (t * 2.0).sum().backward()
    close(t.grad, [2.0])


def test_int_results_of_comparisons_do_not_require_grad(x):
    m = x > 1.5
    assert not m.requires_grad and m.grad_fn is None


# =======================================================================================
# detach
def test_detach_shares_memory_and_leaves_the_graph(x):
    y = x * 2.0
    d = y.detach()
    assert d.grad_fn is None and d.is_leaf and not d.requires_grad
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    d.numpy()[0] = 100.0  # the same memory
    close(y, [100.0, 4.0])
    dx = x.detach()
    assert np.shares_memory(dx.numpy(), x.detach().numpy())
    assert dx._version == x._version


def test_detached_tensor_stops_the_gradient(x):
    y = x * x
    z = (y.detach() * x).sum()  # d/dx treats y as a constant: y = x^2
    z.backward()
    close(x.grad, [1.0, 4.0])


def test_detach_in_place(x):
    y = x * 2.0
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_numpy_refuses_a_tensor_that_requires_grad(x):
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_grad_assignment_checks(x):
    size_msg = r"attempting to assign a gradient of size '\[3\]' to a tensor of size '\[2\]'"
    with pytest.raises(RuntimeError, match=size_msg):
        x.grad = al.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype"):
        x.grad = al.tensor([1.0, 2.0], dtype=al.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = [1.0, 2.0]
    x.grad = al.tensor([5.0, 5.0])
    (x * 1.0).sum().backward()
    close(x.grad, [6.0, 6.0])


def test_assigned_grad_of_a_non_leaf_reads_back_without_warning(x):
    import warnings

    y = x * 2.0
    y.grad = al.tensor([1.0, 1.0])  # PyTorch warns only while .grad is unset
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(y.grad, [1.0, 1.0])


# =======================================================================================
# PyTorch as an oracle
def test_oracle_graph_shape_matches_pytorch():
    torch = pytest.importorskip("torch")

    def describe(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        c = lib.tensor([5.0, 6.0])
        out = ((x * w).exp() + x / c - w).sum()
        lines, seen, stack = [], set(), [out.grad_fn]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            name = "AccumulateGrad" if "AccumulateGrad" in node.name() else node.name()
            edges = tuple(None if fn is None else ("AccumulateGrad" if "AccumulateGrad" in fn.name()
                                                   else fn.name()) for fn, _ in node.next_functions)
            lines.append((name, edges))
            stack.extend(fn for fn, _ in node.next_functions if fn is not None)
        return sorted(lines, key=repr)

    assert describe(al) == describe(torch)


@pytest.mark.parametrize("make", [lambda x: x * 2, lambda x: 2 * x, lambda x: x + 1,
                                  lambda x: x - 1, lambda x: x / 2])
def test_python_number_operand_shows_an_empty_edge_as_pytorch(make):
    """PyTorch wraps the 2 of ``x * 2`` in a tensor: the node has a second edge (None, 0)."""
    x = al.tensor([1.0, 2.0], requires_grad=True)
    edges = make(x).grad_fn.next_functions
    assert len(edges) == 2
    assert edges[0][0].name() == "AccumulateGrad" and edges[0][0].variable is x
    assert edges[1] == (None, 0)


def test_calling_a_node_returns_one_gradient_per_edge_as_pytorch():
    """A tuple with one entry per edge of next_functions (None for a number's edge), or
    the gradient itself for a node with one edge (PyTorch's ``Node.__call__``)."""
    x = al.tensor([1.0, 2.0], requires_grad=True)
    g = al.ones(2)
    scaled = (x * 0.5).grad_fn(g)
    assert isinstance(scaled, tuple) and scaled[1] is None and scaled[0].tolist() == [0.5, 0.5]
    assert (2 - x).grad_fn(g).tolist() == [-1.0, -1.0]  # RsubBackward1: one edge
    np.testing.assert_allclose(x.sin().grad_fn(g).detach().numpy(), np.cos([1.0, 2.0]), rtol=1e-6)
