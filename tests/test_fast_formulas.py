"""One formula that runs is the one a learner reads (Note [Two formulas] in _ops/_table.py).

``node.apply`` always runs a row's definition, its formula in Tensor ops; only the engine
takes a row's NumPy formula, and only while ``al.autograd.fast_formulas`` allows it.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from source_imports import runtime_nodes

import autograd_lab as al
from autograd_lab._ops._table import REGISTRY

OPS = Path(al.__file__).parent / "_ops"
SIN, MUL_SCALAR = REGISTRY["sin"], REGISTRY["mul_scalar"]


@pytest.fixture
def calls(monkeypatch):
    """Record which of sin's two formulas ran."""
    seen = []
    definition, on_arrays = SIN.backward, SIN.array_backward

    def spy_definition(*args):
        seen.append("definition")
        return definition(*args)

    def spy_arrays(*args):
        seen.append("arrays")
        return on_arrays(*args)

    monkeypatch.setattr(SIN, "backward", spy_definition)
    monkeypatch.setattr(SIN, "array_backward", spy_arrays)
    return seen


def _x():
    return al.tensor([0.5, 1.0, 2.0], dtype=al.float64, requires_grad=True)


def test_a_node_called_by_hand_runs_its_definition_in_every_grad_mode(calls):
    y = _x().sin()
    g = al.ones(3, dtype=al.float64)
    y.grad_fn(g)
    with al.no_grad():
        y.grad_fn(g)
    assert calls == ["definition", "definition"]


def test_the_engine_takes_the_numpy_formula_only_while_the_switch_allows(calls):
    _x().sin().sum().backward()
    assert calls == ["arrays"]
    calls.clear()
    with al.autograd.fast_formulas(False):
        _x().sin().sum().backward()
    assert calls == ["definition"]
    calls.clear()
    x = _x()
    al.autograd.grad(x.sin().sum(), x, create_graph=True)
    assert calls == ["definition"]  # create_graph records the definition


def test_set_fast_formulas_switches_until_switched_back(calls):
    al.autograd.set_fast_formulas(False)
    try:
        assert not al.autograd.is_fast_formulas_enabled()
        _x().sin().sum().backward()
    finally:
        al.autograd.set_fast_formulas(True)
    assert al.autograd.is_fast_formulas_enabled()
    assert calls == ["definition"]


def test_a_broken_definition_shows_in_grad_and_gradcheck(monkeypatch):
    # The experiment a learner runs: break sin's derivative, watch gradcheck catch it.
    def broken(grad, self):
        return grad * self.cos() * 1.01

    monkeypatch.setattr(SIN, "backward", broken)
    with al.autograd.fast_formulas(False):
        x = _x()
        x.sin().sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()) * 1.01)
        with pytest.raises(al.autograd.GradcheckError, match="Jacobian mismatch"):
            al.autograd.gradcheck(al.sin, (_x(),))


def test_scalar_math_for_0d_tensors_is_a_fast_path(monkeypatch):
    used = []
    scalar = MUL_SCALAR.scalar_forward
    monkeypatch.setattr(MUL_SCALAR, "scalar_forward", lambda *a: used.append(1) or scalar(*a))
    x = al.tensor(3.0, dtype=al.float64, requires_grad=True)
    with al.autograd.fast_formulas(False):
        assert (x * 2.0).item() == 6.0
    assert used == []
    assert (x * 2.0).item() == 6.0
    assert used == [1]


def test_rows_of_plain_arithmetic_have_one_formula():
    same = {name for name, row in REGISTRY.items() if row.array_backward is row.backward}
    assert {"add", "sub", "mul", "div", "neg", "exp", "log",
            "mul_scalar", "add_scalar", "div_scalar"} <= same


