"""``g``: what a ``symbolic(g, *inputs)`` (and every row's mapping) builds ONNX nodes with.

PyTorch hands a custom ``Function``'s ``symbolic`` a graph context ``g`` whose one verb is
``g.op("Exp", x)``: add a node, get its output back. Attributes are keyword arguments
whose suffix names their ONNX type (``axis_i=1``, ``alpha_f=0.1``, ``mode_s="x"``,
``value_t=tensor``; a list makes it plural: ``axes_i=[0, 1]``), and ``"domain::Op"``
puts a node in a custom domain, declared in the model's opset imports. autograd_lab's
own mappings (``mapping.py``) are written with the same ``g.op``, so a row's export reads
like a user's ``symbolic``.

>>> g = GraphContext(opset=17)
>>> x = g.add_input("x", "float32", (3,))
>>> y = g.op("LeakyRelu", x, alpha_f=0.1)
>>> g.nodes[0].op_type, g.nodes[0].attribute[0].name, round(g.nodes[0].attribute[0].f, 3)
('LeakyRelu', 'alpha', 0.1)
>>> g.op("Softmax", x, dim=0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: Invalid attribute specifier 'dim' names must be suffixed with type, e.g. ...
"""

from __future__ import annotations

import re

import numpy as np
from onnx import AttributeProto, helper, numpy_helper

from .._tensor import Tensor

__all__ = ["GraphContext", "Value", "onnx_dtype"]

# PyTorch's pattern (torch/onnx/_internal/jit_utils.py): a name, then the type's letter.
_ATTR_PATTERN = re.compile(r"^(.+)_(([ifstgz])|(ty))$")
_KINDS = {"i": "int", "f": "float", "s": "string", "t": "tensor"}


class Value:
    """One ONNX value (a graph input, an initializer, a node's output), by name.

    ``dtype`` and ``shape`` are known for values that stand for a program's values (and
    constants); a node ``g.op`` adds leaves them ``None`` (ONNX infers them).
    """

    __slots__ = ("name", "dtype", "_shape")

    def __init__(self, name: str, dtype=None, shape=None) -> None:
        self.name = name
        self.dtype = None
        self._shape: tuple | None = None
        self.set_type(dtype, shape)

    @property
    def shape(self):
        return self._shape

    def set_type(self, dtype, shape) -> Value:
        """Record the dtype and shape this value has (``None``: unknown)."""
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._shape = None if shape is None else tuple(shape)
        return self

    def debugName(self) -> str:  # noqa: N802 - PyTorch's name (torch._C.Value)
        return self.name

    def __repr__(self) -> str:
        return f"Value({self.name!r})"


