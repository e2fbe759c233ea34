"""Seed 000, PyTorch's test/test_autograd_fallback.py, ported to autograd_lab.

Custom ops with a schema and a compute ("CPU") kernel but no autograd formula: what the
autograd fallback does in its two modes. Each PyTorch test is kept, with the same name,
the same steps and the same expectations; ``torch`` became ``al``.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import autograd_lab as al
from autograd_lab.library import _scoped_library, autograd_fallback_mode

TEST_NS = "_test_autograd_fallback"
MODES = ("nothing", "warn")


@pytest.fixture
def libraries():
    """setUp/tearDown of the PyTorch test: libraries made here are destroyed after."""
    made = []
    yield made
    if hasattr(al.ops, TEST_NS):
        delattr(al.ops, TEST_NS)
    for lib in made:
        lib._destroy()


def get_op(name):
    return getattr(getattr(al.ops, TEST_NS), name).default


def get_lib(libraries):
    result = al.library.Library(TEST_NS, "FRAGMENT")
    libraries.append(result)
    return result


def check_ctx(mode, *, mode_nothing_raises=False):
    if mode == "warn":
        return pytest.warns(UserWarning, match="an autograd kernel was not registered")
    assert mode == "nothing"
    if mode_nothing_raises:
        return pytest.raises(RuntimeError, match="does not require grad")
    return contextlib.nullcontext()


def assert_equal(actual, expected):
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(),
                               rtol=1.3e-6, atol=1e-5)


class UndefinedGrad(al.autograd.Function):
    """Stands in for ``torch._C._functions.UndefinedGrad()``: passes values through and
    sends back an undefined (None) gradient."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return None


@pytest.mark.parametrize("mode", MODES)
def test_no_grad(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a, Tensor b, int c) -> Tensor")
        lib.impl("foo", lambda a, b, c: a + b + c, "CPU")
        op = get_op("foo")

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with al.no_grad():
                a = al.randn([], requires_grad=True)
                b = al.randn([], requires_grad=True)
                out = op(a, b, 1)
            assert not out.requires_grad

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a = al.randn([])
            b = al.randn([])
            out = op(a, b, 1)
            assert not out.requires_grad


@pytest.mark.parametrize("mode", MODES)
def test_no_autograd_kernel(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a, Tensor b, int c) -> Tensor")
        op = get_op("foo")

        def foo_impl(a, b, c):
            result = a.detach().numpy() + b.detach().numpy() + c
            return al.tensor(result)

        lib.impl("foo", foo_impl, "CPU")

        # Some inputs requiring grad
        a = al.randn([], requires_grad=False)
        b = al.randn([], requires_grad=True)
        out = op(a, b, 1).sum()
        with check_ctx(mode, mode_nothing_raises=True):
            out.backward()
        assert b.grad is None


@pytest.mark.parametrize("mode", MODES)
def test_no_autograd_kernel_inplace(mode, libraries):
    with autograd_fallback_mode(mode):
        # input modified in-place gets returned as output
        lib = get_lib(libraries)
        lib.define("foo(Tensor(a!) self, Tensor(b!) y) -> (Tensor(a!), Tensor(b!))")
        op = get_op("foo")

        def foo_impl(x, y):
            with al.no_grad():
                x.sin_()
                y.cos_()
            return x, y

        lib.impl("foo", foo_impl, "CPU")

        x = al.randn(3, requires_grad=True)
        w = x.clone()
        v = x.clone()
        y0 = w[0]
        y1 = v[1]
        z0, z1 = op(y0, y1)
        for tensor in [w, v, z0, z1, y0, y1]:
            with check_ctx(mode):
                tensor.sum().backward(retain_graph=True)

        # no outputs: we don't do anything. Maybe we should in the future.
        # This is not a common failure mode.
        lib.define("bar(Tensor(a!) self) -> ()")
        op = get_op("bar")

        def bar_impl(x):
            with al.no_grad():
                x.sin_()

        lib.impl("bar", bar_impl, "CPU")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = al.randn([], requires_grad=True)
            y = x.clone()
            op(y)
            y.backward()
            assert_equal(x.grad, al.ones_like(x))


@pytest.mark.parametrize("mode", MODES)
def test_cpu_return_self(mode):
    with autograd_fallback_mode(mode):
        # To be clear, none of these situations are OK and will lead
        # to other problems down the line. We're testing them because
        # it is fairly common to actually do these things.
        with _scoped_library(TEST_NS, "FRAGMENT") as lib:
            lib.define("foo(Tensor self) -> Tensor")
            lib.impl("foo", lambda x: x, "CPU")
            op = get_op("foo")

            x = al.randn(3, requires_grad=True)
            y = op(x).sum()
            with check_ctx(mode):
                y.backward()
                assert_equal(x.grad, al.ones_like(x))

            lib.define("bar(Tensor(a!) self) -> Tensor(a!)")
            lib.impl("bar", lambda x: x, "CPU")
            op = get_op("bar")

            x = al.randn(3, requires_grad=True)
            y = op(x).sum()
            with check_ctx(mode):
                y.backward()
                assert_equal(x.grad, al.ones_like(x))


