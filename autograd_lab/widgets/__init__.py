"""``autograd_lab.widgets``: ipywidgets steppers over the engine's own events.

``BackwardStepper(loss)`` walks ``loss.backward()`` node by node over a drawing of the
graph; ``ForwardStepper(fn, *args)`` shows the tape as ``fn`` records it, op by op.
A stepper's ``filmstrip()`` is a ``Filmstrip``: all its frames in HTML that steps without a
kernel, for saved pages such as the docs site.
"""

from .backward_stepper import BackwardStepper
from .filmstrip import Filmstrip, Frame
from .forward_stepper import ForwardFrame, ForwardStepper

__all__ = ["BackwardStepper", "ForwardStepper", "ForwardFrame", "Filmstrip", "Frame"]
