"""``F.conv1d``/``F.conv2d`` against PyTorch: values, gradients, second derivatives, the
graph (one ``ConvolutionBackward0`` node and its saved attributes) and float32 staying
float32. Skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close

import autograd_lab as al

torch = pytest.importorskip("torch")
# padding='same' with an even kernel: PyTorch warns that it pads a copy of the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# (id, conv function name, input shape, weight shape, with bias, keyword arguments)
CASES = [
    ("plain", "conv2d", (2, 3, 6, 5), (4, 3, 3, 3), True, {}),
    ("no_bias_padding", "conv2d", (2, 3, 6, 5), (4, 3, 3, 3), False, {"padding": 1}),
    ("all_features", "conv2d", (2, 4, 7, 8), (6, 2, 2, 3), True,
     {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    ("depthwise", "conv2d", (1, 3, 5, 5), (6, 1, 3, 3), True, {"groups": 3, "padding": 1}),
    ("same_even_kernel", "conv2d", (1, 2, 5, 6), (3, 2, 2, 3), True, {"padding": "same"}),
    ("valid_stride3", "conv2d", (2, 2, 8, 7), (3, 2, 2, 2), False,
     {"padding": "valid", "stride": 3}),
    ("unbatched", "conv2d", (3, 5, 5), (2, 3, 2, 2), True, {"stride": 2}),
    ("conv1d", "conv1d", (2, 4, 9), (4, 2, 3), True,
     {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ("conv1d_same_even", "conv1d", (2, 2, 6), (3, 2, 4), False, {"padding": "same"}),
    ("conv1d_unbatched", "conv1d", (2, 6), (3, 2, 3), True, {}),
]
IDS = [case[0] for case in CASES]


def _arrays(case, dtype=np.float64):
    _, _, x_shape, w_shape, with_bias, _ = case
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if with_bias:
        arrays.append(rng.standard_normal(w_shape[0]))
    return [a.astype(dtype) for a in arrays]


def _call(lib, case, tensors):
    _, fn, _, _, _, kwargs = case
    functional = al.nn.functional if lib is al else torch.nn.functional
    bias = tensors[2] if len(tensors) == 3 else None
    return getattr(functional, fn)(tensors[0], tensors[1], bias, **kwargs)


def _leaves(lib, arrays):
    return [lib.tensor(a, requires_grad=True) for a in arrays]


def _node_names(node) -> list[str]:
    """Every node of the graph below ``node`` except the leaves' sinks, depth-first."""
    names, stack, seen = [], [node], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = node.name()
        if not name.endswith("AccumulateGrad"):
            names.append(name)
        stack.extend(fn for fn, _ in node.next_functions)
    return sorted(names)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case):
    arrays = _arrays(case)
    ours, theirs = _leaves(al, arrays), _leaves(torch, arrays)
    out, expected = _call(al, case, ours), _call(torch, case, theirs)
    assert_close(out.detach().numpy(), expected.detach().numpy(), atol=1e-10, rtol=1e-10)
    seed = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    grads = al.autograd.grad(out, ours, al.tensor(seed))
    expected_grads = torch.autograd.grad(expected, theirs, torch.tensor(seed))
    for i, (g, e) in enumerate(zip(grads, expected_grads, strict=True)):
        assert_close(g.numpy(), e.numpy(), atol=1e-10, rtol=1e-10, what=f"gradient {i}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_graph_is_one_convolution_node_like_torch(case):
    arrays = _arrays(case)
    out, expected = _call(al, case, _leaves(al, arrays)), _call(torch, case, _leaves(torch, arrays))
    # unbatched input: Unsqueeze, Convolution, Squeeze; 'same' with an even kernel: a
    # ConstantPadNd before; conv1d without an extra view around the one node
    assert _node_names(out.grad_fn) == _node_names(expected.grad_fn)
    ours, theirs = out.grad_fn, expected.grad_fn
    while ours.name() != "ConvolutionBackward0":  # below the Squeeze of an unbatched call
        ours, theirs = ours.next_functions[0][0], theirs.next_functions[0][0]
    dims = len(ours._saved_stride)
    for attr in ("stride", "padding", "dilation", "groups"):
        expected_value = getattr(theirs, f"_saved_{attr}")
        if isinstance(expected_value, tuple) and len(expected_value) == 1 < dims:
            expected_value *= dims  # padding='valid': PyTorch passes one 0 for all dims
        assert getattr(ours, f"_saved_{attr}") == expected_value, attr
    # three edges, the third empty without bias (None, 0), as PyTorch lists them
    assert len(ours.next_functions) == len(theirs.next_functions) == 3
    if len(arrays) == 2:
        assert ours.next_functions[2] == (None, 0) and theirs.next_functions[2] == (None, 0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_derivatives_match_torch(case):
    """Differentiate <grad(out, inputs, v), u> with respect to the inputs and v."""
    arrays = _arrays(case)

    def second(lib):
        leaves = _leaves(lib, arrays)
        out = _call(lib, case, leaves)
        v = lib.tensor(np.random.default_rng(2).standard_normal(tuple(out.shape)),
                       requires_grad=True)
        firsts = lib.autograd.grad(out, leaves, v, create_graph=True)
        rng = np.random.default_rng(3)
        total = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in firsts)
        wrt = leaves[:2] + [v]  # the bias gradient is linear in v alone
        seconds = lib.autograd.grad(total, wrt, allow_unused=True)
        return [np.zeros(tuple(t.shape)) if s is None else s.detach().numpy()
                for s, t in zip(seconds, wrt, strict=True)]

    for i, (g, e) in enumerate(zip(second(al), second(torch), strict=True)):
        assert_close(g, e, atol=1e-9, rtol=1e-9, what=f"second derivative {i}")


@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[7]], ids=[IDS[1], IDS[2], IDS[7]])
def test_float32_stays_float32_and_matches_torch(case):
    arrays = _arrays(case, np.float32)
    ours, theirs = _leaves(al, arrays), _leaves(torch, arrays)
    out, expected = _call(al, case, ours), _call(torch, case, theirs)
    assert out.dtype == al.float32
    assert_close(out.detach().numpy(), expected.detach().numpy(), atol=1e-5, rtol=1e-5)
    out.relu().sum().backward()
    expected.relu().sum().backward()
    for i, (a, t) in enumerate(zip(ours, theirs, strict=True)):
        assert a.grad.dtype == al.float32, i
        assert_close(a.grad.numpy(), t.grad.numpy(), atol=1e-4, rtol=1e-4, what=f"grad {i}")


