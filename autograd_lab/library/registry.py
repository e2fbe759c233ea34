"""The table of defined operators: one ``OpDef`` per ``ns::name.overload``.

``Library`` writes to this table, ``al.ops`` and the dispatcher read from it. Keeping it
in a module of its own lets all three share it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schema import FunctionSchema

__all__ = ["OpDef", "Kernel", "DISPATCH_KEYS", "BACKEND_KEYS", "normalize_key", "register",
           "unregister", "get", "overloads", "op_names", "namespaces", "split_op_name"]

# Note [Dispatch keys]
# A kernel is registered for a dispatch key, which says what the kernel takes care of:
#   "CPU", "CompositeExplicitAutograd"  compute only; autograd comes from elsewhere (an
#                                       "Autograd" kernel, or else the autograd fallback)
#   "CompositeImplicitAutograd"         written with differentiable ops: runs as is, the
#                                       ops it calls record the graph
#   "Autograd"                          owns the graph (e.g. calls a Function's apply)
#   "Meta"                              accepted so PyTorch code ports; never run here
# See dispatch.select_kernel for which one a call runs.
DISPATCH_KEYS = ("CPU", "CompositeExplicitAutograd", "CompositeImplicitAutograd", "Autograd",
                 "Meta")
BACKEND_KEYS = ("CPU", "CompositeExplicitAutograd")
_KEY_ALIASES = {"AutogradCPU": "Autograd"}


def normalize_key(key: str) -> str:
    """``"AutogradCPU"`` -> ``"Autograd"`` and so on; a clear error for unknown keys."""
    if not isinstance(key, str):
        raise TypeError(f"a dispatch key is a str, not {type(key).__name__}")
    key = _KEY_ALIASES.get(key, key)
    if key not in DISPATCH_KEYS:
        raise ValueError(f"unknown dispatch key {key!r}; autograd_lab supports "
                         + ", ".join(repr(k) for k in DISPATCH_KEYS))
    return key


class Kernel:
    """A kernel function and the Library that registered it (so ``_destroy`` can find it)."""

    __slots__ = ("fn", "library")

    def __init__(self, fn: Callable, library: Any) -> None:
        self.fn = fn
        self.library = library


class OpDef:
    """One defined operator: its schema and its kernels by dispatch key.

    ``alive`` turns False when the Library that defined it is destroyed, so a stale
    ``al.ops...`` handle fails clearly instead of running an orphaned kernel.
    ``custom`` is where ``custom_op``/``register_autograd`` keep their own state.
    """

    def __init__(self, schema: FunctionSchema, library: Any) -> None:
        self.schema = schema
        self.namespace = schema.namespace
        self.name = schema.op_name
        self.overload_name = schema.overload_name
        self.qualname = schema.name + (f".{schema.overload_name}" if schema.overload_name else "")
        self.library = library
        self.kernels: dict[str, Kernel] = {}
        self.alive = True
        self.custom: Any = None

    def __repr__(self) -> str:
        keys = ", ".join(self.kernels) or "no kernels"
        return f"<OpDef {self.schema} [{keys}]>"


_OPS: dict[tuple[str, str, str], OpDef] = {}


def register(opdef: OpDef) -> None:
    key = (opdef.namespace, opdef.name, opdef.overload_name)
    if key in _OPS:
        raise RuntimeError(
            f"operator {opdef.qualname} is already defined (by {_OPS[key].library!r}); an "
            "operator may be defined once: destroy that Library first, or pick another name "
            "or overload name")
    _OPS[key] = opdef


def unregister(opdef: OpDef) -> None:
    key = (opdef.namespace, opdef.name, opdef.overload_name)
    if _OPS.get(key) is opdef:
        del _OPS[key]
    opdef.alive = False


def get(namespace: str, name: str, overload_name: str = "") -> OpDef | None:
    """The op ``namespace::name.overload_name`` (``""`` is the default overload)."""
    return _OPS.get((namespace, name, overload_name))


def overloads(namespace: str, name: str) -> dict[str, OpDef]:
    """All overloads of ``namespace::name``, the default (``""``) first."""
    found = {ov: op for (ns, nm, ov), op in _OPS.items() if ns == namespace and nm == name}
    return dict(sorted(found.items(), key=lambda item: item[0] != ""))


def op_names(namespace: str) -> list[str]:
    return sorted({nm for ns, nm, _ in _OPS if ns == namespace})


def namespaces() -> list[str]:
    return sorted({ns for ns, _, _ in _OPS})


def split_op_name(text: str, namespace: str) -> tuple[str, str, str]:
    """``"foo"``, ``"foo.out"`` or ``"ns::foo.out"`` -> ``(ns, "foo", "out")``.

    ``namespace`` is used when the text has none.
    """
    if not isinstance(text, str):
        raise TypeError(f"an operator name is a str, not {type(text).__name__}")
    ns = namespace
    if "::" in text:
        ns, text = text.split("::", 1)
    name, _, overload = text.partition(".")
    if overload == "default":
        overload = ""
    if not name.isidentifier() or (overload and not overload.isidentifier()):
        raise ValueError(f"{text!r} is not an operator name such as 'foo' or 'foo.overload'")
    return ns, name, overload