def onnx_dtype(dtype) -> int:
    """The ``TensorProto`` element type of a NumPy dtype (``float32`` -> ``FLOAT``)."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class GraphContext:
    """The nodes, initializers and inputs of one ONNX graph (or function body) being built.

    ``opset`` is the default domain's version; ``domains`` collects the custom domains its
    nodes use (``g.op("my_domain::Op", ...)``), for the model's ``opset_import``.
    ``constants_as_nodes`` (a function body: no initializers there) makes ``constant``
    emit ``Constant`` nodes.
    """

    def __init__(self, opset: int = 17, constants_as_nodes: bool = False) -> None:
        self.opset = opset
        self.constants_as_nodes = constants_as_nodes
        self.nodes: list = []
        self.inputs: list = []
        self.initializers: list = []
        self.typed: list = []  # values whose dtype and shape are known (value_info)
        self.produced: set = set()  # names of node outputs (the values one may rename)
        self.domains: set = set()
        self._names: set = set()
        self._node_names: set = set()
        self._counter = 0
        self.scope = ""  # a name prefix while a Function's forward is inlined

    # -- names ----------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        """A value name not used yet in this graph: ``base``, then ``base_1``..."""
        base = base or "v"
        name, n = base, 0
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    def reserve(self, name: str) -> str:
        """Keep ``name`` for later (a graph output's): ``fresh`` will not hand it out."""
        if name in self._names:
            raise ValueError(f"the name {name!r} is given to two values of the graph")
        self._names.add(name)
        return name

    def rename(self, value: Value, name: str) -> None:
        """Give the node output ``value`` the (fresh or reserved) ``name``, everywhere."""
        old = value.name
        for node in self.nodes:
            for names in (node.input, node.output):
                for i, n in enumerate(names):
                    if n == old:
                        names[i] = name
        self.produced.discard(old)
        self.produced.add(name)
        value.name = name

    def _node_name(self, op_type: str) -> str:
        base = f"{self.scope}{op_type}"
        name, n = base, 0
        while name in self._node_names:
            n += 1
            name = f"{base}_{n}"
        self._node_names.add(name)
        return name

    # -- what a graph is made of ----------------------------------------------------------
    def add_input(self, name: str, dtype, shape) -> Value:
        value = Value(self.fresh(name), dtype, shape)
        self.inputs.append(helper.make_tensor_value_info(value.name, onnx_dtype(dtype),
                                                         list(shape)))
        return value

    def constant(self, value, dtype=None, name: str = "const") -> Value:
        """A constant value: an initializer, or a ``Constant`` node in a function body."""
        array = _as_array(value, dtype)
        out = Value(self.fresh(name), array.dtype, array.shape)
        tensor = numpy_helper.from_array(array, out.name)
        if self.constants_as_nodes:
            self.nodes.append(helper.make_node("Constant", [], [out.name], value=tensor,
                                               name=self._node_name("Constant")))
            self.produced.add(out.name)
        else:
            self.initializers.append(tensor)
        return out

    def ints(self, values, name: str = "ints") -> Value:
        """A 1-D int64 constant (shapes, axes, starts...), as ONNX ops take them."""
        return self.constant(np.asarray(list(values), dtype=np.int64).reshape(-1), name=name)

    def op(self, op_name: str, *inputs, outputs: int = 1, name: str | None = None,
           **attributes):
        """Add the node ``op_name(*inputs)``; return its output ``Value`` (a tuple of
        ``outputs`` values when ``outputs > 1``).

        ``op_name`` is an ONNX op (``"Exp"``) or ``"domain::Op"``. An input is a
        ``Value``, ``None`` (an optional input left out), or a constant (a number, an
        array, a Tensor). Attributes follow PyTorch: ``<name>_<type>`` with type ``i``
        (int), ``f`` (float), ``s`` (string), ``t`` (tensor); a list or tuple value
        makes it plural (``axes_i=[0]``); ``None`` leaves it out.
        """
        domain, op_type = _split_domain(op_name)
        if domain:
            self.domains.add(domain)
        names = [self._input_name(v) for v in inputs]
        out_names = [self.fresh(f"{self.scope}{name or op_type}") for _ in range(outputs)]
        attrs = [_attribute(k, v) for k, v in attributes.items() if v is not None]
        node = helper.make_node(op_type, names, out_names, name=self._node_name(op_type),
                                domain=domain or None)
        node.attribute.extend(attrs)
        self.nodes.append(node)
        self.produced.update(out_names)
        values = tuple(Value(n) for n in out_names)
        return values[0] if outputs == 1 else values

    def _input_name(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, Value):
            return value.name
        if isinstance(value, (Tensor, np.ndarray, np.generic, int, float, bool)):
            return self.constant(value).name
        raise TypeError(f"g.op: an input must be a Value (an input of symbolic, or what "
                        f"g.op returned), None or a constant; got {type(value).__name__}")

    def annotate(self, value: Value, dtype, shape) -> Value:
        """Record ``value``'s type and shape (ONNX ``value_info``), for readers and checks."""
        self.typed.append(value.set_type(dtype, shape))
        return value

    def value_info(self, skip=()) -> list:
        """``value_info`` for the node outputs whose type is known (but those in ``skip``)."""
        seen = set(skip)
        infos = []
        for value in self.typed:
            if value.name in self.produced and value.name not in seen:
                seen.add(value.name)
                infos.append(helper.make_tensor_value_info(
                    value.name, onnx_dtype(value.dtype), list(value.shape)))
        return infos


def _split_domain(op_name: str) -> tuple[str, str]:
    if "::" in op_name:
        domain, op_type = op_name.split("::", 1)
        if not domain or not op_type:
            raise ValueError(f"g.op: {op_name!r} is not 'Op' nor 'domain::Op'")
        return ("" if domain == "onnx" else domain), op_type
    return "", op_name


def _as_array(value, dtype=None) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value._data
    array = np.asarray(value, dtype=dtype)
    if array.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
        array = array.astype(np.float32)  # a Python float is a float32 constant, as in torch
    return array


def _attribute(key: str, value) -> AttributeProto:
    """One attribute from a PyTorch-style keyword: ``alpha_f=0.1`` -> float ``alpha``."""
    match = _ATTR_PATTERN.match(key)
    if match is None:
        raise ValueError(f"Invalid attribute specifier '{key}' names must be suffixed with "
                         "type, e.g. 'dim_i' or 'dims_i'")
    name, kind = match.group(1), match.group(2)
    if kind not in _KINDS:
        raise ValueError(f"attribute {key!r}: type {kind!r} (graph, complex or type "
                         "attributes) is not supported by autograd_lab's exporter; use "
                         "_i, _f, _s or _t")
    plural = isinstance(value, (list, tuple))
    if kind == "i":
        value = [int(v) for v in value] if plural else int(value)
    elif kind == "f":
        value = [float(v) for v in value] if plural else float(value)
    elif kind == "s":
        value = [str(v) for v in value] if plural else str(value)
    else:
        value = ([numpy_helper.from_array(_as_array(v)) for v in value] if plural
                 else numpy_helper.from_array(_as_array(value)))
    attr = helper.make_attribute(name, value)
    if plural and not value:  # an empty list: make_attribute cannot tell its type
        attr.type = {"i": AttributeProto.INTS, "f": AttributeProto.FLOATS,
                     "s": AttributeProto.STRINGS, "t": AttributeProto.TENSORS}[kind]
    return attr

