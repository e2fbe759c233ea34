"""The schema parser: every construct of the language, round trips, and where errors point."""

from __future__ import annotations

import math

import pytest

from autograd_lab.library.schema import (
    NO_DEFAULT,
    AliasInfo,
    Argument,
    FunctionSchema,
    SchemaParseError,
    Type,
    parse_schema,
)


# -- constructs -----------------------------------------------------------------------------
def test_seed_schema_plain():
    s = parse_schema("foo(Tensor a, Tensor b, int c) -> Tensor")
    assert s == FunctionSchema(
        "foo", "",
        (Argument("a", Type("Tensor")), Argument("b", Type("Tensor")), Argument("c", Type("int"))),
        (Argument(None, Type("Tensor")),),
    )
    assert s.namespace == "" and s.op_name == "foo" and not s.is_mutable


@pytest.mark.parametrize("base", ["Tensor", "int", "float", "bool", "str", "SymInt", "Scalar"])
def test_base_types(base):
    (arg,) = parse_schema(f"f({base} x) -> ()").arguments
    assert arg.type == Type(base)
    assert not arg.has_default and arg.default is NO_DEFAULT


def test_optional_and_list_types():
    args = parse_schema(
        "f(Tensor? a, Tensor[] b, Tensor?[] c, Tensor[]? d, int[2] e, SymInt[] f, "
        "float[]? g) -> ()").arguments
    assert args[0].type == Type("Tensor", optional=True)
    assert args[1].type == Type("Tensor", is_list=True)
    assert args[2].type == Type("Tensor", is_list=True, element_optional=True)
    assert args[3].type == Type("Tensor", optional=True, is_list=True)
    assert args[4].type == Type("int", is_list=True, size=2)
    assert args[5].type == Type("SymInt", is_list=True)
    assert args[6].type == Type("float", optional=True, is_list=True)
    assert [str(a.type) for a in args] == [
        "Tensor?", "Tensor[]", "Tensor?[]", "Tensor[]?", "int[2]", "SymInt[]", "float[]?"]
    assert all(a.type.is_tensor for a in args[:4])


def test_defaults_of_every_kind():
    args = parse_schema(
        'f(int a=1, int b=-3, float c=1.5, float d=1e-05, float e=-inf, bool f=True, '
        'bool g=False, Tensor? h=None, str i="mean", str j=\'x\', int[] k=[], '
        'int[2] l=[0, 1], int[2] m=1, Scalar n=2, float o=2) -> ()').arguments
    got = {a.name: a.default for a in args}
    assert got == {"a": 1, "b": -3, "c": 1.5, "d": 1e-05, "e": -math.inf, "f": True,
                   "g": False, "h": None, "i": "mean", "j": "x", "k": (), "l": (0, 1),
                   "m": 1, "n": 2, "o": 2}
    assert type(got["c"]) is float and type(got["a"]) is int and type(got["f"]) is bool
    assert all(a.has_default for a in args)


def test_nan_and_inf_defaults():
    args = parse_schema("f(float a=nan, float b=inf) -> ()").arguments
    assert math.isnan(args[0].default) and args[1].default == math.inf


def test_keyword_only_marker():
    s = parse_schema("f(Tensor x, *, int n=2, bool flag) -> Tensor")
    assert [a.kwarg_only for a in s.arguments] == [False, True, True]
    assert str(s) == "f(Tensor x, *, int n=2, bool flag) -> Tensor"


def test_alias_and_mutation_annotations():
    s = parse_schema("foo(Tensor(a!) self, Tensor(b) other, Tensor c) -> Tensor(a!)")
    assert s.arguments[0].alias == AliasInfo("a", is_write=True)
    assert s.arguments[0].is_write
    assert s.arguments[1].alias == AliasInfo("b", is_write=False)
    assert not s.arguments[1].is_write
    assert s.arguments[2].alias is None
    assert s.returns[0].alias == AliasInfo("a", True)
    assert s.is_mutable


def test_alias_annotation_on_list_and_optional():
    (a, b) = parse_schema("f(Tensor(a!)[] xs, Tensor(b)? y) -> ()").arguments
    assert a.alias == AliasInfo("a", True) and a.type == Type("Tensor", is_list=True)
    assert b.alias == AliasInfo("b") and b.type == Type("Tensor", optional=True)
    assert str(a) == "Tensor(a!)[] xs" and str(b) == "Tensor(b)? y"


def test_tuple_returns_named_and_unnamed():
    s = parse_schema("foo(Tensor(a!) self, Tensor(b!) y) -> (Tensor(a!), Tensor(b!))")
    assert [r.alias for r in s.returns] == [AliasInfo("a", True), AliasInfo("b", True)]
    named = parse_schema("f(Tensor x) -> (Tensor values, Tensor indices)")
    assert [r.name for r in named.returns] == ["values", "indices"]


def test_empty_returns_and_empty_arguments():
    s = parse_schema("bar(Tensor(a!) self) -> ()")
    assert s.returns == ()
    assert parse_schema("nothing() -> ()").arguments == ()


def test_list_return():
    s = parse_schema("foo(Tensor[] a) -> Tensor[]")
    assert s.returns[0].type == Type("Tensor", is_list=True)


def test_namespace_and_overload():
    s = parse_schema("myns::add.Tensor(Tensor self, Tensor other) -> Tensor")
    assert (s.name, s.overload_name, s.namespace, s.op_name) == (
        "myns::add", "Tensor", "myns", "add")
    assert s.with_namespace("other").name == "other::add"


