"""The backward engine: ``backward``/``grad`` signatures, PyTorch's error messages,
accumulation, freeing the graph, long chains, ``backward_steps``, anomaly mode and
saved-tensor hooks. Every expected value is derived by hand in a comment; the few
comparisons with PyTorch itself live at the end, in tests that need torch.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import warnings
import weakref

import numpy as np
import pytest
from helpers import arr, close

import autograd_lab as al
from autograd_lab.autograd import BackwardStep

pytestmark = pytest.mark.usefixtures("formula_setting")

SECOND_TIME = "Trying to backward through the graph a second time"
NOT_SCALAR = "grad can be implicitly created only for scalar outputs"


def vec(*values, requires_grad=True):
    return al.tensor(list(values), requires_grad=requires_grad)


# =======================================================================================
# al.autograd.backward and Tensor.backward
def test_backward_scalar_root_seeds_one():
    x = vec(1.0, 2.0, 3.0)
    (x * x).sum().backward()  # d sum(x^2) = 2x
    close(x.grad, [2.0, 4.0, 6.0])


def test_backward_returns_none_and_leaves_root_grad_empty():
    x = vec(1.0, 2.0)
    loss = (x * x).sum()
    assert al.autograd.backward(loss) is None
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert loss.grad is None


def test_backward_grad_tensors_weights_each_element():
    x = vec(1.0, 2.0, 3.0)
    y = x * x
    al.autograd.backward(y, grad_tensors=al.tensor([1.0, 10.0, 100.0]))  # 2x * g
    close(x.grad, [2.0, 40.0, 600.0])


def test_backward_keyword_names_match_pytorch():
    x = vec(1.0, 2.0)
    al.autograd.backward(tensors=[x * 3.0], grad_tensors=[al.tensor([1.0, 2.0])],
                         retain_graph=False, create_graph=False, inputs=[x])
    close(x.grad, [3.0, 6.0])


def test_tensor_backward_gradient_argument():
    x = vec(1.0, 2.0, 3.0)
    (x * x).backward(gradient=al.tensor([1.0, 0.0, -1.0]))  # 2x * g
    close(x.grad, [2.0, 0.0, -6.0])
    x.grad = None
    (x * x).backward(al.tensor([0.5, 0.5, 0.5]))  # positional, as PyTorch
    close(x.grad, [1.0, 2.0, 3.0])


def test_backward_on_a_leaf_itself():
    x = vec(1.0, 2.0)
    x.backward(al.tensor([3.0, 4.0]))  # dx/dx = 1, times the seed
    close(x.grad, [3.0, 4.0])


def test_backward_several_roots_sum_their_contributions():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    a = (x * w).sum()  # da/dx = w, da/dw = x
    b = (x * x).sum()  # db/dx = 2x
    al.autograd.backward([a, b])
    close(x.grad, [3.0 + 2.0, 4.0 + 4.0])
    close(w.grad, [1.0, 2.0])


def test_backward_roots_with_mixed_seeds_none_for_scalars():
    x = vec(1.0, 2.0)
    s = (x * 2.0).sum()  # ds/dx = 2
    v = x * x  # dv/dx = 2x, seeded with g
    al.autograd.backward([s, v], [None, al.tensor([10.0, 100.0])])
    close(x.grad, [2.0 + 20.0, 2.0 + 400.0])


def test_backward_root_that_depends_on_another_root():
    x = al.tensor(1.0, requires_grad=True)
    y = x * 2.0  # dy/dx = 2
    z = y * 3.0  # dz/dx = 6
    al.autograd.backward([y, z], retain_graph=True)  # the graph is backwarded through again below
    close(x.grad, 8.0)
    x.grad = None
    al.autograd.backward([z, y], [al.tensor(10.0), al.tensor(1.0)])  # 60 + 2, order free
    close(x.grad, 62.0)


def test_backward_same_root_twice_counts_twice():
    x = al.tensor(3.0, requires_grad=True)
    y = x * x  # dy/dx = 2x = 6, twice
    al.autograd.backward([y, y])
    close(x.grad, 12.0)


def test_backward_fails_on_second_call_and_retain_graph_allows_it():
    x = vec(1.0, 2.0)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)  # still there
    loss.backward()  # the last one frees it
    close(x.grad, [6.0, 12.0])  # 3 * 2x
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        loss.backward()
    close(x.grad, [6.0, 12.0])  # a failed backward adds nothing


def test_saved_attribute_after_backward_raises_the_same_error():
    x = vec(1.0, 2.0)
    y = x * x
    node = y.grad_fn
    close(node._saved_self, [1.0, 2.0])
    y.sum().backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        _ = node._saved_self
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        _ = node._saved_other


def test_saved_attribute_survives_backward_with_retain_graph():
    x = vec(1.0, 2.0)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    close(y.grad_fn._saved_result, np.exp([1.0, 2.0]))


def test_grad_frees_the_graph_too():
    x = vec(1.0, 2.0)
    loss = (x * x).sum()
    al.autograd.grad(loss, x)
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        al.autograd.grad(loss, x)


def test_ops_that_save_nothing_can_run_backward_twice():
    # As PyTorch: with nothing saved there is nothing to free, so no error.
    x = vec(1.0, 2.0)
    y = (x + 1.0).sum()
    y.backward()
    y.backward()
    close(x.grad, [2.0, 2.0])


def test_retain_graph_defaults_to_create_graph():
    x = al.tensor(2.0, requires_grad=True)
    y = x * x * x
    y.backward(create_graph=True)  # 3x^2 = 12, graph kept
    y.backward()  # does not raise
    close(x.grad, 24.0)


def test_create_graph_leaf_grad_is_differentiable():
    x = al.tensor(3.0, requires_grad=True)
    (x * x * x).backward(create_graph=True)  # x.grad = 3x^2 = 27
    g = x.grad
    close(g, 27.0)
    assert g.requires_grad and g.grad_fn is not None
    (dg,) = al.autograd.grad(g, x)  # 6x = 18
    close(dg, 18.0)


def test_without_create_graph_leaf_grad_does_not_require_grad():
    x = al.tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None and x.grad.is_leaf


def test_backward_inputs_restricts_which_leaves_get_grad():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    b = al.tensor(5.0, requires_grad=True)
    loss = (x * w).sum() + b
    loss.backward(inputs=[w])  # dloss/dw = x
    close(w.grad, [1.0, 2.0])
    assert x.grad is None and b.grad is None


def test_backward_inputs_accepts_a_single_tensor_and_accumulates():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    loss = (x * w).sum()
    loss.backward(inputs=x, retain_graph=True)
    loss.backward(inputs=(x, w))
    close(x.grad, [6.0, 8.0])  # w, twice
    close(w.grad, [1.0, 2.0])


def test_backward_inputs_non_leaf_gets_grad_and_leaf_below_does_not():
    a = vec(1.0, 2.0)
    b = a * 3.0
    c = (b * b).sum()  # dc/db = 2b = [6, 12]
    c.backward(inputs=[b])
    assert b.retains_grad  # PyTorch marks it, so reading .grad does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(b.grad, [6.0, 12.0])
    assert a.grad is None


def test_backward_inputs_non_leaf_and_leaf_together():
    a = vec(1.0, 2.0)
    b = a * 3.0
    c = (b * b).sum()  # dc/db = 2b = [6, 12]; dc/da = 18a = [18, 36]
    c.backward(inputs=[b, a])
    close(b.grad, [6.0, 12.0])
    close(a.grad, [18.0, 36.0])


def test_backward_inputs_must_not_be_empty():
    x = vec(1.0)
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        (x * 2.0).sum().backward(inputs=[])


def test_backward_inputs_unreached_leaf_keeps_none():
    x = vec(1.0)
    w = vec(2.0)
    (x * 2.0).sum().backward(inputs=[x, w])
    close(x.grad, [2.0])
    assert w.grad is None


# =======================================================================================
# al.autograd.grad
def test_grad_returns_a_tuple_and_leaves_grad_alone():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    loss = (x * w).sum()
    gx = al.autograd.grad(loss, x)
    assert isinstance(gx, tuple) and len(gx) == 1
    close(gx[0], [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_grad_several_inputs_in_order():
    x = al.tensor(2.0, requires_grad=True)
    y = al.tensor(5.0, requires_grad=True)
    f = x * x * y  # df/dx = 2xy = 20, df/dy = x^2 = 4
    gy, gx = al.autograd.grad(f, [y, x])
    close(gy, 4.0)
    close(gx, 20.0)


def test_grad_same_input_twice():
    x = al.tensor(2.0, requires_grad=True)
    g1, g2 = al.autograd.grad(x * x, [x, x])
    close(g1, 4.0)
    close(g2, 4.0)


def test_grad_outputs_weights():
    x = vec(1.0, 2.0)
    (g,) = al.autograd.grad(x * x, x, grad_outputs=al.tensor([3.0, -1.0]))  # 2x * v
    close(g, [6.0, -4.0])
    x2 = vec(1.0, 2.0)
    (g,) = al.autograd.grad([x2 * x2], [x2], grad_outputs=[al.tensor([1.0, 1.0])])
    close(g, [2.0, 4.0])


def test_grad_multiple_outputs_sum():
    x = al.tensor(2.0, requires_grad=True)
    (g,) = al.autograd.grad([x * x, x * 3.0], x)  # 2x + 3 = 7
    close(g, 7.0)


def test_grad_outputs_where_one_depends_on_another():
    x = al.tensor(2.0, requires_grad=True)
    y = x * x  # dy/dx = 2x = 4
    z = y * y  # dz/dx = 4x^3 = 32
    (g,) = al.autograd.grad([y, z], x)
    close(g, 36.0)


def test_grad_with_respect_to_a_non_leaf():
    x = vec(1.0, 2.0)
    h = x * 3.0
    loss = (h * h).sum()  # dloss/dh = 2h
    gh, gx = al.autograd.grad(loss, [h, x])
    close(gh, [6.0, 12.0])
    close(gx, [18.0, 36.0])
    assert x.grad is None


def test_grad_of_a_tensor_with_respect_to_itself():
    x = vec(1.0, 2.0)
    (g,) = al.autograd.grad(x, x, grad_outputs=al.tensor([5.0, 6.0]))
    close(g, [5.0, 6.0])
    (g,) = al.autograd.grad(x.sum(), x)
    close(g, [1.0, 1.0])


def test_grad_result_has_no_graph_without_create_graph():
    x = al.tensor(2.0, requires_grad=True)
    (g,) = al.autograd.grad(x * x, x)
    assert not g.requires_grad and g.grad_fn is None


def test_higher_order_derivatives_of_x_to_the_fourth():
    x = al.tensor(1.5, requires_grad=True)
    y = x**4
    (d1,) = al.autograd.grad(y, x, create_graph=True)  # 4x^3 = 13.5
    close(d1, 13.5)
    assert d1.requires_grad
    (d2,) = al.autograd.grad(d1, x, create_graph=True)  # 12x^2 = 27
    close(d2, 27.0)
    (d3,) = al.autograd.grad(d2, x, create_graph=True)  # 24x = 36
    close(d3, 36.0)
    (d4,) = al.autograd.grad(d3, x)  # 24
    close(d4, 24.0)
    assert not d4.requires_grad


def test_mixed_second_derivative_and_hessian_vector_product():
    x = al.tensor(2.0, requires_grad=True)
    y = al.tensor(3.0, requires_grad=True)
    f = x * x * y * y  # df/dx = 2xy^2 = 36; d2f/dxdy = 4xy = 24; d2f/dx2 = 2y^2 = 18
    (fx,) = al.autograd.grad(f, x, create_graph=True)
    close(fx, 36.0)
    fxx, fxy = al.autograd.grad(fx, [x, y])
    close(fxx, 18.0)
    close(fxy, 24.0)


def test_create_graph_through_backward_of_a_product_of_vectors():
    x = vec(1.0, 2.0, 3.0)
    (g,) = al.autograd.grad((x * x * x).sum(), x, create_graph=True)  # 3x^2
    close(g, [3.0, 12.0, 27.0])
    (h,) = al.autograd.grad(g.sum(), x)  # 6x
    close(h, [6.0, 12.0, 18.0])


def test_grad_allow_unused_returns_none():
    x = al.tensor(1.0, requires_grad=True)
    w = al.tensor(2.0, requires_grad=True)
    gx, gw = al.autograd.grad(x * 3.0, [x, w], allow_unused=True)
    close(gx, 3.0)
    assert gw is None


def test_grad_materialize_grads_gives_zeros_for_unused():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0, 5.0)
    gx, gw = al.autograd.grad((x * 3.0).sum(), [x, w], materialize_grads=True)
    close(gx, [3.0, 3.0])
    close(gw, [0.0, 0.0, 0.0])
    assert gw.dtype == w.dtype and not gw.requires_grad


def test_grad_materialize_grads_rejects_allow_unused_false():
    x = al.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="allow_unused"):
        al.autograd.grad(x * 2.0, x, allow_unused=False, materialize_grads=True)


def test_grad_unused_input_error_names_the_index():
    x = al.tensor(1.0, requires_grad=True)
    unused = al.tensor(1.0, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="The differentiated Tensor at index 1 appears to not have been used in the graph",
    ):
        al.autograd.grad(x * 2.0, [x, unused])


def test_grad_unused_input_index_zero():
    x = al.tensor(1.0, requires_grad=True)
    unused = al.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="index 0 appears to not have been used"):
        al.autograd.grad(x * 2.0, [unused, x])


# =======================================================================================
# error messages (API.md)
def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.tensor(1.0).backward()
    x = al.tensor(1.0, requires_grad=True)
    with al.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.autograd.backward([x * 2.0, al.tensor(1.0)])


def test_grad_of_output_without_grad_raises():
    x = al.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.autograd.grad(al.tensor(1.0), x)


def test_grad_with_respect_to_input_without_grad_raises():
    x = al.tensor(1.0, requires_grad=True)
    w = al.tensor(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        al.autograd.grad(x * w, w)


def test_implicit_grad_only_for_scalar_outputs():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match=NOT_SCALAR):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match=NOT_SCALAR):
        al.autograd.grad(x * 2.0, x)
    # A one-element tensor that is not 0-d is fine, as in PyTorch.
    y = al.tensor([2.0], requires_grad=True)
    (y * y).backward()
    close(y.grad, [4.0])


def test_gradient_shape_mismatch():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2.0).backward(al.tensor([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        al.autograd.grad(x * 2.0, x, grad_outputs=al.tensor([[1.0, 1.0]]))


def test_grad_tensors_count_must_match():
    x = vec(1.0, 2.0)
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        al.autograd.backward([x.sum(), x.sum()], [al.tensor(1.0)])


# =======================================================================================
# accumulation
def test_two_backward_calls_sum_into_grad():
    x = vec(1.0, 2.0)
    (x * x).sum().backward()  # 2x
    (x * 3.0).sum().backward()  # + 3
    close(x.grad, [5.0, 7.0])


def test_accumulation_keeps_the_same_grad_object_in_place():
    # PyTorch adds later gradients into the existing .grad tensor (no grad mode).
    x = vec(1.0, 2.0)
    (x * x).sum().backward()
    g0 = x.grad
    (x * x).sum().backward()
    assert x.grad is g0
    close(g0, [4.0, 8.0])


def test_setting_grad_to_none_restarts_accumulation():
    x = vec(1.0, 2.0)
    (x * x).sum().backward()
    x.grad = None
    (x * 3.0).sum().backward()
    close(x.grad, [3.0, 3.0])


def test_x_used_many_times_sums_all_paths():
    x = al.tensor(2.0, requires_grad=True)
    y = x * x * x  # 3x^2 = 12
    y.backward()
    close(x.grad, 12.0)
    x.grad = None
    total = x
    for _ in range(99):
        total = total + x  # 100 x
    total.backward()
    close(x.grad, 100.0)


def test_diamond_graph_sums_where_paths_meet():
    x = al.tensor(2.0, requires_grad=True)
    a = x * 2.0  # a = 2x
    b = x * 3.0  # b = 3x
    c = a * b  # 6x^2 -> 12x = 24
    d = c + a  # + 2 = 26
    d.backward()
    close(x.grad, 26.0)


def test_wide_diamond_and_broadcast():
    x = vec(1.0, 2.0)
    s = al.tensor(3.0, requires_grad=True)
    y = x * s  # broadcast: dy/ds summed over x = 3
    z = (y + x * x + s).sum()  # dz/dx = s + 2x = [5, 7]; dz/ds = sum(x) + 2 = 5
    z.backward()
    close(x.grad, [5.0, 7.0])
    close(s.grad, 5.0)


def test_leaf_grad_is_not_aliased_with_the_user_gradient():
    x = vec(1.0, 2.0)
    g = al.tensor([1.0, 1.0])
    x.backward(g)
    assert x.grad is not g
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    x.grad.numpy()[0] = 100.0  # writing into .grad leaves the user's tensor alone
    close(g, [1.0, 1.0])
    x.backward(g)  # later accumulation neither
    close(g, [1.0, 1.0])
    close(x.grad, [101.0, 2.0])


def test_leaf_grad_through_an_op_is_not_aliased_with_the_user_gradient():
    x = vec(1.0, 2.0)
    y = x + 0.0
    g = al.tensor([1.0, 1.0])
    y.backward(g, retain_graph=True)
    y.backward(g)
    close(g, [1.0, 1.0])
    close(x.grad, [2.0, 2.0])
    assert not np.shares_memory(x.grad.numpy(), g.numpy())


def test_two_leaves_fed_by_one_gradient_do_not_share_grad_memory():
    x = vec(1.0, 2.0)
    z = vec(3.0, 4.0)
    (x + z).sum().backward()  # AddBackward hands the same gradient to both
    assert not np.shares_memory(x.grad.numpy(), z.grad.numpy())
    (x + z).sum().backward()
    close(x.grad, [2.0, 2.0])
    close(z.grad, [2.0, 2.0])
    x.grad.numpy()[:] = 0.0
    close(z.grad, [2.0, 2.0])


def test_leaf_grad_is_writable():
    x = vec(1.0, 2.0, 3.0)
    x.sum().backward()  # the sum's gradient is a broadcast; .grad must still be writable
    x.grad.numpy()[1] = 7.0
    close(x.grad, [1.0, 7.0, 1.0])


def test_create_graph_grad_is_not_the_user_gradient_object():
    x = vec(1.0, 2.0)
    g = al.tensor([1.0, 1.0])
    x.backward(g, create_graph=True)
    assert x.grad is not g
    close(x.grad, [1.0, 1.0])
    x.backward(g, create_graph=True)
    close(x.grad, [2.0, 2.0])
    close(g, [1.0, 1.0])


def test_retain_grad_on_non_leaf_stores_and_accumulates():
    x = vec(1.0, 2.0)
    y = x * 2.0
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()  # dz/dy = 2y = [4, 8]
    z.backward(retain_graph=True)
    close(y.grad, [4.0, 8.0])
    z.backward()
    close(y.grad, [8.0, 16.0])
    close(x.grad, [16.0, 32.0])


def test_retain_grad_is_not_aliased_with_the_user_gradient():
    x = vec(1.0, 2.0)
    y = x * 2.0
    y.retain_grad()
    g = al.tensor([1.0, 1.0])
    y.backward(g)
    assert not np.shares_memory(y.grad.numpy(), g.numpy())
    y.grad.numpy()[0] = 9.0
    close(g, [1.0, 1.0])
    close(x.grad, [2.0, 2.0])


def test_retain_grad_on_leaf_is_a_no_op_and_twice_is_fine():
    x = vec(1.0)
    x.retain_grad()
    assert not x.retains_grad  # leaves keep their grad anyway (as PyTorch)
    y = x * 2.0
    y.retain_grad()
    y.retain_grad()
    y.sum().backward()
    close(y.grad, [1.0])


def test_retain_grad_requires_grad():
    msg = "can't retain_grad on Tensor that has requires_grad=False"
    with pytest.raises(RuntimeError, match=msg):
        al.tensor(1.0).retain_grad()


def test_non_leaf_grad_warns_without_retain_grad():
    x = vec(1.0)
    y = x * 2.0
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(x.grad, [2.0])  # no warning for a leaf


def test_retain_grad_with_create_graph_keeps_the_graph():
    x = al.tensor(3.0, requires_grad=True)
    y = x * x
    y.retain_grad()
    (y * y).backward(create_graph=True)  # dL/dy = 2y = 2x^2 = 18
    close(y.grad, 18.0)
    assert y.grad.requires_grad
    (g,) = al.autograd.grad(y.grad, x)  # d(2x^2)/dx = 4x = 12
    close(g, 12.0)


# =======================================================================================
# freeing: refcounting alone, no reference cycles
class _NoGC:
    def __enter__(self):
        self.was = gc.isenabled()
        gc.collect()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


def _build(x, w):
    h = x * w
    e = h.exp()  # saves its output
    s = e.sin()
    m = s * h
    m.retain_grad()
    loss = m.sum()
    refs = [weakref.ref(t) for t in (h, e, s, m)]
    refs += [weakref.ref(t.grad_fn) for t in (h, e, s, m, loss)]
    return loss, refs


def test_graph_is_freed_by_refcounting_after_backward():
    with _NoGC():
        x = vec(0.1, 0.2)
        w = vec(0.3, 0.4)
        loss, refs = _build(x, w)
        acc = weakref.ref(loss.grad_fn.next_functions[0][0].next_functions[0][0])
        assert all(r() is not None for r in refs[4:])  # the nodes live while loss does
        loss.backward()
        del loss
        assert [r() for r in refs] == [None] * len(refs)
        assert acc() is None
        assert x.grad is not None and w.grad is not None


def test_graph_is_freed_without_backward():
    with _NoGC():
        x = vec(0.1, 0.2)
        loss, refs = _build(x, vec(0.3, 0.4))
        del loss
        assert [r() for r in refs] == [None] * len(refs)


def test_graph_is_freed_after_grad_and_create_graph():
    with _NoGC():
        x = vec(0.1, 0.2)
        loss, refs = _build(x, vec(0.3, 0.4))
        (g,) = al.autograd.grad(loss, x, create_graph=True)
        (gg,) = al.autograd.grad(g.sum(), x)
        gref = weakref.ref(g.grad_fn)
        del loss, g
        assert [r() for r in refs] == [None] * len(refs)
        assert gref() is None
        assert gg.shape == (2,)


def test_graph_with_hooks_is_freed():
    with _NoGC():
        x = vec(1.0, 2.0)
        y = x * 2.0
        calls = []
        y.register_hook(lambda g: calls.append(1))
        y.grad_fn.register_prehook(lambda go: None)
        y.grad_fn.register_hook(lambda gi, go: None)
        loss = (y * y).sum()
        refs = [weakref.ref(y), weakref.ref(y.grad_fn), weakref.ref(loss.grad_fn)]
        loss.backward()
        del y, loss
        assert [r() for r in refs] == [None, None, None]
        assert calls == [1]


def _busy_workload():
    x = vec(0.1, 0.2)
    w = vec(0.3, 0.4)
    h = x * w
    h.retain_grad()
    h.register_hook(lambda g: g * 2.0)
    h.grad_fn.register_prehook(lambda go: None)
    h.grad_fn.register_hook(lambda gi, go: None)
    x.register_post_accumulate_grad_hook(lambda t: None)
    loss = (h.exp() * h).sum()
    loss.backward(retain_graph=True)
    (g,) = al.autograd.grad(loss, x, create_graph=True)
    (gg,) = al.autograd.grad(g.sum(), w)
    steps = list(al.autograd.backward_steps((x * x).sum()))
    with al.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda t: t):
        y = (x * w).exp()
    y.sum().backward()
    with al.autograd.detect_anomaly():
        z = (x * w).sin().sum()
    z.backward()
    (x * w).sum().backward(inputs=[w])

    @al.no_grad()
    def gen():
        yield x * 2.0

    list(gen())
    return gg, steps


def test_no_reference_cycles_anywhere():
    # With the cycle collector off, everything a typical session makes (graphs, hooks,
    # retain_grad, create_graph, backward_steps, saved-tensor hooks, anomaly traces)
    # must be freed by reference counting alone: the collector finds nothing.
    with _NoGC():
        result = _busy_workload()
        assert len(result[1]) == 3
        del result
        assert gc.collect() == 0


def test_saved_tensors_are_released_after_backward():
    with _NoGC():
        x = vec(1.0, 2.0)
        h = x * 2.0
        loss = (h * h).sum()  # MulBackward0 saves h (twice)
        href = weakref.ref(h)
        del h
        assert href() is not None  # kept alive for backward
        loss.backward(retain_graph=True)
        assert href() is not None  # retain_graph keeps it
        loss.backward()
        assert href() is None  # freed, while loss is still alive
        assert loss.grad_fn is not None
        close(x.grad, [16.0, 32.0])  # 2 * (8x)


def test_grad_releases_saved_tensors_too():
    with _NoGC():
        x = vec(1.0, 2.0)
        h = x * 2.0
        loss = (h * h).sum()
        href = weakref.ref(h)
        del h
        al.autograd.grad(loss, x)
        assert href() is None


# =======================================================================================
# long chains: no recursion anywhere
def test_million_op_chain_forward_backward_and_delete():
    x = al.tensor(1.0, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    built = time.perf_counter()
    y.backward()
    ran = time.perf_counter()
    close(y, 1_000_001.0)
    close(x.grad, 1.0)  # d(x + 10^6)/dx
    del y  # a million nodes freed one after another, not recursively
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stderr.write(
        f"\n1M chain: forward {built - start:.1f}s, backward {ran - built:.1f}s, "
        f"delete {done - ran:.1f}s, peak RSS {peak_mb:.0f} MB\n"
    )
    assert x.grad_fn is None


def test_long_chain_with_saved_tensors_deleted_without_backward():
    w = al.tensor(1.0)
    x = al.tensor(2.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * w  # each node saves the previous tensor: a second chain of references
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None


def test_long_chain_grad_and_create_graph():
    x = al.tensor(3.0, requires_grad=True)
    y = x * x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    (g,) = al.autograd.grad(y, x, create_graph=True)  # 2x, through 40k recorded nodes
    close(g, 6.0)
    assert g.requires_grad
    (gg,) = al.autograd.grad(g, x)  # 2
    close(gg, 2.0)
    del g, y


# =======================================================================================
# backward_steps
def test_backward_steps_yields_each_node_in_order():
    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    loss = (x * w).sum()
    steps = list(al.autograd.backward_steps(loss))
    assert all(isinstance(s, BackwardStep) for s in steps)
    assert [s.index for s in steps] == [0, 1, 2, 3]
    names = [s.node.name() for s in steps]
    assert names == ["SumBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    assert steps[0].node is loss.grad_fn
    close(steps[0].grad_outputs[0], 1.0)
    assert len(steps[0].grad_inputs) == 1
    close(steps[0].grad_inputs[0], [1.0, 1.0])
    mul = steps[1]
    close(mul.grad_outputs[0], [1.0, 1.0])
    close(mul.grad_inputs[0], [3.0, 4.0])  # d/dx = w
    close(mul.grad_inputs[1], [1.0, 2.0])  # d/dw = x
    acc = {s.node.variable: s for s in steps[2:]}
    assert set(acc) == {x, w}
    close(acc[x].variable_grad, [3.0, 4.0])
    close(acc[w].variable_grad, [1.0, 2.0])
    assert acc[x].grad_inputs == ()
    assert steps[0].variable_grad is None and mul.variable_grad is None
    close(x.grad, [3.0, 4.0])
    close(w.grad, [1.0, 2.0])


def test_backward_steps_fills_grads_step_by_step_like_backward():
    def graph():
        x = vec(1.0, 2.0)
        w = vec(0.5, -1.0)
        return x, w, ((x * w).exp() * x).sum()

    x1, w1, loss1 = graph()
    loss1.backward()
    x2, w2, loss2 = graph()
    it = al.autograd.backward_steps(loss2)
    first = next(it)
    assert first.node is loss2.grad_fn
    assert x2.grad is None and w2.grad is None  # nothing accumulated yet
    rest = list(it)
    assert [s.index for s in rest] == list(range(1, len(rest) + 1))
    np.testing.assert_array_equal(arr(x2.grad), arr(x1.grad))
    np.testing.assert_array_equal(arr(w2.grad), arr(w1.grad))


def test_backward_steps_variable_grad_is_a_snapshot():
    x = vec(1.0)
    (x * 2.0).sum().backward()
    steps = list(al.autograd.backward_steps((x * 3.0).sum()))
    close(steps[-1].variable_grad, [5.0])  # 2 + 3 after this step
    (x * 10.0).sum().backward()
    close(steps[-1].variable_grad, [5.0])  # unchanged by a later backward
    close(x.grad, [15.0])


def test_backward_steps_frees_graph_and_respects_retain_graph():
    x = vec(1.0)
    loss = (x * x).sum()
    list(al.autograd.backward_steps(loss, retain_graph=True))
    list(al.autograd.backward_steps(loss))
    close(x.grad, [4.0])
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        list(al.autograd.backward_steps(loss))


def test_backward_steps_caller_keeps_its_grad_mode_between_steps():
    x = vec(1.0)
    loss = (x * x).sum()
    with al.no_grad():
        modes = [al.is_grad_enabled()
                 for _ in al.autograd.backward_steps(loss, create_graph=True)]
        assert not al.is_grad_enabled()
    assert modes == [False, False, False]  # the engine's create_graph mode stays inside
    assert x.grad.requires_grad  # but the backward itself ran with grad mode on
    close(x.grad, [2.0])


def test_backward_steps_inputs():
    x = vec(1.0)
    w = vec(2.0)
    steps = list(al.autograd.backward_steps((x * w).sum(), inputs=[w]))
    assert [s.node.name() for s in steps] == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    assert steps[-1].node.variable is w
    assert x.grad is None
    close(w.grad, [1.0])


# =======================================================================================
# anomaly mode
def test_detect_anomaly_names_the_node_and_the_forward_line():
    x = al.tensor(0.0, requires_grad=True)
    with al.autograd.detect_anomaly():
        assert al.autograd.is_anomaly_enabled()
        y = x.sqrt() * 0.0  # d sqrt at 0: 0 / (2 * 0) = nan
        with np.errstate(invalid="ignore"):
            with pytest.raises(RuntimeError, match="SqrtBackward0") as info:
                y.backward()
    assert not al.autograd.is_anomaly_enabled()
    msg = str(info.value)
    assert "returned nan values in its 0th output" in msg
    assert os.path.basename(__file__) in msg
    assert "y = x.sqrt() * 0.0" in msg  # the forward line itself


def test_detect_anomaly_check_nan_false_records_but_does_not_check():
    x = al.tensor(0.0, requires_grad=True)
    with al.autograd.detect_anomaly(check_nan=False):
        y = x.sqrt() * 0.0
        with np.errstate(invalid="ignore"):
            y.backward()
    assert np.isnan(x.grad.item())
    assert y.grad_fn._anomaly_trace is not None


def test_detect_anomaly_adds_the_forward_trace_to_any_backward_error():
    x = al.tensor(2.0, requires_grad=True)
    with al.autograd.detect_anomaly():
        y = x * x  # the line the note must show
        y.backward()
        with pytest.raises(RuntimeError, match=SECOND_TIME) as info:
            y.backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "Error detected in MulBackward0" in notes
    assert "y = x * x  # the line the note must show" in notes


def test_without_anomaly_mode_nan_passes_silently():
    x = al.tensor(0.0, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        (x.sqrt() * 0.0).backward()
    assert np.isnan(x.grad.item())


def test_set_detect_anomaly_plain_call_and_context():
    assert not al.autograd.is_anomaly_enabled()
    al.autograd.set_detect_anomaly(True)
    try:
        assert al.autograd.is_anomaly_enabled()
    finally:
        al.autograd.set_detect_anomaly(False)
    assert not al.autograd.is_anomaly_enabled()
    with al.autograd.set_detect_anomaly(True):
        assert al.autograd.is_anomaly_enabled()
    assert not al.autograd.is_anomaly_enabled()


def test_anomaly_mode_does_not_fire_on_finite_grads():
    x = al.tensor(4.0, requires_grad=True)
    with al.autograd.detect_anomaly():
        x.sqrt().backward()  # 1 / (2 * 2)
    close(x.grad, 0.25)


# =======================================================================================
# saved_tensors_hooks
def test_saved_tensors_hooks_pack_and_unpack():
    packed, unpacked = [], []

    def pack(t):
        packed.append(t)
        return ("box", arr(t).copy())

    def unpack(box):
        unpacked.append(box)
        return al.tensor(box[1])

    x = vec(1.0, 2.0)
    w = vec(3.0, 4.0)
    with al.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = x * w  # saves self and other
    assert len(packed) == 2
    assert {id(t) for t in packed} == {id(x), id(w)}
    assert unpacked == []
    z = y * 2.0  # made outside the block: nothing packed
    assert len(packed) == 2
    z.sum().backward()
    assert len(unpacked) == 2 and all(b[0] == "box" for b in unpacked)
    close(x.grad, [6.0, 8.0])  # 2w
    close(w.grad, [2.0, 4.0])  # 2x


def test_saved_tensors_hooks_unpack_controls_what_backward_sees():
    x = al.tensor(3.0, requires_grad=True)
    with al.autograd.graph.saved_tensors_hooks(lambda t: None, lambda _: al.tensor(10.0)):
        y = x * x
    y.backward()  # both saved values read back as 10: 10 + 10
    close(x.grad, 20.0)


def test_saved_tensors_hooks_on_a_saved_output_and_nesting():
    seen = []
    x = al.tensor(1.0, requires_grad=True)
    outer = al.autograd.graph.saved_tensors_hooks(lambda t: seen.append("outer") or arr(t).copy(),
                                                  lambda a: al.tensor(a))
    inner = al.autograd.graph.saved_tensors_hooks(lambda t: seen.append("inner") or arr(t).copy(),
                                                  lambda a: al.tensor(a))
    with outer:
        with inner:
            e = x.exp()  # saves its result
        f = e * 1.0
        g = f.exp()
    assert seen == ["inner", "outer"]
    g.backward()  # d exp(exp(x)) = exp(exp(x)) * exp(x)
    close(x.grad, np.exp(np.e) * np.e)


def test_saved_tensors_hooks_after_backward_still_free():
    x = al.tensor(2.0, requires_grad=True)
    with al.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward()


# =======================================================================================
# PyTorch as an oracle (only where torch is installed)
def test_oracle_accumulation_hooks_and_retain_grad_match_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
        w = lib.tensor([1.5, 0.25, -2.0], requires_grad=True)
        h = x * w
        h.retain_grad()
        h.register_hook(lambda g: g * 2.0)
        a = (h * h).sum()
        b = (h * x).sum()
        lib.autograd.backward([a, b], retain_graph=True)
        (a * 3.0).backward(retain_graph=True)
        (gx, gw) = lib.autograd.grad(a + b * b, [x, w])
        return [t.detach().numpy().astype(np.float64) for t in (x.grad, w.grad, h.grad, gx, gw)]

    for mine, theirs in zip(run(al), run(torch), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5)


def test_oracle_double_backward_matches_pytorch():
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([0.3, 1.2], requires_grad=True)
        y = lib.tensor([2.0, -0.7], requires_grad=True)
        f = (x * x * y + (x * y).exp()).sum()
        gx, gy = lib.autograd.grad(f, [x, y], create_graph=True)
        hxx, hxy = lib.autograd.grad((gx * gx).sum() + gy.sum(), [x, y])
        return [t.detach().numpy().astype(np.float64) for t in (gx, gy, hxx, hxy)]

    for mine, theirs in zip(run(al), run(torch), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5)


def test_grad_outputs_that_require_grad_give_the_double_backward_trick():
    # J^T v is linear in v; differentiating it w.r.t. v gives back J (here diag(2x)).
    x = vec(1.0, 2.0)
    v = vec(1.0, 1.0)
    (g,) = al.autograd.grad(x * x, x, grad_outputs=v, create_graph=True)  # 2x * v
    close(g, [2.0, 4.0])
    assert g.requires_grad
    (gv,) = al.autograd.grad(g.sum(), v)
    close(gv, [2.0, 4.0])


def test_backward_pauses_the_cyclic_collector_and_restores_it():
    """Note [No garbage collection during backward]: paused inside, restored after, and
    left off if the caller had it off."""
    import gc

    seen = []
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    y.grad_fn.register_prehook(lambda grads: seen.append(gc.isenabled()))
    assert gc.isenabled()
    y.backward()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        (x * 3).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    steps = al.autograd.backward_steps((x * 4).sum())
    next(steps)
    assert gc.isenabled()  # between steps, the caller's code runs with its own setting
    list(steps)
    assert gc.isenabled()
