"""``Library``: define operators from a schema and register their kernels.

>>> import autograd_lab as al
>>> with al.library._scoped_library("doc_lib", "FRAGMENT") as lib:
...     lib.define("twice(Tensor x) -> Tensor")
...     lib.impl("twice", lambda x: x * 2, "CompositeImplicitAutograd")
...     al.ops.doc_lib.twice(al.tensor([1.0, 2.0]))
'twice'
tensor([2., 4.])

As in PyTorch, a Library owns what it registered: ``_destroy()`` removes it, and so does
the garbage collector when the Library object is no longer referenced (keep it alive for
as long as its ops are needed). Ops defined by a destroyed Library disappear from
``al.ops``; kernels it added to other libraries' ops are unregistered.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import cast

from . import registry
from .registry import Kernel, OpDef, normalize_key
from .schema import parse_schema

__all__ = ["Library", "define", "impl", "_scoped_library"]

_KINDS = ("DEF", "FRAGMENT", "IMPL")
_DEF_OWNERS: dict[str, _Registrations] = {}  # the one live "DEF" library per namespace
_KEEP_ALIVE: list[Library] = []  # libraries made by the module-level define() and impl()


class _Registrations:
    """What one Library registered. Held apart from the Library itself so the garbage
    collector can still free the Library (its finalizer then calls ``release``)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.op_defs: list[OpDef] = []
        self.kernels: list[tuple[OpDef, str]] = []
        self.released = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        for opdef, key in self.kernels:
            kernel = opdef.kernels.get(key)
            if kernel is not None and kernel.library is self:
                del opdef.kernels[key]
        for opdef in self.op_defs:
            registry.unregister(opdef)
        for ns, owner in list(_DEF_OWNERS.items()):
            if owner is self:
                del _DEF_OWNERS[ns]
        self.kernels.clear()
        self.op_defs.clear()

    def __repr__(self) -> str:
        return self.description


class Library:
    """A set of registrations for the operator namespace ``ns``.

    ``kind`` is ``"DEF"`` (the one library that owns the namespace), ``"FRAGMENT"``
    (defines more ops in it; any number may exist) or ``"IMPL"`` (kernels only).
    ``dispatch_key`` is the default key for ``impl``.
    """

    def __init__(self, ns: str, kind: str, dispatch_key: str = "") -> None:
        if kind not in _KINDS:
            raise ValueError(f"Library kind must be one of {', '.join(_KINDS)}; got {kind!r}")
        if not isinstance(ns, str) or not ns.isidentifier():
            raise ValueError(f"a Library namespace is a Python identifier such as 'mylib'; "
                             f"got {ns!r}")
        if kind == "DEF" and ns in _DEF_OWNERS:
            raise RuntimeError(
                f"only one Library({ns!r}, 'DEF') may exist at a time, and {_DEF_OWNERS[ns]} "
                "is alive; use Library(ns, 'FRAGMENT') to add definitions to the namespace")
        self.ns = ns
        self.kind = kind
        self.dispatch_key = normalize_key(dispatch_key) if dispatch_key else ""
        self._registrations = _Registrations(repr(self))
        if kind == "DEF":
            _DEF_OWNERS[ns] = self._registrations
        self._finalizer = weakref.finalize(self, self._registrations.release)

    def __repr__(self) -> str:
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})"

    def _check_alive(self, what: str) -> None:
        if self._registrations.released:
            raise RuntimeError(f"{self!r} was destroyed; {what}() needs a live Library")

    def define(self, schema: str, alias_analysis: str = "", *, tags: Sequence = ()) -> str:
        """Define the operator ``schema`` (e.g. ``"foo(Tensor a, int c) -> Tensor"``) in
        this namespace. Returns its name (``"foo"``, or ``"foo.overload"``)."""
        self._check_alive("define")
        if self.kind == "IMPL":
            raise RuntimeError(f"{self!r} is an IMPL library and cannot define operators; "
                               f"use Library({self.ns!r}, 'FRAGMENT')")
        if alias_analysis not in ("", "FROM_SCHEMA", "CONSERVATIVE", "PURE_FUNCTION"):
            raise ValueError(f"unknown alias_analysis {alias_analysis!r}")
        parsed = parse_schema(schema)
        if parsed.namespace and parsed.namespace != self.ns:
            raise ValueError(f"the schema names namespace {parsed.namespace!r} but this "
                             f"Library is for {self.ns!r}: {schema}")
        if parsed.overload_name == "default":
            raise ValueError(f"'default' is reserved for the overload without a name: write "
                             f"{parsed.op_name}(...) instead of {parsed.op_name}.default(...)")
        opdef = OpDef(parsed.with_namespace(self.ns), self._registrations)
        registry.register(opdef)
        self._registrations.op_defs.append(opdef)
        return opdef.qualname.split("::", 1)[1]

    def impl(self, op_name, fn: Callable, dispatch_key: str = "", *,
             with_keyset: bool = False) -> None:
        """Register ``fn`` as the kernel of ``op_name`` for ``dispatch_key``.

        ``op_name`` is ``"foo"``, ``"foo.overload"`` or an ``al.ops`` overload object.
        Keys: ``"CPU"``, ``"CompositeExplicitAutograd"``, ``"CompositeImplicitAutograd"``
        (the default when neither the call nor the Library names one), ``"Autograd"``
        and ``"Meta"``; see Note [Dispatch keys] in registry.py.
        """
        self._check_alive("impl")
        if not callable(fn):
            raise TypeError(f"impl() needs a callable kernel; got {type(fn).__name__}")
        if with_keyset:
            raise NotImplementedError("with_keyset=True is not supported: autograd_lab has no "
                                      "dispatch key sets to pass to the kernel")
        key = normalize_key(dispatch_key or self.dispatch_key or "CompositeImplicitAutograd")
        add_kernel(self._resolve(op_name), key, fn, self._registrations)

    def _resolve(self, op_name) -> OpDef:
        opdef = getattr(op_name, "_opdef", None)
        if isinstance(opdef, OpDef):
            if not opdef.alive:
                raise RuntimeError(f"operator {opdef.qualname} no longer exists (its Library "
                                   "was destroyed)")
            ns = opdef.namespace
        else:
            ns, name, overload = registry.split_op_name(op_name, self.ns)
            opdef = registry.get(ns, name, overload)
        if ns != self.ns:
            raise ValueError(f"{self!r} registers kernels for namespace {self.ns!r} only; "
                             f"use Library({ns!r}, 'IMPL') for {op_name}")
        if opdef is None:
            qualname = f"{ns}::{name}" + (f".{overload}" if overload else "")
            known = registry.op_names(ns)
            raise RuntimeError(
                f"no operator {qualname} is defined, so it cannot get a kernel; define it first, "
                f"e.g. lib.define('{name}(Tensor x) -> Tensor')"
                + (f" (operators in {ns!r}: {', '.join(known)})" if known else ""))
        return opdef

    def _destroy(self) -> None:
        """Remove everything this Library registered (its ops and its kernels)."""
        self._finalizer()


