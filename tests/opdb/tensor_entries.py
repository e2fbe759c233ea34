"""Op database entries for the reductions, view/indexing ops, copies, comparisons and
``al.special`` (the tensor ops added after the first entries in ``entries.py``).

Ops returning several tensors (``unbind``, ``split``, ``chunk``) are entered as they are:
the op returns the tuple, which ``gradcheck`` accepts (``tests/test_opdb.py`` flattens it
for its own checker). ``topk`` returns ``(values, indices)``; the entry checks the values,
as ``_values_of`` does for ``max(dim=...)``.
"""

from __future__ import annotations

import math

import numpy as np

import autograd_lab as al

from .core import ErrorInput, OpInfo, SampleInput, arr, distinct, index, make, mask

TENSOR_OP_DB: list[OpInfo] = []
_ERR_RNG = np.random.default_rng(2)


def _add(*infos: OpInfo) -> None:
    TENSOR_OP_DB.extend(infos)


def _err(shape_or_tensor, args=(), kwargs=None, *, name, error=RuntimeError, match):
    """One ErrorInput; a shape becomes a float64 tensor that requires grad."""
    t = (shape_or_tensor if isinstance(shape_or_tensor, al.Tensor)
         else make(_ERR_RNG, shape_or_tensor))
    return ErrorInput(SampleInput(t, tuple(args), kwargs or {}, name=name), error, match)


def _dim_name(dim, keepdim=None) -> str:
    out = f"dim{dim}".replace(" ", "").replace("(", "").replace(")", "").replace(",", "_")
    return out if keepdim is None else f"{out}_keepdim{keepdim}"


_OUT_OF_RANGE = "Dimension out of range"


# --- reductions ------------------------------------------------------------------------------
def _prod_samples(rng):
    yield SampleInput(make(rng, (3, 4), 0.5, 1.5), name="all")
    yield SampleInput(make(rng, (), 0.5, 1.5), name="zero_dim")
    yield SampleInput(make(rng, (), 0.5, 1.5), (0,), name="zero_dim_dim0")
    for dim, keepdim in [(0, False), (-1, True), (1, False)]:
        yield SampleInput(make(rng, (2, 3, 4), -1.5, 1.5, away_from=(0.0,)), (dim, keepdim),
                          name=_dim_name(dim, keepdim))
    with_zero = make(rng, (3, 4), 0.5, 1.5, requires_grad=False).numpy().copy()
    with_zero[1, 2] = 0.0
    yield SampleInput(al.tensor(with_zero, requires_grad=True), name="all_one_zero")
    yield SampleInput(al.tensor(with_zero, requires_grad=True), (1,), name="dim1_one_zero")
    yield SampleInput(make(rng, (0, 3)), (0,), name="empty_dim0")


def _prod_ref(a, dim=None, keepdim=False):
    return np.prod(a, axis=dim, keepdims=keepdim)


_add(OpInfo("prod", al.prod, _prod_samples, ref=_prod_ref, method="prod",
            errors=lambda: iter([
                _err((2, 3), ((0, 1),), name="tuple_dim", error=TypeError,
                     match="argument 'dim' must be int"),
                _err((2, 3), (2,), name="dim_out_of_range", error=IndexError,
                     match=_OUT_OF_RANGE)])))


def _var_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="all")
    yield SampleInput(make(rng, (3, 4)), (), {"dim": -1, "keepdim": True}, name="dim-1_keepdim")
    yield SampleInput(make(rng, (2, 3, 4)), (), {"dim": (0, 2)}, name="dim0_2")
    yield SampleInput(make(rng, (2, 3, 4)), (), {"dim": 1, "correction": 0}, name="correction0")
    yield SampleInput(make(rng, (1, 5)), (), {"dim": 1, "unbiased": False}, name="size1_unbiased")


