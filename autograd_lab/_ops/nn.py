"""Table rows behind ``al.nn.functional``: activations, softmax, padding, im2col/col2im.

These are rows rather than compositions because one NumPy forward is much faster than a
chain of small ops (conv, pooling) or numerically safer (softmax). Every backward is
still written with Tensor ops, so second derivatives come free:

- ``im2col`` and ``col2im`` are adjoint (one copies windows out, the other adds them
  back), so each one's backward is the other; conv and pooling are built on them;
- ``constant_pad`` with pads ``p`` has as backward ``constant_pad`` with ``-p`` (a crop).
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from . import pointwise
from ._apply import apply_op
from ._kernels import add_reduce, partial_sum
from ._table import REGISTRY, defop
from .indexing import gather, index_put_zeros
from .pointwise import _sigmoid_forward, exp, sigmoid, sigmoid_backward, tanh, where
from .sorting import take_along_dim
from .views import reshape, unsqueeze

__all__ = ["softmax", "log_softmax", "nll_loss", "mse_loss", "binary_cross_entropy", "layer_norm",
           "embedding", "gelu",
           "silu", "softplus", "constant_pad", "im2col", "col2im", "max_pool2d", "avg_pool2d",
           "reflection_pad"]

_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_K_TANH = math.sqrt(2 / math.pi)  # gelu's tanh approximation: tanh(k (x + 0.044715 x**3))
_C_TANH = 0.044715
_erf_elementwise = np.vectorize(math.erf, otypes=[np.float64])  # 0-d: an array too


# The ufunc method behind np.max, without its Python wrapper (about a microsecond a call,
# which on a batch of logits is more than the reduction itself); add_reduce is np.sum's.
_max_reduce = np.maximum.reduce


# --- softmax family ---------------------------------------------------------------------
def _softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    # Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    if a.ndim == 0:
        e = np.exp(a - a)
        return e / e  # 1, or nan for an infinite or nan input
    e = a - _max_reduce(a, axis=dim, keepdims=True)  # a new array: exp and division in place
    np.exp(e, out=e)
    e /= partial_sum(e, (dim % a.ndim,), True)
    return e


def _log_softmax_forward(a: np.ndarray, dim: int) -> np.ndarray:
    if a.ndim == 0:
        return a - a  # log(1), or nan for an infinite or nan input
    shifted = a - _max_reduce(a, axis=dim, keepdims=True)
    shifted -= np.log(partial_sum(np.exp(shifted), (dim % a.ndim,), True))
    return shifted


# Note [softmax's backward as one op]
# PyTorch's softmax and log_softmax call their backward as one op (_softmax_backward_data,
# _log_softmax_backward_data), so under create_graph the gradient is one node,
# SoftmaxBackwardDataBackward0 / LogSoftmaxBackwardDataBackward0, as tanh_backward is
# TanhBackwardBackward0. The rows below are those ops: their forward is the first-order
# formula, their backward PyTorch's double-backward formula.
def _sum_keep(a: np.ndarray, dim: int) -> np.ndarray:
    return partial_sum(a, (dim % a.ndim,), True) if a.ndim else a


def _softmax_backward_data_forward(grad_output, output, dim):
    return output * (grad_output - _sum_keep(grad_output * output, dim))


@defop("softmax_backward_data", _softmax_backward_data_forward,
       inputs=("grad_output", "output"), save=("grad_output", "output"), attrs=("dim",),
       node_name="SoftmaxBackwardDataBackward0",
       math=("grad_grad_output = softmax_backward_data(grad, output);  grad_output = "
             "go·grad - Σ(output·go)·grad - go·Σ(output·grad)"))
def _softmax_backward_data_backward(grad, grad_output, output, dim):
    """f = y * (go - Σ y go) is linear in go and symmetric (its own adjoint); in y:
    df/dy_k . grad = go_k grad_k - Σ(y go) grad_k - go_k Σ(y grad) (PyTorch's
    softmax_double_backward)."""
    go = grad_output
    return (softmax_backward_data(grad, output, dim),
            go * grad - (output * go).sum(dim, keepdim=True) * grad
            - go * (output * grad).sum(dim, keepdim=True))


SOFTMAX_BACKWARD_DATA = REGISTRY["softmax_backward_data"]


def softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """softmax's gradient ``output * (grad_output - Σ grad_output·output)`` as one op."""
    return apply_op(SOFTMAX_BACKWARD_DATA, (grad_output, output), (dim,))


def _log_softmax_backward_data_forward(grad_output, output, dim):
    return grad_output - np.exp(output) * _sum_keep(grad_output, dim)


@defop("log_softmax_backward_data", _log_softmax_backward_data_forward,
       inputs=("grad_output", "output"), save=("grad_output", "output"), attrs=("dim",),
       node_name="LogSoftmaxBackwardDataBackward0",
       math=("grad_grad_output = grad - Σ(grad·exp(output));  grad_output = "
             "-Σ(grad_output)·exp(output)·grad"))
def _log_softmax_backward_data_backward(grad, grad_output, output, dim):
    """f = go - exp(y) Σ go: in go its adjoint is grad - Σ(grad exp(y)); in y,
    df_i/dy_i = -exp(y_i) Σ go (PyTorch's formulas, op for op)."""
    return (grad - (grad * exp(output)).sum(dim, keepdim=True),
            -grad_output.sum(dim, keepdim=True) * exp(output) * grad)


LOG_SOFTMAX_BACKWARD_DATA = REGISTRY["log_softmax_backward_data"]


def log_softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int) -> Tensor:
    """log_softmax's gradient ``grad_output - exp(output) * Σ grad_output`` as one op."""
    return apply_op(LOG_SOFTMAX_BACKWARD_DATA, (grad_output, output), (dim,))


@defop("softmax", _softmax_forward, save=("result",), attrs=("dim",),
       math="grad_self = softmax_backward_data(grad, result) = result * (grad - Σ(grad * result))")
def _softmax_backward(grad, result, dim):
    """y = softmax(x): dx = y * (g - sum(g * y)) along ``dim``, one op (Note [softmax's
    backward as one op])."""
    return softmax_backward_data(grad, result, dim)


SOFTMAX = REGISTRY["softmax"]


@defop("log_softmax", _log_softmax_forward, save=("result",), attrs=("dim",),
       math="grad_self = log_softmax_backward_data(grad, result) = grad - exp(result) * Σ grad")
