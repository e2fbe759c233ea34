"""Tests generated from the op database (tests/opdb): every op, every sample.

For each ``<op>-<sample>``: the forward against NumPy, the method and in-place forms
against the function, ``_version`` moving by exactly one in place, and gradients and
second gradients against finite differences (``tests/helpers.py``, written
independently of ``al.autograd.gradcheck``; seed 004's port runs gradcheck itself).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ATOL, RTOL, check_gradgrad, check_vjp
from opdb.entries import OP_DB

import autograd_lab as al

SEED = 0
# Forwards and gradients run twice: with the fast paths a plain backward may take, and
# with only the definitions (``al.autograd.fast_formulas(False)``; tests/conftest.py).
in_both_settings = pytest.mark.usefixtures("formula_setting")


def _cases(predicate=lambda info: True):
    for info in OP_DB:
        if not predicate(info):
            continue
        rng = np.random.default_rng(SEED)
        for i, sample in enumerate(info.samples(rng)):
            yield pytest.param(info, sample, id=f"{info.name}-{sample.name or i}")


def _array(t):
    return t.detach().numpy() if isinstance(t, al.Tensor) else np.asarray(t)


def _outputs(out) -> tuple:
    """An op's result as a tuple of tensors: ``(values, indices)`` results (max with dim,
    topk) give their values, as the entries' ops do; unbind/split/chunk give their tuple."""
    if hasattr(out, "values") and hasattr(out, "indices"):
        return (out.values,)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _one_tensor(fn):
    """``fn`` with a tuple result flattened into one tensor (the helpers check one output;
    every output's gradient still takes part, through the concatenation's)."""

    def flat(*tensors):
        out = fn(*tensors)
        if isinstance(out, al.Tensor):
            return out
        return al.cat([o.reshape(-1) for o in out])

    return flat


@in_both_settings
@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.ref is not None)))
def test_forward_matches_numpy(info, sample):
    outs = _outputs(info.call(sample))
    expected = info.ref(sample.input.detach().numpy(), *sample.args, **sample.kwargs)
    expected = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
    assert len(outs) == len(expected)
    for out, exp in zip(outs, expected, strict=True):
        assert out.shape == np.shape(exp)
        np.testing.assert_allclose(_array(out), exp, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.method is not None)))
def test_method_agrees_with_function(info, sample):
    expected = _outputs(info.call(sample))
    inp, args = sample.with_tensors(sample.tensors())
    out = _outputs(getattr(inp, info.method)(*args, **sample.kwargs))
    assert len(out) == len(expected)
    for o, e in zip(out, expected, strict=True):
        np.testing.assert_array_equal(_array(o), _array(e))


@in_both_settings
@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.inplace is not None)))
def test_inplace_matches_out_of_place_and_bumps_version_once(info, sample):
    expected = info.call(sample)
    inp, args = sample.with_tensors(sample.tensors())
    target = inp.detach().clone()
    if expected.shape != sample.input.shape:  # the result would not fit: PyTorch refuses
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            getattr(target, info.inplace)(*args, **sample.kwargs)
        return
    version = target._version
    result = getattr(target, info.inplace)(*args, **sample.kwargs)
    assert result is target
    assert target._version == version + 1
    np.testing.assert_allclose(_array(target), _array(expected), rtol=1e-12, atol=1e-12)


@in_both_settings
@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.differentiable)))
def test_gradient_matches_finite_differences(info, sample):
    check_vjp(_one_tensor(lambda *ts: info.call(sample, *ts)), sample.tensors())


@in_both_settings
@pytest.mark.parametrize(("info", "sample"),
                         list(_cases(lambda i: i.differentiable and i.supports_gradgrad)))
def test_second_gradient_matches_finite_differences(info, sample):
    check_gradgrad(_one_tensor(lambda *ts: info.call(sample, *ts)), sample.tensors())


