"""Elementwise ops and their derivatives.

Binary ops come in two rows, as in PyTorch's ``derivatives.yaml``: tensor-tensor, and
tensor-scalar (the Python number is an attribute, not a graph input, so backward does
no work for it). Broadcasting needs nothing here: the engine sums every gradient back
to its input's shape (see ``_validate_grad`` in ``autograd/engine.py``).
"""

from __future__ import annotations

import math
from types import MemberDescriptorType

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.graph import Node
from ..autograd.saved import freed_graph_error
from ._apply import apply_op, wrap_unrowed
from ._args import as_tensor_arg, is_scalar, not_a_tensor, python_scalar
from ._errors import broadcast_mismatch, quiet
from ._kernels import relu_forward
from ._node import OpNode, node_class
from ._promotion import promoting, result_type
from ._table import REGISTRY, defop

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sign", "sgn",
           "sin", "cos", "tanh", "sigmoid", "relu", "clamp", "maximum", "minimum", "where",
           "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "rsub",
           "log1p", "expm1", "rsqrt", "tan", "sinh", "cosh", "asin", "acos", "atan", "reciprocal",
           "square"]


# --- add, sub, rsub --------------------------------------------------------------------
@defop("add", promoting(np.add), inputs=("self", "other"), runs_on_arrays=True,
       math="grad_self = grad;  grad_other = grad  (each summed back to its input's shape)")
def _add_backward(grad):
    """d(self + other) = grad for both."""
    return grad, grad


ADD = REGISTRY["add"]


@defop("add_scalar", np.add, attrs=("other",), node_name="AddBackward0",
       wrapped_number=True, passes_gradient=True,
       math="grad_self = grad")
def _add_scalar_backward(grad, other):
    return grad


ADD_SCALAR = REGISTRY["add_scalar"]


@defop("sub", promoting(np.subtract), inputs=("self", "other"), runs_on_arrays=True,
       math="grad_self = grad;  grad_other = -grad  (each summed back to its input's shape)")
def _sub_backward(grad):
    """d(self - other)/dself = 1, /dother = -1."""
    return grad, -grad


SUB = REGISTRY["sub"]


@defop("sub_scalar", np.subtract, attrs=("other",), node_name="SubBackward0",
       wrapped_number=True, passes_gradient=True,
       math="grad_self = grad")
def _sub_scalar_backward(grad, other):
    return grad


SUB_SCALAR = REGISTRY["sub_scalar"]


@defop("rsub_scalar", lambda a, s: np.subtract(s, a), attrs=("other",), node_name="RsubBackward1",
       runs_on_arrays=True,
       math="grad_self = -grad")
def _rsub_scalar_backward(grad, other):
    """d(other - self)/dself = -1."""
    return -grad


RSUB_SCALAR = REGISTRY["rsub_scalar"]


# ``add(x, y, alpha=2)``, ``sub`` and ``rsub`` with alpha: one node that keeps alpha
# (``node._saved_alpha``), as PyTorch's AddBackward0 does, not a MulBackward0 under it.
_plus, _minus = promoting(np.add), promoting(np.subtract)


@defop("add_alpha", lambda a, b, alpha: _plus(a, b * alpha), inputs=("self", "other"),
       attrs=("alpha",), node_name="AddBackward0",
       math="grad_self = grad;  grad_other = grad * alpha")
def _add_alpha_backward(grad, alpha):
    """d(self + alpha·other)/dself = 1, /dother = alpha."""
    return grad, scale(grad, alpha)


ADD_ALPHA = REGISTRY["add_alpha"]


@defop("sub_alpha", lambda a, b, alpha: _minus(a, b * alpha), inputs=("self", "other"),
       attrs=("alpha",), node_name="SubBackward0",
       math="grad_self = grad;  grad_other = -grad * alpha")
def _sub_alpha_backward(grad, alpha):
    """d(self - alpha·other)/dself = 1, /dother = -alpha."""
    return grad, scale(-grad, alpha)


SUB_ALPHA = REGISTRY["sub_alpha"]


@defop("rsub", lambda a, b, alpha: _minus(b, a * alpha), inputs=("self", "other"),
       attrs=("alpha",), node_name="RsubBackward0",
       math="grad_self = -grad * alpha;  grad_other = grad")
def _rsub_backward(grad, alpha):
    """rsub(self, other) = other - alpha·self: d/dself = -alpha, d/dother = 1."""
    return scale(-grad, alpha), grad


RSUB = REGISTRY["rsub"]


# Note [Edges as PyTorch lists them]
# A node has one edge per tensor its row takes, but a few of PyTorch's nodes list other
# edges: WhereBackward0 none for the condition (bools, no graph input), ClampBackward0
# always three, (None, 0) for a bound that is not given. Their row's node class rewrites
# the edges ``attach`` gives it, whoever runs the row (the public function, or a traced
# program's ``ops.<row>``), and the row's formula returns one gradient per edge listed.
_EDGES: MemberDescriptorType = vars(Node)["next_functions"]  # the slot, under the property below


