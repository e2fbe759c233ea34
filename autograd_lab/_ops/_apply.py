"""Running an op: the row's forward, then, if anything requires grad, a node on the graph.

``apply_op(ROW, tensors, attrs)`` is the one way every built-in op runs:

1. the row's NumPy forward on the tensors' arrays (``run_forward``);
2. the result wrapped as a Tensor (a view of the first input for a view row);
3. when grad mode is on and an input requires grad: a ``<Name>Backward0`` node joined
   to the graph by ``autograd.function.attach`` (the path user Functions take too), with
   the values the row saves for backward;
4. when something listens (``autograd.record_ops``, ``register_op_hook``): an ``OpRecord``
   of the op (Note [Recording ops] in ``autograd/recording.py``).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd import fast_mode, recording
from ..autograd.function import attach
from ..autograd.grad_mode import state
from ..autograd.inplace import DEFAULT, MULTI_OUTPUT_NODE, NO_GRAD_MODE, ViewFn
from ..autograd.saved import SavedTensor
from ._args import not_a_tensor
from ._errors import explain
from ._promotion import keep_default_float
from ._table import OpSpec

__all__ = ["apply_op", "apply_multi_op", "run_forward", "wrap_unrowed"]

_F64 = np.dtype(np.float64)


def run_forward(spec: OpSpec, tensors: tuple, attrs: tuple) -> np.ndarray:
    """The row's NumPy forward on the tensors' arrays; a NumPy failure becomes an error
    that names the op and the shapes; an operand that is not a Tensor, PyTorch's TypeError."""
    try:
        first = tensors[0]._data
        if spec.scalar_forward is not None and first.ndim == 0 and fast_mode._enabled:
            out = spec.scalar_forward(first[()], *attrs)  # Note [Scalar math for 0-d tensors]
        elif len(tensors) == 1:  # most ops: no map over the inputs (measured: 2% of W1)
            out = spec.forward(first, *attrs)
        else:
            out = spec.forward(*map(_array_of, tensors), *attrs)
    except AttributeError:  # no ``_data``: types are checked only now, on the error path
        _check_tensors(spec, tensors)
        raise
    except (ValueError, IndexError, TypeError) as err:
        raise explain(spec, tensors, err, attrs) from None
    # NumPy gives a scalar, not a 0-d array, for an op on 0-d arrays
    return out if type(out) is np.ndarray else np.asarray(out)


_array_of = operator.attrgetter("_data")


def _check_tensors(spec: OpSpec, tensors: tuple) -> None:
    """PyTorch's "clone(): argument 'input' (position 1) must be Tensor, not str" for the
    first operand that is not a Tensor (if all are, the caller re-raises its error)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise not_a_tensor(spec.name, "input" if i == 0 else "other", i + 1, t) from None


def apply_op(spec: OpSpec, tensors: tuple, attrs: tuple = ()) -> Tensor:
    """Run the row ``spec`` on ``tensors``; record a node when any of them requires grad."""
    out = run_forward(spec, tensors, attrs)
    if (tensors[0]._data.dtype is not _F64 and out.dtype is _F64 and not spec.exact_dtype
            and _dtypes._default is not _dtypes.float64):
        out = keep_default_float(out, tensors)  # NumPy's promotion, not PyTorch's
    result = Tensor(out)
    if spec.view:
        _mark_view(result, tensors[0], spec, attrs)
    if state.enabled and (tensors[0]._requires_grad or _any_requires_grad(tensors)):
        node = spec.node_cls()
        attach(node, tensors, (result,))
        if spec.wrapped_number:  # the Python number's edge, empty, as PyTorch shows it
            node.next_functions += ((None, 0),)
        plan = spec.save_plan  # what backward needs: -1 the result, i input i
        if not plan:
            node._saved = ()
        elif len(plan) == 1:  # most rows save one value
            i = plan[0]
            node._saved = (SavedTensor(result, True) if i < 0 else SavedTensor(tensors[i], False),)
        else:
            node._saved = tuple([SavedTensor(result, True) if i < 0
                                 else SavedTensor(tensors[i], False) for i in plan])
        if spec.save_needs is not None:  # Note [Saved only when needed] in _table.py
            node._saved = _saved_when_needed(node, spec.save_needs)
        node._attrs = attrs
    if recording._active:  # Note [Recording ops]: one test when nothing listens
        recording.report(spec.name, "view" if spec.view else "op", tensors, attrs, (result,),
                         result._grad_fn, spec)
    return result


def _saved_when_needed(node, needs: tuple) -> tuple:
    """``node._saved`` with None for each value whose reader's gradient is not computed
    (no edge to that input)."""
    edges = node.next_functions
    return tuple([s if j < 0 or edges[j][0] is not None else None
                  for s, j in zip(node._saved, needs, strict=True)])


def _any_requires_grad(tensors: tuple) -> bool:
    """Does an input require grad? A view's flag may be stale (its base was modified in
    place since), so a view that says no regenerates its history first."""
    for t in tensors:
        if t._requires_grad or (t._view_fn is not None and _view_requires_grad(t, t._view_fn)):
            return True
    return False


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
    except AttributeError:
        _check_tensors(spec, tensors)
        raise
    except (ValueError, IndexError, TypeError) as err:
        raise explain(spec, tensors, err) from None
    results = tuple([Tensor(out) for out in outs])
    if spec.view:
        meta = MULTI_OUTPUT_NODE if state.enabled else NO_GRAD_MODE
        for i, result in enumerate(results):
            # defop gives every multi-output row its output_view; the type says it may be None
            # (single-output rows), and a check here would run on every call.
            _mark_view(result, tensors[0], *spec.output_view(attrs, i), meta)  # type: ignore[misc, call-arg]
    if state.enabled and _any_requires_grad(tensors):
        node = spec.node_cls()
        attach(node, tensors, results)
        node._saved = tuple([SavedTensor(tensors[i], False) for i in spec.save_plan])
        node._attrs = attrs
    if recording._active:  # Note [Recording ops]
        recording.report(spec.name, "view" if spec.view else "op", tensors, attrs, results,
                         results[0]._grad_fn if results else None, spec)
    return results


def wrap_unrowed(name: str, out: np.ndarray, inputs: tuple, attrs: tuple = ()) -> Tensor:
    """The result of one of the few ops without a row (a comparison, ``argmax``, the
    indices of ``max``: no gradient, so no node) as a Tensor, reported like any op
    (Note [Recording ops]); its record's ``spec`` is None: its name and attrs say what
    ran (``"argmax"`` with ``(dim, keepdim)``)."""
    result = Tensor(out)
    if recording._active:
        recording.report(name, "op", inputs, attrs, (result,))
    return result


def _replay_view(tensor: Tensor, spec: OpSpec, attrs: tuple) -> Tensor:
    """One step of a ``ViewFn``: the view op ``spec`` again, on ``tensor``."""
    return apply_op(spec, (tensor,), attrs)


def _view_requires_grad(view: Tensor, view_fn: ViewFn) -> bool:
    """``view``'s flag after ``view_fn`` (the view's own) regenerates its history."""
    view_fn.refresh(view)
    return view._requires_grad
