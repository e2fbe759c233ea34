"""The derivative-table machinery itself (``_ops/_table.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops._apply import apply_op
from autograd_lab._ops._table import REGISTRY, defop


def _numpy_sin_row():
    name = "test_table_numpy_sin"
    if name in REGISTRY:
        return REGISTRY[name]

    @defop(name, np.sin, save=("self",), double_backward=False)
    def _numpy_sin_backward(grad, self):
        """d sin = cos, computed in NumPy: right once, not differentiable again."""
        return al.tensor(grad.detach().numpy() * np.cos(self.detach().numpy()))

    return REGISTRY[name]


def test_row_without_double_backward_gives_first_derivative():
    x = al.tensor([0.5, 1.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(apply_op(_numpy_sin_row(), (x,)).sum(), x)
    np.testing.assert_allclose(g.numpy(), np.cos([0.5, 1.0]))
    (g,) = al.autograd.grad(apply_op(_numpy_sin_row(), (x,)).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.cos([0.5, 1.0]))


def test_row_without_double_backward_raises_on_the_second():
    x = al.tensor([0.5, 1.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(apply_op(_numpy_sin_row(), (x,)).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for test_table_numpy_sin is not "
                                           "implemented"):
        g.sum().backward()


def test_every_row_names_its_node_like_pytorch():
    import re

    pytorch_exceptions = {"CopyBackwards"}  # copy_'s node really is named so in PyTorch
    for spec in REGISTRY.values():
        if spec.node_cls.__name__ in pytorch_exceptions:
            continue
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*Backward\d", spec.node_cls.__name__), spec