def _with_edges(spec, count: int, rearrange) -> type:
    """The node class of row ``spec`` with ``rearrange(edges)`` for the ``count`` edges
    that ``attach`` gives (Note [Edges as PyTorch lists them])."""

    def set_edges(node, edges: tuple) -> None:
        _EDGES.__set__(node, rearrange(edges) if len(edges) == count else edges)

    edges = property(_EDGES.__get__, set_edges)
    base = type(f"_{spec.node_cls.__name__}Edges", (OpNode,),
                {"__slots__": (), "next_functions": edges})
    return node_class(spec.node_cls.__name__, base, spec)


# --- mul, div --------------------------------------------------------------------------
# Note [A saved Python number]
# ``x * 2`` needs the 2 for its backward (grad * 2), and PyTorch keeps it the way it keeps
# any saved value: it wraps the number in a 0-d tensor (int64, float64 or bool) and saves
# that, so ``node._saved_other`` is ``tensor(2)``, and a backward frees it like any saved
# value: a second backward without retain_graph raises "Trying to backward through the
# graph a second time", as for ``x * y``. (``x + 2`` saves nothing, and may run again.)
# Our scalar rows keep the number as an attribute; their node class below adds the rest:
# it shows the number as PyTorch's 0-d tensor and forgets it after a backward.
class _SavesItsNumber(OpNode):
    """The node of a row that saves its Python-number operand (Note [A saved Python
    number]): ``_saved = ()`` until a backward without retain_graph frees it (None)."""

    __slots__ = ()
    _saves_nothing = False  # the engine must call _release_variables

    def _release_variables(self) -> None:
        self._saved = None

    @property
    def _saved_other(self) -> Tensor:
        if self._saved is None:
            raise freed_graph_error()
        return Tensor(np.asarray(self._attrs[0]))  # 2 -> int64, 2.5 -> float64, True -> bool

    @property
    def _saved_self(self) -> None:
        return None  # the number needs no gradient, so self is never saved (as in PyTorch)


def _saving_its_number(spec) -> None:
    """Give the scalar row ``spec`` (its number is attribute 0, ``other``) the node class
    of Note [A saved Python number], under the same name."""
    cls = node_class(spec.node_cls.__name__, _SavesItsNumber, spec)
    del cls._saved_other  # node_class's plain attribute reader: use the base's property
    cls._saves_nothing = False
    spec.node_cls = cls


@defop("mul", promoting(np.multiply), inputs=("self", "other"), save=("self", "other"),
       save_when={"self": "other", "other": "self"}, runs_on_arrays=True,
       math="grad_self = grad * other;  grad_other = grad * self")
def _mul_backward(grad, self, other, *, needs_input_grad=(True, True)):
    """d(self*other)/dself = other, d(self*other)/dother = self."""
    return (grad * other if needs_input_grad[0] else None,
            grad * self if needs_input_grad[1] else None)


MUL = REGISTRY["mul"]


@defop("mul_scalar", np.multiply, attrs=("other",), node_name="MulBackward0",
       wrapped_number=True, runs_on_arrays=True,
       math="grad_self = grad * other")
def _mul_scalar_backward(grad, other):
    return grad * other


MUL_SCALAR = REGISTRY["mul_scalar"]
_saving_its_number(MUL_SCALAR)


@defop("div", quiet(promoting(np.true_divide, int_to_float=True), "true_divide"),
       inputs=("self", "other"), save=("self", "other"), save_when={"self": "other"},
       runs_on_arrays=True,
       math="grad_self = grad / other;  grad_other = -grad * ((self / other) / other)")
def _div_backward(grad, self, other, *, needs_input_grad=(True, True)):
    """d(self/other)/dself = 1/other, d(self/other)/dother = -self/other**2, written as
    PyTorch's formula (-grad * ((self / other) / other)), so create_graph records its ops."""
    return (grad / other if needs_input_grad[0] else None,
            -grad * ((self / other) / other) if needs_input_grad[1] else None)


DIV = REGISTRY["div"]


@defop("div_scalar", quiet(np.true_divide), attrs=("other",), node_name="DivBackward0",
       wrapped_number=True, runs_on_arrays=True,
       math="grad_self = grad / other")
def _div_scalar_backward(grad, other):
    return grad / other


DIV_SCALAR = REGISTRY["div_scalar"]
_saving_its_number(DIV_SCALAR)


def _div_rounding(a, b, rounding_mode):
    """``a / b`` rounded down (``"floor"``) or toward zero (``"trunc"``), PyTorch's
    ``div(..., rounding_mode=)``; ints stay ints."""
    dtype = result_type(a, b)
    a, b = a.astype(dtype, copy=False), np.asarray(b).astype(dtype, copy=False)
    if dtype.kind in "iub":
        q = np.floor_divide(a, b)
        if rounding_mode == "trunc":
            q = q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
        return q
    with np.errstate(all="ignore"):
        return np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(np.true_divide(a, b))


@defop("div_rounding", _div_rounding, inputs=("self", "other"), save=("self", "other"),
       save_when={"self": "other", "other": "self"}, attrs=("rounding_mode",),
       node_name="DivBackward2",
       math="grad_self = 0;  grad_other = 0  (a rounded quotient is flat)")
