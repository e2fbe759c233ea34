"""The decorator API: ``custom_op``, ``register_autograd``, ``register_kernel``, ``register_fake``.

``custom_op`` turns a type-annotated Python function into an operator: the schema is read
off the annotations (``infer_schema``), the function becomes its compute kernel, and an
"Autograd" kernel is registered that ``register_autograd`` later gives a backward
formula (see autograd_kernel.py). It is the short road to what ``Library.define`` and
``Library.impl`` do by hand.

>>> import autograd_lab as al
>>> @al.library.custom_op("doc_custom::mysin", mutates_args=())
... def mysin(x: al.Tensor) -> al.Tensor:
...     return al.tensor(np.sin(x.numpy()))
>>> def backward(ctx, grad):
...     return grad * ctx.x.cos()
>>> def setup_context(ctx, inputs, output):
...     ctx.x, = inputs
>>> mysin.register_autograd(backward, setup_context=setup_context)
>>> x = al.tensor([0.0, 1.0], requires_grad=True)
>>> mysin(x).sum().backward()
>>> x.grad
tensor([1.0000, 0.5403])
>>> mysin._destroy()
"""

from __future__ import annotations

import functools
import inspect
import numbers
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np  # noqa: F401 - used by the doctest above

from .._dtypes import dtype as _dtype
from .._tensor import Tensor
from . import dispatch, registry
from .autograd_kernel import AutogradInfo, make_autograd_kernel
from .library import Library, add_kernel
from .registry import OpDef
from .schema import format_default

__all__ = ["custom_op", "CustomOpDef", "register_autograd", "register_kernel", "register_fake",
           "infer_schema", "resolve_op"]

_OPDEFS: dict[str, CustomOpDef] = {}  # alive until _destroy(), as PyTorch keeps its OPDEFS
_KEEP_ALIVE: list[Library] = []


# -- schema inference ---------------------------------------------------------------------
_SCALAR_TYPES = {int: "SymInt", float: "float", bool: "bool", str: "str", _dtype: "ScalarType",
                 numbers.Number: "Scalar"}


