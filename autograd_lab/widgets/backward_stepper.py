"""``BackwardStepper``: walk a real backward pass node by node, in a notebook.

The stepper is a view over ``al.autograd.backward_steps`` (the engine itself, paused
after each node; never a second implementation). It pulls steps from the engine as you
go forward, so the leaves' ``.grad`` fill up as you step, exactly as the engine writes
them, and reaching the end leaves the ``.grad`` that ``backward()`` leaves. Going back
shows the steps already taken (each step is a snapshot).

The graph is laid out once, before the pass starts; each step only restyles it with CSS
(current node gold, done nodes green, nodes waiting for gradients outlined blue). All
logic lives in plain methods (``next()``, ``back()``, ``goto(i)``, ``state_text()``) that
tests call; the buttons and the slider are one-line handlers around them.
"""

from __future__ import annotations

import itertools

import ipywidgets as widgets

from ..autograd.engine import backward_steps
from ..autograd.graph import AccumulateGrad
from ..viz import draw_graph
from ..viz._dot import CURRENT, DONE, svg_id
from ..viz._model import start_nodes, walk
from ._values import panel_html, show_value
from .filmstrip import _SHAPES, Filmstrip, Frame, _inline

__all__ = ["BackwardStepper"]

_instances = itertools.count(1)  # scopes each stepper's CSS to its own graph


