"""PyTorch's operator schema language: dataclasses and a hand-written parser.

A schema is the contract of an op, written once as text::

    foo.overload(Tensor(a!) self, Tensor? other, int[2] size, *, float alpha=1.0) -> Tensor(a!)

It says how many arguments the op takes and of which types (so calls can be checked
before any kernel runs), which arguments the op writes to (``Tensor(a!)``: the autograd
fallback and ``opcheck`` rely on this), and which outputs alias which inputs.

The parser is plain recursive descent, one method per grammar rule, so that a failure
knows exactly where it happened: ``SchemaParseError`` shows the schema with a caret under
the offending character and says what was expected there. ``str(schema)`` prints the
canonical form, which parses back to an equal schema.

Grammar (whitespace allowed between tokens)::

    schema    := name ["." overload] "(" [params] ")" "->" returns
    name      := ident ["::" ident]
    params    := param ("," param)*
    param     := "*" | type name ["=" default]
    type      := base ["(" ident ["!"] ")"] ["?"] ["[" [int] "]" ["?"]]
    returns   := "(" [ret ("," ret)*] ")" | type
    ret       := type [name]
    default   := number | "True" | "False" | "None" | string | "[" [default ("," default)*] "]"

>>> s = parse_schema("foo(Tensor(a!) self, int c=1) -> Tensor(a!)")
>>> s.arguments[0].alias
AliasInfo(set_name='a', is_write=True)
>>> str(s)
'foo(Tensor(a!) self, int c=1) -> Tensor(a!)'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["AliasInfo", "Type", "Argument", "FunctionSchema", "SchemaParseError",
           "parse_schema", "NO_DEFAULT", "BASE_TYPES", "format_default"]

# The base types an argument may have. The first seven are the ones custom ops use;
# the rest appear in PyTorch's own schemas and are accepted so those parse too.
BASE_TYPES = ("Tensor", "int", "float", "bool", "str", "SymInt", "Scalar",
              "SymFloat", "SymBool", "ScalarType", "Device", "Layout", "MemoryFormat",
              "Generator")


class _NoDefault:
    """The "no default" marker (``None`` is a real default: ``Tensor? x=None``)."""

    _instance: _NoDefault | None = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __reduce__(self):
        return (_NoDefault, ())


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class AliasInfo:
    """An alias annotation: ``Tensor(a)`` (shares memory with set ``a``) or ``Tensor(a!)``
    (and is written to). Arguments and returns with the same set name alias each other."""

    set_name: str
    is_write: bool = False

    def __str__(self) -> str:
        return f"({self.set_name}{'!' if self.is_write else ''})"


@dataclass(frozen=True)
class Type:
    """A type: ``base`` plus the suffixes ``?`` (optional) and ``[]`` / ``[N]`` (list).

    ``Tensor?[]`` is a list of optional tensors (``element_optional``), ``Tensor[]?`` an
    optional list (``optional``); ``int[2]`` a list of fixed ``size`` 2.
    """

    base: str
    optional: bool = False
    is_list: bool = False
    size: int | None = None
    element_optional: bool = False

    @property
    def is_tensor(self) -> bool:
        """True for ``Tensor``-based types (``Tensor``, ``Tensor?``, ``Tensor[]``, ...)."""
        return self.base == "Tensor"

    def format(self, alias: AliasInfo | None = None) -> str:
        """The type as text; an alias annotation goes right after the base name."""
        out = self.base + (str(alias) if alias is not None else "")
        if self.is_list:
            if self.element_optional:
                out += "?"
            out += f"[{'' if self.size is None else self.size}]"
        if self.optional:
            out += "?"
        return out

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class Argument:
    """One argument (or return) of a schema.

    ``default`` is ``NO_DEFAULT`` when there is none; list defaults are tuples.
    Returns have ``name=None`` unless the schema names them.
    """

    name: str | None
    type: Type
    default: Any = NO_DEFAULT
    kwarg_only: bool = False
    alias: AliasInfo | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def is_write(self) -> bool:
        """True if the op may modify this argument in place (``Tensor(a!)``)."""
        return self.alias is not None and self.alias.is_write

    @property
    def alias_info(self) -> AliasInfo | None:
        """PyTorch's name for ``alias`` (``torch._C.Argument.alias_info``)."""
        return self.alias

    def __str__(self) -> str:
        out = self.type.format(self.alias)
        if self.name is not None:
            out += f" {self.name}"
        if self.has_default:
            out += f"={format_default(self.default)}"
        return out


