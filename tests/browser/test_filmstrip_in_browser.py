"""A person can step through a filmstrip in a real browser (Debian's chromium), with no
kernel and no JavaScript of ours: clicking ◀ ▶ and the frame numbers, or the arrow keys,
shows one frame at a time and colours that frame's node gold on the drawing."""

from __future__ import annotations

from pathlib import Path

import autograd_lab as al
from autograd_lab.widgets import BackwardStepper

from .conftest import REPO_ROOT

SCREENSHOT = REPO_ROOT / "build" / "browser" / "filmstrip-step-3.png"
GOLD = "rgb(255, 213, 79)"  # viz._dot.CURRENT, as the browser reports a fill

# What the reader sees: the frames shown, the first line of each, and the fill of the
# node marked current by the visible frame's caption (the node id before its name).
SHOWN_JS = """(root) => {
    const frames = [...root.querySelectorAll('.al-film-frame')]
        .filter(f => getComputedStyle(f).display !== 'none');
    const first = frames.map(f => f.querySelector('pre').textContent.split('\\n')[0]);
    const fills = {};
    for (const g of root.querySelectorAll('.al-film-graph g.node')) {
        const shape = g.querySelector('polygon');
        if (shape) fills[g.id] = getComputedStyle(shape).fill;
    }
    return {first, fills};
}"""


def _film_page(tmp_path: Path) -> tuple[Path, object]:
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = al.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = (x * w).sigmoid().sum()
    stepper = BackwardStepper(loss, params={"x": x, "w": w})
    film = stepper.filmstrip()
    path = tmp_path / "filmstrip.html"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>"
                    f"{film.html()}</body></html>", encoding="utf-8")
    return path, (stepper, film)


def _gold(shown: dict) -> list:
    return sorted(node for node, fill in shown["fills"].items() if fill == GOLD)


def test_clicks_and_keys_step_through_the_frames(tmp_path, page):
    path, (stepper, film) = _film_page(tmp_path)
    page.goto(path.as_uri(), wait_until="load")
    root = page.locator(f"#{film.key}")

    shown = root.evaluate(SHOWN_JS)
    assert shown["first"] == [f"step 0/{stepper.n_steps}: not started"]
    assert _gold(shown) == []

    for k in range(3):  # next ▶ three times
        root.locator(f".al-film-f{k} .al-film-next").click()
    shown = root.evaluate(SHOWN_JS)
    stepper.goto(3)
    assert shown["first"] == [stepper.state_text().splitlines()[0]]
    current = stepper.svg_source().split('data-current="', 1)[1].split('"', 1)[0]
    assert _gold(shown) == [current]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 1000

    page.keyboard.press("ArrowLeft")  # the clicked radio has focus: the arrows step
    shown = root.evaluate(SHOWN_JS)
    assert shown["first"][0].startswith("step 2/")

    root.locator(f".al-film-nav label[for='{film.radio_id(len(film.frames) - 1)}']").click()
    shown = root.evaluate(SHOWN_JS)
    last = root.locator(f".al-film-f{len(film.frames) - 1} pre").inner_text()
    assert shown["first"] == [last.splitlines()[0]]
    assert last.startswith(f"step {stepper.n_steps}/{stepper.n_steps}: ")
    assert "x = tensor(" in last and "w = tensor(" in last  # the leaves' final .grad
    assert root.locator(f".al-film-f{len(film.frames) - 1} .al-film-next").count() == 0