class BackwardStepper(widgets.VBox):
    """Step through ``loss.backward()`` one node at a time.

    ``inputs``: as ``backward(inputs=...)``; ``params``: names for leaves (e.g.
    ``dict(model.named_parameters())``); ``gradient``: the seed, for a non-scalar loss.
    Position 0 is before the first node runs; position ``k`` shows step ``k`` (the
    ``k``-th node the engine ran) as current. With ``inputs=`` the pass runs when the
    stepper is made (the engine prunes the graph, so only running it tells how many
    steps there are); stepping then shows its recorded steps. ``predict=True`` adds a
    box where the learner types the gradient the next node will send before ``check``
    reveals it.
    """

    def __init__(self, loss, inputs=None, params=None, gradient=None,
                 max_nodes: int | None = None, predict: bool = False) -> None:
        self.drawing = draw_graph(loss, params=params, max_nodes=max_nodes)
        self._names = {id(b.node): f"{key} {_title(b)}"
                       for key, b in self.drawing.model.boxes.items() if b.node is not None}
        self._svg = _inline(self.drawing.svg())
        self._scope = f"al-stepper-{next(_instances)}"
        self._steps: list = []
        self._engine = backward_steps(loss, gradient, inputs=inputs)
        self._finished = False
        if inputs is None:  # the engine runs every node behind the loss, once
            self.n_steps = _count_nodes(loss)
        else:  # it prunes what inputs= does not need: take every step now to count them
            self._steps = list(self._engine)
            self._finished = True
            self.n_steps = len(self._steps)
        self.position = 0

        self.first_button = _button("« first", "al-first", "Back to the start")
        self.back_button = _button("◀ back", "al-back", "One step back")
        self.next_button = _button("next ▶", "al-next", "Run the next node")
        self.last_button = _button("last »", "al-last", "Run to the end")
        self.first_button.on_click(lambda _: self.first())
        self.back_button.on_click(lambda _: self.back())
        self.next_button.on_click(lambda _: self.next())
        self.last_button.on_click(lambda _: self.last())
        self.slider = widgets.IntSlider(value=0, min=0, max=self.n_steps, description="step",
                                        continuous_update=False)
        self.slider.observe(self._on_slider, names="value")
        self.play = widgets.Play(value=0, min=0, max=self.n_steps, interval=800,
                                 description="play")
        self.speed = widgets.IntSlider(value=800, min=100, max=3000, step=100,
                                       description="ms/step", continuous_update=False)
        widgets.link((self.play, "value"), (self.slider, "value"))
        widgets.link((self.speed, "value"), (self.play, "interval"))
        self.graph_view = widgets.HTML()
        self.panel = widgets.HTML()
        self.panel.add_class("al-panel")
        controls = widgets.HBox([self.first_button, self.back_button, self.next_button,
                                 self.last_button, self.play, self.slider, self.speed],
                                layout=widgets.Layout(flex_flow="row wrap"))
        self.feedback = ""
        self.guess = widgets.Text(placeholder="e.g. [[1, 2], [3, 4]]",
                                  description="predict:")
        self.check_button = _button("check", "al-check", "Compare, then run the node")
        self.check_button.on_click(lambda _: self.check(self.guess.value))
        rows = [controls]
        if predict:
            rows.append(widgets.HBox([self.guess, self.check_button]))
        super().__init__([*rows, _side_by_side(self.graph_view, self.panel)])
        self._show()

    # -- the logic (what tests call) ----------------------------------------------------
    def next(self) -> None:
        """Run the next node (or show it again, if you had stepped back)."""
        self.goto(self.position + 1)

    def back(self) -> None:
        self.goto(self.position - 1)

    def first(self) -> None:
        self.goto(0)

    def last(self) -> None:
        """Run the pass to the end: the leaves now hold ``backward()``'s gradients."""
        self.goto(self.n_steps)

    def goto(self, position: int) -> None:
        """Show position ``position`` (0: before the first node; ``k``: after step ``k``),
        running the engine up to there if it has not got that far yet."""
        position = max(0, min(int(position), self.n_steps))
        if position != self.position + 1 or not self.feedback.startswith(("✓", "✗")):
            self.feedback = ""  # a prediction's verdict belongs to the step it revealed
        self._pull(position)
        self.position = position
        self._show()

    def check(self, answer: str) -> str:
        """Predict mode: compare ``answer`` with the first gradient the next node sends
        (what a leaf's ``.grad`` becomes, for a leaf), then run the node and show it."""
        if self.position >= self.n_steps:
            self.feedback = "the pass is over: nothing left to predict"
            self._show()
            return self.feedback
        self._pull(self.position + 1)
        step = self._steps[self.position]
        where, truth = _first_gradient(step, self._names)
        self.feedback = _compare(answer, truth, where)
        self.goto(self.position + 1)
        return self.feedback

    @property
    def steps(self) -> list:
        """The ``BackwardStep`` events taken so far."""
        return list(self._steps)

    @property
    def current(self):
        """The step shown (None at position 0)."""
        return self._step_at(self.position)

    def _step_at(self, position: int):
        return self._steps[position - 1] if position else None

    def leaf_grads(self) -> dict:
        """``{leaf name: .grad so far}`` as of the step shown (snapshots)."""
        return self._leaf_grads_at(self.position)

    def _leaf_grads_at(self, position: int) -> dict:
        step = self._step_at(position)
        if step is None:
            return {}
        return {self._leaf_name(leaf): grad for leaf, grad in step.accumulated_grads}

    def state_text(self) -> str:
        """What the panel says, as plain text (deterministic: what nbval compares)."""
        return self._text_at(self.position, self.feedback)

    def filmstrip(self) -> Filmstrip:
        """Every position, 0 to the end, as a ``Filmstrip``: HTML that steps without a
        kernel (what a saved page, such as the docs site, can still step through).

        It needs every step, so it runs the rest of the pass (as ``last()`` would, and the
        leaves' ``.grad`` are then ``backward()``'s); the position shown stays where it is.
        """
        self._pull(None)
        frames = []
        for position in range(self.n_steps + 1):
            text = self._text_at(position)
            frames.append(Frame(caption=text.split("\n", 1)[0], text=text,
                                styles=tuple(self._styles_at(position))))
        return Filmstrip(frames, shared_svg=self._svg, title="backward, node by node")

    def _text_at(self, position: int, feedback: str = "") -> str:
        step = self._step_at(position)
        lines = [f"step {position}/{self.n_steps}: "
                 + ("not started" if step is None else self._names.get(id(step.node),
                                                                     step.node.name()))]
        if feedback:
            lines.append(f"your prediction: {feedback}")
        if step is None:
            first = self._first_node_name()
            lines.append(f"next: {first} receives the seed gradient (d loss / d loss = 1)")
            return "\n".join(lines)
        node = step.node
        lines.append(f"rule: {node.formula()}")
        lines.append("gradient in: " + ", ".join(show_value(g) for g in step.grad_outputs))
        saved = self._saved_lines(node)
        if saved:
            lines.append("saved values read: " + "; ".join(saved))
        if type(node) is AccumulateGrad:
            lines.append(f"{self._leaf_name(node.variable)}.grad is now "
                         f"{show_value(step.variable_grad)}")
        summed = dict(step.summed)
        outs = []
        for i, (fn, _) in enumerate(node.next_functions):
            if fn is None:
                continue
            g = step.grad_inputs[i] if i < len(step.grad_inputs) else None
            text = f"  edge {i} -> {self._names.get(id(fn), fn.name())}: {show_value(g)}"
            if i in summed:
                dims = ", ".join(str(d) for d in summed[i])
                text += f", summed over dim {dims} to {list(fn._output_meta[0][0])}"
            outs.append(text)
        if outs:
            lines.append("gradients out:")
            lines += outs
        if step.hooks:
            lines.append("hooks that ran: " + "; ".join(step.hooks))
        ready = [self._names.get(id(n), n.name()) for n in step.ready]
        lines.append("ready to run next: " + (", ".join(ready) if ready else "nothing"))
        for fn, needs, has in step.waiting:
            lines.append(f"waiting: {self._names.get(id(fn), fn.name())} needs {needs} "
                         f"gradients, has {has}")
        if step.accumulated_grads:
            lines.append("leaves' .grad so far:")
            lines += [f"  {name} = {show_value(g)}"
                      for name, g in self._leaf_grads_at(position).items()]
        return "\n".join(lines)

    def svg_source(self) -> str:
        """The graph's HTML as shown now: the SVG laid out once, plus this step's CSS."""
        return self.graph_view.value

    # -- the widget ---------------------------------------------------------------------
    def _pull(self, position: int | None) -> None:
        while not self._finished and (position is None or len(self._steps) < position):
            step = next(self._engine, None)
            if step is None:
                self._finished = True
            else:
                self._steps.append(step)
        if self._finished and len(self._steps) != self.n_steps:
            self.n_steps = len(self._steps)  # the prediction was wrong: trust the engine
            self.slider.max = self.play.max = self.n_steps

    def _on_slider(self, change) -> None:
        if change["new"] != self.position:
            self.goto(change["new"])

    def _show(self) -> None:
        self.graph_view.value = self._graph_html()
        self.panel.value = panel_html(self.state_text())
        self.slider.value = self.position  # its observer sees the same position: no-op
        self.back_button.disabled = self.first_button.disabled = self.position == 0
        self.next_button.disabled = self.last_button.disabled = self.position == self.n_steps

    def _styles_at(self, position: int) -> list:
        """How the drawing shows ``position``: ``(css, svg ids)`` for the nodes that ran
        (green), those waiting for gradients (blue outline) and the current one (gold)."""
        step = self._step_at(position)
        done = [s.node for s in self._steps[: max(position - 1, 0)]]
        waiting = [] if step is None else [fn for fn, _, _ in step.waiting]
        current = [] if step is None else [step.node]

        def ids(nodes) -> tuple:
            return tuple(i for i in (self._svg_id(n) for n in nodes) if i)

        return [(f"fill: {DONE}", ids(done)),
                ("stroke: #1565c0; stroke-width: 2px", ids(waiting)),
                (f"fill: {CURRENT}; stroke: #ff8f00; stroke-width: 3px", ids(current))]

    def _graph_html(self) -> str:
        """The SVG laid out once, with a ``<style>`` for the position shown."""
        scope = f".{self._scope}"
        css = f"{scope} svg {{max-width: 100%; height: auto}}\n"
        for style, ids in self._styles_at(self.position):
            if ids:
                selectors = ", ".join(f"{scope} #{i} > {s}" for i in ids for s in _SHAPES)
                css += f"{selectors} {{{style}}}\n"
        step = self.current
        current_id = self._svg_id(step.node) if step is not None else ""
        return (f'<div class="al-graph {self._scope}" data-current="{current_id}">'
                f"<style>{css}</style>{self._svg}</div>")

    def _svg_id(self, node) -> str:
        box = self.drawing.model.box_of(node)
        return "" if box is None else svg_id(box.id)

    def _saved_lines(self, node) -> list:
        box = self.drawing.model.box_of(node)
        if box is None:
            return []
        prefix = box.id + "."
        return [f"{b.title} {', '.join(b.lines)}" for key, b in self.drawing.model.boxes.items()
                if key.startswith(prefix)]

    def _leaf_name(self, leaf) -> str:
        for box in self.drawing.model.boxes.values():
            if box.kind == "leaf" and box.node is not None and box.node.variable is leaf:
                return box.title if box.title != "leaf" else box.id
        return "leaf"

    def _first_node_name(self) -> str:
        for box in self.drawing.model.boxes.values():
            if box.node is not None:
                return f"{box.id} {_title(box)}"
        return "nothing"

    def __repr__(self) -> str:
        return self.state_text()

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = self.state_text()  # whole, not cut at 110 characters
        return data


