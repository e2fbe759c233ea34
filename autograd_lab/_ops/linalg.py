"""Matrix products: ``mm``, ``bmm``, ``mv``, ``dot`` and ``addmm`` are rows (PyTorch's
``MmBackward0``, ``BmmBackward0``, ``MvBackward0``, ``DotBackward0``, ``AddmmBackward0``);
``matmul`` picks one of them by the operands' dimensions, as PyTorch's ``matmul`` does
(``aten/src/ATen/native/LinearAlgebra.cpp``, ``_matmul_impl``), so its graph is the one
PyTorch builds: ``(B, n, k) @ (B, k, m)`` is ``UnsafeViewBackward0`` over ``BmmBackward0``.

Each row saves an operand only when the OTHER operand's gradient will be computed, since
only that gradient reads it (Note [Saved only when needed] in ``_table.py``).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._apply import apply_op
from ._errors import broadcast_mismatch
from ._kernels import matmul_forward
from ._table import REGISTRY, defop
from .conversion import clone
from .views import expand, reshape, t, transpose, unsqueeze

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "outer", "addmm"]

# PyTorch's names for a dtype: the ScalarType (``Double``) and the C type (``double``).
_TYPE_NAMES = {"float64": ("Double", "double"), "float32": ("Float", "float"),
               "float16": ("Half", "c10::Half"), "int64": ("Long", "long int"),
               "int32": ("Int", "int"), "int16": ("Short", "short int"),
               "int8": ("Char", "signed char"), "uint8": ("Byte", "unsigned char"),
               "bool": ("Bool", "bool")}


def _type_name(t: Tensor, c_name: bool = False) -> str:
    names = _TYPE_NAMES.get(t._data.dtype.name, (t._data.dtype.name,) * 2)
    return names[1] if c_name else names[0]


def _check_tensors(op: str, **args) -> None:
    """PyTorch's TypeError for an argument that is not a Tensor (a list, None, a string):
    wrap it with ``al.tensor(...)`` first."""
    for position, (name, value) in enumerate(args.items(), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__} (wrap it with al.tensor(...))")


def _same_dtype_mm(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_type_name(a, True)} != {_type_name(b, True)} (PyTorch does not promote in "
            "matrix products: convert one with .to(...) first)")


def _same_dtype_bmm(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(a)} but found {_type_name(b)} "
                           "(convert one operand with .to(...) first)")


def _same_dtype_mv(mat: Tensor, vec: Tensor) -> None:
    if mat._data.dtype != vec._data.dtype:
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {_type_name(vec)}, "
            f"{_type_name(mat)}, and {_type_name(vec)} (convert one with .to(...) first)")


def _same_dtype_dot(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_type_name(a)} and {_type_name(b)}")


def _mT(x: Tensor) -> Tensor:  # noqa: N802
    return transpose(x, -2, -1)


def _transposed(x: Tensor) -> Tensor:
    """The transpose PyTorch's matrix formulas take: ``t()`` of a matrix (TBackward0 under
    create_graph), ``transpose(-2, -1)`` of a batch of them (TransposeBackward0)."""
    return t(x) if x.ndim == 2 else transpose(x, -2, -1)


# --- the rows ---------------------------------------------------------------------------
# The 2-D row keeps the name "matmul" (programs show ``ops.matmul``; al.onnx maps it).
@defop("matmul", matmul_forward, inputs=("self", "mat2"), save=("self", "mat2"),
       save_when={"self": "mat2", "mat2": "self"}, node_name="MmBackward0",
       math="grad_self = grad @ mat2ᵀ;  grad_mat2 = selfᵀ @ grad")
def _mm_backward(grad, self, mat2, *, needs_input_grad=(True, True)):
    """C = A @ B gives dA = dC @ Bᵀ and dB = Aᵀ @ dC (for a batch of matrices too: bmm).

    ``self`` is saved only when ``mat2`` needs its gradient, and the other way round;
    a gradient nobody needs is not computed at all.
    """
    want_self, want_mat2 = needs_input_grad
    return (grad @ _transposed(mat2) if want_self else None,
            _transposed(self) @ grad if want_mat2 else None)


MM = REGISTRY["matmul"]

defop("bmm", matmul_forward, inputs=("self", "mat2"), save=("self", "mat2"),
      save_when={"self": "mat2", "mat2": "self"},
      math="grad_self = grad @ mat2ᵀ;  grad_mat2 = selfᵀ @ grad  (per batch)")(_mm_backward)

BMM = REGISTRY["bmm"]


@defop("mv", matmul_forward, inputs=("self", "vec"), save=("self", "vec"),
       save_when={"self": "vec", "vec": "self"},
       math="grad_self = outer(grad, vec);  grad_vec = selfᵀ @ grad")
def _mv_backward(grad, self, vec, *, needs_input_grad=(True, True)):
    """y = A v gives dA = dy vᵀ (an outer product) and dv = Aᵀ dy."""
    want_self, want_vec = needs_input_grad
    return (unsqueeze(grad, -1) * vec if want_self else None,
            mv(t(self), grad) if want_vec else None)


MV = REGISTRY["mv"]


@defop("dot", matmul_forward, inputs=("self", "tensor"), save=("self", "tensor"),
       save_when={"self": "tensor", "tensor": "self"}, runs_on_arrays=True,
       math="grad_self = grad * tensor;  grad_tensor = grad * self")
def _dot_backward(grad, self, tensor, *, needs_input_grad=(True, True)):
    """s = a · b gives da = ds b and db = ds a."""
    return (grad * tensor if needs_input_grad[0] else None,
            grad * self if needs_input_grad[1] else None)


DOT = REGISTRY["dot"]


# Note [matmul's squeeze_]
# PyTorch multiplies a vector by a matrix as ``input.unsqueeze(0).mm(other).squeeze_(0)``:
# the squeeze is in place, on the fresh result of mm, so its node is SqueezeBackward4 (the
# in-place overload) and the result's version is 1. This row is that squeeze_: the same
# formula as squeeze's, a new tensor here (the mm result it replaces is seen by no one), and
# ``vector_matrix`` bumps its version as the in-place write does.
@defop("squeeze_inplace", lambda a, dims, self_shape: np.squeeze(a, axis=dims),
       attrs=("dim", "self_sym_sizes"), node_name="SqueezeBackward4",
       math="grad_self = grad.reshape(self_sym_sizes)  (the dropped size-1 dim put back)")
def _squeeze_inplace_backward(grad, dim, self_sym_sizes):
    return reshape(grad, self_sym_sizes)


SQUEEZE_INPLACE = REGISTRY["squeeze_inplace"]


def vector_matrix(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other`` for a vector and a matrix, as PyTorch runs it (Note [matmul's
    squeeze_])."""
    rows = apply_op(MM, (unsqueeze(input, 0), other))
    out = apply_op(SQUEEZE_INPLACE, (rows,), ((0,), rows._data.shape))
    out._version_counter().bump()
    return out


