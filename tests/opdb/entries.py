"""The op database: one ``OpInfo`` per public op, grouped by family like ``_ops/``.

Add an entry with every new op: ``tests/test_opdb.py::test_every_public_op_has_an_entry``
fails until you do.
"""

from __future__ import annotations

import numpy as np

import autograd_lab as al

from .core import (
    ErrorInput,
    OpInfo,
    SampleInput,
    arr,
    binary_samples,
    distinct,
    index,
    make,
    mask,
    unary_samples,
)

OP_DB: list[OpInfo] = []
_ERR_RNG = np.random.default_rng(1)  # error samples: values do not matter, shapes do


def register(*infos: OpInfo) -> None:
    OP_DB.extend(infos)


# --- pointwise, one input ----------------------------------------------------------------
_UNARY = [
    # name, NumPy reference, domain (low, high), kinks to avoid, has in-place variant
    ("neg", np.negative, (-2, 2), (), True),
    ("exp", np.exp, (-2, 2), (), True),
    ("expm1", np.expm1, (-2, 2), (), True),
    ("log", np.log, (0.2, 3), (), True),
    ("log1p", np.log1p, (-0.7, 3), (), True),
    ("sqrt", np.sqrt, (0.2, 3), (), True),
    ("rsqrt", lambda a: 1 / np.sqrt(a), (0.2, 3), (), True),
    ("abs", np.abs, (-2, 2), (0.0,), True),
    ("sin", np.sin, (-3, 3), (), True),
    ("cos", np.cos, (-3, 3), (), True),
    ("tan", np.tan, (-1.2, 1.2), (), True),
    ("tanh", np.tanh, (-2, 2), (), True),
    ("sinh", np.sinh, (-2, 2), (), True),
    ("cosh", np.cosh, (-2, 2), (), True),
    ("asin", np.arcsin, (-0.8, 0.8), (), True),
    ("acos", np.arccos, (-0.8, 0.8), (), True),
    ("atan", np.arctan, (-2, 2), (), True),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), (-3, 3), (), True),
    ("relu", lambda a: np.maximum(a, 0), (-2, 2), (0.0,), True),
    ("reciprocal", np.reciprocal, (0.3, 2), (), True),
    ("square", np.square, (-2, 2), (), True),
]
for _name, _ref, (_lo, _hi), _away, _inplace in _UNARY:
    register(OpInfo(_name, getattr(al, _name), unary_samples(_lo, _hi, _away), ref=_ref,
                    method=_name, inplace=f"{_name}_" if _inplace else None))

register(
    OpInfo("sign", al.sign, unary_samples(away_from=(0.0,)), ref=np.sign, method="sign",
           inplace="sign_"),
    OpInfo("sgn", al.sgn, unary_samples(away_from=(0.0,)), ref=np.sign, method="sgn"),
    OpInfo("clamp", al.clamp,
           lambda rng: (SampleInput(make(rng, s, away_from=(-0.5, 0.7)), (),
                                    {"min": -0.5, "max": 0.7}, name=f"shape{list(s)}")
                        for s in [(), (6,), (3, 4)]),
           ref=lambda a, min, max: np.clip(a, min, max), method="clamp", inplace="clamp_"),
)


# --- pointwise, two inputs -----------------------------------------------------------------
def _numpy_binary(fn):
    def ref(a, b):
        return fn(a, b.detach().numpy() if isinstance(b, al.Tensor) else b)

    return ref


