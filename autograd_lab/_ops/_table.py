"""The derivative table machinery: one ``defop`` per built-in op.

An entry gives the op's forward (NumPy arrays in, a NumPy array out) and its backward
formula, written with Tensor ops so that ``create_graph=True`` differentiates the
backward itself. Names follow PyTorch's ``derivatives.yaml``: a formula receives the
incoming gradient ``grad``, then the values listed in ``save`` (``self``, ``other``,
... for inputs, ``result`` for the output), then the op's non-tensor arguments.
It returns one gradient per tensor input (a single value for a one-input op).

``apply_op`` runs an entry: it computes the forward and, when grad mode is on and an
input requires grad, makes a ``<Name>Backward0`` node through ``autograd.function.attach``,
the same path user Functions take.
"""

from __future__ import annotations

import functools
import inspect
import operator
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.function import attach
from ..autograd.grad_mode import state
from ..autograd.graph import Node, nobody_else_holds
from ..autograd.inplace import DEFAULT, MULTI_OUTPUT_NODE, NO_GRAD_MODE, ViewFn
from ..autograd.saved import SavedTensor, freed_graph_error

__all__ = ["OpNode", "MultiOutputOpNode", "OpSpec", "defop", "apply_op", "apply_multi_op",
           "passes_gradient",
           "REGISTRY", "result_type", "promoting", "broadcast_mismatch", "python_scalar", "quiet"]

REGISTRY: dict[str, OpSpec] = {}
_F64 = np.dtype(np.float64)


