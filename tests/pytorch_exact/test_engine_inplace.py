"""Issue 14 (engine, in-place): autograd_lab behaves as PyTorch.

Found by the differential fuzzer (tests/fuzz/). Each test checks a hand-written
expectation, and the same program in PyTorch when it is installed (only that comparison is
skipped without torch)."""
import pytest

import autograd_lab as al

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _error(fn):
    """``(exception type, message)`` of ``fn()``, or ``(None, None)`` when it runs."""
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - the error is the result under test
        return type(err), str(err)
    return None, None


def _libraries():
    return (al,) if torch is None else (al, torch)


# --- a view of a leaf that began to require grad after the view was made ----------------
VIEWS = {
    "select": lambda x: x[0],
    "slice": lambda x: x[:1],
    "t": lambda x: x.t(),
    "view of a view": lambda x: x[0][1:],
}


@pytest.mark.parametrize("make_view", VIEWS.values(), ids=VIEWS.keys())
def test_in_place_on_a_view_of_a_leaf_that_later_requires_grad_is_refused(make_view):
    for L in _libraries():
        x = L.ones(2, 3)
        v = make_view(x)  # made while x does not require grad
        x.requires_grad_()
        kind, message = _error(lambda v=v: v.mul_(2))
        assert kind is RuntimeError and message.startswith(VIEW_OF_LEAF), (L.__name__, message)
        assert x._version == 0 and x.grad_fn is None  # nothing was written, x is still a leaf


def test_the_same_view_may_still_be_written_under_no_grad():
    for L in _libraries():
        x = L.ones(2, 3)
        v = x[0]
        x.requires_grad_()
        with L.no_grad():
            v.mul_(2)
        assert x._version == 1 and x.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]