register(
    OpInfo("add", al.add, binary_samples(), ref=_numpy_binary(np.add), method="add",
           inplace="add_"),
    OpInfo("sub", al.sub, binary_samples(), ref=_numpy_binary(np.subtract), method="sub",
           inplace="sub_"),
    OpInfo("rsub", al.rsub, binary_samples(),
           ref=lambda a, b: np.subtract(arr(b), a)),
    OpInfo("mul", al.mul, binary_samples(), ref=_numpy_binary(np.multiply), method="mul",
           inplace="mul_"),
    OpInfo("div", al.div, binary_samples(other_low=0.5, other_high=2.0),
           ref=_numpy_binary(np.true_divide), method="div", inplace="div_"),
    # A Python number divided by a tensor: Tensor.__rtruediv__, PyTorch's DivBackward1.
    OpInfo("rdiv", lambda x, number: number / x,
           lambda rng: (SampleInput(make(rng, (4,), 0.5, 2.0), (1.5,), name="python_scalar"),
                        SampleInput(make(rng, (), 0.5, 2.0), (-2.0,), name="zero_dim")),
           ref=lambda a, number: np.true_divide(number, a)),
    OpInfo("pow", al.pow, binary_samples(low=0.5, high=2.0, other_low=-1.5, other_high=2.0),
           ref=_numpy_binary(np.power), method="pow", inplace="pow_"),
    OpInfo("maximum", al.maximum,
           lambda rng: (SampleInput(distinct(rng, (5,)), (distinct(rng, (5,)) + 0.1,), name="same"),
                        SampleInput(distinct(rng, (3, 1)), (distinct(rng, (1, 4)) + 0.05,),
                                    name="broadcast")),
           ref=_numpy_binary(np.maximum), method="maximum"),
    OpInfo("minimum", al.minimum,
           lambda rng: (SampleInput(distinct(rng, (5,)), (distinct(rng, (5,)) + 0.1,), name="same"),
                        SampleInput(distinct(rng, (3, 1)), (distinct(rng, (1, 4)) + 0.05,),
                                    name="broadcast")),
           ref=_numpy_binary(np.minimum), method="minimum"),
)


def _where_samples(rng):
    cond = mask(rng, (3, 4))
    yield SampleInput(make(rng, (3, 4)), (cond, make(rng, (3, 4))), name="same")
    yield SampleInput(make(rng, (3, 1)), (cond, make(rng, (4,))), name="broadcast")
    yield SampleInput(make(rng, ()), (mask(rng, (2, 3)), make(rng, (3,))), name="zero_dim_input")
    yield SampleInput(make(rng, (2, 3)), (mask(rng, (2, 3)), 0.5), name="python_scalar_other")


def _where(input, condition, other):
    return al.where(condition, input, other)


def _where_errors():
    yield ErrorInput(SampleInput(make(_ERR_RNG, (3,)), (index([1, 0, 1]), make(_ERR_RNG, (3,))),
                                 name="int_condition"),
                     RuntimeError, "where expected condition to be a boolean tensor")


register(OpInfo("where", _where, _where_samples, method="where", errors=_where_errors,
                ref=lambda a, condition, other: np.where(arr(condition), a, arr(other))))


# --- reductions ------------------------------------------------------------------------------
def _reduction_samples(rng, empty_dim0=False):
    yield SampleInput(make(rng, (3, 4)), name="all")
    yield SampleInput(make(rng, ()), name="zero_dim")
    for dim, keepdim in [(0, False), (-1, True), ((0, 2), False), (1, True)]:
        yield SampleInput(make(rng, (2, 3, 4)), (), {"dim": dim, "keepdim": keepdim},
                          name=f"dim{dim}_keepdim{keepdim}".replace(" ", ""))
    yield SampleInput(make(rng, (2, 1, 3)), (), {"dim": 1}, name="size1_dim")
    yield SampleInput(make(rng, (0, 3)), (), {"dim": 1}, name="empty_keep_empty")
    if empty_dim0:  # summing nothing gives 0 (a mean of nothing would be nan)
        yield SampleInput(make(rng, (0, 3)), (), {"dim": 0}, name="empty_reduced")


def _reduction_errors():
    yield ErrorInput(SampleInput(make(_ERR_RNG, (2, 3)), (), {"dim": 2}, name="dim_out_of_range"),
                     IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\]")


def _np_reduce(fn):
    def ref(a, dim=None, keepdim=False):
        return fn(a, axis=dim, keepdims=keepdim)

    return ref


register(
    OpInfo("sum", al.sum, lambda rng: _reduction_samples(rng, empty_dim0=True),
           ref=_np_reduce(np.sum), method="sum", errors=_reduction_errors),
    OpInfo("mean", al.mean, _reduction_samples, ref=_np_reduce(np.mean), method="mean",
           errors=_reduction_errors),
)


def _extreme_samples(rng):
    yield SampleInput(distinct(rng, (3, 4)), name="all")
    for dim, keepdim in [(0, False), (-1, True)]:
        yield SampleInput(distinct(rng, (2, 3, 4)), (), {"dim": dim, "keepdim": keepdim},
                          name=f"dim{dim}_keepdim{keepdim}")


def _values_of(fn):
    """max(dim=...) returns (values, indices): the op database checks the values."""

    def op(input, **kwargs):
        out = fn(input, **kwargs)
        return out.values if "dim" in kwargs else out

    op.__name__ = fn.__name__
    return op