def _var_ref(a, dim=None, keepdim=False, correction=None, unbiased=None):
    ddof = 0 if unbiased is False or correction == 0 else 1
    return np.var(a, axis=dim, ddof=ddof, keepdims=keepdim)


def _var_errors():
    yield _err(index([1, 2, 3]), name="int_input",
               match="std and var only support floating point")
    yield _err((2, 3), (), {"dim": 3}, name="dim_out_of_range", error=IndexError,
               match=_OUT_OF_RANGE)


_add(
    OpInfo("var", al.var, _var_samples, ref=_var_ref, method="var", errors=_var_errors),
    OpInfo("std", al.std, _var_samples,
           ref=lambda a, **kw: np.sqrt(_var_ref(a, **kw)), method="std", errors=_var_errors),
)


def _logsumexp_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (0,), name="dim0")
    yield SampleInput(make(rng, (3, 4)), (-1, True), name="dim-1_keepdim")
    yield SampleInput(make(rng, (2, 3, 4)), ((0, 2),), name="dim0_2")
    yield SampleInput(make(rng, ()), (0,), name="zero_dim")
    yield SampleInput(make(rng, (3, 1)), (1,), name="size1_dim")
    # large values: the max is subtracted before exp, so nothing overflows
    yield SampleInput(make(rng, (4,), 700.0, 704.0), (0,), name="large_values")


def _logsumexp_ref(a, dim, keepdim=False):
    m = np.max(a, axis=dim, keepdims=True) if a.ndim else a
    out = np.log(np.sum(np.exp(a - m), axis=dim, keepdims=True)) + m
    return out if keepdim else out.reshape(np.sum(a, axis=dim).shape)


_add(OpInfo("logsumexp", al.logsumexp, _logsumexp_samples, ref=_logsumexp_ref,
            method="logsumexp",
            errors=lambda: iter([_err((2, 3), (2,), name="dim_out_of_range", error=IndexError,
                                      match=_OUT_OF_RANGE)])))


def _norm_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="fro_all")
    yield SampleInput(make(rng, (3, 4), away_from=(0.0,)), (1,), {"dim": -1}, name="p1_dim-1")
    yield SampleInput(make(rng, (2, 3, 4), away_from=(0.0,)), (3,), {"dim": 0, "keepdim": True},
                      name="p3_dim0_keepdim")
    yield SampleInput(make(rng, (3, 4), away_from=(0.0,)), (1.5,), {"dim": (0, 1)},
                      name="p1.5_dims")
    yield SampleInput(make(rng, (4,), away_from=(0.0,)), (0.5,), name="p0.5")
    x = distinct(rng, (3, 4), requires_grad=False).numpy() + 0.05  # no ties in |x|, no zero
    yield SampleInput(al.tensor(x, requires_grad=True), (float("inf"),), {"dim": 1},
                      name="pinf_dim1")
    yield SampleInput(al.tensor(x, requires_grad=True), (float("-inf"),), name="p-inf")
    yield SampleInput(make(rng, ()), name="zero_dim")


def _norm_ref(a, p="fro", dim=None, keepdim=False):
    p = 2.0 if p == "fro" else float(p)
    x = np.abs(a)
    if p == np.inf:
        return np.max(x, axis=dim, keepdims=keepdim)
    if p == -np.inf:
        return np.min(x, axis=dim, keepdims=keepdim)
    return np.sum(x ** p, axis=dim, keepdims=keepdim) ** (1 / p)


_add(OpInfo("norm", al.norm, _norm_samples, ref=_norm_ref, method="norm",
            errors=lambda: iter([
                _err(index([1, 2]), name="int_input", match="Expected a floating point"),
                _err((0, 3), (float("inf"),), name="inf_on_empty",
                     match="cannot compute the inf norm on an empty tensor"),
                _err((2, 3), ("nuc",), name="nuclear", error=NotImplementedError,
                     match="is not implemented")])))


