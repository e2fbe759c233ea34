"""``al.autograd.Function``: both styles, ctx features, errors, and double backward.

Values are checked against hand-derived formulas and, through ``check_vjp``, against
finite differences written in tests/helpers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_gradgrad, check_vjp, rand64

import autograd_lab as al
from autograd_lab.autograd.function import once_differentiable
from autograd_lab.autograd.graph import Node


class Cube(al.autograd.Function):
    """x**3 with a backward written in tensor ops: differentiable twice."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class ScaleNew(al.autograd.Function):
    """The setup_context style: forward has no ctx; a Python number rides along."""

    @staticmethod
    def forward(x, scale):
        return x * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.scale = inputs

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class MulAdd(al.autograd.Function):
    """Two tensor inputs, two outputs: (x*y, x+y)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y, x + y

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_tensors
        return g_prod * y + g_sum, g_prod * x + g_sum


def test_old_style_forward_and_backward_match_hand_formula():
    x = al.tensor([1.0, 2.0, -3.0], dtype=al.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.tolist() == [1.0, 8.0, -27.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0, 27.0]


def test_function_gradients_match_finite_differences():
    check_vjp(Cube.apply, [rand64(2, 3)])
    check_vjp(lambda a, b: MulAdd.apply(a, b)[0] + MulAdd.apply(a, b)[1] * 2,
              [rand64(3), rand64(3, seed=1)])


def test_double_backward_through_a_differentiable_backward():
    x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = al.autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]  # d2/dx2 x**3 = 6x
    check_gradgrad(Cube.apply, [rand64(3)])


def test_setup_context_style_and_non_tensor_arguments():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = ScaleNew.apply(x, 2.5)
    assert y.grad_fn.name() == "ScaleNewBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.5, 2.5]


def test_node_is_an_ordinary_node_named_after_the_function():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    node = y.grad_fn
    assert isinstance(node, Node)
    assert node.name() == "CubeBackward"
    assert repr(y) == "tensor([1., 8.], grad_fn=<CubeBackward>)"
    (edge,) = node.next_functions
    assert edge[0].name() == "AccumulateGrad" and edge[0].variable is x
    seen = []
    node.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_outputs[0].tolist()))
    (y * 2).sum().backward()
    assert seen == [[2.0, 2.0]]


def test_multiple_outputs_and_a_function_inside_a_graph():
    x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    y = al.tensor([3.0, 5.0], dtype=al.float64, requires_grad=True)
    prod, total = MulAdd.apply(x.exp(), y)
    assert prod.grad_fn is total.grad_fn
    (prod.sum() + 2 * total.sum()).backward()
    ex = np.exp([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), (np.array([3.0, 5.0]) + 2) * ex)
    np.testing.assert_allclose(y.grad.numpy(), ex + 2)


def test_unused_output_gets_zeros_by_default_and_none_without_materialize():
    received = {}

    class Pair(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            received["grads"] = (ga, gb)
            ga = al.zeros_like(gb) if ga is None else ga
            gb = al.zeros_like(ga) if gb is None else gb
            return ga * 2 + gb * 3, None

    x = al.tensor([1.0, 2.0], requires_grad=True)
    Pair.apply(x, True)[1].sum().backward()
    ga, gb = received["grads"]
    assert ga.tolist() == [0.0, 0.0] and gb.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [3.0, 3.0]
    Pair.apply(x, False)[1].sum().backward()
    ga, gb = received["grads"]
    assert ga is None and gb.tolist() == [1.0, 1.0]


def test_ctx_keeps_attributes_and_reports_needs_input_grad():
    seen = {}

    class Probe(al.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.anything = "kept"
            seen["forward"] = ctx.needs_input_grad
            return a * b * c

        @staticmethod
        def backward(ctx, grad):
            seen["backward"] = (ctx.needs_input_grad, ctx.anything)
            return grad, grad, None

    a = al.tensor([1.0], requires_grad=True)
    b = al.tensor([2.0])
    Probe.apply(a, b, 4.0).sum().backward()
    assert seen["forward"] == (True, False, False)
    assert seen["backward"] == ((True, False, False), "kept")
    assert a.grad.tolist() == [1.0]


def test_mark_non_differentiable_output_does_not_require_grad():
    class ValuesAndIndex(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 1.0, index

        @staticmethod
        def backward(ctx, grad, grad_index):
            return grad

    x = al.tensor([1.0, 5.0, 2.0], requires_grad=True)
    values, index = ValuesAndIndex.apply(x)
    assert values.requires_grad and not index.requires_grad
    assert index.item() == 1


def test_input_returned_as_is_becomes_a_new_tensor_with_history():
    # Identity (below): forward returns its input, backward doubles the gradient.
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and x.grad_fn is None
    assert y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_nested_functions_record_only_the_outer_node():
    """Seed 001's Parent/Child: forward runs without recording, so Child leaves no node."""

    class Child(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            return i.log().log()

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("the inner Function is not part of the graph")

    class Parent(al.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            inner = Child.apply(i.exp())
            assert inner.grad_fn is None
            ctx.save_for_backward(i)
            return inner

        @staticmethod
        def backward(ctx, grad):
            (i,) = ctx.saved_tensors
            return grad / i  # d/di log(log(exp(i))) = 1/i

    x = al.tensor([2.0, 3.0], dtype=al.float64, requires_grad=True)
    y = Parent.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), np.log([2.0, 3.0]))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 1 / 3])