def _log_softmax_backward(grad, result, dim):
    """y = log_softmax(x): dx = g - exp(y) * sum(g) along ``dim``, one op (Note
    [softmax's backward as one op])."""
    return log_softmax_backward_data(grad, result, dim)


LOG_SOFTMAX = REGISTRY["log_softmax"]


# --- nll_loss -------------------------------------------------------------------------------
# Note [nll_loss as one row]
# nll_loss takes -input[n, target[n]] (times the class weight weight[target[n]]) for each
# sample n (and each spatial position), skips the samples whose target is ignore_index,
# and reduces: "none" keeps one loss per sample, "sum" adds them, "mean" divides the sum
# by the total weight of the samples kept. Written as a composite that was seven nodes
# (TakeAlongDim, Squeeze, Neg, Mul, Sum, Div...), each with its own Tensors in backward;
# as one row it is PyTorch's single NllLossBackward0, whose gradient is zero except at
# the picked elements, where it is -grad * weight[target[n]] (over the total weight for
# "mean"). PyTorch refuses class weights that require grad; here the loss stays
# differentiable in them, as the composite was: such a weight is a second input of the
# row ("nll_loss_weighted"); any other weight is a constant the node keeps.
class NllPicks:
    """What nll_loss knows about its targets, worked out once in the forward: the class
    axis ``dim``; ``classes``, each sample's target class (0 where ignored); ``valid``,
    which samples count; ``sample_weight``, each sample's weight (0 where ignored) in the
    input's dtype. Fresh arrays, so that changing the target or the weight in place
    afterwards cannot change the gradient."""

    __slots__ = ("dim", "classes", "valid", "sample_weight", "_rows")

    def __init__(self, shape: tuple, target: np.ndarray, weight, ignore_index: int, dtype):
        self.dim = 1 if len(shape) >= 2 else 0
        self.valid = valid = target != ignore_index
        self.classes = classes = np.where(valid, target, 0)
        if weight is None:
            self.sample_weight = valid.astype(dtype)
        else:
            self.sample_weight = weight.astype(dtype, copy=False)[classes] * valid
        # (N, C), the usual case: plain fancy indexing, cheaper than NumPy's *_along_axis
        self._rows = np.arange(shape[0]) if len(shape) == 2 else None

    def _along(self) -> np.ndarray:
        return np.expand_dims(self.classes, self.dim)

    def picked(self, a: np.ndarray) -> np.ndarray:
        """``a[n, target[n]]`` for every sample (class 0 for an ignored one), a new array."""
        if self._rows is not None:
            return a[self._rows, self.classes]
        return np.take_along_axis(a, self._along(), self.dim).reshape(self.valid.shape)

    def place(self, values: np.ndarray, shape: tuple, dtype) -> np.ndarray:
        """Zeros of ``shape`` with ``values`` (one per sample) at each sample's class."""
        out = np.zeros(shape, dtype)
        if self._rows is not None:
            out[self._rows, self.classes] = values
        else:
            np.put_along_axis(out, self._along(), np.expand_dims(values, self.dim), self.dim)
        return out

    def onehot(self, shape: tuple, dtype) -> Tensor:
        """1 at each counted sample's target class, 0 elsewhere (``shape``: the input's)."""
        return Tensor(self.place(self.valid.astype(dtype), shape, dtype))

    def other_dims(self, ndim: int) -> tuple:
        return tuple(d for d in range(ndim) if d != self.dim)


def _nll_forward(a, picks, reduction, total_weight):
    loss = np.negative(picks.picked(a) * picks.sample_weight)
    if reduction == "none":
        return loss
    total = add_reduce(loss, axis=None)
    return total if reduction == "sum" else total / total_weight


def _nll_self_grad_arrays(grad, self, picks, reduction, total_weight):
    coef = np.negative(grad * picks.sample_weight)  # a few values: one per sample
    if reduction == "mean":
        coef = coef / total_weight
    return picks.place(coef, self.shape, self.dtype)


def _nll_self_grad(grad, self, picks, reduction, sample_weight, total_weight):
    """-grad * weight[target[n]] (/ total weight) at the picked elements, in Tensor ops:
    differentiable in grad and in the weights."""
    coef = grad * sample_weight
    if reduction == "mean":
        coef = coef / total_weight
    return unsqueeze(-coef, picks.dim) * picks.onehot(self.shape, self._data.dtype)


def _nll_loss_forward(a, target, weight, reduction, ignore_index, total_weight, picks):
    return _nll_forward(a, picks, reduction, total_weight._data)


@defop("nll_loss", _nll_loss_forward, save=("self",),
       attrs=("target", "weight", "reduction", "ignore_index", "total_weight", "picks"),
       math=("grad_self[n, t] = -grad * weight[t], 0 elsewhere  (t = target[n] unless ignored; ÷ "
             "total_weight for mean)"))
def _nll_loss_backward(grad, self, target, weight, reduction, ignore_index, total_weight,
                       picks):
    """d loss / d input[n, c] = -grad[n] * weight[target[n]] (/ total weight for "mean")
    where c = target[n] is not ignored; 0 elsewhere (Note [nll_loss as one row])."""
    return _nll_self_grad(grad, self, picks, reduction, Tensor(picks.sample_weight),
                          total_weight)


NLL_LOSS = REGISTRY["nll_loss"]


def _nll_loss_weighted_forward(a, w, target, reduction, ignore_index, total_weight, picks):
    return _nll_forward(a, picks, reduction, total_weight._data)


@defop("nll_loss_weighted", _nll_loss_weighted_forward, inputs=("self", "weight"),
       save=("self", "weight"),
       attrs=("target", "reduction", "ignore_index", "total_weight", "picks"),
       node_name="NllLossBackward0",
       math=("grad_self[n,t] = -grad·weight[t];  grad_weight[t] -= grad·self[n,t] (t=target[n]; "
             "mean: ÷total_weight, self→self+result)"))