def _scan_samples(low, high, zero=False):
    def samples(rng):
        yield SampleInput(make(rng, (5,), low, high), (0,), name="1d")
        yield SampleInput(make(rng, (3, 4), low, high), (-1,), name="dim-1")
        yield SampleInput(make(rng, (2, 3, 4), low, high), (1,), name="dim1")
        yield SampleInput(make(rng, (), low, high), (0,), name="zero_dim")
        yield SampleInput(make(rng, (0, 3), low, high), (1,), name="empty")
        if zero:
            x = make(rng, (2, 5), low, high, requires_grad=False).numpy().copy()
            x[0, 2] = 0.0
            x[1, 4] = 0.0
            yield SampleInput(al.tensor(x, requires_grad=True), (1,), name="with_zeros")

    return samples


def _scan_ref(fn):
    return lambda a, dim: a.copy() if a.ndim == 0 else fn(a, axis=dim)


def _scan_errors():
    yield _err((2, 3), (2,), name="dim_out_of_range", error=IndexError, match=_OUT_OF_RANGE)


_add(
    OpInfo("cumsum", al.cumsum, _scan_samples(-2, 2), ref=_scan_ref(np.cumsum), method="cumsum",
           errors=_scan_errors),
    OpInfo("cumprod", al.cumprod, _scan_samples(0.5, 1.5, zero=True), ref=_scan_ref(np.cumprod),
           method="cumprod", errors=_scan_errors),
)


# --- slices: narrow, select, diagonal ---------------------------------------------------------
def _narrow_samples(rng):
    yield SampleInput(make(rng, (4, 5)), (0, 1, 2), name="dim0")
    yield SampleInput(make(rng, (4, 5)), (-1, -3, 2), name="neg_dim_neg_start")
    yield SampleInput(make(rng, (4, 5)), (1, 2, 0), name="length0")
    yield SampleInput(make(rng, (2, 1, 3)), (1, 0, 1), name="size1_dim")


def _narrow_ref(a, dim, start, length):
    start = start % a.shape[dim] if start < 0 else start
    return np.take(a, np.arange(start, start + length), axis=dim)


_add(OpInfo("narrow", al.narrow, _narrow_samples, ref=_narrow_ref, method="narrow",
            errors=lambda: iter([
                _err((4, 5), (0, 3, 2), name="too_long", match=r"exceeds dimension size \(4\)"),
                _err((), (0, 0, 1), name="zero_dim", match="cannot be applied to a 0-dim tensor"),
                _err((4, 5), (2, 0, 1), name="bad_dim", error=IndexError,
                     match=_OUT_OF_RANGE)])))


def _select_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (0, 2), name="dim0")
    yield SampleInput(make(rng, (3, 4)), (-1, -1), name="neg_dim_neg_index")
    yield SampleInput(make(rng, (2, 1, 3)), (1, 0), name="size1_dim")
    yield SampleInput(make(rng, (5,)), (0, 3), name="to_zero_dim")


_add(OpInfo("select", al.select, _select_samples,
            ref=lambda a, dim, i: np.take(a, i, axis=dim), method="select",
            errors=lambda: iter([
                _err((3, 4), (1, 4), name="index_out_of_range", error=IndexError,
                     match="index 4 out of range"),
                _err((), (0, 0), name="zero_dim", error=IndexError,
                     match="cannot be applied to a 0-dim tensor")])))


def _diagonal_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="main")
    yield SampleInput(make(rng, (3, 4)), (1,), name="offset1")
    yield SampleInput(make(rng, (3, 4)), (-2,), name="offset-2")
    yield SampleInput(make(rng, (2, 3, 4)), (0, -1, 0), name="neg_dims")
    yield SampleInput(make(rng, (3, 4)), (5,), name="empty_offset")


_add(OpInfo("diagonal", al.diagonal, _diagonal_samples,
            ref=lambda a, offset=0, dim1=0, dim2=1: np.diagonal(a, offset, dim1, dim2),
            method="diagonal",
            errors=lambda: iter([_err((3, 4), (0, 1, -1), name="same_dims",
                                      match="diagonal dimensions cannot be identical")])))


