"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode`` as
context managers, plain calls and decorators (functions and generators), nesting,
and thread-locality."""

from __future__ import annotations

import threading

import pytest

import autograd_lab as al


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    assert al.is_grad_enabled() and not al.is_inference_mode_enabled()
    yield
    enabled, inference = al.is_grad_enabled(), al.is_inference_mode_enabled()
    al.set_grad_enabled(True)  # repair, so one failure does not cascade
    assert enabled and not inference, "a test left grad mode switched"


def x_():
    return al.tensor([1.0, 2.0], requires_grad=True)


def records(x) -> bool:
    """Does an op on ``x`` record a node right now?"""
    y = x * 2.0
    assert y.requires_grad == (y.grad_fn is not None)
    return y.grad_fn is not None


# =======================================================================================
# context managers
def test_grad_enabled_by_default():
    assert al.is_grad_enabled()
    assert al.autograd.is_grad_enabled()
    assert records(x_())


def test_no_grad_context():
    x = x_()
    with al.no_grad():
        assert not al.is_grad_enabled()
        assert not records(x)
    assert al.is_grad_enabled() and records(x)


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError):
        with al.no_grad():
            raise ValueError("boom")
    assert al.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = x_()
    with al.no_grad():
        with al.enable_grad():
            assert al.is_grad_enabled() and records(x)
        assert not al.is_grad_enabled() and not records(x)
    assert al.is_grad_enabled()


def test_nested_switches_restore_each_level():
    states = []
    with al.no_grad():
        states.append(al.is_grad_enabled())
        with al.enable_grad():
            states.append(al.is_grad_enabled())
            with al.set_grad_enabled(False):
                states.append(al.is_grad_enabled())
                with al.no_grad():
                    states.append(al.is_grad_enabled())
                states.append(al.is_grad_enabled())
            states.append(al.is_grad_enabled())
        states.append(al.is_grad_enabled())
    states.append(al.is_grad_enabled())
    assert states == [False, True, False, False, False, True, False, True]


def test_set_grad_enabled_as_context_manager():
    x = x_()
    with al.set_grad_enabled(False):
        assert not records(x)
    assert records(x)
    with al.no_grad():
        with al.set_grad_enabled(True):
            assert records(x)
        assert not records(x)


def test_set_grad_enabled_as_plain_call():
    x = x_()
    try:
        al.set_grad_enabled(False)
        assert not al.is_grad_enabled() and not records(x)
        al.set_grad_enabled(True)
        assert al.is_grad_enabled() and records(x)
    finally:
        al.set_grad_enabled(True)


def test_set_grad_enabled_with_a_non_bool_mode():
    with al.set_grad_enabled(0):
        assert al.is_grad_enabled() is False
    assert al.is_grad_enabled() is True


def test_backward_works_inside_no_grad_and_results_are_leaves():
    # The graph was recorded outside; backward itself does not need grad mode.
    x = x_()
    loss = (x * x).sum()
    with al.no_grad():
        loss.backward()
        assert x.grad.grad_fn is None
    assert x.grad.tolist() == [2.0, 4.0]


def test_create_graph_inside_no_grad_still_records_the_backward():
    x = al.tensor(3.0, requires_grad=True)
    y = x * x * x
    with al.no_grad():
        (g,) = al.autograd.grad(y, x, create_graph=True)
        assert not al.is_grad_enabled()
    assert g.requires_grad
    (gg,) = al.autograd.grad(g, x)  # 6x
    assert gg.item() == pytest.approx(18.0)


def test_grad_mode_restored_after_a_failing_backward():
    x = al.tensor(1.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(create_graph=True)
    assert al.is_grad_enabled()
    with al.no_grad():
        with pytest.raises(RuntimeError, match="second time"):
            y.backward(create_graph=True)
        assert not al.is_grad_enabled()


# =======================================================================================
# inference_mode
def test_inference_mode_context():
    x = x_()
    with al.inference_mode():
        assert not al.is_grad_enabled()
        assert al.is_inference_mode_enabled()
        assert not records(x)
    assert al.is_grad_enabled() and not al.is_inference_mode_enabled()


def test_inference_mode_false_changes_nothing_about_recording():
    x = x_()
    with al.inference_mode(False):
        assert al.is_grad_enabled() and records(x)
        assert not al.is_inference_mode_enabled()
    with al.no_grad():
        with al.inference_mode(False):
            assert not al.is_grad_enabled()


def test_inference_mode_decorators():
    @al.inference_mode()
    def called():
        return al.is_grad_enabled(), al.is_inference_mode_enabled()

    @al.inference_mode
    def bare():
        return al.is_grad_enabled(), al.is_inference_mode_enabled()

    assert called() == (False, True)
    assert bare() == (False, True)
    assert bare.__name__ == "bare"


# =======================================================================================
# decorators
def test_no_grad_decorator_with_and_without_parentheses():
    x = x_()

    @al.no_grad()
    def f(t):
        """Doc of f."""
        return t * 2.0

    @al.no_grad
    def g(t):
        return t * 2.0

    assert f(x).grad_fn is None and g(x).grad_fn is None
    assert f.__name__ == "f" and f.__doc__ == "Doc of f."
    assert g.__name__ == "g"
    assert al.is_grad_enabled() and records(x)


def test_enable_grad_decorator():
    @al.enable_grad()
    def f():
        return al.is_grad_enabled()

    @al.enable_grad
    def g():
        return al.is_grad_enabled()

    with al.no_grad():
        assert f() is True and g() is True
        assert not al.is_grad_enabled()


def test_set_grad_enabled_decorator_only_acts_during_calls():
    @al.set_grad_enabled(False)
    def f():
        return al.is_grad_enabled()

    assert al.is_grad_enabled()  # decorating switched nothing
    assert f() is False
    assert al.is_grad_enabled()

    @al.set_grad_enabled(True)
    def g():
        return al.is_grad_enabled()

    with al.no_grad():
        assert g() is True
        assert not al.is_grad_enabled()


def test_decorated_function_restores_on_exception():
    @al.no_grad()
    def f():
        raise KeyError("x")

    with pytest.raises(KeyError):
        f()
    assert al.is_grad_enabled()


def test_decorating_a_class_is_an_error():
    with pytest.raises(TypeError):
        al.no_grad()(type("C", (), {}))


def test_decorator_is_reentrant_for_recursion():
    @al.no_grad()
    def depth(n):
        assert not al.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert al.is_grad_enabled()


def test_no_grad_generator_mode_holds_only_inside_the_generator():
    x = x_()

    @al.no_grad()
    def gen():
        for _ in range(3):
            got = yield records(x), al.is_grad_enabled()
            assert got is None
        return "done"

    inside, outside = [], []
    for value in gen():
        inside.append(value)
        outside.append((records(x), al.is_grad_enabled()))  # the loop body: caller's mode
    assert inside == [(False, False)] * 3
    assert outside == [(True, True)] * 3


def test_enable_grad_generator_inside_no_grad_caller():
    @al.enable_grad()
    def gen():
        yield al.is_grad_enabled()
        yield al.is_grad_enabled()

    with al.no_grad():
        seen = []
        for value in gen():
            seen.append((value, al.is_grad_enabled()))
    assert seen == [(True, False), (True, False)]


def test_decorated_generator_send_return_value_and_empty():
    @al.no_grad()
    def echo():
        received = yield "ready"
        while received is not None:
            received = yield (received, al.is_grad_enabled())
        return "bye"

    g = echo()
    assert next(g) == "ready"
    assert g.send(1) == (1, False)
    assert g.send(2) == (2, False)
    with pytest.raises(StopIteration) as stop:
        g.send(None)
    assert stop.value.value == "bye"

    @al.no_grad()
    def empty():
        return
        yield  # pragma: no cover

    assert list(empty()) == []
    assert al.is_grad_enabled()


def test_decorated_generator_throw_and_close_run_in_its_mode():
    log = []

    @al.no_grad()
    def gen():
        try:
            yield 1
        except ValueError:
            log.append(("caught", al.is_grad_enabled()))
            yield 2
        finally:
            log.append(("finally", al.is_grad_enabled()))

    g = gen()
    assert next(g) == 1
    assert g.throw(ValueError("x")) == 2
    g.close()
    assert log == [("caught", False), ("finally", False)]
    assert al.is_grad_enabled()


# =======================================================================================
# threads
def _in_thread(fn):
    result, errors = {}, []

    def run():
        try:
            result["value"] = fn()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=30)
    assert not t.is_alive()
    if errors:
        raise errors[0]
    return result["value"]


def test_grad_mode_is_thread_local():
    x = x_()
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with al.no_grad():
            seen["worker_inside"] = al.is_grad_enabled(), records(x)
            entered.set()
            assert release.wait(timeout=30)
        seen["worker_after"] = al.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(timeout=30)
        # The worker is inside no_grad right now; this thread is unaffected.
        seen["main_meanwhile"] = al.is_grad_enabled(), records(x)
    finally:
        release.set()
        t.join(timeout=30)
    assert seen == {"worker_inside": (False, False), "main_meanwhile": (True, True),
                    "worker_after": True}


def test_new_thread_starts_with_grad_enabled_even_if_main_disabled_it():
    with al.no_grad():
        assert _in_thread(al.is_grad_enabled) is True
    with al.inference_mode():
        assert _in_thread(al.is_inference_mode_enabled) is False
    try:
        al.set_grad_enabled(False)
        assert _in_thread(lambda: records(x_())) is True
    finally:
        al.set_grad_enabled(True)


def test_backward_in_another_thread_keeps_this_threads_mode():
    x = x_()
    loss = (x * x).sum()
    entered, release = threading.Event(), threading.Event()

    def hook(g):
        entered.set()
        assert release.wait(timeout=30)

    x.register_hook(hook)
    t = threading.Thread(target=lambda: loss.backward(create_graph=True))
    with al.no_grad():
        t.start()
        try:
            assert entered.wait(timeout=30)
            # The other thread runs a create_graph backward (grad mode on there).
            assert not al.is_grad_enabled()
        finally:
            release.set()
            t.join(timeout=30)
    assert x.grad.tolist() == [2.0, 4.0]
