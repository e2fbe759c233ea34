"""``Parameter``: a Tensor a Module registers as one of its learnable weights."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that ``Module.__setattr__``
    registers, so ``module.parameters()`` finds it. It shares memory with ``data``.

    It is a Tensor subclass (no new slots: as cheap as a Tensor); ops on a Parameter
    return plain Tensors, as in PyTorch.

    >>> import autograd_lab as al
    >>> al.nn.Parameter(al.tensor([1.0, 2.0]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor(np.empty(0, dtype=_dtypes.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        super().__init__(data._data)
        if requires_grad:
            self.requires_grad = True  # the property refuses non-float dtypes

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
