"""``Linear`` (y = x W^T + b) and ``Identity``."""

from __future__ import annotations

import math

import numpy as np

from ... import _dtypes
from ..._tensor import Tensor
from .. import init
from ..functional import linear
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear", "Identity", "empty_parameter"]


def empty_parameter(shape, dtype=None) -> Parameter:
    """An uninitialised Parameter of ``shape`` (a layer's ``reset_parameters`` fills it)."""
    np_dtype = _dtypes.get_default_dtype().np if dtype is None else _dtypes.to_numpy_dtype(dtype)
    return Parameter(Tensor(np.empty(shape, dtype=np_dtype)))


def reset_kaiming(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default for Linear and Conv: weight ~ U(+-1/sqrt(fan_in)) (kaiming-uniform
    with a=sqrt(5)), bias ~ U(+-1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = math.prod(weight.shape[1:])
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """An affine map x W^T + b: ``weight`` is ``(out_features, in_features)``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter((out_features, in_features), dtype)
        if bias:
            self.bias = empty_parameter((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_kaiming(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input: a placeholder where a layer is optional."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input
