"""Make the README's drawing: ``python docs/images/make_readme_drawing.py``.

Writes ``readme_graph.svg`` (the picture) and ``readme_graph.txt`` (its text form, which
tests/test_readme_drawing.py compares with what the code draws today, so the picture
cannot silently fall behind the code).
"""

from __future__ import annotations

from pathlib import Path

import autograd_lab as al

HERE = Path(__file__).resolve().parent


def readme_drawing():
    """The README's example: w is changed in place after mul saved it."""
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = al.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * w).sigmoid()
    loss = (y * y).sum()
    with al.no_grad():
        w.add_(1.0)  # mul saved w: backward will refuse, and the drawing says so in red
    return al.viz.draw_graph(loss, params={"x": x, "w": w})


if __name__ == "__main__":
    drawing = readme_drawing()
    drawing.save(str(HERE / "readme_graph.svg"))
    (HERE / "readme_graph.txt").write_text(drawing.text + "\n")
    print(drawing.text)
