"""``al.library`` and ``al.ops``: defining ops, calling them, checking them.

Covers ``Library`` (define/impl/_destroy, kinds), ``_scoped_library``, the ``al.ops``
access forms, argument checking against the schema, which kernel a call runs, gradients
of CompositeImplicitAutograd and "Autograd" kernels, ``custom_op`` with
``register_autograd`` (against finite differences), and ``opcheck``. The autograd
fallback itself is seed 000's subject (tests/seeds/test_seed_000_autograd_fallback.py).
"""

from __future__ import annotations

import gc
import itertools

import numpy as np
import pytest
from helpers import assert_close, check_gradgrad, check_vjp, rand64

import autograd_lab as al
from autograd_lab.library import (
    Library,
    OpCheckError,
    _scoped_library,
    autograd_fallback_mode,
    custom_op,
    opcheck,
    register_autograd,
)
from autograd_lab.library.dispatch import SchemaMismatchError

_counter = itertools.count()


@pytest.fixture
def ns():
    """A fresh namespace per test; ``al.ops`` forgets it afterwards, as seed 000's tearDown."""
    name = f"_test_library_{next(_counter)}"
    yield name
    if hasattr(al.ops, name):
        delattr(al.ops, name)


@pytest.fixture
def lib(ns):
    with _scoped_library(ns, "FRAGMENT") as library:
        yield library


def op_of(ns, name, overload="default"):
    return getattr(getattr(getattr(al.ops, ns), name), overload)


# -- define, impl, call -----------------------------------------------------------------------
def test_define_impl_call(lib, ns):
    assert lib.define("foo(Tensor a, Tensor b, int c) -> Tensor") == "foo"
    lib.impl("foo", lambda a, b, c: a + b + c, "CompositeImplicitAutograd")
    a, b = al.tensor([1.0, 2.0]), al.tensor([10.0, 20.0])
    expected = [12.0, 23.0]
    assert op_of(ns, "foo")(a, b, 1).tolist() == expected
    assert getattr(al.ops, ns).foo(a, b, 1).tolist() == expected
    assert getattr(al.ops, ns).foo(a, b, c=1).tolist() == expected
    assert op_of(ns, "foo")(a=a, b=b, c=1).tolist() == expected


def test_overloads_and_packet_resolution(lib, ns):
    lib.define("scale(Tensor x, int k) -> Tensor")
    lib.define("scale.float(Tensor x, float k) -> Tensor")
    lib.define("scale.twice(Tensor x, Tensor y) -> Tensor")
    lib.impl("scale", lambda x, k: x * k)
    lib.impl("scale.float", lambda x, k: x * k + 0.5)
    lib.impl("scale.twice", lambda x, y: x * y * 2)
    packet = getattr(al.ops, ns).scale
    x = al.tensor([1.0])
    assert packet.overloads() == ["default", "float", "twice"]
    assert packet(x, 3).tolist() == [3.0]  # default first
    assert packet(x, 3.0).tolist() == [3.5]  # int does not accept a float: next overload
    assert packet(x, x).tolist() == [2.0]
    assert packet.float(x, 2).tolist() == [2.5]  # an int is a fine float
    with pytest.raises(SchemaMismatchError, match="no overload of .*scale accepts"):
        packet(x, "three")


