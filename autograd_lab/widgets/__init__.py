"""``autograd_lab.widgets``: ipywidgets steppers over the engine's own events.

``BackwardStepper(loss)`` walks ``loss.backward()`` node by node over a drawing of the
graph.
"""

from .backward_stepper import BackwardStepper

__all__ = ["BackwardStepper"]
