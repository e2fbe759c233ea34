"""Every backward node states the derivative it applies, in one line of maths.

A row of the derivative table gives it as ``defop(..., math=...)`` (``OpSpec.math``);
``node.formula()`` shows it, and the other kinds of node (AccumulateGrad, CopySlices,
custom Functions...) say what they do instead. The backward stepper prints it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab._ops._node import NotImplementedBackward
from autograd_lab._ops._table import REGISTRY, OpSpec
from autograd_lab.autograd.function import _DelayedErrorBackward
from autograd_lab.autograd.graph import AccumulateGrad, GraphRoot, Node
from autograd_lab.library.fallback import WarnNotImplemented

MAX_CHARS = 120


def _library_rows() -> list[OpSpec]:
    """The rows the package defines (tests register rows of their own, without math)."""
    return [spec for spec in REGISTRY.values()
            if spec.backward.__module__.startswith("autograd_lab.")]


def _expected_gradients(spec: OpSpec) -> set[str]:
    """``grad_<input>`` for each tensor input; a row over a list of tensors (``cat``,
    ``stack``: no named inputs) says ``grad_tensors[i]``, as derivatives.yaml does."""
    return {f"grad_{name}" for name in spec.inputs} if spec.inputs else {"grad_tensors"}


def _problems(spec: OpSpec) -> list[str]:
    """What is wrong with a row's math (nothing, for a good row)."""
    math = spec.math
    if not isinstance(math, str) or not math.strip():
        return [f"{spec.name}: no math"]
    problems = []
    if "\n" in math or "\r" in math:
        problems.append(f"{spec.name}: math spans several lines")
    if len(math) > MAX_CHARS:
        problems.append(f"{spec.name}: math is {len(math)} chars (at most {MAX_CHARS})")
    if math != math.strip():
        problems.append(f"{spec.name}: math has surrounding blanks")
    if "grad" not in math:
        problems.append(f"{spec.name}: math does not mention grad")
    named = set(re.findall(r"\bgrad_\w+", math))
    expected = _expected_gradients(spec)
    if expected - named:
        problems.append(f"{spec.name}: math names no {sorted(expected - named)}")
    if named - expected:
        problems.append(f"{spec.name}: math names {sorted(named - expected)}, which are not "
                        f"inputs of the row {spec.inputs}")
    return problems


def test_the_table_has_its_rows():
    assert len(_library_rows()) >= 129


@pytest.mark.parametrize("spec", _library_rows(), ids=lambda spec: spec.name)
def test_every_row_states_its_formula_in_one_line(spec):
    assert _problems(spec) == []


def _loose_row(**changes) -> OpSpec:
    """A row built as defop builds one, but not registered."""

    def backward(grad, self, other):
        return grad * other, grad * self

    spec = OpSpec("test_formulas_loose", np.multiply, backward, ("self", "other"),
                  ("self", "other"), (), "TestFormulasLooseBackward0", False)
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


@pytest.mark.parametrize("math, complaint", [
    (None, "no math"),
    ("", "no math"),
    ("grad_self = grad * other", "names no ['grad_other']"),
    ("grad_self = grad * other;\ngrad_other = grad * self", "several lines"),
    ("grad_self = grad * other;  grad_other = grad * self  " + "x" * 80, "chars"),
    ("grad_self = grad * other;  grad_other = grad * self;  grad_input = grad", "not inputs"),
    ("d/dself = other, d/dother = self", "does not mention grad"),
])
def test_the_coverage_check_catches_a_bad_row(math, complaint):
    problems = _problems(_loose_row(math=math))
    assert any(complaint in p for p in problems), problems


def test_the_coverage_check_passes_a_good_row():
    assert _problems(_loose_row(math="grad_self = grad * other;  grad_other = grad * self")) == []


def test_defop_keeps_math():
    assert REGISTRY["mul"].math == "grad_self = grad * other;  grad_other = grad * self"
    assert REGISTRY["sin"].math == "grad_self = grad * cos(self)"
    assert REGISTRY["exp"].math == "grad_self = grad * result"
    assert "math" in OpSpec.__slots__


@pytest.mark.parametrize("spec", _library_rows(), ids=lambda spec: spec.name)
def test_a_row_node_gives_its_row_math(spec):
    assert spec.node_cls().formula() == spec.math


def test_a_row_without_math_still_gives_a_formula():
    spec = _loose_row()
    text = spec.node_cls().formula()
    assert "backward" in text and "test_formulas_loose" in text and "\n" not in text