def _nll_loss_weighted_backward(grad, self, weight, target, reduction, ignore_index,
                                total_weight, picks, *, needs_input_grad=(True, True)):
    """As ``nll_loss``, and for the weight: loss = sum_n -x_n w[t_n] (over W = sum_n w[t_n]
    for "mean"), so d loss / d w[c] = sum over the samples n of class c of grad * -x_n,
    or for "mean" of grad * (-x_n - loss) / W."""
    valid = Tensor(picks.valid)
    sample_weight = weight[Tensor(picks.classes)] * valid
    total = sample_weight.sum()
    grad_self = grad_weight = None
    if needs_input_grad[0]:
        grad_self = _nll_self_grad(grad, self, picks, reduction, sample_weight, total)
    if needs_input_grad[1]:
        loss = -take_along_dim(self, Tensor(picks._along()), picks.dim).reshape(
            picks.valid.shape)
        if reduction == "mean":
            loss = (loss - (loss * sample_weight).sum() / total) / total
        contrib = where(valid, grad * loss, 0.0)
        onehot = picks.onehot(self.shape, self._data.dtype)
        grad_weight = unsqueeze(contrib, picks.dim) * onehot
        other = picks.other_dims(self.ndim)
        if other:
            grad_weight = grad_weight.sum(other)
    return grad_self, grad_weight


NLL_LOSS_WEIGHTED = REGISTRY["nll_loss_weighted"]


# PyTorch names the node NllLoss2DBackward0 for inputs with spatial dimensions.
defop("nll_loss2d", _nll_loss_forward, save=("self",),
                    attrs=NLL_LOSS.attrs,
                    node_name="NllLoss2DBackward0",
      math=("grad_self[n, t, …] = -grad * weight[t], 0 elsewhere  (t = target[n, …] unless "
            "ignored; ÷ total_weight for mean)"))(_nll_loss_backward)


NLL_LOSS2D = REGISTRY["nll_loss2d"]


defop("nll_loss2d_weighted", _nll_loss_weighted_forward,
                             inputs=("self", "weight"), save=("self", "weight"),
                             attrs=NLL_LOSS_WEIGHTED.attrs,
                             node_name="NllLoss2DBackward0",
      math=("grad_self[n,t] = -grad·weight[t];  grad_weight[t] -= grad·self[n,t] "
            "(t=target[n]; mean: ÷total_weight, self→self+result)"),
      )(_nll_loss_weighted_backward)


NLL_LOSS2D_WEIGHTED = REGISTRY["nll_loss2d_weighted"]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
             reduction: str) -> Tensor:
    """The row behind ``F.nll_loss``, for checked arguments (see ``nn/_loss.py``)."""
    dtype = input._data.dtype
    picks = NllPicks(input._data.shape, target._data,
                     None if weight is None else weight._data, ignore_index, dtype)
    total_weight = Tensor(np.asarray(add_reduce(picks.sample_weight, axis=None), dtype=dtype))
    spatial = input._data.ndim >= 3
    if weight is not None and weight.requires_grad:
        return apply_op(NLL_LOSS2D_WEIGHTED if spatial else NLL_LOSS_WEIGHTED,
                        (input, weight), (target, reduction, ignore_index, total_weight, picks))
    return apply_op(NLL_LOSS2D if spatial else NLL_LOSS, (input,),
                    (target, weight, reduction, ignore_index, total_weight, picks))


# --- mse_loss -------------------------------------------------------------------------------
def _mse_loss_forward(a, target, reduction):
    diff = a - target
    diff = diff * diff  # (a 0-d pair gives NumPy scalars: no ``out=``)
    if reduction == "none":
        return diff
    total = add_reduce(diff, axis=None)
    return total / diff.size if reduction == "mean" else total


def _mse_loss_backward_forward(grad_output, a, target, reduction):
    diff = a - target
    scale = 2.0 / diff.size if reduction == "mean" else 2.0
    return (scale * diff * grad_output).astype(diff.dtype, copy=False)


@defop("mse_loss_backward", _mse_loss_backward_forward,
       inputs=("grad_output", "self", "target"), save=("grad_output", "self", "target"),
       attrs=("reduction",), node_name="MseLossBackwardBackward0",
       math=("grad_grad_output = mse_loss_backward(grad, self, target);  grad_self = 2·grad·gO "
             "(÷ n: mean);  grad_target = -grad_self"))
def _mse_loss_double_backward(grad, grad_output, self, target, reduction, *,
                              needs_input_grad=(True, True, True)):
    """2 (x - y) go (÷ n) is linear in go, x and y apart: its derivatives are itself at
    grad, and 2 grad go (÷ n) with a sign (PyTorch's mse_loss_double_backward)."""
    both = pointwise.scale(grad * grad_output, 2)
    if reduction == "mean":
        both = pointwise.divided(both, both._data.size)
    return (mse_loss_backward(grad, self, target, reduction) if needs_input_grad[0] else None,
            both if needs_input_grad[1] else None,
            -both if needs_input_grad[2] else None)


MSE_LOSS_BACKWARD = REGISTRY["mse_loss_backward"]


def mse_loss_backward(grad_output: Tensor, input: Tensor, target: Tensor, reduction) -> Tensor:
    """mse_loss's gradient for ``input``, ``2 (input - target) grad_output`` (÷ numel for
    mean), as one op (PyTorch's mse_loss_backward)."""
    return apply_op(MSE_LOSS_BACKWARD, (grad_output, input, target), (reduction,))


@defop("mse_loss", _mse_loss_forward, inputs=("self", "target"), save=("self", "target"),
       attrs=("reduction",),
       math=("grad_self = mse_loss_backward(grad, self, target);  grad_target = "
             "mse_loss_backward(grad, target, self)"))
def _mse_loss_backward(grad, self, target, reduction, *, needs_input_grad=(True, True)):
    """(x - y)**2 gives 2 (x - y) for x and 2 (y - x) for y; "mean" divides by the
    number of elements (of the broadcast pair). Each is one op, as PyTorch's."""
    return (mse_loss_backward(grad, self, target, reduction) if needs_input_grad[0] else None,
            mse_loss_backward(grad, target, self, reduction) if needs_input_grad[1] else None)


MSE_LOSS = REGISTRY["mse_loss"]