def _div_rounding_backward(grad, self, other, rounding_mode):
    """Rounding makes the quotient a step function: its gradient is zero (as PyTorch,
    which still saves the operands, as for ``/``: a second backward then raises)."""
    return _zeros_like(grad), _zeros_like(grad)


DIV_ROUNDING = REGISTRY["div_rounding"]


@defop("div_rounding_scalar", _div_rounding,
       attrs=("other", "rounding_mode"), node_name="DivBackward2", wrapped_number=True,
       math="grad_self = 0")
def _div_rounding_scalar_backward(grad, other, rounding_mode):
    return _zeros_like(grad)


DIV_ROUNDING_SCALAR = REGISTRY["div_rounding_scalar"]
_saving_its_number(DIV_ROUNDING_SCALAR)


# ``number / x`` is ``x.reciprocal() * number``, as in PyTorch (see ``_true_div``).


# --- the Scalar overloads that derivative formulas record ------------------------------
# Note [What a formula records]
# Under create_graph=True every op of a formula becomes a node, so the graph of a
# gradient shows how its formula is written. PyTorch's formulas multiply and add numbers
# with the Scalar overloads of mul and add: ``2 * result`` there is ``mul(result, 2)``,
# recorded as MulBackward1 with one edge (no Python number wrapped in a tensor, unlike
# ``result * 2`` typed by a user, MulBackward0 with a second, empty edge). Formulas here
# say ``scale(t, 2)`` and ``shift(t, 1)`` to record the same nodes; ``tanh``, ``sigmoid``
# and ``relu`` call their backward as one op (``tanh_backward``...), as PyTorch does.
@defop("mul_Scalar", np.multiply, attrs=("other",), node_name="MulBackward1",
       math="grad_self = grad * other")
def _mul_Scalar_backward(grad, other):  # noqa: N802 - PyTorch's overload name
    return scale(grad, other)


MUL_SCALAR_OVERLOAD = REGISTRY["mul_Scalar"]


def scale(t: Tensor, number) -> Tensor:
    """``t * number`` as a formula records it: MulBackward1 (Note [What a formula records])."""
    return apply_op(MUL_SCALAR_OVERLOAD, (t,), (number,))


@defop("div_Scalar", quiet(np.true_divide), attrs=("other",), node_name="DivBackward1",
       math="grad_self = grad / other")
def _div_Scalar_backward(grad, other):  # noqa: N802 - PyTorch's overload name
    return divided(grad, other)


DIV_SCALAR_OVERLOAD = REGISTRY["div_Scalar"]


def divided(t: Tensor, number) -> Tensor:
    """``t / number`` as a formula (or a composite) records it: DivBackward1 (Note [What a
    formula records])."""
    return apply_op(DIV_SCALAR_OVERLOAD, (t,), (number,))


@defop("add_Scalar", np.add, attrs=("other",), node_name="AddBackward1",
       math="grad_self = grad")
def _add_Scalar_backward(grad, other):  # noqa: N802 - PyTorch's overload name
    return grad


ADD_SCALAR_OVERLOAD = REGISTRY["add_Scalar"]


def shift(t: Tensor, number) -> Tensor:
    """``t + number`` as a formula records it: AddBackward1 (Note [What a formula records])."""
    return apply_op(ADD_SCALAR_OVERLOAD, (t,), (number,))


@defop("neg", np.negative, runs_on_arrays=True,
       math="grad_self = -grad")
def _neg_backward(grad):
    return -grad


NEG = REGISTRY["neg"]


# --- pow -------------------------------------------------------------------------------
@defop("pow_scalar", quiet(np.power), save=("self",), attrs=("exponent",), node_name="PowBackward0",
       math="grad_self = grad * exponent * self^(exponent - 1)  (grad * 0 if exponent == 0)")
def _pow_scalar_backward(grad, self, exponent):
    """d(self**p)/dself = p * self**(p-1)."""
    if exponent == 0:
        return grad * 0
    return grad * scale(self ** (exponent - 1), exponent)


POW_SCALAR = REGISTRY["pow_scalar"]


@defop("pow", quiet(promoting(np.power), "power"), inputs=("self", "exponent"),
       save=("self", "exponent", "result"), node_name="PowBackward1",
       math=("grad_self = grad·exponent·self^(exponent-1) (0 if exponent=0);  "
             "grad_exponent = grad·result·log(self) (0 if self=0)"))
def _pow_backward(grad, self, exponent, result):
    """d(s**e)/ds = e * s**(e-1) (0 where e == 0); d(s**e)/de = s**e * log(s) (0 where s == 0)."""
    grad_self = grad * where(exponent == 0, 0.0, exponent * self ** (exponent - 1))
    safe_log = log(where(self == 0, 1.0, self))
    return grad_self, grad * result * safe_log


POW = REGISTRY["pow"]


@defop("rpow_scalar", quiet(lambda a, base: np.power(base, a), "rpow"), inputs=("exponent",),
       save=("exponent", "result"), attrs=("self",), node_name="PowBackward2",
       math=("grad_exponent = grad * result * log(self)  (self = 0: 0 where exponent ≥ 0, else "
             "grad * -inf)"))
