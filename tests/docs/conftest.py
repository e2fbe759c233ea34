"""The Sphinx site, built once per test session into a temporary directory (the same
command as ``make docs``, warnings as errors), and a headless page of Debian's chromium for
looking at it (Playwright from PyPI, the browser never downloaded: ``executable_path``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
BUILD_TIMEOUT_S = 120  # `make docs` must finish in under 2 minutes


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the site from scratch (fresh output and doctree directories) and return the
    HTML directory; a warning fails the build (-W), and its output is shown."""
    out = tmp_path_factory.mktemp("site") / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
           str(DOCS), str(out)]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        pytest.fail(f"sphinx-build failed ({proc.returncode}) after {elapsed:.0f} s:\n"
                    f"{proc.stderr[-6000:]}\n{proc.stdout[-2000:]}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium. Missing is a failure, not a skip: `make test` installs it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("`chromium` is not on PATH. `make test` installs it (as root, with "
                    "apt-get); otherwise run `sudo apt-get install chromium`. Do not run "
                    "`playwright install`.", pytrace=False)
    return path


@pytest.fixture
def page(chromium_path: str):
    """A headless chromium page (1280x900) that may not reach the network: the site must
    show its drawings offline (a widget's script from a CDN is the only remote request)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True,
                                    args=["--no-sandbox"])  # root, as in CI, needs it
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("http*://**", lambda route: route.abort())
            pg = context.new_page()
            pg.set_default_timeout(30_000)
            yield pg
        finally:
            browser.close()
