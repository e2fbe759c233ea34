"""The built site, opened in a real browser (Debian's chromium, driven by Playwright, with
no network), shows notebook 03's graph drawings: each is an ``<img>`` of an SVG file that
loaded (its natural size is known) and takes room on the page. A screenshot of the first
drawing goes to build/browser/docs-notebook-03.png, as the stepper's browser test does.
The same page's filmstrip (the backward stepper's kernel-free form) steps when clicked."""

from __future__ import annotations

from pathlib import Path

from .conftest import REPO_ROOT

SCREENSHOT_DIR = REPO_ROOT / "build" / "browser"

# The notebook's SVG drawings: how many loaded, and the size of the first one on the page.
DRAWINGS_JS = """() => {
    const imgs = [...document.querySelectorAll('img[src$=".svg"]')];
    const loaded = imgs.filter(i => i.complete && i.naturalWidth > 0);
    const r = loaded.length ? loaded[0].getBoundingClientRect() : null;
    return {count: imgs.length, loaded: loaded.length,
            width: r ? r.width : 0, height: r ? r.height : 0};
}"""


def test_notebook_page_shows_its_drawings(built_site: Path, page):
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "docs-notebook-03.png"
    shot.unlink(missing_ok=True)

    url = (built_site / "notebooks" / "03_graph_and_engine.html").as_uri()
    page.goto(url, wait_until="load")
    assert "The graph and the engine" in page.title()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img[src$=\".svg\"]')]"
        ".every(i => i.complete)")
    drawings = page.evaluate(DRAWINGS_JS)
    assert drawings["count"] >= 3 and drawings["loaded"] == drawings["count"], drawings
    assert drawings["width"] > 50 and drawings["height"] > 50, drawings

    first = page.locator('img[src$=".svg"]').first
    first.scroll_into_view_if_needed()
    assert first.is_visible()
    first.screenshot(path=str(shot))
    assert shot.stat().st_size > 1000


# The filmstrip frames shown, and the nodes its drawing fills gold (viz._dot.CURRENT).
FILM_JS = """(root) => {
    const shown = [...root.querySelectorAll('.al-film-frame')]
        .filter(f => getComputedStyle(f).display !== 'none')
        .map(f => f.querySelector('pre').textContent.split('\\n')[0]);
    const gold = [...root.querySelectorAll('.al-film-graph g.node')]
        .filter(g => g.querySelector('polygon') &&
                     getComputedStyle(g.querySelector('polygon')).fill === 'rgb(255, 213, 79)')
        .map(g => g.querySelector('title').textContent);
    return {shown, gold};
}"""


def test_notebook_page_filmstrip_steps_without_a_kernel(built_site: Path, page):
    url = (built_site / "notebooks" / "03_graph_and_engine.html").as_uri()
    page.goto(url, wait_until="load")
    film = page.locator("div.al-film").first
    film.scroll_into_view_if_needed()
    assert film.is_visible()
    state = film.evaluate(FILM_JS)
    assert state == {"shown": ["step 0/8: not started"], "gold": []}, state

    film.locator(".al-film-f0 .al-film-next").click()
    film.locator(".al-film-f1 .al-film-next").click()
    state = film.evaluate(FILM_JS)
    assert state["shown"] == ["step 2/8: n1 PowBackward0"], state
    assert len(state["gold"]) == 1, state  # exactly one node is current

    page.keyboard.press("ArrowRight")  # the radio clicked last has focus
    assert film.evaluate(FILM_JS)["shown"] == ["step 3/8: n2 SigmoidBackward0"]
    shot = SCREENSHOT_DIR / "docs-filmstrip-03.png"
    film.screenshot(path=str(shot))
    assert shot.stat().st_size > 1000