def _schema_type(annotation: Any, where: str) -> str:
    """The schema type for a Python annotation: ``al.Tensor`` -> ``Tensor``, ``int`` ->
    ``SymInt``, ``list[al.Tensor]`` -> ``Tensor[]``, ``X | None`` -> ``X?`` ..."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _schema_type(rest[0], where) + "?"
        if set(rest) <= {int, float, bool}:
            return "Scalar" + ("?" if len(rest) < len(args) else "")
    elif origin in (list, Sequence, Iterable) or origin is tuple and (
            len(args) == 2 and args[1] is Ellipsis):
        if args:
            return _schema_type(args[0], where) + "[]"
    elif annotation is Tensor:
        return "Tensor"
    elif annotation in _SCALAR_TYPES:
        return _SCALAR_TYPES[annotation]
    raise ValueError(
        f"{where}: cannot express the annotation {annotation!r} in a schema; use al.Tensor, "
        "int, float, bool, str, al.dtype, a list of these, or 'X | None'")


def _return_types(annotation: Any, where: str) -> str:
    if annotation is None or annotation is type(None):
        return "()"
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if not (len(args) == 2 and args[1] is Ellipsis):
            return "(" + ", ".join(_schema_type(a, where) for a in args) + ")"
    return _schema_type(annotation, where)


def infer_schema(prototype_function: Callable, /, *, mutates_args, op_name: str | None = None
                 ) -> str:
    """The schema of a type-annotated function, e.g. ``"(Tensor x, SymInt n=2) -> Tensor"``.

    Arguments named in ``mutates_args`` are annotated ``Tensor(aN!)``;
    ``mutates_args="unknown"`` marks every tensor argument so.
    """
    name = getattr(prototype_function, "__name__", "the function")
    try:
        hints = typing.get_type_hints(prototype_function)
    except Exception as err:
        raise ValueError(f"infer_schema: cannot read the annotations of {name}: {err}") from None
    sig = inspect.signature(prototype_function)
    mutated = _mutated_names(mutates_args, sig, name)
    parts, star, alias_count = [], False, 0
    for param in sig.parameters.values():
        where = f"infer_schema({name}), parameter '{param.name}'"
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"{where}: *args and **kwargs cannot be part of a schema")
        if param.name not in hints:
            raise ValueError(f"{where} has no type annotation; custom ops need one on every "
                             f"parameter, e.g. {param.name}: al.Tensor")
        type_text = _schema_type(hints[param.name], where)
        is_mutated = param.name in mutated or (mutates_args == "unknown"
                                               and type_text.startswith("Tensor"))
        if is_mutated:
            if not type_text.startswith("Tensor"):
                raise ValueError(f"{where} is listed in mutates_args but is a {type_text}; only "
                                 "tensors can be mutated")
            type_text = f"Tensor(a{alias_count}!)" + type_text[len("Tensor"):]
            alias_count += 1
        if param.kind == param.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        text = f"{type_text} {param.name}"
        if param.default is not param.empty:
            default = param.default
            if not (default is None or isinstance(default, (bool, int, float, str))):
                raise ValueError(f"{where} has default {default!r}; schema defaults may be None, "
                                 "a bool, an int, a float or a str")
            text += f"={format_default(default)}"
        parts.append(text)
    if "return" not in hints:
        raise ValueError(f"infer_schema({name}): the function needs a return annotation "
                         "(-> al.Tensor, -> tuple[al.Tensor, al.Tensor], -> None, ...)")
    returns = _return_types(hints["return"], f"infer_schema({name}), return")
    return f"{op_name or ''}({', '.join(parts)}) -> {returns}"


def _mutated_names(mutates_args, sig: inspect.Signature, name: str) -> set[str]:
    if mutates_args == "unknown":
        return set()
    if isinstance(mutates_args, str):
        raise TypeError(f"mutates_args must be a tuple of argument names or 'unknown', not the "
                        f"str {mutates_args!r} (write mutates_args=({mutates_args!r},))")
    names = set(mutates_args)
    unknown = names - set(sig.parameters)
    if unknown:
        raise ValueError(f"mutates_args names {sorted(unknown)}, which are not arguments of "
                         f"{name}{sig}")
    return names


# -- the op object -----------------------------------------------------------------------
def _device_key(device_types) -> str:
    if device_types is None:
        return "CompositeExplicitAutograd"
    kinds = [device_types] if isinstance(device_types, str) else list(device_types)
    if any(k != "cpu" for k in kinds):
        raise ValueError(f"autograd_lab runs on the CPU only; device_types={device_types!r}")
    return "CPU"


class CustomOpDef:
    """What ``@custom_op`` returns: call it like the op; register more on it."""

    def __init__(self, namespace: str, name: str, schema: str, fn: Callable,
                 device_types=None) -> None:
        self._namespace = namespace
        self._name = name
        self._init_fn = fn
        self._lib = Library(namespace, "FRAGMENT")
        self._lib.define(f"{name}{schema}")
        opdef = self._lib._resolve(name)
        opdef.custom = self
        self._opdef = opdef
        self._autograd_info = AutogradInfo()
        self._lib.impl(name, fn, _device_key(device_types))
        self._lib.impl(name, make_autograd_kernel(opdef, self._autograd_info), "Autograd")
        functools.update_wrapper(self, fn)

    @property
    def _qualname(self) -> str:
        return f"{self._namespace}::{self._name}"

    @property
    def _opoverload(self):
        from .ops_namespace import ops
        return getattr(getattr(ops, self._namespace), self._name).default

    @property
    def _schema(self):
        return self._opdef.schema

    def __call__(self, *args, **kwargs) -> Any:
        if not self._opdef.alive:
            raise RuntimeError(f"custom op {self._qualname} was destroyed")
        return dispatch.call_op(self._opdef, args, kwargs)

    def __repr__(self) -> str:
        return f"<CustomOpDef({self._qualname})>"

    def register_kernel(self, device_types, fn: Callable | None = None):
        """Use ``fn`` as the kernel for ``device_types`` ("cpu"), replacing the previous one.
        Without ``fn``, a decorator."""
        def register(kernel: Callable) -> Callable:
            key = _device_key(device_types)
            self._opdef.kernels.pop(key, None)
            self._lib.impl(self._name, kernel, key)
            return kernel

        return register if fn is None else register(fn)

    def register_autograd(self, backward: Callable, /, *,
                          setup_context: Callable | None = None) -> None:
        """Give the op a backward formula: ``backward(ctx, *grads)`` returns one gradient
        per positional input; ``setup_context(ctx, inputs, output)`` saves what it needs."""
        _check_formulas(self._opdef, backward, setup_context)
        self._autograd_info.backward = backward
        self._autograd_info.setup_context = setup_context

    def register_fake(self, fn: Callable | None = None, /):
        """Accepted so PyTorch code ports (no fake tensors here): stored, never run."""
        def register(impl: Callable) -> Callable:
            self._opdef.kernels.pop("Meta", None)
            self._lib.impl(self._name, impl, "Meta")
            return impl

        return register if fn is None else register(fn)

    def _destroy(self) -> None:
        """Remove the op (so its name can be defined again)."""
        self._lib._destroy()
        _OPDEFS.pop(self._qualname, None)


def custom_op(name: str, fn: Callable | None = None, /, *, mutates_args,
              device_types=None, schema: str | None = None):
    """Make ``fn`` an operator ``name`` (``"ns::op"``); usable as a decorator.

    ``mutates_args`` (required) names the arguments ``fn`` modifies in place (``()`` for
    none). ``schema`` overrides the one inferred from ``fn``'s annotations.
    """
    ns, op, overload = registry.split_op_name(name, "")
    if not ns or overload:
        raise ValueError(f"custom_op needs a name of the form 'namespace::op'; got {name!r}")

    def inner(func: Callable) -> CustomOpDef:
        if schema is None:
            schema_text = infer_schema(func, mutates_args=mutates_args)
        else:
            schema_text = schema
            if not schema_text.lstrip().startswith("("):
                raise ValueError(f"custom_op: schema= is the part after the name, e.g. "
                                 f"'(Tensor x) -> Tensor'; got {schema!r}")
        result = CustomOpDef(ns, op, schema_text, func, device_types)
        _OPDEFS[result._qualname] = result
        return result

    return inner if fn is None else inner(fn)


# -- the function forms --------------------------------------------------------------------
def resolve_op(op) -> OpDef:
    """The OpDef behind a CustomOpDef, an ``al.ops`` overload or packet, or ``"ns::op"``."""
    opdef = getattr(op, "_opdef", None)
    if isinstance(opdef, OpDef):
        return opdef
    if hasattr(op, "_opdefs") and callable(op._opdefs):  # an OpOverloadPacket
        found = list(op._opdefs().values())
        if len(found) != 1:
            raise ValueError(f"{op!r} has {len(found)} overloads; pass one, e.g. its .default")
        return found[0]
    if isinstance(op, str):
        ns, name, overload = registry.split_op_name(op, "")
        opdef = registry.get(ns, name, overload)
        if opdef is None:
            raise ValueError(f"no operator {op!r} is defined")
        return opdef
    raise TypeError(f"expected an operator (a custom op, al.ops.ns.op.default or 'ns::op'), "
                    f"got {type(op).__name__}")


def _check_formulas(opdef: OpDef, backward, setup_context) -> None:
    if not callable(backward):
        raise TypeError(f"register_autograd: backward must be callable, got "
                        f"{type(backward).__name__}")
    if setup_context is not None and not callable(setup_context):
        raise TypeError(f"register_autograd: setup_context must be callable or None, got "
                        f"{type(setup_context).__name__}")
    if opdef.schema.is_mutable:
        raise RuntimeError(
            f"Cannot register autograd formula for non-functional operator {opdef.qualname} "
            f"with schema {opdef.schema}: it mutates an input. Please create a functional "
            "operator and register an autograd formula for that.")


def register_autograd(op, backward: Callable, /, *, setup_context: Callable | None = None,
                      lib: Library | None = None) -> None:
    """Give ``op`` a backward formula (see ``CustomOpDef.register_autograd``). Works for
    ops defined with ``Library.define`` too: it registers their "Autograd" kernel."""
    opdef = resolve_op(op)
    if isinstance(opdef.custom, CustomOpDef):
        opdef.custom.register_autograd(backward, setup_context=setup_context)
        return
    _check_formulas(opdef, backward, setup_context)
    existing = opdef.kernels.get("Autograd")
    info = getattr(existing.fn, "_autograd_info", None) if existing else None
    if info is not None:  # ours, from an earlier register_autograd: update it
        info.backward, info.setup_context = backward, setup_context
        return
    if existing is not None:
        raise RuntimeError(f"{opdef.qualname} already has an Autograd kernel (registered by "
                           f"{existing.library}); register_autograd would replace it")
    kernel = make_autograd_kernel(opdef, AutogradInfo(backward, setup_context))
    if lib is not None:
        lib.impl(opdef.qualname.split("::", 1)[1], kernel, "Autograd")
    else:  # lives and dies with the op's own Library
        add_kernel(opdef, "Autograd", kernel, opdef.library)


def register_kernel(op, device_types, func: Callable | None = None, /, *,
                    lib: Library | None = None):
    """Register ``func`` as ``op``'s kernel for ``device_types`` ("cpu")."""
    opdef = resolve_op(op)
    if isinstance(opdef.custom, CustomOpDef):
        return opdef.custom.register_kernel(device_types, func)

    def register(fn: Callable) -> Callable:
        target = lib
        if target is None:
            target = Library(opdef.namespace, "FRAGMENT")
            _KEEP_ALIVE.append(target)
        target.impl(opdef.qualname.split("::", 1)[1], fn, _device_key(device_types))
        return fn

    return register if func is None else register(func)


def register_fake(op, func: Callable | None = None, /, *, lib: Library | None = None):
    """Accepted so PyTorch code ports: autograd_lab has no fake tensors, so the function
    is stored as the op's "Meta" kernel and never run."""
    opdef = resolve_op(op)
    if isinstance(opdef.custom, CustomOpDef):
        return opdef.custom.register_fake(func)

    def register(fn: Callable) -> Callable:
        if lib is not None:
            lib.impl(opdef.qualname.split("::", 1)[1], fn, "Meta")
        else:
            add_kernel(opdef, "Meta", fn, opdef.library)
        return fn

    return register if func is None else register(func)
