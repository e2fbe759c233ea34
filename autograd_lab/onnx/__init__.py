"""``autograd_lab.onnx``: export a traced program to ONNX, as ``torch.onnx.export`` does.

``export(model, args, f)`` traces ``model`` with ``al.trace.make_fx``, lowers each op to
ONNX ops (``mapping.py``, written with the same ``g.op`` a custom Function's
``symbolic(g, *inputs)`` uses), makes parameters initializers, checks the model and
saves it. The modules, one job each:

- ``export.py``: the public function, the ``ModelProto``;
- ``lowering.py``: the walk over the program (ops, Functions, what cannot be exported);
- ``symbolic.py``: ``g`` (``GraphContext``), ``g.op`` and PyTorch's attribute suffixes;
- ``mapping.py``: the table of rows, with ``_pointwise``, ``_reductions``, ``_shapes``,
  ``_nn`` (one family a module) and ``_common`` (casts, constants, axes);
- ``functions.py``: model-local functions for the Functions kept whole (``fallthrough``);
- ``export_types.py``, ``errors.py``: ``OperatorExportTypes``, ``UnsupportedOperatorError``.
"""

try:
    import onnx as _onnx  # noqa: F401 - the exporter builds models with it
except ImportError as error:  # pragma: no cover - the test and notebook extras install it
    raise ImportError("al.onnx needs the onnx package (and onnxruntime to run what it "
                      "exports): pip install onnx onnxruntime, or "
                      "pip install -e '.[test]'") from error

from .errors import UnsupportedOperatorError  # noqa: E402
from .export import export  # noqa: E402
from .export_types import OperatorExportTypes  # noqa: E402
from .functions import DOMAIN  # noqa: E402
from .symbolic import GraphContext, Value  # noqa: E402

__all__ = ["export", "OperatorExportTypes", "UnsupportedOperatorError", "GraphContext",
           "Value", "DOMAIN"]
