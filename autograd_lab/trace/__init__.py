"""``autograd_lab.trace``: programs you can read, from the forward and the backward.

``make_fx(fn)(*args)`` records every op ``fn`` applies as a ``GraphModule`` (torch.fx's
core: placeholders, captured attributes, calls, an output), which you can call on new
inputs, read as Python (``.code``), print in torch.fx's style (``print_readable()``)
and draw (``al.viz.draw_graph(program)``). ``capture_backward(loss)`` gives the backward
``loss.backward()`` would run as a program of the same kind.
"""

from .capture_backward import HookNotCapturableError, capture_backward
from .graph import Graph, Node
from .graph_module import GraphModule
from .make_fx import make_fx
from .targets import accumulate_grad, ops

__all__ = ["make_fx", "capture_backward", "HookNotCapturableError", "GraphModule", "Graph",
           "Node", "ops", "accumulate_grad"]
