"""Op database entries for ``al.nn.functional``, named ``nn.functional.<op>`` as in
PyTorch's op database (``relu``, ``tanh`` and ``sigmoid`` also have ``al.<op>`` entries).

Shapes are small on purpose: the gradient checks are finite differences, one pair of
forward calls per input element, and the whole op-db suite should run in seconds.
The NumPy references are written out with loops where that is clearest (convolution,
pooling): they are slow but independent of the im2col code under test.
"""

from __future__ import annotations

import math

import numpy as np

import autograd_lab as al
from autograd_lab.nn import functional as F  # noqa: N812 - PyTorch's convention

from .core import ErrorInput, OpInfo, SampleInput, arr, distinct, index, make

NN_OP_DB: list[OpInfo] = []
_ERR_RNG = np.random.default_rng(3)


def _add(*infos: OpInfo) -> None:
    NN_OP_DB.extend(infos)


def _err(input, args=(), kwargs=None, *, name, error=RuntimeError, match):
    t = input if isinstance(input, al.Tensor) else make(_ERR_RNG, input)
    return ErrorInput(SampleInput(t, tuple(args), kwargs or {}, name=name), error, match)


def _errors(*items):
    return lambda: iter(items)


def _nn(name, samples, ref, **kwargs) -> OpInfo:
    return OpInfo(f"nn.functional.{name}", getattr(F, name), samples, ref=ref, **kwargs)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _shapes(low=-2.0, high=2.0, away_from=(), kwargs=None):
    def samples(rng):
        for shape in [(), (5,), (3, 4), (2, 1, 3)]:
            yield SampleInput(make(rng, shape, low, high, away_from), (), dict(kwargs or {}),
                              name=f"shape{list(shape)}")

    return samples


def _float_required(name):
    return _errors(_err(index([1, 2]), name="int_input",
                        match=f"{name}\\(\\): expected a floating-point tensor"))


# --- activations ------------------------------------------------------------------------------
def _gelu_samples(rng):
    yield from _shapes()(rng)
    yield SampleInput(make(rng, (3, 4)), (), {"approximate": "tanh"}, name="tanh_approximation")


def _gelu_ref(a, approximate="none"):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
    return 0.5 * a * (1 + _erf(a / math.sqrt(2)))


def _softplus_samples(rng):
    yield from _shapes()(rng)
    # beta x crosses the threshold (the output is x there): values kept away from the switch
    yield SampleInput(make(rng, (3, 4), -2, 2, away_from=(0.5,)), (),
                      {"beta": 2.0, "threshold": 1.0}, name="beta2_threshold1")


def _softplus_ref(a, beta=1.0, threshold=20.0):
    return np.where(a * beta > threshold, a, np.log1p(np.exp(beta * a)) / beta)


def _sigmoid_ref(a):
    return 1 / (1 + np.exp(-a))


_add(
    _nn("relu", _shapes(away_from=(0.0,)), lambda a: np.maximum(a, 0)),
    _nn("gelu", _gelu_samples, _gelu_ref,
        errors=_errors(_err((3,), (), {"approximate": "fast"}, name="bad_approximate",
                            match="approximate argument must be either none or tanh"),
                       _err(index([1, 2]), name="int_input",
                            match="gelu\\(\\): expected a floating-point tensor"))),
    _nn("silu", _shapes(), lambda a: a * _sigmoid_ref(a), errors=_float_required("silu")),
    _nn("softplus", _softplus_samples, _softplus_ref, errors=_float_required("softplus")),
    _nn("tanh", _shapes(), np.tanh),
    _nn("sigmoid", _shapes(-3, 3), _sigmoid_ref),
)


def _softmax_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (), {"dim": -1}, name="dim-1")
    yield SampleInput(make(rng, (3, 4)), (), {"dim": 0}, name="dim0")
    yield SampleInput(make(rng, (2, 3, 4)), (), {"dim": 1}, name="3d_dim1")
    yield SampleInput(make(rng, ()), (), {"dim": 0}, name="zero_dim")
    yield SampleInput(make(rng, (3, 1)), (), {"dim": 1}, name="size1_dim")
    yield SampleInput(make(rng, (4,), 500.0, 504.0), (), {"dim": 0}, name="large_values")


