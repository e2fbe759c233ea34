"""The program IR: a ``Graph`` of ``Node``s, torch.fx's core in a page.

A node is one line of a program: ``placeholder`` (an input), ``get_attr`` (a tensor the
program captured, such as a parameter, kept as an attribute of its ``GraphModule``),
``call_function`` (``target(*args, **kwargs)``) or ``output``. ``args`` hold other nodes
or plain constants. ``meta`` holds what the line computes (``dtype``, ``shape``) and,
for a captured backward, the backward node it belongs to (``group``). Names are unique
and readable, as fx makes them: ``x_1`` for an argument ``x``, ``mul``, ``mul_1``, ...,
and never a builtin (``sum_1``, not ``sum``).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["Node", "Graph", "ArrayOf", "OPCODES", "nodes_in"]

OPCODES = ("placeholder", "get_attr", "call_function", "output")


class Node:
    """One line of a program."""

    __slots__ = ("graph", "op", "name", "target", "args", "kwargs", "meta")

    def __init__(self, graph: Graph, op: str, name: str, target: Any, args: tuple = (),
                 kwargs: dict | None = None, meta: dict | None = None) -> None:
        if op not in OPCODES:
            raise ValueError(f"unknown node op {op!r}; one of {', '.join(OPCODES)}")
        self.graph = graph
        self.op = op
        self.name = name
        self.target = target
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.meta = dict(meta or {})

    @property
    def users(self) -> list:
        """The nodes that read this one, in program order."""
        return [n for n in self.graph.nodes if self in _node_args(n)]

    def __repr__(self) -> str:
        return self.name


class ArrayOf:
    """The values of a tensor the program has, where an op took them as an array (the
    indices of ``x[i]``): written ``i_1.numpy()``."""

    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node


def nodes_in(value) -> list:
    """The program nodes ``value`` refers to (a node, an ``ArrayOf``, or tuples, lists and
    dicts of them, such as a node's ``args``), in order, each once."""
    found: list = []
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, Node):
            found.append(v)
        elif isinstance(v, ArrayOf):
            found.append(v.node)
        elif isinstance(v, (tuple, list)):
            todo.extend(reversed(v))
        elif isinstance(v, dict):
            todo.extend(reversed(list(v.values())))
    return list(dict.fromkeys(found))


def _node_args(node: Node) -> list:
    """The nodes among ``node``'s arguments and keywords."""
    return nodes_in((node.args, node.kwargs))


class Graph:
    """The nodes of a program, in the order they run."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._names: set[str] = set()

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def unique_name(self, base: str) -> str:
        """``base`` made a fresh Python identifier: ``mul``, then ``mul_1``, ``mul_2``..."""
        base = re.sub(r"\W", "_", base) or "v"
        if base[0].isdigit():
            base = "_" + base
        candidate = base
        n = 0
        while (candidate in self._names or keyword.iskeyword(candidate)
               or hasattr(builtins, candidate) or candidate in _RESERVED):
            n += 1
            candidate = f"{base}_{n}"
        self._names.add(candidate)
        return candidate

    def _add(self, op: str, base: str, target: Any, args=(), kwargs=None, meta=None) -> Node:
        node = Node(self, op, self.unique_name(base), target, args, kwargs, meta)
        self.nodes.append(node)
        return node

    def placeholder(self, base: str, meta: dict | None = None) -> Node:
        node = self._add("placeholder", base, None, meta=meta)
        node.target = node.name
        return node

    def get_attr(self, base: str, meta: dict | None = None) -> Node:
        node = self._add("get_attr", base, None, meta=meta)
        node.target = node.name
        return node

    def call_function(self, target, args=(), kwargs=None, meta=None,
                      name: str | None = None) -> Node:
        base = name if name else getattr(target, "__name__", "call")
        return self._add("call_function", base, target, args, kwargs, meta)

    def output(self, value) -> Node:
        node = Node(self, "output", "output", "output", (value,))
        self.nodes.append(node)
        return node

    def last_uses(self) -> dict:
        """``{node: [values whose last reader it is]}``: where ``x = None`` is printed."""
        seen: set = set()
        last: dict = {n: [] for n in self.nodes}
        for node in reversed(self.nodes):
            for arg in _node_args(node):
                if arg not in seen:
                    seen.add(arg)
                    last[node].append(arg)
        return last


# Names the generated code itself uses.
_RESERVED = {"self", "ops", "al", "operator", "accumulate_grad", "output"}