# --- several outputs: unbind, split, chunk ------------------------------------------------
def _unbind_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="dim0")
    yield SampleInput(make(rng, (2, 3, 4)), (-1,), name="dim-1")
    yield SampleInput(make(rng, (2, 1)), (1,), name="size1_dim")


_add(OpInfo("unbind", al.unbind, _unbind_samples,
            ref=lambda a, dim=0: tuple(np.moveaxis(a, dim, 0)), method="unbind",
            errors=lambda: iter([_err((), name="zero_dim", error=IndexError,
                                      match="tensor has no dimensions")])))


def _split_samples(rng):
    yield SampleInput(make(rng, (5, 3)), (2,), name="uneven")
    yield SampleInput(make(rng, (2, 6)), (3, -1), name="even_neg_dim")
    yield SampleInput(make(rng, (2, 4)), ([1, 0, 3],), {"dim": 1}, name="sections_with_empty")


def _split_ref(a, size_or_sections, dim=0):
    n = a.shape[dim]
    if isinstance(size_or_sections, int):
        cuts = list(range(size_or_sections, n, size_or_sections))
    else:
        cuts = list(np.cumsum(size_or_sections)[:-1])
    return tuple(np.split(a, cuts, axis=dim))


_add(OpInfo("split", al.split, _split_samples, ref=_split_ref, method="split",
            errors=lambda: iter([
                _err((2, 4), ([1, 2],), {"dim": 1}, name="bad_sections",
                     match="expects split_sizes to sum exactly to 4"),
                _err((4,), (-1,), name="negative_size",
                     match="split_size be non-negative")])))


def _chunk_samples(rng):
    yield SampleInput(make(rng, (5, 3)), (2,), name="uneven")
    yield SampleInput(make(rng, (2, 6)), (3, -1), name="even_neg_dim")
    yield SampleInput(make(rng, (2, 2)), (4, 1), name="fewer_than_asked")


def _chunk_ref(a, chunks, dim=0):
    return _split_ref(a, -(-a.shape[dim] // chunks), dim)


_add(OpInfo("chunk", al.chunk, _chunk_samples, ref=_chunk_ref, method="chunk",
            errors=lambda: iter([_err((4,), (0,), name="zero_chunks",
                                      match="expects `chunks` to be greater than 0")])))


# --- copies that rearrange elements: repeat, tile, flip, roll ---------------------------------
def _repeat_ref(a, *repeats):
    repeats = tuple(repeats[0]) if len(repeats) == 1 and not isinstance(repeats[0], int) \
        else repeats
    return np.tile(a.reshape((1,) * (len(repeats) - a.ndim) + a.shape), repeats)


_add(
    OpInfo("repeat", lambda x, *r: x.repeat(*r),
           lambda rng: [SampleInput(make(rng, (2, 3)), (2, 1), name="same_ndim"),
                        SampleInput(make(rng, (2, 1)), (2, 1, 3), name="new_lead_dim"),
                        SampleInput(make(rng, ()), ((3,),), name="zero_dim_tuple"),
                        SampleInput(make(rng, (2, 3)), (0, 1), name="zero_repeat")],
           ref=_repeat_ref, method="repeat",
           errors=lambda: iter([_err((2, 3), (2,), name="too_few_repeats",
                                     match="can not be smaller than number of dimensions")])),
    OpInfo("tile", al.tile,
           lambda rng: [SampleInput(make(rng, (2, 3)), ((2,),), name="fewer_dims"),
                        SampleInput(make(rng, (2, 3)), (2, 1, 2), name="more_dims")],
           ref=lambda a, *d: np.tile(a, d[0] if len(d) == 1 else d), method="tile"),
)


def _flip_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (0,), name="dim0")
    yield SampleInput(make(rng, (2, 3, 4)), ((0, -1),), name="two_dims_neg")
    yield SampleInput(make(rng, ()), ((),), name="zero_dim")


_add(OpInfo("flip", al.flip, _flip_samples,
            ref=lambda a, *d: np.flip(a, axis=d[0] if len(d) == 1 else d), method="flip",
            errors=lambda: iter([_err((3, 4), ((0, -2),), name="repeated_dim",
                                      match="appears multiple times")])))


def _roll_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (1,), name="flattened")
    yield SampleInput(make(rng, (3, 4)), ((1, -2), (0, -1)), name="two_dims")
    yield SampleInput(make(rng, (5,)), (7, 0), name="shift_past_size")


