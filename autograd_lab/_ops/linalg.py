"""Matrix products. ``matmul`` covers 1-D, 2-D and batched (broadcast) operands."""

from __future__ import annotations

from .._tensor import Tensor
from ._apply import apply_op
from ._errors import broadcast_mismatch
from ._kernels import matmul_forward
from ._table import REGISTRY, defop
from .views import squeeze, transpose, unsqueeze

__all__ = ["matmul", "mm", "bmm", "dot", "outer"]


def _mT(x: Tensor) -> Tensor:  # noqa: N802
    return transpose(x, -2, -1)


@defop("matmul", matmul_forward, inputs=("self", "other"), save=("self", "other"),
       node_name="MmBackward0",
       math=("grad_self = grad @ otherᵀ;  "
             "grad_other = selfᵀ @ grad  (a 1-D operand as a row/column vector)"))
def _matmul_backward(grad, self, other, *, needs_input_grad=(True, True)):
    """C = A @ B gives dA = dC @ B^T and dB = A^T @ dC.

    1-D operands are treated as a row (left) or a column (right) that is then dropped;
    batch dimensions broadcast, and the engine sums them back to each input's shape.
    A gradient nobody needs (say, for a batch of inputs) is not computed at all.
    """
    want_self, want_other = needs_input_grad
    if self.ndim == 1 and other.ndim == 1:
        grad_self = grad * other if want_self else None
        grad_other = grad * self if want_other else None
    elif self.ndim == 1:
        grad_self = squeeze(unsqueeze(grad, -2) @ _mT(other), -2) if want_self else None
        grad_other = unsqueeze(self, -1) @ unsqueeze(grad, -2) if want_other else None
    elif other.ndim == 1:
        grad_self = unsqueeze(grad, -1) @ unsqueeze(other, -2) if want_self else None
        grad_other = squeeze(_mT(self) @ unsqueeze(grad, -1), -1) if want_other else None
    else:
        grad_self = grad @ _mT(other) if want_self else None
        grad_other = _mT(self) @ grad if want_other else None
    return grad_self, grad_other


MATMUL = REGISTRY["matmul"]


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules for 1-D and batched operands."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        left = "x".join(map(str, a.shape if a.ndim > 1 else (1,) + a.shape))
        right = "x".join(map(str, b.shape if b.ndim > 1 else b.shape + (1,)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")
    if a.ndim == 2 and b.ndim == 2:  # the common case: no batch dimensions to check
        return apply_op(MATMUL, (input, other))
    mismatch = broadcast_mismatch([a.shape[:-2], b.shape[:-2]])
    if mismatch is not None:
        raise RuntimeError(f"{mismatch} (batch dimensions of matmul, shapes {list(a.shape)} "
                           f"and {list(b.shape)})")
    return apply_op(MATMUL_ND, (input, other))


# Same formula; PyTorch names the node after the kernel it ran (mm for 2-D @ 2-D).
defop("matmul_nd", matmul_forward, inputs=("self", "other"), save=("self", "other"),
                   node_name="MatmulBackward0",
      math=("grad_self = grad @ otherᵀ;  "
            "grad_other = selfᵀ @ grad  (1-D operands as vectors; batch dims summed)"),
      )(_matmul_backward)


MATMUL_ND = REGISTRY["matmul_nd"]


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2D tensors, got {input.ndim}D and {mat2.ndim}D")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"bmm: expected 3D tensors, got {input.ndim}D and {mat2.ndim}D")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return unsqueeze(input, -1) * unsqueeze(vec2, 0)
