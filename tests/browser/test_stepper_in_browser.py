"""A person can use the BackwardStepper: JupyterLab opens ``stepper_demo.ipynb`` in a real
browser (Debian's chromium, driven by Playwright), runs its cells, and clicking Next moves
the gold highlight to another node of the drawn graph.

The widget's DOM contract used here: the buttons carry the classes ``al-first``,
``al-back``, ``al-next``, ``al-last``; the graph is ``<div class="al-graph"
data-current="al_n3">`` holding a ``<style>`` block and graphviz's SVG, where node
``al_n3`` is ``<g id="al_n3" class="node">`` whose shape (polygon or ellipse) is filled gold
(#ffd54f) when it is the current node; a text panel ``.al-state`` starts with "step k/n".
At step 0 ("not started") ``data-current`` may be empty: then Next is clicked twice.

Assertions read the DOM (attributes, text, computed styles), never pixels. Every wait has a
deadline taken from one budget, so a failure fails within about two minutes (the server's
start has its own 45 s in conftest.py).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from .conftest import DEMO_NOTEBOOK, SCREENSHOT_DIR

GOLD = "rgb(255, 213, 79)"  # #ffd54f, as getComputedStyle reports a fill
BUDGET_S = 90               # everything after the server answers

# The computed fill of the shape of node `id` in the graph (its first polygon, path or
# ellipse child: graphviz draws a rounded box as a path), or null if there is none.
NODE_FILL_JS = """(id) => {
    const g = document.querySelector('.al-graph svg g#' + CSS.escape(id) + '.node');
    const shape = g && g.querySelector(':scope > polygon, :scope > path, :scope > ellipse');
    return shape ? getComputedStyle(shape).fill : null;
}"""

CURRENT_JS = "() => document.querySelector('.al-graph').dataset.current"
STATE_JS = "() => document.querySelector('.al-state').innerText.trim()"
STEP_RE = re.compile(r"step (\d+)/(\d+)")


def test_demo_notebook_is_stored_without_outputs():
    """nbval also runs tests/**/*.ipynb under `make test`; with no stored outputs it only
    checks that the cells run (it compares outputs of executed cells only). A notebook
    saved from Lab with outputs would start comparing widget reprs, so keep it clean."""
    nb = json.loads(DEMO_NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]


def _notebook_errors(page) -> str:
    """The text of error outputs in the notebook, to say why the widget did not show."""
    texts = page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).all_inner_texts()
    return "\n".join(texts)[-3000:] or "(no error output in the notebook)"


def test_next_moves_the_highlight(lab_url, page):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    deadline = time.monotonic() + BUDGET_S

    def left_ms(cap_s: float = 60) -> float:
        """Milliseconds for the next wait: at most cap_s, at most what the budget has left."""
        return max(1.0, min(cap_s, deadline - time.monotonic())) * 1000

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "stepper.png"
    failure_shot = SCREENSHOT_DIR / "stepper-failure.png"
    shot.unlink(missing_ok=True)
    failure_shot.unlink(missing_ok=True)
    try:
        # ?reset: start from an empty workspace (no stale layout, no kernel dialog).
        page.goto(f"{lab_url}/lab/tree/{DEMO_NOTEBOOK.name}?reset", timeout=left_ms(30))
        page.locator(".jp-Notebook").first.wait_for(timeout=left_ms(30))
        page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=left_ms(45))
        accept = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel", if it shows
        try:
            accept.wait_for(timeout=2_000)
            accept.click(timeout=left_ms(10))
        except PlaywrightTimeoutError:
            pass

        # Fire and forget: awaiting the command's promise inside evaluate() (which has no
        # timeout) can block for ever, e.g. behind a dialog.
        page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        graph = page.locator(".al-graph")
        try:
            graph.wait_for(timeout=left_ms(60))
            shown = True
        except PlaywrightTimeoutError:
            shown = False
        if not shown:
            pytest.fail("the stepper's graph (.al-graph) never showed; notebook errors:\n"
                        + _notebook_errors(page), pytrace=False)
        page.locator(".al-state").wait_for(timeout=left_ms(10))

        def step_of(state: str) -> tuple[int, int]:
            m = STEP_RE.match(state)
            assert m, f".al-state text {state!r} does not start with 'step k/n'"
            return int(m[1]), int(m[2])

        def click_next() -> tuple[str, str]:
            """Click Next; wait until the highlighted node and the state text both change;
            check the step went up by one. Returns the new (data-current, state text)."""
            current, state = page.evaluate(CURRENT_JS), page.evaluate(STATE_JS)
            page.locator("button.al-next").click(timeout=left_ms(10))
            page.wait_for_function(f"(b) => ({CURRENT_JS})() !== b", arg=current,
                                   timeout=left_ms(30))
            page.wait_for_function(f"(s) => ({STATE_JS})() !== s", arg=state,
                                   timeout=left_ms(30))
            new_current, new_state = page.evaluate(CURRENT_JS), page.evaluate(STATE_JS)
            (k, n), (k_new, n_new) = step_of(state), step_of(new_state)
            assert (k_new, n_new) == (k + 1, n), f"Next went from {state!r} to {new_state!r}"
            assert new_current, f"no node is highlighted at {new_state!r}"
            assert page.evaluate(NODE_FILL_JS, new_current) == GOLD, (
                f"the current node {new_current} is not drawn gold at {new_state!r}")
            return new_current, new_state

        # Step 0 ("not started") may highlight nothing: Next once to reach the first node.
        before = page.evaluate(CURRENT_JS)
        if before:
            assert page.evaluate(NODE_FILL_JS, before) == GOLD, (
                f"the current node {before} is not drawn gold")
        else:
            before, _ = click_next()
        after, _ = click_next()
        old_fill = page.evaluate(NODE_FILL_JS, before)
        assert old_fill is not None, f"node {before} is gone from the graph after Next"
        assert old_fill != GOLD, f"after Next to {after} the old node {before} is still gold"

        graph.scroll_into_view_if_needed(timeout=left_ms(10))
        page.screenshot(path=shot, timeout=left_ms(30))
    except BaseException:  # pytest.fail raises a BaseException
        # Keep what the browser showed, for whoever reads the failure.
        try:
            page.screenshot(path=failure_shot, timeout=10_000)
        except Exception:
            pass
        raise

    assert shot.exists(), f"no screenshot at {shot}"
    assert shot.stat().st_size > 10_000, f"{shot} is only {shot.stat().st_size} bytes"
