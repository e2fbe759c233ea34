"""The "Autograd" kernel that ``register_autograd`` builds from a user's backward formula.

The kernel wraps the op in an ``autograd.Function`` made for it (named, as in PyTorch,
``GeneratedBackwardFor_<ns>_<name>_<overload>``), so a custom op joins the graph by the
same path as any Function:

- ``forward`` calls the compute kernel (``dispatch.backend_kernel``), then the user's
  ``setup_context(ctx, inputs, output)`` to save what backward needs;
- ``backward`` calls the user's ``backward(ctx, *grads)`` and checks that it returned one
  gradient (or None) per positional input of the op.

``Function.apply`` sees tensors only as direct arguments and outputs, so ``Tensor[]``
inputs and outputs are flattened around it and rebuilt inside (the list structure rides
along as a first, non-tensor, argument and a last, non-tensor, output).

Without a registered backward the forward still works, and backward raises PyTorch's
"no autograd formula was registered" error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol, cast

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from . import dispatch
from .registry import OpDef
from .schema import FunctionSchema

__all__ = ["AutogradInfo", "make_autograd_kernel"]


class AutogradInfo:
    """The user's formulas for one op; ``register_autograd`` may set them later."""

    def __init__(self, backward: Callable | None = None,
                 setup_context: Callable | None = None) -> None:
        self.backward = backward
        self.setup_context = setup_context


class AutogradKernel(Protocol):
    """What ``make_autograd_kernel`` returns: the kernel, carrying the ``AutogradInfo`` it
    reads (``register_autograd`` finds it there to change the formulas later)."""

    _autograd_info: AutogradInfo

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def _flatten(schema_args, values) -> tuple[list, tuple]:
    """``Tensor[]`` values spread out; the spec holds each list's length (None: a single value)."""
    flat: list = []
    spec: list[int | None] = []
    for arg, value in zip(schema_args, values, strict=True):
        if arg.type.is_list and arg.type.is_tensor and isinstance(value, list):
            flat.extend(value)
            spec.append(len(value))
        else:
            flat.append(value)
            spec.append(None)
    return flat, tuple(spec)


def _unflatten(flat, spec) -> list:
    out, i = [], 0
    for n in spec:
        if n is None:
            out.append(flat[i])
            i += 1
        else:
            out.append(list(flat[i:i + n]))
            i += n
    return out


def _requires_grad(values) -> bool:
    for v in values:
        if isinstance(v, Tensor) and v._requires_grad:
            return True
        if isinstance(v, list) and any(isinstance(t, Tensor) and t._requires_grad for t in v):
            return True
    return False


def make_autograd_kernel(opdef: OpDef, info: AutogradInfo) -> AutogradKernel:
    """An "Autograd" kernel for ``opdef`` that differentiates with ``info``'s formulas."""
    schema = opdef.schema
    generated = _generated_function(opdef, info)
    # an op without tensor outputs has nothing to differentiate (and no node to make)
    differentiable = any(r.type.is_tensor for r in schema.returns)
    # an argument always has a name (only a return may not)
    kwarg_names = [cast(str, a.name) for a in schema.arguments if a.kwarg_only]

    def autograd_kernel(*args, **kwargs):
        values = list(args) + [kwargs[name] for name in kwarg_names]
        if not (differentiable and is_grad_enabled() and _requires_grad(values)):
            key, kernel = dispatch.backend_kernel(opdef)
            return dispatch.pack_outputs(schema, dispatch.call_kernel(opdef, kernel, values, key))
        flat, spec = _flatten(schema.arguments, values)
        *flat_outputs, output_spec = generated.apply(spec, *flat)
        return dispatch.pack_outputs(schema, tuple(_unflatten(flat_outputs, output_spec)))

    kernel = cast(AutogradKernel, autograd_kernel)  # a function; the next line makes it one
    kernel._autograd_info = info  # lets register_autograd update it later
    autograd_kernel.__name__ = f"autograd_kernel_{opdef.name}"
    return kernel


def _positional(schema: FunctionSchema, values: list) -> tuple[tuple, dict]:
    args = tuple(v for a, v in zip(schema.arguments, values, strict=True) if not a.kwarg_only)
    kwonly = {a.name: v for a, v in zip(schema.arguments, values, strict=True) if a.kwarg_only}
    return args, kwonly


def _generated_function(opdef: OpDef, info: AutogradInfo) -> type[Function]:
    schema = opdef.schema
    qualname = opdef.qualname
    positional_args = [a for a in schema.arguments if not a.kwarg_only]

    def forward(ctx, spec, *flat):
        values = _unflatten(flat, spec)
        key, kernel = dispatch.backend_kernel(opdef)
        outputs = dispatch.call_kernel(opdef, kernel, values, key)
        # ctx.needs_input_grad as the user sees it: one entry per input of the op
        ctx.needs_input_grad = tuple(
            _requires_grad([v]) for a, v in zip(schema.arguments, values, strict=True)
            if not a.kwarg_only)
        ctx._input_spec = spec
        if info.setup_context is not None:
            inputs, kwonly = _positional(schema, values)
            output = dispatch.pack_outputs(schema, outputs)
            if len(inspect.signature(info.setup_context).parameters) == 4:
                info.setup_context(ctx, inputs, kwonly, output)
            else:
                info.setup_context(ctx, inputs, output)
        flat_outputs, output_spec = _flatten(schema.returns, list(outputs))
        ctx._output_spec = output_spec
        # the structure rides along as a last, non-tensor output (no gradient flows to it)
        return (*flat_outputs, output_spec)

    def backward(ctx, *flat_grads):
        if info.backward is None:
            raise RuntimeError(
                f"Trying to backward through {qualname} but no autograd formula was "
                f"registered. Please use register_autograd to add one.")
        grads = _unflatten(flat_grads[:-1], ctx._output_spec)
        result = info.backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(positional_args):
            names = ", ".join(str(a.name) for a in positional_args)
            raise RuntimeError(
                f"the backward formula of {qualname} returned {len(result)} gradient(s), but the "
                f"op has {len(positional_args)} positional input(s) ({names}): return one "
                "gradient (or None) per input, in order")
        per_arg = iter(result)
        flat_grads_in: list[Any] = []
        for arg, n in zip(schema.arguments, ctx._input_spec, strict=True):
            grad = None if arg.kwarg_only else next(per_arg)
            if n is not None:  # a Tensor[] input takes a list of gradients
                if grad is None:
                    grad = [None] * n
                if not isinstance(grad, (list, tuple)) or len(grad) != n:
                    raise RuntimeError(
                        f"the backward formula of {qualname} must return a list of {n} "
                        f"gradients for the Tensor[] input '{arg.name}'; got {grad!r:.80}")
                flat_grads_in.extend(grad)
                continue
            if grad is not None and not arg.type.is_tensor:
                raise RuntimeError(
                    f"the backward formula of {qualname} returned a gradient for '{arg.name}', "
                    f"which is a {arg.type} and takes None")
            flat_grads_in.append(grad)
        return (None, *flat_grads_in)

    overload = opdef.overload_name or "default"
    name = f"GeneratedBackwardFor_{opdef.namespace}_{opdef.name}_{overload}"
    return type(name, (Function,), {"forward": staticmethod(forward),
                                    "backward": staticmethod(backward), "__module__": __name__})
