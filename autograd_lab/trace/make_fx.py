"""``make_fx(fn)(*args)``: run ``fn`` once and keep every op it applied, as a program.

The recording hook (``al.autograd.record_ops``) reports each op with the very tensors it
read and made, so building the program is bookkeeping: each tensor the program has seen
maps to the node that made it; an argument becomes a ``placeholder`` (``x_1``); a tensor
the program reads but did not make (a parameter, a constant made inside ``fn``) becomes a
``get_attr``, kept on the module under its name.

What is traced is what ran: a Python ``if`` on a tensor's value is traced as taken (the
program does not branch; PyTorch's ``make_fx`` refuses such code instead), and so is a
value read out with ``.item()``. An op that used the values of a tensor the program has
(indices, a mask: ``x[i]``) reads them from that tensor's node (``index=(i_1.numpy(),)``),
so new indices pick new elements; ``topk``'s values are picked at the program's own
indices. A custom ``Function`` is traced as the ops of its forward (its
backward is not part of a forward program), unless ``inline_functions`` says to keep it
as one call (the ONNX exporter keeps those with a ``symbolic``).
"""

from __future__ import annotations

import inspect

import numpy as np

from .._tensor import Tensor
from ..autograd.recording import record_ops
from .graph import Graph
from .graph_module import ArrayOf, AttrRef, GraphModule, is_literal
from .targets import RowTarget, getitem

__all__ = ["make_fx", "Tracer", "program_records"]


def program_records(records: list, inline_functions=True) -> list:
    """The records a program is made of: every op the program called, with a Function
    replaced by the ops of its forward (when inlined) and a custom op kept as one call.

    Records come in the order ops finished, so the ops a Function's forward ran come
    just before the Function's own record, one level deeper.
    """
    keep = []
    stack: list = []  # enclosing containers (depth, kind, inlined), innermost last
    for r in reversed(records):
        while stack and stack[-1][0] >= r.depth:
            stack.pop()
        inside = all(kind == "function" and inlined for _, kind, inlined in stack)
        inlined = r.kind == "function" and _inlines(inline_functions, r)
        if inside and not inlined:
            keep.append(r)
        if r.kind in ("function", "custom_op"):
            stack.append((r.depth, r.kind, inlined))
    keep.reverse()
    return keep


def _inlines(inline_functions, record) -> bool:
    if callable(inline_functions):
        return bool(inline_functions(record.spec))
    return bool(inline_functions)


class Tracer:
    """Builds a ``Graph`` from op records; ``value_of(tensor)`` is the node for a tensor."""

    def __init__(self, params: dict | None = None) -> None:
        self.graph = Graph()
        self.attributes: dict = {}
        self.by_tensor: dict = {}  # id(tensor) -> node
        self.by_array: dict = {}  # id(tensor._data) -> node: aliases (a Function's output)
        self.keep: list = []  # the tensors (and arrays) named above, kept alive while tracing
        self.names = {id(t): name for name, t in (params or {}).items()}

    def bind(self, tensor: Tensor, node) -> None:
        self.by_tensor[id(tensor)] = node
        self.by_array[id(tensor._data)] = node
        self.keep.append((tensor, tensor._data))  # an id is unique while its object lives

    def placeholder(self, tensor: Tensor, base: str):
        node = self.graph.placeholder(base, _meta(tensor))
        self.bind(tensor, node)
        return node

    def value_of(self, value):
        """The argument a program passes for ``value``: a node, a constant, or an
        attribute reference."""
        if isinstance(value, Tensor):
            node = self.by_tensor.get(id(value)) or self.by_array.get(id(value._data))
            if node is None:  # read but not made here: captured
                base = self.names.get(id(value), "_tensor_constant")
                node = self.graph.get_attr(base, _meta(value))
                self.attributes[node.target] = value
                self.bind(value, node)
            return node
        if isinstance(value, np.ndarray) and id(value) in self.by_array:
            return ArrayOf(self.by_array[id(value)])  # the values of a tensor it has
        if isinstance(value, (tuple, list)):
            items = [self.value_of(v) for v in value]
            return tuple(items) if isinstance(value, tuple) else items
        if isinstance(value, dict):
            return {k: self.value_of(v) for k, v in value.items()}
        if isinstance(value, np.generic):
            return value.item()
        if is_literal(value):
            return value
        name = f"_constant_{len([k for k in self.attributes if k.startswith('_constant')])}"
        self.attributes[name] = value
        return AttrRef(name)

    def add(self, record, group: str | None = None):
        """One op record as one node (plus ``getitem`` nodes for several outputs)."""
        target, args, kwargs = self._call(record)
        meta = {"kind": record.kind}
        if group is not None:
            meta["group"] = group
        outs = record.outputs
        name = _node_name(record)
        if record.kind == "inplace":
            meta.update(_meta(record.inputs[0]))
            node = self.graph.call_function(target, args, kwargs, meta, name=name)
            self.bind(record.inputs[0], node)  # the tensor written to now holds this value
            return node
        if len(outs) == 1 and not _returns_tuple(target):
            meta.update(_meta(outs[0]))
            node = self.graph.call_function(target, args, kwargs, meta, name=name)
            self.bind(outs[0], node)
            return node
        meta["outputs"] = tuple((t._data.dtype, t.shape) for t in outs)
        node = self.graph.call_function(target, args, kwargs, meta, name=name)
        for i, t in enumerate(outs):
            item = self.graph.call_function(getitem, (node, i), meta={**_meta(t), **(
                {"group": group} if group else {})}, name="getitem")
            self.bind(t, item)
        return node

    def _call(self, r):
        if r.kind == "function":
            target = _function_target(r.spec)
            return target, tuple(self.value_of(v) for v in r.attrs), {}
        if r.kind == "custom_op":
            target = _custom_op_target(r.spec)
            return target, tuple(self.value_of(v) for v in r.attrs), {}
        if r.spec is None:  # an op without a row: the public function, inputs then attrs
            from .targets import ops

            name = r.name.replace(".", "_")
            return getattr(ops, name), tuple(self.value_of(v) for v in r.inputs + r.attrs), {}
        target = RowTarget(r.spec, inplace=r.kind == "inplace")
        names = r.spec.attrs
        kwargs = {n: self.value_of(a) for n, a in zip(names, r.attrs, strict=True)
                  if n not in target.recomputed}  # the program computes those itself
        return target, tuple(self.value_of(t) for t in r.inputs), kwargs