register(
    OpInfo("max", _values_of(al.max), _extreme_samples, ref=_np_reduce(np.max), method="max"),
    OpInfo("min", _values_of(al.min), _extreme_samples, ref=_np_reduce(np.min), method="min"),
    OpInfo("amax", al.amax, _extreme_samples, ref=_np_reduce(np.amax), method="amax"),
    OpInfo("amin", al.amin, _extreme_samples, ref=_np_reduce(np.amin), method="amin"),
    OpInfo("argmax", al.argmax, _extreme_samples, ref=_np_reduce(np.argmax), method="argmax",
           differentiable=False),
    OpInfo("argmin", al.argmin, _extreme_samples, ref=_np_reduce(np.argmin), method="argmin",
           differentiable=False),
)


# --- linear algebra ------------------------------------------------------------------------
def _matmul_samples(rng):
    for a, b in [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]:
        yield SampleInput(make(rng, a), (make(rng, b),), name=f"{list(a)}@{list(b)}")


def _np_matmul(a, b):
    return np.matmul(a, b.detach().numpy())


register(
    OpInfo("matmul", al.matmul, _matmul_samples, ref=_np_matmul, method="matmul"),
    OpInfo("mm", al.mm, lambda rng: [SampleInput(make(rng, (3, 4)), (make(rng, (4, 2)),))],
           ref=_np_matmul, method="mm"),
    OpInfo("bmm", al.bmm, lambda rng: [SampleInput(make(rng, (2, 3, 4)), (make(rng, (2, 4, 2)),))],
           ref=_np_matmul, method="bmm"),
    OpInfo("dot", al.dot, lambda rng: [SampleInput(make(rng, (5,)), (make(rng, (5,)),))],
           ref=_np_matmul, method="dot"),
    OpInfo("outer", al.outer, lambda rng: [SampleInput(make(rng, (3,)), (make(rng, (4,)),))],
           ref=lambda a, b: np.outer(a, b.detach().numpy()), method="outer"),
)


# --- shapes ----------------------------------------------------------------------------------
def _shape_op(name, shape, args, ref, method=True, kwargs=None):
    return OpInfo(name, getattr(al, name),
                  lambda rng: [SampleInput(make(rng, shape), args, kwargs or {},
                                           name=f"shape{list(shape)}")],
                  ref=ref, method=name if method else None)


register(
    _shape_op("reshape", (2, 6), ((3, 4),), lambda a, s: a.reshape(s)),
    _shape_op("transpose", (2, 3, 4), (0, 2), lambda a, i, j: np.swapaxes(a, i, j)),
    _shape_op("permute", (2, 3, 4), ((2, 0, 1),), lambda a, p: np.transpose(a, p)),
    _shape_op("t", (3, 4), (), lambda a: a.T),
    _shape_op("expand", (3, 1), ((2, 3, 4),), lambda a, s: np.broadcast_to(a, s)),
    _shape_op("broadcast_to", (3, 1), ((2, 3, 4),), lambda a, s: np.broadcast_to(a, s)),
    _shape_op("squeeze", (3, 1, 4, 1), (), lambda a: np.squeeze(a)),
    # squeeze(dim) and squeeze(dims): PyTorch's SqueezeBackward1 and SqueezeBackward2
    OpInfo("squeeze.dims", al.squeeze,
           lambda rng: [SampleInput(make(rng, (3, 1, 4, 1)), (1,), name="one_dim"),
                        SampleInput(make(rng, (3, 1, 4, 1)), ((1, 3, 0),), name="dims")],
           ref=lambda a, d: np.squeeze(a, axis=tuple(
               i for i in ((d,) if isinstance(d, int) else d) if a.shape[i] == 1))),
    _shape_op("unsqueeze", (3, 4), (1,), lambda a, d: np.expand_dims(a, d)),
    _shape_op("flatten", (2, 3, 4), (), lambda a: a.reshape(-1)),
    _shape_op("movedim", (2, 3, 4), (0, 2), lambda a, s, d: np.moveaxis(a, s, d)),
    _shape_op("sum_to_size", (2, 3, 4), ((3, 1),), lambda a, s: a.sum(axis=(0, 2)).reshape(3, 1)),
    OpInfo("view", lambda x, *shape: x.view(*shape),
           lambda rng: [SampleInput(make(rng, (2, 6)), (3, 4))],
           ref=lambda a, *s: a.reshape(s), method="view"),
    OpInfo("expand_as", lambda x, other: x.expand_as(other),
           lambda rng: [SampleInput(make(rng, (3, 1)),
                                    (make(rng, (2, 3, 4), requires_grad=False),))],
           ref=lambda a, o: np.broadcast_to(a, o.shape), method="expand_as"),
)


