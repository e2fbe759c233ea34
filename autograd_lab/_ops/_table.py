"""The derivative table: one row per built-in op, declared with ``defop``.

A row gives the op's forward (NumPy arrays in, a NumPy array out) and its backward
formula, written with Tensor ops so that ``create_graph=True`` differentiates the
backward itself. Names follow PyTorch's ``derivatives.yaml``: a formula receives the
incoming gradient ``grad``, then the values listed in ``save`` (``self``, ``other``,
... for inputs, ``result`` for the output), then the op's non-tensor arguments.
It returns one gradient per tensor input (a single value for a one-input op).

``defop`` returns the formula itself (a named function you can step into); the row is
``REGISTRY[name]``, and each family module gives the rows it runs a name
(``MUL = REGISTRY["mul"]``) for ``apply_op(MUL, ...)`` (``_apply.py``).
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable, Sequence

import numpy as np

from ._node import MultiOutputOpNode, OpNode, node_class

__all__ = ["OpSpec", "defop", "REGISTRY"]

REGISTRY: dict[str, OpSpec] = {}


# Note [Two formulas]
# A row's formula in Tensor ops is the definition: ``node.apply`` runs it, and it is
# what create_graph=True records, so that every derivative can be differentiated again.
# But a plain backward records nothing, and there each Tensor op of a formula pays for
# a Tensor, a dispatch and a promotion check around a NumPy call that may take less time
# than all of that. So the engine may run a row's formula on NumPy arrays instead:
# - a formula made of arithmetic operators only runs unchanged on arrays: its row says
#   ``defop(..., runs_on_arrays=True)``, and there is nothing else to read;
# - a few hot rows have a NumPy formula of their own, kept apart in
#   ``_array_formulas.py`` so that nobody mistakes it for the definition.
# The engine uses them only when ``al.autograd.fast_formulas`` is on (the default) and
# nothing records. The op database runs in both settings and checks the two formulas
# against each other on every sample (tests/test_opdb.py).


# Note [Scalar math for 0-d tensors]
# A NumPy ufunc on a 0-d array costs about six times what the same operator costs on a
# NumPy scalar (``np.float64(x) * 2.0`` takes NumPy's scalar-math shortcut; the ufunc
# machinery converts, dispatches and allocates). Chains of 0-d ops (W3 in benchmarks/)
# are made of nothing else. So, when ``fast_formulas`` is on, a one-input row whose
# forward is plain arithmetic runs it as the Python operator on the array's scalar, and
# its NumPy backward formula gets the gradient as a scalar too; NumPy gives the same
# value and dtype either way (tests/test_scalar_math.py checks it for every dtype).
# Note [Saved only when needed]
# PyTorch saves what a formula reads only if the gradient that reads it will be computed:
# for ``y = x @ c`` with ``c`` a constant, MmBackward0 keeps ``c`` (dx = grad @ cᵀ) but
# not ``x``, so changing ``x`` in place afterwards is allowed, and ``y``'s graph does not
# keep ``x``'s memory alive. A row states this with ``defop(..., save_when=...)``;
# ``apply_op`` then saves None in that slot (``node._saved_self`` is None, as in PyTorch).
# Note [Formulas that write their result in place]
# Some of PyTorch's formulas build their result by writing into new memory in place:
# maximum's ``where(...).masked_fill_(self < other, 0)``, max()'s
# ``zeros.masked_fill_(mask, grad / count)``, max(dim)'s ``zeros.scatter_(...)``. Each
# write bumps the result's version, so the gradient autograd.grad returns has version 1
# (or 2), and so has every view of it. The row's Tensor formula makes the same writes,
# so its version follows from what runs, and under create_graph it records the same nodes
# (MaskedFillBackward0, ScatterBackward0). A NumPy formula computes the values without
# writing twice; the row states how many writes its definition makes (``defop(...,
# result_writes=n)``), and ``OpNode._apply_arrays`` gives each result it wraps that
# version, so that both roads give the same tensors (tests/pytorch_exact/
# test_formula_versions.py runs each in both settings of ``fast_formulas``).
_SCALAR_MATH = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul}


class OpSpec:
    """One row of the derivative table."""

    __slots__ = ("name", "forward", "backward", "inputs", "save", "attrs", "node_cls",
                 "save_plan", "view", "exact_dtype", "wants_needs_input_grad", "wrapped_number",
                 "double_backward", "output_view", "array_backward",
                 "array_wants_needs_input_grad", "array_keywords", "scalar_forward",
                 "passes_gradient", "math", "save_needs", "result_writes")
    # The fields that start as None, for the rows that have them set later (by defop or
    # on_arrays); __init__ says what each is.
    output_view: Callable[[tuple, int], tuple[OpSpec, tuple]] | None
    array_backward: Callable | None
    math: str | None
    save_needs: tuple[int, ...] | None

    def __init__(self, name, forward, backward, inputs, save, attrs, node_name, view,
                 exact_dtype: bool = False) -> None:
        self.name = name
        # exact_dtype: the forward's dtype is the answer (``to``); otherwise a float64
        # result from non-float64 inputs is NumPy's promotion and becomes the default.
        self.exact_dtype = exact_dtype
        self.wrapped_number = False
        self.double_backward = True
        self.forward = forward
        self.backward = backward
        self.inputs = tuple(inputs)
        self.save = tuple(save)
        self.attrs = tuple(attrs)
        self.view = view
        # Multi-output rows (set by defop): ``output_view(attrs, i)`` gives ``(spec, attrs)``
        # of a single-output view row that makes output i alone (``unbind``'s i-th output
        # is ``select(dim, i)``), so that a ViewFn can replay it.
        self.output_view = None
        self.array_backward = None  # Note [Two formulas]
        self.array_wants_needs_input_grad = False
        self.array_keywords = False  # does the NumPy formula take keywords at all?
        self.passes_gradient = False
        self.math = None  # the formula in one line of maths (defop's ``math``)
        self.scalar_forward = _SCALAR_MATH.get(forward)  # Note [Scalar math for 0-d tensors]
        # A formula that can skip work for inputs needing no gradient (matmul's are costly)
        # declares a keyword-only ``needs_input_grad`` parameter, as ctx has in PyTorch.
        self.wants_needs_input_grad = "needs_input_grad" in inspect.signature(backward).parameters
        # What to save: -1 stands for the op's result; otherwise the position of the input.
        self.save_plan = tuple(-1 if s == "result" else self.inputs.index(s) for s in self.save)
        # Note [Saved only when needed]: per saved value, the input whose gradient needs it
        # (-1: always saved); None when the row saves everything always.
        self.save_needs = None
        self.result_writes = 0  # Note [Formulas that write their result in place]
        self.node_cls = node_class(node_name, OpNode, self)

    def on_arrays(self, formula: Callable) -> Callable:
        """Give this row a formula on NumPy arrays (Note [Two formulas]): it takes and
        returns what the Tensor formula does, as arrays."""
        if self.output_view is not None:
            raise ValueError(f"{self.name}: a multi-output row has only its Tensor formula")
        self.array_backward = formula
        parameters = inspect.signature(formula).parameters
        self.array_wants_needs_input_grad = "needs_input_grad" in parameters
        # A formula that may write into a gradient the engine owns declares grad_is_owned
        # (Note [Owned gradients] in autograd/engine.py).
        self.node_cls._takes_owned_grad = "grad_is_owned" in parameters
        self.array_keywords = self.array_wants_needs_input_grad or "grad_is_owned" in parameters
        return formula

    def __repr__(self) -> str:
        return f"OpSpec({self.name!r} -> {self.node_cls.__name__})"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def defop(name: str, forward: Callable, *, inputs: Sequence[str] = ("self",),
          save: Sequence[str] = (), attrs: Sequence[str] = (), node_name: str | None = None,
          view: bool = False, exact_dtype: bool = False, wrapped_number: bool = False,
          double_backward: bool = True, output_view: Callable | None = None,
          runs_on_arrays: bool = False, passes_gradient: bool = False, math: str | None = None,
          save_when: dict | None = None, result_writes: int = 0):
    """Decorator for a backward formula: registers the row ``name`` with its forward, and
    returns the formula unchanged (the row is ``REGISTRY[name]``).

    ``inputs`` names the tensor arguments, ``attrs`` the non-tensor ones (passed to the
    forward after the arrays and kept on the node), ``save`` what backward needs.
    ``math`` states the formula in one line of maths, with derivatives.yaml's words
    (``"grad_self = grad * other;  grad_other = grad * self"``): one ``grad_<input>``
    per input (``grad_tensors[i]`` for a list input), saying what the formula computes.
    It is ``OpSpec.math``, and ``node.formula()`` shows it (tests/test_formulas.py
    keeps every row's).
    A formula may declare a keyword-only ``needs_input_grad`` (a bool per input, as
    ``ctx.needs_input_grad``) to skip gradients nobody wants.
    ``view=True`` marks ops whose result shares memory with their input;
    ``exact_dtype=True`` keeps a float64 result even from float32 inputs (conversions);
    ``wrapped_number=True`` gives the node a second, empty edge ``(None, 0)`` for its
    Python-number operand, as PyTorch shows for ``x + 2`` (it wraps the 2 in a tensor);
    ``double_backward=False`` for a formula written in NumPy rather than Tensor ops: a
    second backward through it raises "derivative for <op> is not implemented";
    ``runs_on_arrays=True`` for a formula of arithmetic operators only, which then also
    serves as the row's NumPy formula (Note [Two formulas]);
    ``passes_gradient=True`` for a row whose formula is ``return grad`` (``x + 2``): on the
    NumPy road the node hands the gradient on without calling it (W3: 2% fewer
    instructions);
    ``save_when={"self": "other", "other": "self"}`` saves a value only when the named
    input's gradient will be computed (its edge leads somewhere), as PyTorch's generated
    code saves ``other`` for ``mm`` only if ``self`` requires grad (Note [Saved only when
    needed]); the formula then gets None for a value it was not given, and must not read it;
    ``result_writes=n``: the Tensor formula (as PyTorch's) writes each gradient it returns
    in place ``n`` times (``masked_fill_``, ``scatter_``), so each has version ``n``; the
    NumPy formula gives its results the same version (Note [Formulas that write their
    result in place]);
    ``output_view`` makes a *multi-output* row (run it with ``apply_multi_op``): the
    forward returns a tuple of arrays, the formula gets ``grads`` (one per output, None
    where unused) instead of ``grad``; with ``view=True`` every output is a view, and
    ``output_view(attrs, i)`` gives ``(spec, attrs)`` of the single-output view row that
    rebuilds output i alone.
    """

    def register(backward: Callable) -> Callable:
        spec = OpSpec(name, forward, backward, inputs, save, attrs,
                      node_name or f"{_camel(name)}Backward0", view, exact_dtype)
        spec.wrapped_number = wrapped_number
        spec.double_backward = double_backward
        if output_view is not None:
            if "result" in spec.save:
                raise ValueError(f"{name}: a multi-output row cannot save 'result'")
            spec.output_view = output_view
            spec.node_cls = node_class(spec.node_cls.__name__, MultiOutputOpNode, spec)
        if runs_on_arrays or passes_gradient:
            spec.on_arrays(backward)
        spec.passes_gradient = passes_gradient
        spec.math = math
        spec.result_writes = result_writes
        if save_when:
            spec.save_needs = tuple(spec.inputs.index(save_when[s]) if s in save_when else -1
                                    for s in spec.save)
        REGISTRY[name] = spec
        return backward

    return register