class OpNode(Node):
    """The node of a built-in op: saved values plus the op's backward formula."""

    __slots__ = ("_saved", "_attrs")
    _spec: OpSpec
    _skip_if_no_grad = True

    def apply(self, grad_outputs: list) -> tuple:
        if state.enabled or self._spec.array_backward is None:
            saved = self._saved
            if saved is None:
                raise freed_graph_error()
            return self._apply_tensor_formula(grad_outputs, saved)
        return self._apply_unrecorded(grad_outputs)

    def _apply_unrecorded(self, grad_outputs: list) -> tuple:
        """A backward that records nothing: the row's NumPy formula (Note [Two formulas]) on
        the arrays, its results wrapped as Tensors. The engine calls this directly when it
        knows nothing records (no create_graph), sparing the check of grad mode."""
        spec = self._spec
        formula = spec.array_backward
        if formula is None:
            return self.apply(grad_outputs)
        saved = self._saved
        if saved is None:
            raise freed_graph_error()
        if formula is passes_gradient:  # ``x + 1``: nothing to compute
            return (grad_outputs[0],)
        grad = grad_outputs[0]
        # Asked before ``data`` below holds the array too (Note [Overwriting a free gradient]).
        free = spec.array_wants_free_grad and nobody_else_holds(grad)
        data, attrs = grad._data, self._attrs
        if spec.scalar_forward is not None and data.ndim == 0:
            data = data[()]  # Note [Scalar math for 0-d tensors]
        if spec.array_wants_needs_input_grad:
            if len(saved) == 2:  # matmul, the usual caller: no list to build
                grads = formula(data, saved[0].unpack_array(self), saved[1].unpack_array(self),
                                *attrs, needs_input_grad=self.needs_input_grad)
            else:
                values = [s.unpack_array(self) for s in saved]
                grads = formula(data, *values, *attrs, needs_input_grad=self.needs_input_grad)
        elif spec.array_wants_free_grad:
            grads = formula(data, *[s.unpack_array(self) for s in saved], *attrs,
                            grad_is_free=free)
        elif len(saved) == 1 and not attrs:  # the commonest call (sin, exp...): no star-args
            grads = formula(data, saved[0].unpack_array(self))
        elif not saved:  # x * 2.0, sum ...: the formula needs only the gradient and attributes
            grads = formula(data, *attrs)
        else:
            grads = formula(data, *[s.unpack_array(self) for s in saved], *attrs)
        if grads is data:  # ``x + 1`` passes its gradient on as is
            return (grad,)
        if type(grads) is np.ndarray:  # the common case: one input
            return (Tensor(grads),)
        # NumPy gives a scalar, not a 0-d array, for an op on 0-d arrays: asarray restores it.
        if type(grads) is not tuple:
            return (_wrap_gradient(grads),)
        if len(grads) == 2:  # a binary op, the usual tuple: no list to build
            return (_wrap_gradient(grads[0]), _wrap_gradient(grads[1]))
        return tuple([_wrap_gradient(g) for g in grads])

    def _apply_tensor_formula(self, grad_outputs: list, saved: tuple) -> tuple:
        """The row's formula in Tensor ops: the one create_graph=True records, and the only
        one a row without a NumPy formula has."""
        spec = self._spec
        values = [s.unpack(self) for s in saved]
        if not spec.double_backward and state.enabled:
            return _without_double_backward(self, grad_outputs, values)
        if spec.wants_needs_input_grad:
            grads = spec.backward(grad_outputs[0], *values, *self._attrs,
                                  needs_input_grad=self.needs_input_grad)
        else:
            grads = spec.backward(grad_outputs[0], *values, *self._attrs)
        return grads if type(grads) is tuple else (grads,)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Which inputs a gradient is wanted for (an edge leads somewhere)."""
        return tuple([fn is not None for fn, _ in self.next_functions])

    def _release_variables(self) -> None:
        if self._saved:
            self._saved = None


def _wrap_gradient(g) -> Tensor | None:
    """One result of a NumPy formula as a Tensor (None stays None; a NumPy scalar, which
    an op on 0-d arrays gives, becomes a 0-d array again)."""
    if g is None:
        return None
    return Tensor(g if type(g) is np.ndarray else np.asarray(g))


class MultiOutputOpNode(OpNode):
    """The node of a row whose forward returns several arrays (``unbind``, ``split``).

    Its formula receives ``grads``, one gradient per output (None for an output nobody
    used: the formula materializes zeros where it needs them), instead of ``grad``.
    """

    __slots__ = ()

    def apply(self, grad_outputs: list) -> tuple:
        saved = self._saved
        if saved is None:
            raise freed_graph_error()
        values = [s.unpack(self) for s in saved]
        grads = self._spec.backward(tuple(grad_outputs), *values, *self._attrs)
        return grads if type(grads) is tuple else (grads,)


class NotImplementedBackward(Node):
    """Stands where a backward formula is not differentiable: a second backward through it
    raises, naming the op (PyTorch's "derivative for <op> is not implemented")."""

    __slots__ = ("op_name",)

    def __init__(self, op_name: str) -> None:
        super().__init__()
        self.op_name = op_name

    def name(self) -> str:
        return "NotImplemented"

    def apply(self, grad_outputs: list) -> tuple:
        raise RuntimeError(
            f"derivative for {self.op_name} is not implemented: its backward is computed "
            "outside the graph, so it cannot be differentiated again (create_graph=True "
            "through it only works for the first derivative)."
        )


def passes_gradient(grad, *attrs):
    """The NumPy formula of a row whose input gets the gradient unchanged (``x + 2``);
    an op node recognises it and skips the call."""
    return grad


# Note [Overwriting a free gradient]
# A NumPy formula that declares a keyword ``grad_is_free`` is told whether it may write
# its result into the incoming gradient's array: true when nothing but the engine holds
# that gradient (no hook kept it, no other edge received the same tensor, no
# ``backward_steps`` step shows it, it is not the caller's ``gradient=``), decided by
# reference counts as AccumulateGrad decides to keep its first gradient (Note [Stealing
# the first gradient] in autograd/graph.py). relu's backward uses it: the product with its
# mask then needs no fresh array, which on large gradients is the page faults of a new
# allocation saved (W2, W5 in benchmarks/).


# Note [Two formulas]
# A row's formula in Tensor ops is the definition: it is what create_graph=True records,
# so that every derivative can be differentiated again. But a plain backward records
# nothing, and there each Tensor op of a formula pays for a Tensor, a dispatch and a
# promotion check around a NumPy call that may take less time than all of that. So a
# hot row may also give its formula on NumPy arrays (``@row.on_arrays``), which the
# node runs whenever grad mode is off during backward. The two must agree: the op
# database checks the NumPy one against finite differences (a plain backward), the
# Tensor one through second derivatives, and the two against each other on every
# sample (tests/test_opdb.py).


def _without_double_backward(node: OpNode, grad_outputs: list, values: list) -> tuple:
    """Run a formula that is not differentiable under create_graph: compute it without
    recording, then mark its results so that differentiating them raises."""
    spec = node._spec
    state.enabled = False
    try:
        grads = spec.backward(grad_outputs[0], *values, *node._attrs)
    finally:
        state.enabled = True
    grads = grads if type(grads) is tuple else (grads,)
    sources = [t for t in (*grad_outputs, *values) if isinstance(t, Tensor)]
    if not any(t._requires_grad for t in sources):
        return grads
    marked = tuple(None if g is None else Tensor(g._data) for g in grads)
    attach(NotImplementedBackward(spec.name), sources, [g for g in marked if g is not None])
    return marked


class OpSpec:
    """One row of the derivative table."""

    __slots__ = ("name", "forward", "backward", "inputs", "save", "attrs", "node_cls",
                 "_save_plan", "view", "exact_dtype", "wants_needs_input_grad", "wrapped_number",
                 "double_backward", "output_view", "array_backward",
                 "array_wants_needs_input_grad", "array_wants_free_grad", "scalar_forward")

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
        self.scalar_forward = _SCALAR_MATH.get(forward)  # Note [Scalar math for 0-d tensors]
        self.array_wants_needs_input_grad = False
        self.array_wants_free_grad = False  # Note [Overwriting a free gradient]
        # A formula that can skip work for inputs needing no gradient (matmul's are costly)
        # declares a keyword-only ``needs_input_grad`` parameter, as ctx has in PyTorch.
        self.wants_needs_input_grad = "needs_input_grad" in inspect.signature(backward).parameters
        # -1 stands for the op's result; otherwise the position of the saved input.
        self._save_plan = tuple(-1 if s == "result" else self.inputs.index(s) for s in self.save)
        self.node_cls = _node_class(node_name, OpNode, self)

    def on_arrays(self, formula: Callable) -> Callable:
        """Decorator: the same derivative written on NumPy arrays, used by a backward that
        records no graph (Note [Two formulas]). It takes and returns what the Tensor
        formula does, as arrays."""
        if self.output_view is not None:
            raise ValueError(f"{self.name}: a multi-output row has only its Tensor formula")
        self.array_backward = formula
        parameters = inspect.signature(formula).parameters
        self.array_wants_needs_input_grad = "needs_input_grad" in parameters
        self.array_wants_free_grad = "grad_is_free" in parameters
        return formula

    def __repr__(self) -> str:
        return f"OpSpec({self.name!r} -> {self.node_cls.__name__})"


def _node_class(name: str, base: type, spec: OpSpec) -> type:
    """The Node class of one row, e.g. ``MulBackward0``.

    Like PyTorch's nodes, it shows what it saved as ``node._saved_self``, ``node._saved_dim``
    ...: one property per saved value and per attribute. Properties rather than a
    ``__getattr__``: a class with ``__getattr__`` makes every attribute read on its
    instances slower (CPython cannot specialise them), and the engine reads a node's
    attributes a dozen times per backward step.
    """
    fields = {"__slots__": (), "_spec": spec, "__module__": "autograd_lab._ops",
              "_saves_nothing": not spec.save}
    for index, key in enumerate(spec.save):
        fields[f"_saved_{key}"] = property(functools.partial(_saved_value, index=index))
    for index, key in enumerate(spec.attrs):
        fields.setdefault(f"_saved_{key}", property(functools.partial(_saved_attr, index=index)))
    return type(name, (base,), fields)


def _saved_value(node: OpNode, index: int):
    if node._saved is None:
        raise freed_graph_error()
    return node._saved[index].unpack(node)


def _saved_attr(node: OpNode, index: int):
    return node._attrs[index]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def defop(name: str, forward: Callable, *, inputs: Sequence[str] = ("self",),
          save: Sequence[str] = (), attrs: Sequence[str] = (), node_name: str | None = None,
          view: bool = False, exact_dtype: bool = False, wrapped_number: bool = False,
          double_backward: bool = True, output_view: Callable | None = None):
    """Decorator for a backward formula: registers the op ``name`` with its forward.

    ``inputs`` names the tensor arguments, ``attrs`` the non-tensor ones (passed to the
    forward after the arrays and kept on the node), ``save`` what backward needs.
    ``view=True`` marks ops whose result shares memory with their input;
    ``exact_dtype=True`` keeps a float64 result even from float32 inputs (conversions);
    ``wrapped_number=True`` gives the node a second, empty edge ``(None, 0)`` for its
    Python-number operand, as PyTorch shows for ``x + 2`` (it wraps the 2 in a tensor);
    ``double_backward=False`` for a formula written in NumPy rather than Tensor ops: a
    second backward through it raises "derivative for <op> is not implemented";
    ``output_view`` makes a *multi-output* row (run it with ``apply_multi_op``): the
    forward returns a tuple of arrays, the formula gets ``grads`` (one per output, None
    where unused) instead of ``grad``; with ``view=True`` every output is a view, and
    ``output_view(attrs, i)`` gives ``(spec, attrs)`` of the single-output view row that
    rebuilds output i alone.
    """

    def register(backward: Callable) -> OpSpec:
        spec = OpSpec(name, forward, backward, inputs, save, attrs,
                      node_name or f"{_camel(name)}Backward0", view, exact_dtype)
        spec.wrapped_number = wrapped_number
        spec.double_backward = double_backward
        if output_view is not None:
            if "result" in spec.save:
                raise ValueError(f"{name}: a multi-output row cannot save 'result'")
            spec.output_view = output_view
            spec.node_cls = _node_class(spec.node_cls.__name__, MultiOutputOpNode, spec)
        REGISTRY[name] = spec
        return spec

    return register


# Note [Scalar math for 0-d tensors]
# A NumPy ufunc on a 0-d array costs about six times what the same operator costs on a
# NumPy scalar (``np.float64(x) * 2.0`` takes NumPy's scalar-math shortcut; the ufunc
# machinery converts, dispatches and allocates). Chains of 0-d ops (W3 in benchmarks/)
# are made of nothing else. So a one-input row whose forward is plain arithmetic runs
# it as the Python operator on the array's scalar, and its NumPy backward formula gets
# the gradient as a scalar too; NumPy gives the same value and dtype either way
# (tests/test_scalar_math.py checks it for every dtype). The result is wrapped back
# into a 0-d array, as every op on 0-d arrays already needs (NumPy returns scalars).
_SCALAR_MATH = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul}