_add(OpInfo("roll", al.roll, _roll_samples,
            ref=lambda a, shifts, dims=None: np.roll(a, shifts, axis=dims), method="roll",
            errors=lambda: iter([_err((3, 4), ((1, 2), (0,)), name="misaligned",
                                      match="shifts and dimensions must align")])))


# --- indexing: gather, scatter, index_select, take_along_dim, masks, triangles ---------------
def _gather_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (1, index([[0, 0], [1, 3], [3, 3]])),
                      name="dim1_repeated")
    yield SampleInput(make(rng, (3, 4)), (-2, index([[2, 0, 2, 2], [0, 0, 1, 0]])),
                      name="neg_dim_repeated")
    yield SampleInput(make(rng, (3, 4)), (0, index([[1, 2]])), name="smaller_index")
    yield SampleInput(make(rng, ()), (0, index(0)), name="zero_dim")


def _gather_ref(a, dim, idx):
    i = arr(idx)
    if a.ndim == 0:
        return a.copy()
    return np.take_along_axis(_crop(a, i.shape, dim), i, axis=dim)


def _crop(a, shape, dim):
    """``a`` cut to ``shape`` in every dim but ``dim`` (gather/scatter use that block)."""
    dim = None if dim is None else dim % a.ndim
    return a[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(shape))]


_add(OpInfo("gather", al.gather, _gather_samples, ref=_gather_ref, method="gather",
            errors=lambda: iter([
                _err((3, 4), (1, index([[0, 4]])), name="index_out_of_bounds",
                     match="out of bounds"),
                _err((3, 4), (1, index([0, 1])), name="fewer_index_dims",
                     match="Index tensor must have the same number of dimensions"),
                _err((3, 4), (1, make(_ERR_RNG, (3, 1))), name="float_index",
                     match="gather")])))


def _scatter_samples(rng):
    # the indices of a column are distinct: with repeats, which value wins is undefined
    yield SampleInput(make(rng, (3, 4)), (0, index([[2, 0, 1, 2], [0, 1, 2, 1]]),
                                          make(rng, (2, 4))), name="dim0_src")
    yield SampleInput(make(rng, (3, 4)), (-1, index([[3], [0], [2]]), make(rng, (3, 2))),
                      name="neg_dim_larger_src")
    yield SampleInput(make(rng, (3, 4)), (1, index([[0, 2], [1, 3]])), {"value": 0.5},
                      name="value")


def _scatter_ref(a, dim, idx, src=None, value=None):
    out = a.copy()
    i = arr(idx)
    values = np.asarray(value) if src is None else _crop(arr(src), i.shape, None)
    np.put_along_axis(_crop(out, i.shape, dim), i, values, axis=dim)  # a view: writes to out
    return out


_add(OpInfo("scatter", al.scatter, _scatter_samples, ref=_scatter_ref, method="scatter",
            inplace="scatter_",
            errors=lambda: iter([
                _err((3, 4), (0, index([[3, 0]]), make(_ERR_RNG, (1, 2))),
                     name="index_out_of_bounds", match="out of bounds"),
                _err((3, 4), (0, index([[1, 0]]), index([[1, 2]])), name="src_dtype",
                     match="Expected self.dtype to be equal to src.dtype"),
                _err((3, 4), (0, index([[1, 0]])), name="no_src", error=TypeError,
                     match="missing 1 required argument")])))


