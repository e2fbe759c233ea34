"""Issue 14 ("PyTorch-exact"), linear algebra and nn: node names, what a node saves,
freeing, and errors, each checked against a hand-written expectation and, where PyTorch
is installed, against PyTorch itself."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops import linalg

F = al.nn.functional

try:
    import torch
except ImportError:  # the hand-written expectations still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def chain(fn, depth=2) -> str:
    """A node's name and its inputs' names, ``depth`` levels down (al or torch)."""
    if fn is None:
        return "None"
    name = fn.name().replace("torch::autograd::", "")
    if depth == 0:
        return name
    return f"{name}({', '.join(chain(f, depth - 1) for f, _ in fn.next_functions)})"


def _make(lib, shapes):
    rng = np.random.default_rng(0)
    out = []
    for shape in shapes:
        data = rng.standard_normal(shape)
        out.append(lib.tensor(data, dtype=lib.float64, requires_grad=True))
    return out


# (op, shapes, the chain PyTorch builds)
GRAPHS = {
    "mm": (lambda a, b: al_or_torch(a).mm(a, b), [(2, 3), (3, 4)],
           "MmBackward0(AccumulateGrad(), AccumulateGrad())"),
    "bmm": (lambda a, b: al_or_torch(a).bmm(a, b), [(2, 2, 3), (2, 3, 4)],
            "BmmBackward0(AccumulateGrad(), AccumulateGrad())"),
    "dot": (lambda a, b: al_or_torch(a).dot(a, b), [(3,), (3,)],
            "DotBackward0(AccumulateGrad(), AccumulateGrad())"),
    "1@1": (lambda a, b: a @ b, [(3,), (3,)], "DotBackward0(AccumulateGrad(), AccumulateGrad())"),
    "2@1": (lambda a, b: a @ b, [(2, 3), (3,)], "MvBackward0(AccumulateGrad(), AccumulateGrad())"),
    "2@2": (lambda a, b: a @ b, [(2, 3), (3, 4)],
            "MmBackward0(AccumulateGrad(), AccumulateGrad())"),
    "3@3": (lambda a, b: a @ b, [(5, 2, 3), (5, 3, 4)],
            "UnsafeViewBackward0(BmmBackward0(ViewBackward0, ViewBackward0))"),
    "4@4": (lambda a, b: a @ b, [(5, 6, 2, 3), (5, 6, 3, 4)],
            "UnsafeViewBackward0(BmmBackward0(ViewBackward0, ViewBackward0))"),
    "3@2": (lambda a, b: a @ b, [(5, 2, 3), (3, 4)],
            "UnsafeViewBackward0(MmBackward0(ViewBackward0, AccumulateGrad))"),
    "3@1": (lambda a, b: a @ b, [(5, 2, 3), (3,)],
            "UnsafeViewBackward0(MvBackward0(ViewBackward0, AccumulateGrad))"),
    "2@3": (lambda a, b: a @ b, [(2, 3), (5, 3, 4)],
            "CloneBackward0(TransposeBackward0(UnsafeViewBackward0))"),
    "linear 2-D": (lambda x, w, b: F_of(x).linear(x, w, b), [(2, 3), (4, 3), (4,)],
                   "AddmmBackward0(AccumulateGrad(), AccumulateGrad(), "
                   "TBackward0(AccumulateGrad))"),
    "linear 3-D": (lambda x, w, b: F_of(x).linear(x, w, b), [(5, 2, 3), (4, 3), (4,)],
                   "ViewBackward0(AddmmBackward0(AccumulateGrad, ViewBackward0, TBackward0))"),
    "linear 1-D": (lambda x, w, b: F_of(x).linear(x, w, b), [(3,), (4, 3), (4,)],
                   "ViewBackward0(AddmmBackward0(AccumulateGrad, ViewBackward0, TBackward0))"),
    "linear no bias": (lambda x, w: F_of(x).linear(x, w), [(2, 3), (4, 3)],
                       "MmBackward0(AccumulateGrad(), TBackward0(AccumulateGrad))"),
}


def al_or_torch(t):
    return al if isinstance(t, al.Tensor) else torch


def F_of(t):  # noqa: N802
    return al.nn.functional if isinstance(t, al.Tensor) else torch.nn.functional


@pytest.mark.parametrize("case", GRAPHS, ids=str)
def test_graph_names(case):
    fn, shapes, expected = GRAPHS[case]
    out = fn(*_make(al, shapes))
    assert chain(out.grad_fn) == expected


@needs_torch
@pytest.mark.parametrize("case", GRAPHS, ids=str)
def test_graph_names_vs_torch(case):
    fn, shapes, expected = GRAPHS[case]
    assert chain(fn(*_make(torch, shapes)).grad_fn) == expected


@pytest.mark.parametrize("case", GRAPHS, ids=str)
def test_graph_values_and_gradients(case):
    fn, shapes, _ = GRAPHS[case]
    inputs = _make(al, shapes)
    out = fn(*inputs)
    out.sum().backward()
    arrays = [t.detach().numpy() for t in inputs]
    if case.startswith("linear"):
        x, w, *b = arrays
        np.testing.assert_allclose(out.detach().numpy(), x @ w.T + (b[0] if b else 0))
        np.testing.assert_allclose(inputs[0].grad.numpy(),
                                   np.ones(out.shape) @ w if x.ndim > 1 else w.sum(0))
    else:
        np.testing.assert_allclose(out.detach().numpy(), np.matmul(*arrays))
    assert al.autograd.gradcheck(fn, tuple(_make(al, shapes)))


# --- saved values: an operand is saved only if the other one's gradient needs it ---------
SAVED = {
    # op, (requires grad per input), the operand names PyTorch saves
    "mm": (lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    "matmul 2-D": (lambda lib, a, b: a @ b, [(2, 3), (3, 4)]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    "dot": (lambda lib, a, b: lib.dot(a, b), [(3,), (3,)]),
    "mv": (lambda lib, a, b: a @ b, [(2, 3), (3,)]),
    "matmul batched": (lambda lib, a, b: a @ b, [(5, 2, 3), (5, 3, 4)]),
    "matmul folded": (lambda lib, a, b: a @ b, [(5, 2, 3), (3, 4)]),
    "linear": (lambda lib, a, b: lib.nn.functional.linear(a, b, lib.ones(4, dtype=lib.float64)),
               [(2, 3), (4, 3)]),
    "linear 3-D": (lambda lib, a, b: lib.nn.functional.linear(a, b, lib.ones(4, dtype=lib.float64)),
                   [(5, 2, 3), (4, 3)]),
}


def _modify_the_constant_after_forward(lib, case, which):
    """``y = op(x, c)`` with one operand constant, the OTHER changed in place afterwards:
    PyTorch saved only the constant, so backward works."""
    fn, shapes = SAVED[case]
    rng = np.random.default_rng(1)
    a, b = (lib.tensor(rng.standard_normal(s), dtype=lib.float64) for s in shapes)
    needs, other = (a, b) if which == 0 else (b, a)
    needs.requires_grad_()
    x = needs * 1.0  # not a leaf: may be changed in place
    y = fn(lib, x, other) if which == 0 else fn(lib, other, x)
    with lib.no_grad():
        x.mul_(2)
    y.sum().backward()
    return needs.grad.numpy() if lib is al else needs.grad.detach().numpy()


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("case", SAVED, ids=str)
def test_an_input_changed_in_place_that_no_gradient_reads(case, which):
    grad = _modify_the_constant_after_forward(al, case, which)
    assert grad.shape == tuple(SAVED[case][1][which])
    if torch is not None:
        np.testing.assert_allclose(grad, _modify_the_constant_after_forward(torch, case, which))


@pytest.mark.parametrize("case", ["mm", "matmul 2-D", "dot", "mv", "bmm"])
def test_an_input_a_gradient_reads_still_raises(case):
    fn, shapes = SAVED[case]
    a, b = (al.randn(*s, requires_grad=True) * 1.0 for s in shapes)
    y = fn(al, a, b)
    with al.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_slots_are_none_when_not_saved():
    x = al.randn(2, 3, requires_grad=True)
    c = al.randn(3, 4)
    node = (x @ c).grad_fn
    assert node._saved_self is None
    assert node._saved_mat2.shape == (3, 4)
    node = al.mm(c.t(), x.t()).grad_fn
    assert node._saved_mat2 is None and node._saved_self.shape == (4, 3)
    if torch is not None:
        tnode = (torch.randn(2, 3, requires_grad=True) @ torch.randn(3, 4)).grad_fn
        assert tnode._saved_self is None and tnode._saved_mat2.shape == (3, 4)


def test_a_node_that_saved_nothing_can_run_twice():
    b = al.randn(4, requires_grad=True)
    y = F.linear(al.randn(2, 3), al.randn(4, 3), b)  # only the bias needs a gradient
    y.sum().backward()
    y.sum().backward()  # nothing was saved, nothing was freed: as in PyTorch
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 4.0))


# --- errors --------------------------------------------------------------------------------
ERRORS = {
    "outer 2-D self": (lambda lib: lib.outer(lib.ones(2, 2), lib.ones(2)),
                       "outer: Expected 1-D argument self, but got 2-D"),
    "outer 2-D vec2": (lambda lib: lib.outer(lib.ones(2), lib.ones(2, 2)),
                       "outer: Expected 1-D argument vec2, but got 2-D"),
    "mm dtypes": (lambda lib: lib.mm(lib.ones(2, 2, dtype=lib.float64), lib.ones(2, 2)),
                  "expected m1 and m2 to have the same dtype, but got: double != float"),
    "matmul int @ float": (lambda lib: lib.ones(2, 2, dtype=lib.int64) @ lib.ones(2, 2),
                           "expected m1 and m2 to have the same dtype, but got: long int != float"),
    "matmul 3-D dtypes": (lambda lib: lib.ones(2, 2, 2, dtype=lib.float64) @ lib.ones(2, 2, 2),
                          "expected scalar type Double but found Float"),
    "bmm dtypes": (lambda lib: lib.bmm(lib.ones(2, 2, 2, dtype=lib.float64), lib.ones(2, 2, 2)),
                   "expected scalar type Double but found Float"),
    "dot dtypes": (lambda lib: lib.dot(lib.ones(2, dtype=lib.float64), lib.ones(2)),
                   "dot : expected both vectors to have same dtype, but found Double and Float"),
    "mv dtypes": (lambda lib: lib.ones(2, 2, dtype=lib.float64) @ lib.ones(2),
                  "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
    "linear dtypes": (lambda lib: lib.nn.functional.linear(lib.ones(2, 2, dtype=lib.float64),
                                                           lib.ones(2, 2), lib.ones(2)),
                      "mat1 and mat2 must have the same dtype, but got Double and Float"),
    "linear bias dtype": (lambda lib: lib.nn.functional.linear(
        lib.ones(2, 2), lib.ones(2, 2), lib.ones(2, dtype=lib.float64)),
        "self and mat2 must have the same dtype, but got Double and Float"),
    "dot sizes": (lambda lib: lib.dot(lib.ones(2), lib.ones(3)),
                  r"inconsistent tensor size, expected tensor \[2\] and src \[3\]"),
    "bmm batch": (lambda lib: lib.bmm(lib.ones(2, 2, 2), lib.ones(3, 2, 2)),
                  r"Expected size for first two dimensions of batch2 tensor to be: \[2, 2\] "
                  r"but got: \[3, 2\]"),
    "bmm 2-D": (lambda lib: lib.bmm(lib.ones(2, 2), lib.ones(2, 2, 2)),
                "batch1 must be a 3D tensor"),
    "mm 1-D": (lambda lib: lib.mm(lib.ones(2), lib.ones(2, 2)), "self must be a matrix"),
}


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_errors(case):
    fn, message = ERRORS[case]
    with pytest.raises(RuntimeError, match=message):
        fn(al)
    if torch is not None:
        with pytest.raises(RuntimeError, match=message):
            fn(torch)


TYPE_ERRORS = {
    "mm str": (lambda lib: lib.mm("a", lib.ones(2, 2)),
               "mm\\(\\): argument 'input' \\(position 1\\) must be Tensor, not str"),
    "matmul None": (lambda lib: lib.matmul(lib.ones(2, 2), None),
                    "matmul\\(\\): argument 'other' \\(position 2\\) must be Tensor, not NoneType"),
    "matmul list": (lambda lib: lib.matmul(lib.ones(2, 2), [[1.0, 2.0], [3.0, 4.0]]),
                    "must be Tensor, not list"),
    "dot list": (lambda lib: lib.dot([1.0], lib.ones(1)), "must be Tensor, not list"),
}


@pytest.mark.parametrize("case", TYPE_ERRORS, ids=str)
def test_type_errors(case):
    fn, message = TYPE_ERRORS[case]
    with pytest.raises(TypeError, match=message):
        fn(al)
    if torch is not None:
        with pytest.raises(TypeError, match=message):
            fn(torch)


def test_mv_and_addmm_functions():
    m, v = al.randn(2, 3, requires_grad=True), al.randn(3, requires_grad=True)
    y = linalg.mv(m, v)
    assert y.grad_fn.name() == "MvBackward0"
    np.testing.assert_allclose(y.detach().numpy(), m.detach().numpy() @ v.detach().numpy(),
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match="size mismatch, got input \\(2\\), mat \\(2x3\\), "
                                           "vec \\(2\\)"):
        linalg.mv(m, al.ones(2))
    b = al.randn(4, requires_grad=True)
    out = linalg.addmm(b, al.randn(2, 3), al.randn(3, 4))
    assert out.grad_fn.name() == "AddmmBackward0"


# --- embedding: one EmbeddingBackward0 that saves the indices and frees them ---------------
def _embedding(lib, padding_idx=None):
    weight = lib.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    indices = lib.tensor([[0, 2], [2, 3]])
    return weight, lib.nn.functional.embedding(indices, weight, padding_idx=padding_idx)


@pytest.mark.parametrize("lib", ["al", "torch"])
@pytest.mark.parametrize("padding_idx", [None, 3, -1])
def test_embedding_graph_gradient_and_second_backward(lib, padding_idx):
    if lib == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    lib = al if lib == "al" else torch
    weight, out = _embedding(lib, padding_idx)
    assert chain(out.grad_fn) == "EmbeddingBackward0(AccumulateGrad())"
    assert out.grad_fn._saved_indices.tolist() == [[0, 2], [2, 3]]
    out.sum().backward()
    expected = [[1.0] * 3, [0.0] * 3, [2.0] * 3, [0.0 if padding_idx is not None else 1.0] * 3]
    assert weight.grad.tolist() == expected
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()


def test_embedding_keeps_its_graph_with_retain_graph_and_differentiates_twice():
    weight, out = _embedding(al)
    (out * out).sum().backward(retain_graph=True)
    (out * out).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy()[1], 0.0)
    w = al.randn(4, 3, dtype=al.float64, requires_grad=True)
    idx = al.tensor([0, 2, 2])
    assert al.autograd.gradgradcheck(lambda w: al.nn.functional.embedding(idx, w) ** 2, (w,))


# --- pooling arguments ------------------------------------------------------------------------
POOL_ERRORS = {
    "kernel 0": (lambda F, x: F.max_pool2d(x, 0), RuntimeError, "stride should not be zero"),
    "avg kernel 0": (lambda F, x: F.avg_pool2d(x, 0), RuntimeError, "stride should not be zero"),
    "stride 0": (lambda F, x: F.max_pool2d(x, 2, 0), RuntimeError, "stride should not be zero"),
    "kernel -1": (lambda F, x: F.max_pool2d(x, -1), RuntimeError,
                  "kernel size should be greater than zero, but got kH: -1 kW: -1"),
    "stride -1": (lambda F, x: F.max_pool2d(x, 2, -1), RuntimeError,
                  "stride should be greater than zero, but got dH: -1 dW: -1"),
    "dilation 0": (lambda F, x: F.max_pool2d(x, 2, dilation=0), RuntimeError,
                   "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    "padding -1": (lambda F, x: F.avg_pool2d(x, 2, padding=-1), RuntimeError,
                   "pad must be non-negative, but got pad: -1"),
    "kernel str": (lambda F, x: F.max_pool2d(x, "2"), TypeError,
                   r"max_pool2d\(\): argument 'kernel_size' \(position 2\) must be tuple of "
                   "ints, not str"),
    "kernel None": (lambda F, x: F.avg_pool2d(x, None), TypeError,
                    "must be tuple of ints, not NoneType"),
    "input list": (lambda F, x: F.max_pool2d([1.0], 2), TypeError,
                   r"max_pool2d\(\): argument 'input' \(position 1\) must be Tensor, not list"),
}


@pytest.mark.parametrize("case", POOL_ERRORS, ids=str)
def test_pooling_argument_errors(case):
    fn, kind, message = POOL_ERRORS[case]
    with pytest.raises(kind, match=message):
        fn(al.nn.functional, al.ones(1, 1, 4, 4))
    if torch is not None:
        with pytest.raises(kind, match=message):
            fn(torch.nn.functional, torch.ones(1, 1, 4, 4))


# --- mse_loss: one MseLossBackward0 that saves both operands -------------------------------
@pytest.mark.parametrize("lib", ["al", "torch"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_node_saves_its_input(lib, reduction):
    if lib == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    lib = al if lib == "al" else torch
    x = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
    t = lib.tensor([0.0, 2.0, 1.0])
    h = x * 1.0
    loss = lib.nn.functional.mse_loss(h, t, reduction=reduction)
    assert chain(loss.grad_fn, 1) == "MseLossBackward0(MulBackward0, None)"
    loss.sum().backward(retain_graph=True)
    scale = 1 / 3 if reduction == "mean" else 1.0
    np.testing.assert_allclose(x.grad.tolist(), [2.0 * scale, 0.0, 6.0 * scale], rtol=1e-6)
    with lib.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.sum().backward()


def test_mse_loss_gradients_broadcast_and_twice():
    F = al.nn.functional
    for reduction in ("mean", "sum", "none"):
        x = al.randn(2, 3, dtype=al.float64, requires_grad=True)
        t = al.randn(3, dtype=al.float64, requires_grad=True)
        with pytest.warns(UserWarning, match="target size"):
            assert al.autograd.gradcheck(
                lambda x, t, r=reduction: F.mse_loss(x, t, reduction=r), (x, t))
        with pytest.warns(UserWarning, match="target size"):
            assert al.autograd.gradgradcheck(
                lambda x, t, r=reduction: F.mse_loss(x, t, reduction=r), (x, t))
    with pytest.raises(TypeError, match="argument 'input' .*must be Tensor, not list"):
        F.mse_loss([1.0], al.ones(1))


# --- layer_norm: one NativeLayerNormBackward0 that saves the input -------------------------
@pytest.mark.parametrize("lib", ["al", "torch"])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_node_saves_its_input(lib, affine):
    if lib == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    lib = al if lib == "al" else torch
    x = lib.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]], requires_grad=True)
    w = lib.tensor([1.0, 2.0, 0.5], requires_grad=True) if affine else None
    b = lib.tensor([0.0, 1.0, -1.0], requires_grad=True) if affine else None
    h = x * 1.0
    y = lib.nn.functional.layer_norm(h, (3,), w, b)
    edges = "MulBackward0, AccumulateGrad, AccumulateGrad" if affine else "MulBackward0, None, None"
    assert chain(y.grad_fn, 1) == f"NativeLayerNormBackward0({edges})"
    (y * y).sum().backward(retain_graph=True)
    # sum(y²) with y = x̂·w + b: by hand, on the NumPy arrays
    xs = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    centred = xs - xs.mean(1, keepdims=True)
    rstd = 1 / np.sqrt((centred ** 2).mean(1, keepdims=True) + 1e-5)
    xhat = centred * rstd
    wv = np.array([1.0, 2.0, 0.5]) if affine else np.ones(3)
    bv = np.array([0.0, 1.0, -1.0]) if affine else np.zeros(3)
    gw = 2 * (xhat * wv + bv) * wv
    expected = rstd * (gw - gw.mean(1, keepdims=True) - xhat * (gw * xhat).mean(1, keepdims=True))
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-4, atol=1e-5)
    with lib.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (y * y).sum().backward()


def test_layer_norm_gradients_twice():
    F = al.nn.functional
    x = al.randn(2, 3, 4, dtype=al.float64, requires_grad=True)
    w = al.randn(3, 4, dtype=al.float64, requires_grad=True)
    b = al.randn(3, 4, dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))
    assert al.autograd.gradgradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))
    assert al.autograd.gradgradcheck(lambda x: F.layer_norm(x, 4, eps=1e-3), (x,))


# --- F.* with an argument that is not a tensor: PyTorch's TypeError, not an AttributeError ---
NOT_TENSORS = {
    "linear input": (lambda F, lib: F.linear([[1.0]], lib.ones(1, 1)),
                     "linear\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"),
    "linear weight": (lambda F, lib: F.linear(lib.ones(2, 3), None),
                      "argument 'weight' \\(position 2\\) must be Tensor, not NoneType"),
    "linear bias": (lambda F, lib: F.linear(lib.ones(2, 3), lib.ones(2, 3), "b"),
                    "linear\\(\\): argument 'bias' \\(position 3\\) must be Tensor, not str"),
    "relu": (lambda F, lib: F.relu(None), "must be Tensor, not NoneType"),
    "cross_entropy target": (lambda F, lib: F.cross_entropy(lib.ones(2, 3), [0, 1]),
                             "argument 'target' \\(position 2\\) must be Tensor, not list"),
    "layer_norm input": (lambda F, lib: F.layer_norm(3, 3),
                         "argument 'input' \\(position 1\\) must be Tensor, not int"),
    "dropout input": (lambda F, lib: F.dropout([1.0]), "must be Tensor, not list"),
    "pad input": (lambda F, lib: F.pad("x", (1, 1)), "must be Tensor, not str"),
}


@pytest.mark.parametrize("case", NOT_TENSORS, ids=str)
def test_functional_arguments_that_are_not_tensors(case):
    fn, message = NOT_TENSORS[case]
    with pytest.raises(TypeError, match=message):
        fn(al.nn.functional, al)
    if torch is not None:
        with pytest.raises(TypeError, match=message):
            fn(torch.nn.functional, torch)


def test_optional_tensor_arguments_may_be_none():
    F = al.nn.functional
    with pytest.raises(TypeError, match="conv2d\\(\\): argument 'weight' \\(position 2\\) must be "
                                        "Tensor, not str"):
        F.conv2d(al.ones(1, 1, 2, 2), "w")
    assert F.conv2d(al.ones(1, 1, 2, 2), al.ones(1, 1, 1, 1), None).shape == (1, 1, 2, 2)
    assert F.linear(input=al.ones(2, 3), weight=al.ones(4, 3), bias=None).shape == (2, 4)
    assert F.nll_loss(al.zeros(2, 3), al.tensor([0, 1]), None).item() == 0.0


SHAPE_ARGUMENTS = {
    "pad None": (lambda F, lib: F.pad(lib.ones(2, 3), None),
                 "pad\\(\\): argument 'pad' \\(position 2\\) must be tuple of ints, not NoneType"),
    "pad int": (lambda F, lib: F.pad(lib.ones(2, 3), 1), "must be tuple of ints, not int"),
    "layer_norm str": (lambda F, lib: F.layer_norm(lib.ones(2, 3), "3"),
                       "layer_norm\\(\\): argument 'normalized_shape' \\(position 2\\) must be "
                       "tuple of ints, not str"),
}


@pytest.mark.parametrize("case", SHAPE_ARGUMENTS, ids=str)
def test_shape_arguments_that_are_not_ints(case):
    fn, message = SHAPE_ARGUMENTS[case]
    with pytest.raises(TypeError, match=message):
        fn(al.nn.functional, al)
    if torch is not None:
        with pytest.raises(TypeError, match=message):
            fn(torch.nn.functional, torch)


def test_conv_stride_must_be_ints_numpy_ints_are_fine():
    F = al.nn.functional
    x, w = al.ones(1, 1, 4, 4), al.ones(1, 1, 1, 1)
    with pytest.raises(TypeError, match="stride must be an int or a tuple of ints, not NoneType"):
        F.conv2d(x, w, stride=None)
    assert F.conv2d(x, w, stride=np.int64(2)).shape == (1, 1, 2, 2)
    assert F.conv2d(x, w, stride=(np.int64(1), 2)).shape == (1, 1, 4, 2)


@pytest.mark.parametrize("lib", ["al", "torch"])
def test_fold_and_im2col_node_names(lib):
    if lib == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    lib = al if lib == "al" else torch
    cols = lib.ones(1, 4, 9, requires_grad=True)
    assert lib.nn.functional.fold(cols, (4, 4), 2).grad_fn.name() == "Col2ImBackward0"
    x = lib.ones(1, 1, 4, 4, requires_grad=True)
    names = []
    fn = lib.nn.functional.unfold(x, 2).grad_fn
    while fn is not None and fn.name() != "torch::autograd::AccumulateGrad" and (
            fn.name() != "AccumulateGrad"):
        names.append(fn.name())
        fn = fn.next_functions[0][0]
    assert "Im2ColBackward0" in names


def _vector_matrix(lib):
    v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = lib.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    y = v @ m
    (y * lib.tensor([1.0, 10.0])).sum().backward()
    return (y.grad_fn.name(), y.grad_fn.next_functions[0][0].name(), y._version,
            y.detach().tolist(), v.grad.tolist(), m.grad.tolist())


def test_vector_times_matrix_ends_with_pytorchs_squeeze_in_place():
    """PyTorch runs v @ m as v.unsqueeze(0).mm(m).squeeze_(0): SqueezeBackward4 over
    MmBackward0, and the result's version is 1 (Note [matmul's squeeze_])."""
    expected = ("SqueezeBackward4", "MmBackward0", 1, [4.0, 5.0], [1.0, 10.0, 11.0],
                [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    assert _vector_matrix(al) == expected
    if torch is not None:
        assert _vector_matrix(torch) == expected