def add_kernel(opdef: OpDef, key: str, fn: Callable, owner: _Registrations) -> None:
    """Register ``fn`` for ``opdef`` and ``key`` on behalf of ``owner`` (a Library's
    registrations, which remove it again when that Library is destroyed)."""
    existing = opdef.kernels.get(key)
    if existing is not None:
        raise RuntimeError(
            f"{opdef.qualname} already has a {key} kernel, registered by "
            f"{existing.library}; a kernel may be registered once per dispatch key "
            "(destroy that Library first to replace it)")
    opdef.kernels[key] = Kernel(fn, owner)
    owner.kernels.append((opdef, key))


@contextlib.contextmanager
def _scoped_library(ns: str, kind: str, dispatch_key: str = "") -> Iterator[Library]:
    """A Library that is destroyed when the ``with`` block ends (tests use this)."""
    lib = Library(ns, kind, dispatch_key)
    try:
        yield lib
    finally:
        lib._destroy()


# -- the function-style API: torch.library.define / torch.library.impl ----------------------
_DEVICE_TYPES = {"cpu": "CPU", "default": "CompositeExplicitAutograd"}


def _keep_alive_library(ns: str) -> Library:
    lib = Library(ns, "FRAGMENT")
    _KEEP_ALIVE.append(lib)
    return lib


def define(qualname: str, schema: str, *, lib: Library | None = None,
           tags: Sequence = ()) -> None:
    """Define ``qualname`` (``"ns::name"``) with ``schema`` given without its name, e.g.
    ``define("mylib::sin", "(Tensor x) -> Tensor")``. Without ``lib`` the registration
    lives as long as the program (a hidden Library keeps it)."""
    ns, name, overload = registry.split_op_name(qualname, "")
    if not ns:
        raise ValueError(f"define() needs a qualified name such as 'mylib::{name}'; "
                         f"got {qualname!r}")
    if lib is None:
        lib = _keep_alive_library(ns)
    lib.define(name + (f".{overload}" if overload else "") + schema, tags=tags)


def impl(qualname, types, func: Callable | None = None, *, lib: Library | None = None):
    """Register ``func`` for ``types`` (a device type such as ``"cpu"``, a dispatch key, or
    a sequence of them). Without ``func``, returns a decorator.

    The older form ``impl(lib, "name", dispatch_key)`` (a decorator) works too.
    """
    if isinstance(qualname, Library):  # the older form: the third argument is a dispatch key
        target, name, key = qualname, types, cast(str, func) or ""

        def register_on_lib(fn: Callable) -> Callable:
            target.impl(name, fn, key)
            return fn

        return register_on_lib
    keys = [types] if isinstance(types, str) else list(types)
    keys = [_DEVICE_TYPES.get(k, k) for k in keys]

    def register(fn: Callable) -> Callable:
        nonlocal lib
        ns, name, overload = registry.split_op_name(qualname, "")
        if not ns:
            raise ValueError(f"impl() needs a qualified name such as 'mylib::{name}'")
        if lib is None:
            lib = _keep_alive_library(ns)
        for key in keys:
            lib.impl(name + (f".{overload}" if overload else ""), fn, key)
        return fn

    return register if func is None else register(func)