@dataclass(frozen=True)
class FunctionSchema:
    """A parsed schema: ``name`` (``"ns::op"`` or ``"op"``), ``overload_name`` (``""`` for
    the default overload), ``arguments`` and ``returns`` (tuples of ``Argument``)."""

    name: str
    overload_name: str
    arguments: tuple[Argument, ...]
    returns: tuple[Argument, ...]

    @property
    def namespace(self) -> str:
        """``"ns"`` for ``ns::op``, ``""`` when the name has no namespace."""
        return self.name.split("::")[0] if "::" in self.name else ""

    @property
    def op_name(self) -> str:
        """The name without its namespace."""
        return self.name.split("::")[-1]

    @property
    def is_mutable(self) -> bool:
        """True if some argument is written to (``Tensor(a!)``)."""
        return any(a.is_write for a in self.arguments)

    def with_namespace(self, namespace: str) -> FunctionSchema:
        """The same schema named ``namespace::op``."""
        return replace(self, name=f"{namespace}::{self.op_name}")

    def __str__(self) -> str:
        parts, star_written = [], False
        for arg in self.arguments:
            if arg.kwarg_only and not star_written:
                parts.append("*")
                star_written = True
            parts.append(str(arg))
        overload = f".{self.overload_name}" if self.overload_name else ""
        return f"{self.name}{overload}({', '.join(parts)}) -> {_format_returns(self.returns)}"


def _format_returns(returns: tuple[Argument, ...]) -> str:
    if len(returns) == 1 and returns[0].name is None:
        return str(returns[0])
    return "(" + ", ".join(str(r) for r in returns) + ")"


def format_default(value: Any) -> str:
    """A default value as schema text: ``"mean"``, ``[0, 1]``, ``-inf``, ``None``."""
    if isinstance(value, tuple):
        return "[" + ", ".join(format_default(v) for v in value) + "]"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return repr(value)  # int, float, True, False, None


# -- errors -----------------------------------------------------------------------------
class SchemaParseError(ValueError):
    """A malformed schema. ``position`` is the index of the offending character.

    The message names what was expected and shows the schema with a caret under that
    character, e.g.::

        expected ',' or ')' but found 'c' at position 20
          foo(Tensor a, int b c) -> Tensor
                              ^
    """

    def __init__(self, schema: str, position: int, expected: str, found: str | None = None):
        self.schema = schema
        self.position = position
        self.expected = expected
        if found is None:
            found = _describe(schema, position)
        line_start = schema.rfind("\n", 0, position) + 1
        line_end = schema.find("\n", position)
        line = schema[line_start: len(schema) if line_end < 0 else line_end]
        caret = " " * (position - line_start) + "^"
        super().__init__(
            f"invalid schema: expected {expected} but found {found} at position {position}\n"
            f"  {line}\n  {caret}"
        )


def _describe(text: str, pos: int) -> str:
    if pos >= len(text):
        return "the end of the schema"
    match = _IDENT.match(text, pos)
    if match:
        return repr(match.group())
    return repr(text[pos])


# -- the parser -------------------------------------------------------------------------
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"\d+")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")
_SPECIAL_FLOATS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_WORDS = {"True": True, "False": False, "None": None}