@pytest.mark.parametrize(("info", "sample"), list(_cases(lambda i: i.differentiable)))
def test_numpy_formulas_agree_with_tensor_formulas(info, sample):
    # A plain backward runs a row's NumPy formula where it has one; with fast_formulas off
    # it runs the row's definition, its Tensor formula (Note [Two formulas] in
    # _ops/_table.py); create_graph=True records that one: same values, same dtypes.
    tensors = sample.tensors()
    wrt = [t for t in tensors if t.requires_grad]
    out = _one_tensor(lambda *ts: info.call(sample, *ts))(*tensors)
    seed = al.tensor(np.random.default_rng(1).standard_normal(out.shape), dtype=out.dtype)
    fast = al.autograd.grad(out, wrt, seed, retain_graph=True, allow_unused=True)
    with al.autograd.fast_formulas(False):
        definition = al.autograd.grad(out, wrt, seed, retain_graph=True, allow_unused=True)
    recorded = al.autograd.grad(out, wrt, seed, create_graph=True, allow_unused=True)
    for a, b, c in zip(fast, definition, recorded, strict=True):
        assert (a is None) == (b is None) == (c is None)
        if a is not None:
            assert a.dtype == b.dtype == c.dtype
            np.testing.assert_allclose(_array(a), _array(b), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(_array(b), _array(c), rtol=1e-12, atol=1e-12)


def test_every_numpy_formula_is_reached_by_the_database():
    # Every row with a NumPy formula must be in some sample's graph, or the test above
    # never compares it.
    from autograd_lab._ops._table import REGISTRY

    with_arrays = {spec.node_cls for spec in REGISTRY.values() if spec.array_backward}
    reached = set()
    for case in _cases(lambda i: i.differentiable):
        info, sample = case.values
        out = _one_tensor(lambda *ts, i=info, s=sample: i.call(s, *ts))(*sample.tensors())
        stack, seen = [out.grad_fn], set()
        while stack:  # every node of the graph (a kind met before may lead to a new one)
            node = stack.pop()
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                reached.add(type(node))
                stack.extend(fn for fn, _ in node.next_functions)
    assert not {cls.__name__ for cls in with_arrays - reached}


def _fits_in_place(info, sample) -> bool:
    return info.call(sample).shape == sample.input.shape


@in_both_settings
@pytest.mark.parametrize(("info", "sample"), [
    case for case in _cases(lambda i: i.differentiable and i.inplace is not None)
    if _fits_in_place(*case.values)])
def test_inplace_gradient_on_a_non_leaf_clone(info, sample):
    def inplace(x, *rest):
        _, args = sample.with_tensors((x, *rest))
        return getattr(x.clone(), info.inplace)(*args, **sample.kwargs)

    check_vjp(inplace, sample.tensors())


@pytest.mark.parametrize("info", [i for i in OP_DB if not i.differentiable], ids=lambda i: i.name)
def test_non_differentiable_ops_give_no_graph(info):
    sample = next(iter(info.samples(np.random.default_rng(SEED))))
    out = info.call(sample)
    assert out.grad_fn is None and not out.requires_grad


def _error_cases():
    for info in OP_DB:
        for i, error in enumerate(info.errors() if info.errors else ()):
            yield pytest.param(info, error, id=f"{info.name}-{error.sample.name or i}")


@pytest.mark.parametrize(("info", "error"), list(_error_cases()))
def test_error_inputs_raise_their_messages(info, error):
    with pytest.raises(error.error_type, match=error.match):
        info.call(error.sample)


def test_enough_ops_declare_error_inputs():
    assert sum(1 for i in OP_DB if i.errors is not None) >= 15


# --- coverage: every public op has an entry ---------------------------------------------------
# Public names of ``al`` that are not ops: modules, types, dtypes, creation functions and
# random sources, grad-mode switches. Anything else in ``al.__all__`` must have an entry.
NOT_OPS = {
    # modules and namespaces
    "autograd", "library", "ops", "special", "nn", "optim",
    # types and dtypes
    "Tensor", "dtype", "float32", "float64", "int64", "bool", "double", "float", "long",
    "get_default_dtype", "set_default_dtype",
    # creation (no input tensor to differentiate) and the random generator
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn",
    "randint", "rand_like", "randn_like", "manual_seed", "scalar_tensor",
    # grad mode
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled",
}
# Public names that are another name for an op with an entry (``torch.clip`` is ``clamp``).
ALIASES = {"clip": "clamp", "clip_": "clamp_"}
# Tensor methods that are autograd plumbing or dtype/device conversions, not ops.
NOT_OP_METHODS = {
    # autograd
    "backward", "register_hook", "register_post_accumulate_grad_hook", "retain_grad",
    "requires_grad_", "detach_",
    # conversions and no-ops of a CPU-only library (``to`` itself has an entry)
    "double", "float", "long", "type_as", "cpu",
    # a question about the memory layout, not an op
    "is_contiguous",
    # private: the in-place add index's backward formula makes (PyTorch's
    # _index_put_impl_); tested in tests/pytorch_exact/test_formula_versions.py and
    # through index's entries (their gradients and second order run it)
    "_index_put_impl_",
}
# ``al.special`` and ``al.nn.functional`` entries are named by their path.
NAMESPACES = {"special": al.special, "nn.functional": al.nn.functional}


def _public_ops() -> list[tuple[str, str]]:
    """(where, name) for every public op: ``al``, its namespaces, and Tensor methods."""
    from autograd_lab._tensor_methods import _METHODS

    ops = [("al", n) for n in al.__all__ if n not in NOT_OPS]
    ops += [(prefix, n) for prefix, mod in NAMESPACES.items() for n in mod.__all__]
    ops += [("Tensor", n) for n in _METHODS if n not in NOT_OP_METHODS]
    return ops


def _has_entry(where: str, name: str) -> bool:
    name = ALIASES.get(name, name)
    if where == "al":
        return any(i.name == name for i in OP_DB)
    if where == "Tensor":
        return any(name in (i.method, i.inplace) for i in OP_DB)
    return any(i.name == f"{where}.{name}" for i in OP_DB)


def test_every_public_op_has_an_entry():
    missing = [f"{where}.{name}" for where, name in _public_ops() if not _has_entry(where, name)]
    assert not missing, (f"public ops without an OpInfo entry in tests/opdb: {missing} "
                         "(add one, or list the name in NOT_OPS/NOT_OP_METHODS with a reason)")


def test_coverage_lists_name_real_things():
    """The exclusion lists do not rot: each names something that exists."""
    from autograd_lab._tensor_methods import _METHODS

    assert NOT_OPS <= set(al.__all__)
    assert NOT_OP_METHODS <= set(_METHODS)
    assert all(hasattr(al, a) or a in _METHODS for a in ALIASES)
    for where, name in [("al", "clamp"), ("Tensor", "add_"), ("nn.functional", "pad")]:
        assert _has_entry(where, name)
    assert not _has_entry("al", "no_such_op") and not _has_entry("nn.functional", "add")


def test_database_names_are_unique_and_tolerances_sane():
    names = [i.name for i in OP_DB]
    assert len(names) == len(set(names))
    assert ATOL <= 1e-5 and RTOL <= 1e-3  # the finite-difference checks are not loosened
