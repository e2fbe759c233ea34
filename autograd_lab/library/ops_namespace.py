"""``al.ops``: registered operators as attributes, ``al.ops.<ns>.<name>.<overload>``.

- ``al.ops.mylib`` is a namespace (made on first access, as ``torch.ops.mylib`` is, and
  removable with ``delattr(al.ops, "mylib")``);
- ``al.ops.mylib.foo`` is an ``OpOverloadPacket``: calling it picks the overload whose
  schema fits the arguments;
- ``al.ops.mylib.foo.default`` (or ``.out`` ...) is an ``OpOverload``: one schema, called
  through the dispatcher (``dispatch.call_op``).

Packets and overloads look the registry up on every attribute access, so ``al.ops`` never
shows an op whose Library was destroyed, and a handle kept from before fails clearly.

The built-in ops live in the private package ``autograd_lab._ops`` (as PyTorch keeps
``torch._ops`` apart from ``torch.ops``), so every name here is free for a namespace.
"""

from __future__ import annotations

from typing import Any

from . import dispatch, registry
from .registry import OpDef
from .schema import FunctionSchema

__all__ = ["ops", "OpOverload", "OpOverloadPacket"]


def _overload_attr(overload_name: str) -> str:
    return overload_name or "default"


class OpOverload:
    """One overload of an operator: ``al.ops.ns.foo.default``. Call it like the op."""

    def __init__(self, opdef: OpDef) -> None:
        self._opdef = opdef
        self._overloadname = _overload_attr(opdef.overload_name)
        self.__name__ = f"{opdef.name}.{self._overloadname}"
        self.__qualname__ = self.__name__

    @property
    def _schema(self) -> FunctionSchema:
        return self._opdef.schema

    @property
    def namespace(self) -> str:
        return self._opdef.namespace

    @property
    def _opname(self) -> str:
        return self._opdef.name

    def name(self) -> str:
        """``"ns::foo"`` for the default overload, ``"ns::foo.out"`` for others."""
        return self._opdef.qualname

    def __call__(self, *args, **kwargs) -> Any:
        if not self._opdef.alive:
            raise RuntimeError(f"operator {self._opdef.qualname} no longer exists: the Library "
                               "that defined it was destroyed")
        return dispatch.call_op(self._opdef, args, kwargs)

    def __repr__(self) -> str:
        return (f"<OpOverload(op='{self.namespace}.{self._opname}', "
                f"overload='{self._overloadname}')>")

    def __str__(self) -> str:
        return f"{self.namespace}.{self._opname}.{self._overloadname}"


class OpOverloadPacket:
    """All overloads of one operator name: ``al.ops.ns.foo``."""

    def __init__(self, namespace: str, name: str) -> None:
        self._namespace = namespace
        self._opname = name
        self._cache: dict[str, OpOverload] = {}
        self.__name__ = name

    def _opdefs(self) -> dict[str, OpDef]:
        return registry.overloads(self._namespace, self._opname)

    def overloads(self) -> list[str]:
        """Overload names, ``"default"`` for the one without a name."""
        return [_overload_attr(o) for o in self._opdefs()]

    def _overload(self, opdef: OpDef) -> OpOverload:
        cached = self._cache.get(opdef.overload_name)
        if cached is None or cached._opdef is not opdef:
            cached = self._cache[opdef.overload_name] = OpOverload(opdef)
        return cached

    def __getattr__(self, attr: str) -> OpOverload:
        if attr.startswith("__"):
            raise AttributeError(attr)
        opdef = registry.get(self._namespace, self._opname, "" if attr == "default" else attr)
        if opdef is None:
            known = ", ".join(self.overloads()) or "none (it was destroyed)"
            raise AttributeError(
                f"operator {self._namespace}::{self._opname} has no overload named {attr!r} "
                f"(overloads: {known})")
        return self._overload(opdef)

    def __call__(self, *args, **kwargs) -> Any:
        opdefs = list(self._opdefs().values())
        if not opdefs:
            raise RuntimeError(f"operator {self._namespace}::{self._opname} no longer exists: "
                               "the Library that defined it was destroyed")
        if len(opdefs) == 1:
            return dispatch.call_op(opdefs[0], args, kwargs)
        failures = []
        for opdef in opdefs:  # the first overload whose schema fits the arguments
            try:
                values = dispatch.bind(opdef, args, kwargs)
            except dispatch.SchemaMismatchError as err:
                failures.append(f"  {opdef.schema}: {str(err).splitlines()[0]}")
                continue
            return dispatch.run_bound(opdef, values)
        raise dispatch.SchemaMismatchError(
            f"no overload of {self._namespace}::{self._opname} accepts these arguments:\n"
            + "\n".join(failures))

    def __repr__(self) -> str:
        return f"<OpOverloadPacket(op='{self._namespace}.{self._opname}')>"

    def __dir__(self):
        return [*super().__dir__(), *self.overloads()]


class _OpNamespace:
    """``al.ops.<ns>``: the operators defined in namespace ``ns``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._packets: dict[str, OpOverloadPacket] = {}

    def __getattr__(self, op_name: str) -> OpOverloadPacket:
        if op_name.startswith("__"):
            raise AttributeError(op_name)
        if not registry.overloads(self.name, op_name):
            known = registry.op_names(self.name)
            listing = f"operators in it: {', '.join(known)}" if known else "it has no operators"
            raise AttributeError(
                f"'_OpNamespace' '{self.name}' object has no attribute '{op_name}': no operator "
                f"{self.name}::{op_name} is defined ({listing}). Define one with "
                f"al.library.Library('{self.name}', 'FRAGMENT').define('{op_name}(...) -> ...')")
        packet = self._packets.get(op_name)
        if packet is None:
            packet = self._packets[op_name] = OpOverloadPacket(self.name, op_name)
        return packet

    def __dir__(self):
        return [*super().__dir__(), *registry.op_names(self.name)]

    def __repr__(self) -> str:
        return f"<al.ops.{self.name}>"


class _Ops:
    """``al.ops``: one attribute per operator namespace, made on first access."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        namespace = _OpNamespace(name)
        setattr(self, name, namespace)  # cached, so delattr(al.ops, name) works as in PyTorch
        return namespace

    def __dir__(self):
        return [*super().__dir__(), *registry.namespaces()]

    def __repr__(self) -> str:
        return "<al.ops: registered operators, al.ops.<namespace>.<name>.<overload>>"


ops = _Ops()
