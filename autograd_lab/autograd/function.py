"""The one path by which any node joins the graph.

Built-in ops (``ops/_table.py``) and user ``Function`` subclasses both call
``attach``: so a built-in ``MulBackward0`` and a user's ``MyFnBackward`` are the
same kind of Node, with the same edges, saved tensors and hooks.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import anomaly_mode
from .anomaly_mode import record_forward_trace
from .graph import Node, gradient_edge

__all__ = ["attach"]


def attach(node: Node, inputs: Sequence, outputs: Sequence) -> Node:
    """Record ``node`` as the producer of ``outputs`` and the consumer of ``inputs``.

    ``inputs`` may hold ``None`` or tensors that do not require grad: their edge is
    ``(None, 0)``. Each output becomes a non-leaf whose gradient flows into ``node``.
    """
    node.next_functions = tuple([gradient_edge(t) for t in inputs])
    if len(outputs) == 1:  # the common case, kept short: every op runs through here
        out = outputs[0]
        out._grad_fn = node
        out._output_nr = 0
        out._requires_grad = True
        data = out._data
        node._output_meta = ((data.shape, data.dtype),)
    else:
        meta = []
        for output_nr, out in enumerate(outputs):
            out._grad_fn = node
            out._output_nr = output_nr
            out._requires_grad = True
            data = out._data
            meta.append((data.shape, data.dtype))
        node._output_meta = tuple(meta)
    if anomaly_mode._enabled:
        record_forward_trace(node)
    return node