def mse_loss(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """The row behind ``F.mse_loss``: one ``MseLossBackward0`` saving both operands."""
    return apply_op(MSE_LOSS, (input, target), (reduction,))


# --- layer_norm -----------------------------------------------------------------------------
def _layer_norm_forward(a, weight, bias, normalized_shape, eps):
    dims = tuple(range(a.ndim - len(normalized_shape), a.ndim))
    centred = a - a.mean(axis=dims, keepdims=True)
    var = (centred * centred).mean(axis=dims, keepdims=True)
    out = centred / np.sqrt(var + eps)
    return out * weight + bias


@defop("layer_norm", _layer_norm_forward, inputs=("input", "weight", "bias"),
       save=("input", "weight"), attrs=("normalized_shape", "eps"),
       node_name="NativeLayerNormBackward0",
       math=("grad_input = rstd·(gw - mean(gw) - x̂·mean(gw·x̂)), gw = grad·weight;  "
             "grad_weight = Σ grad·x̂;  grad_bias = Σ grad"))
def _layer_norm_backward(grad, input, weight, normalized_shape, eps,
                         *, needs_input_grad=(True, True, True)):
    """x̂ = (x - mean) · rstd over the normalized dims, y = x̂ · w + b. The mean and rstd
    are recomputed from the saved input (PyTorch keeps them); the weight's and bias's
    gradients have the input's shape, and the engine sums them over the leading dims."""
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    centred = input - input.mean(dims, keepdim=True)
    rstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = centred * rstd
    grad_input = grad_weight = None
    if needs_input_grad[0]:
        gw = grad * weight
        grad_input = rstd * (gw - gw.mean(dims, keepdim=True)
                             - xhat * (gw * xhat).mean(dims, keepdim=True))
    if needs_input_grad[1]:
        grad_weight = grad * xhat
    return grad_input, grad_weight, grad if needs_input_grad[2] else None


LAYER_NORM = REGISTRY["layer_norm"]


def layer_norm(input: Tensor, normalized_shape: tuple, weight: Tensor | None,
               bias: Tensor | None, eps: float) -> Tensor:
    """The row behind ``F.layer_norm`` (checked arguments): one
    ``NativeLayerNormBackward0`` that saves the input, as PyTorch's. A missing weight or
    bias is a constant 1 or 0, whose edge is empty, as PyTorch shows it."""
    dtype = input._data.dtype
    if weight is None:
        weight = Tensor(np.ones(normalized_shape, dtype=dtype))
    if bias is None:
        bias = Tensor(np.zeros(normalized_shape, dtype=dtype))
    return apply_op(LAYER_NORM, (input, weight, bias), (tuple(normalized_shape), eps))


# --- binary cross-entropy --------------------------------------------------------------------
_BCE_EPS = float(np.float32(1e-12))  # PyTorch's floor for x(1 - x) in the gradient (a float)
_REDUCTION = {"none": 0, "mean": 1, "sum": 2}  # PyTorch's enum, as node._saved_reduction shows


def _bce_forward(x, target, weight, reduction):
    """-w (t log x + (1 - t) log(1 - x)), each log floored at -100 (log 0 stays finite)."""
    with np.errstate(divide="ignore"):
        log_x, log_1mx = np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight._data
    if reduction == 1:
        return np.asarray(loss.mean(), dtype=x.dtype)
    return np.asarray(add_reduce(loss, axis=None), dtype=x.dtype) if reduction == 2 else loss


@defop("binary_cross_entropy", _bce_forward, inputs=("self", "target"), save=("self", "target"),
       attrs=("weight", "reduction"), node_name="BinaryCrossEntropyBackward0",
       math=("grad_self = g·w·(self-target) / max(self(1-self), 1e-12);  "
             "grad_target = g·w·(log(1-self) - log(self))  (g=grad/n: mean)"))
def _bce_backward(grad, self, target, weight, reduction, *, needs_input_grad=(True, True)):
    """d/dx = w (x - t) / (x (1 - x)) (its denominator floored, as PyTorch's); d/dt =
    w (log(1 - x) - log x) (infinite at x = 0 or 1, as PyTorch's)."""
    if reduction == 1:
        grad = grad / self.numel()
    if weight is not None:
        grad = grad * weight
    grad_self = grad_target = None
    if needs_input_grad[0]:
        grad_self = grad * (self - target) / ((1 - self) * self).clamp(min=_BCE_EPS)
    if needs_input_grad[1]:
        grad_target = grad * ((1 - self).log() - self.log())  # not floored, as PyTorch's
    return grad_self, grad_target


BINARY_CROSS_ENTROPY = REGISTRY["binary_cross_entropy"]


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None,
                         reduction: str) -> Tensor:
    """PyTorch's graph: one BinaryCrossEntropyBackward0 with edges to input and target (the
    weight is a constant: no gradient)."""
    if weight is not None and weight.shape != input.shape:
        weight = weight.expand(input.shape)  # an op, so a traced program reads its weight
    return apply_op(BINARY_CROSS_ENTROPY, (input, target), (weight, _REDUCTION[reduction]))


# --- embedding ------------------------------------------------------------------------------
def _embedding_forward(weight, indices, num_weights, padding_idx):
    return weight[indices]


@defop("embedding", _embedding_forward, inputs=("weight", "indices"), save=("indices",),
       attrs=("num_weights", "padding_idx"), node_name="EmbeddingBackward0",
       math=("grad_weight[indices[n]] += grad[n] (0 at padding_idx);  grad_indices: none "
             "(integers)"))
def _embedding_backward(grad, indices, num_weights, padding_idx):
    """Row ``indices[n]`` of the weight was copied to output n: add each output's gradient
    back into its row (a repeated index adds up); the padding row gets none."""
    idx = indices._data
    if padding_idx >= 0:
        grad = grad * Tensor(np.expand_dims(idx != padding_idx, -1).astype(grad._data.dtype))
    return index_put_zeros(grad, (idx,), (num_weights, grad.shape[-1]))


EMBEDDING = REGISTRY["embedding"]


def embedding(weight: Tensor, indices: Tensor, padding_idx: int) -> Tensor:
    """PyTorch's graph: one ``EmbeddingBackward0`` whose only edge is the weight's, saving
    the indices (so a second backward without retain_graph raises, as in PyTorch).
    ``padding_idx`` is -1 for none, as PyTorch stores it."""
    out = apply_op(EMBEDDING, (weight, indices), (weight._data.shape[0], padding_idx))
    node = out._grad_fn
    if node is not None:  # the indices are no graph input (PyTorch: one edge)
        node.next_functions = node.next_functions[:1]
    return out


# --- smooth activations -------------------------------------------------------------------
def _gelu_forward(a: np.ndarray) -> np.ndarray:
    cdf = 0.5 * (1.0 + _erf_elementwise(a * _SQRT1_2).astype(a.dtype))
    return a * cdf