def run_forward(spec: OpSpec, tensors: tuple, attrs: tuple) -> np.ndarray:
    """The row's NumPy forward on the tensors' arrays; a NumPy failure becomes an error
    that names the op and the shapes."""
    try:
        out = spec.forward(*[t._data for t in tensors], *attrs)
    except (ValueError, IndexError, TypeError) as err:
        raise _explain(spec, tensors, err) from None
    return out if type(out) is np.ndarray else np.asarray(out)


def apply_op(spec: OpSpec, tensors: tuple, attrs: tuple = ()) -> Tensor:
    """Run ``spec`` on ``tensors``; record a node when any of them requires grad."""
    if len(tensors) == 1:  # most ops: ``run_forward`` inline, without a list
        data = tensors[0]._data
        try:
            if spec.scalar_forward is not None and data.ndim == 0:
                out = spec.scalar_forward(data[()], *attrs)  # Note [Scalar math for 0-d tensors]
            else:
                out = spec.forward(data, *attrs)
        except (ValueError, IndexError, TypeError) as err:
            raise _explain(spec, tensors, err) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)  # NumPy gives a scalar, not a 0-d array, for 0-d inputs
    elif len(tensors) == 2:  # binary ops (+, *, @ ...): the same, inline, without a list
        a, b = tensors[0]._data, tensors[1]._data
        try:
            out = spec.forward(a, b, *attrs) if attrs else spec.forward(a, b)
        except (ValueError, IndexError, TypeError) as err:
            raise _explain(spec, tensors, err) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
    else:
        out = run_forward(spec, tensors, attrs)
    # (the input's dtype first: a float64 input, the common case, settles it in one read)
    if (tensors[0]._data.dtype is not _F64 and out.dtype is _F64 and not spec.exact_dtype
            and _dtypes._default is not _dtypes.float64):
        out = _keep_default_float(out, tensors)
    result = Tensor(out)
    if spec.view:
        _mark_view(result, tensors[0], spec, attrs)
    if state.enabled:
        for t in tensors:
            # A view's requires_grad may be stale (its base was modified in place since);
            # ``_base`` is read only for inputs that do not require grad.
            if t._requires_grad or (t._view_fn is not None and _view_requires_grad(t)):
                node = spec.node_cls()
                attach(node, (tensors[0], None) if spec.wrapped_number else tensors, (result,))
                plan = spec._save_plan  # -1: the result; i: input i
                if not plan:
                    node._saved = ()
                elif len(plan) == 1:  # the common cases first: no list to build
                    i = plan[0]
                    node._saved = (SavedTensor(result, True) if i < 0
                                   else SavedTensor(tensors[i], False),)
                else:
                    node._saved = tuple([
                        SavedTensor(result, True) if i < 0 else SavedTensor(tensors[i], False)
                        for i in plan
                    ])
                node._attrs = attrs
                break
    return result