def _index_select_samples(rng):
    yield SampleInput(make(rng, (4, 3)), (0, index([2, 0, 2])), name="dim0_repeated")
    yield SampleInput(make(rng, (2, 4)), (-1, index([1, 1, 3])), name="neg_dim_repeated")
    yield SampleInput(make(rng, (4, 3)), (1, index([], )), name="empty_index")
    yield SampleInput(make(rng, ()), (0, index([0])), name="zero_dim")


def _index_select_ref(a, dim, idx):
    return a.copy() if a.ndim == 0 else np.take(a, arr(idx), axis=dim)


_add(OpInfo("index_select", al.index_select, _index_select_samples, ref=_index_select_ref,
            method="index_select",
            errors=lambda: iter([
                _err((4, 3), (0, index([[0, 1]])), name="matrix_index", error=IndexError,
                     match="Index is supposed to be a vector"),
                _err((4, 3), (0, index([4])), name="index_out_of_range", error=IndexError,
                     match="index out of range in self")])))


def _take_along_dim_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (index([[0, 0], [3, 1], [2, 2]]), 1),
                      name="dim1_repeated")
    yield SampleInput(make(rng, (3, 4)), (index([[2, 2, 0, 1]]), -2), name="neg_dim_repeated")


_add(OpInfo("take_along_dim", al.take_along_dim, _take_along_dim_samples,
            ref=lambda a, idx, dim: np.take_along_axis(a, arr(idx), axis=dim),
            method="take_along_dim"))


def _topk_samples(rng):
    yield SampleInput(distinct(rng, (3, 5)), (2,), name="k2_last_dim")
    yield SampleInput(distinct(rng, (4, 3)), (1,), {"dim": 0, "largest": False},
                      name="k1_dim0_smallest")
    yield SampleInput(distinct(rng, (6,)), (0,), name="k0")


def _topk_values(input, k, **kwargs):
    return al.topk(input, k, **kwargs).values


def _topk_ref(a, k, dim=-1, largest=True):
    order = np.argsort(-a if largest else a, axis=dim, kind="stable")
    return np.take_along_axis(a, np.take(order, np.arange(k), axis=dim), axis=dim)


_add(OpInfo("topk", _topk_values, _topk_samples, ref=_topk_ref, method="topk",
            errors=lambda: iter([_err((3, 5), (6,), name="k_too_large",
                                      match="selected index k out of range")])))


def _masked_fill_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (mask(rng, (3, 4)), -1.5), name="same_shape")
    yield SampleInput(make(rng, (3, 4)), (mask(rng, (4,)), 2.0), name="broadcast_mask")
    yield SampleInput(make(rng, (3, 4)), (mask(rng, (3, 1)), make(rng, ())),
                      name="zero_dim_tensor_value")


def _masked_errors(op):
    def errors():
        yield _err((3, 4), (index([[1, 0, 1, 0]]), 0.0)[:2 if op == "masked_fill" else 1],
                   name="int_mask", match="boolean masks" if op == "masked_fill"
                   else "expected BoolTensor for mask")
        yield _err((3, 4), (mask(_ERR_RNG, (3,)), 0.0)[:2 if op == "masked_fill" else 1],
                   name="mask_shape", match="must match the size")

    return errors


_add(OpInfo("masked_fill", al.masked_fill, _masked_fill_samples,
            ref=lambda a, m, value: np.where(arr(m), arr(value), a), method="masked_fill",
            inplace="masked_fill_", errors=_masked_errors("masked_fill")))


def _masked_select_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (mask(rng, (3, 4)),), name="same_shape")
    yield SampleInput(make(rng, (3, 4)), (mask(rng, (1, 4)),), name="broadcast_mask")
    yield SampleInput(make(rng, (4,)), (mask(rng, (2, 4)),), name="broadcast_input")


