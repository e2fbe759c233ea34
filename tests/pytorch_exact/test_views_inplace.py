"""Issue 14 (views, indexing, in-place): autograd_lab behaves as PyTorch.

Each test checks a hand-written expectation, and the same thing in PyTorch when it is
installed (only that comparison is skipped without torch)."""
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _error(fn):
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the error is the result under test
        return type(err), str(err)
    return None, None


# --- item 1: flatten over at most one dim returns the tensor itself -----------------------
@pytest.mark.parametrize("shape, start, end", [((3,), 0, -1), ((2, 3), 1, 1), ((2, 3), -1, -1)])
def test_flatten_over_one_dim_is_the_tensor_itself(shape, start, end):
    x = al.ones(*shape, requires_grad=True)
    y = x.flatten(start, end)
    assert y is x
    assert al.flatten(x, start, end) is x
    assert y.is_leaf and y.grad_fn is None
    if torch is not None:
        t = torch.ones(*shape, requires_grad=True)
        assert t.flatten(start, end) is t


def test_flatten_of_a_leaf_keeps_hooks_and_grad():
    x = al.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    (x.flatten() * 2).sum().backward()
    assert seen == [[2.0, 2.0, 2.0]]
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_flatten_of_a_scalar_and_over_many_dims_still_views():
    assert al.zeros(()).flatten().shape == (1,)
    x = al.ones(2, 3, requires_grad=True)
    y = x.flatten()
    assert y is not x and y.shape == (6,) and y.grad_fn.name() == "ViewBackward0"
    if torch is not None:
        assert torch.ones(2, 3, requires_grad=True).flatten().grad_fn.name() == "ViewBackward0"


# --- item 6: bad indices and shapes give PyTorch's errors ---------------------------------
INDEX_MSG = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
             "are valid indices (got {})")


@pytest.mark.parametrize("index, got", [(1.5, "float"), ({}, "dict"), ((0, 1.5), "float"),
                                        ("a", "str")])
def test_bad_index_gives_pytorchs_index_error(index, got):
    kind, msg = _error(lambda: al.ones(3, 3)[index])
    assert kind is IndexError and msg == INDEX_MSG.format(got)
    assert "numpy" not in msg
    if torch is not None and got != "str":  # PyTorch: TypeError "new(): invalid data type 'str'"
        assert _error(lambda: torch.ones(3, 3)[index]) == (kind, msg)


@pytest.mark.parametrize("shape, got", [("a", "str"), (None, "NoneType"), (1.5, "float")])
def test_reshape_with_a_bad_shape_gives_pytorchs_type_error(shape, got):
    kind, msg = _error(lambda: al.ones(3).reshape(shape))
    assert kind is TypeError
    assert msg == f"reshape(): argument 'shape' (position 1) must be tuple of ints, not {got}"
    if torch is not None:
        assert _error(lambda: torch.ones(3).reshape(shape)) == (kind, msg)


@pytest.mark.parametrize("method", ["reshape", "view", "permute", "expand", "flip", "repeat"])
def test_shape_with_a_string_element_is_a_type_error(method):
    kind, msg = _error(lambda: getattr(al.ones(3), method)([3, "a"]))
    assert kind is TypeError and "tuple of ints" in msg and "str" in msg
    if torch is not None:
        assert _error(lambda: getattr(torch.ones(3), method)([3, "a"]))[0] is TypeError


def test_good_shapes_still_work():
    x = al.ones(6)
    assert x.reshape([2, 3]).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.view(3, -1).shape == (3, 2)
    assert x[1].shape == () and x[True].shape == (1, 6)


# --- item 5: getitem builds PyTorch's chain of view nodes ---------------------------------
def _chain(fn):
    names = []
    while fn is not None and "AccumulateGrad" not in fn.name():
        names.append(fn.name())
        fn = fn.next_functions[0][0]
    return names


