"""The text form of a drawing: the same boxes and links, one line per box.

It is what a drawing shows as ``text/plain`` (so strict nbval compares it, where the SVG's
bytes depend on the machine's fonts), and what ``graph_text`` returns.
"""

from __future__ import annotations

from ._model import GraphModel

__all__ = ["model_text"]

_MARKS = (("current", "current"), ("done", "done"), ("waiting", "waiting"),
          ("highlight", "highlighted"), ("stale", "STALE"))


def _marks(marks: set) -> str:
    words = [word for mark, word in _MARKS if mark in marks]
    return f"  [{', '.join(words)}]" if words else ""


def _describe(box) -> str:
    kind = {"leaf": "leaf ", "output": "", "tensor": "tensor ", "fold": "", "saved": "saved "}
    head = f"{kind.get(box.kind, '')}{box.title}"
    if box.kind == "leaf" and box.title == "leaf":  # a leaf no params= entry names
        head = "leaf"
    body = "; ".join(line.replace("\n", " ") for line in box.lines)
    return head + (f": {body}" if body else "") + _marks(box.marks)


def model_text(model: GraphModel) -> str:
    if model.program is not None:  # a traced program: its own text form
        from ._program import program_text

        return program_text(model)
    boxes = model.boxes
    nodes = sum(1 for b in boxes.values() if b.kind in ("op", "custom", "copyslices", "leaf"))
    saved = sum(1 for b in boxes.values() if b.kind == "saved")
    outputs = [b for b in boxes.values() if b.kind == "output"]
    counted = f"{nodes:,} node{'s' if nodes != 1 else ''}"
    if model.folded:
        counted += f" drawn + {model.folded:,} folded"
    lines = [f"backward graph: {len(outputs)} output{'s' if len(outputs) != 1 else ''}, "
             f"{counted}, {saved} saved value{'s' if saved != 1 else ''}"]
    out_links: dict = {}
    saved_of: dict = {}
    views: dict = {}
    for link in model.links:
        if link.kind == "saved":
            saved_of.setdefault(link.head, []).append(link.tail)
        elif link.kind == "view":
            views.setdefault(link.tail, []).append(link.head)
        else:
            out_links.setdefault(link.tail, []).append(link)
    for key, box in boxes.items():
        if box.kind == "saved":
            continue
        line = f"{key} {_describe(box)}"
        line += "".join(f"  (view of {base})" for base in views.get(key, ()))
        targets = []
        for link in out_links.get(key, ()):
            label = link.label.replace("\n", ", ")
            targets.append(f"{link.head} ({label})" if label else link.head)
        if targets:
            line += " -> " + ", ".join(targets)
        lines.append(line)
        for s in saved_of.get(key, ()):
            extra = "".join(f"  (view of {base})" for base in views.get(s, ()))
            lines.append(f"    {_describe(boxes[s])}{extra}")
    lines += [f"note: {note}" for note in model.notes]
    return "\n".join(lines)