def _log_softmax_ref(a, dim):
    m = np.max(a, axis=dim, keepdims=True)
    return a - m - np.log(np.sum(np.exp(a - m), axis=dim, keepdims=True))


def _softmax_errors(name):
    return _errors(_err(index([1, 2]), (), {"dim": 0}, name="int_input",
                        match=f"{name}\\(\\): expected a floating-point tensor"),
                   _err((3, 4), (), {"dim": 2}, name="dim_out_of_range", error=IndexError,
                        match="Dimension out of range"))


_add(
    _nn("softmax", _softmax_samples, lambda a, dim: np.exp(_log_softmax_ref(a, dim)),
        errors=_softmax_errors("softmax"), method="softmax"),
    _nn("log_softmax", _softmax_samples, _log_softmax_ref, errors=_softmax_errors("log_softmax"),
        method="log_softmax"),
)


# --- losses -------------------------------------------------------------------------------------
def _class_dim(x):
    return 1 if x.ndim >= 2 else 0


def _nll_ref(x, target, weight=None, ignore_index=-100, reduction="mean"):
    c = _class_dim(x)
    t = arr(target)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    picked = np.squeeze(np.take_along_axis(x, np.expand_dims(safe, c), c), c)
    w = valid * (1.0 if weight is None else arr(weight)[safe])
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return loss.sum() if reduction == "sum" else loss