def _rpow_scalar_backward(grad, exponent, result, self):
    """d(base**e)/de = base**e * log(base); for base 0, 0 where e >= 0 (as PyTorch)."""
    if self == 0:
        return grad * where(exponent >= 0, 0.0, result * float("-inf"))
    log_base = math.log(self) if self > 0 else float("nan")
    return grad * scale(result, log_base)


RPOW_SCALAR = REGISTRY["rpow_scalar"]


# --- unary maths -----------------------------------------------------------------------
def _floating(np_fn, name=None):
    """A forward for a float-valued op: int and bool inputs are computed in the default
    float dtype, as PyTorch does (exp of an int tensor is float32, never truncated)."""

    def forward(a, *args):
        if a.dtype.kind != "f":
            a = a.astype(_dtypes._default.np)
        return np_fn(a, *args)  # inf and nan without warnings: Note [Floating-point warnings]

    forward.__name__ = forward.__qualname__ = name or getattr(np_fn, "__name__", "forward")
    return forward


@defop("exp", _floating(np.exp), save=("result",), runs_on_arrays=True,
       math="grad_self = grad * result")
def _exp_backward(grad, result):
    """d exp(x) = exp(x)."""
    return grad * result


EXP = REGISTRY["exp"]


@defop("expm1", _floating(np.expm1), save=("result",),
       math="grad_self = grad * (result + 1)")
def _expm1_backward(grad, result):
    """d (exp(x) - 1) = exp(x) = result + 1."""
    return grad * shift(result, 1)


EXPM1 = REGISTRY["expm1"]


@defop("log", _floating(np.log), save=("self",), runs_on_arrays=True,
       math="grad_self = grad / self")
def _log_backward(grad, self):
    """d log(x) = 1/x."""
    return grad / self


LOG = REGISTRY["log"]


@defop("log1p", _floating(np.log1p), save=("self",), node_name="Log1PBackward0",
       math="grad_self = grad / (self + 1)")
def _log1p_backward(grad, self):
    """d log(1+x) = 1/(1+x)."""
    return grad / shift(self, 1)


LOG1P = REGISTRY["log1p"]


@defop("sqrt", _floating(np.sqrt), save=("result",),
       math="grad_self = grad / (2 * result)")
def _sqrt_backward(grad, result):
    """d sqrt(x) = 1 / (2 sqrt(x))."""
    return grad / scale(result, 2)


SQRT = REGISTRY["sqrt"]


@defop("rsqrt", _floating(lambda a: 1 / np.sqrt(a)), save=("result",),
       math="grad_self = -0.5 * grad * result³")
def _rsqrt_backward(grad, result):
    """d x**-1/2 = -1/2 x**-3/2 = -result**3 / 2."""
    return scale(grad, -0.5) * result ** 3


RSQRT = REGISTRY["rsqrt"]


@defop("reciprocal", _floating(np.reciprocal), save=("result",),
       math="grad_self = -grad * result²")
def _reciprocal_backward(grad, result):
    """d 1/x = -1/x**2."""
    return -grad * (result * result)


RECIPROCAL = REGISTRY["reciprocal"]


@defop("square", np.square, save=("self",), node_name="PowBackward0",
       math="grad_self = grad * 2 * self^1  (pow's formula, exponent 2)")
def _square_backward(grad, self):
    """square is pow(self, 2), as in PyTorch: pow's formula, ``self ** 1`` included."""
    return _pow_scalar_backward(grad, self, 2)


SQUARE = REGISTRY["square"]


@defop("abs", np.abs, save=("self",),
       math="grad_self = grad * sign(self)")
def _abs_backward(grad, self):
    """d|x| = sgn(x) (0 at 0, as PyTorch; sgn is sign, for real numbers)."""
    return grad * _sgn(self)


ABS = REGISTRY["abs"]


