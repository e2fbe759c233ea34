"""Issue 14 (nn): pooling and reflection padding as one node each, and
ConvolutionBackward0's edges, as PyTorch builds them.

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


def _lib(name):
    return torch if name == "torch" else al


def _name(fn):
    return None if fn is None else fn.name().replace("torch::autograd::", "")


def _edges(t):
    return [(_name(fn), i) for fn, i in t.grad_fn.next_functions]


# --- ConvolutionBackward0: three edges, the third empty without bias -----------------------
@pytest.mark.parametrize("lib", LIBS)
def test_convolution_without_bias_lists_an_empty_third_edge(lib):
    L = _lib(lib)
    x = L.ones(1, 2, 4, 4, requires_grad=True)
    w = L.ones(3, 2, 3, 3, requires_grad=True)
    y = L.nn.functional.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert _edges(y) == [("AccumulateGrad", 0), ("AccumulateGrad", 0), (None, 0)]
    y1 = L.nn.functional.conv1d(x[:, :, 0], w[:, :, 0])
    assert [e[0] for e in _edges(y1)][2] is None and len(_edges(y1)) == 3
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(w.grad.detach().numpy())[0, 0], np.full((3, 3), 4.0))
    b = L.zeros(3, requires_grad=True)
    assert [e[0] for e in _edges(L.nn.functional.conv2d(x, w, b))] == ["AccumulateGrad"] * 3
