"""The built site, opened in a real browser (Debian's chromium, driven by Playwright, with
no network), shows notebook 03's graph drawings: each is an ``<img>`` of an SVG file that
loaded (its natural size is known) and takes room on the page. A screenshot of the first
drawing goes to build/browser/docs-notebook-03.png, as the stepper's browser test does."""

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