def test_overload_objects(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    lib.define("foo.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)")
    default = op_of(ns, "foo")
    out = op_of(ns, "foo", "out")
    assert default.name() == f"{ns}::foo" and out.name() == f"{ns}::foo.out"
    assert str(default) == f"{ns}.foo.default"
    assert repr(out) == f"<OpOverload(op='{ns}.foo', overload='out')>"
    assert repr(getattr(al.ops, ns).foo) == f"<OpOverloadPacket(op='{ns}.foo')>"
    assert str(out._schema) == f"{ns}::foo.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)"
    assert default is op_of(ns, "foo")  # handles are stable
    assert "foo" in dir(getattr(al.ops, ns))


def test_unknown_op_and_overload_are_clear_attribute_errors(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    with pytest.raises(AttributeError, match=f"no operator {ns}::bar is defined .*foo"):
        getattr(al.ops, ns).bar  # noqa: B018
    with pytest.raises(AttributeError, match="has no overload named 'out' .*default"):
        getattr(al.ops, ns).foo.out  # noqa: B018
    assert not hasattr(getattr(al.ops, ns), "bar")


def test_namespace_attribute_can_be_deleted(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    assert hasattr(al.ops, ns)
    delattr(al.ops, ns)
    assert ns not in vars(al.ops)
    assert hasattr(getattr(al.ops, ns), "foo")  # made again on access; the op is still there


def test_any_identifier_is_a_namespace_and_dunders_are_not():
    """Built-in ops live in autograd_lab._ops, so al.ops has no reserved names."""
    with al.library._scoped_library("pointwise", "FRAGMENT") as lib:
        lib.define("twice(Tensor x) -> Tensor")
        lib.impl("twice", lambda x: x * 2, "CompositeImplicitAutograd")
        assert al.ops.pointwise.twice(al.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(AttributeError):
        al.ops.__wrapped__  # noqa: B018 - dunders are never namespaces


# -- Library kinds and lifetime ------------------------------------------------------------------
def test_one_def_library_per_namespace(ns):
    first = Library(ns, "DEF")
    try:
        with pytest.raises(RuntimeError, match="only one Library.*'DEF'.*FRAGMENT"):
            Library(ns, "DEF")
        Library(ns, "FRAGMENT")._destroy()  # fragments are fine alongside
    finally:
        first._destroy()
    Library(ns, "DEF")._destroy()  # free again once destroyed


def test_impl_library_cannot_define(ns):
    with _scoped_library(ns, "IMPL") as lib, pytest.raises(RuntimeError, match="IMPL library"):
        lib.define("foo(Tensor x) -> Tensor")


@pytest.mark.parametrize(("args", "error", "match"), [
    (("bad ns", "FRAGMENT"), ValueError, "Python identifier"),
    (("ok_ns", "SOMETHING"), ValueError, "kind must be one of DEF, FRAGMENT, IMPL"),
    (("ok_ns", "FRAGMENT", "CUDA"), ValueError, "unknown dispatch key 'CUDA'"),
])
def test_library_constructor_errors(args, error, match):
    with pytest.raises(error, match=match):
        Library(*args)


def test_define_errors(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match=f"{ns}::foo is already defined"):
        lib.define("foo(Tensor y) -> Tensor")
    with pytest.raises(ValueError, match="'default' is reserved"):
        lib.define("bar.default(Tensor x) -> Tensor")
    with pytest.raises(ValueError, match="names namespace 'elsewhere'"):
        lib.define("elsewhere::bar(Tensor x) -> Tensor")
    with pytest.raises(ValueError, match=r"expected ',' or '\)'"):
        lib.define("bar(Tensor x Tensor y) -> Tensor")
    assert lib.define(f"{ns}::baz.out(Tensor x) -> Tensor") == "baz.out"


def test_impl_errors(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match=f"no operator {ns}::nope is defined.*operators in"):
        lib.impl("nope", lambda x: x, "CPU")
    with pytest.raises(ValueError, match="unknown dispatch key 'GPU'"):
        lib.impl("foo", lambda x: x, "GPU")
    with pytest.raises(TypeError, match="callable kernel"):
        lib.impl("foo", 3, "CPU")
    with pytest.raises(ValueError, match="namespace"):
        lib.impl("other_ns::foo", lambda x: x, "CPU")
    lib.impl("foo", lambda x: x, "CPU")
    with pytest.raises(RuntimeError, match="already has a CPU kernel"):
        lib.impl("foo", lambda x: x, "CPU")
    lib.impl(op_of(ns, "foo"), lambda x: x, "Meta")  # an overload object names the op too


def test_destroy_removes_ops_and_kernels(ns):
    definer = Library(ns, "FRAGMENT")
    definer.define("foo(Tensor x) -> Tensor")
    implementer = Library(ns, "IMPL")
    implementer.impl("foo", lambda x: x * 2, "CompositeImplicitAutograd")
    op = op_of(ns, "foo")
    assert op(al.tensor([1.0])).tolist() == [2.0]

    implementer._destroy()  # its kernel goes, the op stays
    with pytest.raises(NotImplementedError, match=f"Could not run '{ns}::foo'"):
        op(al.tensor([1.0]))
    with pytest.raises(RuntimeError, match="was destroyed; impl"):
        implementer.impl("foo", lambda x: x, "CPU")

    definer._destroy()  # the op goes
    assert not hasattr(getattr(al.ops, ns), "foo")
    with pytest.raises(RuntimeError, match=f"operator {ns}::foo no longer exists"):
        op(al.tensor([1.0]))
    definer._destroy()  # a second destroy does nothing

    again = Library(ns, "FRAGMENT")  # the name is free again
    again.define("foo(Tensor x, int k) -> Tensor")
    again._destroy()


def test_dropping_the_library_unregisters_its_ops(ns):
    """As in PyTorch, registrations live as long as the Library object."""
    lib = Library(ns, "FRAGMENT")
    lib.define("foo(Tensor x) -> Tensor")
    assert hasattr(getattr(al.ops, ns), "foo")
    del lib
    gc.collect()
    assert not hasattr(getattr(al.ops, ns), "foo")


def test_scoped_library_destroys_even_on_error(ns):
    with pytest.raises(KeyError), _scoped_library(ns, "FRAGMENT") as lib:
        lib.define("foo(Tensor x) -> Tensor")
        raise KeyError("boom")
    assert not hasattr(getattr(al.ops, ns), "foo")


def test_function_style_define_and_impl(ns):
    al.library.define(f"{ns}::twice", "(Tensor x) -> Tensor")

    @al.library.impl(f"{ns}::twice", "cpu")
    def twice(x):
        return al.tensor(x.detach().numpy() * 2)

    assert op_of(ns, "twice")(al.tensor([1.5])).tolist() == [3.0]
    with pytest.raises(ValueError, match="qualified name"):
        al.library.define("twice", "(Tensor x) -> Tensor")


def test_legacy_impl_decorator(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")

    @al.library.impl(lib, "foo", "CompositeImplicitAutograd")
    def foo(x):
        return x + 1

    assert op_of(ns, "foo")(al.tensor([1.0])).tolist() == [2.0]


# -- argument checking ---------------------------------------------------------------------------
@pytest.fixture
def foo(lib, ns):
    lib.define("foo(Tensor a, Tensor b, int c, *, float alpha=1.0, Tensor[] extra=[], "
               "int[2] size=[1, 1]) -> Tensor")
    calls = []

    def kernel(a, b, c, *, alpha, extra, size):
        calls.append((c, alpha, extra, size))
        return a + b

    lib.impl("foo", kernel, "CompositeImplicitAutograd")
    op = op_of(ns, "foo")
    op.calls = calls
    return op


@pytest.mark.parametrize(("call", "match"), [
    (lambda op, t: op(t, t), r"foo\(\) is missing value for argument 'c' \(int, position 2\)"),
    (lambda op, t: op(t, t, 1, 2.0), r"expected at most 3 positional argument\(s\) but received 4"),
    (lambda op, t: op(t, t, 1.5),
     r"Expected a value of type 'int' for argument 'c' but instead found type 'float'"),
    (lambda op, t: op(t, t, True), "for argument 'c' but instead found type 'bool'"),
    (lambda op, t: op(t, 2.0, 1), "type 'Tensor' for argument 'b' but instead found type 'float'"),
    (lambda op, t: op(t, np.ones(2), 1), "argument 'b' but instead found type 'ndarray'"),
    (lambda op, t: op(t, t, 1, alpha="x"), "type 'float' for argument 'alpha'"),
    (lambda op, t: op(t, t, 1, extra=[t, 1]),
     r"'Tensor\[\]' for argument 'extra' .*list\[Tensor, int\]"),
    (lambda op, t: op(t, t, 1, extra=t), r"'Tensor\[\]' for argument 'extra'"),
    (lambda op, t: op(t, t, 1, size=[1, 2, 3]), r"'int\[2\]' for argument 'size'"),
    (lambda op, t: op(t, t, 1, beta=2), "got an unexpected keyword argument 'beta'"),
    (lambda op, t: op(t, t, 1, c=2), "got multiple values for argument 'c'"),
])
def test_argument_errors(foo, call, match):
    t = al.tensor([1.0, 2.0])
    with pytest.raises(SchemaMismatchError, match=match) as info:
        call(foo, t)
    message = str(info.value)
    assert "_test_library_" in message and "::foo()" in message  # names the op
    assert "Declaration: " in message and "foo(Tensor a, Tensor b, int c" in message
    assert isinstance(info.value, TypeError) and isinstance(info.value, RuntimeError)
    assert foo.calls == []  # the kernel never ran


def test_defaults_conversions_and_keyword_only(foo):
    t = al.tensor([1.0])
    foo(t, t, np.int64(3))
    foo(t, t, 3, alpha=2, extra=(t,), size=4)
    assert foo.calls[0] == (3, 1.0, [], [1, 1])
    c, alpha, extra, size = foo.calls[1]
    assert type(c) is int and alpha == 2.0 and type(alpha) is float
    assert extra == [t] or extra[0] is t
    assert size == [4, 4]  # int[2] broadcasts a single int, as PyTorch


def test_none_is_an_undefined_tensor(lib, ns):
    lib.define("foo(Tensor a, Tensor b) -> (Tensor, Tensor)")
    lib.impl("foo", lambda a, b: (None, b.clone()), "CompositeImplicitAutograd")
    first, second = op_of(ns, "foo")(None, al.tensor([1.0]))
    assert first is None and second.tolist() == [1.0]


def test_mutable_argument_must_be_a_tensor(lib, ns):
    lib.define("foo(Tensor(a!) x) -> ()")
    lib.impl("foo", lambda x: None, "CompositeImplicitAutograd")
    with pytest.raises(SchemaMismatchError, match=r"writes to argument 'x' in place .*not None"):
        op_of(ns, "foo")(None)


# -- kernel results --------------------------------------------------------------------------------
@pytest.mark.parametrize(("schema", "kernel", "match"), [
    ("f(Tensor x) -> (Tensor, Tensor)", lambda x: x,
     r"returned one Tensor, but the schema declares 2"),
    ("f(Tensor x) -> (Tensor, Tensor)", lambda x: (x, x, x), "returned 3 values"),
    ("f(Tensor x) -> Tensor", lambda x: x.detach().numpy(), r"returned ndarray .*al\.tensor"),
    ("f(Tensor x) -> ()", lambda x: x, r"declares no returns \(-> \(\)\)"),
    ("f(Tensor x) -> Tensor[]", lambda x: x, r"declares Tensor\[\]"),
    ("f(Tensor x) -> int", lambda x: 1.5, "returned float for return 0"),
])
def test_kernel_results_are_checked(lib, ns, schema, kernel, match):
    lib.define(schema)
    lib.impl("f", kernel, "CompositeImplicitAutograd")
    with pytest.raises(RuntimeError, match=match) as info:
        op_of(ns, "f")(al.tensor([1.0]))
    assert "CompositeImplicitAutograd kernel" in str(info.value)


def test_list_and_tuple_results(lib, ns):
    lib.define("f(Tensor[] xs) -> Tensor[]")
    lib.impl("f", lambda xs: tuple(x * 2 for x in xs), "CompositeImplicitAutograd")
    out = op_of(ns, "f")([al.tensor([1.0]), al.tensor([2.0])])
    assert isinstance(out, list) and [o.tolist() for o in out] == [[2.0], [4.0]]
    lib.define("g(Tensor x) -> (Tensor, int)")
    lib.impl("g", lambda x: [x, np.int64(2)], "CompositeImplicitAutograd")
    out = op_of(ns, "g")(al.tensor([1.0]))
    assert isinstance(out, tuple) and out[1] == 2 and type(out[1]) is int


def test_undeclared_mutation_is_an_error(lib, ns):
    lib.define("sneaky(Tensor x, Tensor y) -> Tensor")

    def sneaky(x, y):
        y.add_(1.0)  # y is not Tensor(a!)
        return x + y

    lib.impl("sneaky", sneaky, "CompositeImplicitAutograd")
    with pytest.raises(RuntimeError, match=r"modified its argument 'y' in place, but the schema "
                                           r"does not declare it mutable.*Tensor\(a!\) y"):
        op_of(ns, "sneaky")(al.tensor([1.0]), al.tensor([2.0]))


def test_declared_mutation_is_fine_even_through_an_alias(lib, ns):
    lib.define("inc(Tensor(a!) x, Tensor y) -> ()")

    def inc(x, y):
        x.add_(y)

    lib.impl("inc", inc, "CompositeImplicitAutograd")
    x = al.tensor([1.0, 2.0])
    op_of(ns, "inc")(x, al.tensor([1.0, 1.0]))
    op_of(ns, "inc")(x, x)  # y is x: writing x writes y, and that is declared
    op_of(ns, "inc")(x, x[:])  # a view shares the version counter
    assert x.tolist() == [8.0, 12.0]


def test_no_kernel_at_all(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    with pytest.raises(NotImplementedError, match=r"Could not run '.*::foo' with arguments from "
                                                  r"the 'CPU' backend.*lib\.impl\('foo'"):
        op_of(ns, "foo")(al.tensor([1.0]))
    lib.impl("foo", lambda x: x, "Meta")  # a Meta kernel never runs
    with pytest.raises(NotImplementedError, match="registered dispatch keys: Meta"):
        op_of(ns, "foo")(al.tensor([1.0]))


# -- which kernel runs -----------------------------------------------------------------------------
def test_kernel_choice(lib, ns):
    lib.define("foo(Tensor x) -> Tensor")
    ran = []
    lib.impl("foo", lambda x: ran.append("composite") or x.clone(), "CompositeImplicitAutograd")
    op = op_of(ns, "foo")
    op(al.tensor([1.0]))
    lib.impl("foo", lambda x: ran.append("cpu") or x.clone(), "CPU")
    with autograd_fallback_mode("nothing"):
        op(al.tensor([1.0]))  # a compute kernel beats the composite one
    lib.impl("foo", lambda x: ran.append("autograd") or x.clone(), "AutogradCPU")
    op(al.tensor([1.0]))  # an Autograd kernel beats both
    assert ran == ["composite", "cpu", "autograd"]


# -- gradients through kernels -------------------------------------------------------------------
def test_composite_implicit_autograd_gradients(lib, ns):
    """The kernel's own ops record the graph: d(alpha*x*sin y)/dx = alpha sin y, /dy =
    alpha x cos y."""
    lib.define("f(Tensor x, Tensor y, *, float alpha=1.0) -> Tensor")
    lib.impl("f", lambda x, y, *, alpha: x * y.sin() * alpha, "CompositeImplicitAutograd")
    op = op_of(ns, "f")
    x, y = rand64(3, seed=1), rand64(3, seed=2)
    out = op(x, y, alpha=2.5)
    assert out.grad_fn.name() == "MulBackward0"
    out.sum().backward()
    xv, yv = x.detach().numpy(), y.detach().numpy()
    assert_close(x.grad.numpy(), 2.5 * np.sin(yv), what="dx")
    assert_close(y.grad.numpy(), 2.5 * xv * np.cos(yv), what="dy")
    check_vjp(lambda a, b: op(a, b, alpha=2.5), [x, y])
    check_gradgrad(lambda a, b: op(a, b, alpha=2.5), [x, y])


class _NumpySin(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return al.tensor(np.sin(x.detach().numpy()))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()


def test_autograd_kernel_owns_the_graph(lib, ns):
    lib.define("npsin(Tensor x) -> Tensor")
    lib.impl("npsin", _NumpySin.apply, "Autograd")
    x = rand64(4, seed=3)
    y = op_of(ns, "npsin")(x)
    assert y.grad_fn.name() == "_NumpySinBackward"
    check_vjp(op_of(ns, "npsin"), [x])


# -- custom_op and register_autograd ---------------------------------------------------------------
@pytest.fixture
def custom(ns):
    """Make custom ops in this test's namespace; destroy them afterwards."""
    made = []

    def make(name, fn=None, **kw):
        def wrap(f):
            op = custom_op(f"{ns}::{name}", **kw)(f)
            made.append(op)
            return op
        return wrap if fn is None else wrap(fn)

    yield make
    for op in made:
        op._destroy()


def _np(t):
    return t.detach().numpy()


def test_custom_op_gradient_matches_finite_differences(custom, ns):
    @custom("scaled_mul", mutates_args=())
    def scaled_mul(x: al.Tensor, y: al.Tensor, *, alpha: float = 1.0) -> al.Tensor:
        return al.tensor(_np(x) * _np(y) * alpha)

    seen = {}

    def setup_context(ctx, inputs, keyword_only_inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.alpha = keyword_only_inputs["alpha"]
        seen["needs"] = ctx.needs_input_grad

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y * ctx.alpha, grad * x * ctx.alpha

    scaled_mul.register_autograd(backward, setup_context=setup_context)
    assert str(scaled_mul._schema) == (
        f"{ns}::scaled_mul(Tensor x, Tensor y, *, float alpha=1.0) -> Tensor")
    x, y = rand64(2, 3, seed=4), rand64(2, 3, seed=5)
    out = scaled_mul(x, y, alpha=1.5)
    assert out.grad_fn.name() == f"GeneratedBackwardFor_{ns}_scaled_mul_defaultBackward"
    check_vjp(lambda a, b: scaled_mul(a, b, alpha=1.5), [x, y])
    check_vjp(lambda a, b: op_of(ns, "scaled_mul")(a, b, alpha=1.5), [x, y])
    y_const = rand64(2, 3, seed=6, requires_grad=False)
    check_vjp(lambda a: scaled_mul(a, y_const, alpha=0.5), [x])
    assert seen["needs"] == (True, False)  # one entry per input of the op


def test_custom_op_with_tensor_lists_and_several_outputs(custom):
    @custom("sum_and_prod", mutates_args=())
    def sum_and_prod(xs: list[al.Tensor], k: int) -> tuple[al.Tensor, al.Tensor]:
        arrays = [_np(x) for x in xs]
        return al.tensor(sum(arrays) * k), al.tensor(np.prod(arrays, axis=0))

    def setup_context(ctx, inputs, output):
        xs, k = inputs
        ctx.save_for_backward(*xs)
        ctx.k = k

    def backward(ctx, grad_sum, grad_prod):
        xs = ctx.saved_tensors
        grads = []
        for i in range(len(xs)):
            others = [x for j, x in enumerate(xs) if j != i]
            prod_others = others[0]
            for o in others[1:]:
                prod_others = prod_others * o
            grads.append(grad_sum * ctx.k + grad_prod * prod_others)
        return grads, None

    sum_and_prod.register_autograd(backward, setup_context=setup_context)
    a, b, c = rand64(3, seed=7), rand64(3, seed=8), rand64(3, seed=9)

    def combined(a, b, c):
        s, p = sum_and_prod([a, b, c], 2)
        return s * 0.3 + p

    check_vjp(combined, [a, b, c])
    check_vjp(lambda a, b, c: sum_and_prod([a, b, c], 3)[1], [a, b, c])  # one output unused


def test_custom_op_without_backward(custom):
    @custom("plain", mutates_args=())
    def plain(x: al.Tensor) -> al.Tensor:
        return al.tensor(_np(x) + 1)

    x = al.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Trying to backward through .*plain but no autograd "
                                           "formula was registered"):
        plain(x).sum().backward()
    with al.no_grad():
        assert plain(x).grad_fn is None
    assert plain(al.tensor([1.0])).grad_fn is None  # nothing requires grad: no node


def test_backward_returning_the_wrong_count_or_kind(custom):
    @custom("f", mutates_args=())
    def f(x: al.Tensor, n: int) -> al.Tensor:
        return al.tensor(_np(x) * n)

    x = al.tensor([1.0], requires_grad=True)
    f.register_autograd(lambda ctx, g: g)
    with pytest.raises(RuntimeError, match=r"returned 1 gradient\(s\), but the op has 2 "
                                           r"positional input\(s\) \(x, n\)"):
        f(x, 2).sum().backward()
    f.register_autograd(lambda ctx, g: (g, g))
    with pytest.raises(RuntimeError, match="returned a gradient for 'n', which is a SymInt"):
        f(x, 2).sum().backward()


def test_register_autograd_refuses_mutating_ops(custom):
    @custom("bump", mutates_args=("x",))
    def bump(x: al.Tensor) -> None:
        _np(x)[...] += 1

    assert str(bump._schema).endswith("bump(Tensor(a0!) x) -> ()")
    with pytest.raises(RuntimeError, match="Cannot register autograd formula for non-functional"):
        bump.register_autograd(lambda ctx, g: g)
    x = al.tensor([1.0])
    bump(x)
    assert x.tolist() == [2.0]
    y = al.tensor([1.0], requires_grad=True).clone()
    assert bump(y) is None  # no outputs: nothing to differentiate, no node
    assert y.tolist() == [2.0]


def test_register_autograd_on_a_library_op(lib, ns):
    lib.define("npcube(Tensor x) -> Tensor")
    lib.impl("npcube", lambda x: al.tensor(_np(x) ** 3), "CPU")

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x

    register_autograd(f"{ns}::npcube", backward, setup_context=setup_context)
    check_vjp(op_of(ns, "npcube"), [rand64(4, seed=10)])
    register_autograd(op_of(ns, "npcube"), lambda ctx, g: g * 0, setup_context=setup_context)
    x = rand64(2, seed=11)
    op_of(ns, "npcube")(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # the formula was replaced


def test_register_kernel_and_fake(custom):
    @custom("f", mutates_args=())
    def f(x: al.Tensor) -> al.Tensor:
        return x.clone()

    f.register_kernel("cpu")(lambda x: x * 10)
    assert f(al.tensor([1.0])).tolist() == [10.0]
    f.register_kernel("cpu", lambda x: x * 100)  # replaces
    assert f(al.tensor([1.0])).tolist() == [100.0]
    with pytest.raises(ValueError, match="CPU only"):
        f.register_kernel("cuda", lambda x: x)

    @f.register_fake
    def _(x):
        raise AssertionError("fake kernels never run")

    assert f(al.tensor([1.0])).tolist() == [100.0]


def test_custom_op_lives_until_destroyed(ns):
    @custom_op(f"{ns}::ident", mutates_args=())
    def ident(x: al.Tensor) -> al.Tensor:
        return x.clone()

    del ident
    gc.collect()
    op = op_of(ns, "ident")
    assert op(al.tensor([2.0])).tolist() == [2.0]
    from autograd_lab.library.custom_op import _OPDEFS

    _OPDEFS[f"{ns}::ident"]._destroy()
    assert not hasattr(getattr(al.ops, ns), "ident")


@pytest.mark.parametrize(("fn", "kwargs", "match"), [
    (lambda x: x, {"mutates_args": ()}, "has no type annotation"),
    (lambda *xs: xs, {"mutates_args": ()}, r"\*args and \*\*kwargs"),
])
def test_infer_schema_errors(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        al.library.infer_schema(fn, **kwargs)


def test_infer_schema_forms():
    def f(x: al.Tensor, ys: list[al.Tensor], maybe: al.Tensor | None, n: int = 2, *,
          s: float | None = None, mode: str = "a", flag: bool = False,
          dt: al.dtype | None = None) -> tuple[al.Tensor, al.Tensor]:
        raise NotImplementedError

    assert al.library.infer_schema(f, mutates_args=("x",)) == (
        "(Tensor(a0!) x, Tensor[] ys, Tensor? maybe, SymInt n=2, *, float? s=None, "
        'str mode="a", bool flag=False, ScalarType? dt=None) -> (Tensor, Tensor)')
    assert al.library.infer_schema(f, mutates_args="unknown", op_name="g").startswith(
        "g(Tensor(a0!) x, Tensor(a1!)[] ys, Tensor(a2!)? maybe")

    def g(x: al.Tensor) -> None:
        raise NotImplementedError

    assert al.library.infer_schema(g, mutates_args=()) == "(Tensor x) -> ()"


def test_custom_op_argument_errors(ns):
    def f(x: al.Tensor) -> al.Tensor:
        return x

    with pytest.raises(TypeError, match=r"mutates_args must be a tuple .*\('x',\)"):
        custom_op(f"{ns}::f", f, mutates_args="x")
    with pytest.raises(ValueError, match=r"mutates_args names \['y'\]"):
        custom_op(f"{ns}::f", f, mutates_args=("y",))
    with pytest.raises(ValueError, match="'namespace::op'"):
        custom_op("f", f, mutates_args=())

    def g(x: dict) -> al.Tensor:
        raise NotImplementedError

    with pytest.raises(ValueError, match="cannot express the annotation"):
        custom_op(f"{ns}::g", g, mutates_args=())


# -- opcheck ---------------------------------------------------------------------------------------
def _sin_op(custom, name, backward):
    @custom(name, mutates_args=())
    def op(x: al.Tensor) -> al.Tensor:
        return al.tensor(np.sin(_np(x)))

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    op.register_autograd(backward, setup_context=setup_context)
    return op


def _good_backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x.cos()


def _wrong_backward(ctx, grad):
    (x,) = ctx.saved_tensors
    return grad * x.cos() * 1.01  # off by one percent


def test_opcheck_passes_a_good_op(custom):
    op = _sin_op(custom, "good_sin", _good_backward)
    x = al.randn(3, requires_grad=True)
    before = x.detach().numpy().copy()
    assert opcheck(op, (x,)) == {"test_schema": "SUCCESS",
                                 "test_autograd_registration": "SUCCESS",
                                 "test_gradients": "SUCCESS"}
    assert np.array_equal(x.detach().numpy(), before) and x.grad is None  # untouched
    assert opcheck(op._opoverload, (x,))["test_gradients"] == "SUCCESS"
    assert opcheck(op, (x,), test_utils=("test_faketensor", "test_aot_dispatch_dynamic")) == {
        "test_faketensor": "SKIPPED", "test_aot_dispatch_dynamic": "SKIPPED"}


def test_opcheck_catches_a_wrong_backward(custom):
    op = _sin_op(custom, "bad_sin", _wrong_backward)
    x = al.randn(3, requires_grad=True)
    with pytest.raises(OpCheckError, match=r"(?s)test_gradients failed.*argument 'x' does not "
                                           r"match finite differences") as info:
        opcheck(op, (x,))
    message = str(info.value)
    assert "analytic (from the op's backward)" in message
    assert "numeric (central differences)" in message
    results = opcheck(op, (x,), raise_exception=False)
    assert results["test_schema"] == "SUCCESS"
    assert isinstance(results["test_gradients"], OpCheckError)


def test_opcheck_catches_an_undeclared_mutation(custom):
    @custom("sneaky", mutates_args=())
    def sneaky(x: al.Tensor, y: al.Tensor) -> al.Tensor:
        _np(y)[...] = 0.0  # writes y behind the schema's back (no version bump: NumPy)
        return al.tensor(_np(x) * 2)

    with pytest.raises(OpCheckError, match=r"(?s)test_schema failed.*modified argument 'y' in "
                                           r"place, but its schema does not declare it mutable"):
        opcheck(sneaky, (al.randn(3), al.randn(3)), test_utils="test_schema")


def test_opcheck_catches_an_undeclared_inplace_op(lib, ns):
    lib.define("sneaky(Tensor x) -> Tensor")
    lib.impl("sneaky", lambda x: x.mul_(2.0).clone(), "CompositeImplicitAutograd")
    with pytest.raises(OpCheckError, match=r"(?s)test_schema failed.*modified its argument 'x'"):
        opcheck(op_of(ns, "sneaky"), (al.randn(3),))


def test_opcheck_accepts_a_declared_mutation(custom):
    @custom("zero_", mutates_args=("x",))
    def zero_(x: al.Tensor) -> None:
        _np(x)[...] = 0.0

    results = opcheck(zero_, (al.randn(3),))
    assert results == {"test_schema": "SUCCESS", "test_autograd_registration": "SUCCESS",
                       "test_gradients": "SKIPPED"}


def test_opcheck_catches_undeclared_and_broken_aliases(lib, ns):
    lib.define("same(Tensor x) -> Tensor")
    lib.impl("same", lambda x: x, "CompositeImplicitAutograd")
    with pytest.raises(OpCheckError, match=r"output 0 shares memory with argument 'x', but the "
                                           r"schema does not declare that alias"):
        opcheck(op_of(ns, "same"), (al.randn(3),), test_utils=["test_schema"])

    lib.define("view(Tensor(a) x) -> Tensor(a)")
    lib.impl("view", lambda x: x[:], "CompositeImplicitAutograd")
    assert opcheck(op_of(ns, "view"), (al.randn(3),), test_utils=["test_schema"]) == {
        "test_schema": "SUCCESS"}

    lib.define("bar(Tensor(a!) self, Tensor other) -> Tensor(a!)")  # seed 000's wrong usage
    lib.impl("bar", lambda x, y: x.detach().add_(y).clone(), "CompositeImplicitAutograd")
    with pytest.raises(OpCheckError, match=r"output 0 is annotated Tensor\(a!\), so it must be "
                                           r"argument 'self' itself"):
        opcheck(op_of(ns, "bar"), (al.randn(3), al.randn(3)), test_utils=["test_schema"])


def test_opcheck_autograd_registration(lib, ns):
    lib.define("npsin(Tensor x) -> Tensor")
    lib.impl("npsin", lambda x: al.tensor(np.sin(_np(x))), "CPU")
    op = op_of(ns, "npsin")
    with pytest.raises(OpCheckError, match=r"(?s)test_autograd_registration failed.*only a CPU "
                                           r"kernel.*register_autograd"):
        opcheck(op, (al.randn(3, requires_grad=True),), test_utils=["test_autograd_registration"])
    assert opcheck(op, (al.randn(3),)) == {"test_schema": "SUCCESS",
                                          "test_autograd_registration": "SUCCESS",
                                          "test_gradients": "SKIPPED"}


def test_opcheck_argument_errors(custom):
    op = _sin_op(custom, "s", _good_backward)
    with pytest.raises(ValueError, match="unknown test 'test_everything'"):
        opcheck(op, (al.randn(2),), test_utils=["test_everything"])
    with pytest.raises(SchemaMismatchError, match="missing value for argument 'x'"):
        opcheck(op, ())
    with pytest.raises(ValueError, match="no operator 'nowhere::nothing'"):
        opcheck("nowhere::nothing", ())
