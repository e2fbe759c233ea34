"""``autograd_lab.viz``: drawings of the recorded graph, and plots where a picture says more.

``draw_graph(loss)`` draws the backward graph (saved values with their versions, views,
hooks, and, given ``steps`` from ``backward_steps``, the gradients that flowed);
``graph_text(loss)`` writes the same graph as text; ``plot_grad_flow`` and
``plot_jacobians`` plot gradient norms per parameter and a gradcheck's Jacobians.
"""

from .drawing import DEFAULT_MAX_NODES, GraphDrawing, GraphvizNotFoundError, draw_graph, graph_text
from .plots import plot_grad_flow, plot_jacobians

__all__ = ["draw_graph", "graph_text", "GraphDrawing", "GraphvizNotFoundError",
           "DEFAULT_MAX_NODES", "plot_grad_flow", "plot_jacobians"]