def _first_gradient(step, names: dict) -> tuple:
    """What a prediction is compared with: the first gradient the node sent, or for a
    leaf the ``.grad`` it now holds; and where it went, in words."""
    if step.variable_grad is not None:
        return f"{names.get(id(step.node), 'the leaf')}'s .grad", step.variable_grad
    for i, (fn, _) in enumerate(step.node.next_functions):
        g = step.grad_inputs[i] if i < len(step.grad_inputs) else None
        if fn is not None and g is not None:
            return f"edge {i} of {names.get(id(step.node))} (to {names.get(id(fn))})", g
    return f"{names.get(id(step.node))}", None


def _compare(answer: str, truth, where: str) -> str:
    """A verdict in one line: right, wrong (with the value), or what could not be read."""
    import ast

    import numpy as np

    if truth is None:
        return f"{where} sends no gradient: nothing to compare"
    expected = truth._data
    try:
        guess = np.asarray(ast.literal_eval(answer.strip()), dtype=np.float64)
    except (ValueError, SyntaxError, TypeError):
        return (f"✗ could not read {answer!r}: type a number or a nested list such as "
                "[[1, 2], [3, 4]]")
    if guess.shape != expected.shape and guess.size != 1:
        return (f"✗ shape {list(guess.shape)}, but {where} has shape "
                f"{list(expected.shape)}: the answer is {show_value(truth)}")
    if np.allclose(guess, expected, rtol=1e-3, atol=1e-4):
        return f"✓ right: {where} is {show_value(truth)}"
    return f"✗ not quite: {where} is {show_value(truth)}"


def _title(box) -> str:
    return f"leaf {box.title}" if box.kind == "leaf" and box.title != "leaf" else box.title


def _button(text: str, css_class: str, tooltip: str) -> widgets.Button:
    button = widgets.Button(description=text, tooltip=tooltip,
                            layout=widgets.Layout(width="auto", flex="0 0 auto"))
    button.add_class(css_class)
    return button


def _side_by_side(graph: widgets.HTML, panel: widgets.HTML) -> widgets.HBox:
    """The graph (scaled down to fit, never up) and the panel beside it; the panel goes
    below when the page is too narrow for both."""
    graph.layout = widgets.Layout(flex="1 1 58%", min_width="320px", overflow="auto")
    panel.layout = widgets.Layout(flex="1 1 38%", min_width="300px")
    return widgets.HBox([graph, panel], layout=widgets.Layout(flex_flow="row wrap"))


def _count_nodes(loss) -> int:
    """How many nodes ``backward()`` will run: every node behind the loss (it runs each
    once, when all its gradients are in), counted on the graph, not on the drawing (which
    may fold some)."""
    starts, _ = start_nodes((loss,))
    return len(walk(starts))
