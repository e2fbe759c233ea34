"""``autograd_lab.widgets``: ipywidgets steppers over the engine's own events.

``BackwardStepper(loss)`` walks ``loss.backward()`` node by node over a drawing of the
graph; ``ForwardStepper(fn, *args)`` shows the tape as ``fn`` records it, op by op.
"""

from .backward_stepper import BackwardStepper
from .forward_stepper import ForwardFrame, ForwardStepper

__all__ = ["BackwardStepper", "ForwardStepper", "ForwardFrame"]
