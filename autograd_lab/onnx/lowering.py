"""Lowering a traced program to ONNX nodes, node by node.

The exporter traces with every custom Function kept whole (``make_fx(...,
inline_functions=False)``), then walks the program:

- a row of the derivative table (or an op without a row) goes through its mapping in
  ``mapping.py`` (the windows-then-reduce of pooling becomes one pool node: ``fusions.py``);
- a Function with ``symbolic`` gets what ``symbolic(g, *inputs)`` builds;
- a Function without one is traced again on the values it received, with its own
  nested Functions kept whole, and that program is lowered in its place (inlined), or,
  under ``fallthrough``, lowered into a model-local function called by one
  ``autograd_lab::<Name>`` node;
- an op with no mapping raises ``UnsupportedOperatorError`` naming the op, the row, the
  program node and the Functions around it, or, under ``fallthrough``, becomes an
  ``autograd_lab::<op>`` node.

Each program value keeps its program name (``relu``, ``conv.weight``) and its recorded
dtype and shape, so the ONNX graph reads like the program, and the checker verifies
that every mapping computes what autograd_lab computed.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..trace.graph import ArrayOf, Node, nodes_in
from ..trace.graph_module import AttrRef
from ..trace.make_fx import make_fx
from ..trace.targets import RowTarget, code_name
from . import fusions
from ._common import Out
from .errors import CannotMap, UnsupportedOperatorError
from .export_types import OperatorExportTypes
from .functions import DOMAIN, FunctionLibrary
from .mapping import mapping_for
from .symbolic import GraphContext, Value

__all__ = ["Lowering", "output_nodes"]


class Lowering:
    """Lowers one program into ``g``; ``path`` names the Functions it sits inside."""

    def __init__(self, g: GraphContext, mode: OperatorExportTypes, library: FunctionLibrary,
                 path: tuple = (), scope: str = "", attr_names: dict | None = None) -> None:
        self.g = g
        self.mode = mode
        self.library = library
        self.path = path
        self.scope = scope
        self.attr_names = attr_names or {}  # id(tensor) -> name (a module's parameters)
        self.opaque = 0  # nodes emitted that no ONNX runtime knows (fallthrough)
        self.env: dict = {}
        self.fused: dict = {}  # node -> mapping of the pool it ends (fusions.py)
        self._real: dict | None = None

    # -- the walk ---------------------------------------------------------------------------
    def run(self, program, inputs: list, real_inputs: list) -> list:
        """Lower ``program``; ``inputs`` are the ``Value``s of its placeholders, in order,
        ``real_inputs`` the tensors it was traced with. Returns its outputs, flattened."""
        self.program, self.real_inputs = program, real_inputs
        self.check_inplace(program.graph)
        live = _live(program.graph)
        self.fused, skipped = fusions.find(program.graph, live)
        live -= skipped
        placeholders = iter(inputs)
        outputs: list = []
        for node in program.graph:
            if node.op == "placeholder":
                self.env[node] = next(placeholders)
            elif node.op == "output":
                outputs = [self.env[n] for n in output_nodes(node)]
            elif node not in live:
                continue
            elif node.op == "get_attr":
                tensor = self.program._attributes[node.target]
                name = self.attr_names.get(id(tensor), self.scope + node.target)
                self.env[node] = self._typed(self.g.constant(tensor, name=name), node)
            else:
                self.env[node] = self.call(node)
        return outputs

    def check_inplace(self, graph) -> None:
        """Every in-place op, used or not: one that wrote through a view changed memory
        another value shares, which ONNX values cannot do."""
        for node in graph:
            target = node.target
            if node.op != "call_function" or not getattr(target, "inplace", False):
                continue
            problem = _inplace_problem(node)
            if problem is not None:
                raise UnsupportedOperatorError(
                    target.__name__, row=target.spec.name, node=node.name, functions=self.path,
                    reason=f"{problem} (an ONNX value is never changed in place)")

    def call(self, node: Node):
        target, g = node.target, self.g
        if target is operator.getitem:
            value = self.env[node.args[0]][node.args[1]]
            return self._named(value, node)
        start = len(g.nodes)
        g.scope = self.scope
        function = _function_class(target)
        if node in self.fused:
            result = self.fused[node](g, Out.of(node.meta), self.env)
        elif function is not None:
            result = self.function(node, function)
        elif isinstance(target, RowTarget):
            result = self.op(node, target.spec.name, target.spec.name, rowed=True)
        else:
            name = code_name(target)
            if name.startswith("ops."):
                result = self.op(node, name[4:], None, rowed=False)
            else:  # a custom op of al.library: al.ops.<ns>.<name>
                op = name[len("al.ops."):].replace(".", "::")
                result = self.unsupported(node, op, None, "a custom op has no ONNX form")
        if isinstance(result, tuple):  # named by the getitem nodes that pick them
            for value, (dtype, shape) in zip(result, Out.of(node.meta).outputs, strict=False):
                value.set_type(dtype, shape)
            return result
        made_here = {n for onnx_node in g.nodes[start:] for n in onnx_node.output}
        return self._named(result, node, made_here)

    def _named(self, value: Value, node: Node, made_here: set | None = None) -> Value:
        """Give a value made for ``node`` the node's name, dtype and shape (a value the
        mapping passed through unchanged keeps its own name)."""
        if value.name in self.g.produced and (made_here is None or value.name in made_here):
            self.g.rename(value, self.g.fresh(self.scope + node.name))
        return self._typed(value, node)

    def _typed(self, value: Value, node: Node) -> Value:
        if "dtype" in node.meta:
            self.g.annotate(value, node.meta["dtype"], node.meta["shape"])
        return value

    def load(self, value):
        """A node argument as a mapping takes it: program values as ``Value``s."""
        if isinstance(value, Node):
            return self.env[value]
        if isinstance(value, ArrayOf):
            return self.env[value.node]
        if isinstance(value, AttrRef):
            return self.program._attributes[value.name]
        if isinstance(value, tuple):
            return tuple(self.load(v) for v in value)
        if isinstance(value, list):
            return [self.load(v) for v in value]
        if isinstance(value, dict):
            return {k: self.load(v) for k, v in value.items()}
        return value

    # -- built-in ops -----------------------------------------------------------------------
    def op(self, node: Node, name: str, row: str | None, rowed: bool):
        mapping = mapping_for(name, rowed)
        if mapping is None:
            return self.unsupported(node, name, row, "it has no ONNX mapping")
        inputs = [self.load(a) for a in node.args]
        attrs = {k: self.load(v) for k, v in node.kwargs.items()}
        try:
            return mapping(self.g, Out.of(node.meta), *inputs, **attrs)
        except CannotMap as reason:
            return self.unsupported(node, name, row, str(reason))

    def unsupported(self, node: Node, op: str, row: str | None, reason: str):
        """Raise, or under ``fallthrough`` keep the op as one ``autograd_lab`` node."""
        if self.mode is OperatorExportTypes.ONNX:
            raise UnsupportedOperatorError(op, row=row, node=node.name, functions=self.path,
                                           reason=reason, opset=self.g.opset)
        self.opaque += 1
        values: list[Value] = []
        attrs: dict[str, Any] = {}
        for key, arg in [(None, a) for a in node.args] + list(node.kwargs.items()):
            loaded = self.load(arg)
            if isinstance(loaded, Value):
                values.append(loaded)
            elif key is not None:
                attrs.update(_suffixed(key, loaded))
        n = len(Out.of(node.meta).outputs) or 1
        return self.g.op(f"{DOMAIN}::{op.replace('::', '.')}", *values, outputs=n, **attrs)

    # -- custom Functions -------------------------------------------------------------------
    def function(self, node: Node, cls):
        args = [self.load(a) for a in node.args]
        n = len(Out.of(node.meta).outputs) or 1
        if hasattr(cls, "symbolic"):
            return _symbolic(self.g, cls, args, n)
        real_args = self._real_values(node.args)
        body = _trace_body(cls, real_args)
        inputs = [a for a in args if isinstance(a, Value)]
        real_inputs = [a for a in real_args if isinstance(a, Tensor)]
        path = self.path + (cls.__name__,)
        if self.mode is OperatorExportTypes.ONNX:  # inline its forward
            inner = Lowering(self.g, self.mode, self.library, path,
                             f"{self.scope}{cls.__name__}/")
            outs = inner.run(body, inputs, real_inputs)
            self.g.scope = self.scope
        else:
            op_type = self._define(cls, body, inputs, real_inputs, path)
            outs = self.g.op(f"{DOMAIN}::{op_type}", *inputs, outputs=len(body_outputs(body)))
            outs = list(outs) if isinstance(outs, tuple) else [outs]
        if len(outs) != n:
            raise ValueError(f"{cls.__name__}.forward returned {len(outs)} tensors when "
                             f"traced again for export, {n} when the program was traced")
        return outs[0] if n == 1 else tuple(outs)

    def _define(self, cls, body, inputs: list, real_inputs: list, path: tuple) -> str:
        """``cls``'s forward as a model-local function, when every op in it is exportable
        (else the node stays opaque: onnxruntime will not run the model)."""
        g = GraphContext(self.g.opset, constants_as_nodes=True)
        params = [Value(g.fresh(f"input_{i}"), v.dtype, v.shape) for i, v in enumerate(inputs)]
        inner = Lowering(g, self.mode, self.library, path)
        outs = inner.run(body, params, real_inputs)
        if inner.opaque:
            self.opaque += 1
            return cls.__name__
        results, seen = [], {p.name for p in params}
        for value in outs:  # a function's outputs are distinct values made by its nodes
            if value.name in seen or value.name not in g.produced:
                value = g.op("Identity", value)
            seen.add(value.name)
            results.append(value)
        return self.library.add(cls.__name__, g, params, results)

    def _real_values(self, args):
        """What a Function received when the program ran: its arguments as tensors."""
        if self._real is None:
            self._real = _interpret(self.program, self.real_inputs)
        return [_load_real(a, self._real, self.program) for a in args]


def _symbolic(g: GraphContext, cls, args: list, n: int):
    result = cls.symbolic(g, *args)
    values = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(values) != n or not all(isinstance(v, Value) for v in values):
        raise ValueError(f"{cls.__name__}.symbolic must return {n} value(s) made with g.op "
                         f"(the outputs of forward), got {result!r}")
    return values[0] if n == 1 else tuple(values)


def _function_class(target):
    """The custom Function a program node calls whole, or ``None``."""
    apply = getattr(target, "fn", None)
    cls = getattr(apply, "__self__", None)
    if isinstance(cls, type) and getattr(target, "_al_code_name", "").startswith("self."):
        return cls
    return None


def _trace_body(cls, real_args: list):
    """The program of ``cls``'s forward, run on ``real_args``, nested Functions whole."""

    def forward(*args):
        return cls.apply(*args)

    forward.__name__ = cls.__name__
    with no_grad():
        return make_fx(forward, inline_functions=lambda c: c is cls)(*real_args)


