"""``autograd_lab.library``: define your own operators, as ``torch.library`` does.

Two front doors, one machinery:

- by hand: ``Library(ns, kind).define(schema)`` and ``.impl(name, fn, dispatch_key)``;
- by decorator: ``@custom_op("ns::name", mutates_args=())`` with
  ``register_autograd(op, backward, setup_context=...)``.

Either way the op is reachable as ``al.ops.<ns>.<name>`` and calls go through the
dispatcher, which checks the arguments against the schema. ``opcheck`` tests an op
against its schema and its gradients.

Modules, one job each: ``schema`` (the schema language), ``registry`` (the table of
ops), ``library`` (``Library``), ``dispatch`` (calling an op), ``ops_namespace``
(``al.ops``), ``autograd_kernel`` (a backward formula as an "Autograd" kernel),
``custom_op`` (the decorator API), ``opcheck``, ``fallback`` (ops without autograd).
"""

from . import schema
from .custom_op import (
    CustomOpDef,
    custom_op,
    infer_schema,
    register_autograd,
    register_fake,
    register_kernel,
)
from .fallback import autograd_fallback_mode, get_autograd_fallback_mode
from .library import Library, _scoped_library, define, impl
from .opcheck import OpCheckError, opcheck
from .ops_namespace import OpOverload, OpOverloadPacket
from .schema import FunctionSchema, SchemaParseError, parse_schema

__all__ = [
    "Library", "define", "impl", "_scoped_library",
    "custom_op", "CustomOpDef", "register_autograd", "register_kernel", "register_fake",
    "infer_schema", "opcheck", "OpCheckError",
    "autograd_fallback_mode", "get_autograd_fallback_mode",
    "OpOverload", "OpOverloadPacket", "FunctionSchema", "SchemaParseError", "parse_schema",
    "schema",
]
