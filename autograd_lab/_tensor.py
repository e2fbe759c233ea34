"""Tensor state: the data, its dtype, and the autograd fields. No maths lives here.

Ops, operators, ``backward`` and hooks are bound onto ``Tensor`` by
``_tensor_methods.py``, so this file stays a readable list of what a tensor *is*:

- ``_data``: the NumPy array holding the values;
- ``_requires_grad``: set by the user on a leaf, or true for any tensor an op made
  from inputs that require grad (then ``grad_fn`` is set);
- ``_grad_fn`` and ``_output_nr``: the Node that made this tensor and which of its
  outputs this tensor is (non-leaves only);
- ``_grad``: accumulated gradient (leaves, and non-leaves that ``retain_grad()``);
- ``_base`` and ``_vc``: the tensor this one is a view of, and the version counter
  shared with it (see Note [Version counters] in _views.py);
- ``_view_fn``: for a view, how to rebuild it from ``_base`` (an ``autograd.inplace.ViewFn``),
  so that its history can be regenerated after an in-place change (see
  Note [Rebasing history] in autograd/inplace.py); None for a view nobody can replay
  (a custom Function's output) and for non-views.
"""

from __future__ import annotations

import inspect
import operator
import sys
import types
import weakref
from typing import TYPE_CHECKING

import numpy as np

from . import _dtypes
from ._format import format_tensor
from ._grad_state import state as _grad_state
from ._views import VersionCounter

if TYPE_CHECKING:
    # The methods _tensor_methods.py binds at import time, declared for type checkers in
    # the generated stub _bound_methods.pyi (tools/gen_tensor_stub.py). At run time Tensor
    # derives from object alone. The autograd types name the fields' types only.
    from ._bound_methods import BoundMethods
    from .autograd.graph import AccumulateGrad, Node, _HookDict
    from .autograd.inplace import ViewFn
else:
    BoundMethods = object

__all__ = ["Tensor"]

_NUMPY_NEEDS_DETACH = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)


