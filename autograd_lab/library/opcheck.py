"""``opcheck``: does an operator keep the promises its schema and registrations make?

Three checks, each run on copies of the sample arguments (the caller's are untouched):

``test_schema``
    the kernel modifies only arguments marked ``Tensor(a!)``; an output shares memory
    with an input only where the schema says so (``Tensor(a)``/``Tensor(a!)`` on both),
    and an output annotated ``(a!)`` is that input.
``test_autograd_registration``
    when inputs require grad, the op has autograd support: an "Autograd" kernel
    (``register_autograd``) or a CompositeImplicitAutograd kernel, not a compute kernel
    alone.
``test_gradients``
    the gradients agree with central finite differences (in float64), for ops that do
    not mutate their inputs. PyTorch's ``opcheck`` leaves this to ``gradcheck``; a custom
    op's backward is the part most worth checking, so here it is part of ``opcheck``.

PyTorch's ``test_faketensor`` and ``test_aot_dispatch_*`` are accepted and reported as
"SKIPPED" (there are no fake tensors or AOT compilation here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.engine import grad as autograd_grad
from ..autograd.grad_mode import no_grad
from . import dispatch
from .custom_op import resolve_op
from .fallback import autograd_fallback_mode
from .registry import BACKEND_KEYS, OpDef

__all__ = ["opcheck", "OpCheckError", "DEFAULT_TEST_UTILS"]

DEFAULT_TEST_UTILS = ("test_schema", "test_autograd_registration", "test_gradients")
_NOT_APPLICABLE = ("test_faketensor", "test_aot_dispatch_static", "test_aot_dispatch_dynamic")


class OpCheckError(Exception):
    """An ``opcheck`` failure: names the check and says what the op did wrong."""


def opcheck(op, args, kwargs: dict | None = None, *, test_utils=DEFAULT_TEST_UTILS,
            raise_exception: bool = True, atol: float | None = None,
            rtol: float | None = None) -> dict[str, Any]:
    """Run the checks in ``test_utils`` on ``op`` called with ``args``/``kwargs``.

    Returns ``{check: "SUCCESS" | "SKIPPED" | OpCheckError}``; with ``raise_exception``
    (the default) the first failure is raised as ``OpCheckError``.
    """
    opdef = resolve_op(op)
    args, kwargs = tuple(args), dict(kwargs or {})
    dispatch.bind(opdef, args, kwargs)  # sample arguments that do not fit are the caller's error
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    results: dict[str, Any] = {}
    for name in test_utils:
        if name in _NOT_APPLICABLE:
            results[name] = "SKIPPED"
            continue
        check = _CHECKS.get(name)
        if check is None:
            raise ValueError(f"opcheck: unknown test {name!r}; choose from "
                             + ", ".join(DEFAULT_TEST_UTILS + _NOT_APPLICABLE))
        try:
            results[name] = check(opdef, args, kwargs, atol, rtol)
        except Exception as err:  # any failure of the op is a finding, reported by name
            failure = OpCheckError(f"opcheck({opdef.qualname}): {name} failed.\n{err}")
            if raise_exception:
                raise failure from err
            results[name] = failure
    return results


# -- copying and walking arguments -----------------------------------------------------------
def _copy(value: Any, *, keep_requires_grad: bool, float64: bool = False) -> Any:
    if isinstance(value, Tensor):
        data = value._data.copy()
        if float64 and data.dtype.kind == "f":
            data = data.astype(np.float64)
        out = Tensor(data)
        if keep_requires_grad and value._requires_grad and data.dtype.kind == "f":
            out.requires_grad_(True)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v, keep_requires_grad=keep_requires_grad, float64=float64)
                           for v in value)
    return value


def _copy_call(args: tuple, kwargs: dict, **how) -> tuple[tuple, dict]:
    return (tuple(_copy(a, **how) for a in args),
            {k: _copy(v, **how) for k, v in kwargs.items()})


def _labelled_tensors(opdef: OpDef, args: tuple, kwargs: dict) -> list:
    """``(argument, label, tensor)`` for every tensor argument (list items included)."""
    values = dispatch.bind(opdef, args, kwargs)
    out = []
    for arg, value in zip(opdef.schema.arguments, values, strict=True):
        if isinstance(value, Tensor):
            out.append((arg, f"'{arg.name}'", value))
        elif isinstance(value, list):
            out += [(arg, f"'{arg.name}'[{i}]", t) for i, t in enumerate(value)
                    if isinstance(t, Tensor)]
    return out


def _output_tensors(opdef: OpDef, result: Any) -> list:
    """``(return, label, tensor)`` for every tensor the op returned."""
    returns = opdef.schema.returns
    outputs = () if not returns else (result,) if len(returns) == 1 else tuple(result)
    found = []
    for i, (ret, value) in enumerate(zip(returns, outputs, strict=True)):
        if isinstance(value, Tensor):
            found.append((ret, f"output {i}", value))
        elif isinstance(value, (list, tuple)):
            found += [(ret, f"output {i}[{k}]", t) for k, t in enumerate(value)
                      if isinstance(t, Tensor)]
    return found


def _shares_memory(a: Tensor, b: Tensor) -> bool:
    return a is b or (a._data.size > 0 and b._data.size > 0
                      and np.shares_memory(a._data, b._data))


# -- the checks ------------------------------------------------------------------------------
def _test_schema(opdef: OpDef, args: tuple, kwargs: dict, atol, rtol) -> str:
    args, kwargs = _copy_call(args, kwargs, keep_requires_grad=False)
    inputs = _labelled_tensors(opdef, args, kwargs)
    before = [np.array(t._data, copy=True) for _, _, t in inputs]
    result = opdef_call(opdef, args, kwargs)
    schema = opdef.schema
    for (arg, label, t), old in zip(inputs, before, strict=True):
        changed = old.shape != t._data.shape or not np.array_equal(old, t._data, equal_nan=True)
        if changed and not arg.is_write:
            raise AssertionError(
                f"the op modified argument {label} in place, but its schema does not declare it "
                f"mutable.\nDeclaration: {schema}\nDeclare it 'Tensor(a!) {arg.name}' (custom_op: "
                f"mutates_args=('{arg.name}',)), or leave the input alone (work on a copy).")
    for ret, out_label, out in _output_tensors(opdef, result):
        aliased = [(arg, label) for arg, label, t in inputs if _shares_memory(out, t)]
        for arg, label in aliased:
            if not (ret.alias and arg.alias and ret.alias.set_name == arg.alias.set_name):
                raise AssertionError(
                    f"{out_label} shares memory with argument {label}, but the schema does not "
                    f"declare that alias.\nDeclaration: {schema}\nReturn a new tensor (e.g. "
                    "x.clone()), or give both the same alias annotation (Tensor(a) or Tensor(a!)).")
        if ret.alias is not None and not any(
                arg.alias and arg.alias.set_name == ret.alias.set_name for arg, _ in aliased):
            partner = next((label for arg, label, _ in inputs
                            if arg.alias and arg.alias.set_name == ret.alias.set_name), None)
            what = (f"argument {partner}" if partner
                    else f"an input in alias set {ret.alias.set_name}")
            raise AssertionError(
                f"{out_label} is annotated {ret.type.format(ret.alias)}, so it must be {what} "
                f"itself (or a view of it), but the kernel returned a new tensor.\n"
                f"Declaration: {schema}")
    return "SUCCESS"


def _test_autograd_registration(opdef: OpDef, args: tuple, kwargs: dict, atol, rtol) -> str:
    inputs = _labelled_tensors(opdef, args, kwargs)
    if not any(t._requires_grad for _, _, t in inputs):
        return "SUCCESS"  # nothing to differentiate: any registration will do
    kernels = opdef.kernels
    backend = next((k for k in BACKEND_KEYS if k in kernels), None)
    if "Autograd" in kernels or backend is None:
        return "SUCCESS"
    raise AssertionError(
        f"inputs require grad, but {opdef.qualname} has only a {backend} kernel. A compute "
        "kernel makes no promise about gradients: backward reaches the autograd fallback, "
        "which warns (or, in mode 'nothing', leaves outputs that do not require grad unless "
        "the kernel's own ops recorded a graph). Register a backward formula with "
        "al.library.register_autograd, or register a kernel written with differentiable ops "
        "as 'CompositeImplicitAutograd'.")


def _test_gradients(opdef: OpDef, args: tuple, kwargs: dict, atol, rtol) -> str:
    atol = 1e-5 if atol is None else atol
    rtol = 1e-3 if rtol is None else rtol
    if opdef.schema.is_mutable:
        return "SKIPPED"  # gradients of ops that write to their inputs are not checked
    args, kwargs = _copy_call(args, kwargs, keep_requires_grad=True, float64=True)
    wrt = [(label, t) for _, label, t in _labelled_tensors(opdef, args, kwargs)
           if t._requires_grad]
    if not wrt:
        return "SKIPPED"
    with autograd_fallback_mode("nothing"):  # judge the op's own gradients, quietly
        result = opdef_call(opdef, args, kwargs)
    outputs = [(label, o) for _, label, o in _output_tensors(opdef, result)
               if o._data.dtype.kind == "f"]
    if not any(o._requires_grad for _, o in outputs):
        raise AssertionError(
            "inputs require grad but no output does: the op has no autograd support (register "
            "a backward with al.library.register_autograd)")
    kernels = opdef.kernels
    hint = ("" if "Autograd" in kernels or not any(k in kernels for k in BACKEND_KEYS) else
            "\n(the op has no autograd kernel: its gradients are whatever the ops inside its "
            "compute kernel recorded; register_autograd gives it a formula)")
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(o._data.shape) for _, o in outputs]
    loss = None
    for (_, o), v in zip(outputs, cotangents, strict=True):
        if o._requires_grad:
            term = (o * Tensor(v)).sum()
            loss = term if loss is None else loss + term
    analytic = autograd_grad(loss, [t for _, t in wrt], allow_unused=True)

    def value() -> float:
        with no_grad():
            result = opdef_call(opdef, *_copy_call(args, kwargs, keep_requires_grad=False))
        outs = [o for _, _, o in _output_tensors(opdef, result) if o._data.dtype.kind == "f"]
        return float(sum((o._data.astype(np.float64) * v).sum()
                         for o, v in zip(outs, cotangents, strict=True)))

    eps = 1e-6
    for (label, t), g in zip(wrt, analytic, strict=True):
        numeric = np.zeros(t._data.shape)
        flat, out = t._data.reshape(-1), numeric.reshape(-1)  # t._data is our own copy
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = value()
            flat[j] = original - eps
            minus = value()
            flat[j] = original
            out[j] = (plus - minus) / (2 * eps)
        got = np.zeros(t._data.shape) if g is None else g._data.astype(np.float64)
        if got.shape != numeric.shape or not np.allclose(got, numeric, atol=atol, rtol=rtol):
            raise AssertionError(
                f"the gradient with respect to argument {label} does not match finite "
                f"differences (atol={atol}, rtol={rtol}).\nanalytic (from the op's backward):\n"
                f"{got}\nnumeric (central differences):\n{numeric}{hint}")
    return "SUCCESS"


def opdef_call(opdef: OpDef, args: tuple, kwargs: dict) -> Any:
    """Call the op the way users do, through the dispatcher."""
    return dispatch.call_op(opdef, args, kwargs)


_CHECKS: dict[str, Callable] = {
    "test_schema": _test_schema,
    "test_autograd_registration": _test_autograd_registration,
    "test_gradients": _test_gradients,
}