def _gelu_backward_forward(grad_output, a, approximate):
    if approximate == "tanh":
        x2 = a * a
        t = np.tanh(_K_TANH * (a + _C_TANH * x2 * a))
        du = _K_TANH * (1 + 3 * _C_TANH * x2)
        d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * du
    else:
        cdf = 0.5 * (1.0 + _erf_elementwise(a * _SQRT1_2))
        d = cdf + a * np.exp(-0.5 * a * a) * _INV_SQRT_2PI
    return (grad_output * d).astype(np.result_type(grad_output, a), copy=False)


@defop("gelu_backward", _gelu_backward_forward, inputs=("grad_output", "self"),
       save=("grad_output", "self"), attrs=("approximate",), node_name="GeluBackwardBackward0",
       math=("grad_grad_output = gelu_backward(grad, self);  grad_self = grad·gO·gelu''(self)  "
             "(none: 2φ - self²·φ)"))
def _gelu_double_backward(grad, grad_output, self, approximate):
    """gelu_backward(go, x) = go * gelu'(x) is linear in go; in x its derivative is
    go * gelu''(x). Exact: gelu'' = 2 phi(x) - x**2 phi(x) (phi: the normal pdf), as
    PyTorch's gelu_double_backward. tanh: with t = tanh(u), u = k(x + c x**3),
    gelu'' = (1 - t**2) (u' + x/2 (u'' - 2 t u'**2)) (written out here; PyTorch's own
    tanh formula records more ops)."""
    first = gelu_backward(grad, self, approximate)
    if approximate == "tanh":
        x2 = self * self
        t = tanh(pointwise.scale(self + pointwise.scale(x2 * self, _C_TANH), _K_TANH))
        du = pointwise.scale(pointwise.shift(pointwise.scale(x2, 3 * _C_TANH), 1), _K_TANH)
        ddu = pointwise.scale(self, 6 * _K_TANH * _C_TANH)
        inner = du + pointwise.scale(self, 0.5) * (ddu - pointwise.scale(t * du * du, 2))
        return first, grad * grad_output * ((1 - t * t) * inner)
    x2 = self * self
    pdf = pointwise.scale(exp(pointwise.scale(x2, -0.5)), _INV_SQRT_2PI)
    return first, grad * grad_output * (pointwise.scale(pdf, 2) - x2 * pdf)


GELU_BACKWARD = REGISTRY["gelu_backward"]


def gelu_backward(grad_output: Tensor, input: Tensor, approximate: str = "none") -> Tensor:
    """gelu's gradient ``grad_output * gelu'(input)`` as one op (PyTorch's gelu_backward)."""
    return apply_op(GELU_BACKWARD, (grad_output, input), (approximate,))


@defop("gelu", _gelu_forward, save=("self",),
       math=("grad_self = gelu_backward(grad, self) = grad * (Φ(self) + self * φ(self))  (Φ, φ: "
             "normal cdf, pdf)"))
def _gelu_backward(grad, self):
    """gelu(x) = x Phi(x): d/dx = Phi(x) + x phi(x) (normal cdf and pdf), one op."""
    return gelu_backward(grad, self, "none")


GELU = REGISTRY["gelu"]


def _gelu_tanh_forward(a: np.ndarray) -> np.ndarray:
    return 0.5 * a * (1.0 + np.tanh(_K_TANH * (a + _C_TANH * a * a * a)))


@defop("gelu_tanh", _gelu_tanh_forward, save=("self",), node_name="GeluBackward0",
       math=("grad_self = gelu_backward(grad, self, 'tanh') = grad·((1+t)/2 + self·(1-t²)·u'/2)"
             ", t = tanh(u)"))
def _gelu_tanh_backward(grad, self):
    """y = x/2 (1 + t), t = tanh(u), u = k(x + c x**3):
    dy/dx = (1 + t)/2 + x/2 (1 - t**2) k (1 + 3c x**2), one op."""
    return gelu_backward(grad, self, "tanh")


GELU_TANH = REGISTRY["gelu_tanh"]


def _silu_forward(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))  # the stable sigmoid of pointwise.py
    return a * np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


@defop("silu", _silu_forward, save=("self",),
       math="grad_self = grad * s * (1 + self * (1 - s)),  s = sigmoid(self)")
def _silu_backward(grad, self):
    """silu(x) = x s(x), s = sigmoid: d/dx = s (1 + x (1 - s))."""
    s = sigmoid(self)
    return grad * s * (self * (1 - s) + 1)


SILU = REGISTRY["silu"]


def _softplus_forward(a: np.ndarray, beta, threshold) -> np.ndarray:
    z = a * beta
    # logaddexp(0, z) = log(1 + exp(z)) without overflow; above threshold softplus is x.
    return np.where(z > threshold, a, np.logaddexp(0, z) / beta).astype(a.dtype, copy=False)


def _softplus_backward_forward(grad_output, a, beta, threshold):
    z = a * beta
    return np.where(z > threshold, grad_output,
                    grad_output * _sigmoid_forward(z)).astype(np.result_type(grad_output, a),
                                                             copy=False)


@defop("softplus_backward", _softplus_backward_forward, inputs=("grad_output", "self"),
       save=("grad_output", "self"), attrs=("beta", "threshold"),
       node_name="SoftplusBackwardBackward0",
       math=("grad_grad_output = softplus_backward(grad, self);  grad_self = "
             "sigmoid_backward(grad·gO, sigmoid(beta·self))·beta"))
def _softplus_double_backward(grad, grad_output, self, beta, threshold):
    """go * sigmoid(beta x) is linear in go; in x its derivative is go * beta * s (1 - s)
    below the threshold, 0 above (PyTorch's softplus_double_backward)."""
    x = pointwise.scale(self, beta)
    below = Tensor((x._data < threshold).astype(grad._data.dtype))
    second = pointwise.scale(sigmoid_backward(grad * grad_output, sigmoid(x)) * below, beta)
    return softplus_backward(grad, self, beta, threshold), second


SOFTPLUS_BACKWARD = REGISTRY["softplus_backward"]


def softplus_backward(grad_output: Tensor, input: Tensor, beta, threshold) -> Tensor:
    """softplus's gradient ``grad_output * sigmoid(beta input)`` (``grad_output`` above the
    threshold) as one op (PyTorch's softplus_backward)."""
    return apply_op(SOFTPLUS_BACKWARD, (grad_output, input), (beta, threshold))