def _ce_ref(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    c = _class_dim(x)
    logp = _log_softmax_ref(x, c)
    t = arr(target)
    if t.dtype.kind == "f":
        t = t * (1 - label_smoothing) + label_smoothing / x.shape[c]
        w = 1.0 if weight is None else arr(weight).reshape((-1,) + (1,) * (x.ndim - c - 1))
        loss = -(logp * t * w).sum(c)
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss
    nll = _nll_ref(logp, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    assert weight is None, "the reference does label smoothing without class weights"
    valid = t != ignore_index
    smooth = np.where(valid, -logp.sum(c), 0.0)
    smooth = smooth.sum() / valid.sum() if reduction == "mean" else \
        smooth.sum() if reduction == "sum" else smooth
    return nll * (1 - label_smoothing) + smooth * label_smoothing / x.shape[c]


def _weights(rng, n):
    return make(rng, (n,), 0.5, 2.0)


def _nll_samples(rng, ce=False):
    yield SampleInput(make(rng, (4, 3)), (index([0, 2, 1, 2]),), name="mean")
    yield SampleInput(make(rng, (4, 3)), (index([0, 2, 1, 2]), _weights(rng, 3)),
                      {"reduction": "sum"}, name="weight_sum")
    yield SampleInput(make(rng, (4, 3)), (index([0, -100, 1, 2]),),
                      {"reduction": "none"}, name="ignore_index_none")
    yield SampleInput(make(rng, (4, 3)), (index([0, 1, 1, 2]), _weights(rng, 3)),
                      {"ignore_index": 1}, name="weight_ignore_index_mean")
    yield SampleInput(make(rng, (2, 3, 2)), (index([[0, 2], [1, 1]]),), name="spatial")
    yield SampleInput(make(rng, (3,)), (index(2),), name="unbatched")
    if ce:
        yield SampleInput(make(rng, (4, 3)), (index([0, 2, 1, 2]),), {"label_smoothing": 0.2},
                          name="label_smoothing")
        probs = np.random.default_rng(5).dirichlet(np.ones(3), size=4)
        yield SampleInput(make(rng, (4, 3)), (al.tensor(probs, requires_grad=True),),
                          name="probability_target")
        yield SampleInput(make(rng, (4, 3)),
                          (al.tensor(probs, requires_grad=True), _weights(rng, 3)),
                          {"label_smoothing": 0.1, "reduction": "sum"},
                          name="probability_target_weight_smoothing")


def _loss_errors(name):
    return _errors(
        _err((4, 3), (index([0, 5, 1, 2]),), name="target_out_of_bounds", error=IndexError,
             match="Target 5 is out of bounds"),
        _err((4, 3), (index([0, 1, 1]),), name="batch_mismatch", error=ValueError,
             match=r"Expected input batch_size \(4\) to match target batch_size \(3\)"),
        _err((4, 3), (index([0, 1, 1, 0]),), {"reduction": "avg"}, name="bad_reduction",
             error=ValueError, match="avg is not a valid value for reduction"),
        *([] if name == "cross_entropy" else [
            _err((4, 3), (make(_ERR_RNG, (4,)),), name="float_target",
                 match="expected target of scalar type Long")]))


_add(
    _nn("nll_loss", _nll_samples, _nll_ref, errors=_loss_errors("nll_loss")),
    _nn("cross_entropy", lambda rng: _nll_samples(rng, ce=True), _ce_ref,
        errors=_loss_errors("cross_entropy")),
)


def _reduce_ref(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _mse_samples(rng):
    for reduction in ("mean", "sum", "none"):
        yield SampleInput(make(rng, (3, 4)), (make(rng, (3, 4)),), {"reduction": reduction},
                          name=reduction)
    yield SampleInput(make(rng, ()), (make(rng, ()),), name="zero_dim")


_add(_nn("mse_loss", _mse_samples,
         lambda a, t, reduction="mean": _reduce_ref((a - arr(t)) ** 2, reduction),
         errors=_errors(_err((3,), (make(_ERR_RNG, (3,)),), {"reduction": "avg"},
                             name="bad_reduction", error=ValueError,
                             match="avg is not a valid value"))))


def _bce_samples(rng):
    yield SampleInput(make(rng, (3, 4), 0.1, 0.9), (make(rng, (3, 4), 0.0, 1.0),), name="mean")
    yield SampleInput(make(rng, (3, 4), 0.1, 0.9), (make(rng, (3, 4), 0.0, 1.0),
                                                    make(rng, (3, 4), 0.5, 2.0)),
                      {"reduction": "sum"}, name="weight_sum")
    yield SampleInput(make(rng, (5,), 0.1, 0.9), (make(rng, (5,), 0.0, 1.0),),
                      {"reduction": "none"}, name="none")


def _bce_ref(x, t, weight=None, reduction="mean"):
    t = arr(t)
    loss = -(t * np.log(x) + (1 - t) * np.log(1 - x)) * (1.0 if weight is None else arr(weight))
    return _reduce_ref(loss, reduction)


_add(_nn("binary_cross_entropy", _bce_samples, _bce_ref,
         errors=_errors(
             _err(al.tensor([0.5, 1.5], dtype=al.float64),
                  (al.tensor([0.0, 1.0], dtype=al.float64),),
                  name="input_above_one", match="all elements of input should be between 0 and 1"),
             _err((3,), (make(_ERR_RNG, (1, 3)),), name="target_shape", error=ValueError,
                  match="Using a target size"),
             _err(al.tensor([0.5, 1.5]), (al.tensor([0, 1]),), name="target_dtype",
                  match="Found dtype Long but expected Float"))))


# --- linear, embedding, layer_norm ---------------------------------------------------------------
def _linear_samples(rng):
    yield SampleInput(make(rng, (3, 4)), (make(rng, (2, 4)), make(rng, (2,))), name="bias")
    yield SampleInput(make(rng, (4,)), (make(rng, (2, 4)),), name="1d_input_no_bias")
    yield SampleInput(make(rng, (2, 3, 4)), (make(rng, (2, 4)), make(rng, (2,))), name="batched")
    yield SampleInput(make(rng, (3, 4)), (make(rng, (4,)),), name="1d_weight")


def _linear_ref(x, w, b=None):
    out = x @ arr(w).T
    return out if b is None else out + arr(b)


_add(_nn("linear", _linear_samples, _linear_ref,
         errors=_errors(_err((3, 4), (make(_ERR_RNG, (2, 5)),), name="shape_mismatch",
                             match=r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)"))))


def _embedding_samples(rng):
    yield SampleInput(index([[0, 2, 0], [4, 2, 1]]), (make(rng, (5, 3)),), name="repeated")
    # rows at padding_idx get no gradient by definition (not the derivative), so the
    # lookups here avoid it: the sample checks that the other rows are untouched
    yield SampleInput(index([0, 1, 0]), (make(rng, (5, 2)),), {"padding_idx": 3},
                      name="padding_idx_unused")
    yield SampleInput(index(2), (make(rng, (4, 3)),), name="zero_dim_index")


_add(OpInfo("nn.functional.embedding", lambda idx, weight, **kw: F.embedding(idx, weight, **kw),
            _embedding_samples, ref=lambda i, w, padding_idx=None: arr(w)[i],
            errors=_errors(
                _err(al.tensor([0.0, 1.0]), (make(_ERR_RNG, (3, 2)),), name="float_indices",
                     match="'indices' to have one of the following scalar types"),
                _err(index([0, 3]), (make(_ERR_RNG, (3, 2)),), name="index_out_of_range",
                     error=IndexError, match="index out of range in self"))))


def _layer_norm_samples(rng):
    yield SampleInput(make(rng, (3, 4)), ((4,), make(rng, (4,)), make(rng, (4,))),
                      name="affine")
    yield SampleInput(make(rng, (2, 3, 4)), ((3, 4),), name="two_dims_no_affine")
    yield SampleInput(make(rng, (2, 3)), (3, None, make(rng, (3,))), {"eps": 1e-3},
                      name="int_shape_bias_only")


def _layer_norm_ref(x, shape, weight=None, bias=None, eps=1e-5):
    k = 1 if isinstance(shape, int) else len(shape)
    dims = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)
    out = out if weight is None else out * arr(weight)
    return out if bias is None else out + arr(bias)


_add(_nn("layer_norm", _layer_norm_samples, _layer_norm_ref,
         errors=_errors(
             _err((3, 4), ((3,),), name="shape_mismatch",
                  match=r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\]"),
             _err((3, 4), ((4,), make(_ERR_RNG, (3,))), name="weight_shape",
                  match="expected weight of shape"))))


# --- convolution, unfold/fold, pooling ------------------------------------------------------------
def _pad2(x, p, value=0.0):
    """Pad the last two dims by ``p = (ph, pw)`` (possibly with extra after: (ph, ph2, pw, pw2))."""
    ph, ph2, pw, pw2 = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p
    width = [(0, 0)] * (x.ndim - 2) + [(ph, ph2), (pw, pw2)]
    return np.pad(x, width, constant_values=value)


def _windows(x, k, s, d):
    """All windows: ``x[..., i*s : i*s + d*(k-1)+1 : d, ...]`` as (..., kh, kw, OH, OW)."""
    h, w = x.shape[-2:]
    oh, ow = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1, (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty(x.shape[:-2] + (k[0], k[1], oh, ow))
    for i in range(oh):
        for j in range(ow):
            r, c = i * s[0], j * s[1]
            out[..., i, j] = x[..., r:r + d[0] * (k[0] - 1) + 1:d[0],
                               c:c + d[1] * (k[1] - 1) + 1:d[1]]
    return out


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv_pads(padding, kernel, dilation):
    """(before_h, after_h, before_w, after_w); 'same' puts an odd extra one after."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2,
                totals[1] - totals[1] // 2)
    ph, pw = _two(padding)
    return (ph, ph, pw, pw)


def _conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    w = arr(w)
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    pads = _conv_pads(padding, w.shape[2:], _two(dilation))
    cols = _windows(_pad2(x, pads), w.shape[2:], _two(stride), _two(dilation))
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    out = np.concatenate([
        np.einsum("nckl ij,ockl->noij".replace(" ", ""), cols[:, g * cg:(g + 1) * cg],
                  w[g * og:(g + 1) * og]) for g in range(groups)], axis=1)
    if b is not None:
        out = out + arr(b).reshape(o, 1, 1)
    return out[0] if unbatched else out


def _conv1d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    def one(v):
        return v if isinstance(v, int) else v[0]

    if isinstance(padding, str):  # 'same' / 'valid' on a height-1 image pads nothing above
        k, d = arr(w).shape[-1], one(dilation)
        _, _, lo, hi = _conv_pads(padding, (1, k), (1, d))
        x, padding = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(lo, hi)]), 0
    out = _conv2d_ref(x[..., None, :], arr(w)[..., None, :], b, (1, one(stride)),
                      (0, one(padding)), (1, one(dilation)), groups)
    return out[..., 0, :]


def _conv2d_samples(rng):
    yield SampleInput(make(rng, (1, 2, 4, 4)), (make(rng, (2, 2, 2, 2)), make(rng, (2,))),
                      name="bias")
    yield SampleInput(make(rng, (2, 1, 4, 3)), (make(rng, (1, 1, 2, 2)),),
                      {"stride": 2, "padding": 1}, name="stride2_padding1")
    yield SampleInput(make(rng, (1, 2, 4, 4)), (make(rng, (2, 1, 2, 2)),),
                      {"dilation": 2, "groups": 2}, name="dilation2_groups2")
    yield SampleInput(make(rng, (1, 3, 3)), (make(rng, (1, 1, 1, 2)),), name="unbatched")
    # every feature at once, rectangular: two groups with bias, per-dim stride, padding,
    # dilation, and an input row the strided windows never reach
    yield SampleInput(make(rng, (2, 4, 5, 6)), (make(rng, (6, 2, 2, 3)), make(rng, (6,))),
                      {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2},
                      name="groups2_bias_rect")
    # an even kernel: 'same' pads one more after than before (a pad node, then the conv)
    yield SampleInput(make(rng, (1, 2, 4, 5)), (make(rng, (2, 2, 2, 3)), make(rng, (2,))),
                      {"padding": "same"}, name="same_even_kernel")
    yield SampleInput(make(rng, (3, 2, 3, 3)), (make(rng, (4, 2, 1, 1)), make(rng, (4,))),
                      {"padding": "valid"}, name="valid_1x1_kernel")


def _conv1d_samples(rng):
    yield SampleInput(make(rng, (2, 2, 5)), (make(rng, (3, 2, 2)), make(rng, (3,))),
                      {"stride": 2, "padding": 1}, name="bias_stride_padding")
    yield SampleInput(make(rng, (1, 2, 5)), (make(rng, (2, 1, 2)),), {"groups": 2, "dilation": 2},
                      name="groups2_dilation2")
    yield SampleInput(make(rng, (1, 4)), (make(rng, (2, 1, 3)),), name="unbatched")
    yield SampleInput(make(rng, (2, 2, 5)), (make(rng, (2, 2, 2)), make(rng, (2,))),
                      {"padding": "same"}, name="same_even_kernel")


_add(
    _nn("conv2d", _conv2d_samples, _conv2d_ref,
        errors=_errors(
            _err((1, 3, 4, 4), (make(_ERR_RNG, (2, 2, 2, 2)),), name="channel_mismatch",
                 match="expected input\\[1, 3, 4, 4\\] to have 2 channels, but got 3"),
            _err((1, 1, 2, 2), (make(_ERR_RNG, (1, 1, 3, 3)),), name="kernel_too_large",
                 match="Kernel size can't be greater than actual input size"),
            _err((1, 2, 4, 4), (make(_ERR_RNG, (3, 1, 2, 2)),), {"groups": 2},
                 name="groups_not_dividing", match="expected weight to be divisible by 2"),
            _err((1, 1, 4, 4), (make(_ERR_RNG, (1, 1, 2, 2)),), {"stride": 0},
                 name="zero_stride", match="non-positive stride is not supported"),
            _err((1, 1, 4, 4), (make(_ERR_RNG, (1, 1, 2, 2)),), {"padding": -1},
                 name="negative_padding", match="negative padding is not supported"),
            _err((1, 1, 4, 4), (make(_ERR_RNG, (1, 1, 2, 2)),), {"dilation": 0},
                 name="zero_dilation", match="dilation should be greater than zero"))),
    _nn("conv1d", _conv1d_samples, _conv1d_ref,
        errors=_errors(_err((1, 2, 5), (make(_ERR_RNG, (2, 2, 2, 2)),), name="4d_weight",
                            match="conv1d: expected weight to be 3-D"),
                       _err((1, 1, 2), (make(_ERR_RNG, (1, 1, 3)),), name="kernel_too_large",
                            match=r"size per channel: \(2\)\. Kernel size: \(3\)\. Kernel "
                                  "size can't be greater than actual input size"))),
)


def _unfold_ref(x, kernel_size, dilation=1, padding=0, stride=1):
    k = _two(kernel_size)
    cols = _windows(_pad2(x, _two(padding)), k, _two(stride), _two(dilation))
    n, c = x.shape[:2]
    return cols.reshape(n, c * k[0] * k[1], -1)


def _fold_ref(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    k, d, s, p = _two(kernel_size), _two(dilation), _two(stride), _two(padding)
    h, w = _two(output_size)
    n, ckk, _ = cols.shape
    c = ckk // (k[0] * k[1])
    out = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    blocks = cols.reshape(n, c, k[0], k[1], oh, ow)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    out[:, :, i * s[0] + a * d[0], j * s[1] + b * d[1]] += blocks[:, :, a, b, i, j]
    return out[:, :, p[0]:p[0] + h, p[1]:p[1] + w]


_add(
    _nn("unfold", lambda rng: [
        SampleInput(make(rng, (1, 2, 3, 3)), (2,), name="kernel2"),
        SampleInput(make(rng, (2, 1, 4, 3)), ((2, 1),), {"stride": 2, "padding": 1},
                    name="stride2_padding1"),
        SampleInput(make(rng, (1, 1, 4, 4)), (2,), {"dilation": 2}, name="dilation2")],
        _unfold_ref,
        errors=_errors(_err((2, 3, 3), (2,), name="3d_input",
                            match="Only 4D input Tensors are supported"))),
    _nn("fold", lambda rng: [
        SampleInput(make(rng, (1, 8, 4)), ((3, 3), 2), name="overlapping"),
        SampleInput(make(rng, (2, 4, 4)), ((3, 3), (2, 2)), {"stride": 2, "padding": 1},
                    name="stride2_padding1"),
        SampleInput(make(rng, (1, 2, 2)), (2, (2, 1)), {"dilation": (1, 1)},
                    name="rect_kernel")],
        _fold_ref,
        errors=_errors(_err((1, 8, 5), ((3, 3), 2), name="wrong_block_count",
                            match="fold: expected input of size"))),
)


def _pool_samples(rng, pick):
    yield SampleInput(pick(rng, (1, 2, 4, 4)), (2,), name="kernel2")
    yield SampleInput(pick(rng, (2, 3, 3)), (3,), {"stride": 1, "padding": 1},
                      name="3d_stride1_padding1")
    yield SampleInput(pick(rng, (1, 1, 5, 4)), ((2, 3),), {"stride": 2, "ceil_mode": True},
                      name="ceil_mode")


def _avg_pool_samples(rng):
    yield from _pool_samples(rng, make)
    yield SampleInput(make(rng, (1, 1, 4, 4)), (3,), {"stride": 2, "padding": 1,
                                                     "count_include_pad": False},
                      name="exclude_padding")
    yield SampleInput(make(rng, (1, 1, 4, 4)), (2,), {"divisor_override": 3},
                      name="divisor_override")


def _pool_windows(x, kernel_size, stride, padding, ceil_mode, value):
    """Per output position, the window's values (padding filled with ``value``) and which
    of them lie inside the input and inside input plus padding."""
    k = _two(kernel_size)
    s = k if stride is None else _two(stride)
    p = _two(padding)
    h, w = x.shape[-2:]

    def out(n, k_, s_, p_):
        span = n + 2 * p_ - (k_ - 1) - 1 + (s_ - 1 if ceil_mode else 0)
        o = span // s_ + 1
        return o - 1 if ceil_mode and (o - 1) * s_ >= n + p_ else o

    oh, ow = out(h, k[0], s[0], p[0]), out(w, k[1], s[1], p[1])
    big = np.full(x.shape[:-2] + (h + 2 * p[0] + k[0], w + 2 * p[1] + k[1]), value)
    big[..., p[0]:p[0] + h, p[1]:p[1] + w] = x
    inside = np.zeros(big.shape[-2:])
    inside[p[0]:p[0] + h, p[1]:p[1] + w] = 1
    padded = np.zeros(big.shape[-2:])
    padded[:h + 2 * p[0], :w + 2 * p[1]] = 1
    rows = []
    for i in range(oh):
        row = []
        for j in range(ow):
            win = (slice(i * s[0], i * s[0] + k[0]), slice(j * s[1], j * s[1] + k[1]))
            row.append((big[(...,) + win], inside[win], padded[win]))
        rows.append(row)
    return rows


def _max_pool_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    rows = _pool_windows(x, kernel_size, stride, padding, ceil_mode, -np.inf)
    return np.stack([np.stack([v.max((-2, -1)) for v, _, _ in row], -1) for row in rows], -2)


def _avg_pool_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    rows = _pool_windows(x, kernel_size, stride, padding, ceil_mode, 0.0)

    def mean(v, inside, padded):
        divisor = divisor_override or (padded if count_include_pad else inside).sum()
        return v.sum((-2, -1)) / divisor

    return np.stack([np.stack([mean(*cell) for cell in row], -1) for row in rows], -2)


_add(
    _nn("max_pool2d", lambda rng: _pool_samples(rng, distinct), _max_pool_ref,
        errors=_errors(
            _err((4, 4), (2,), name="2d_input", match="Expected 3D or 4D"),
            _err((1, 1, 4, 4), (2,), {"padding": 2}, name="padding_too_large",
                 match="pad should be at most half of effective kernel size"))),
    _nn("avg_pool2d", _avg_pool_samples, _avg_pool_ref,
        errors=_errors(_err((1, 1, 2, 2), (3,), name="output_too_small",
                            match="Output size is too small"))),
)


def _pool1d_samples(rng, pick):
    yield SampleInput(pick(rng, (2, 3, 7)), (2,), name="kernel2")
    yield SampleInput(pick(rng, (3, 6)), (3,), {"stride": 2, "padding": 1},
                      name="2d_stride2_padding1")
    yield SampleInput(pick(rng, (1, 2, 6)), (3,), {"stride": 2, "ceil_mode": True},
                      name="ceil_mode")


def _as_1d(ref2d):
    """A 1-d pool is the 2-d pool of a height-1 input, with (1, k) windows."""
    def ref(x, kernel_size, stride=None, padding=0, *args, **kwargs):
        one = None if stride is None else (1, stride)
        out = ref2d(x[..., None, :], (1, kernel_size), one, (0, padding), *args, **kwargs)
        return out[..., 0, :]

    return ref


_add(
    _nn("max_pool1d", lambda rng: _pool1d_samples(rng, distinct), _as_1d(_max_pool_ref),
        errors=_errors(_err((1, 1, 2, 4), (2,), name="4d_input",
                            match="Expected 2D or 3D input tensor"))),
    _nn("avg_pool1d", lambda rng: _pool1d_samples(rng, make), _as_1d(_avg_pool_ref)),
)


# --- dropout, pad --------------------------------------------------------------------------
def _dropout(input, seed=None, **kwargs):
    """Dropout with the generator seeded on every call, so that it is a function of its
    input (finite differences call it many times)."""
    if seed is not None:
        al.manual_seed(seed)
    return F.dropout(input, **kwargs)


def _dropout_ref(a, seed=None, p=0.5, training=True):
    if not training or p == 0:
        return a
    if p == 1:
        return a * 0.0
    al.manual_seed(seed)
    keep = al.rand(a.shape, dtype=al.float64).numpy() >= p
    return a * keep / (1 - p)


_add(OpInfo("nn.functional.dropout", _dropout, lambda rng: [
    SampleInput(make(rng, (3, 4)), (), {"p": 0.0}, name="p0"),
    SampleInput(make(rng, (3, 4)), (), {"p": 0.5, "training": False}, name="eval"),
    SampleInput(make(rng, (4, 5)), (), {"p": 0.4, "seed": 7}, name="seeded_p0.4"),
    SampleInput(make(rng, (3,)), (), {"p": 1.0, "seed": 7}, name="p1")],
    ref=_dropout_ref,
    errors=_errors(_err((3,), (), {"p": 1.5}, name="p_above_one", error=ValueError,
                        match="dropout probability has to be between 0 and 1"))))


def _pad_samples(rng):
    yield SampleInput(make(rng, (3,)), ((1, 2),), name="1d_constant_zero")
    yield SampleInput(make(rng, (2, 3)), ((1, 1, 2, 0),), {"value": 1.5}, name="2d_value")
    yield SampleInput(make(rng, (2, 4)), ((-1, 2),), name="negative_crops")
    yield SampleInput(make(rng, (2, 0)), ((1, 1),), name="empty_dim")
    for mode in ("reflect", "replicate", "circular"):
        yield SampleInput(make(rng, (1, 2, 4)), ((2, 1),), {"mode": mode}, name=mode)
    yield SampleInput(make(rng, (2, 3, 4)), ((1, 2, 2, 0),), {"mode": "reflect"},
                      name="reflect_2d")


_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_ref(a, pad, mode="constant", value=None):
    pairs = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        pairs[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode != "constant":
        return np.pad(a, pairs, mode=_NP_MODE[mode])
    out = np.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs],
                 constant_values=0.0 if value is None else value)
    crop = tuple(slice(-min(lo, 0), n + min(hi, 0))
                 for (lo, hi), n in zip(pairs, out.shape, strict=True))
    return out[crop]


_add(_nn("pad", _pad_samples, _pad_ref,
         errors=_errors(
             _err((2, 3), ((1, 2, 3),), name="odd_length",
                  match="Padding length must be divisible by 2"),
             _err((3,), ((1, 1, 1, 1),), name="too_long",
                  match="Padding length should be less than or equal to two times"),
             _err((1, 2), ((2, 0),), {"mode": "reflect"}, name="reflect_too_large",
                  match="Padding size should be less than the corresponding input dimension"))))


# --- nll_loss's weights, and a reshape that copies ------------------------------------------
# nll_loss is one row (NllLossBackward0) with two forms: a weight that requires grad is a
# second input of the row, any other weight a constant kept on the node. These samples
# reach both forms with every reduction and shape that the entry above leaves out.
def _const_weights(rng, n):
    return make(rng, (n,), 0.5, 2.0, requires_grad=False)


def _nll_weight_samples(rng):
    yield SampleInput(make(rng, (4, 3)), (index([0, 2, 1, 2]), _const_weights(rng, 3)),
                      name="constant_weight_mean")
    yield SampleInput(make(rng, (2, 3, 2)), (index([[0, 2], [1, -100]]), _const_weights(rng, 3)),
                      {"reduction": "none"}, name="constant_weight_spatial_none")
    yield SampleInput(make(rng, (3,)), (index(1), _const_weights(rng, 3)),
                      {"reduction": "sum"}, name="constant_weight_unbatched_sum")
    yield SampleInput(make(rng, (2, 3, 2)), (index([[0, 2], [1, 1]]), _weights(rng, 3)),
                      {"ignore_index": 2}, name="weight_spatial_mean")
    yield SampleInput(make(rng, (3,)), (index(2), _weights(rng, 3)), name="weight_unbatched_mean")
    yield SampleInput(make(rng, (4, 3)), (index([0, 2, -100, 2]), _weights(rng, 3)),
                      {"reduction": "none"}, name="weight_none")


_add(
    OpInfo("nn.functional.nll_loss.weights", F.nll_loss, _nll_weight_samples, ref=_nll_ref),
    # reshape of a transpose cannot be a view: it copies (UnsafeViewBackward0)
    OpInfo("reshape.copying", lambda x, shape: x.mT.reshape(shape),
           lambda rng: [SampleInput(make(rng, (3, 4)), ((2, 6),), name="of_transpose")],
           ref=lambda a, shape: a.T.reshape(shape)),
)