def _cat_samples(rng):
    yield SampleInput(make(rng, (2, 3)), (make(rng, (4, 3)),), {"dim": 0}, name="dim0")
    yield SampleInput(make(rng, (2, 3)), (make(rng, (2, 1)),), {"dim": -1}, name="dim-1")


register(
    OpInfo("cat", lambda a, b, dim: al.cat([a, b], dim=dim), _cat_samples,
           ref=lambda a, b, dim: np.concatenate([a, b.detach().numpy()], axis=dim)),
    OpInfo("stack", lambda a, b, dim: al.stack([a, b], dim=dim),
           lambda rng: [SampleInput(make(rng, (2, 3)), (make(rng, (2, 3)),), {"dim": d},
                                    name=f"dim{d}") for d in (0, -1)],
           ref=lambda a, b, dim: np.stack([a, b.detach().numpy()], axis=dim)),
)


def _getitem_samples(rng):
    for key, name in [((1,), "int"), ((slice(1, 3),), "slice"), ((Ellipsis, 0), "ellipsis"),
                        (([0, 2, 0],), "repeated_indices"), ((None, 1), "none")]:
        yield SampleInput(make(rng, (3, 4)), (key,), name=name)


register(OpInfo("__getitem__", lambda x, index: x[index], _getitem_samples,
                ref=lambda a, index: a[index]))


# --- error inputs of the first entries -------------------------------------------------------
def _error(shape, args=(), kwargs=None, *, name, error=RuntimeError, match):
    return ErrorInput(SampleInput(make(_ERR_RNG, shape), tuple(args), kwargs or {}, name=name),
                      error, match)


_EXTRA_ERRORS = {
    "add": [_error((3,), (make(_ERR_RNG, (4,)),), name="shape_mismatch",
                   match="must match the size")],
    "matmul": [_error((3, 4), (make(_ERR_RNG, (3, 4)),), name="inner_dims",
                      match="cannot be multiplied"),
               _error((), (make(_ERR_RNG, (3,)),), name="zero_dim",
                      match="both arguments to matmul need to be at least 1D")],
    "reshape": [_error((2, 6), ((5, 2),), name="wrong_numel",
                       match=r"shape '\[5, 2\]' is invalid for input of size 12"),
                _error((2, 6), ((-1, -1),), name="two_inferred",
                       match="only one dimension can be inferred")],
    "view": [_error((3, 4), (5, 2), name="wrong_numel", match="is invalid for input of size")],
    "expand": [_error((3, 2), ((3, 4),), name="non_singleton",
                      match="must match the existing size")],
    "transpose": [_error((2, 3), (0, 2), name="dim_out_of_range", error=IndexError,
                         match="Dimension out of range")],
    "permute": [_error((2, 3, 4), ((0, 0, 1),), name="duplicate_dims",
                       match="duplicate dims are not allowed"),
                _error((2, 3, 4), ((0, 1),), name="too_few_dims",
                       match="number of dimensions in the tensor input does not match")],
    "t": [_error((2, 3, 4), name="3d", match="expects a tensor with <= 2 dimensions")],
    "cat": [_error((2, 3), (make(_ERR_RNG, (2, 4)),), {"dim": 0}, name="shape_mismatch",
                   match="Sizes of tensors must match except in dimension 0")],
    "stack": [_error((2, 3), (make(_ERR_RNG, (3, 2)),), {"dim": 0}, name="shape_mismatch",
                     match="stack expects each tensor to be equal size")],
    "clamp": [_error((3,), name="no_bounds", match="At least one of 'min' or 'max'")],
}
for _info in OP_DB:
    if _info.name in _EXTRA_ERRORS:
        _info.errors = (lambda items=_EXTRA_ERRORS[_info.name]: iter(items))


# --- the later families: reductions, views, indexing, copies, comparisons, special, F ---------
from .nn_entries import NN_OP_DB  # noqa: E402
from .tensor_entries import TENSOR_OP_DB  # noqa: E402

register(*TENSOR_OP_DB, *NN_OP_DB)


# --- ops written in NumPy (PyTorch's custom_op_db) -----------------------------------------
from .custom_ops import CUSTOM_OP_DB  # noqa: E402 - kept last: they extend the database

register(*CUSTOM_OP_DB)