def _addmm_forward(bias, mat1, mat2):
    out = matmul_forward(mat1, mat2)
    out += bias  # a fresh array; the bias broadcasts along the rows
    return out


@defop("addmm", _addmm_forward, inputs=("self", "mat1", "mat2"), save=("mat1", "mat2"),
       save_when={"mat1": "mat2", "mat2": "mat1"},
       math="grad_self = grad  (summed to self's shape);  grad_mat1 = grad @ mat2ᵀ;  "
            "grad_mat2 = mat1ᵀ @ grad")
def _addmm_backward(grad, mat1, mat2, *, needs_input_grad=(True, True, True)):
    """self + mat1 @ mat2: the bias gets the gradient (the engine sums its broadcast rows
    back), the product's operands as in ``mm``."""
    _, want_mat1, want_mat2 = needs_input_grad
    return (grad,
            grad @ _transposed(mat2) if want_mat1 else None,
            _transposed(mat1) @ grad if want_mat2 else None)


ADDMM = REGISTRY["addmm"]


@defop("unsafe_view", lambda a, size, self_shape: a.reshape(size), attrs=("size", "self_sym_sizes"),
       node_name="UnsafeViewBackward0", math="grad_self = grad.reshape(self_sym_sizes)")
def _unsafe_view_backward(grad, size, self_sym_sizes):
    """A reshape of a product nobody else sees (PyTorch's ``_unsafe_view``): not a view."""
    return reshape(grad, self_sym_sizes)


UNSAFE_VIEW = REGISTRY["unsafe_view"]


def _unsafe_view(product: Tensor, shape: tuple) -> Tensor:
    """Only for a fresh product made here: its result shares that product's memory."""
    return apply_op(UNSAFE_VIEW, (product,), (tuple(shape), product._data.shape))