def _mark_view(result: Tensor, base: Tensor, spec: OpSpec, attrs: tuple,
               meta: str | None = None) -> None:
    """Make ``result`` a view of ``base``'s root: shared version counter, ``_base`` set to
    the root, and a ``ViewFn`` that can replay this op (after those of ``base``, for a view
    of a view) to regenerate the view's history after an in-place change."""
    vc = base._version_counter()
    if meta is None:
        meta = DEFAULT if state.enabled else NO_GRAD_MODE
    root = base._base
    if root is None:
        result._base = base
        result._view_fn = ViewFn(((_replay_view, (spec, attrs)),), vc.value, meta)
    else:
        result._base = root
        parent = base._view_fn  # None: a view nobody can replay, nor then a view of it
        if parent is not None:
            result._view_fn = parent.chained(_replay_view, (spec, attrs), vc.value, meta)
    result._vc = vc


def apply_multi_op(spec: OpSpec, tensors: tuple, attrs: tuple = ()) -> tuple:
    """Run the multi-output row ``spec``: a tuple of tensors made by ONE node.

    For a view row every output is a view of ``tensors[0]`` labelled
    ``MULTI_OUTPUT_NODE`` (``NO_GRAD_MODE`` under no_grad), as PyTorch labels the
    outputs of ``unbind``/``split``: modifying one in place would need to rebase the
    history of all its siblings at once, so PyTorch refuses it, and so do we.
    """
    try:
        outs = spec.forward(*[t._data for t in tensors], *attrs)
    except (ValueError, IndexError, TypeError) as err:
        raise _explain(spec, tensors, err) from None
    results = tuple([Tensor(out) for out in outs])
    if spec.view:
        meta = MULTI_OUTPUT_NODE if state.enabled else NO_GRAD_MODE
        for i, result in enumerate(results):
            _mark_view(result, tensors[0], *spec.output_view(attrs, i), meta)
    if state.enabled and any(t._requires_grad or (t._view_fn is not None and
                                                  _view_requires_grad(t)) for t in tensors):
        node = spec.node_cls()
        attach(node, tensors, results)
        node._saved = tuple([SavedTensor(tensors[i], False) for i in spec._save_plan])
        node._attrs = attrs
    return results


