"""Errors and warnings of the ops: NumPy's failures told in PyTorch's words.

A forward that fails inside NumPy raises an error that names the op and the shapes
(``explain``), never a NumPy traceback; NumPy's floating-point warnings are silenced
where PyTorch is silent (Note [Floating-point warnings]).
"""

from __future__ import annotations

import warnings

from .._tensor import Tensor

__all__ = ["explain", "broadcast_mismatch", "quiet"]


def explain(spec, tensors: tuple, err: Exception, attrs: tuple = ()) -> Exception:
    """Turn a NumPy failure inside a forward into an error that names the op and shapes
    (or, when NumPy refused the type of a non-tensor argument, that argument)."""
    text = str(err)
    if isinstance(err, TypeError):
        culprit = _bad_attr(spec, attrs, text)
        if culprit is not None:
            return culprit
    shapes = [list(t._data.shape) for t in tensors]
    if "broadcast" in text and len(tensors) >= 2:
        mismatch = broadcast_mismatch([t._data.shape for t in tensors])
        if mismatch is not None:
            return RuntimeError(f"{mismatch} (in {spec.name}, shapes {shapes})")
    kind = type(err) if isinstance(err, IndexError) else RuntimeError
    return kind(f"{spec.name}: {text} (input shapes {shapes})")


# What NumPy says when an operand has the wrong type: a str ("<U1"), None or a list of
# mixed things (an object array), or one of our Tensors (which refuses NumPy's ufuncs).
_TYPE_SIGNS = {str: ("<U", "'str'", "StrDType"),
               type(None): ("NoneType", "dtype('O')", "ObjectDType"),
               list: ("dtype('O')", "ObjectDType")}


def _bad_attr(spec, attrs: tuple, text: str) -> TypeError | None:
    """PyTorch's "softplus(): argument 'beta' must be Number, not str" when NumPy's
    TypeError ``text`` comes from an argument of the op that is not a tensor input (a row's
    attrs, named in ``spec.attrs``); None when no attr explains it."""
    for name, value in zip(spec.attrs, attrs, strict=False):
        signs = _TYPE_SIGNS.get(type(value), ())
        if any(sign in text for sign in signs) or (isinstance(value, Tensor) and "ufunc" in text):
            return TypeError(f"{spec.name}(): argument '{name}' must be Number, "
                             f"not {type(value).__name__}")
    return None


def broadcast_mismatch(shapes) -> str | None:
    """PyTorch's message for the first dimension (from the right) where ``shapes``
    cannot broadcast, or None when they can."""
    ndim = max(len(s) for s in shapes)
    for back in range(1, ndim + 1):
        first = None
        for s in shapes:
            size = s[-back] if back <= len(s) else 1
            if size == 1:
                continue
            if first is None:
                first = size
            elif size != first:
                return (f"The size of tensor a ({first}) must match the size of tensor b ({size}) "
                        f"at non-singleton dimension {ndim - back}")
    return None


# Note [Floating-point warnings]
# PyTorch gives inf and nan for 1/0, log(0), sqrt(-1) or overflow silently (anomaly mode
# is where a nan is caught). NumPy warns instead. ``np.errstate`` around every call would
# cost more than the op itself on small tensors, so we ignore NumPy's RuntimeWarnings
# raised from our own ops modules (NumPy attributes them to the calling module), once.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"autograd_lab\._ops(\.|$)")


def quiet(np_fn, name: str | None = None):
    """``np_fn`` called from an ops module, so its floating-point warnings are silenced
    (see Note [Floating-point warnings]); the wrapper also gives it a readable name."""

    def forward(*args):
        return np_fn(*args)

    if not name:
        name = getattr(np_fn, "__name__", "forward")
    forward.__name__ = forward.__qualname__ = name
    return forward