GETITEM_CHAINS = [
    ((slice(1, None), 0), ["SelectBackward0", "SliceBackward0"]),
    ((None,), ["UnsqueezeBackward0"]),
    ((Ellipsis, None), ["UnsqueezeBackward0"]),
    ((None, 0), ["SelectBackward0", "UnsqueezeBackward0"]),
    ((slice(None), 0), ["SelectBackward0"]),
    ((Ellipsis, 0), ["SelectBackward0"]),
    (0, ["SelectBackward0"]),
    (slice(None), ["SliceBackward0"]),
    (slice(1, None), ["SliceBackward0"]),
    # one kind of part, several ops: PyTorch's chain, one node per part
    ((0, 1), ["SelectBackward0", "SelectBackward0"]),
    ((0, -1), ["SelectBackward0", "SelectBackward0"]),
    ((0, Ellipsis, 1), ["SelectBackward0", "SelectBackward0"]),
    ((slice(1, None), slice(None, 2)), ["SliceBackward0", "SliceBackward0"]),
    ((slice(1, None), slice(None, None, 2)), ["SliceBackward0", "SliceBackward0"]),
    ((slice(None), slice(None, 2)), ["SliceBackward0"]),
    ((slice(-100, None), 0), ["SelectBackward0", "SliceBackward0"]),  # -100 is not 0
    ((slice(0, 100), 0), ["SelectBackward0"]),  # a stop past the end takes all of it
    ((None, None), ["UnsqueezeBackward0", "UnsqueezeBackward0"]),
    ((None, slice(None), None), ["UnsqueezeBackward0", "UnsqueezeBackward0"]),
    ((0, 0, None), ["UnsqueezeBackward0", "SelectBackward0", "SelectBackward0"]),
    # an index that changes nothing: PyTorch's alias
    (Ellipsis, ["AliasBackward0"]),
    ((), ["AliasBackward0"]),
    ((slice(None), slice(None)), ["AliasBackward0"]),
    ((Ellipsis, slice(None)), ["AliasBackward0"]),
    ((slice(0, 100),), ["AliasBackward0"]),
]


@pytest.mark.parametrize("index, expected", GETITEM_CHAINS)
def test_getitem_node_chain(index, expected):
    assert _chain(al.ones(3, 4, requires_grad=True)[index].grad_fn) == expected
    if torch is not None:
        assert _chain(torch.ones(3, 4, requires_grad=True)[index].grad_fn) == expected


@pytest.mark.parametrize("index", [Ellipsis, (), (slice(None), slice(None))])
def test_an_index_that_changes_nothing_is_an_alias_view(index):
    """``x[...]``: a new tensor over all of x (AliasBackward0), writes reach x."""
    x = al.arange(6.0).view(2, 3).requires_grad_()
    base = x * 1
    y = base[index]
    assert y is not base and y._base is base and y.grad_fn.name() == "AliasBackward0"
    assert y.grad_fn.next_functions[0][0] is base.grad_fn
    y.mul_(2)
    assert base.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    base.sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2
    if torch is not None:
        t = torch.arange(6.0).view(2, 3).requires_grad_()
        tb = t * 1
        ty = tb[index]
        assert ty._base is tb and ty.grad_fn.name() == "AliasBackward0"


@pytest.mark.parametrize("index", [(slice(1, None), 0), (None, 0), (None, slice(None), 1),
                                   (slice(-2, None), -1), (None, -1), (1, 2), (-1, 0),
                                   (slice(1, None), slice(None, None, 2))])
def test_getitem_chain_gradient_and_shared_memory(index):
    x = al.arange(12.0).view(3, 4).requires_grad_()
    y = x[index]
    assert y.tolist() == x.detach().numpy()[index].tolist()
    (y * 3).sum().backward()
    expected = al.zeros(3, 4).numpy()
    expected[tuple(p for p in index if p is not None)] = 3
    assert x.grad.tolist() == expected.tolist()
    where = tuple(p for p in index if p is not None)
    base = al.zeros(3, 4)
    base[index].fill_(7)  # the chain of views writes into base
    assert (base.numpy()[where] == 7).all() and (base.numpy() == 7).sum() == y.numel()


# --- item 2: requires_grad of a multi-output view after a no_grad in-place change ---------
MULTI = {"chunk": lambda x: x.chunk(2)[0], "split": lambda x: x.split(2)[1],
         "unbind": lambda x: x.unbind()[0]}


def _answers(lib, make):
    x = lib.ones(4, requires_grad=True).clone()
    view = make(x)
    with lib.no_grad():
        x.mul_(2)
    return view.requires_grad, _error(lambda: view.grad_fn)[0], _error(lambda: view.is_leaf)[0]


@pytest.mark.parametrize("op", sorted(MULTI))
def test_requires_grad_answers_grad_fn_refuses(op):
    assert _answers(al, MULTI[op]) == (True, RuntimeError, RuntimeError)
    if torch is not None:
        assert _answers(torch, MULTI[op]) == (True, RuntimeError, RuntimeError)