def _replay_view(tensor: Tensor, spec: OpSpec, attrs: tuple) -> Tensor:
    """One step of a ``ViewFn``: the view op ``spec`` again, on ``tensor``."""
    return apply_op(spec, (tensor,), attrs)


def _view_requires_grad(view: Tensor) -> bool:
    view._view_fn.refresh(view)
    return view._requires_grad


def _explain(spec: OpSpec, tensors: tuple, err: Exception) -> Exception:
    """Turn a NumPy failure inside a forward into an error that names the op and shapes."""
    shapes = [list(t._data.shape) for t in tensors]
    text = str(err)
    if "broadcast" in text and len(tensors) >= 2:
        mismatch = broadcast_mismatch([t._data.shape for t in tensors])
        if mismatch is not None:
            return RuntimeError(f"{mismatch} (in {spec.name}, shapes {shapes})")
    kind = type(err) if isinstance(err, IndexError) else RuntimeError
    return kind(f"{spec.name}: {text} (input shapes {shapes})")


def broadcast_mismatch(shapes) -> str | None:
    """PyTorch's message for the first dimension (from the right) where ``shapes``
    cannot broadcast, or None when they can."""
    ndim = max(len(s) for s in shapes)
    for back in range(1, ndim + 1):
        first = None
        for s in shapes:
            size = s[-back] if back <= len(s) else 1
            if size == 1:
                continue
            if first is None:
                first = size
            elif size != first:
                return (f"The size of tensor a ({first}) must match the size of tensor b ({size}) "
                        f"at non-singleton dimension {ndim - back}")
    return None