@pytest.mark.parametrize("mode", MODES)
def test_composite_registered_to_cpu(mode):
    with autograd_fallback_mode(mode):
        with _scoped_library(TEST_NS, "FRAGMENT") as lib:
            lib.define("foo(Tensor self) -> Tensor")
            lib.impl("foo", lambda x: x.sin().sum(), "CPU")
            op = get_op("foo")

            x = al.randn(3, requires_grad=True)
            y = op(x)
            with check_ctx(mode):
                y.backward()
                assert_equal(x.grad, x.cos())


@pytest.mark.parametrize("mode", MODES)
def test_autograd_function_registered_to_cpu(mode):
    with autograd_fallback_mode(mode):
        with _scoped_library(TEST_NS, "FRAGMENT") as lib:
            lib.define("foo(Tensor self) -> Tensor")

            class NumpySin(al.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return al.tensor(np.sin(x.cpu().numpy()))

                @staticmethod
                def backward(ctx, gx):
                    (x,) = ctx.saved_tensors
                    return gx * x.cos()

            lib.impl("foo", NumpySin.apply, "CPU")
            op = get_op("foo")

            x = al.randn(3, requires_grad=True)
            y = op(x).sum()
            with check_ctx(mode):
                y.backward()
                assert_equal(x.grad, x.cos())


@pytest.mark.parametrize("mode", MODES)
def test_inplace_autograd_function_registered_to_cpu(mode):
    with autograd_fallback_mode(mode):
        with _scoped_library(TEST_NS, "FRAGMENT") as lib:
            lib.define("foo(Tensor(a!) self) -> Tensor(a!)")

            class NumpySin_(al.autograd.Function):  # noqa: N801 - PyTorch's name
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x.clone())
                    x_np = x.detach().numpy()
                    np.sin(x_np, out=x_np)
                    ctx.mark_dirty(x)
                    return x

                @staticmethod
                def backward(ctx, gx):
                    (x,) = ctx.saved_tensors
                    return gx * x.cos()

            lib.impl("foo", NumpySin_.apply, "CPU")
            op = get_op("foo")

            x = al.randn(3, requires_grad=True)
            z = x.clone()
            w = z[0]
            y = op(w)

            expected = al.zeros_like(x)
            expected[0] = x[0].cos()
            with check_ctx(mode):
                (gx,) = al.autograd.grad(y, x, al.ones_like(y), retain_graph=True)
                assert_equal(gx, expected)

            expected = al.ones_like(x)
            expected[0] = x[0].cos()
            with check_ctx(mode):
                (gx,) = al.autograd.grad(z, x, al.ones_like(z))
                assert_equal(gx, expected)


@pytest.mark.parametrize("mode", MODES)
def test_inplace_on_tensor_that_does_not_require_grad(mode):
    # We don't do anything special (that is, we don't rebase history).
    # See NOTE [autograd fallback and in-place operations] for why
    with autograd_fallback_mode(mode):
        with _scoped_library(TEST_NS, "FRAGMENT") as lib:
            # Correct usage of (a!)
            lib.define("foo(Tensor(a!) self, Tensor other) -> Tensor(a!)")

            def foo_impl(x, y):
                x_d = x.detach()
                y = y.detach()
                x_d.add_(y)
                return x

            lib.impl("foo", foo_impl, "CPU")
            foo = get_op("foo")

            # Incorrect usage of (a!): user doesn't return tensor as-is
            lib.define("bar(Tensor(a!) self, Tensor other) -> Tensor(a!)")

            def bar_impl(x, y):
                x_d = x.detach()
                y = y.detach()
                x_d.add_(y)
                return x_d.clone()

            lib.impl("bar", bar_impl, "CPU")
            bar = get_op("bar")

            # User mutated input tensor but didn't return it.
            lib.define("baz(Tensor(a!) self, Tensor other) -> ()")

            def baz_impl(x, y):
                x_d = x.detach()
                y = y.detach()
                x_d.add_(y)

            lib.impl("baz", baz_impl, "CPU")
            baz = get_op("baz")

            # Test in-place on non-view
            for op in (foo, bar, baz):
                x = al.randn(3)
                y = al.randn(3, requires_grad=True)
                with pytest.raises(RuntimeError, match="does not require grad"):
                    z = x.clone()
                    op(z, y)
                    al.autograd.grad(z, y, al.ones_like(z), allow_unused=True)

            # Test in-place on view
            for op in (foo, bar, baz):
                x = al.randn(3)
                y = al.randn(3, requires_grad=True)
                with pytest.raises(RuntimeError, match="does not require grad"):
                    z = x[:]
                    op(z, y)
                    al.autograd.grad(z, x, al.ones_like(z), allow_unused=True)


