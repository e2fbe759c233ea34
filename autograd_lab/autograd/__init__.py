"""``autograd_lab.autograd``: the graph, the engine, and grad mode."""

from . import anomaly_mode, engine, fast_mode, function, grad_mode, graph, recording
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import BackwardStep, backward, backward_steps, grad
from .fast_mode import fast_formulas, is_fast_formulas_enabled, set_fast_formulas
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .recording import OpRecord, record_ops, register_op_hook

__all__ = [
    "backward", "grad", "backward_steps", "BackwardStep",
    "Function", "FunctionCtx", "InplaceFunction", "once_differentiable",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "fast_formulas", "set_fast_formulas", "is_fast_formulas_enabled",
    "record_ops", "register_op_hook", "OpRecord",
    "graph", "engine", "function", "grad_mode", "anomaly_mode", "fast_mode",
    "recording",
]
