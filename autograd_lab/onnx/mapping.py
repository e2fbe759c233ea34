"""The export table: each row of the derivative table (and each op without a row) that
has an ONNX form, by name, to the function that builds it with ``g.op``.

A mapping is written as a ``symbolic`` is, with one more argument: ``fn(g, out, *inputs,
**attrs)`` where ``out`` is what the program node computes (``out.dtype``,
``out.shape``, or ``out.outputs`` for several), ``inputs`` the node's tensor arguments as
``Value``s and ``attrs`` the row's attributes by name (``ops.sum(x, dim=(0,), ...)``
gives ``dim=(0,)``). Families live in their own modules:

- ``_pointwise.py``: unary maths, arithmetic, comparisons, ``where``, ``clamp``, casts;
- ``_reductions.py``: ``sum``, ``mean``, ``amax``, ``var``, norms, ``cumsum``;
- ``_shapes.py``: views, indexing, ``cat``/``stack``/``split``, ``flip``, padding;
- ``_nn.py``: ``matmul``, ``convolution``, ``softmax``, pooling, reflection padding,
  ``im2col``, ``binary_cross_entropy``.

A row missing here cannot be exported (``UnsupportedOperatorError``, or a fallthrough node):
``erfinv`` (ONNX has no such op), most losses, ``masked_select`` (a size known only at
run time), scatters and in-place index writes (but ``index_put_impl``, an accumulating
write: ``ScatterND``), ``col2im``, ``diagonal``, ``cumprod``.

>>> sorted(ROWS)[:5]
['abs', 'acos', 'add', 'add_Scalar', 'add_alpha']
>>> "erfinv" in ROWS
False
"""

from __future__ import annotations

from . import _nn, _pointwise, _reductions, _shapes

__all__ = ["ROWS", "UNROWED", "OPSETS", "mapping_for"]

# The default-domain opsets the mappings are written for (Reduce* take axes as an input
# from 18, Gelu exists from 20); onnxruntime 1.16 and later run all of them.
OPSETS = range(17, 22)

ROWS: dict = {**_pointwise.ROWS, **_reductions.ROWS, **_shapes.ROWS, **_nn.ROWS}
UNROWED: dict = dict(_pointwise.UNROWED)


def mapping_for(name: str, rowed: bool = True):
    """The mapping of the row (or op without a row) ``name``, or ``None``."""
    return (ROWS if rowed else UNROWED).get(name)
