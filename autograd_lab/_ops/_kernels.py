"""NumPy kernels: how some forwards and NumPy formulas reach NumPy's fast loops.

Nothing here is a derivative or an op; each function computes what a plain NumPy call
computes (``np.sum``, ``np.maximum``, ``np.matmul``), and is tested against that call
(tests/test_partial_sum.py, tests/nn/test_conv_relu_fast_paths.py). They live apart so
that a learner reading the table sees the maths, and can skip the plumbing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLAS_DTYPES", "partial_sum", "add_reduce", "sum_to_forward", "relu_forward",
           "matmul_forward", "mT_array"]


# Note [Fast partial sums]
# NumPy sums a float array over *some* of its axes far below memory speed when the axes
# it keeps or reduces are short: over the middle axis of (64, 128, 32), or the last axis
# of (8192, 32), it is 5 to 20 times slower than a product with a vector of ones, which
# BLAS runs at memory speed (gemv). Such sums are in every backward pass: each broadcast
# input's gradient is summed back down to its shape (``sum_to_size``, which the engine
# calls), and means and softmaxes reduce one axis. ``partial_sum`` merges the axes of a
# contiguous array into runs (kept, reduced, kept, ...) and reduces each reduced run
# with one matrix-vector product; a reduced axis along which the array repeats itself
# (stride 0: an expanded gradient) is not added up at all, but read once and multiplied.
# Accuracy: over a leading or middle axis NumPy adds the rows one after another, as the
# product with ones does; over the last, contiguous axis NumPy sums pairwise, which is
# more accurate on long runs, so trailing runs longer than 1024 stay with NumPy, and so
# do full reductions (pairwise too) and everything that is not float32/float64.
BLAS_DTYPES = frozenset([np.dtype(np.float32), np.dtype(np.float64)])
_SMALL = 1024  # below this many elements np.sum's lower call overhead wins
_LONG_TRAILING = 1024
_ONES: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A vector of ``n`` ones; cached (read-only) up to a size not worth keeping."""
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        ones = np.ones(n, dtype)
        if n <= 65536:
            if len(_ONES) >= 64:
                _ONES.clear()
            ones.flags.writeable = False
            _ONES[key] = ones
    return ones


# np.sum on an ndarray is this ufunc method behind a Python wrapper that sorts out its
# keyword arguments: about a microsecond a call, more than a small sum itself.
add_reduce = np.add.reduce


