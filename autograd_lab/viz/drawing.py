"""``draw_graph`` and ``graph_text``: the recorded backward graph, drawn and written out.

A drawing is a ``GraphDrawing``: in a notebook it shows as SVG, and its ``text/plain``
is the same graph in words, deterministic (sequential ids, no memory addresses), which
is what strict nbval compares. The ``graphviz.Digraph`` is at ``.digraph``.
"""

from __future__ import annotations

import functools
import shutil

import graphviz

from ._dot import model_digraph, svg_id
from ._model import GraphModel, build_model
from ._text import model_text

__all__ = ["draw_graph", "graph_text", "GraphDrawing", "GraphvizNotFoundError",
           "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 150  # a page of boxes a person can still read; None draws everything

_INSTALL_DOT = (
    "Graphviz's `dot` program was not found on PATH; the graphviz Python package only "
    "calls it. Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install graphviz`, then restart the kernel. "
    "al.viz.graph_text(...) gives the same graph as text without it."
)


class GraphvizNotFoundError(RuntimeError):
    """Raised when Graphviz's ``dot`` is not installed."""


@functools.lru_cache(maxsize=1)
def _has_dot(path: str) -> bool:
    return shutil.which("dot", path=path) is not None


def _require_dot() -> None:
    import os

    if not _has_dot(os.environ.get("PATH", "")):
        raise GraphvizNotFoundError(_INSTALL_DOT)


class GraphDrawing:
    """A drawn graph: SVG in a notebook, its text form as ``text/plain`` and ``repr``."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model
        self.digraph, self.prelaid = model_digraph(model)
        self.text = model_text(model)
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The dot source (``self.digraph.source``)."""
        return self.digraph.source

    def svg(self) -> str:
        """The SVG, rendered once by Graphviz (``neato -n2`` for a pre-laid-out graph)."""
        if self._svg is None:
            _require_dot()
            try:
                self._svg = self.digraph.pipe(format="svg", encoding="utf-8",
                                              neato_no_op=2 if self.prelaid else None)
            except graphviz.ExecutableNotFound as err:
                raise GraphvizNotFoundError(_INSTALL_DOT) from err
        return self._svg

    def svg_id(self, target) -> str:
        """The SVG element id of a drawn node (a Node, a tensor's grad_fn, or a box id)."""
        if isinstance(target, str):
            if target not in self.model.boxes:
                raise KeyError(f"no box {target!r} in this drawing")
            return svg_id(target)
        node = getattr(target, "grad_fn", None) or target
        box = self.model.box_of(node)
        if box is None:
            raise KeyError(f"{target!r} is not drawn here")
        return svg_id(box.id)

    def save(self, path: str) -> str:
        """Write the drawing to ``path``: ``.svg``, ``.png`` or ``.pdf`` by its suffix."""
        fmt = str(path).rsplit(".", 1)[-1].lower()
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"save: unknown format {fmt!r}; use a path ending in .svg, "
                             ".png or .pdf")
        _require_dot()
        data = self.digraph.pipe(format=fmt, neato_no_op=2 if self.prelaid else None)
        with open(path, "wb") as f:
            f.write(data)
        return str(path)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"image/svg+xml": self.svg(), "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


def draw_graph(*tensors, params=None, show_saved: bool = True, show_versions: bool = True,
               steps=None, highlight=None,
               max_nodes: int | None = DEFAULT_MAX_NODES) -> GraphDrawing:
    """Draw the backward graph behind ``tensors`` (or backward nodes).

    ``params``: names for leaves, e.g. ``dict(model.named_parameters())``;
    ``show_saved``: each saved value as its own small box (name, dtype, shape, bytes);
    ``show_versions``: versions of saved values and tensors, a stale one in red;
    ``steps``: events from ``al.autograd.backward_steps``: the nodes that ran, the last
    one highlighted, each edge that carried a gradient labelled with its shape and norm;
    ``highlight``: nodes (or tensors) to mark, e.g. the node an anomaly error names;
    ``max_nodes``: fold the rest, with a note of what was folded (None: draw all).

    A traced program (``al.trace.make_fx(fn)(x)``) is drawn on its own,
    ``draw_graph(program)``: its inputs, captured tensors, one box per line (``mul =
    ops.mul(x_1, w_1)`` and its ``f32[3]``) and its output, arrows the way data flows;
    ``highlight`` takes its node names.

    >>> import autograd_lab as al
    >>> x = al.tensor([1.0, 2.0], requires_grad=True)
    >>> print(al.viz.graph_text((x * x).sum(), params={"x": x}))
    backward graph: 1 output, 3 nodes, 2 saved values
    o0 output: f32[] -> n0
    n0 SumBackward0 -> n1
    n1 MulBackward0 -> n2, n2
        saved self: f32[2] · 8 B; is x (n2); version 0
        saved other: f32[2] · 8 B; is x (n2); version 0
    n2 leaf x: f32[2]
    """
    _require_dot()
    return GraphDrawing(build_model(tensors, params, show_saved, show_versions, steps,
                                    highlight, max_nodes))


def graph_text(*tensors, params=None, show_saved: bool = True, show_versions: bool = True,
               steps=None, highlight=None, max_nodes: int | None = DEFAULT_MAX_NODES) -> str:
    """The text form of ``draw_graph(...)`` (needs no Graphviz)."""
    return model_text(build_model(tensors, params, show_saved, show_versions, steps,
                                  highlight, max_nodes))
