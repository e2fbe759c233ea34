"""Export, check, run in onnxruntime, compare with autograd_lab: the round trip every
export test makes. onnxruntime is the independent runtime; autograd_lab's eager run is
the reference."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

import autograd_lab as al


def session(proto) -> ort.InferenceSession:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def run(proto, *args) -> list:
    """The model's outputs in onnxruntime for the tensor arguments ``args``."""
    sess = session(proto)
    arrays = [a.detach().numpy() for a in args if isinstance(a, al.Tensor)]
    names = [i.name for i in sess.get_inputs()]
    assert len(names) == len(arrays), (names, len(arrays))
    return sess.run(None, dict(zip(names, arrays, strict=True)))


def flatten(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten(v)]
    return [value]


def eager(model, *args) -> list:
    """autograd_lab's own outputs (a module in eval mode, as it is exported)."""
    if hasattr(model, "eval"):
        model.eval()
    with al.no_grad():
        return [t.detach().numpy() for t in flatten(model(*args))]


def assert_same(got: list, want: list, rtol=1e-5, atol=1e-6) -> None:
    assert len(got) == len(want), f"{len(got)} outputs from onnxruntime, {len(want)} eager"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.dtype == w.dtype, f"output {i}: dtype {g.dtype} in onnxruntime, {w.dtype} eager"
        assert g.shape == w.shape, f"output {i}: shape {g.shape} in onnxruntime, {w.shape} eager"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {i}")


def roundtrip(model, args, *, also=(), rtol=1e-5, atol=1e-6, **export_kwargs):
    """Export ``model`` on ``args``, check the model (full_check), run it in onnxruntime
    on ``args`` and on each tuple of arguments in ``also`` (new values, same shapes), and
    compare every output with autograd_lab's. Returns the ModelProto."""
    args = (args,) if isinstance(args, al.Tensor) else tuple(args)
    proto = al.onnx.export(model, args, None, **export_kwargs)
    onnx.checker.check_model(proto, full_check=True)
    for inputs in (args, *also):
        assert_same(run(proto, *inputs), eager(model, *inputs), rtol, atol)
    return proto


def op_types(proto) -> list:
    return [n.op_type for n in proto.graph.node]