def _sign_forward(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "b":
        return a.copy()
    out = np.sign(a)
    return np.where(np.isnan(out), 0, out).astype(a.dtype) if a.dtype.kind == "f" else out


@defop("sign", _sign_forward,
       math="grad_self = 0  (a constant)")
def _sign_backward(grad):
    """sign is flat almost everywhere: its gradient is zero, a constant (PyTorch's
    ``zeros_like(grad)``: it does not require grad even under create_graph)."""
    return _zeros_like(grad)


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor(np.zeros_like(t._data))


SIGN = REGISTRY["sign"]


@defop("sgn", _sign_forward, node_name="SgnBackward0",
       math="grad_self = 0  (a constant)")
def _sgn_backward(grad):
    """sgn is sign for real numbers (``x/|x|`` for complex ones); abs's formula reads it."""
    return _zeros_like(grad)


SGN = REGISTRY["sgn"]


def _sgn(input: Tensor) -> Tensor:
    return apply_op(SGN, (input,))


@defop("sin", _floating(np.sin), save=("self",),
       math="grad_self = grad * cos(self)")
def _sin_backward(grad, self):
    """d sin(x) = cos(x)."""
    return grad * cos(self)


SIN = REGISTRY["sin"]


@defop("cos", _floating(np.cos), save=("self",),
       math="grad_self = grad * -sin(self)")
def _cos_backward(grad, self):
    """d cos(x) = -sin(x)."""
    return grad * -sin(self)


COS = REGISTRY["cos"]


@defop("tan", _floating(np.tan), save=("result",),
       math="grad_self = grad * (1 + result²)")
def _tan_backward(grad, result):
    """d tan(x) = 1 + tan(x)**2."""
    return grad * shift(result ** 2, 1)


TAN = REGISTRY["tan"]


@defop("sinh", _floating(np.sinh), save=("self",),
       math="grad_self = grad * cosh(self)")
def _sinh_backward(grad, self):
    return grad * cosh(self)


SINH = REGISTRY["sinh"]


@defop("cosh", _floating(np.cosh), save=("self",),
       math="grad_self = grad * sinh(self)")
def _cosh_backward(grad, self):
    return grad * sinh(self)


COSH = REGISTRY["cosh"]


@defop("asin", _floating(np.arcsin), save=("self",),
       math="grad_self = grad / √(1 - self²)")
def _asin_backward(grad, self):
    """d asin(x) = 1/sqrt(1 - x**2)."""
    return grad * rsqrt(shift(-self * self, 1))


ASIN = REGISTRY["asin"]


@defop("acos", _floating(np.arccos), save=("self",),
       math="grad_self = grad * -1/√(1 - self²)")
def _acos_backward(grad, self):
    """d acos(x) = -1/sqrt(1 - x**2)."""
    return grad * -rsqrt(shift(-self * self, 1))


ACOS = REGISTRY["acos"]


@defop("atan", _floating(np.arctan), save=("self",),
       math="grad_self = grad / (1 + self²)")
def _atan_backward(grad, self):
    """d atan(x) = 1/(1 + x**2)."""
    return grad / shift(self * self, 1)


ATAN = REGISTRY["atan"]


@defop("tanh_backward", promoting(lambda g, y: g * (1 - y * y), name="tanh_backward"),
       inputs=("grad_output", "output"), save=("grad_output", "output"),
       node_name="TanhBackwardBackward0",
       math=("grad_grad_output = tanh_backward(grad, output);  "
             "grad_output = grad * (-2 * output * grad_output)"))
def _tanh_backward_backward(grad, grad_output, output):
    """``grad_output * (1 - output²)`` is linear in grad_output; d/doutput = -2 output."""
    return tanh_backward(grad, output), grad * (scale(output, -2) * grad_output)


TANH_BACKWARD = REGISTRY["tanh_backward"]


def tanh_backward(grad_output: Tensor, output: Tensor) -> Tensor:
    """tanh's gradient ``grad_output * (1 - output²)`` as one op (PyTorch's
    tanh_backward): under create_graph it is one node, TanhBackwardBackward0."""
    return apply_op(TANH_BACKWARD, (grad_output, output))


@defop("tanh", _floating(np.tanh), save=("result",),
       math="grad_self = tanh_backward(grad, result) = grad * (1 - result²)")
def _tanh_backward(grad, result):
    """d tanh(x) = 1 - tanh(x)**2."""
    return tanh_backward(grad, result)


TANH = REGISTRY["tanh"]


def _sigmoid_forward(a: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow warning for large |a|.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


@defop("sigmoid_backward", promoting(lambda g, y: g * y * (1 - y), name="sigmoid_backward"),
       inputs=("grad_output", "output"), save=("grad_output", "output"),
       node_name="SigmoidBackwardBackward0",
       math=("grad_grad_output = sigmoid_backward(grad, output);  "
             "grad_output = grad * grad_output * (1 - 2 * output)"))
def _sigmoid_backward_backward(grad, grad_output, output):
    """``grad_output * output * (1 - output)`` is linear in grad_output; d/doutput =
    1 - 2 output."""
    return sigmoid_backward(grad, output), grad * grad_output * shift(scale(output, -2), 1)


SIGMOID_BACKWARD = REGISTRY["sigmoid_backward"]


def sigmoid_backward(grad_output: Tensor, output: Tensor) -> Tensor:
    """sigmoid's gradient ``grad_output * output * (1 - output)`` as one op (PyTorch's
    sigmoid_backward): under create_graph it is one node, SigmoidBackwardBackward0."""
    return apply_op(SIGMOID_BACKWARD, (grad_output, output))


@defop("sigmoid", _floating(_sigmoid_forward), save=("result",),
       math="grad_self = sigmoid_backward(grad, result) = grad * result * (1 - result)")
def _sigmoid_backward(grad, result):
    """d sigmoid(x) = sigmoid(x) (1 - sigmoid(x))."""
    return sigmoid_backward(grad, result)


SIGMOID = REGISTRY["sigmoid"]


@defop("threshold_backward", lambda g, r: g * ~(r <= 0), inputs=("grad_output", "self"),
       save=("self",), node_name="ThresholdBackwardBackward0",
       math="grad_grad_output = threshold_backward(grad, self);  grad_self = 0")
def _threshold_backward_backward(grad, self):
    """relu's gradient ``grad_output * [self > 0]`` is linear in grad_output, with the
    same mask; the mask is flat in ``self`` (PyTorch's ThresholdBackwardBackward0)."""
    return threshold_backward(grad, self), grad * 0


THRESHOLD_BACKWARD = REGISTRY["threshold_backward"]


def threshold_backward(grad_output, result):
    """``grad_output`` where ``result > 0`` (or nan), else 0: relu's gradient as one op, so
    that under create_graph it depends on relu's result as PyTorch's does."""
    return apply_op(THRESHOLD_BACKWARD, (grad_output, result))


@defop("relu", relu_forward, save=("result",),
       math="grad_self = threshold_backward(grad, result) = grad * ¬(result ≤ 0)  (0 where "
            "self ≤ 0; a nan passes grad on)")
def _relu_backward(grad, result):
    """d relu(x) = 0 where x <= 0, else 1 (a nan passes its gradient, as in PyTorch)."""
    return threshold_backward(grad, result)


RELU = REGISTRY["relu"]


@defop("clamp", lambda a, lo, hi: np.clip(a, lo, hi), save=("self",), attrs=("min", "max"),
       node_name="ClampBackward1",
       math="grad_self = where(min ≤ self ≤ max, grad, 0)  (a None bound is no limit; 0 at nan)")
def _clamp_backward(grad, self, min, max):  # noqa: A002 - PyTorch's argument names
    """Gradient passes where min <= x <= max, and is 0 where the clamp cut it off."""
    mask = self == self
    if min is not None:
        mask = mask & (self >= min)
    if max is not None:
        mask = mask & (self <= max)
    return where(mask, grad, 0.0)


CLAMP = REGISTRY["clamp"]


# clamp with tensor bounds: the bounds are graph inputs too (PyTorch's clamp.Tensor).
# A bound gets the gradient where it was the value chosen, the input where it was kept.
@defop("clamp_tensor", promoting(lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi)),
       inputs=("self", "min", "max"), save=("self", "min", "max"), node_name="ClampBackward0",
       math=("grad_self = grad·[min≤self≤max];  grad_min = grad·[self<min<max];  "
             "grad_max = grad·[self>max or max<min]"))
def _clamp_tensor_backward(grad, self, min, max):  # noqa: A002
    """d/dself = [min <= x <= max], d/dmin = [x < min and min < max],
    d/dmax = [x > max or max < min]."""
    zero = grad * 0
    return (where((self >= min) & (self <= max), grad, zero),
            where((self < min) & (min < max), grad, zero),
            where((self > max) | (max < min), grad, zero))


CLAMP_TENSOR = REGISTRY["clamp_tensor"]


@defop("clamp_min_tensor", promoting(np.maximum), inputs=("self", "min"), save=("self", "min"),
       node_name="ClampBackward0",
       math="grad_self = where(self ≥ min, grad, 0);  grad_min = where(self < min, grad, 0)")
def _clamp_min_tensor_backward(grad, self, min):  # noqa: A002
    """d/dself = [x >= min]; d/dmin = [x < min]."""
    zero = grad * 0
    return where(self >= min, grad, zero), where(self < min, grad, zero)


CLAMP_MIN_TENSOR = REGISTRY["clamp_min_tensor"]
CLAMP_MIN_TENSOR.node_cls = _with_edges(CLAMP_MIN_TENSOR, 2, lambda e: (*e, (None, 0)))


@defop("clamp_max_tensor", promoting(np.minimum), inputs=("self", "max"), save=("self", "max"),
       node_name="ClampBackward0",
       math="grad_self = where(self ≤ max, grad, 0);  grad_max = where(self > max, grad, 0)")
def _clamp_max_tensor_backward(grad, self, max):  # noqa: A002
    """d/dself = [x <= max]; d/dmax = [x > max]. Three edges, as PyTorch lists them
    (x, min, max): None for the min not given."""
    zero = grad * 0
    return where(self <= max, grad, zero), None, where(self > max, grad, zero)


CLAMP_MAX_TENSOR = REGISTRY["clamp_max_tensor"]
CLAMP_MAX_TENSOR.node_cls = _with_edges(CLAMP_MAX_TENSOR, 2, lambda e: (e[0], (None, 0), e[1]))


# --- two-tensor selections -------------------------------------------------------------
@defop("maximum", promoting(np.maximum), inputs=("self", "other"), save=("self", "other"),
       result_writes=1,
       math=("grad_self = t.masked_fill_(self < other, 0);  grad_other = t.masked_fill_(self > "
             "other, 0)  (t: grad, halved on ties)"))
def _maximum_backward(grad, self, other):
    """The larger input gets the gradient; on ties each gets half (as PyTorch).

    PyTorch's formula: half on ties, then zero written in place where the other one wins
    (so each gradient has version 1: Note [Formulas that write their result in place] in
    _table.py). A nan (no winner, no tie) passes its gradient to both.
    """
    return _selected(grad, self, other, self < other), _selected(grad, self, other, self > other)


def _selected(grad, self, other, loses):
    """maximum's and minimum's gradient of one input: half of ``grad`` on ties, all of it
    elsewhere, then zero written in place where that input ``loses``."""
    shared = where(self == other, divided(grad, 2), grad)
    return shared.masked_fill_(loses, 0)


MAXIMUM = REGISTRY["maximum"]


@defop("minimum", promoting(np.minimum), inputs=("self", "other"), save=("self", "other"),
       result_writes=1,
       math=("grad_self = t.masked_fill_(self > other, 0);  grad_other = t.masked_fill_(self < "
             "other, 0)  (t: grad, halved on ties)"))
def _minimum_backward(grad, self, other):
    """The smaller input gets the gradient; on ties each gets half."""
    return _selected(grad, self, other, self > other), _selected(grad, self, other, self < other)


MINIMUM = REGISTRY["minimum"]


@defop("where", promoting(np.where, skip=1), inputs=("condition", "self", "other"),
       save=("condition",),
       math=("grad_condition: no edge (bools);  grad_self = where(condition, grad, 0);  "
             "grad_other = where(condition, 0, grad)"))
def _where_backward(grad, condition):
    """where(c, a, b): the gradient goes to a where c holds, to b elsewhere. The condition
    (bools) is no graph input: the node's edges are a's and b's alone, as in PyTorch."""
    return where(condition, grad, 0), where(condition, 0, grad)


WHERE = REGISTRY["where"]
WHERE.node_cls = _with_edges(WHERE, 3, lambda edges: edges[1:])


# --- public functions ------------------------------------------------------------------
def _binary(name: str, symbol: str, tensor_spec, scalar_spec, reflected_spec):
    """The function ``name(input, other)``: ``input OP other`` dispatched to the
    tensor-tensor row or, with a number on either side, to the tensor-number one."""

    def op(input, other):
        if isinstance(input, Tensor):
            if type(other) is float or type(other) is int:  # fast path for the common case
                return apply_op(scalar_spec, (input,), (other,))
            if is_scalar(other):
                return apply_op(scalar_spec, (input,), (python_scalar(other),))
            if type(other) is not Tensor:
                other = _operand(other, input, "other", 2)
            return apply_op(tensor_spec, (input, other))
        if is_scalar(input) and isinstance(other, Tensor) and reflected_spec is not None:
            return apply_op(reflected_spec, (other,), (python_scalar(input),))
        return apply_op(tensor_spec, (_operand(input, other, "input", 1),
                                      _operand(other, input, "other", 2)))

    def _operand(x, like, argument, position):
        if x is None or isinstance(x, (str, bytes)):  # PyTorch: Tensor.__mul__ gives up
            raise TypeError(f"unsupported operand type(s) for {symbol}: "
                            f"{'Tensor' if position == 2 else type(x).__name__!r} and "
                            f"{type(x).__name__ if position == 2 else 'Tensor'!r} ("
                            f"{name}(): argument '{argument}' must be a Tensor or a number)")
        return as_tensor_arg(x, like)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``input {symbol} other`` with broadcasting; either may be a Python number."
    return op


# ``x + y`` takes no alpha: the operator is bound to this, one call shorter than ``add``.
add_operator = _binary("add", "+", ADD, ADD_SCALAR, ADD_SCALAR)
mul = _binary("mul", "*", MUL, MUL_SCALAR, MUL_SCALAR)
_div = _binary("div", "/", DIV, DIV_SCALAR, None)


def _true_div(input, other):
    """``input / other``; a Python number over a tensor is, as in PyTorch,
    ``other.reciprocal() * input`` (MulBackward0 over ReciprocalBackward0)."""
    if is_scalar(input) and isinstance(other, Tensor):
        return apply_op(MUL_SCALAR, (apply_op(RECIPROCAL, (other,)),), (python_scalar(input),))
    return _div(input, other)


_true_div.__name__ = _true_div.__qualname__ = "div"


def div(input, other, *, rounding_mode=None):
    """``input / other`` with broadcasting; ``rounding_mode="floor"`` or ``"trunc"``
    rounds the quotient (its gradient is then zero, as in PyTorch)."""
    if rounding_mode is None:
        return _true_div(input, other)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if isinstance(input, Tensor) and is_scalar(other):
        return apply_op(DIV_ROUNDING_SCALAR, (input,), (python_scalar(other), rounding_mode))
    return apply_op(DIV_ROUNDING, (as_tensor_arg(input, other), as_tensor_arg(other, input)),
                    (rounding_mode,))
_sub = _binary("sub", "-", SUB, SUB_SCALAR, RSUB_SCALAR)


def _scaled(other, alpha):
    """``alpha * other`` for add and sub's ``alpha``: ``other`` may be a number too."""
    return mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def _is_bool(x) -> bool:
    return isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting (one AddBackward0 keeping alpha)."""
    if alpha != 1:
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            return apply_op(ADD_ALPHA, (input, other), (alpha,))
        other = _scaled(other, alpha)
    return add_operator(input, other)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    if alpha != 1:
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            return apply_op(SUB_ALPHA, (input, other), (alpha,))
        other = _scaled(other, alpha)
    return _sub(input, other)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``: RsubBackward0 for two tensors, as in PyTorch."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        if _is_bool(input) or _is_bool(other):
            return sub(other, input, alpha=alpha)  # PyTorch's bool error
        return apply_op(RSUB, (input, other), (alpha,))
    return sub(other, input, alpha=alpha)


def pow(input, exponent):  # noqa: A001 - mirrors torch.pow
    """``input ** exponent``; either one may be a Python number."""
    if isinstance(input, Tensor) and is_scalar(exponent):
        return apply_op(POW_SCALAR, (input,), (python_scalar(exponent),))
    if is_scalar(input) and isinstance(exponent, Tensor):
        return apply_op(RPOW_SCALAR, (exponent,), (python_scalar(input),))
    return apply_op(POW, (as_tensor_arg(input, exponent), as_tensor_arg(exponent, input)))


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("neg", "input", 1, input)
    if _is_bool(input):
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return apply_op(NEG, (input,))


def _unary(spec):
    def fn(input: Tensor) -> Tensor:
        try:
            return apply_op(spec, (input,))
        except AttributeError:
            if not isinstance(input, Tensor):
                raise not_a_tensor(spec.name, "input", 1, input) from None
            raise

    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = f"Elementwise {spec.name}; backward: {(spec.backward.__doc__ or '').strip()}"
    return fn


exp = _unary(EXP)
expm1 = _unary(EXPM1)
log = _unary(LOG)
log1p = _unary(LOG1P)
sqrt = _unary(SQRT)
rsqrt = _unary(RSQRT)
reciprocal = _unary(RECIPROCAL)
square = _unary(SQUARE)
abs = _unary(ABS)  # noqa: A001
sign = _unary(SIGN)
# PyTorch's sgn: sign's twin that also takes complex numbers (x/|x|); abs's derivative reads
# it, so a create_graph graph shows SgnBackward0.
sgn = _unary(SGN)
sin = _unary(SIN)
cos = _unary(COS)
tan = _unary(TAN)
sinh = _unary(SINH)
cosh = _unary(COSH)
asin = _unary(ASIN)
acos = _unary(ACOS)
atan = _unary(ATAN)
tanh = _unary(TANH)
sigmoid = _unary(SIGMOID)
relu = _unary(RELU)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; at least one bound must be given."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("clamp", "input", 1, input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if max is None:
            return apply_op(CLAMP_MIN_TENSOR, (input, as_tensor_arg(min, input)))
        if min is None:
            return apply_op(CLAMP_MAX_TENSOR, (input, as_tensor_arg(max, input)))
        return apply_op(CLAMP_TENSOR,
                        (input, as_tensor_arg(min, input), as_tensor_arg(max, input)))
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not is_scalar(bound):
            raise TypeError(f"clamp(): argument '{name}' must be Number or Tensor, "
                            f"not {type(bound).__name__}")
    return apply_op(CLAMP, (input,), (python_scalar(min), python_scalar(max)))


def _tensors(op, input, other):
    """``(input, other)``, both of which must be Tensors (as for PyTorch's maximum)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor(op, "input", 1, input)
    if not isinstance(other, Tensor):
        raise not_a_tensor(op, "other", 2, other)
    return input, other


def maximum(input, other):
    """The larger of two tensors, elementwise (numbers are refused, as in PyTorch:
    use ``clamp(input, min=number)``)."""
    return apply_op(MAXIMUM, _tensors("maximum", input, other))


def minimum(input, other):
    """The smaller of two tensors, elementwise (``clamp(input, max=number)`` for a number)."""
    return apply_op(MINIMUM, _tensors("minimum", input, other))


_ALONE = object()  # where(condition) with no input and other (None is a value: refused)


def where(condition, input=_ALONE, other=_ALONE):
    """Pick ``input`` where ``condition`` holds, else ``other`` (scalars allowed);
    ``where(condition)`` alone is the indices where it holds, one tensor per dim (as
    ``nonzero(as_tuple=True)``)."""
    if input is _ALONE and other is _ALONE:
        if not isinstance(condition, Tensor):
            raise not_a_tensor("where", "condition", 1, condition)
        return tuple(wrap_unrowed("nonzero", idx.astype(np.int64), (condition,))
                     for idx in np.nonzero(condition._data))
    if input is _ALONE or other is _ALONE or input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other "
                        "(each a Tensor or a number)")
    condition = as_tensor_arg(condition)
    if condition._data.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    return apply_op(WHERE,
                    (condition, as_tensor_arg(input, like), as_tensor_arg(other, like)))


# --- comparisons and logic: no gradient --------------------------------------------------
def _compare(np_fn, name, logical=False):
    """A comparison takes Tensors or numbers; logical_and/or take Tensors only."""

    def fn(input, other):
        for position, (arg, v) in enumerate((("input", input), ("other", other)), 1):
            if not isinstance(v, Tensor) and (logical or not is_scalar(v)):
                raise not_a_tensor(name, arg, position, v, number=not logical)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        try:
            return wrap_unrowed(name, np.asarray(np_fn(a, b)), (input, other),
                                tuple(v for v in (input, other) if not isinstance(v, Tensor)))
        except ValueError:
            mismatch = broadcast_mismatch([np.shape(a), np.shape(b)])
            if mismatch is None:
                raise
            raise RuntimeError(f"{mismatch} (in {name}, shapes {list(np.shape(a))} and "
                               f"{list(np.shape(b))})") from None

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name}; returns a bool tensor outside the graph."
    return fn


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and", logical=True)
logical_or = _compare(np.logical_or, "logical_or", logical=True)


def logical_not(input: Tensor) -> Tensor:
    return wrap_unrowed("logical_not", np.logical_not(input._data), (input,))