# --- item 4: full self-overlap and fills of an expanded tensor are allowed ------------------
def _overlap_cases(lib):
    def expand_mul():
        x = lib.arange(3.0).view(3, 1)
        x.expand_as(x).mul_(x)
        return x.flatten().tolist()

    def setitem_none():
        x = lib.arange(3.0).view(3, 1)
        x[None] = x
        return x.flatten().tolist()

    def expanded(method, *args):
        def run():
            z = lib.zeros(1, 3)
            getattr(z.expand(2, 3), method)(*args)
            return z.tolist()
        return run

    return {"expand_as.mul_": expand_mul, "x[None] = x": setitem_none,
            "zero_": expanded("zero_"), "fill_": expanded("fill_", 4.0),
            "mul_": expanded("mul_", 2), "add_": expanded("add_", 1)}


OVERLAP_EXPECTED = {"expand_as.mul_": [0.0, 1.0, 4.0], "x[None] = x": [0.0, 1.0, 2.0],
                    "zero_": [[0.0, 0.0, 0.0]], "fill_": [[4.0, 4.0, 4.0]],
                    "mul_": "more than one element", "add_": "more than one element"}


@pytest.mark.parametrize("case", sorted(OVERLAP_EXPECTED))
def test_overlapping_writes_as_pytorch(case):
    def outcome(lib):
        try:
            return _overlap_cases(lib)[case]()
        except RuntimeError as err:
            return "more than one element" if "more than one element" in str(err) else str(err)

    assert outcome(al) == OVERLAP_EXPECTED[case]
    if torch is not None:
        assert outcome(torch) == OVERLAP_EXPECTED[case]


# --- item 7: result layouts: an op then .view(-1) works (or raises) as in PyTorch ----------
def _layout_cases(lib):
    y = lib.arange(24.0).view(2, 3, 4)
    t = y.mT  # a transposed layout (strides 12, 1, 4)
    u = y.permute(2, 0, 1)
    m = lib.tensor([[True, False, True]] * 4)
    i = lib.tensor([1, 0])
    square = lib.arange(4.0).view(2, 2)
    return {
        "square[:, [1, 0]]": lambda: square[:, [1, 0]],
        "square.mT.masked_fill(mask, 0)": lambda: square.mT.masked_fill(lib.tensor(True), 0),
        "y[:, [1, 0]]": lambda: y[:, [1, 0]],
        "y[:, :, [1, 0]]": lambda: y[:, :, [1, 0]],
        "y[:, [0, 1], [1, 2]]": lambda: y[:, [0, 1], [1, 2]],
        "t[:, [1, 0]]": lambda: t[:, [1, 0]],
        "t[..., [1, 0]]": lambda: t[..., [1, 0]],
        "t[t > 3]": lambda: t[t > 3],
        "t.masked_fill(m, 0)": lambda: t.masked_fill(m, 0),
        "t.masked_fill(True, tensor)": lambda: t.masked_fill(lib.tensor(True), lib.tensor(0.0)),
        "t.gather(1, idx)": lambda: t.gather(1, lib.zeros(2, 2, 3, dtype=lib.int64)),
        "t.index_select(1, i)": lambda: t.index_select(1, i),
        "t.triu()": lambda: t.triu(),
        "t.max(1).values": lambda: t.max(1).values,
        "u.min(0).values": lambda: u.min(0).values,
        "t.sum(0)": lambda: t.sum(0),
        "u.sum(1)": lambda: u.sum(1),
        "t.mean(0)": lambda: t.mean(0),
        "t.amax(0)": lambda: t.amax(0),
        "t.prod(0)": lambda: t.prod(0),
        "t.var(0)": lambda: t.var(0),
        "t.logsumexp(0)": lambda: t.logsumexp(0),
        "t.cumsum(1)": lambda: t.cumsum(1),
        "u.cumsum(0)": lambda: u.cumsum(0),
        "t.roll(1, 1)": lambda: t.roll(1, 1),
        "cat([t, t], 1)": lambda: lib.cat([t, t], 1),
        "cat([u, u], 2)": lambda: lib.cat([u, u], 2),
        "stack([t, t], 1)": lambda: lib.stack([t, t], 1),
        # these keep their input's layout in PyTorch: view(-1) raises in both
        "t.flip(0)": lambda: t.flip(0),
        "u.flip(1)": lambda: u.flip(1),
        "t * 2": lambda: t * 2,
        "t.clone()": lambda: t.clone(),
        "t.narrow(1, 0, 2)": lambda: t.narrow(1, 0, 2),
    }


