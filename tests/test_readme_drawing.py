"""The README's drawing is what the code draws today (compared by its text form: SVG
bytes depend on the machine's Graphviz and fonts)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def load_script():
    spec = importlib.util.spec_from_file_location("make_readme_drawing",
                                                  IMAGES / "make_readme_drawing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_text_form_matches_the_code():
    drawing = load_script().readme_drawing()
    committed = (IMAGES / "readme_graph.txt").read_text()
    assert drawing.text + "\n" == committed, (
        "the README drawing is out of date: run python docs/images/make_readme_drawing.py")


def test_committed_svg_shows_the_stale_saved_value():
    svg = (IMAGES / "readme_graph.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert "saved at version 0, now 1" in svg and "#ef9a9a" in svg  # the red box


def test_readme_shows_the_drawing():
    readme = (IMAGES.parent.parent / "README.md").read_text()
    assert "docs/images/readme_graph.svg" in readme