def _keep_default_float(out: np.ndarray, tensors: tuple) -> np.ndarray:
    """NumPy promotes int tensors (and int with float scalars) to float64; PyTorch
    uses the default float dtype unless an input already was float64."""
    for t in tensors:
        if t._data.dtype == _F64:
            return out
    return out.astype(_dtypes._default.np)


# Note [Type promotion]
# PyTorch and NumPy 2 agree on tensor-with-Python-scalar promotion (the scalar is
# "weak": float32 tensor * 2.5 stays float32), but not on tensors: PyTorch lets a
# 0-d tensor change the result's dtype only when it is of a higher *category*
# (bool < integer < floating) than every tensor with dimensions, so
# float32[3] + float64[] is float32 in PyTorch and float64 in NumPy; and int64 with
# float32 is float32 in PyTorch, float64 in NumPy. ``result_type`` follows PyTorch
# (c10's ``result_type``/``combine_categories``) for the four dtypes we support.
_RANK = {np.dtype(np.bool_): 0, np.dtype(np.int64): 1, np.dtype(np.float32): 2, _F64: 3}
_BY_RANK = tuple(sorted(_RANK, key=_RANK.get))


def _category(d) -> int:
    return 0 if d.kind == "b" else 1 if d.kind in "iu" else 2


def _promote(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _BY_RANK[max(_RANK.get(a, 3), _RANK.get(b, 3))]


def _combine_categories(higher, lower):
    if higher is not None and _category(higher) == 2:
        return higher
    if higher is None or higher.kind == "b" or (lower is not None and _category(lower) == 2):
        return _promote(higher, lower)
    return higher


def result_type(*operands) -> np.dtype:
    """The dtype PyTorch gives an elementwise op on ``operands`` (arrays or Python numbers)."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dim = _promote(dim, x.dtype)
            else:
                zero = _promote(zero, x.dtype)
        else:
            if isinstance(x, (bool, np.bool_)):
                d = np.dtype(np.bool_)
            elif isinstance(x, (int, np.integer)):
                d = np.dtype(np.int64)
            else:
                d = _dtypes._default.np
            wrapped = _promote(wrapped, d)
    return _combine_categories(dim, _combine_categories(zero, wrapped))


def promoting(np_fn, *, skip: int = 0, int_to_float: bool = False, name: str | None = None):
    """A forward that casts its array arguments (after the first ``skip``) to PyTorch's
    ``result_type`` before calling ``np_fn``; ``int_to_float`` for true division."""

    def forward(*arrays):
        if not skip and len(arrays) == 2 and arrays[0].dtype is arrays[1].dtype and (
            not int_to_float or arrays[0].dtype.kind == "f"
        ):
            return np_fn(*arrays)  # the common case: nothing to promote
        head, operands = arrays[:skip], arrays[skip:]
        dtype = result_type(*operands)
        if int_to_float and dtype.kind != "f":
            dtype = _dtypes._default.np
        cast = [a.astype(dtype) if a.dtype != dtype else a for a in operands]
        out = np_fn(*head, *cast)
        return out if out.dtype == dtype else out.astype(dtype)

    forward.__name__ = forward.__qualname__ = name or getattr(np_fn, "__name__", "forward")
    return forward


# Note [Floating-point warnings]
# PyTorch gives inf and nan for 1/0, log(0), sqrt(-1) or overflow silently (anomaly mode
# is where a nan is caught). NumPy warns instead. ``np.errstate`` around every call would
# cost more than the op itself on small tensors, so we ignore NumPy's RuntimeWarnings
# raised from our own ops modules (NumPy attributes them to the calling module), once.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"autograd_lab\._ops(\.|$)")


def quiet(np_fn, name: str | None = None):
    """``np_fn`` called from an ops module, so its floating-point warnings are silenced
    (see Note [Floating-point warnings]); the wrapper also gives it a readable name."""

    def forward(*args):
        return np_fn(*args)

    forward.__name__ = forward.__qualname__ = name or getattr(np_fn, "__name__", "forward")
    return forward


def unbroadcast_shape(*shapes) -> tuple:
    """The broadcast shape of ``shapes``, with PyTorch's message when they don't fit."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            "The size of tensors must match or be broadcastable: shapes "
            + ", ".join(str(list(s)) for s in shapes)
        ) from None


_SCALARS = (int, float, bool, np.number, np.bool_)


def is_scalar(x) -> bool:
    """Python and NumPy numbers: kept as plain values, not graph inputs."""
    return isinstance(x, _SCALARS)


def python_scalar(x):
    """NumPy scalars as the Python number they hold (both are "weak" in promotion)."""
    return x.item() if isinstance(x, (np.number, np.bool_)) else x


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for an argument that must be one (lists and arrays become constants).

    A scalar next to a tensor ``like`` takes its dtype, as PyTorch's wrapped numbers do.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and is_scalar(x):
        x = python_scalar(x)
        dtype = like._data.dtype
        if isinstance(x, float) and dtype.kind != "f":
            dtype = _dtypes._default.np
        elif isinstance(x, int) and not isinstance(x, bool) and dtype.kind == "b":
            dtype = np.dtype(np.int64)
        return Tensor(np.asarray(x, dtype=dtype))
    arr = np.asarray(x)
    if arr.dtype == _F64 and not isinstance(x, np.ndarray):
        arr = arr.astype(_dtypes._default.np)
    return Tensor(_dtypes.normalize_array(arr) if not isinstance(x, np.ndarray) else arr)
