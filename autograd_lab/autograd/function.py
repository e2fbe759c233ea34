"""``autograd.Function``, and the one path by which any node joins the graph.

Built-in ops (``_ops/_table.py``) and user ``Function`` subclasses both call
``attach``: so a built-in ``MulBackward0`` and a user's ``MyFnBackward`` are the
same kind of Node, with the same edges, saved tensors and hooks.

A Function's ``ctx`` *is* its node (as in PyTorch): ``ctx.save_for_backward`` stores
on the node, and ``backward(ctx, ...)`` runs with that node as ``ctx``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import anomaly_mode, recording
from .anomaly_mode import record_forward_trace
from .grad_mode import no_grad, state
from .graph import Node, gradient_edge
from .saved import SavedTensor, freed_graph_error

__all__ = ["attach", "Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction"]


def attach(node: Node, inputs: Sequence, outputs: Sequence) -> Node:
    """Record ``node`` as the producer of ``outputs`` and the consumer of ``inputs``.

    ``inputs`` may hold ``None`` or tensors that do not require grad: their edge is
    ``(None, 0)``. Each output becomes a non-leaf whose gradient flows into ``node``;
    a ``None`` in ``outputs`` keeps its position (``output_nr``) but joins nothing.
    """
    if len(inputs) == 1:  # most ops: no map over the inputs (measured: 3% of W1)
        node.next_functions = (gradient_edge(inputs[0]),)
    else:
        node.next_functions = tuple(map(gradient_edge, inputs))  # (None, 0) for a None input
    if len(outputs) == 1 and outputs[0] is not None:  # the common case: every op comes here
        out = outputs[0]
        out._grad_fn = node
        out._output_nr = 0
        out._requires_grad = True
        data = out._data
        node._output_meta = ((data.shape, data.dtype),)
    else:
        meta: list = []
        for output_nr, out in enumerate(outputs):
            if out is None:  # a non-tensor or non-differentiable output of a Function
                meta.append(None)
                continue
            out._grad_fn = node
            out._output_nr = output_nr
            out._requires_grad = True
            data = out._data
            meta.append((data.shape, data.dtype))
        node._output_meta = tuple(meta)
    if anomaly_mode._enabled:
        record_forward_trace(node)
    return node


# ---------------------------------------------------------------------------------------
# Function
class FunctionCtx:
    """What ``ctx`` offers inside ``forward``/``setup_context`` and ``backward``."""

    # What save_for_backward kept, as SavedTensors (None for a saved None), set when the
    # node joins the graph (a BackwardCFunction starts with ``()``); None once freed.
    _saved_values: tuple[SavedTensor | None, ...] | None

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward; checked against in-place changes."""
        self.to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place (they must also be returned)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that have no gradient (indices, masks): they won't require grad."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With True (the default) backward gets zeros instead of None for unused outputs."""
        self.materialize_grads = bool(value)

    @property
    def _raw_saved_tensors(self) -> tuple:
        """The ``SavedTensor`` objects (None for a saved None), as PyTorch's
        ``_raw_saved_tensors``: versions and sizes, readable without unpacking."""
        saved = self._saved_values
        if saved is None:
            raise freed_graph_error()
        return tuple(saved)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved_values
        if saved is None:
            raise freed_graph_error()
        return tuple(None if s is None else s.unpack(self) for s in saved)


class BackwardCFunction(FunctionCtx, Node):
    """The node of one ``Function.apply`` call; also the ``ctx`` its methods receive.

    Unlike built-in nodes it has a ``__dict__``, so ``ctx.anything = value`` is kept.
    """

    _forward_cls: type[Function]

    def __init__(self) -> None:
        Node.__init__(self)
        self.to_save = ()
        self.dirty_tensors = ()
        self.non_differentiable = ()
        self.materialize_grads = True
        self.needs_input_grad: tuple = ()
        self._saved_values = ()

    def name(self) -> str:
        return type(self).__name__

    def formula(self) -> str:
        """Whatever the Function's own backward computes."""
        cls = getattr(self, "_forward_cls", None)
        name = cls.__name__ if cls is not None else "Function"
        return f"grad_inputs = your {name}.backward(ctx, *grad_outputs)"

    def apply(self, grad_outputs: list) -> tuple:
        cls = self._forward_cls
        if self.materialize_grads:
            grad_outputs = [_zeros(meta) if g is None and meta is not None else g
                            for g, meta in zip(grad_outputs, self._output_meta, strict=True)]
        if cls.backward is Function.backward and cls.vjp is Function.vjp:
            raise NotImplementedError(
                f"{cls.__name__} does not implement backward: you must implement either the "
                "backward or vjp method of your custom autograd.Function to use it with "
                "backward mode AD."
            )
        grads = cls.backward(self, *grad_outputs)
        return self._check_grads(grads if isinstance(grads, tuple) else (grads,))

    def _check_grads(self, grads: tuple) -> tuple:
        """One gradient per forward input; extra trailing Nones are allowed (as PyTorch)."""
        expected = len(self.next_functions)
        name = self._forward_cls.__name__
        if len(grads) > expected and all(g is None for g in grads[expected:]):
            grads = grads[:expected]
        if len(grads) != expected:
            raise RuntimeError(
                f"function {name}Backward returned an incorrect number of gradients "
                f"(expected {expected}, got {len(grads)}): backward must return one gradient "
                "(or None) per argument of forward."
            )
        checked = []
        for index, (g, (fn, nr)) in enumerate(zip(grads, self.next_functions, strict=True)):
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(
                    f"function {name}Backward returned a {type(g).__name__} as gradient "
                    f"{index}; expected a Tensor or None."
                )
            if fn is None:  # an input that does not require grad: PyTorch ignores its gradient
                g = None
            elif g is not None:
                expected_dtype = fn._output_meta[nr][1]
                if g._data.dtype.kind != "f" and expected_dtype.kind == "f":
                    raise RuntimeError(
                        f"function {name}Backward returned an invalid gradient at index {index} "
                        f"- expected a floating-point dtype ({expected_dtype}) but got "
                        f"{g._data.dtype}"
                    )
            checked.append(g)
        return tuple(checked)

    def _release_variables(self) -> None:
        if self._saved_values:
            self._saved_values = None

    def __repr__(self) -> str:
        return f"<{self.name()} object #{self._sequence_nr}>"


