"""Ops written in NumPy, as PyTorch's ``custom_op_db`` has them (seed 004 runs both dbs).

Their backward is NumPy too, so it cannot be differentiated again: these are the entries
whose second backward must raise "derivative for <op> is not implemented".
"""

from __future__ import annotations

import numpy as np

import autograd_lab as al
from autograd_lab._ops._apply import apply_op
from autograd_lab._ops._table import REGISTRY, defop

from .core import OpInfo, unary_samples


def _row(name, forward, backward_np):
    if name in REGISTRY:
        return REGISTRY[name]

    def backward(grad, self):
        return al.tensor(grad.detach().numpy() * backward_np(self.detach().numpy()),
                         dtype=al.float64)

    backward.__name__ = f"_{name}_backward"
    backward.__doc__ = f"d {name} computed in NumPy: exact once, not differentiable again."
    defop(name, forward, save=("self",), double_backward=False)(backward)
    return REGISTRY[name]


_NUMPY_SIN = _row("numpy_sin", np.sin, np.cos)
_NUMPY_EXP = _row("numpy_exp", np.exp, np.exp)


def numpy_sin(x: al.Tensor) -> al.Tensor:
    return apply_op(_NUMPY_SIN, (x,))


def numpy_exp(x: al.Tensor) -> al.Tensor:
    return apply_op(_NUMPY_EXP, (x,))


CUSTOM_OP_DB = [
    OpInfo("numpy_sin", numpy_sin, unary_samples(), ref=np.sin, supports_gradgrad=False),
    OpInfo("numpy_exp", numpy_exp, unary_samples(), ref=np.exp, supports_gradgrad=False),
]
