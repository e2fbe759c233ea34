"""``ForwardStepper``: watch the tape being recorded, op by op.

It runs ``fn(*args)`` once, listening to the public recording hook
(``al.autograd.register_op_hook``, the one the tracer uses too), and keeps a frame for
every op the program itself called (depth 0; the ops inside a Function's forward are
that Function's business): the op, its inputs, the node it made, and a drawing of the
graph so far *made at that moment*, so a later in-place op cannot change what an
earlier frame shows. Values are named as torch.fx names them (``mul``, ``mul_1``, ...),
the arguments by ``fn``'s parameter names.
"""

from __future__ import annotations

import inspect
import threading

import ipywidgets as widgets

from .._tensor import Tensor
from ..autograd.recording import register_op_hook
from ..viz import draw_graph
from ..viz._labels import type_shape
from ._values import panel_html, show_value
from .backward_stepper import _side_by_side
from .filmstrip import Filmstrip, Frame, _inline

__all__ = ["ForwardStepper", "ForwardFrame"]


class ForwardFrame:
    """One recorded op: the record, the names it was shown with, the graph so far."""

    def __init__(self, record, line: str, drawing) -> None:
        self.record = record
        self.line = line  # ``mul_1 = mul(x, w)``
        self.drawing = drawing
        self.details: list = []  # the op's inputs and outputs, described when it ran


class _Names:
    """fx-style names: arguments by parameter name, results by op (``mul``, ``mul_1``)."""

    def __init__(self, fn, args) -> None:
        self.of: dict = {}
        self.used: dict = {}
        self.keep: list = []
        try:
            params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            params = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                self.of[id(arg)] = params[i] if i < len(params) else f"arg{i}"
                self.keep.append(arg)

    def name(self, tensor) -> str:
        return self.of.get(id(tensor), "?")

    def new(self, tensor, op_name: str) -> str:
        base = op_name.split("::")[-1].replace("Function:", "").lower()
        n = self.used.get(base, 0)
        self.used[base] = n + 1
        name = base if n == 0 else f"{base}_{n}"
        self.of[id(tensor)] = name
        self.keep.append(tensor)
        return name