@pytest.mark.parametrize("mode", MODES)
def test_post_autograd_returns_leaf(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a) -> (Tensor, Tensor)")
        op = get_op("foo")

        lib.impl("foo", lambda a: (a.clone(), a.detach().clone().requires_grad_()), "CPU")
        x = al.randn(3, requires_grad=True)
        _, z = op(x)
        with check_ctx(mode):
            z.sum().backward()


@pytest.mark.parametrize("mode", MODES)
def test_undefined_inputs_outputs(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a, Tensor b) -> (Tensor, Tensor)")
        op = get_op("foo")

        def foo_impl(a, b):
            return None, b.clone()

        lib.impl("foo", foo_impl, "CPU")

        x = al.randn(3, requires_grad=True)
        # NB: as in PyTorch's dispatcher, None stands for an undefined Tensor.
        _, z = op(None, x)
        with check_ctx(mode):
            z.sum().backward()


@pytest.mark.parametrize("mode", MODES)
def test_undefined_grads(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a, Tensor b) -> (Tensor, Tensor)")
        op = get_op("foo")

        def foo_impl(a, b):
            return a.sin(), b.cos()

        lib.impl("foo", foo_impl, "CPU")

        x = al.randn(3, requires_grad=True)
        y = al.randn(3)
        w, z = op(x, y)
        w = UndefinedGrad.apply(w)
        z = UndefinedGrad.apply(z)
        with check_ctx(mode):
            (z + w).sum().backward()


@pytest.mark.parametrize("mode", MODES)
def test_base_does_not_require_grad(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor(a!) x) -> Tensor(a!)")
        op = get_op("foo")

        def foo_impl(a):
            with al.no_grad():
                return a.zero_()

        lib.impl("foo", foo_impl, "CPU")
        x = al.randn(3)
        y = x[:]
        y.requires_grad_()
        w = y[:]
        assert w._base is x

        # Hook should be registered on w, but not w._base
        op(w)
        with check_ctx(mode):
            w.sum().backward()


@pytest.mark.parametrize("mode", MODES)
def test_post_autograd_returns_mix_of_requires_grad_tensors(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor a, Tensor b) -> (Tensor, Tensor, Tensor)")
        op = get_op("foo")

        def foo_impl(a, b):
            with al.no_grad():
                x = a.clone()
                z = b.clone()
            y = a * b
            return x, y, z

        lib.impl("foo", foo_impl, "CPU")
        a = al.randn(3, requires_grad=True)
        b = al.randn(3, requires_grad=True)
        x, y, z = op(a, b)

        with check_ctx(mode, mode_nothing_raises=True):
            al.autograd.grad(x, (a, b), al.ones_like(x), allow_unused=True, retain_graph=True)

        with check_ctx(mode, mode_nothing_raises=False):
            al.autograd.grad(y, (a, b), al.ones_like(y), allow_unused=True, retain_graph=True)

        with check_ctx(mode, mode_nothing_raises=True):
            al.autograd.grad(z, (a, b), al.ones_like(z), allow_unused=True, retain_graph=True)


@pytest.mark.parametrize("mode", MODES)
def test_supports_tensor_lists(mode, libraries):
    with autograd_fallback_mode(mode):
        lib = get_lib(libraries)
        lib.define("foo(Tensor[] a) -> Tensor[]")
        op = get_op("foo")

        def foo_impl(a):
            x, y, z = a
            with al.no_grad():
                return x + y + z, x * y * z

        lib.impl("foo", foo_impl, "CPU")
        x = al.randn(3, requires_grad=True)
        y = al.randn(1, requires_grad=True)
        z = al.randn(2, 1, requires_grad=True)
        a, b = op([x, y, z])
        with check_ctx(mode, mode_nothing_raises=True):
            al.autograd.grad(a, (x, y, z), al.ones_like(a), allow_unused=True,
                             retain_graph=True)
        with check_ctx(mode, mode_nothing_raises=True):
            al.autograd.grad(b, (x, y, z), al.ones_like(b), allow_unused=True,
                             retain_graph=True)


def test_fallback_mode_is_warn_by_default_and_rejects_unknown_modes():
    """Not in the seed: the default and the argument check it relies on."""
    assert al.library.get_autograd_fallback_mode() == "warn"
    with pytest.raises(ValueError, match="expected one of"):
        autograd_fallback_mode("loud")