def _zeros(meta) -> Tensor:
    shape, dtype = meta
    return Tensor(np.zeros(shape, dtype))


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name, bases, namespace) -> None:
        super().__init__(name, bases, namespace)
        cls._backward_cls = type(f"{name}Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})


class Function(metaclass=_FunctionMeta):
    """Define an op by its forward and backward, for ops the table lacks.

    >>> import autograd_lab as al
    >>> class Cube(al.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> x = al.tensor(2.0, requires_grad=True)
    >>> y = Cube.apply(x)
    >>> y
    tensor(8., grad_fn=<CubeBackward>)
    >>> y.backward(); x.grad
    tensor(12.)
    """

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            f"{type(self).__name__}: autograd.Function is not instantiated; call "
            f"{type(self).__name__}.apply(...) with static forward/backward methods instead."
        )

    @staticmethod
    def forward(*args, **kwargs) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        raise NotImplementedError("setup_context is not overridden")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` without recording, then join the graph as one node."""
        if recording._active:  # Note [Recording ops]
            return _apply_recorded(cls, args, kwargs)
        return _apply(cls, cls._backward_cls(), args, kwargs)


def _apply(cls, node: BackwardCFunction, args: tuple, kwargs: dict):
    """``cls.apply(*args, **kwargs)`` with ``node`` as its ctx and node."""
    node.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    record = state.enabled and any(node.needs_input_grad)
    with no_grad():
        if cls.setup_context is Function.setup_context:
            output = cls.forward(node, *args, **kwargs)
        else:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(node, args, output)
    is_tuple = isinstance(output, tuple)
    outputs = output if is_tuple else (output,)
    outputs = _wrap_outputs(cls, node, args, outputs, record)
    return outputs if is_tuple else outputs[0]


def _apply_recorded(cls, args: tuple, kwargs: dict):
    """``_apply`` with the ops of its forward recorded one level deeper, then one record
    of kind "function" (its node: a modified view's is its base's ``CopySlices``)."""
    node = cls._backward_cls()
    result = recording.nested(_apply, cls, node, args, kwargs)
    made = None
    if state.enabled and any(node.needs_input_grad):
        made = node
        for t in node.dirty_tensors:
            if t._base is not None:
                made = t._base._grad_fn
    # attrs: every argument in order (tensors included) and spec: the class, so that
    # ``cls.apply(*attrs)`` runs the call again (a tracer that keeps the Function whole)
    attrs = tuple(args) + tuple(kwargs.items())
    recording.report(f"Function:{cls.__name__}", "function", args, attrs,
                     result if isinstance(result, tuple) else (result,), made, cls)
    return result


def _wrap_outputs(cls, node: BackwardCFunction, args: tuple, outputs: tuple, record: bool):
    """Connect the outputs of ``forward`` to ``node``: PyTorch's ``_wrap_outputs``.

    An input is never changed here, except by ``mark_dirty`` (forward changed its values,
    so it gets ``node`` as its new history). An input returned as is comes back as a new
    tensor sharing its memory: a view with ``node`` as its history, or, if it gets no
    gradient, an alias that does not require grad. Turning off the input's own
    ``requires_grad`` instead would cut the gradient to everything computed from it.
    """
    returned = {id(o) for o in outputs if isinstance(o, Tensor)}
    for t in node.dirty_tensors:
        if id(t) not in returned:
            raise RuntimeError(
                f"{cls.__name__}: some elements marked as dirty during the forward method were "
                "not returned as output. Return every tensor you pass to ctx.mark_dirty."
            )
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in node.dirty_tensors}
    non_diff = {id(t) for t in node.non_differentiable}
    from . import inplace  # imported here: inplace.py itself builds on attach()

    wrapped: list = []  # what the call returns
    joining: list[Tensor | None] = []  # given to attach, one per output
    modified: list[tuple[int, Tensor]] = []  # (output_nr, input): rebased after attach
    for out in outputs:
        joins = None  # the tensor that joins ``node`` as this output, if any
        if isinstance(out, Tensor):
            is_input, is_dirty = id(out) in input_ids, id(out) in dirty
            if not record or id(out) in non_diff or out._data.dtype.kind != "f":
                out = _without_gradient(out, is_input, is_dirty)
            elif is_dirty:
                inplace.check_inplace(out)  # e.g. a leaf that requires grad is refused
                modified.append((len(wrapped), out))
            else:
                joins = out = _alias(out) if is_input else out
            if out._view_fn is not None and not is_dirty:
                # a view made inside forward: modifying it in place later is refused
                out._view_fn.creation_meta = inplace.IN_CUSTOM_FUNCTION
        wrapped.append(out)
        joining.append(joins)
    if record:  # before the version bump: a modified view's edge is its history as it was
        attach(node, [a if isinstance(a, Tensor) else None for a in args], joining)
        # every tensor output has a shape: backward gets zeros for those without a gradient
        node._output_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                                  else None for o in wrapped)
    for t in node.dirty_tensors:
        inplace.bump_version(t)
    if not record:
        return tuple(wrapped)
    for output_nr, t in modified:
        input_nr = next(i for i, a in enumerate(args) if a is t)
        inplace.rebase_history(t, node, output_nr, input_nr)
    node._saved_values = _save(cls, node, wrapped)
    return tuple(wrapped)


def _without_gradient(out: Tensor, is_input: bool, is_dirty: bool) -> Tensor:
    """An output that gets no gradient: marked non-differentiable, not floating point, or
    from a call that records nothing. As in PyTorch, it does not require grad; an input
    that does comes back as a detached alias (the input keeps its ``requires_grad``), one
    that does not as a view of itself (``_view_as_self_with_no_grad``)."""
    if not out.requires_grad:
        return _alias(out) if is_input and not is_dirty else out
    if is_input:
        return out.detach()
    if out._base is None:  # made inside forward with grad enabled: detached in place
        out._grad_fn, out._requires_grad = None, False
    return out


def _alias(t: Tensor) -> Tensor:
    """A new tensor object sharing ``t``'s memory and version: a view of ``t``."""
    out = Tensor(t._data)
    out._base = t._base if t._base is not None else t
    out._vc = t._version_counter()
    return out


def _save(cls, node: BackwardCFunction, outputs: Sequence) -> tuple:
    """Turn ``ctx.to_save`` into SavedTensors (outputs without a reference cycle)."""
    output_ids = {id(o) for o in outputs if isinstance(o, Tensor)}
    saved: list = []
    for index, t in enumerate(node.to_save):
        if t is None:
            saved.append(None)
        elif not isinstance(t, Tensor):
            raise TypeError(
                f"{cls.__name__}: save_for_backward can only save tensors (or None), but "
                f"argument {index} is of type {type(t).__name__}. Keep other values as ctx "
                "attributes instead, e.g. ctx.scale = scale."
            )
        else:
            saved.append(SavedTensor(t, id(t) in output_ids and t._grad_fn is node))
    node.to_save = ()
    return tuple(saved)


class InplaceFunction(Function):
    """A Function with an ``inplace`` flag (kept for PyTorch compatibility)."""

    def __init__(self, inplace: bool = False) -> None:  # pragma: no cover - legacy API
        super().__init__()


# ---------------------------------------------------------------------------------------
# once_differentiable
class _DelayedErrorBackward(Node):
    """Stands in for a backward marked @once_differentiable when a graph of it is asked for."""

    def __init__(self, fn_name: str) -> None:
        super().__init__()
        self._fn_name = fn_name

    __slots__ = ("_fn_name",)

    def name(self) -> str:
        return "Error"

    def formula(self) -> str:
        """None to apply: differentiating a @once_differentiable backward raises."""
        return (f"grad_inputs: an error  ({self._fn_name} is @once_differentiable: its result "
                "cannot be differentiated again)")

    def apply(self, grad_outputs: list) -> tuple:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({self._fn_name})"
        )


def once_differentiable(backward):
    """Decorate a ``backward`` that is not itself differentiable (it may use NumPy freely).

    It runs under ``no_grad``; asking for a second derivative through it raises.
    """

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            grads = backward(ctx, *grad_outputs)
        if not state.enabled:
            return grads
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grad_outputs):
            return grads
        single = not isinstance(grads, tuple)
        grads = (grads,) if single else grads
        tensors = [Tensor(g._data) if isinstance(g, Tensor) else None for g in grads]
        attach(_DelayedErrorBackward(getattr(backward, "__qualname__", "backward")),
               grad_outputs, [t for t in tensors if t is not None])
        return tensors[0] if single else tuple(tensors)

    return wrapper