def partial_sum(a: np.ndarray, axes: tuple, keepdims: bool = False) -> np.ndarray:
    """``np.sum(a, axis=axes, keepdims=keepdims)`` for sorted non-negative ``axes``, at
    memory speed for partial float sums (see Note [Fast partial sums])."""
    if a.dtype not in BLAS_DTYPES or a.size < _SMALL or not axes:
        # NumPy's stubs give ufunc.reduce a keepdims of Literal[True] or Literal[False]
        # (each its own overload), none for a bool known only at run time.
        return add_reduce(a, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
    shape = a.shape
    factor = 1
    if 0 in a.strides:  # repeated along a reduced axis: read once, multiply
        index = []
        for axis, (size, stride) in enumerate(zip(shape, a.strides, strict=True)):
            if stride == 0 and size > 1 and axis in axes:
                index.append(slice(0, 1))
                factor *= size
            else:
                index.append(slice(None))
        a = a[tuple(index)]
    if len(axes) == a.ndim or not a.flags.c_contiguous:
        # a bool keepdims, which NumPy's stubs for reduce do not take (see above)
        out = add_reduce(a, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]
        return out * factor if factor != 1 else out
    if len(axes) == 1:  # the common case, with less bookkeeping
        axis = axes[0]
        r = a.shape[axis]  # 1 if the array repeated itself along it (then ``factor``)
        pre = 1
        for size in a.shape[:axis]:
            pre *= size
        post = a.size // (pre * r)
        ones = _ones(r, a.dtype)
        if post == 1:  # a contiguous run: NumPy's pairwise sum if it is long
            m = a.reshape(pre, r)
            out = np.sum(m, axis=1) if r > _LONG_TRAILING else m @ ones
        elif pre == 1:
            out = ones @ a.reshape(r, post)
        else:
            out = np.matmul(ones.reshape(1, r), a.reshape(pre, r, post))
        tail = shape[axis + 1:]
        out = out.reshape(shape[:axis] + (1,) + tail if keepdims else shape[:axis] + tail)
        return out * factor if factor != 1 else out
    if a.size < 4 * _SMALL:  # several runs: more calls, worth it from about 4096 elements
        out = np.sum(a, axis=axes, keepdims=keepdims)
        return out * factor if factor != 1 else out
    runs: list = []  # [size, reduced] for runs of adjacent axes (size-1 axes dropped)
    for axis, size in enumerate(a.shape):
        if size != 1:
            reduced = axis in axes
            if runs and runs[-1][1] == reduced:
                runs[-1][0] *= size
            else:
                runs.append([size, reduced])
    out = a
    dtype = a.dtype
    for i in range(len(runs)):
        if not runs[i][1]:
            continue
        r = runs[i][0]
        pre = 1
        for size, _ in runs[:i]:
            pre *= size
        post = 1
        for size, _ in runs[i + 1:]:
            post *= size
        if pre == 1 and post == 1:
            out = add_reduce(out, axis=None)
        elif pre == 1:
            out = _ones(r, dtype) @ out.reshape(r, post)
        elif post == 1:
            m = out.reshape(pre, r)
            out = np.sum(m, axis=1) if r > _LONG_TRAILING else m @ _ones(r, dtype)
        else:
            out = np.matmul(_ones(r, dtype).reshape(1, r), out.reshape(pre, r, post))
        runs[i][0] = 1  # reduced away; the runs before it are now one with it in size
    if keepdims:
        out_shape = tuple([1 if axis in axes else size for axis, size in enumerate(shape)])
    else:
        out_shape = tuple([size for axis, size in enumerate(shape) if axis not in axes])
    out = out.reshape(out_shape)
    return out * factor if factor != 1 else out


def sum_to_forward(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and a.shape[lead + i] != 1
    )
    return partial_sum(a, axes, True).reshape(shape) if axes else a


# Note [relu on rows of zeros]
# np.maximum(a, 0) compares with a broadcast scalar, a case NumPy runs through its plain
# loop; between two contiguous arrays it runs a SIMD loop, twice as fast on large float
# arrays (W5's 2 MB: 270 -> 130 us). So a large contiguous float array is viewed as rows
# of _RELU_ROW elements and compared with one row of zeros (broadcast down the rows), and
# the few elements left over, if any, with the scalar. Same values, nan included.
_RELU_ROW = 4096
_RELU_ZEROS: dict = {}  # dtype -> a read-only row of zeros


def relu_forward(a: np.ndarray) -> np.ndarray:
    """max(a, 0), nan kept (Note [relu on rows of zeros])."""
    if a.dtype.kind != "f" or a.size < _RELU_ROW or not a.flags.c_contiguous:
        return np.maximum(a, 0)
    zeros = _RELU_ZEROS.get(a.dtype)
    if zeros is None:
        zeros = _RELU_ZEROS[a.dtype] = np.zeros(_RELU_ROW, a.dtype)
        zeros.flags.writeable = False
    out = np.empty_like(a)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    whole = a.size - a.size % _RELU_ROW  # the elements that fill whole rows
    np.maximum(flat_in[:whole].reshape(-1, _RELU_ROW), zeros,
               out=flat_out[:whole].reshape(-1, _RELU_ROW))
    np.maximum(flat_in[whole:], 0, out=flat_out[whole:])
    return out


def matmul_forward(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul, with broadcast (zero-stride) operands made contiguous first: BLAS cannot
    take them, and NumPy's fallback loop is about ten times slower (gradients of ``sum``
    arrive as such expanded arrays)."""
    if 0 in a.strides:
        a = np.ascontiguousarray(a)
    if 0 in b.strides:
        b = np.ascontiguousarray(b)
    return np.matmul(a, b)


def mT_array(x: np.ndarray) -> np.ndarray:  # noqa: N802 - PyTorch's mT
    return np.swapaxes(x, -1, -2)