@defop("softplus", _softplus_forward, save=("self",), attrs=("beta", "threshold"),
       math=("grad_self = softplus_backward(grad, self) = grad * sigmoid(beta * self)  (grad "
             "above threshold)"))
def _softplus_backward(grad, self, beta, threshold):
    """softplus(x) = log(1 + exp(beta x)) / beta: d/dx = sigmoid(beta x) (1 above
    threshold), one op."""
    return softplus_backward(grad, self, beta, threshold)


SOFTPLUS = REGISTRY["softplus"]


# --- padding --------------------------------------------------------------------------------
def _pad_forward(a: np.ndarray, pads: tuple, value) -> np.ndarray:
    """``pads`` is one (before, after) pair per axis; negative values crop."""
    crop = tuple(slice(max(-lo, 0), a.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(pads))
    grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
    return np.pad(a[crop], grow, mode="constant", constant_values=value)


@defop("constant_pad", _pad_forward, attrs=("pad", "value"), node_name="ConstantPadNdBackward0",
       math="grad_self = constant_pad(grad, -pad, 0)  (a crop: the padding gets no gradient)")
def _constant_pad_backward(grad, pad, value):
    """Padding adds constants around the input: its adjoint crops them off again."""
    return constant_pad(grad, tuple((-lo, -hi) for lo, hi in pad), 0)


CONSTANT_PAD = REGISTRY["constant_pad"]


def constant_pad(input: Tensor, pads: tuple, value=0) -> Tensor:
    """``input`` with ``pads[i] = (before, after)`` elements of ``value`` on axis i."""
    return apply_op(CONSTANT_PAD, (input,), (tuple(pads), value))


# --- im2col / col2im --------------------------------------------------------------------------
def out_size(size: int, kernel: int, dilation: int, stride: int) -> int:
    """How many windows of ``kernel`` (spread by ``dilation``) fit, ``stride`` apart."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(i, j, kernel, dilation, stride, out_hw):
    """The input positions that window element (i, j) reads, over all windows."""
    (dh, dw), (sh, sw), (oh, ow) = dilation, stride, out_hw
    return (Ellipsis,
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _im2col_forward(a, kernel, dilation, stride, self_shape):
    (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
    windows = np.lib.stride_tricks.sliding_window_view(
        a, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(-2, -1))
    windows = windows[..., ::sh, ::sw, ::dh, ::dw]  # (..., OH, OW, kh, kw)
    return np.ascontiguousarray(np.moveaxis(windows, (-2, -1), (-4, -3)))  # (..., kh, kw, OH, OW)


def _col2im_forward(cols, kernel, dilation, stride, output_size):
    kh, kw = kernel
    out = np.zeros(cols.shape[:-4] + tuple(output_size), dtype=cols.dtype)
    out_hw = cols.shape[-2:]
    for i in range(kh):
        for j in range(kw):
            out[_window_slices(i, j, kernel, dilation, stride, out_hw)] += cols[..., i, j, :, :]
    return out


@defop("im2col", _im2col_forward, attrs=("kernel_size", "dilation", "stride", "self_sym_sizes"),
       node_name="Im2ColBackward0",
       math=("grad_self = col2im(grad, kernel_size, dilation, stride, self's H×W)  (the copies' "
             "gradients summed)"))
def _im2col_backward(grad, kernel_size, dilation, stride, self_sym_sizes):
    """Each window copied input values: add every copy's gradient back (col2im)."""
    return col2im(grad, kernel_size, dilation, stride, self_sym_sizes[-2:])


IM2COL = REGISTRY["im2col"]


@defop("col2im", _col2im_forward, attrs=("kernel_size", "dilation", "stride", "output_size"),
       node_name="Col2ImBackward0",
       math="grad_self = im2col(grad, kernel_size, dilation, stride)")
def _col2im_backward(grad, kernel_size, dilation, stride, output_size):
    """col2im sums windows into place: each window value gets its place's gradient (im2col)."""
    return im2col(grad, kernel_size, dilation, stride)


COL2IM = REGISTRY["col2im"]


def im2col(input: Tensor, kernel_size, dilation, stride) -> Tensor:
    """Windows of the last two axes: ``(..., H, W)`` gives ``(..., kh, kw, OH, OW)``."""
    return apply_op(IM2COL, (input,),
                    (tuple(kernel_size), tuple(dilation), tuple(stride), input._data.shape))


def col2im(input: Tensor, kernel_size, dilation, stride, output_size) -> Tensor:
    """Sum ``(..., kh, kw, OH, OW)`` windows back into ``(..., *output_size)``."""
    return apply_op(COL2IM, (input,),
                    (tuple(kernel_size), tuple(dilation), tuple(stride), tuple(output_size)))


def softmax(input: Tensor, dim: int) -> Tensor:
    return apply_op(SOFTMAX, (input,), (dim,))


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return apply_op(LOG_SOFTMAX, (input,), (dim,))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    spec = GELU_TANH if approximate == "tanh" else GELU
    return apply_op(spec, (input,))


def silu(input: Tensor) -> Tensor:
    return apply_op(SILU, (input,))


def softplus(input: Tensor, beta, threshold) -> Tensor:
    return apply_op(SOFTPLUS, (input,), (beta, threshold))


# --- pooling: one node each, as PyTorch's -------------------------------------------------
# ``max_pool2d`` is MaxPool2DWithIndicesBackward0 and ``avg_pool2d`` AvgPool2DBackward0,
# each one node whose formula is one op again (``max_pool2d_with_indices_backward``,
# ``avg_pool2d_backward``), so a second derivative shows PyTorch's ...BackwardBackward0
# nodes. Windows are counted on the last two axes of ``(N, C, H, W)`` or ``(C, H, W)``;
# ``padding`` is on both sides, and ``ceil_mode`` may let the last window hang past it.
def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: with ceil_mode the last window may hang over the
    end, but must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_windows(a, fill, kernel, stride, padding, dilation, ceil_mode):
    """``a`` padded with ``fill`` (also where a ceil_mode window hangs past the padding),
    and its windows ``(..., OH, OW, kh, kw)`` (a strided view, no copy)."""
    out_hw = [pool_out_size(n, kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
              for i, n in enumerate(a.shape[-2:])]
    span = [(out_hw[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 for i in range(2)]
    after = [max(span[i] - a.shape[-2 + i] - padding[i], padding[i]) for i in range(2)]
    pads = [(0, 0)] * (a.ndim - 2) + [(padding[0], after[0]), (padding[1], after[1])]
    padded = np.pad(a, pads, constant_values=fill) if any(padding) or any(after) else a
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, [dilation[i] * (kernel[i] - 1) + 1 for i in range(2)], axis=(-2, -1))
    windows = windows[..., ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]
    return windows[..., : out_hw[0], : out_hw[1], :, :], out_hw


def max_pool2d_indices(a: np.ndarray, kernel, stride, padding, dilation, ceil_mode):
    """Where each window's max is, as a flat index into its (H, W) plane (what
    ``return_indices=True`` returns): the first on ties, a nan if there is one (as
    PyTorch). Padding is -inf, so it never wins over an element of the input."""
    windows, (oh, ow) = _pool_windows(a, -np.inf, kernel, stride, padding, dilation,
                                      ceil_mode)
    kh, kw = kernel
    flat = windows.reshape(*windows.shape[:-2], kh * kw)
    win = np.argmax(flat, axis=-1)
    ki, kj = np.divmod(win, kw)
    rows = np.arange(oh)[:, None] * stride[0] - padding[0] + ki * dilation[0]
    cols = np.arange(ow)[None, :] * stride[1] - padding[1] + kj * dilation[1]
    h, w = a.shape[-2:]
    outside = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
    if outside.any():  # a window of -inf values only: its first element of the input wins
        r0 = np.maximum(np.arange(oh) * stride[0] - padding[0], 0)
        c0 = np.maximum(np.arange(ow) * stride[1] - padding[1], 0)
        first_r, first_c = np.broadcast_to(r0[:, None], rows.shape), np.broadcast_to(
            c0[None, :], cols.shape)
        # the first window element inside the input, dilation counted
        first_r = first_r + (-(first_r - (np.arange(oh)[:, None] * stride[0] - padding[0]))
                             % dilation[0])
        first_c = first_c + (-(first_c - (np.arange(ow)[None, :] * stride[1] - padding[1]))
                             % dilation[1])
        rows, cols = np.where(outside, first_r, rows), np.where(outside, first_c, cols)
    return (rows * w + cols).astype(np.int64)


def _planes(a: np.ndarray) -> np.ndarray:
    """``(..., H, W)`` as ``(..., H * W)``."""
    return a.reshape(*a.shape[:-2], a.shape[-2] * a.shape[-1])


_MAX_ATTRS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")


def _max_pool2d_forward(a, kernel_size, stride, padding, dilation, ceil_mode):
    idx = max_pool2d_indices(a, kernel_size, stride, padding, dilation, ceil_mode)
    taken = np.take_along_axis(_planes(a), _planes(idx), axis=-1)
    return taken.reshape(idx.shape)


# PyTorch's node also saves the indices (``_saved_result1``); ours works them out again
# from the saved input, so that a traced program computes them from its own values.
@defop("max_pool2d_with_indices", _max_pool2d_forward, attrs=_MAX_ATTRS, save=("self",),
       node_name="MaxPool2DWithIndicesBackward0",
       math=("grad_self = max_pool2d_with_indices_backward(grad, self)  (each window's "
             "gradient added at its max)"))
def _max_pool2d_backward(grad, self, kernel_size, stride, padding, dilation, ceil_mode):
    """Only each window's max moved the output: its gradient goes there (added, where
    windows overlap)."""
    return apply_op(MAX_POOL2D_BACKWARD, (grad, self),
                    (kernel_size, stride, padding, dilation, ceil_mode))


MAX_POOL2D = REGISTRY["max_pool2d_with_indices"]


def _max_pool2d_backward_forward(grad, self, *attrs):
    out = np.zeros(_planes(self).shape, dtype=np.result_type(grad, self))
    idx = _planes(max_pool2d_indices(self, *attrs))
    lead: tuple[np.ndarray, ...] = np.indices(idx.shape[:-1], sparse=True)
    np.add.at(out, (*[i[..., None] for i in lead], idx), _planes(grad))
    return out.reshape(self.shape)


@defop("max_pool2d_with_indices_backward", _max_pool2d_backward_forward,
       inputs=("grad_output", "self"), attrs=_MAX_ATTRS, save=("self",),
       node_name="MaxPool2DWithIndicesBackwardBackward0",
       math=("grad_grad_output = grad.flatten(-2).gather(-1, indices.flatten(-2))  (each "
             "window reads its max's place);  grad_self = 0"))
def _max_pool2d_double_backward(grad, self, kernel_size, stride, padding, dilation,
                                ceil_mode):
    """The scatter-add is linear in grad_output: its adjoint gathers at the indices. It
    does not depend on self's values otherwise (only on where the maxima are)."""
    indices = Tensor(max_pool2d_indices(self._data, kernel_size, stride, padding, dilation,
                                        ceil_mode))
    lead = tuple(indices.shape[:-2])
    picked = gather(reshape(grad, *lead, -1), -1, reshape(indices, *lead, -1))
    return reshape(picked, *indices.shape), _zeros_like(grad)


MAX_POOL2D_BACKWARD = REGISTRY["max_pool2d_with_indices_backward"]


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor(np.zeros_like(t._data))


def max_pool2d(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
               return_indices: bool = False):
    """The row behind ``F.max_pool2d`` (checked arguments, each a pair); with
    ``return_indices`` also where each max is (an int64 tensor, a flat index into each
    plane)."""
    attrs = (tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation),
             bool(ceil_mode))
    values = apply_op(MAX_POOL2D, (input,), attrs)
    if not return_indices:
        return values
    return values, Tensor(max_pool2d_indices(input._data, *attrs))


def avg_pool2d_divisors(hw, kernel, stride, padding, ceil_mode, count_include_pad,
                        divisor_override, out_hw) -> np.ndarray:
    """What each window's sum is divided by: ``divisor_override``, or how many of its
    places are in the input (and in the padding, with ``count_include_pad``; never the
    part a ceil_mode window hangs past the padding), as PyTorch."""
    if divisor_override:
        return np.full(out_hw, divisor_override)
    counts = []
    for i in range(2):
        start = np.arange(out_hw[i]) * stride[i] - padding[i]
        end = np.minimum(start + kernel[i], hw[i] + padding[i])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, hw[i])
        counts.append(end - start)
    return counts[0][:, None] * counts[1][None, :]


def _avg_pool2d_forward(a, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override):
    windows, out_hw = _pool_windows(a, 0, kernel_size, stride, padding, (1, 1), ceil_mode)
    sums = add_reduce(windows, axis=(-2, -1))
    div = avg_pool2d_divisors(a.shape[-2:], kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override, out_hw)
    return (sums / div).astype(a.dtype, copy=False)


_AVG_ATTRS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
              "divisor_override")


