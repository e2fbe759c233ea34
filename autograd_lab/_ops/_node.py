"""The node classes of built-in ops: a row's saved values plus its backward formula.

``apply`` runs the row's formula as the table writes it, in Tensor ops: that is the
definition, whoever calls it (a learner by hand, the engine, ``create_graph=True``).
``_apply_arrays`` runs the row's NumPy formula instead; only the engine calls it, and
only when nothing records and ``al.autograd.fast_formulas`` allows it (Note [Two
formulas] in ``_table.py``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

import numpy as np

from .._tensor import Tensor
from ..autograd.function import attach
from ..autograd.grad_mode import state
from ..autograd.graph import Node
from ..autograd.saved import freed_graph_error

if TYPE_CHECKING:  # the row type, for checkers (_table imports this module at run time)
    from ._table import OpSpec

__all__ = ["OpNode", "MultiOutputOpNode", "NotImplementedBackward", "node_class"]


class OpNode(Node):
    """The node of a built-in op (``MulBackward0``): saved values plus the row's formula."""

    __slots__ = ("_saved", "_attrs")
    # Set by ``apply_op`` when it records the node: the SavedTensors the row asked for
    # (None in a slot it did not need), None once a backward freed them; and the op's
    # non-tensor arguments.
    _saved: tuple | None
    _attrs: tuple
    # The row, set on each row's class by ``node_class`` (these base classes, of which no
    # node is made, have none).
    _spec: ClassVar[OpSpec]
    _skip_if_no_grad = True
    # A row's formulas return gradients they made, or the incoming one unchanged: the
    # engine can tell which (Note [Owned gradients] in autograd/engine.py).
    _fresh_grad_inputs = True

    def formula(self) -> str:
        """The row's formula in one line of maths (``defop``'s ``math``); a multi-output
        row's too."""
        spec = getattr(self, "_spec", None)
        if spec is None:  # the base class itself, no row
            return "grad_inputs = the row's formula(grad, saved values, attrs)"
        if spec.math:
            return spec.math
        return (f"grad_inputs = {spec.backward.__qualname__}(grad, ...)  (row {spec.name!r} "
                "states no math)")

    def apply(self, grad_outputs: list) -> tuple:
        """The chain rule for this node: the row's formula on the incoming gradient."""
        spec = self._spec
        values = [None if s is None else s.unpack(self) for s in self._saved_values()]
        if not spec.double_backward and state.enabled:
            return _without_double_backward(self, grad_outputs, values)
        if spec.wants_needs_input_grad:
            grads = spec.backward(grad_outputs[0], *values, *self._attrs,
                                  needs_input_grad=self.needs_input_grad)
        else:
            grads = spec.backward(grad_outputs[0], *values, *self._attrs)
        return grads if type(grads) is tuple else (grads,)

    def _apply_arrays(self, grad_outputs: list, owned: bool = False) -> tuple:
        """The same derivative by the row's NumPy formula (Note [Two formulas]), results
        wrapped as Tensors; the row's Tensor formula if it has none. ``owned``: the engine
        owns the incoming gradient, and a formula that asks may write into it (relu; Note
        [Owned gradients] in autograd/engine.py)."""
        spec = self._spec
        formula = spec.array_backward
        if formula is None:
            return self.apply(grad_outputs)
        if spec.passes_gradient:  # ``x + 2``: its formula is ``return grad``
            return (grad_outputs[0],)
        saved = self._saved
        if saved is None:
            raise freed_graph_error()
        grad = grad_outputs[0]
        data = grad._data
        if spec.scalar_forward is not None and data.ndim == 0:
            data = data[()]  # Note [Scalar math for 0-d tensors] in _table.py
        attrs = self._attrs
        if spec.array_keywords:  # the few rows that ask (mul's needs_input_grad, relu's
            grads = formula(data, *_arrays(self, saved), *attrs,  # owned)
                            **self._keywords(owned))
        elif len(saved) == 1:  # most rows save one value (sin's self, exp's result)
            grads = formula(data, saved[0].unpack_array(self), *attrs)
        elif not saved:  # ``x * 2.0``, ``sum``: the gradient and the attributes alone
            grads = formula(data, *attrs)
        else:
            grads = formula(data, *_arrays(self, saved), *attrs)
        if grads is data:  # a formula that hands its gradient on unchanged
            return (grad,)
        if spec.result_writes:  # Note [Formulas that write their result in place]
            return _written(spec.result_writes, grads)
        if type(grads) is np.ndarray:
            return (Tensor(grads),)
        if type(grads) is tuple:
            return tuple([_as_tensor(g) for g in grads])
        return (_as_tensor(grads),)

    def _keywords(self, owned: bool) -> dict:
        """What a NumPy formula asked for by keyword: which gradients are wanted, and
        whether it may write into the incoming gradient."""
        keywords: dict[str, object] = {}
        if self._spec.array_wants_needs_input_grad:
            keywords["needs_input_grad"] = self.needs_input_grad
        if self._takes_owned_grad:
            keywords["grad_is_owned"] = owned
        return keywords

    def _saved_values(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise freed_graph_error()
        return saved

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Which inputs a gradient is wanted for (an edge leads somewhere)."""
        return tuple([fn is not None for fn, _ in self.next_functions])

    def _release_variables(self) -> None:
        saved = self._saved  # a node that saved nothing can run again, as in PyTorch
        if saved and saved.count(None) != len(saved):
            self._saved = None


def _arrays(node: OpNode, saved: tuple) -> list:
    """The saved values as arrays; None where a row saved nothing (Note [Saved only when
    needed] in _table.py)."""
    return [None if s is None else s.unpack_array(node) for s in saved]


def _as_tensor(g) -> Tensor | None:
    """One result of a NumPy formula as a Tensor (None stays None; a NumPy scalar, which
    an op on 0-d arrays gives, becomes a 0-d array again)."""
    if g is None:
        return None
    return Tensor(g if type(g) is np.ndarray else np.asarray(g))


def _written(writes: int, grads) -> tuple:
    """A NumPy formula's results as Tensors at the version their row's Tensor formula
    leaves them at: ``writes`` in-place writes each (Note [Formulas that write their
    result in place] in _table.py)."""
    out = tuple([_as_tensor(g) for g in grads]) if type(grads) is tuple else (_as_tensor(grads),)
    for t in out:
        if t is not None:
            t._version_counter().value = writes
    return out


class MultiOutputOpNode(OpNode):
    """The node of a row whose forward returns several arrays (``unbind``, ``split``).

    Its formula receives ``grads``, one gradient per output (None for an output nobody
    used: the formula materializes zeros where it needs them), instead of ``grad``.
    """

    __slots__ = ()

    def apply(self, grad_outputs: list) -> tuple:
        values = [s.unpack(self) for s in self._saved_values()]
        grads = self._spec.backward(tuple(grad_outputs), *values, *self._attrs)
        return grads if type(grads) is tuple else (grads,)

    def _apply_arrays(self, grad_outputs: list, owned: bool = False) -> tuple:
        return self.apply(grad_outputs)


class NotImplementedBackward(Node):
    """Stands where a backward formula is not differentiable: a second backward through it
    raises, naming the op (PyTorch's "derivative for <op> is not implemented")."""

    __slots__ = ("op_name",)

    def __init__(self, op_name: str) -> None:
        super().__init__()
        self.op_name = op_name

    def name(self) -> str:
        return "NotImplemented"

    def formula(self) -> str:
        """None to apply: differentiating the backward of ``op_name`` raises."""
        return (f"grad_inputs: an error  (the backward of {self.op_name} ran outside the graph; "
                "its derivative is not implemented)")

    def apply(self, grad_outputs: list) -> tuple:
        raise RuntimeError(
            f"derivative for {self.op_name} is not implemented: its backward is computed "
            "outside the graph, so it cannot be differentiated again (create_graph=True "
            "through it only works for the first derivative)."
        )


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


_NodeT = TypeVar("_NodeT", bound=OpNode)


def node_class(name: str, base: type[_NodeT], spec: OpSpec) -> type[_NodeT]:
    """The Node class of one row, e.g. ``MulBackward0``.

    Like PyTorch's nodes, it shows what it saved as ``node._saved_self``, ``node._saved_dim``
    ... (and ``node._raw_saved_self``, the SavedTensor): one property per saved value and
    per attribute (properties rather than a
    ``__getattr__``, which would slow every attribute read on every node).
    """
    fields = {"__slots__": (), "_spec": spec, "__module__": "autograd_lab._ops",
              "_saves_nothing": not spec.save}
    for index, key in enumerate(spec.save):
        fields[f"_saved_{key}"] = property(functools.partial(_saved_value, index=index))
        fields[f"_raw_saved_{key}"] = property(functools.partial(_raw_saved, index=index))
    for index, key in enumerate(spec.attrs):
        fields.setdefault(f"_saved_{key}", property(functools.partial(_saved_attr, index=index)))
    return cast("type[_NodeT]", type(name, (base,), fields))


def _saved_value(node: OpNode, index: int):
    s = node._saved_values()[index]  # None: not saved (Note [Saved only when needed])
    return None if s is None else s.unpack(node)


def _raw_saved(node: OpNode, index: int):
    """The ``SavedTensor`` itself (PyTorch's ``_raw_saved_self``): its versions, shape and
    bytes, without unpacking it, so a drawing can show a stale value instead of raising."""
    return node._saved_values()[index]


def _saved_attr(node: OpNode, index: int):
    return node._attrs[index]