# --- the functions ------------------------------------------------------------------------
def _cannot_multiply(a_shape: tuple, b_shape: tuple) -> RuntimeError:
    left = "x".join(map(str, a_shape if len(a_shape) > 1 else (1,) + tuple(a_shape)))
    right = "x".join(map(str, b_shape if len(b_shape) > 1 else tuple(b_shape) + (1,)))
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules for 1-D and batched operands,
    built as PyTorch builds it: dot, mv, mm, or (folding or broadcasting the batch
    dimensions) a reshape, mm/mv/bmm, and ``UnsafeViewBackward0``."""
    _check_tensors("matmul", input=input, other=other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise _cannot_multiply(a.shape, b.shape)
    if a.ndim == 2 and b.ndim == 2:  # the common case
        _same_dtype_mm(input, other)
        return apply_op(MM, (input, other))
    if a.ndim == 1 and b.ndim == 1:
        _same_dtype_dot(input, other)
        return apply_op(DOT, (input, other))
    if a.ndim == 2 and b.ndim == 1:
        _same_dtype_mv(input, other)
        return apply_op(MV, (input, other))
    if a.ndim == 1 and b.ndim == 2:
        _same_dtype_mm(input, other)
        return vector_matrix(input, other)
    if a.ndim >= 3 and b.ndim <= 2:  # fold the batch into the rows: one mm (or mv)
        rows = reshape(input, -1, k_a)
        if b.ndim == 1:
            _same_dtype_mv(rows, other)
            return _unsafe_view(apply_op(MV, (rows, other)), a.shape[:-1])
        _same_dtype_mm(rows, other)
        return _unsafe_view(apply_op(MM, (rows, other)), a.shape[:-1] + b.shape[-1:])
    if b.ndim >= 3 and a.ndim <= 2:  # the same, transposed: (otherᵀ @ inputᵀ)ᵀ
        p = b.shape[-1]
        rows = reshape(_mT(other), -1, k_b)
        if a.ndim == 1:
            _same_dtype_mv(rows, input)
            return _unsafe_view(apply_op(MV, (rows, input)), b.shape[:-2] + (p,))
        _same_dtype_mm(rows, input)
        product = apply_op(MM, (rows, _mT(input)))
        return clone(_mT(_unsafe_view(product, b.shape[:-2] + (p, a.shape[0]))))
    mismatch = broadcast_mismatch([a.shape[:-2], b.shape[:-2]])
    if mismatch is not None:
        raise RuntimeError(f"{mismatch} (batch dimensions of matmul, shapes {list(a.shape)} "
                           f"and {list(b.shape)})")
    _same_dtype_bmm(input, other)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n = a.shape[-2] if a.ndim > 1 else 1
    p = b.shape[-1] if b.ndim > 1 else 1
    count = int(np.prod(batch))
    left = reshape(expand(input, *batch, n, k_a), count, n, k_a)
    right = reshape(expand(other, *batch, k_b, p), count, k_b, p)
    shape = tuple(batch) + ((n,) if a.ndim > 1 else ()) + ((p,) if b.ndim > 1 else ())
    return _unsafe_view(apply_op(BMM, (left, right)), shape)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    _check_tensors("mm", input=input, mat2=mat2)
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm takes 2D tensors, got {input.ndim}D)")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (mm takes 2D tensors, got {mat2.ndim}D)")
    if input.shape[1] != mat2.shape[0]:
        raise _cannot_multiply(tuple(input.shape), tuple(mat2.shape))
    _same_dtype_mm(input, mat2)
    return apply_op(MM, (input, mat2))


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    _check_tensors("bmm", input=input, mat2=mat2)
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {input.ndim}D)")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (got {mat2.ndim}D)")
    b, n, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _same_dtype_bmm(input, mat2)
    return apply_op(BMM, (input, mat2))


def mv(input: Tensor, vec: Tensor) -> Tensor:
    _check_tensors("mv", input=input, vec=vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})")
    _same_dtype_mv(input, vec)
    return apply_op(MV, (input, vec))


def dot(input: Tensor, other: Tensor) -> Tensor:
    _check_tensors("dot", input=input, tensor=other)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got "
            f"{input.shape[0]} and {other.shape[0]} elements respectively")
    _same_dtype_dot(input, other)
    return apply_op(DOT, (input, other))


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor) -> Tensor:
    """``input + mat1 @ mat2`` as one node (``F.linear``'s, for a 2-D input)."""
    _check_tensors("addmm", input=input, mat1=mat1, mat2=mat2)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 and mat2 must be matrices (got {mat1.ndim}-D and "
                           f"{mat2.ndim}-D)")
    if mat1.shape[1] != mat2.shape[0]:
        raise _cannot_multiply(tuple(mat1.shape), tuple(mat2.shape))
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_type_name(input)} and {_type_name(mat2)}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_type_name(mat1)} and {_type_name(mat2)}")
    mismatch = broadcast_mismatch([tuple(input.shape), (mat1.shape[0], mat2.shape[1])])
    if mismatch is not None:
        raise RuntimeError(f"{mismatch} (addmm's self must broadcast to the product's shape "
                           f"[{mat1.shape[0]}, {mat2.shape[1]}])")
    return apply_op(ADDMM, (input, mat1, mat2))


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``input[i] * vec2[j]``: PyTorch's graph, a ``MulBackward0`` of two views."""
    _check_tensors("outer", input=input, vec2=vec2)
    for name, tensor in (("self", input), ("vec2", vec2)):
        if tensor.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {tensor.ndim}-D")
    return reshape(input, input.shape[0], 1) * vec2
