"""Recording ops: every op application reports here, and whoever listens gets an ``OpRecord``.

``record_ops()`` collects the records of a block in a list; ``register_op_hook(fn)`` calls
``fn(record)`` for every op, in any thread, until its handle is removed. A record says
what ran and what it made: the op's name and kind, its input tensors (the very objects
passed), its non-tensor arguments, its output tensors, the graph node it made (or None),
how deep inside a Function or custom op it ran, and the row that can run it again:

>>> import autograd_lab as al
>>> x = al.tensor([1.0, 2.0], requires_grad=True)
>>> with al.autograd.record_ops() as records:
...     y = (x * 3.0).sum()
>>> [(r.name, r.kind, r.depth) for r in records]
[('mul_scalar', 'op', 0), ('sum', 'op', 0)]
>>> records[1].outputs[0] is y, records[1].node is y.grad_fn
(True, True)

The stepper (op by op, with the graph so far) reads the records of depth 0; a tracer
takes the ops a Function's forward ran (depth + 1) and replays each ``spec``.

Note [Recording ops]
Every place that runs an op ends with ``if recording._active: recording.report(...)``:
``apply_op``/``apply_multi_op`` (``_ops/_apply.py``), ``apply_inplace``
(``_ops/inplace.py``), the few ops that have no row (comparisons, ``argmax``, ``detach``,
the indices of ``max``/``topk``), ``Function.apply`` (``function.py``) and the dispatcher
of custom ops (``library/dispatch.py``). ``_active`` is one module global, True while a
``record_ops`` block is open in some thread or a hook is registered: when nothing listens,
that one test is all an op pays (``benchmarks/instructions.py`` measured it). Records are
made when the op has finished, so the ops a Function's forward runs come before the
Function's own record. Regenerating a view's history after an in-place change replays
view ops: bookkeeping, not ops the program ran, so it is not recorded (``unrecorded``),
and neither is anything a hook itself computes.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._tensor import Tensor
from .graph import Node, RemovableHandle, _HookDict

__all__ = ["OpRecord", "KINDS", "record_ops", "register_op_hook", "report", "nested",
           "unrecorded"]

# What ran: a row of the derivative table ("op", "view": its result shares the input's
# memory, "inplace": it wrote into inputs[0]), a user's autograd.Function ("function"),
# or an operator defined with al.library ("custom_op").
KINDS = ("op", "view", "inplace", "function", "custom_op")

# Read by every op: is anything listening, in any thread? Kept up to date by the
# functions below; see Note [Recording ops].
_active = False


@dataclass(frozen=True, slots=True, repr=False)
class OpRecord:
    """One op application, as listeners of ``record_ops``/``register_op_hook`` see it.

    ``index``: its place in this recording (0, 1, 2, ... for each list or hook);
    ``name``: the row's name (``"mul"``, ``"add_scalar"``, ``"sum"``; an in-place op
    has its row's name and kind ``"inplace"``), ``"Function:<ClassName>"`` for a Function,
    the qualified name (``"mylib::foo"``) for a custom op;
    ``kind``: one of ``KINDS``;
    ``inputs``: the input tensors, in order (for an in-place op ``inputs[0]`` is the
    tensor written to, which now holds the result);
    ``attrs``: the non-tensor arguments (the row's attributes); for a Function every
    argument in order, tensors included (then its keyword arguments as ``(name, value)``
    pairs), so that ``spec.apply(*attrs)`` runs it again; for a custom op every argument
    in schema order, tensors included, so that ``dispatch.run_bound(spec, list(attrs))``
    runs it again;
    ``outputs``: the result tensors;
    ``node``: the node the op made (its outputs' ``grad_fn``; for an in-place change of a
    view, the base's new ``CopySlices``), or None when it made none (``no_grad``, no
    input requiring grad, an op without gradient);
    ``depth``: 0 for an op the program called, 1 for one run by the forward of a
    Function or by a custom op's kernel called at depth 0, and so on;
    ``spec``: what runs it again: the ``OpSpec`` row of a built-in op
    (``spec.forward(*arrays, *attrs)``), the ``OpDef`` of a custom op, the class of a
    Function (its forward's ops are recorded too, one level deeper), None for the few ops
    without a row.
    """

    index: int
    name: str
    kind: str
    inputs: tuple
    attrs: tuple
    outputs: tuple
    node: Node | None
    depth: int
    spec: Any = None

    def __repr__(self) -> str:
        node = "None" if self.node is None else self.node.name()
        return (f"OpRecord(#{self.index} {self.name} [{self.kind}] depth={self.depth}, "
                f"{len(self.inputs)} in, {len(self.outputs)} out, node={node})")


class _Listener:
    """A place records go (a list's ``append``, or a hook), with its own count."""

    __slots__ = ("fn", "count")

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.count = itertools.count()


class _Local(threading.local):
    def __init__(self) -> None:
        self.lists: list[_Listener] = []  # the record_ops blocks open in this thread
        self.depth = 0                    # inside how many Functions / custom ops
        self.muted = 0                    # > 0: inside a hook, or regenerating a view


_local = _Local()
_lock = threading.Lock()
_open_blocks = 0  # record_ops blocks open, in all threads


class _OpHooks(_HookDict):
    """The registered hooks; removing one (``handle.remove()``) may turn ``_active`` off."""

    __slots__ = ()

    def pop(self, *args):
        with _lock:
            value = super().pop(*args)
            _update()
        return value


_hooks = _OpHooks()


def _update() -> None:
    global _active
    _active = _open_blocks > 0 or bool(_hooks)


@contextmanager
def record_ops() -> Iterator[list]:
    """Collect an ``OpRecord`` for every op this thread applies inside the block.

    Blocks nest: each list gets every record made while it is open. Nothing is added
    after the block exits.

    >>> import autograd_lab as al
    >>> with al.autograd.record_ops() as records:
    ...     y = al.tensor([1.0, -2.0]).abs()
    >>> records[0].name, records[0].outputs[0] is y, records[0].node
    ('abs', True, None)
    """
    global _open_blocks
    records: list[OpRecord] = []
    listener = _Listener(records.append)
    _local.lists.append(listener)
    with _lock:
        _open_blocks += 1
        _update()
    try:
        yield records
    finally:
        _local.lists.remove(listener)
        with _lock:
            _open_blocks -= 1
            _update()


def register_op_hook(fn: Callable[[OpRecord], None]) -> RemovableHandle:
    """Call ``fn(record)`` after every op, in every thread, until the handle is removed.

    Ops ``fn`` itself applies are not recorded. An exception ``fn`` raises propagates out
    of the op that reported.

    >>> import autograd_lab as al
    >>> seen = []
    >>> handle = al.autograd.register_op_hook(lambda r: seen.append(r.name))
    >>> _ = al.tensor(1.0).exp()
    >>> handle.remove()
    >>> _ = al.tensor(1.0).exp()
    >>> seen
    ['exp']
    """
    if not callable(fn):
        raise TypeError(f"register_op_hook expects a callable, got {type(fn).__name__}")
    handle = RemovableHandle(_hooks)
    with _lock:
        _hooks[handle.id] = _Listener(fn)
        _update()
    return handle


def report(name: str, kind: str, inputs: Sequence, attrs: Sequence, outputs: Sequence,
           node: Node | None = None, spec: Any = None) -> None:
    """Hand one finished op to every listener (callers test ``_active`` first).

    ``inputs`` and ``outputs`` may hold non-tensors (a Python number, a None for an
    optional tensor): only the tensors are kept, in order.
    """
    local = _local
    if local.muted:
        return
    listeners = [*local.lists, *_hooks.values()]
    if not listeners:  # another thread is recording, not this one
        return
    inputs = tuple([t for t in inputs if isinstance(t, Tensor)])
    outputs = tuple([t for t in outputs if isinstance(t, Tensor)])
    attrs = tuple(attrs)
    depth = local.depth
    local.muted += 1  # what a hook computes is not an op of the program
    try:
        for listener in listeners:
            listener.fn(OpRecord(next(listener.count), name, kind, inputs, attrs, outputs,
                                 node, depth, spec))
    finally:
        local.muted -= 1


def nested(fn: Callable, *args) -> Any:
    """``fn(*args)`` with the ops it applies recorded one level deeper (a Function's
    forward, a custom op's kernel)."""
    local = _local
    local.depth += 1
    try:
        return fn(*args)
    finally:
        local.depth -= 1


def unrecorded(fn: Callable, *args) -> Any:
    """``fn(*args)`` with nothing it applies recorded (graph bookkeeping)."""
    local = _local
    local.muted += 1
    try:
        return fn(*args)
    finally:
        local.muted -= 1
