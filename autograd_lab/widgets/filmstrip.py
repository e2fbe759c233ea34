"""``Filmstrip``: every frame of a stepper in one piece of HTML that steps without a kernel.

A stepper widget needs a running kernel: its buttons call Python. A page that was saved
(the docs site, a notebook opened on a machine without Python) keeps only a frozen picture
of it. A filmstrip keeps *all* the frames instead, and steps through them with HTML and CSS
alone, no JavaScript: one radio button per frame (hidden, still focusable), ``<label>``
elements as the ◀ ▶ buttons and the frame numbers, and CSS rules of the form "when radio
``k`` is checked, show frame ``k`` and colour its nodes". The arrow keys move between radio
buttons, so the keyboard steps too.

Its text form (what strict nbval compares) is every frame's text, in order.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass

__all__ = ["Filmstrip", "Frame"]

_instances = itertools.count(1)  # element ids are page-wide: each filmstrip gets its own
_SHAPES = ("polygon", "path", "ellipse")  # what graphviz draws a node's box with


@dataclass(frozen=True)
class Frame:
    """One position of a stepper.

    ``caption``: a few words for the frame (``step 2/7: n3 MulBackward0``); ``text``: the
    stepper's panel at that position; ``svg``: this frame's own drawing, if it has one;
    ``styles``: ``(css declarations, svg element ids)`` pairs that restyle the filmstrip's
    shared drawing while this frame is shown.
    """

    caption: str
    text: str
    svg: str | None = None
    styles: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Filmstrip:
    """A kernel-free stepper: ``frames`` over an optional ``shared_svg`` laid out once.

    The steppers make them (``BackwardStepper.filmstrip()``, ``ForwardStepper.filmstrip()``);
    any sequence of frames will do:

    >>> film = Filmstrip([Frame("start", "x = 1"), Frame("doubled", "x = 2")], title="demo")
    >>> print(film)
    demo: 2 frames that step without a kernel (◀ ▶, a number, the arrow keys)
    ── frame 0 ──
    x = 1
    ── frame 1 ──
    x = 2
    >>> film.html().count('type="radio"')
    2
    """

    def __init__(self, frames: list[Frame], shared_svg: str | None = None,
                 title: str = "") -> None:
        if not frames:
            raise ValueError("Filmstrip needs at least one frame")
        self.frames = list(frames)
        self.shared_svg = shared_svg
        self.title = title
        self.key = f"al-film-{next(_instances)}"

    def radio_id(self, k: int) -> str:
        """The id of frame ``k``'s radio button (what its labels point at)."""
        return f"{self.key}-{k}"

    def text(self) -> str:
        """Every frame's text, in order (deterministic)."""
        n = len(self.frames)
        head = f"{self.title}: " if self.title else ""
        parts = [f"{head}{n} frames that step without a kernel (◀ ▶, a number, the arrow keys)"]
        for k, frame in enumerate(self.frames):
            parts.append(f"── frame {k} ──\n{frame.text}")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The filmstrip as one ``<div>``: its CSS, the radios, the frames."""
        radios = "".join(
            f'<input type="radio" class="al-film-pick" name="{self.key}" '
            f'id="{self.radio_id(k)}" aria-label="frame {k}: {_attr(frame.caption)}"'
            f'{" checked" if k == 0 else ""}>'
            for k, frame in enumerate(self.frames))
        numbers = "".join(f'<label for="{self.radio_id(k)}" title="{_attr(frame.caption)}">'
                          f"{k}</label>" for k, frame in enumerate(self.frames))
        graph = (f'<div class="al-film-graph">{_inline(self.shared_svg)}</div>'
                 if self.shared_svg else "")
        frames = "".join(self._frame_html(k, frame) for k, frame in enumerate(self.frames))
        title = (f'<div class="al-film-title">{html.escape(self.title)}</div>'
                 if self.title else "")
        return (f'<div class="al-film" id="{self.key}"><style>{self._css()}</style>{radios}'
                f'{title}<div class="al-film-nav">frame {numbers}</div>'
                f'<div class="al-film-body">{graph}<div class="al-film-frames">{frames}</div>'
                "</div></div>")

    def _frame_html(self, k: int, frame: Frame) -> str:
        last = len(self.frames) - 1
        back = (f'<label class="al-film-back" for="{self.radio_id(k - 1)}">◀ back</label>'
                if k > 0 else '<span class="al-film-off">◀ back</span>')
        forward = (f'<label class="al-film-next" for="{self.radio_id(k + 1)}">next ▶</label>'
                   if k < last else '<span class="al-film-off">next ▶</span>')
        panel = f'<pre class="al-state">{html.escape(frame.text)}</pre>'
        if frame.svg:  # its own drawing, with the panel beside it
            panel = (f'<div class="al-film-row"><div class="al-film-own">{_inline(frame.svg)}'
                     f"</div>{panel}</div>")
        return (f'<div class="al-film-frame al-film-f{k}" data-frame="{k}">'
                f'<div class="al-film-buttons">{back} {forward}</div>{panel}</div>')

    def _css(self) -> str:
        """Show frame ``k`` (and light up its number, restyle the drawing) while radio ``k``
        is checked. Every rule starts at this filmstrip's own element."""
        root = f"#{self.key}"
        rules = [
            f"{root} .al-film-pick {{position: absolute; opacity: 0; width: 1px; height: 1px}}",
            f"{root} .al-film-nav label, {root} .al-film-buttons label {{cursor: pointer; "
            "padding: 1px 6px; margin: 1px; border: 1px solid #999; border-radius: 3px; "
            "display: inline-block; user-select: none}",
            f"{root} .al-film-off {{padding: 1px 6px; margin: 1px; color: #aaa; "
            "border: 1px solid #ddd; border-radius: 3px; display: inline-block}",
            f"{root} .al-film-body {{display: flex; flex-flow: row wrap; gap: 8px}}",
            f"{root} .al-film-graph {{flex: 1 1 55%; min-width: 300px; overflow: auto}}",
            f"{root} .al-film-frames {{flex: 1 1 40%; min-width: 300px}}",
            f"{root} svg {{max-width: 100%; height: auto}}",
            f"{root} .al-film-row {{display: flex; flex-flow: row wrap; gap: 8px}}",
            f"{root} .al-film-own {{flex: 1 1 55%; min-width: 300px}}",
            f"{root} .al-film-row pre.al-state {{flex: 1 1 40%; min-width: 300px}}",
            f"{root} .al-film-frame {{display: none}}",
            f"{root} pre.al-state {{font-size: 12px; white-space: pre-wrap; margin: 4px 0}}",
        ]
        for k, frame in enumerate(self.frames):
            picked = f"#{self.radio_id(k)}:checked"
            rules.append(f"{root} {picked} ~ .al-film-body .al-film-f{k} {{display: block}}")
            rules.append(f'{root} {picked} ~ .al-film-nav label[for="{self.radio_id(k)}"] '
                         "{background: #ffd54f; font-weight: bold}")
            rules.append(f'{root} #{self.radio_id(k)}:focus-visible ~ .al-film-nav '
                         f'label[for="{self.radio_id(k)}"] {{outline: 2px solid #1565c0}}')
            for style, ids in frame.styles:
                if ids:
                    selectors = ", ".join(
                        f"{root} {picked} ~ .al-film-body .al-film-graph #{i} > {shape}"
                        for i in ids for shape in _SHAPES)
                    rules.append(f"{selectors} {{{style}}}")
        return "\n".join(rules)


def _inline(svg: str) -> str:
    """The SVG element alone (no XML prolog or doctype, which HTML does not want)."""
    return svg[svg.index("<svg"):]


def _attr(text: str) -> str:
    return html.escape(text, quote=True)