class ForwardStepper(widgets.VBox):
    """Run ``fn(*args)`` and step through the ops it recorded, with the graph so far."""

    def __init__(self, fn, *args, params=None, max_nodes: int | None = 60) -> None:
        if not callable(fn):
            raise TypeError(f"ForwardStepper(fn, *args): fn must be callable, got "
                            f"{type(fn).__name__}")
        self.frames: list = []
        names = _Names(fn, args)
        named = dict(params or {})
        named.update({names.name(a): a for a in args if isinstance(a, Tensor)})
        live: list = []  # results not yet used by a later op: the roots of the graph so far
        thread = threading.get_ident()

        def on_op(record) -> None:
            if record.depth != 0 or threading.get_ident() != thread:
                return
            ins = [names.name(t) for t in record.inputs]
            if record.kind == "inplace":
                out = ins[0]  # the tensor written to keeps its name
            else:
                outs = [names.new(t, record.name) for t in record.outputs]
                out = ", ".join(outs)
            args_text = ", ".join(ins + _attrs_text(record))
            consumed = {id(t) for t in record.inputs}
            live[:] = [t for t in live if id(t) not in consumed or record.kind == "inplace"]
            live.extend(t for t in record.outputs if t.requires_grad and id(t) not in
                        {id(u) for u in live})
            drawing = draw_graph(*live, params=named, highlight=record.node,
                                 max_nodes=max_nodes) if live else None
            frame = ForwardFrame(record, f"{out} = {record.name}({args_text})", drawing)
            frame.details = _details(record, names)  # as they are now, not after later ops
            self.frames.append(frame)

        handle = register_op_hook(on_op)
        try:
            self.result = fn(*args)
        finally:
            handle.remove()
        self._names = names
        self.n_steps = len(self.frames)
        self.position = 0

        self.first_button = _button("« first", "al-fwd-first")
        self.back_button = _button("◀ back", "al-fwd-back")
        self.next_button = _button("next ▶", "al-fwd-next")
        self.last_button = _button("last »", "al-fwd-last")
        self.first_button.on_click(lambda _: self.goto(0))
        self.back_button.on_click(lambda _: self.back())
        self.next_button.on_click(lambda _: self.next())
        self.last_button.on_click(lambda _: self.goto(self.n_steps))
        self.slider = widgets.IntSlider(value=0, min=0, max=self.n_steps, description="op",
                                        continuous_update=False)
        self.slider.observe(self._on_slider, names="value")
        self.graph_view = widgets.HTML()
        self.panel = widgets.HTML()
        controls = widgets.HBox([self.first_button, self.back_button, self.next_button,
                                 self.last_button, self.slider])
        super().__init__([controls, _side_by_side(self.graph_view, self.panel)])
        self._show()

    # -- the logic ------------------------------------------------------------------------
    def next(self) -> None:
        self.goto(self.position + 1)

    def back(self) -> None:
        self.goto(self.position - 1)

    def goto(self, position: int) -> None:
        """Show the tape after ``position`` ops (0: nothing recorded yet)."""
        self.position = max(0, min(int(position), self.n_steps))
        self._show()

    @property
    def current(self) -> ForwardFrame | None:
        return self.frames[self.position - 1] if self.position else None

    def state_text(self) -> str:
        """The panel as plain text (deterministic: what nbval compares)."""
        return self._text_at(self.position)

    def filmstrip(self) -> Filmstrip:
        """Every position, 0 to the last op, as a ``Filmstrip``: HTML that steps without a
        kernel, each frame with the drawing made when its op ran."""
        frames = []
        for position in range(self.n_steps + 1):
            text = self._text_at(position)
            frame = self.frames[position - 1] if position else None
            drawing = None if frame is None or frame.drawing is None else frame.drawing.svg()
            frames.append(Frame(caption=text.split("\n", 1)[0], text=text, svg=drawing))
        return Filmstrip(frames, title="the forward tape, op by op")

    def _text_at(self, position: int) -> str:
        if position == 0:
            return (f"op 0/{self.n_steps}: nothing recorded yet\n"
                    "tape: (empty)")
        frame = self.frames[position - 1]
        lines = [f"op {position}/{self.n_steps}: {frame.line}", *frame.details]
        lines.append("tape so far:")
        lines += [f"  {i}: {f.line}" for i, f in enumerate(self.frames[:position])]
        return "\n".join(lines)

    # -- the widget -----------------------------------------------------------------------
    def _on_slider(self, change) -> None:
        if change["new"] != self.position:
            self.goto(change["new"])

    def _show(self) -> None:
        frame = self.current
        if frame is None or frame.drawing is None:
            self.graph_view.value = "<div class='al-graph'>(no graph yet)</div>"
        else:
            self.graph_view.value = ("<div class='al-graph'><style>.al-graph svg {max-width: "
                                     f"100%; height: auto}}</style>{_inline(frame.drawing.svg())}"
                                     "</div>")
        self.panel.value = panel_html(self.state_text())
        self.slider.value = self.position
        self.back_button.disabled = self.first_button.disabled = self.position == 0
        self.next_button.disabled = self.last_button.disabled = self.position == self.n_steps

    def __repr__(self) -> str:
        return self.state_text()

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = self.state_text()
        return data


def _attrs_text(record) -> list:
    """The op's non-tensor arguments, by the row's names where it has a row."""
    names = getattr(record.spec, "attrs", None)
    if names and len(names) == len(record.attrs) and record.kind != "custom_op":
        return [f"{n}={a!r}" for n, a in zip(names, record.attrs, strict=True)]
    if record.kind == "custom_op":
        return []  # its attrs repeat every argument, tensors included
    return [repr(a) for a in record.attrs]


def _details(record, names: _Names) -> list:
    """What the panel says about one op, written when it ran."""
    made = ("no node (nothing here requires grad)" if record.node is None
            else record.node.name())
    lines = [f"kind: {record.kind}; node made: {made}"]
    for t in record.inputs:
        lines.append(f"  in  {names.name(t)}: {_describe(t)}")
    shown = record.inputs[:1] if record.kind == "inplace" else record.outputs
    for t in shown:
        lines.append(f"  out {names.name(t)}: {_describe(t)} = {show_value(t)}")
    return lines


def _describe(t: Tensor) -> str:
    text = type_shape(t._data.dtype, t.shape)
    if t.requires_grad:
        text += ", requires grad"
    if t.grad_fn is not None:
        text += f", grad_fn {t.grad_fn.name()}"
    return text


def _button(text: str, css_class: str) -> widgets.Button:
    button = widgets.Button(description=text, layout=widgets.Layout(width="auto", flex="0 0 auto"))
    button.add_class(css_class)
    return button
