"""Reverse-mode autodiff on one page: a gradient tape over NumPy arrays.

The whole idea: every operation on a ``Variable`` computes its result with NumPy
and writes one ``TapeEntry`` on a tape: the names of its inputs and output, and
a small ``propagate`` closure that turns dL/d(output) into dL/d(inputs) (the
chain rule for that one op). ``grad`` seeds dL/dL = 1, walks the tape
backwards calling each closure, and *sums* the gradients wherever a variable
was used more than once (the multivariate chain rule). That is all autograd is;
the full engine in this package adds graphs instead of a flat tape, hooks,
double backward and PyTorch's API.

>>> reset_tape()
>>> x = Variable([1.0, 2.0, 3.0])
>>> L = (x * x + x).sum()
>>> grad(L, [x])[0]          # d(x*x + x)/dx = 2x + 1
array([3., 5., 7.])
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# dL/d(outputs) -> dL/d(inputs); an output that L does not depend on has no gradient: None
Propagate = Callable[[list[np.ndarray | None]], list[np.ndarray]]

_next_id = 0


def fresh_name() -> str:
    """Return v0, v1, ...: sequential, not ``id()``, so printed tapes stay stable."""
    global _next_id
    name = f"v{_next_id}"
    _next_id += 1
    return name


class Variable:
    """A NumPy array with a name, so the tape can refer to it."""

    __array_ufunc__ = None  # so ``ndarray + Variable`` calls our __radd__, not NumPy

    def __init__(self, value: Any, name: str | None = None) -> None:
        value = np.asarray(value)
        if not np.issubdtype(value.dtype, np.floating):
            value = value.astype(np.float64)  # gradients need real numbers
        self.value: np.ndarray = value
        self.name: str = name or fresh_name()

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Variable({self.value!r}, name={self.name!r})"

    # One line per operator, so it reads like a table.
    # fmt: off
    def __add__(self, other: Any) -> Variable: return add(self, other)
    def __radd__(self, other: Any) -> Variable: return add(other, self)
    def __sub__(self, other: Any) -> Variable: return sub(self, other)
    def __rsub__(self, other: Any) -> Variable: return sub(other, self)
    def __mul__(self, other: Any) -> Variable: return mul(self, other)
    def __rmul__(self, other: Any) -> Variable: return mul(other, self)
    def __truediv__(self, other: Any) -> Variable: return div(self, other)
    def __rtruediv__(self, other: Any) -> Variable: return div(other, self)
    def __matmul__(self, other: Any) -> Variable: return matmul(self, other)
    def __rmatmul__(self, other: Any) -> Variable: return matmul(other, self)
    def __neg__(self) -> Variable: return neg(self)
    def exp(self) -> Variable: return exp(self)
    def log(self) -> Variable: return log(self)
    def sin(self) -> Variable: return sin(self)
    def cos(self) -> Variable: return cos(self)
    def tanh(self) -> Variable: return tanh(self)
    def relu(self) -> Variable: return relu(self)
    def sum(self) -> Variable: return sum(self)
    # fmt: on


@dataclass
class TapeEntry:
    """One recorded op: what went in, what came out, how to run the chain rule back."""

    inputs: list[str]
    outputs: list[str]
    propagate: Propagate = field(repr=False)

    def __repr__(self) -> str:  # reads like the program that ran: "v2 = mul(v0, v1)"
        op = self.propagate.__name__.removeprefix("propagate_")
        return f"{', '.join(self.outputs)} = {op}({', '.join(self.inputs)})"


gradient_tape: list[TapeEntry] = []


def reset_tape() -> None:
    """Forget all recorded ops and restart names at v0 (so drop old Variables)."""
    global _next_id
    gradient_tape.clear()
    _next_id = 0


@contextlib.contextmanager
def new_tape() -> Iterator[list[TapeEntry]]:
    """Record on a fresh tape inside the block; the old tape and names return after."""
    global _next_id
    saved = (list(gradient_tape), _next_id)
    reset_tape()
    try:
        yield gradient_tape
    finally:
        gradient_tape[:] = saved[0]
        _next_id = saved[1]


def grad(L: Variable, desired_results: list[Variable]) -> list[np.ndarray]:
    """dL/dv for each v in ``desired_results``, as NumPy arrays; ``L`` is a scalar."""
    if L.value.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    dL_d: dict[str, np.ndarray] = {L.name: np.ones_like(L.value)}  # dL/dL = 1
    # Last op first: by the time we reach an op, all uses of its output are done.
    for entry in reversed(gradient_tape):
        grad_outputs = [dL_d.get(name) for name in entry.outputs]
        if all(g is None for g in grad_outputs):
            continue  # L does not depend on this op's outputs, so nothing flows back
        grad_inputs = entry.propagate(grad_outputs)
        for name, g in zip(entry.inputs, grad_inputs, strict=True):  # one per input
            # A variable used twice gets one contribution per use: add them up.
            # (Not ``+=``: two inputs may share one gradient array, e.g. in ``add``.)
            dL_d[name] = dL_d[name] + g if name in dL_d else g
    # Unused variables get zeros; copies so callers never share an array.
    return [np.array(dL_d.get(v.name, np.zeros_like(v.value))) for v in desired_results]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back down to ``shape``.

    An input that broadcasting copied to many places gets the sum of their grads.
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)  # dimensions that broadcasting added in front
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)  # size-1 dims that were stretched
    return grad


def _operands(a: Any, b: Any) -> tuple[Variable, Variable]:
    """Make both operands Variables; a constant becomes a leaf nobody asks about."""
    dtype = (a if isinstance(a, Variable) else b).value.dtype  # constants follow it
    if not isinstance(a, Variable):
        a = Variable(np.asarray(a, dtype))
    if not isinstance(b, Variable):
        b = Variable(np.asarray(b, dtype))
    return a, b


def _record(inputs: list[Variable], value: Any, propagate: Propagate) -> Variable:
    """Wrap the forward result and write the op on the tape."""
    out = Variable(value)
    gradient_tape.append(TapeEntry([v.name for v in inputs], [out.name], propagate))
    return out


# The ops. Each computes its forward with NumPy, then records how to go backward.


def add(a: Any, b: Any) -> Variable:
    a, b = _operands(a, b)

    def propagate_add(grad_outputs):  # d(a+b)/da = 1, d(a+b)/db = 1
        (g,) = grad_outputs
        return [unbroadcast(g, a.shape), unbroadcast(g, b.shape)]

    return _record([a, b], a.value + b.value, propagate_add)


def sub(a: Any, b: Any) -> Variable:
    a, b = _operands(a, b)

    def propagate_sub(grad_outputs):  # d(a-b)/da = 1, d(a-b)/db = -1
        (g,) = grad_outputs
        return [unbroadcast(g, a.shape), unbroadcast(-g, b.shape)]

    return _record([a, b], a.value - b.value, propagate_sub)


def mul(a: Any, b: Any) -> Variable:
    a, b = _operands(a, b)

    def propagate_mul(grad_outputs):  # d(a*b)/da = b, d(a*b)/db = a
        (g,) = grad_outputs
        return [unbroadcast(g * b.value, a.shape), unbroadcast(g * a.value, b.shape)]

    return _record([a, b], a.value * b.value, propagate_mul)


def div(a: Any, b: Any) -> Variable:
    a, b = _operands(a, b)

    def propagate_div(grad_outputs):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2
        (g,) = grad_outputs
        da, db = g / b.value, -g * a.value / b.value**2
        return [unbroadcast(da, a.shape), unbroadcast(db, b.shape)]

    return _record([a, b], a.value / b.value, propagate_div)


def matmul(a: Any, b: Any) -> Variable:
    a, b = _operands(a, b)

    def propagate_matmul(grad_outputs):  # d(A@B)/dA = g @ B.T, d(A@B)/dB = A.T @ g
        (g,) = grad_outputs
        # A vector acts as a 1-row (left) or 1-column (right) matrix; undone at the end.
        A = a.value[None, :] if a.value.ndim == 1 else a.value
        B = b.value[:, None] if b.value.ndim == 1 else b.value
        g = g[..., None, :] if a.value.ndim == 1 else g
        g = g[..., None] if b.value.ndim == 1 else g
        dA, dB = g @ np.swapaxes(B, -1, -2), np.swapaxes(A, -1, -2) @ g
        dA, dB = unbroadcast(dA, A.shape), unbroadcast(dB, B.shape)
        return [dA.reshape(a.shape), dB.reshape(b.shape)]

    return _record([a, b], a.value @ b.value, propagate_matmul)


def neg(x: Variable) -> Variable:
    def propagate_neg(grad_outputs):  # d(-x)/dx = -1
        (g,) = grad_outputs
        return [-g]

    return _record([x], -x.value, propagate_neg)


def exp(x: Variable) -> Variable:
    out = np.exp(x.value)

    def propagate_exp(grad_outputs):  # d(exp x)/dx = exp x: reuse the forward result
        (g,) = grad_outputs
        return [g * out]

    return _record([x], out, propagate_exp)


def log(x: Variable) -> Variable:
    def propagate_log(grad_outputs):  # d(log x)/dx = 1/x
        (g,) = grad_outputs
        return [g / x.value]

    return _record([x], np.log(x.value), propagate_log)


def sin(x: Variable) -> Variable:
    def propagate_sin(grad_outputs):  # d(sin x)/dx = cos x
        (g,) = grad_outputs
        return [g * np.cos(x.value)]

    return _record([x], np.sin(x.value), propagate_sin)


def cos(x: Variable) -> Variable:
    def propagate_cos(grad_outputs):  # d(cos x)/dx = -sin x
        (g,) = grad_outputs
        return [-g * np.sin(x.value)]

    return _record([x], np.cos(x.value), propagate_cos)


def tanh(x: Variable) -> Variable:
    out = np.tanh(x.value)

    def propagate_tanh(grad_outputs):  # d(tanh x)/dx = 1 - tanh(x)**2
        (g,) = grad_outputs
        return [g * (1 - out**2)]

    return _record([x], out, propagate_tanh)


def relu(x: Variable) -> Variable:
    def propagate_relu(grad_outputs):  # d(relu x)/dx = 1 if x > 0 else 0 (as PyTorch)
        (g,) = grad_outputs
        return [g * (x.value > 0)]

    return _record([x], np.maximum(x.value, 0), propagate_relu)


def sum(x: Variable) -> Variable:  # shadows the builtin on purpose, like torch.sum
    def propagate_sum(grad_outputs):  # d(sum x)/dx_i = 1: every x_i gets the same g
        (g,) = grad_outputs
        return [np.full(x.shape, g, dtype=g.dtype)]

    return _record([x], x.value.sum(), propagate_sum)