def test_rows_recording_pytorchs_backward_ops_have_a_numpy_formula_apart():
    # Their Tensor formulas record PyTorch's ops (``TanhBackwardBackward0``, ``PowBackward0`` ...),
    # so the fast engine runs a separate NumPy formula from _array_formulas.py.
    for name in ("sqrt", "tanh", "sigmoid", "pow_scalar"):
        row = REGISTRY[name]
        assert row.array_backward is not None and row.array_backward is not row.backward, name
        assert row.array_backward.__module__ == "autograd_lab._ops._array_formulas", name


def _bodies(tree) -> dict:
    """Function name -> its body's AST dump without the docstring."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            out[node.name] = (ast.dump(node.args), [ast.dump(b) for b in body])
    return out


def test_no_numpy_formula_is_a_copy_of_its_definition():
    # A copy would be a second place to edit: such a row says runs_on_arrays=True instead.
    copies = []
    for row in REGISTRY.values():
        if row.array_backward is None or row.array_backward is row.backward:
            continue
        a, b = row.backward, row.array_backward
        tree_a = ast.parse(Path(a.__code__.co_filename).read_text())
        tree_b = ast.parse(Path(b.__code__.co_filename).read_text())
        if _bodies(tree_a).get(a.__name__) == _bodies(tree_b).get(b.__name__):
            copies.append(row.name)
    assert copies == []


def test_numpy_formulas_live_apart_from_the_definitions():
    for row in REGISTRY.values():
        formula = row.array_backward
        if formula is not None and formula is not row.backward:
            assert formula.__module__ == "autograd_lab._ops._array_formulas", row.name


def test_defop_returns_the_formula_and_rows_have_names():
    from autograd_lab._ops import pointwise

    assert pointwise.MUL is REGISTRY["mul"]
    assert callable(pointwise._mul_backward) and pointwise._mul_backward is REGISTRY["mul"].backward
    assert pointwise._mul_backward.__name__ == "_mul_backward"


def _imports(path: Path) -> set:
    """Sibling modules of _ops that ``path`` imports, at any depth in the file (but not
    under ``if TYPE_CHECKING:``: those name types for checkers and never run)."""
    names = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names & {p.stem for p in OPS.glob("*.py")}


def test_imports_for_checkers_alone_are_not_counted():
    checked = ast.parse("if TYPE_CHECKING:\n    from ._table import OpSpec\nfrom . import _args\n")
    found = [n.module for n in runtime_nodes(checked) if isinstance(n, ast.ImportFrom)]
    assert found == [None]  # `from . import _args` only


def test_the_op_modules_import_each_other_without_a_circle():
    graph = {p.stem: _imports(p) for p in OPS.glob("*.py") if p.stem != "__init__"}
    done, active = set(), []

    def visit(module):
        if module in active:
            raise AssertionError(f"import circle: {' -> '.join([*active, module])}")
        if module in done:
            return
        active.append(module)
        for dep in sorted(graph.get(module, ())):
            visit(dep)
        active.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_fast_and_definitions_agree_on_a_small_network():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3))
    xs = rng.standard_normal((5, 4))

    def grads():
        x = al.tensor(xs, requires_grad=True)
        p = al.tensor(w, requires_grad=True)
        loss = ((x @ p).relu().tanh() * 3.0 + (x ** 2).sum(1, keepdim=True).sqrt()).mean()
        loss.backward()
        return x.grad.numpy(), p.grad.numpy()

    fast = grads()
    with al.autograd.fast_formulas(False):
        definition = grads()
    for a, b in zip(fast, definition, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert math.isfinite(float(fast[0].sum()))


def test_a_row_that_passes_its_gradient_has_the_formula_return_grad():
    # passes_gradient lets the NumPy road skip the call: the definition must be the identity.
    rows = [row for row in REGISTRY.values() if row.passes_gradient]
    assert {row.name for row in rows} == {"add_scalar", "sub_scalar"}
    g = al.tensor([1.0, -2.0])
    for row in rows:
        assert row.backward(g, 3.0) is g
    x = al.tensor([1.0, 2.0], requires_grad=True)
    for setting in (True, False):
        x.grad = None
        with al.autograd.fast_formulas(setting):
            ((x + 2) - 1.5).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