LAYOUT_RAISES = {"t.flip(0)", "u.flip(1)", "t * 2", "t.clone()", "t.narrow(1, 0, 2)"}


@pytest.mark.parametrize("case", sorted(_layout_cases(al)))
def test_view_after_an_op_works_where_pytorch_works(case):
    def outcome(lib):
        return _error(lambda: _layout_cases(lib)[case]().view(-1))[0]

    expected = RuntimeError if case in LAYOUT_RAISES else None
    assert outcome(al) is expected
    if torch is not None:
        assert outcome(torch) is expected


# --- item 8: reshape that must copy is PyTorch's clone, then _unsafe_view ------------------
@pytest.mark.parametrize("make", ["t().reshape(-1)", "t().flatten()", "mT.reshape(3, 2)",
                                  "reshape(-1)", "t().t().reshape(6)", "t()[:2].reshape(-1)",
                                  "mT.reshape(3, 2, 1)", "[:, :2].reshape(4)",
                                  "[:1].reshape(3)"])
def test_reshape_of_a_non_contiguous_tensor_clones_first(make):
    def chain_and_grad(lib):
        x = lib.arange(6.0).view(2, 3).requires_grad_()
        y = eval(f"x{'' if make.startswith('[') else '.'}{make}", {"x": x})  # noqa: S307
        (y * lib.arange(float(y.numel())).view(y.shape)).sum().backward()
        return _chain(y.grad_fn), x.grad.tolist()

    chain, grad = chain_and_grad(al)
    expected = {"t().reshape(-1)": "UnsafeViewBackward0", "t().flatten()": "UnsafeViewBackward0",
                "t()[:2].reshape(-1)": "UnsafeViewBackward0",
                "mT.reshape(3, 2)": "ReshapeAliasBackward0",  # a view, not contiguous
                "mT.reshape(3, 2, 1)": "ReshapeAliasBackward0",
                "[:, :2].reshape(4)": "UnsafeViewBackward0",
                "reshape(-1)": "ViewBackward0", "t().t().reshape(6)": "ViewBackward0",
                "[:1].reshape(3)": "ViewBackward0"}[make]
    assert chain[0] == expected
    assert (chain[1:2] == ["CloneBackward0"]) == (expected == "UnsafeViewBackward0")
    if torch is not None:
        assert (chain, grad) == chain_and_grad(torch)


@pytest.mark.parametrize("dims", [(0, -1), (0, 0), (-1, -1)])
def test_transpose_of_a_zero_dim_tensor_is_a_view_of_it(dims):
    x = al.tensor(2.0, requires_grad=True)
    y = x.transpose(*dims)
    assert y.shape == () and y._base is x and y.grad_fn.name() == "TransposeBackward0"
    if torch is not None:
        t = torch.tensor(2.0, requires_grad=True).transpose(*dims)
        assert t.shape == () and t.grad_fn.name() == "TransposeBackward0"


def _contiguous_story(lib):
    x = lib.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 1
    same = y.contiguous() is y                  # already in C order: the tensor itself
    t = y.mT
    c = t.contiguous()                          # a C-order copy, CloneBackward0
    flat = c.view(-1)                           # which a view can flatten
    flat.sum().backward()
    return (same, t.is_contiguous(), c.is_contiguous(), c.grad_fn.name(),
            flat.detach().tolist(), x.grad.tolist())


def test_contiguous_copies_in_c_order_only_when_needed():
    expected = (True, False, True, "CloneBackward0", [0.0, 3.0, 1.0, 4.0, 2.0, 5.0],
                [[1.0] * 3] * 2)
    assert _contiguous_story(al) == expected
    if torch is not None:
        assert _contiguous_story(torch) == expected


@pytest.mark.parametrize("fast", [True, False])
def test_backward_through_the_transpose_of_a_0d_tensor(fast):
    """transpose(0, -1) of a 0-d tensor is a view of it; backward passes the gradient as it
    is, in both formulas (the NumPy one and the Tensor one)."""
    x = al.tensor(2.0, requires_grad=True)
    with al.autograd.fast_formulas(fast):
        y = (x * 3).transpose(0, -1)
        y.backward()
    assert y.grad_fn.name() == "TransposeBackward0" and x.grad.item() == 3.0