class Tensor(BoundMethods):
    """An n-dimensional array that can record the operations applied to it.

    Build tensors with ``autograd_lab.tensor(...)`` and the other creation functions;
    ``Tensor(array)`` wraps a NumPy array of a supported dtype as is (no copy).
    """

    # Every op makes a Tensor, so making one must be cheap: the fields every tensor uses
    # are slots, set in __init__; those only leaves, views and hooked tensors use are class
    # defaults, stored per instance (in its __dict__) only once set.
    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "_view_fn",
                 "__dict__", "__weakref__")
    _grad: Tensor | None = None
    _base: Tensor | None = None
    _retains_grad = False
    _hooks: _HookDict | None = None
    _post_acc_hooks: _HookDict | None = None
    _grad_acc: weakref.ref[AccumulateGrad] | None = None
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (2.0 * t)

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        self._data = data
        self._requires_grad = requires_grad
        self._grad_fn: Node | None = None
        self._output_nr = 0
        self._vc: VersionCounter | None = None
        self._view_fn: ViewFn | None = None

    # -- shape and type ---------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __iter__(self):
        """Iterate over the first dimension (each item is a view, as in PyTorch)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self) -> _dtypes.dtype:
        return _dtypes.from_numpy_dtype(self._data.dtype)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def device(self) -> str:
        return "cpu"

    # -- autograd state -----------------------------------------------------------
    def _sync_view(self, strict: bool = True) -> None:
        """A view whose base (or a sibling view) was modified in place since its history
        was built gets it rebuilt now (Note [Rebasing history] in autograd/inplace.py)."""
        if self._view_fn is not None:
            self._view_fn.refresh(self, strict)

    @property
    def requires_grad(self) -> bool:
        self._sync_view(strict=False)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise RuntimeError("requires_grad must be a bool")  # PyTorch's words (1 too)
        if self._grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't "
                        "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients; this tensor is "
                f"{self.dtype}. Convert it first, e.g. t.double() or t.float()."
            )
        self._requires_grad = bool(value)

    @property
    def grad_fn(self):
        """The Node that created this tensor, or None for a leaf."""
        self._sync_view()
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op; only leaves accumulate ``.grad``."""
        self._sync_view()
        return self._grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                    f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor "
                    "are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with "
                    f"dtype '{self.dtype}'. Please ensure that the gradient and the tensor have "
                    "the same dtype"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with views)."""
        return 0 if self._vc is None else self._vc.value

    def _version_counter(self) -> VersionCounter:
        """The shared counter, created on first use so that most tensors never pay for one."""
        vc = self._vc
        if vc is None:
            vc = self._vc = VersionCounter()
        return vc

    def is_view(self) -> bool:
        """True if this tensor shares memory with ``_base`` (PyTorch: ``_base is not None``)."""
        return self._base is not None

    @property
    def data(self) -> Tensor:
        """The same memory outside the graph *and* outside version tracking (prefer ``detach()``).

        As in PyTorch, ``.data`` gets a version counter of its own: changing it in place
        is not seen by saved tensors, so backward may silently use the new values. That
        is why ``detach()``, which shares the counter, is the safe spelling.
        """
        return Tensor(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    # -- leaving the array world -----------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The NumPy array behind this tensor (shared memory, as in PyTorch)."""
        if self._requires_grad and _grad_state.enabled:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        return self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                "item() needs exactly one element (index or reduce first)."
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; "
                "use .any() or .all(), or compare a single element."
            )
        return bool(self._data.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad and _grad_state.enabled:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        return self._data if dtype is None else self._data.astype(dtype)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        suffixes = []
        grad_fn = self._grad_fn
        if self._base is not None:
            try:
                grad_fn = self.grad_fn  # a view's history may need regenerating first
            except RuntimeError:
                pass  # a repr must not fail: show the history as it was
        if grad_fn is not None:
            suffixes.append(f"grad_fn=<{grad_fn.name()}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        return format_tensor(self._data, suffixes, _dtypes.get_default_dtype().name)

    def _set_grad_accumulator(self, node) -> None:
        self._grad_acc = weakref.ref(node)


def _wrap_dim(dim: int, ndim: int) -> int:
    """Turn a possibly negative ``dim`` into an index, or raise PyTorch's IndexError
    (PyTorch's TypeError for a ``dim`` that is not an int)."""
    if type(dim) is not int:
        dim = _int_arg(dim)
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % max(ndim, 1)


def _int_arg(value) -> int:
    """An int argument given as something else: NumPy integers and integer 0-d tensors
    are ints (``__index__``); ``True``, ``1.5``, ``"a"``, ``None`` or a list get PyTorch's
    "flatten(): argument 'start_dim' (position 2) must be int, not str"."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise wrong_type(value, "int") from None


# Note [Naming the bad argument]
# PyTorch's argument parser knows, for every op, the name and position of each argument, so
# ``x.flatten('a')`` says "flatten(): argument 'start_dim' (position 1) must be int, not
# str". Our checks live in shared helpers (``_wrap_dim`` serves flatten, unsqueeze, size,
# softmax, ...), which are handed the value, not its name. So, and only once a check has
# failed, ``wrong_type`` looks up the call stack for the outermost public autograd_lab
# function that took the bad value as a parameter: its name and that parameter's are the
# ones the user wrote. Private helpers, forwarding wrappers (``*args``) and comprehensions
# name nothing, and are passed over. The value is matched by identity, so a shared object
# (None passed twice) is named by its first parameter. Nothing is looked up on the common
# path.

_OWN_PACKAGE = __name__.split(".")[0] + "."
_CHECKS = _OWN_PACKAGE + "_ops._args"  # int_arg, ints_arg: checks, not what the user called


def _parameter_holding(frame, value):
    """``(name, position)`` of the parameter of ``frame``'s function that holds ``value``
    (or holds it inside its ``*args``), or None. ``self`` does not count as a position,
    as in PyTorch's method messages."""
    code = frame.f_code
    if code.co_name.startswith(("<", "_")):
        return None  # a comprehension, or a private helper: not what the user called
    varargs = bool(code.co_flags & inspect.CO_VARARGS)
    nargs = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames[:nargs + varargs]
    if varargs and names[-1] == "args":
        return None  # a wrapper forwarding its arguments
    local = frame.f_locals
    shift = 0 if names and names[0] == "self" else 1
    for i, name in enumerate(names):
        held = local.get(name)
        if held is value or (varargs and i == nargs and type(held) is tuple
                             and any(v is value for v in held)):
            return name, i + shift
    return None


def wrong_type(value, expected: str, name: str = "dim", found: str | None = None) -> TypeError:
    """PyTorch's TypeError for ``value``, which should have been ``expected`` ("int",
    "Tensor", "bool"...): "flatten(): argument 'start_dim' (position 2) must be int, not str",
    naming the public function and its parameter (Note [Naming the bad argument]); a
    generic "argument 'dim' must be int, not str" when no function of ours took the value.
    ``found`` replaces "not str" (for a sequence with a bad element)."""
    caller = None
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_OWN_PACKAGE):
        checks = frame.f_globals["__name__"] == _CHECKS
        where = None if checks else _parameter_holding(frame, value)
        if where is not None:
            caller = (frame.f_code.co_name, *where)
        frame = frame.f_back
    del frame
    found = found or f"not {type(value).__name__}"
    if caller is None:
        return TypeError(f"argument '{name}' must be {expected}, {found}")
    fn, name, position = caller
    return TypeError(f"{fn}(): argument '{name}' (position {position}) must be {expected}, "
                     f"{found}")