@defop("avg_pool2d", _avg_pool2d_forward, attrs=_AVG_ATTRS, save=("self",),
       node_name="AvgPool2DBackward0",
       math=("grad_self = avg_pool2d_backward(grad, self)  (each window's gradient / its "
             "divisor, added at every place of the window)"))
def _avg_pool2d_backward(grad, self, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override):
    """Each place of a window moved its mean by 1/divisor."""
    return apply_op(AVG_POOL2D_BACKWARD, (grad, self), (kernel_size, stride, padding, ceil_mode,
                                                        count_include_pad, divisor_override))


AVG_POOL2D = REGISTRY["avg_pool2d"]


def _avg_pool2d_backward_forward(grad, self, kernel_size, stride, padding, ceil_mode,
                                 count_include_pad, divisor_override):
    dtype = np.result_type(grad, self)
    h, w = self.shape[-2:]
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = grad.shape[-2:]
    div = avg_pool2d_divisors((h, w), kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override, (oh, ow))
    share = grad / div
    rows_needed = (oh - 1) * sh + kh
    cols_needed = (ow - 1) * sw + kw
    out = np.zeros((*self.shape[:-2], max(rows_needed, ph + h), max(cols_needed, pw + w)),
                   dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            out[..., i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw] += share
    return np.ascontiguousarray(out[..., ph: ph + h, pw: pw + w])


@defop("avg_pool2d_backward", _avg_pool2d_backward_forward, inputs=("grad_output", "self"),
       attrs=_AVG_ATTRS, node_name="AvgPool2DBackwardBackward0",
       math="grad_grad_output = avg_pool2d(grad);  grad_self = 0")
def _avg_pool2d_double_backward(grad, kernel_size, stride, padding, ceil_mode,
                                count_include_pad, divisor_override):
    """Spreading window gradients is linear in grad_output, the adjoint of averaging:
    so its own adjoint is avg_pool2d again."""
    return (apply_op(AVG_POOL2D, (grad,), (kernel_size, stride, padding, ceil_mode,
                                           count_include_pad, divisor_override)),
            _zeros_like(grad))


AVG_POOL2D_BACKWARD = REGISTRY["avg_pool2d_backward"]


def avg_pool2d(input: Tensor, kernel_size, stride, padding, ceil_mode: bool,
               count_include_pad: bool, divisor_override) -> Tensor:
    """The row behind ``F.avg_pool2d`` (checked arguments, each a pair)."""
    return apply_op(AVG_POOL2D, (input,), (tuple(kernel_size), tuple(stride), tuple(padding),
                                           bool(ceil_mode), bool(count_include_pad),
                                           divisor_override))


# --- reflection padding -----------------------------------------------------------------------
# ``F.pad(x, (l, r), mode="reflect")`` is ReflectionPad1DBackward0 (and (l, r, t, b)
# ReflectionPad2DBackward0): the input mirrored at its edges, the edge itself not repeated
# ([1, 2, 3] padded (2, 1) is [3, 2, 1, 2, 3, 2]). ``padding`` is PyTorch's flat order, the
# last dim first.
def _reflect_index(size: int, lo: int, hi: int) -> np.ndarray:
    """Which input place each padded place copies."""
    return np.pad(np.arange(size), (lo, hi), mode="reflect")


def _reflection_pad_forward(a, padding):
    for i in range(len(padding) // 2):
        axis = a.ndim - 1 - i
        a = np.take(a, _reflect_index(a.shape[axis], padding[2 * i], padding[2 * i + 1]),
                    axis=axis)
    return a


def _reflection_pad_backward_forward(grad, self, padding):
    """Each padded place's gradient added to the place it copied."""
    out = grad
    for i in range(len(padding) // 2):
        axis = self.ndim - 1 - i
        index = _reflect_index(self.shape[axis], padding[2 * i], padding[2 * i + 1])
        folded = np.zeros(out.shape[:axis] + (self.shape[axis],) + out.shape[axis + 1:],
                          dtype=out.dtype)
        np.add.at(folded, (slice(None),) * axis + (index,), out)
        out = folded
    return out


def _reflection_rows(dims: int) -> tuple:
    name = f"reflection_pad{dims}d"

    @defop(name, _reflection_pad_forward, attrs=("padding",), save=("self",),
           node_name=f"ReflectionPad{dims}DBackward0",
           math=f"grad_self = {name}_backward(grad, self)  (each copy's gradient added to "
                "the place it copied)")
    def backward(grad, self, padding):
        """A mirrored place is a copy: its gradient goes back to the original."""
        return apply_op(REGISTRY[f"{name}_backward"], (grad, self), (padding,))

    @defop(f"{name}_backward", _reflection_pad_backward_forward,
           inputs=("grad_output", "self"), attrs=("padding",),
           node_name=f"ReflectionPad{dims}DBackwardBackward0",
           math=f"grad_grad_output = {name}(grad);  grad_self = 0")
    def double_backward(grad, padding):
        """Folding the copies back is linear in grad_output, the adjoint of padding: its
        own adjoint pads again."""
        return apply_op(REGISTRY[name], (grad,), (padding,)), _zeros_like(grad)

    return REGISTRY[name], REGISTRY[f"{name}_backward"]


REFLECTION_PAD1D, REFLECTION_PAD1D_BACKWARD = _reflection_rows(1)
REFLECTION_PAD2D, REFLECTION_PAD2D_BACKWARD = _reflection_rows(2)


def reflection_pad(input: Tensor, padding: tuple) -> Tensor:
    """``padding`` (PyTorch's flat order) of 2 or 4 numbers: ReflectionPad1D/2D."""
    spec = REFLECTION_PAD1D if len(padding) == 2 else REFLECTION_PAD2D
    return apply_op(spec, (input,), (tuple(int(p) for p in padding),))
