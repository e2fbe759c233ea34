"""Issue 14 (pointwise ops and nn): what PyTorch saves and frees, its node names and graph
structure, and the graphs ``autograd.grad(create_graph=True)`` builds.

Each test states a hand-written expectation that runs without PyTorch, and runs the same
program in PyTorch too where it is installed (``LIBS``), so the expectation is PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover - the torch comparison is optional
    torch = None

LIBS = ["al"] + (["torch"] if torch is not None else [])
SECOND_TIME = "Trying to backward through the graph a second time"


def _lib(name):
    return torch if name == "torch" else al


def _arr(t):
    return t.detach().numpy()


# --- a saved Python number is freed by backward ------------------------------------------
SCALAR_OPS = {
    "x * 2": (lambda x: x * 2, "MulBackward0", 2, [2.0, 2.0]),
    "2 * x": (lambda x: 2 * x, "MulBackward0", 2, [2.0, 2.0]),
    "x * 2.5": (lambda x: x * 2.5, "MulBackward0", 2.5, [2.5, 2.5]),
    "x / 2": (lambda x: x / 2, "DivBackward0", 2, [0.5, 0.5]),
    "x / 0.5": (lambda x: x / 0.5, "DivBackward0", 0.5, [2.0, 2.0]),
    "x.clone().mul_(3)": (lambda x: x.clone().mul_(3), "MulBackward0", 3, [3.0, 3.0]),
    "x.clone().div_(4)": (lambda x: x.clone().div_(4), "DivBackward0", 4, [0.25, 0.25]),
    "div(x, 2, floor)": (lambda x: x.div(2, rounding_mode="floor"), "DivBackward2", 2,
                         [0.0, 0.0]),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", SCALAR_OPS)
def test_a_saved_number_is_freed_by_backward(lib, case):
    m = _lib(lib)
    fn, name, number, grad = SCALAR_OPS[case]
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = fn(x)
    node = y.grad_fn
    assert type(node).__name__ == name
    # the number, saved as PyTorch wraps it: a 0-d int64 / float64 tensor
    saved = node._saved_other
    assert saved.dim() == 0 and saved.item() == number
    assert str(saved.dtype).rsplit(".", 1)[-1] == ("int64" if type(number) is int else "float64")
    assert node._saved_self is None  # the number needs no gradient: self is not saved
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), grad)
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.sum().backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        _ = node._saved_other
    np.testing.assert_allclose(_arr(x.grad), grad)  # the failed backward added nothing


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", ["x * 2", "x / 2", "div(x, 2, floor)"])
def test_a_saved_number_survives_retain_graph(lib, case):
    m = _lib(lib)
    fn, _, _, grad = SCALAR_OPS[case]
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = fn(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), 2 * np.array(grad))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["x + 2", "x - 2", "2 - x", "-x", "x.sign()"])
def test_a_node_without_saved_values_runs_twice(lib, op):
    m = _lib(lib)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y = eval(op)  # noqa: S307 - a fixed list of expressions
    y.sum().backward()
    y.sum().backward()  # nothing was saved, nothing freed: PyTorch allows it
    expected = {"x + 2": 2.0, "x - 2": 2.0, "2 - x": -2.0, "-x": -2.0, "x.sign()": 0.0}[op]
    np.testing.assert_allclose(_arr(x.grad), [expected, expected])


@pytest.mark.parametrize("lib", LIBS)
def test_div_rounding_of_two_tensors_saves_what_it_would_read(lib):
    m = _lib(lib)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    c = m.tensor([2.0, 2.0])
    y = x.div(c, rounding_mode="trunc")
    assert type(y.grad_fn).__name__ == "DivBackward2"
    assert y.grad_fn._saved_self is None  # c needs no gradient
    np.testing.assert_allclose(_arr(y.grad_fn._saved_other), [2.0, 2.0])
    y.sum().backward()
    np.testing.assert_allclose(_arr(x.grad), [0.0, 0.0])
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.sum().backward()