def test_under_no_grad_no_node_is_recorded():
    x = al.tensor([1.0], requires_grad=True)
    with al.no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    z = Cube.apply(al.tensor([2.0]))
    assert z.grad_fn is None


def test_none_gradient_for_a_tensor_input():
    class FirstOnly(al.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a = al.tensor([1.0], requires_grad=True)
    b = al.tensor([1.0], requires_grad=True)
    FirstOnly.apply(a, b).sum().backward()
    assert a.grad.tolist() == [1.0] and b.grad is None


def test_once_differentiable_backward_allows_numpy_and_refuses_a_second_derivative():
    class NumpySin(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return al.tensor(np.sin(x.numpy()), dtype=x.dtype)

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return al.tensor(grad.numpy() * np.cos(x.numpy()), dtype=x.dtype)

    x = al.tensor([0.5, 1.0], dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(NumpySin.apply(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), np.cos([0.5, 1.0]))
    # As in PyTorch, the guard is attached when a gradient flowing in requires grad.
    v = al.ones(2, dtype=al.float64, requires_grad=True)
    (g,) = al.autograd.grad(NumpySin.apply(x), x, grad_outputs=v, create_graph=True)
    assert g.grad_fn.name() == "Error"  # PyTorch: torch::autograd::Error
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()


# --- errors --------------------------------------------------------------------------------
def _returning(*grads_factory):
    class Returns(al.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grads_factory[0](grad)

    return Returns


def test_too_many_gradients_names_the_function_and_both_counts():
    fn = _returning(lambda g: (g, g, g))
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ReturnsBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 3\)"):
        fn.apply(a, b).sum().backward()


def test_too_few_gradients():
    fn = _returning(lambda g: g)
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(expected 2, got 1\)"):
        fn.apply(a, b).sum().backward()


def test_trailing_extra_nones_are_allowed():
    fn = _returning(lambda g: (g, g, None, None))
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    fn.apply(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_wrong_shape_names_function_index_and_both_shapes():
    fn = _returning(lambda g: (g, al.ones(3)))
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function ReturnsBackward returned an invalid gradient "
                                           r"at index 1 - got \[3\] but expected shape compatible "
                                           r"with \[2\]"):
        fn.apply(a, b).sum().backward()


def test_wrong_dtype_names_function_and_index():
    fn = _returning(lambda g: (al.ones(2, dtype=al.int64), g))
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ReturnsBackward returned an invalid gradient at "
                                           r"index 0 - expected a floating-point dtype"):
        fn.apply(a, b).sum().backward()


def test_non_tensor_gradient_is_a_type_error():
    fn = _returning(lambda g: (g, np.ones(2)))
    a, b = al.ones(2, requires_grad=True), al.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"ReturnsBackward returned a ndarray as gradient 1"):
        fn.apply(a, b).sum().backward()


def test_gradient_for_an_input_that_does_not_require_grad_is_ignored():
    fn = _returning(lambda g: (g, g * 100))
    a, b = al.ones(2, requires_grad=True), al.ones(2)
    fn.apply(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad is None


def test_missing_backward_raises_not_implemented_at_backward_time_only():
    class ForwardOnly(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.exp()

    x = al.ones(2, requires_grad=True)
    y = ForwardOnly.apply(x)  # forward is fine
    assert y.grad_fn.name() == "ForwardOnlyBackward"
    with pytest.raises(NotImplementedError, match="ForwardOnly does not implement backward"):
        y.sum().backward()


def test_saving_a_non_tensor_is_a_clear_error_when_recording():
    class SavesNumber(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3.0)
            return x * 2

    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        SavesNumber.apply(al.ones(1, requires_grad=True))
    # Seed 001 saves a non-tensor in a forward that is never recorded: that must pass.
    assert SavesNumber.apply(al.ones(1)).tolist() == [2.0]


def test_saved_tensors_are_freed_after_backward():
    x = al.ones(2, requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()
    y2 = Cube.apply(x)
    y2.sum().backward(retain_graph=True)
    y2.sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]


def test_instantiating_a_function_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"call Cube\.apply"):
        Cube()


# --- mark_dirty and the in-place checks ------------------------------------------------------
class Double_(al.autograd.Function):  # noqa: N801 - PyTorch's trailing-underscore convention
    """Doubles its input in place (through NumPy) and says so with mark_dirty."""

    @staticmethod
    def forward(ctx, x):
        data = x.detach().numpy()
        data *= 2
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_mark_dirty_rebases_history_of_a_non_leaf():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a.clone()
    version = x._version
    y = Double_.apply(x)
    assert y is x and x._version == version + 1
    assert x.tolist() == [2.0, 4.0]
    assert x.grad_fn.name() == "Double_Backward"
    x.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_mark_dirty_on_a_view_updates_the_base_history():
    a = al.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    z = a.clone()
    w = z[1:3]
    Double_.apply(w)
    assert z.tolist() == [1.0, 2.0, 2.0, 1.0]
    assert z.grad_fn.name() == "CopySlices"
    z.sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 2.0, 1.0]


def test_mark_dirty_on_the_second_input_of_a_view():
    class AddInto_(al.autograd.Function):  # noqa: N801
        """out += src, where out is the second argument."""

        @staticmethod
        def forward(ctx, src, out):
            out.detach().numpy()[...] += src.detach().numpy()
            ctx.mark_dirty(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    a = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = al.tensor([10.0], requires_grad=True)
    z = a.clone() * 3
    AddInto_.apply(src, z[1:2])
    assert z.tolist() == [3.0, 16.0, 9.0]
    z.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 3.0] and src.grad.tolist() == [1.0]


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    a = al.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        Double_.apply(a)


def test_dirty_tensor_must_be_returned():
    class Forgets(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 1

    with pytest.raises(RuntimeError, match="marked as dirty during the forward method were not "
                                           "returned"):
        Forgets.apply(al.ones(1, requires_grad=True).clone())


def test_saved_input_modified_in_place_is_caught_at_backward():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    y = Cube.apply(x)
    x.mul_(3)  # Cube saved x at version 0
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: .*shape \[2\].*"
                                           r"is at version 1; expected version 0"):
        y.sum().backward()


@pytest.mark.parametrize("fast", [True, False], ids=["numpy_formula", "tensor_formula"])
@pytest.mark.parametrize("saved", ["inputs", "output"])
def test_a_saved_value_modified_in_place_is_caught_by_either_formula(fast, saved, monkeypatch):
    """A plain backward runs mul's and exp's NumPy formulas, which read saved values with
    ``unpack_array``; ``fast_formulas(False)`` runs their Tensor formulas, which use
    ``unpack``. Both share one version check."""
    from autograd_lab.autograd.saved import SavedTensor

    called = []

    def spy(method):
        original = getattr(SavedTensor, method)

        def recording(self, node):
            called.append(method)
            return original(self, node)

        monkeypatch.setattr(SavedTensor, method, recording)

    spy("unpack")
    spy("unpack_array")
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    y = x * a if saved == "inputs" else x.exp()  # mul saves x and a, exp its result
    (x if saved == "inputs" else y).mul_(3)
    with al.autograd.fast_formulas(fast), pytest.raises(
            RuntimeError, match="modified by an inplace operation.*is at version 1; "
                                "expected version 0"):
        y.sum().backward()
    assert called[-1] == ("unpack_array" if fast else "unpack")


def test_unpack_and_unpack_array_agree_before_and_after_an_in_place_change():
    from autograd_lab.autograd.saved import SavedTensor

    x = al.tensor([1.0, 2.0], requires_grad=True) * 1  # saved before it has a version counter
    y = x.exp()
    as_input, as_output = SavedTensor(x, False), SavedTensor(y, True)
    node = y.grad_fn
    for s, t in ((as_input, x), (as_output, y)):
        assert s.unpack(node).tolist() == s.unpack_array(node).tolist() == t.tolist()
    with al.no_grad():
        x.add_(1)
        y.add_(1)
    for s in (as_input, as_output):
        for unpack in (s.unpack, s.unpack_array):
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                unpack(node)


def test_view_returned_by_a_function_cannot_be_modified_in_place():
    class FirstHalf(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:1]

        @staticmethod
        def backward(ctx, grad):
            return al.cat([grad, al.zeros(1)])

    x = al.tensor([1.0, 2.0], requires_grad=True).clone()
    half = FirstHalf.apply(x)
    with pytest.raises(RuntimeError, match="custom Function"):
        half.mul_(2)


def test_non_tensor_outputs_pass_through_and_get_no_gradient():
    class WithNote(al.autograd.Function):
        @staticmethod
        def forward(ctx, x, label):
            return x * 2, f"{label}: doubled", 7

        @staticmethod
        def backward(ctx, grad, grad_note, grad_count):
            assert grad_note is None and grad_count is None  # non-tensors get no gradient
            return grad * 2, None

    x = al.tensor([1.0, 3.0], requires_grad=True)
    y, note, count = WithNote.apply(x, "x")
    assert note == "x: doubled" and count == 7
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# --- an input returned as is: the input is never changed -------------------------------------
# PyTorch's _wrap_outputs (custom_function.cpp): "Return detached aliases of inputs, instead of
# changing their requires_grad property". Turning off the input's own requires_grad cut the
# gradient to everything computed from it earlier, and, through attach's inline first edge,
# made that gradient depend on the order of a product's operands.
class ReturnsInput(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_non_differentiable(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


class Identity(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


@pytest.mark.parametrize("grad_mode", [True, False])
@pytest.mark.parametrize("b_first", [True, False])
def test_a_gradient_does_not_depend_on_operand_order(grad_mode, b_first):
    a = al.tensor([1.0], requires_grad=True)
    b = a * 2
    with al.set_grad_enabled(grad_mode):
        out = ReturnsInput.apply(b)
    assert out is not b and not out.requires_grad and out.is_leaf and out.grad_fn is None
    assert not out.is_view()  # a detached alias: b.detach()
    assert b.requires_grad and b.grad_fn.name() == "MulBackward0"  # b keeps its history
    e = al.tensor([1.0], requires_grad=True)
    ((b * e) if b_first else (e * b)).sum().backward()
    assert a.grad.tolist() == [2.0]


def test_a_leaf_returned_as_non_differentiable_stays_a_leaf_that_requires_grad():
    x = al.tensor([3.0], requires_grad=True)
    out = ReturnsInput.apply(x)
    assert not out.requires_grad and x.requires_grad and x.is_leaf
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_the_detached_alias_may_be_modified_in_place():
    a = al.tensor([1.0], requires_grad=True)
    b = a * 2
    out = ReturnsInput.apply(b)
    out.mul_(3)  # not a view made by a custom Function, so not refused (as in PyTorch)
    assert b.tolist() == [6.0] and b._version == 1


def test_only_the_differentiable_output_carries_gradient():
    class InputAndDouble(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x, x * 2

        @staticmethod
        def backward(ctx, grad_x, grad_double):
            return grad_x * 3 + grad_double * 5

    a = al.tensor([1.0], requires_grad=True)
    same, double = InputAndDouble.apply(a * 2)
    assert not same.requires_grad and double.grad_fn.name() == "InputAndDoubleBackward"
    double.sum().backward()
    assert a.grad.tolist() == [10.0]  # grad_x is zeros: (0 * 3 + 1 * 5) * d(a * 2)/da


@pytest.mark.parametrize("leaf", [True, False])
def test_without_recording_an_input_that_requires_grad_comes_back_detached(leaf):
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a if leaf else a * 1
    with al.no_grad():
        out = Identity.apply(x)
    assert out is not x and not out.requires_grad and out.grad_fn is None
    assert not out.is_view() and np.shares_memory(out.numpy(), x.detach().numpy())
    assert x.requires_grad and x.is_leaf == leaf


def test_an_input_that_does_not_require_grad_comes_back_as_a_view_of_itself():
    x = al.tensor([1.0, 2.0])
    out = Identity.apply(x)
    assert out is not x and out.is_view() and out._base is x and not out.requires_grad


def test_an_input_returned_twice_is_two_outputs_of_one_node():
    class Twice(al.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            return grad_first * 3 + grad_second * 5

    a = al.tensor([1.0], requires_grad=True)
    b = a * 2
    first, second = Twice.apply(b)
    assert first is not second and first.grad_fn is second.grad_fn
    assert (first._output_nr, second._output_nr) == (0, 1) and first._base is b
    (first + second).sum().backward()
    assert a.grad.tolist() == [16.0]  # (3 + 5) * 2
    assert b.grad_fn.name() == "MulBackward0"


class DoubleNonDiff_(Double_):  # noqa: N801
    """Double_, but its result is marked non-differentiable too."""

    @staticmethod
    def forward(ctx, x):
        ctx.mark_non_differentiable(x)
        return Double_.forward(ctx, x)


@pytest.mark.parametrize("grad_mode", [True, False])
def test_a_dirty_input_without_gradient_keeps_its_history(grad_mode):
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    with al.set_grad_enabled(grad_mode):
        y = DoubleNonDiff_.apply(x)
    assert x.tolist() == [2.0, 4.0] and x._version == 1  # mark_dirty: one version bump
    assert y is not x and not y.requires_grad and y.grad_fn is None
    assert x.requires_grad and x.grad_fn.name() == "MulBackward0"
    x.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_without_recording_a_dirty_input_comes_back_detached():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    x = a * 1
    with al.no_grad():
        y = Double_.apply(x)
    assert x.tolist() == [2.0, 4.0] and x._version == 1
    assert y is not x and not y.requires_grad and x.grad_fn.name() == "MulBackward0"
