"""`make docs` builds the site with warnings as errors, in under two minutes; the built site
has every curriculum notebook as a page with its drawings as SVG files, and an API page per
public module that documents every name in the module's ``__all__``."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

from .conftest import DOCS, REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

sys.path.insert(0, str(DOCS))
import conf as docs_conf  # noqa: E402  (docs/conf.py: the list of public modules)

sys.path.remove(str(DOCS))


def _svg_outputs(nb: Path) -> int:
    cells = json.loads(nb.read_text())["cells"]
    return sum("image/svg+xml" in out.get("data", {})
               for cell in cells for out in cell.get("outputs", []))


def test_twelve_notebooks():
    assert len(NOTEBOOKS) == 12, [nb.name for nb in NOTEBOOKS]


def test_every_notebook_is_a_page_with_its_drawings_as_svg(built_site: Path):
    drawn = 0
    for nb in NOTEBOOKS:
        html_path = built_site / "notebooks" / f"{nb.stem}.html"
        assert html_path.is_file(), f"{nb.name} has no page"
        html = html_path.read_text()
        title = json.loads(nb.read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in html.replace("&#183;", "·"), (nb.name, title)
        svgs = re.findall(r'<img [^>]*src="\.\./_images/([0-9a-f]+\.svg)"', html)
        # every stored SVG drawing is on the page, as an SVG file that was written out
        assert len(svgs) == _svg_outputs(nb), (nb.name, svgs)
        for name in svgs:
            svg = (built_site / "_images" / name).read_text()
            assert "<svg" in svg and "</svg>" in svg, name
        drawn += len(svgs)
    assert drawn >= 8  # notebooks 02, 03, 04, 05, 08 and 11 draw graphs


def test_the_steppers_widget_state_is_embedded(built_site: Path):
    html = (built_site / "notebooks" / "03_graph_and_engine.html").read_text()
    assert 'type="application/vnd.jupyter.widget-state+json"' in html
    assert 'type="application/vnd.jupyter.widget-view+json"' in html


def _filmstrip_outputs(nb: Path) -> int:
    cells = json.loads(nb.read_text())["cells"]
    return sum('class="al-film"' in "".join(out.get("data", {}).get("text/html", ""))
               for cell in cells for out in cell.get("outputs", []))


def test_every_stored_filmstrip_is_on_its_page_whole(built_site: Path):
    """A stepper's kernel-free form reaches the page as its own HTML (not as a picture),
    every frame with its radio and the drawing inline."""
    pages = 0
    for nb in NOTEBOOKS:
        stored = _filmstrip_outputs(nb)
        html = (built_site / "notebooks" / f"{nb.stem}.html").read_text()
        strips = re.findall(r'<div class="al-film" id="(al-film-\d+)">', html)
        assert len(strips) == stored, (nb.name, strips)
        for key in strips:
            radios = re.findall(rf'<input type="radio" class="al-film-pick" name="{key}"', html)
            frames = re.findall(rf'#{key} #{key}-\d+:checked ~ .al-film-body .al-film-f\d+ ', html)
            assert len(radios) == len(frames) >= 3, (nb.name, key)
        pages += bool(stored)
    assert pages >= 2  # notebooks 03 and 05 step through backward (03 the tape too)


def test_links_between_notebooks_resolve(built_site: Path):
    html = (built_site / "notebooks" / "00_tour.html").read_text()
    assert 'href="01_one_page_autograd.html"' in html


def test_the_root_links_every_page(built_site: Path):
    html = (built_site / "index.html").read_text()
    for page in ["architecture", "engine", "benchmarks", "concepts/index", "api/index",
                 *(f"notebooks/{nb.stem}" for nb in NOTEBOOKS)]:
        assert f'href="{page}.html' in html, page


def test_the_api_pages_document_every_public_name(built_site: Path):
    modules = docs_conf.public_modules()
    assert {"autograd_lab", "autograd_lab.nn", "autograd_lab.nn.functional",
            "autograd_lab.optim", "autograd_lab.autograd"} <= set(modules)
    for modname in modules:
        page = built_site / "api" / "_generated" / f"{modname.replace('.', '_')}.html"
        html = page.read_text()
        ids = set(re.findall(r'<dt class="[^"]*" id="([^"]+)"', html))
        mod = importlib.import_module(modname)
        missing = [n for n in mod.__all__ if f"{modname}.{n}" not in ids]
        assert not missing, (modname, missing)
    # a docstring made it: Tensor.backward's example
    html = (built_site / "api" / "_generated" / "autograd_lab.html").read_text()
    assert 'id="autograd_lab.Tensor.backward"' in html
    assert "Accumulate the gradient of this tensor into the leaves" in html


def test_the_landing_page_example_gives_what_it_says():
    import numpy as np

    (block,) = re.findall(r"```python\n(.*?)```", (DOCS / "index.md").read_text(), flags=re.S)
    namespace: dict = {}
    exec(compile(block, "docs/index.md", "exec"), namespace)
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(namespace["x"].grad.numpy(), np.cos(x) * x + np.sin(x))


def test_classes_are_documented_with_the_arguments_users_pass(built_site: Path):
    """ipywidgets' classes have traitlets' ``__new__(*args, **kwargs)``, which autodoc
    prefers to ``__init__``; docs/conf.py shows ``__init__``'s arguments instead."""
    page = (built_site / "api" / "_generated" / "autograd_lab_widgets.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "BackwardStepper(loss, inputs=None, params=None, gradient=None" in text
    assert "ForwardStepper(fn, *args, params=None" in text
    for html in (built_site / "api" / "_generated").glob("*.html"):
        assert "t.Any" not in re.sub(r"<[^>]+>", "", html.read_text()), html.name


def test_concept_pages_show_the_figures_their_code_cells_make(built_site: Path):
    """myst-nb runs a concept page's code cells at build time: each leaves its drawing (an
    SVG file) or filmstrip (inline HTML) on the page, and no error output."""
    pages = 0
    for md in sorted((DOCS / "concepts").glob("*.md")):
        cells = re.findall(r"^```\{code-cell\}", md.read_text(), flags=re.M)
        if not cells:
            continue
        html = (built_site / "concepts" / f"{md.stem}.html").read_text()
        outputs = re.findall(r'<div class="cell_output docutils container">(.*?)</div>\s*</div>',
                             html, flags=re.S)
        assert len(outputs) == len(cells), md.name
        for out in outputs:
            assert re.search(r'src="\.\./_images/[0-9a-f]+\.svg"', out) or 'class="al-film"' in out
        assert "Traceback" not in html and "stderr" not in html, md.name
        pages += 1
    assert pages >= 5