def _masked_select_ref(a, m):
    a, m = np.broadcast_arrays(a, arr(m))
    return a[m]


_add(OpInfo("masked_select", al.masked_select, _masked_select_samples, ref=_masked_select_ref,
            method="masked_select", errors=_masked_errors("masked_select")))


def _triangle_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="main")
    yield SampleInput(make(rng, (3, 4)), (1,), name="diag1")
    yield SampleInput(make(rng, (4, 3)), (-1,), name="diag-1")
    yield SampleInput(make(rng, (2, 3, 3)), name="batched")


for _name, _fn in (("triu", np.triu), ("tril", np.tril)):
    _add(OpInfo(_name, getattr(al, _name), _triangle_samples,
                ref=lambda a, k=0, _fn=_fn: _fn(a, k), method=_name, inplace=f"{_name}_",
                errors=lambda _name=_name: iter([_err((4,), name="one_dim",
                                                      match="at least 2 dimensions")])))


# --- copies, conversions, overwriting ---------------------------------------------------------
def _clone_samples(rng):
    yield SampleInput(make(rng, (3, 4)), name="2d")
    yield SampleInput(make(rng, ()), name="zero_dim")
    yield SampleInput(make(rng, (3, 4)).t(), name="non_contiguous")


_add(
    OpInfo("clone", al.clone, _clone_samples, ref=np.copy, method="clone"),
    # a copy in C order when the input is not (the non_contiguous sample), else the input
    OpInfo("contiguous", lambda x: x.contiguous(), _clone_samples, ref=lambda a: a.copy(),
           method="contiguous"),
    # float64 -> float64 only: finite differences need float64 on both sides; the
    # conversions themselves are tested in tests/test_tensor.py.
    OpInfo("to", lambda x, *args, **kwargs: x.to(*args, **kwargs),
           lambda rng: [SampleInput(make(rng, (3,)), (al.float64,), name="same_dtype"),
                        SampleInput(make(rng, (2, 3)), ("cpu", al.float64),
                                    name="device_and_dtype")],
           ref=lambda a, *args, **kwargs: a, method="to",
           errors=lambda: iter([_err((3,), ("cuda",), name="cuda",
                                     match="runs on the CPU only")])),
    OpInfo("detach", al.detach, lambda rng: [SampleInput(make(rng, (3,)), name="1d")],
           ref=lambda a: a, method="detach", differentiable=False),
    # the in-place-only methods: the entry's op is the method on a copy
    OpInfo("zero_", lambda x: x.clone().zero_(),
           lambda rng: [SampleInput(make(rng, (3, 4)), name="2d"),
                        SampleInput(make(rng, ()), name="zero_dim")],
           ref=np.zeros_like, inplace="zero_"),
    OpInfo("fill_", lambda x, value: x.clone().fill_(value),
           lambda rng: [SampleInput(make(rng, (3, 4)), (1.25,), name="number"),
                        SampleInput(make(rng, (3, 4)), (make(rng, ()),), name="zero_dim_tensor")],
           ref=lambda a, value: np.full_like(a, arr(value)), inplace="fill_",
           errors=lambda: iter([_err((3,), (make(_ERR_RNG, (3,)),), name="1d_value",
                                     match="fill_ only supports 0-dimension value tensor")])),
    OpInfo("copy_", lambda x, src: x.clone().copy_(src),
           lambda rng: [SampleInput(make(rng, (3, 4)), (make(rng, (3, 4)),), name="same"),
                        SampleInput(make(rng, (3, 4)), (make(rng, (4,)),), name="broadcast_src"),
                        SampleInput(make(rng, (3,)), (0.5,), name="number")],
           ref=lambda a, src: np.broadcast_to(arr(src), a.shape).copy(), inplace="copy_"),
)


