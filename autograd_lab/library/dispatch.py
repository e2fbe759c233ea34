"""Calling an operator: check the arguments against its schema, then run the right kernel.

The steps of ``call_op``, each a function below:

1. ``bind``: positional and keyword arguments -> one value per schema argument, defaults
   filled in; a wrong count, an unknown keyword or a value of the wrong type is an error
   naming the op, the argument and its declared type.
2. ``select_kernel``: which registered kernel answers (see Note [Kernel choice]).
3. Run it. Only a compute kernel ("CPU") goes through the autograd fallback
   (``fallback.run_with_autograd_fallback``): the other two kinds take care of the
   graph themselves. When something records ops, the op is one record of kind
   "custom_op", and the ops its kernel runs are recorded one level deeper.
4. Check the kernel's result against the declared returns, and that it modified no
   tensor argument the schema does not mark ``Tensor(a!)`` (its version counter moved).

Tensor arguments may be ``None``: PyTorch's dispatcher reads ``None`` as an undefined
tensor, and kernels receive it as is.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .._dtypes import dtype as _dtype
from .._tensor import Tensor
from ..autograd import recording
from .fallback import run_with_autograd_fallback
from .registry import BACKEND_KEYS, OpDef
from .schema import Argument, FunctionSchema, Type

__all__ = ["SchemaMismatchError", "call_op", "bind", "run_bound", "select_kernel",
           "backend_kernel", "call_kernel", "pack_outputs"]


class SchemaMismatchError(TypeError, RuntimeError):
    """Arguments that do not fit an op's schema (wrong count, name or type).

    A ``TypeError`` as Python would raise, and a ``RuntimeError`` as PyTorch raises for
    ``torch.ops`` calls, so code written for either catches it.
    """


def call_op(opdef: OpDef, args: Sequence, kwargs: dict) -> Any:
    """Run ``opdef`` on ``args``/``kwargs``: what ``al.ops.ns.op.overload(...)`` does."""
    return run_bound(opdef, bind(opdef, args, kwargs))


def run_bound(opdef: OpDef, values: list) -> Any:
    """Run ``opdef`` on ``values`` already matched to its schema (see ``bind``)."""
    if recording._active:  # Note [Recording ops]: the kernel's ops one level deeper
        result = recording.nested(_run_bound, opdef, values)
        _report(opdef, values, result)
        return result
    return _run_bound(opdef, values)


def _run_bound(opdef: OpDef, values: list) -> Any:
    key, kernel = select_kernel(opdef)
    versions = _read_only_versions(opdef.schema, values)
    counters = _written_counters(opdef.schema, values)
    if key == "CompositeImplicitAutograd" or key == "Autograd":
        outputs = call_kernel(opdef, kernel, values, key)
    else:
        outputs = run_with_autograd_fallback(
            opdef, values, lambda: call_kernel(opdef, kernel, values, key))
    _check_not_modified(opdef, values, versions)
    for counter, before in counters:
        if counter.value == before:  # changed through NumPy, say: still one in-place op
            counter.bump()
    return pack_outputs(opdef.schema, outputs)


def _report(opdef: OpDef, values: list, result: Any) -> None:
    """One record of kind "custom_op": every argument in schema order is its ``attrs``
    (so ``run_bound(record.spec, list(record.attrs))`` runs it again), its node that of
    its first output, if it made one."""
    inputs = [t for arg, v in zip(opdef.schema.arguments, values, strict=True)
              for t in _tensors_of(arg, v)]
    returned = result if isinstance(result, tuple) else (result,)
    outputs = [t for v in returned for t in (v if isinstance(v, list) else (v,))
               if isinstance(t, Tensor)]
    node = outputs[0]._grad_fn if outputs else None
    recording.report(opdef.qualname, "custom_op", inputs, values, outputs, node, opdef)


# -- 1. arguments ------------------------------------------------------------------------
def bind(opdef: OpDef, args: Sequence, kwargs: dict) -> list:
    """One value per schema argument, in schema order, each checked against its type."""
    schema = opdef.schema
    positional = [a for a in schema.arguments if not a.kwarg_only]
    if len(args) > len(positional):
        raise SchemaMismatchError(
            f"{opdef.qualname}() expected at most {len(positional)} positional argument(s) "
            f"but received {len(args)}.\nDeclaration: {schema}")
    # by name; Argument.name is typed str | None: a return may have none (an argument never)
    given: dict[str | None, Any] = {a.name: v for a, v in zip(positional, args, strict=False)}
    names = {a.name for a in schema.arguments}
    for name, value in kwargs.items():
        if name not in names:
            raise SchemaMismatchError(
                f"{opdef.qualname}() got an unexpected keyword argument '{name}'.\n"
                f"Declaration: {schema}")
        if name in given:
            raise SchemaMismatchError(
                f"{opdef.qualname}() got multiple values for argument '{name}'.\n"
                f"Declaration: {schema}")
        given[name] = value
    values = []
    for position, arg in enumerate(schema.arguments):
        if arg.name in given:
            value = _check_value(opdef, arg, position, given[arg.name])
        elif arg.has_default:
            value = list(arg.default) if isinstance(arg.default, tuple) else arg.default
            if arg.type.is_list and not isinstance(value, list) and value is not None:
                value = [value] * (arg.type.size or 1)
        else:
            raise SchemaMismatchError(
                f"{opdef.qualname}() is missing value for argument '{arg.name}' "
                f"({arg.type.format(arg.alias)}, position {position}).\nDeclaration: {schema}")
        values.append(value)
    return values


def _check_value(opdef: OpDef, arg: Argument, position: int, value: Any) -> Any:
    """``value`` converted to what kernels receive, or an error naming the argument."""
    converted = _convert(arg.type, value)
    if converted is _MISMATCH:
        raise SchemaMismatchError(
            f"{opdef.qualname}() Expected a value of type '{arg.type.format(arg.alias)}' for "
            f"argument '{arg.name}' but instead found type '{_type_name(value)}'.\n"
            f"Position: {position}\nValue: {_short_repr(value)}\nDeclaration: {opdef.schema}")
    if arg.is_write and not arg.type.optional:
        items = converted if arg.type.is_list else [converted]
        if not all(isinstance(t, Tensor) for t in items):
            raise SchemaMismatchError(
                f"{opdef.qualname}() writes to argument '{arg.name}' in place "
                f"({arg.type.format(arg.alias)}), so it must be a Tensor, not None.\n"
                f"Declaration: {opdef.schema}")
    return converted


_MISMATCH = object()


def _convert(type_: Type, value: Any) -> Any:
    """The value a kernel gets for ``type_`` (NumPy numbers become Python numbers), or
    ``_MISMATCH``."""
    if value is None and (type_.optional or type_.is_tensor):
        return None  # for a Tensor, None is PyTorch's undefined tensor
    if type_.is_list:
        if type_.base in ("int", "SymInt") and _convert_scalar("int", value) is not _MISMATCH:
            return [_convert_scalar("int", value)] * (type_.size or 1)
        if isinstance(value, (str, bytes, Tensor)) or not isinstance(value, (list, tuple)):
            return _MISMATCH
        out: list = []
        for item in value:
            if item is None and (type_.element_optional or type_.is_tensor):
                out.append(None)
                continue
            converted = _convert_scalar(type_.base, item)
            if converted is _MISMATCH:
                return _MISMATCH
            out.append(converted)
        if type_.size is not None and len(out) != type_.size:
            return _MISMATCH
        return out
    return _convert_scalar(type_.base, value)


def _convert_scalar(base: str, value: Any) -> Any:
    if base == "Tensor":
        return value if isinstance(value, Tensor) else _MISMATCH
    is_bool = isinstance(value, (bool, np.bool_))
    if base in ("int", "SymInt"):
        ok = isinstance(value, (int, np.integer)) and not is_bool
        return int(value) if ok else _MISMATCH
    if base in ("float", "SymFloat"):
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not is_bool
        return float(value) if ok else _MISMATCH
    if base in ("bool", "SymBool"):
        return bool(value) if is_bool else _MISMATCH
    if base == "str":
        return value if isinstance(value, str) else _MISMATCH
    if base == "Scalar":
        if is_bool:
            return bool(value)
        if isinstance(value, numbers.Number):
            return value.item() if isinstance(value, np.generic) else value
        return _MISMATCH
    if base == "ScalarType":
        return value if isinstance(value, _dtype) else _MISMATCH
    if base == "Device":
        return value if isinstance(value, str) else _MISMATCH
    return value  # Layout, MemoryFormat, Generator: passed through


def _type_name(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        inner = sorted({_type_name(v) for v in value})
        return f"{type(value).__name__}[{', '.join(inner)}]" if inner else type(value).__name__
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- 2. which kernel ------------------------------------------------------------------------
# Note [Kernel choice]
# As PyTorch's dispatcher resolves its Autograd entry for an op:
#   1. an "Autograd" kernel, if registered: it owns the graph (typically Function.apply
#      around a call to the compute kernel);
#   2. else a "CompositeImplicitAutograd" kernel, unless a compute kernel ("CPU",
#      "CompositeExplicitAutograd") is registered too: it runs as is and the ops it calls
#      record the graph;
#   3. else the compute kernel, wrapped by the autograd fallback (fallback.py).
def select_kernel(opdef: OpDef) -> tuple[str, Callable]:
    """``(dispatch_key, fn)`` of the kernel a call to ``opdef`` runs."""
    kernels = opdef.kernels
    if "Autograd" in kernels:
        return "Autograd", kernels["Autograd"].fn
    backend = next((k for k in BACKEND_KEYS if k in kernels), None)
    if backend is None and "CompositeImplicitAutograd" in kernels:
        return "CompositeImplicitAutograd", kernels["CompositeImplicitAutograd"].fn
    if backend is None:
        raise _no_kernel(opdef)
    return backend, kernels[backend].fn


def backend_kernel(opdef: OpDef) -> tuple[str, Callable]:
    """The kernel below autograd: what an "Autograd" kernel calls to compute (a compute
    kernel, else the composite one)."""
    for key in (*BACKEND_KEYS, "CompositeImplicitAutograd"):
        if key in opdef.kernels:
            return key, opdef.kernels[key].fn
    raise _no_kernel(opdef)


def _no_kernel(opdef: OpDef) -> NotImplementedError:
    registered = ", ".join(opdef.kernels) or "none"
    return NotImplementedError(
        f"Could not run '{opdef.qualname}' with arguments from the 'CPU' backend: it has no "
        f"kernel to compute with (registered dispatch keys: {registered}). Register one, e.g. "
        f"lib.impl('{opdef.name}', fn, 'CPU').")


# -- 3. running a kernel ----------------------------------------------------------------------
def call_kernel(opdef: OpDef, kernel: Callable, values: list, key: str = "CPU") -> tuple:
    """Call ``kernel`` with ``values`` (keyword-only arguments by name) and return its
    result as a tuple with one entry per declared return, checked against the schema."""
    schema = opdef.schema
    args: list = []
    kwargs: dict[str, Any] = {}
    for arg, value in zip(schema.arguments, values, strict=True):
        if arg.kwarg_only:
            kwargs[cast(str, arg.name)] = value  # an argument always has a name
        else:
            args.append(value)
    result = kernel(*args, **kwargs)
    return _check_outputs(opdef, key, result)


def _check_outputs(opdef: OpDef, key: str, result: Any) -> tuple:
    returns = opdef.schema.returns
    where = f"the {key} kernel of {opdef.qualname}"
    declared = f"-> {_returns_text(opdef.schema)}"
    if not returns:
        if result is None or (isinstance(result, tuple) and not result):
            return ()
        raise RuntimeError(f"{where} returned {_type_name(result)}, but the schema declares no "
                           f"returns ({declared}); return None")
    if len(returns) == 1:
        outputs = (result,)
    elif isinstance(result, (tuple, list)) and len(result) == len(returns):
        outputs = tuple(result)
    else:
        got = (f"{len(result)} values" if isinstance(result, (tuple, list))
               else f"one {_type_name(result)}")
        raise RuntimeError(f"{where} returned {got}, but the schema declares "
                           f"{len(returns)} returns ({declared})")
    checked = []
    for i, (ret, value) in enumerate(zip(returns, outputs, strict=True)):
        converted = _convert(ret.type, value)
        if converted is _MISMATCH:
            hint = ("; wrap arrays with al.tensor(...)" if isinstance(value, np.ndarray) else "")
            raise RuntimeError(f"{where} returned {_type_name(value)} for return {i}, but the "
                               f"schema declares {ret.type.format(ret.alias)} ({declared}){hint}")
        checked.append(converted)
    return tuple(checked)


def _returns_text(schema: FunctionSchema) -> str:
    return str(schema).rsplit(" -> ", 1)[1]


def pack_outputs(schema: FunctionSchema, outputs: tuple) -> Any:
    """What the caller gets: None for ``-> ()``, the value for one return, else a tuple."""
    if not schema.returns:
        return None
    if len(schema.returns) == 1:
        return outputs[0]
    return outputs


# -- 4. undeclared mutation ----------------------------------------------------------------
def _tensors_of(arg: Argument, value: Any) -> list:
    if isinstance(value, Tensor):
        return [value]
    if arg.type.is_list and isinstance(value, list):
        return [t for t in value if isinstance(t, Tensor)]
    return []


def _read_only_versions(schema: FunctionSchema, values: list) -> list:
    """``(argument, tensor, version)`` for every tensor the op must not modify.

    Tensors that share memory with a ``Tensor(a!)`` argument (the same tensor passed
    twice, or a view of it) are left out: writing to those is declared.
    """
    written: list[tuple[Argument, list]] = []  # (argument, its tensors)
    watched: list[tuple[Argument, list]] = []
    for arg, value in zip(schema.arguments, values, strict=True):
        (written if arg.is_write else watched).append((arg, _tensors_of(arg, value)))
    written_ids = {id(t) for _, ts in written for t in ts}
    written_counters = {id(t._vc) for _, ts in written for t in ts if t._vc is not None}
    out = []
    for arg, tensors in watched:
        for t in tensors:
            if id(t) in written_ids or (t._vc is not None and id(t._vc) in written_counters):
                continue
            out.append((arg, t, t._version))
    return out


def _written_counters(schema: FunctionSchema, values: list) -> list:
    """``(version counter, value)`` of every ``Tensor(a!)`` argument, once per counter.

    See Note [Version counters]: calling an op that writes a tensor is one in-place
    operation on it, so its version moves by one even when the kernel wrote through
    NumPy (PyTorch's ADInplaceOrView kernel does the same for custom ops).
    """
    seen: dict[int, tuple] = {}
    for arg, value in zip(schema.arguments, values, strict=True):
        if arg.is_write:
            for t in _tensors_of(arg, value):
                counter = t._version_counter()
                seen.setdefault(id(counter), (counter, counter.value))
    return list(seen.values())


def _check_not_modified(opdef: OpDef, values: list, versions: list) -> None:
    for arg, tensor, version in versions:
        if tensor._version != version:
            raise RuntimeError(
                f"{opdef.qualname} modified its argument '{arg.name}' in place, but the schema "
                f"does not declare it mutable. Declare it as 'Tensor(a!) {arg.name}' (with "
                f"custom_op: mutates_args=('{arg.name}',)).\nDeclaration: {opdef.schema}")