# --- nodes made by real ops -----------------------------------------------------------------
def test_formula_of_a_binary_op():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = al.tensor([3.0, 4.0], requires_grad=True)
    fn = (x * y).grad_fn
    assert fn.name() == "MulBackward0"
    assert "grad_self" in fn.formula() and "grad_other" in fn.formula()


def test_formula_of_unary_ops_and_reductions():
    x = al.tensor([0.5, 1.0], requires_grad=True)
    assert x.sin().grad_fn.formula() == "grad_self = grad * cos(self)"
    assert x.exp().grad_fn.formula() == "grad_self = grad * result"
    assert "expanded back over dim" in x.sum(0).grad_fn.formula()


def test_formula_of_a_multi_output_node():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, _ = x.unbind(0)
    assert first.grad_fn.name() == "UnbindBackward0"
    assert first.grad_fn.formula() == REGISTRY["unbind"].math
    assert "grads" in first.grad_fn.formula()


def test_formula_of_accumulate_grad():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert isinstance(acc, AccumulateGrad)
    assert ".grad += grad" in acc.formula()


def test_formula_of_copy_slices_names_the_wrapped_node():
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a.clone()
    b[0].mul_(2)
    fn = b.grad_fn
    assert fn.name() == "CopySlices"
    text = fn.formula()
    assert fn.fn.name() == "MulBackward0" and "MulBackward0" in text
    assert "slice" in text and "grad" in text and "\n" not in text


def test_formula_of_a_custom_function():
    class Cube(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = al.tensor(2.0, requires_grad=True)
    fn = Cube.apply(x).grad_fn
    assert fn.name() == "CubeBackward"
    assert fn.formula() == "grad_inputs = your Cube.backward(ctx, *grad_outputs)"


# --- every kind of node in the package ------------------------------------------------------
def _import_the_package() -> None:
    for info in pkgutil.walk_packages(al.__path__, "autograd_lab."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional dependency (a drawing or widget library) is missing
            continue


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _copy_slices() -> Node:
    a = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a.clone()
    b[0].mul_(2)
    return b.grad_fn


# Node kinds whose constructor takes arguments: how to make one.
_FACTORIES = {
    "AccumulateGrad": lambda: AccumulateGrad(al.tensor([1.0], requires_grad=True)),
    "GraphRoot": lambda: GraphRoot((), []),
    "CopySlices": _copy_slices,
    "NotImplementedBackward": lambda: NotImplementedBackward("some_op"),
    "_DelayedErrorBackward": lambda: _DelayedErrorBackward("MyFunction.backward"),
    "WarnNotImplemented": lambda: WarnNotImplemented("mylib::op"),
}


def _package_node_kinds() -> list[type]:
    _import_the_package()
    # A row's class counts when the row is registered: the loose rows these tests build
    # (``_loose_row``) live on until the garbage collector takes them.
    registered = {id(spec) for spec in REGISTRY.values()}
    kinds = {cls for cls in _subclasses(Node) if cls.__module__.startswith("autograd_lab")
             and (getattr(cls, "_spec", None) is None or id(cls._spec) in registered)}
    return sorted(kinds, key=lambda cls: (cls.__module__, cls.__qualname__))


def test_every_kind_of_node_in_the_package_states_its_formula():
    kinds = _package_node_kinds()
    names = {cls.__name__ for cls in kinds}
    assert set(_FACTORIES) <= names  # the kinds the brief names are all found
    assert {"OpNode", "MultiOutputOpNode", "BackwardCFunction"} <= names
    for cls in kinds:
        assert cls.formula is not Node.formula, f"{cls.__qualname__} states no formula"
        make = _FACTORIES.get(cls.__name__, cls)
        try:
            node = make()
        except TypeError as err:
            pytest.fail(f"{cls.__qualname__}: add a factory to _FACTORIES ({err})")
        text = node.formula()
        assert isinstance(text, str) and text.strip(), cls
        assert "\n" not in text, cls


def test_the_default_formula_of_a_plain_node():
    class MyNode(Node):
        def apply(self, grad_outputs):
            return tuple(grad_outputs)

    text = MyNode().formula()
    assert "MyNode" in text and "grad" in text and "\n" not in text


@pytest.mark.parametrize("make, words", [
    (lambda: NotImplementedBackward("some_op"), ["some_op", "not implemented"]),
    (lambda: _DelayedErrorBackward("MyFunction.backward"), ["MyFunction.backward",
                                                            "once_differentiable"]),
    (lambda: WarnNotImplemented("mylib::op"), ["mylib::op", "None"]),
    (lambda: GraphRoot((), []), ["seeds"]),
])
def test_formulas_of_the_special_nodes(make, words):
    text = make().formula()
    for word in words:
        assert word in text