# --- comparisons and logic: no gradient ---------------------------------------------------------
def _compare_samples(rng):
    a = distinct(rng, (3, 4), requires_grad=False).numpy()
    yield SampleInput(al.tensor(a, requires_grad=True),
                      (al.tensor(np.where(rng.uniform(size=a.shape) > 0.5, a, -a)),), name="same")
    yield SampleInput(make(rng, (3, 1)), (make(rng, (1, 4)),), name="broadcast")
    yield SampleInput(make(rng, (4,)), (0.0,), name="python_scalar")
    yield SampleInput(make(rng, ()), (make(rng, (2,)),), name="zero_dim_input")


def _compare_errors(name):
    return lambda: iter([_err((3,), (make(_ERR_RNG, (4,)),), name="shape_mismatch",
                              match=f"must match the size.*in {name}")])


for _name, _np_fn in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    _add(OpInfo(_name, getattr(al, _name), _compare_samples,
                ref=lambda a, b, _f=_np_fn: _f(a, arr(b)), method=_name, differentiable=False,
                errors=_compare_errors(_name)))


def _logical_samples(rng):
    yield SampleInput(mask(rng, (3, 4)), (mask(rng, (3, 4)),), name="bool")
    yield SampleInput(mask(rng, (3, 1)), (mask(rng, (4,)),), name="broadcast")
    yield SampleInput(make(rng, (4,)), (index([0, 1, 2, 0]),), name="numbers")


for _name, _np_fn in (("logical_and", np.logical_and), ("logical_or", np.logical_or)):
    _add(OpInfo(_name, getattr(al, _name), _logical_samples,
                ref=lambda a, b, _f=_np_fn: _f(a, arr(b)), differentiable=False,
                errors=_compare_errors(_name)))

_add(OpInfo("logical_not", al.logical_not,
            lambda rng: [SampleInput(mask(rng, (3, 4)), name="bool"),
                         SampleInput(make(rng, (4,)), name="numbers")],
            ref=np.logical_not, method="logical_not", differentiable=False))


# --- al.special -----------------------------------------------------------------------------
_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erfinv_ref(y):
    """Bisection on math.erf (independent of the Newton iteration under test)."""
    lo, hi = np.full(np.shape(y), -6.0), np.full(np.shape(y), 6.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        low = _math_erf(mid) < y
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return (lo + hi) / 2


def _special_samples(low, high):
    def samples(rng):
        for shape in [(), (5,), (3, 4)]:
            yield SampleInput(make(rng, shape, low, high), name=f"shape{list(shape)}")

    return samples


_add(
    OpInfo("special.erf", al.special.erf, _special_samples(-2.5, 2.5), ref=_math_erf,
           method="erf"),
    OpInfo("special.erfinv", al.special.erfinv, _special_samples(-0.9, 0.9), ref=_erfinv_ref,
           method="erfinv"),
)


def _index_put_samples(rng):
    yield SampleInput(make(rng, (3, 4)), ((index([2, 0]),), make(rng, (2, 4))), name="rows")
    yield SampleInput(make(rng, (3, 4)), ((index([0, 2, 0]), index([1, 3, 1])),
                                          make(rng, (3,))), {"accumulate": True},
                      name="accumulate_repeated")
    yield SampleInput(make(rng, (3, 4)), ((index([1]),), make(rng, ())), name="broadcast_value")


def _index_put(x, indices, values, accumulate=False):
    """The out-of-place form PyTorch calls index_put: a clone written in place."""
    return x.clone().index_put_(indices, values, accumulate)


def _index_put_ref(a, indices, values, accumulate=False):
    out = a.copy()
    where = tuple(arr(i) for i in indices)
    if accumulate:
        np.add.at(out, where, arr(values))
    else:
        out[where] = arr(values)
    return out


_add(OpInfo("index_put", _index_put, _index_put_samples, ref=_index_put_ref,
            inplace="index_put_"))