class _Parser:
    """Recursive descent over the schema text; ``pos`` is the next unread character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- tokens -------------------------------------------------------------------
    def error(self, expected: str, pos: int | None = None, found: str | None = None):
        return SchemaParseError(self.text, self.pos if pos is None else pos, expected, found)

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def at(self, token: str) -> bool:
        self.skip_ws()
        return self.text.startswith(token, self.pos)

    def accept(self, token: str) -> bool:
        if self.at(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str, expected: str | None = None) -> None:
        if not self.accept(token):
            raise self.error(expected or f"'{token}'")

    def ident(self, expected: str) -> str:
        self.skip_ws()
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise self.error(expected)
        self.pos = match.end()
        return match.group()

    def at_ident(self) -> bool:
        self.skip_ws()
        return _IDENT.match(self.text, self.pos) is not None

    # -- grammar rules ----------------------------------------------------------------
    def schema(self) -> FunctionSchema:
        name = self.ident("an operator name")
        if self.accept("::"):
            name += "::" + self.ident("an operator name after '::'")
        overload = self.ident("an overload name after '.'") if self.accept(".") else ""
        self.expect("(", "'(' to open the argument list")
        arguments = self.parameters()
        self.expect("->", "'->' followed by the return type(s)")
        returns = self.returns()
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.error("the end of the schema")
        return FunctionSchema(name, overload, arguments, returns)

    def parameters(self) -> tuple[Argument, ...]:
        args: list[Argument] = []
        if self.accept(")"):
            return ()
        kwarg_only = False
        seen: set[str | None] = set()
        while True:
            self.skip_ws()
            star_pos = self.pos
            if self.accept("*"):
                if kwarg_only:
                    raise self.error("an argument ('*' may appear only once)", star_pos,
                                     found="a second '*'")
                kwarg_only = True
                if self.at(")"):
                    raise self.error("an argument after '*'")
                self.expect(",", "',' after '*'")
                continue
            arg, name_pos = self.parameter(kwarg_only)
            if arg.name in seen:
                raise self.error("a new argument name", name_pos,
                                 found=f"a second argument named {arg.name!r}")
            seen.add(arg.name)
            args.append(arg)
            if self.accept(")"):
                return tuple(args)
            self.expect(",", "',' or ')'")

    def parameter(self, kwarg_only: bool) -> tuple[Argument, int]:
        type_, alias = self.type_with_alias()
        self.skip_ws()
        name_pos = self.pos
        name = self.ident("an argument name")
        default = NO_DEFAULT
        if self.accept("="):
            self.skip_ws()
            default_pos = self.pos
            default = self.default_value()
            self.check_default(type_, default, default_pos)
        return Argument(name, type_, default, kwarg_only, alias), name_pos

    def type_with_alias(self) -> tuple[Type, AliasInfo | None]:
        self.skip_ws()
        base_pos = self.pos
        base = self.ident("a type (" + ", ".join(BASE_TYPES[:7]) + ", ...)")
        if base not in BASE_TYPES:
            raise self.error("a type (" + ", ".join(BASE_TYPES) + ")", base_pos)
        alias = None
        self.skip_ws()
        alias_pos = self.pos
        if self.accept("("):
            if base != "Tensor":
                raise self.error(f"an argument name after '{base}' (alias annotations "
                                 "such as '(a!)' are allowed on Tensor only)", alias_pos)
            set_name = self.ident("an alias set name, as in Tensor(a) or Tensor(a!)")
            is_write = self.accept("!")
            self.expect(")", "')' to close the alias annotation" if is_write
                        else "'!' or ')' in the alias annotation")
            alias = AliasInfo(set_name, is_write)
        optional = self.accept("?")
        is_list, size, element_optional = False, None, False
        if self.accept("["):
            self.skip_ws()
            match = _INT.match(self.text, self.pos)
            if match:
                size = int(match.group())
                self.pos = match.end()
            self.expect("]", "']' or a list size")
            is_list, element_optional, optional = True, optional, self.accept("?")
        if self.at("[") or self.at("?"):
            raise self.error("an argument name (nested lists and repeated '?' are not "
                             "supported)")
        return Type(base, optional, is_list, size, element_optional), alias

    def returns(self) -> tuple[Argument, ...]:
        if not self.accept("("):
            type_, alias = self.type_with_alias()
            return (Argument(None, type_, alias=alias),)
        if self.accept(")"):
            return ()
        rets = []
        while True:
            type_, alias = self.type_with_alias()
            name = self.ident("a return name") if self.at_ident() else None
            rets.append(Argument(name, type_, alias=alias))
            if self.accept(")"):
                return tuple(rets)
            self.expect(",", "',' or ')'")

    def default_value(self) -> Any:
        self.skip_ws()
        text, pos = self.text, self.pos
        if self.accept("["):
            items = []
            if self.accept("]"):
                return ()
            while True:
                items.append(self.default_value())
                if self.accept("]"):
                    return tuple(items)
                self.expect(",", "',' or ']' in the list")
        if text.startswith(('"', "'"), pos):
            return self.string()
        for word, value in _SPECIAL_FLOATS.items():
            if text.startswith(word, pos) and not _IDENT.match(text, pos + len(word)):
                self.pos = pos + len(word)
                return value
        match = _NUMBER.match(text, pos)
        if match and not _IDENT.match(text, match.end()):
            self.pos = match.end()
            literal = match.group()
            if any(c in literal for c in ".eE"):
                return float(literal)
            return int(literal)
        match = _IDENT.match(text, pos)
        if match and match.group() in _WORDS:
            self.pos = match.end()
            return _WORDS[match.group()]
        raise self.error("a default value (a number, True, False, None, a string or a list)")

    def string(self) -> str:
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        out: list = []
        escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == quote:
                self.pos += 1
                return "".join(out)
            if c == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append(escapes.get(nxt, "\\" + nxt))
                self.pos += 2
                continue
            out.append(c)
            self.pos += 1
        raise self.error(f"a closing {quote} for the string that starts at position {start}")

    def check_default(self, type_: Type, value: Any, pos: int) -> None:
        """A default must fit its type: ``int c=1.5`` or ``Tensor x=1`` is an error."""
        if value is None:
            if not type_.optional:
                raise self.error(f"a default that fits {type_} (None needs an optional type, "
                                 f"e.g. '{type_}?')", pos, found="None")
            return
        if type_.is_list:
            items = value if isinstance(value, tuple) else (value,)
            if not isinstance(value, tuple) and not (
                    type_.base in ("int", "SymInt") and _fits(type_.base, value)):
                raise self.error(f"a list default for {type_}, e.g. []", pos,
                                 found=format_default(value))
            for item in items:
                if item is None and type_.element_optional:
                    continue
                if not _fits(type_.base, item):
                    raise self.error(f"list items that fit {type_.base}", pos,
                                     found=format_default(item))
            return
        if isinstance(value, tuple) or not _fits(type_.base, value):
            raise self.error(f"a default that fits {type_}", pos, found=format_default(value))


def _fits(base: str, value: Any) -> bool:
    """Whether a parsed default literal is a value of ``base``."""
    if isinstance(value, bool):
        return base in ("bool", "SymBool", "Scalar")
    if isinstance(value, int):
        return base in ("int", "SymInt", "float", "SymFloat", "Scalar")
    if isinstance(value, float):
        return base in ("float", "SymFloat", "Scalar")
    if isinstance(value, str):
        return base in ("str", "Device")
    return False


def parse_schema(text: str) -> FunctionSchema:
    """Parse a schema such as ``"foo(Tensor a, int c=1) -> Tensor"``.

    Raises ``SchemaParseError`` (a ``ValueError``) showing where parsing failed.

    >>> str(parse_schema("ns::bar.out(Tensor x,*, Tensor(a!) out) -> Tensor(a!)"))
    'ns::bar.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)'
    """
    if not isinstance(text, str):
        raise TypeError(f"a schema is a str, not {type(text).__name__}")
    return _Parser(text).schema()