def test_whitespace_is_free():
    s = parse_schema("  foo ( Tensor ( a ! ) self ,int  c = 1 )->( Tensor , Tensor )  ")
    assert str(s) == "foo(Tensor(a!) self, int c=1) -> (Tensor, Tensor)"


# -- round trips ----------------------------------------------------------------------------
ROUND_TRIP = [
    "foo(Tensor a, Tensor b, int c) -> Tensor",
    "foo(Tensor(a!) self, Tensor(b!) y) -> (Tensor(a!), Tensor(b!))",
    "bar(Tensor(a!) self) -> ()",
    "foo(Tensor[] a) -> Tensor[]",
    "foo(Tensor(a) self) -> Tensor(a)",
    "ns::f.out(Tensor? a, Tensor?[] b, int[2] c=1, SymInt[] d=[], *, float e=1e-05, "
    'str f="mean", bool g=False, Scalar? h=None, float i=-inf) -> (Tensor values, Tensor indices)',
    "f(int[]? x=None, float y=2.5, Scalar z=-1) -> Tensor?",
    'f(str s="a \\"quoted\\" \\\\ word") -> ()',
    "f() -> ()",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    schema = parse_schema(text)
    assert str(schema) == text
    assert parse_schema(str(schema)) == schema


def test_string_escapes_survive_round_trip():
    (arg,) = parse_schema('f(str s="a \\"quoted\\" \\\\ word") -> ()').arguments
    assert arg.default == 'a "quoted" \\ word'


def test_single_named_return_keeps_its_parentheses():
    s = parse_schema("f(Tensor x) -> (Tensor out)")
    assert str(s) == "f(Tensor x) -> (Tensor out)"
    assert parse_schema(str(s)) == s


# -- errors ----------------------------------------------------------------------------------
def error_for(text: str) -> SchemaParseError:
    with pytest.raises(SchemaParseError) as info:
        parse_schema(text)
    return info.value


def caret_column(err: SchemaParseError) -> int:
    """Where the caret line points, relative to the schema line above it."""
    lines = str(err).splitlines()
    schema_line, caret_line = lines[-2], lines[-1]
    assert schema_line.startswith("  ") and caret_line.startswith("  ")
    return caret_line.index("^") - 2


# (schema, index of the offending character, words the message must contain)
BAD = [
    ("foo(Tensor a, int b c) -> Tensor", 20, "expected ',' or ')' but found 'c'"),
    ("foo(Tensr a) -> Tensor", 4, "expected a type"),
    ("foo(Tensor a) Tensor", 14, "expected '->'"),
    ("foo(Tensor a, Tensor a) -> ()", 21, "a second argument named 'a'"),
    ("foo(int(a!) x) -> ()", 7, "allowed on Tensor only"),
    ("foo(Tensor(a x) -> ()", 13, "expected '!' or ')'"),
    ("foo(Tensor(a!x) -> ()", 13, "expected ')' to close the alias annotation"),
    ("foo(int c=1.5) -> ()", 10, "a default that fits int"),
    ("foo(Tensor x=None) -> ()", 13, "None needs an optional type"),
    ("foo(bool b=1) -> ()", 11, "a default that fits bool"),
    ("foo(int[] b=[1, 2.5]) -> ()", 12, "list items that fit int"),
    ("foo(*, *, int x) -> ()", 7, "'*' may appear only once"),
    ("foo(int x, *) -> ()", 12, "an argument after '*'"),
    ('foo(str s="abc) -> ()', 21, 'a closing "'),
    ("foo(Tensor x) -> Tensor extra", 24, "the end of the schema"),
    ("foo(int[][] x) -> ()", 9, "nested lists"),
    ("(Tensor x) -> ()", 0, "an operator name"),
    ("foo(Tensor x)", 13, "found the end of the schema"),
    ("foo Tensor x) -> ()", 4, "'(' to open the argument list"),
    ("foo(Tensor) -> ()", 10, "an argument name"),
    ("foo(int x=abc) -> ()", 10, "a default value"),
    ("foo(Tensor x) -> (Tensor, )", 26, "a type"),
    ("ns::(Tensor x) -> ()", 4, "an operator name after '::'"),
    ("foo.(Tensor x) -> ()", 4, "an overload name"),
]


@pytest.mark.parametrize(("text", "position", "words"), BAD, ids=[b[0] for b in BAD])
def test_malformed_schema_points_at_the_failure(text, position, words):
    err = error_for(text)
    assert isinstance(err, ValueError)
    assert err.position == position, str(err)
    assert words in str(err)
    assert caret_column(err) == position
    assert text in str(err)  # the schema is shown
    assert f"at position {position}" in str(err)


def test_error_message_layout():
    err = error_for("foo(Tensor a, int b c) -> Tensor")
    assert str(err) == (
        "invalid schema: expected ',' or ')' but found 'c' at position 20\n"
        "  foo(Tensor a, int b c) -> Tensor\n"
        "                      ^"
    )
    assert err.schema == "foo(Tensor a, int b c) -> Tensor" and err.expected == "',' or ')'"


def test_multiline_schema_shows_the_failing_line():
    text = "foo(Tensor a,\n    int b c) -> Tensor"
    err = error_for(text)
    lines = str(err).splitlines()
    assert lines[-2] == "      int b c) -> Tensor"
    assert caret_column(err) == len("    int b ")


def test_non_string_schema_is_a_type_error():
    with pytest.raises(TypeError, match="a schema is a str"):
        parse_schema(42)
