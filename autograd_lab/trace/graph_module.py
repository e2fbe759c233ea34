"""``GraphModule``: a program you can call, print, read as Python and draw.

Calling it interprets its graph node by node (torch.fx's ``Interpreter``): each
``call_function`` runs its target on real tensors, so a program records a graph of its
own when its inputs require grad. ``.code`` is the Python source of its ``forward``,
which runs as it reads with ``autograd_lab`` and the module's attributes;
``print_readable()`` prints it in torch.fx's style, each value annotated ``"f32[2, 3]"``.
"""

from __future__ import annotations

import ast
import operator

import numpy as np

from .._tensor import Tensor
from ..viz._labels import type_shape
from .graph import ArrayOf, Graph, Node
from .targets import RowTarget, code_name

__all__ = ["GraphModule", "AttrRef", "ArrayOf"]


class AttrRef:
    """A non-literal constant argument (an index array, a dtype), kept as an attribute."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class GraphModule:
    """A traced program: ``.graph`` to iterate, ``.code`` to read, ``print_readable()``,
    callable on new inputs of the same shapes (``defaults`` fill missing inputs)."""

    def __init__(self, graph: Graph, attributes: dict | None = None,
                 class_name: str = "GraphModule", defaults: dict | None = None) -> None:
        self.graph = graph
        self._attributes = dict(attributes or {})
        self.class_name = class_name
        self.defaults = dict(defaults or {})  # placeholder name -> captured value

    def __getattr__(self, name: str):
        attributes = self.__dict__.get("_attributes", {})
        if name in attributes:
            return attributes[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def placeholders(self) -> list:
        return [n for n in self.graph if n.op == "placeholder"]

    # -- running ------------------------------------------------------------------------
    def __call__(self, *args):
        inputs = self.placeholders
        if len(args) > len(inputs):
            raise TypeError(f"{self.class_name}() takes {len(inputs)} "
                            f"input{'s' if len(inputs) != 1 else ''} "
                            f"({', '.join(n.name for n in inputs)}), got {len(args)}")
        env: dict = {}
        for i, node in enumerate(inputs):
            if i < len(args):
                env[node] = args[i]
            elif node.name in self.defaults:
                env[node] = self.defaults[node.name]
            else:
                raise TypeError(f"{self.class_name}() is missing input {i} ({node.name}); "
                                f"it takes {', '.join(n.name for n in inputs)}")
        for node in self.graph:
            if node.op == "get_attr":
                env[node] = self._attributes[node.target]
            elif node.op == "call_function":
                env[node] = node.target(*self._load(node.args, env),
                                        **self._load(node.kwargs, env))
            elif node.op == "output":
                return self._load(node.args[0], env)
        return None

    def _load(self, value, env: dict):
        if isinstance(value, Node):
            return env[value]
        if isinstance(value, AttrRef):
            return self._attributes[value.name]
        if isinstance(value, ArrayOf):
            return env[value.node]._data
        if isinstance(value, tuple):
            return tuple(self._load(v, env) for v in value)
        if isinstance(value, list):
            return [self._load(v, env) for v in value]
        if isinstance(value, dict):
            return {k: self._load(v, env) for k, v in value.items()}
        return value

    # -- reading ------------------------------------------------------------------------
    @property
    def code(self) -> str:
        """The Python source of ``forward(self, ...)``; run it with ``namespace()``."""
        return "\n".join(_forward_lines(self.graph, annotate=False)) + "\n"

    def print_readable(self, print_output: bool = True) -> str:
        """The program in torch.fx's style; printed, and returned."""
        lines = [f"class {self.class_name}(al.nn.Module):"]
        lines += ["    " + line for line in _forward_lines(self.graph, annotate=True)]
        text = "\n".join(lines) + "\n"
        if print_output:
            print(text, end="")
        return text

    def namespace(self) -> dict:
        """The globals ``.code`` needs: ``al``, ``ops``, ``operator``, ``accumulate_grad``."""
        import importlib

        from . import targets

        # Generated code reads like the user's own (``al.ops.mylib.foo(x_1)``), so it
        # runs with the package itself; a program exists only once the package is
        # imported, so this adds no import cycle (it is not an import of this module).
        package = importlib.import_module(__name__.split(".")[0])
        return {"al": package, "ops": targets.ops, "operator": operator, "np": np,
                "accumulate_grad": targets.accumulate_grad}

    def __repr__(self) -> str:
        return self.print_readable(print_output=False)


def _meta_text(meta: dict) -> str:
    if "dtype" in meta and "shape" in meta:
        return type_shape(meta["dtype"], meta["shape"])
    if "outputs" in meta:
        return ", ".join(type_shape(d, s) for d, s in meta["outputs"])
    return ""


def _forward_lines(graph: Graph, annotate: bool) -> list:
    last = graph.last_uses()
    params = []
    for node in graph:
        if node.op == "placeholder":
            ann = _meta_text(node.meta)
            params.append(f'{node.name}: "{ann}"' if annotate and ann else node.name)
    lines = [f"def forward(self, {', '.join(params)}):" if params else "def forward(self):"]
    group = None
    for node in graph:
        if node.op == "placeholder":
            continue
        if node.meta.get("group") is not None and node.meta["group"] != group:
            group = node.meta["group"]
            lines.append(f"    # {group}")
        if node.op == "output":
            lines.append(f"    return {_value(node.args[0])}")
            continue
        if node.op == "get_attr":
            rhs = f"self.{node.target}"
        else:
            rhs = _call_text(node)
        ann = _meta_text(node.meta)
        lhs = f'{node.name}: "{ann}"' if annotate and ann else node.name
        freed = [n.name for n in last[node] if n is not node]
        tail = f";  {' = '.join(freed)} = None" if freed else ""
        lines.append(f"    {lhs} = {rhs}{tail}")
    return lines


def _call_text(node: Node) -> str:
    target = node.target
    if target is operator.getitem:
        return f"{_value(node.args[0])}[{_value(node.args[1])}]"
    kwargs = node.kwargs
    if isinstance(target, RowTarget):
        kwargs = target.shown_attrs(kwargs)
    parts = [_value(a) for a in node.args] + [f"{k}={_value(v)}" for k, v in kwargs.items()]
    return f"{code_name(target)}({', '.join(parts)})"


def _value(value) -> str:
    """A value as generated code writes it."""
    if isinstance(value, Node):
        return value.name
    if isinstance(value, AttrRef):
        return f"self.{value.name}"
    if isinstance(value, ArrayOf):
        return f"{value.node.name}.numpy()"
    if isinstance(value, tuple):
        inner = ", ".join(_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.dtype):
        return f"np.dtype({value.name!r})"
    text = repr(value)
    ast.literal_eval(text)  # a constant the code writes must read back as itself
    return text


def is_literal(value) -> bool:
    """Can generated code write ``value`` as a literal (or a dtype)?"""
    if isinstance(value, (tuple, list)):
        return all(is_literal(v) for v in value)
    if isinstance(value, np.dtype):
        return True
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        return False
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False