def body_outputs(program) -> list:
    return output_nodes(next(n for n in program.graph if n.op == "output"))


def output_nodes(node: Node) -> list:
    """The program nodes an ``output`` returns, flattened (tuples, lists, dicts)."""
    found: list = []

    def visit(value) -> None:
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            for v in value:
                visit(v)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        else:
            raise TypeError(f"export: a program's outputs must be tensors (or tuples, "
                            f"lists, dicts of them), got {type(value).__name__}: {value!r}")

    visit(node.args[0])
    return found


def _live(graph) -> set:
    """The nodes the output depends on (a dead ``argmax`` beside ``max`` is left out)."""
    live: set = set()
    stack = [n for n in graph if n.op == "output"]
    while stack:
        node = stack.pop()
        for ref in nodes_in((node.args, node.kwargs)):
            if ref not in live:
                live.add(ref)
                stack.append(ref)
    return live


def _inplace_problem(node: Node) -> str | None:
    """An in-place op is exported as the value it computes, which is right unless a view
    shares the memory it writes: then the view would not see the change."""
    base = node.args[0]
    if base.op == "get_attr":
        return (f"it writes in place into {base.name}, a constant the trace captured (a "
                "formula's zeros, say): the captured value is the one after the write")
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    if base.meta.get("kind") == "view":
        return f"it writes in place into {base.name}, a view"
    for user in base.users:
        if user is not node and user.meta.get("kind") == "view":
            if any(order[u] > order[node] for u in user.users):
                return (f"it writes in place into {base.name}, whose view {user.name} is "
                        "read afterwards")
    return None