def test_only_the_needed_gradients_are_computed_and_match():
    # the input needs no gradient (the first layer of a network): only weight and bias
    arrays = _arrays(CASES[2])
    x = al.tensor(arrays[0])
    w, b = _leaves(al, arrays[1:])
    out = _call(al, CASES[2], [x, w, b])
    out.sum().backward()  # sum's gradient arrives expanded (zero strides)
    tx = torch.tensor(arrays[0])
    tw, tb = _leaves(torch, arrays[1:])
    _call(torch, CASES[2], [tx, tw, tb]).sum().backward()
    assert x.grad is None
    assert_close(w.grad.numpy(), tw.grad.numpy(), atol=1e-10, rtol=1e-10)
    assert_close(b.grad.numpy(), tb.grad.numpy(), atol=1e-10, rtol=1e-10)


def test_empty_batch_matches_torch():
    arrays = [np.zeros((0, 3, 5, 5)), *_arrays(CASES[0])[1:]]
    ours, theirs = _leaves(al, arrays), _leaves(torch, arrays)
    out, expected = _call(al, CASES[0], ours), _call(torch, CASES[0], theirs)
    assert out.shape == tuple(expected.shape) == (0, 4, 3, 3)
    out.sum().backward()
    expected.sum().backward()
    for a, t in zip(ours, theirs, strict=True):
        assert_close(a.grad.numpy(), t.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("padding", [0, 1])
def test_infinite_weight_gives_torch_nans_exactly(padding):
    # The stride-1 input gradient adds each tap over whole padded rows, including a few
    # positions outside the windows whose column gradient is w * 0; an infinite weight
    # would make those nan where PyTorch has finite values (the left columns here), so
    # that case takes the other path (Note [Flat rows] in _ops/conv.py).
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 1, 4, 5)), rng.standard_normal((1, 1, 2, 3))
    w[0, 0, 0, 2] = np.inf

    def input_grad(lib):
        functional = al.nn.functional if lib is al else torch.nn.functional
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w)
        out = functional.conv2d(xt, wt, padding=padding)
        seed = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (g,) = lib.autograd.grad(out, [xt], lib.tensor(seed))
        return g.detach().numpy()

    ours, theirs = input_grad(al), input_grad(torch)
    assert np.isfinite(theirs[..., :2 - padding]).all()
    np.testing.assert_array_equal(ours, theirs)
