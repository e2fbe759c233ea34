"""autograd_lab: reverse-mode automatic differentiation on NumPy, the PyTorch way.

>>> import autograd_lab as al
>>> x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from . import _tensor_methods as _tensor_methods  # binds ops onto Tensor
from . import autograd, library, nn, optim, special
from ._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from ._dtypes import bool, dtype, float32, float64, get_default_dtype, int64, set_default_dtype
from ._ops._args import takes_a_tensor as _takes_a_tensor
from ._ops.conversion import clone, detach
from ._ops.indexing import (
    cat,
    gather,
    index_select,
    masked_fill,
    masked_select,
    scatter,
    stack,
    tril,
    triu,
)
from ._ops.linalg import bmm, dot, matmul, mm, outer
from ._ops.pointwise import (
    abs,
    acos,
    add,
    asin,
    atan,
    clamp,
    cos,
    cosh,
    div,
    eq,
    exp,
    expm1,
    ge,
    gt,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    relu,
    rsqrt,
    rsub,
    sgn,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    where,
)
from ._ops.reductions import (
    amax,
    amin,
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    sum_to_size,
    var,
)
from ._ops.sorting import take_along_dim, topk
from ._ops.views import (
    broadcast_to,
    chunk,
    diagonal,
    expand,
    flatten,
    flip,
    movedim,
    narrow,
    permute,
    repeat,
    reshape,
    roll,
    select,
    split,
    squeeze,
    t,
    tile,
    transpose,
    unbind,
    unsqueeze,
)
from ._tensor import Tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .library.ops_namespace import ops  # al.ops.<ns>.<op>; see Note [al.ops and the ops package]

# ``al.flip("a")`` must say "flip(): argument 'input' (position 1) must be Tensor, not str",
# not fail on ``"a"._data`` inside. These functions read their input's array before any op
# runs, so each is wrapped with that check here (their Tensor methods, whose ``self`` is
# always a Tensor, are not: ``x.flip(0)`` pays nothing). The pointwise ops and reductions
# check their input themselves.
for _name in ("broadcast_to", "chunk", "diagonal", "expand", "flatten", "flip", "gather",
              "index_select", "logical_not", "masked_fill", "masked_select", "movedim", "narrow",
              "permute", "repeat", "reshape", "roll", "scatter", "select", "split", "squeeze",
              "t", "take_along_dim", "tile", "topk", "transpose", "tril", "triu", "unbind",
              "unsqueeze"):
    globals()[_name] = _takes_a_tensor(globals()[_name])
del _name

# The visual layers import graphviz, matplotlib and ipywidgets: loaded on first use
# (``al.viz.draw_graph(...)``), so that ``import autograd_lab`` needs NumPy alone; so are
# the exercises (``al.exercises.progress()``).
_LAZY_SUBMODULES = ("viz", "widgets", "trace", "onnx", "exercises")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


clip = clamp
double = float64
float = float32  # noqa: A001 - mirrors torch.float
long = int64

__version__ = "0.1.0"

__all__ = [
    "Tensor", "autograd", "dtype", "float32", "float64", "int64", "bool", "double", "float",
    "long", "get_default_dtype", "set_default_dtype",
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace",
    "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "randint",
    "rand_like", "randn_like", "manual_seed", "scalar_tensor",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled",
    "add", "sub", "rsub", "mul", "div", "neg", "pow", "exp", "expm1", "log", "log1p", "sqrt",
    "rsqrt", "reciprocal", "square", "abs", "sign", "sgn", "sin", "cos", "tan", "sinh", "cosh",
    "asin", "acos", "atan", "tanh", "sigmoid", "relu", "clamp", "clip", "maximum", "minimum",
    "where",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not",
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "sum_to_size",
    "prod", "var", "std", "logsumexp", "norm", "cumsum", "cumprod",
    "matmul", "mm", "bmm", "dot", "outer",
    "reshape", "transpose", "permute", "t", "expand", "broadcast_to", "squeeze", "unsqueeze",
    "flatten", "movedim", "cat", "stack", "clone", "detach",
    "narrow", "select", "diagonal", "unbind", "split", "chunk", "repeat", "tile", "flip", "roll",
    "gather", "scatter", "index_select", "masked_fill", "masked_select", "triu", "tril",
    "library", "ops", "special", "nn", "optim", "topk", "take_along_dim",
]