def _suffixed(key: str, value) -> dict:
    """A row attribute as an ONNX attribute of a fallthrough node (``dim`` -> ``dim_i``);
    what ONNX cannot hold (arrays, slices) is left out."""
    if isinstance(value, (bool, int, np.integer)):
        return {f"{key}_i": int(value)}
    if isinstance(value, (float, np.floating)):
        return {f"{key}_f": float(value)}
    if isinstance(value, str):
        return {f"{key}_s": value}
    if isinstance(value, (tuple, list)) and value:
        if all(isinstance(v, (bool, int, np.integer)) for v in value):
            return {f"{key}_i": [int(v) for v in value]}
        if all(isinstance(v, (int, float, np.number)) for v in value):
            return {f"{key}_f": [float(v) for v in value]}
    return {}


# -- running a program to see what its Functions received ----------------------------------
def _interpret(program, real_inputs: list) -> dict:
    """Every node's value when ``program`` runs on (copies of) ``real_inputs``."""
    env: dict = {}
    inputs = iter(real_inputs)
    with no_grad():
        for node in program.graph:
            if node.op == "placeholder":
                env[node] = next(inputs).detach().clone()
            elif node.op == "get_attr":
                env[node] = program._attributes[node.target].detach().clone()
            elif node.op == "call_function":
                env[node] = node.target(*_load_real(node.args, env, program),
                                        **_load_real(node.kwargs, env, program))
    return env


def _load_real(value, env: dict, program):
    if isinstance(value, Node):
        return env[value]
    if isinstance(value, ArrayOf):
        return env[value.node]._data
    if isinstance(value, AttrRef):
        return program._attributes[value.name]
    if isinstance(value, tuple):
        return tuple(_load_real(v, env, program) for v in value)
    if isinstance(value, list):
        return [_load_real(v, env, program) for v in value]
    if isinstance(value, dict):
        return {k: _load_real(v, env, program) for k, v in value.items()}
    return value
