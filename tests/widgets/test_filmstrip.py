"""A stepper's filmstrip holds, frame by frame, exactly what the stepper shows at each
position (its text, and for the backward pass the same node coloured gold), and its HTML is
wired so that each ◀ ▶ and frame number reaches a radio of its own filmstrip."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import autograd_lab as al
from autograd_lab.viz._dot import CURRENT
from autograd_lab.widgets import BackwardStepper, Filmstrip, ForwardStepper, Frame


def _problem():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = al.tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = al.tensor([0.1], requires_grad=True)
    loss = ((x * w + b).sigmoid() ** 2).sum()
    return loss, {"x": x, "w": w, "b": b}


class _Elements(HTMLParser):
    """Every start tag with its attributes, in order; and which frame each tag sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list = []
        self._frame: list = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-frame" in attrs:
            self._frame.append(int(attrs["data-frame"]))
        frame = self._frame[-1] if self._frame else None
        self.tags.append((tag, attrs, frame))

    def handle_endtag(self, tag):
        pass


def _parse(markup: str) -> list:
    parser = _Elements()
    parser.feed(markup)
    return parser.tags


def test_backward_frames_are_the_stepper_positions():
    loss, params = _problem()
    stepper = BackwardStepper(loss, params=params)
    stepper.next()
    film = stepper.filmstrip()
    assert stepper.position == 1, "making the filmstrip must not move the stepper"
    assert len(film.frames) == stepper.n_steps + 1 == 9
    for k, frame in enumerate(film.frames):
        stepper.goto(k)
        assert frame.text == stepper.state_text()
        assert frame.caption == stepper.state_text().splitlines()[0]


def test_backward_filmstrip_runs_the_pass_to_the_end():
    loss, params = _problem()
    stepper = BackwardStepper(loss, params=params)
    stepper.filmstrip()
    assert params["x"].grad is not None  # the engine ran every node
    loss2, params2 = _problem()
    loss2.backward()
    for name in params:
        assert params[name].grad.tolist() == params2[name].grad.tolist()


def test_backward_frame_colours_the_node_the_widget_colours():
    loss, params = _problem()
    stepper = BackwardStepper(loss, params=params)
    film = stepper.filmstrip()
    css = film.html().split("<style>", 1)[1].split("</style>", 1)[0]
    for k in range(1, len(film.frames)):
        stepper.goto(k)
        current = stepper.svg_source().split('data-current="', 1)[1].split('"', 1)[0]
        assert current
        gold = [rule for rule in css.splitlines()
                if f"#{film.radio_id(k)}:checked" in rule and f"fill: {CURRENT}" in rule]
        assert len(gold) == 1 and f"#{current} > polygon" in gold[0], (k, gold)
    frame0 = [rule for rule in css.splitlines()
              if f"#{film.radio_id(0)}:checked" in rule and f"fill: {CURRENT}" in rule]
    assert frame0 == [], "before the first node nothing is current"


def test_every_control_reaches_its_own_radio():
    loss, params = _problem()
    film = BackwardStepper(loss, params=params).filmstrip()
    tags = _parse(film.html())
    radios = [a for tag, a, _ in tags if tag == "input"]
    assert [r["id"] for r in radios] == [film.radio_id(k) for k in range(len(film.frames))]
    assert {r["name"] for r in radios} == {film.key}
    assert [("checked" in r) for r in radios] == [True] + [False] * (len(radios) - 1)
    ids = {r["id"] for r in radios}
    labels = [(a, frame) for tag, a, frame in tags if tag == "label"]
    assert all(a["for"] in ids for a, _ in labels)
    last = len(film.frames) - 1
    for a, frame in labels:
        if a.get("class") == "al-film-next":
            assert a["for"] == film.radio_id(frame + 1)
        elif a.get("class") == "al-film-back":
            assert a["for"] == film.radio_id(frame - 1)
    nexts = sorted(f for a, f in labels if a.get("class") == "al-film-next")
    backs = sorted(f for a, f in labels if a.get("class") == "al-film-back")
    assert nexts == list(range(last)) and backs == list(range(1, last + 1))
    assert sum(tag == "svg" for tag, _, _ in tags) == 1, "the backward drawing is laid out once"


def test_forward_frames_are_the_stepper_positions_each_with_its_drawing():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)

    def model(x, w):
        return (x * w).exp().sum()

    tape = ForwardStepper(model, x, w)
    film = tape.filmstrip()
    assert len(film.frames) == tape.n_steps + 1 == 4
    for k, frame in enumerate(film.frames):
        tape.goto(k)
        assert frame.text == tape.state_text()
        assert (frame.svg is None) == (k == 0)
    assert film.frames[3].svg == tape.frames[2].drawing.svg()
    tags = _parse(film.html())
    frames_with_svg = sorted(f for tag, _, f in tags if tag == "svg")
    assert frames_with_svg == [1, 2, 3]


def test_text_form_lists_every_frame_and_has_no_addresses():
    loss, params = _problem()
    film = BackwardStepper(loss, params=params).filmstrip()
    text = repr(film)
    assert text.startswith("backward, node by node: 9 frames that step without a kernel")
    assert [line for line in text.splitlines() if line.startswith("── frame")] == \
        [f"── frame {k} ──" for k in range(9)]
    assert "0x" not in text


def test_each_filmstrip_has_its_own_ids():
    a = Filmstrip([Frame("one", "1")])
    b = Filmstrip([Frame("one", "1")])
    assert a.key != b.key and a.radio_id(0) != b.radio_id(0)


def test_a_filmstrip_needs_a_frame():
    with pytest.raises(ValueError, match="at least one frame"):
        Filmstrip([])


def test_captions_and_text_are_escaped():
    film = Filmstrip([Frame('a <b> & "c"', "x < y")])
    markup = film.html()
    assert "x &lt; y" in markup and 'a &lt;b&gt; &amp; &quot;c&quot;' in markup
    assert "<b>" not in markup