def _topk_first(records: list) -> tuple[list, dict]:
    """``topk`` records its values (``take_along_dim`` at the indices it chose) before its
    indices; put the indices first, so the values can be picked at them. Also gives
    ``{id(indices record): the array of indices its values were picked at}``."""
    records, chosen = list(records), {}
    for i in range(1, len(records)):
        r, prev = records[i], records[i - 1]
        if (r.name == "topk.indices" and prev.name == "take_along_dim"
                and prev.inputs[0] is r.inputs[0]):
            records[i - 1], records[i] = r, prev
            chosen[id(r)] = prev.attrs[0]
    return records, chosen


def _node_name(record) -> str:
    """The op's name as a value name: ``add`` for the row ``add_scalar`` (fx names values
    by op, not overload), ``mul_`` for an in-place ``mul``, ``topk`` for its indices."""
    name = record.name.split("::")[-1].split(":")[-1].split(".")[0].lower()
    for suffix in ("_scalar", "_tensor"):  # also PyTorch's overload names, div_Scalar
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name + ("_" if record.kind == "inplace" else "")


def _returns_tuple(target) -> bool:
    if isinstance(target, RowTarget):
        from .targets import _is_multi

        return _is_multi(target.spec)
    return False


def _function_target(cls):
    apply = cls.apply
    wrapper = _CodeNamed(apply, f"self.{cls.__name__}.apply", cls.__name__)
    return wrapper


def _custom_op_target(opdef):
    from ..library.ops_namespace import ops as library_ops

    packet = getattr(getattr(library_ops, opdef.namespace), opdef.name)
    return _CodeNamed(packet, f"al.ops.{opdef.namespace}.{opdef.name}", opdef.name)


class _CodeNamed:
    """A callable with the name generated code gives it."""

    def __init__(self, fn, code_name: str, name: str) -> None:
        self.fn = fn
        self._al_code_name = code_name
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def _meta(tensor: Tensor) -> dict:
    return {"dtype": tensor._data.dtype, "shape": tuple(tensor.shape)}


def make_fx(fn, *, inline_functions=True, params: dict | None = None):
    """``make_fx(fn)(*args)`` runs ``fn(*args)`` once and returns its ops as a
    ``GraphModule``; calling that on new inputs of the same shapes computes ``fn``.

    ``fn`` may be an ``al.nn.Module``: its parameters are captured under their names.

    >>> import autograd_lab as al
    >>> def f(x, y):
    ...     return (x * y + 1.0).sum()
    >>> program = al.trace.make_fx(f)(al.ones(3), al.ones(3))
    >>> _ = program.print_readable()
    class f(al.nn.Module):
        def forward(self, x_1: "f32[3]", y_1: "f32[3]"):
            mul: "f32[3]" = ops.mul(x_1, y_1);  x_1 = y_1 = None
            add: "f32[3]" = ops.add_scalar(mul, other=1.0);  mul = None
            sum_1: "f32[]" = ops.sum(add, dim=(0,), keepdim=False, self_sym_sizes=(3,));  add = None
            return sum_1
    >>> program(al.tensor([1.0, 2.0, 3.0]), al.tensor([2.0, 2.0, 2.0]))
    tensor(15.)
    """
    named = dict(params or {})
    if hasattr(fn, "named_parameters"):
        named.update({k.replace(".", "_"): v for k, v in fn.named_parameters()})
    forward = fn.forward if hasattr(fn, "named_parameters") else fn
    arg_names = _positional_names(forward)

    def trace(*args):
        tracer = Tracer(named)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                base = arg_names[i] if i < len(arg_names) else f"arg{i}"
                tracer.placeholder(arg, f"{base}_1")
        with record_ops() as records:
            result = fn(*args)
        kept, chosen = _topk_first(program_records(records, inline_functions))
        for record in kept:
            node = tracer.add(record)
            if id(record) in chosen:  # topk's values are picked at the program's indices
                tracer.by_array[id(chosen[id(record)])] = node
            if record.kind == "function":  # a Function kept whole is an attribute
                tracer.attributes.setdefault(record.spec.__name__, record.spec)
        tracer.graph.output(tracer.value_of(_as_output(result)))
        name = getattr(fn, "__name__", type(fn).__name__)
        return GraphModule(tracer.graph, tracer.attributes, class_name=name)

    return trace


def _positional_names(fn) -> list:
    """The names of ``fn``'s positional parameters, up to a ``*args`` (then ``arg2``...)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    names = []
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    return names


def _as_output(result):
    if isinstance(result, list):
        return tuple(result)
    return result
