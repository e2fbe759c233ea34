"""Fixtures for the real-browser test: a JupyterLab server on a free local port, serving a
temporary copy of ``stepper_demo.ipynb``, and a page of Debian's ``chromium`` driven by
Playwright (from PyPI; its browser is never downloaded: ``executable_path`` names the
chromium that ``make test`` installs with apt-get).

The recipe and its pitfalls are in the visual-teaching review, section 3.4: fresh workspace
and settings directories (a stale workspace opens the notebook behind a "Select Kernel"
dialog), ``--allow-root`` only as root, poll ``/api`` with a deadline, terminate in teardown.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DEMO_NOTEBOOK = HERE / "stepper_demo.ipynb"
REPO_ROOT = HERE.parents[1]
SCREENSHOT_DIR = REPO_ROOT / "build" / "browser"

SERVER_START_TIMEOUT_S = 45


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium. Missing is a failure, not a skip: `make test` installs it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "`chromium` is not on PATH. `make test` installs it (as root, with apt-get); "
            "otherwise run `sudo apt-get install chromium`. Do not run `playwright install`: "
            "the test uses this chromium through executable_path.",
            pytrace=False,
        )
    return path


@pytest.fixture
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lab_settings(settings_dir: Path) -> None:
    """User settings: no "get notified about official Jupyter news?" toast, no update check."""
    d = settings_dir / "@jupyterlab" / "apputils-extension"
    d.mkdir(parents=True)
    (d / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def _log_tail(log: Path, n: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no server log)"


def _api_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def lab_url(tmp_path: Path, free_port: int):
    """Start ``jupyter lab`` on a copy of the demo notebook; yield its base URL."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(DEMO_NOTEBOOK, root / DEMO_NOTEBOOK.name)
    dirs = {name: tmp_path / name for name in ("workspaces", "settings", "config", "runtime")}
    for d in dirs.values():
        d.mkdir()
    _lab_settings(dirs["settings"])

    # The user's own Jupyter config and runtime files stay out of it.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]))
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={free_port}", "--port-retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        f"--LabApp.user_settings_dir={dirs['settings']}",
    ]
    if os.geteuid() == 0:  # jupyter refuses to run as root without it (CI runs as root)
        cmd.append("--allow-root")
    log = tmp_path / "jupyter-lab.log"
    url = f"http://127.0.0.1:{free_port}"
    with open(log, "wb") as log_file:
        # Its own session, so that teardown can end the server and the kernels it started.
        srv = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                               cwd=root, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _api_answers(url):
            if srv.poll() is not None:
                pytest.fail(f"jupyter lab exited with {srv.returncode}:\n{_log_tail(log)}",
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer on {url}/api within "
                            f"{SERVER_START_TIMEOUT_S} s:\n{_log_tail(log)}", pytrace=False)
            time.sleep(0.25)
        yield url
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait(timeout=10)
        try:  # a kernel the server did not shut down (same session, started by us)
            os.killpg(srv.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def page(chromium_path: str):
    """A headless chromium page (1280x900); every Playwright wait defaults to 30 s."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True,
                                    args=["--no-sandbox"])  # root, as in CI, needs it
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.set_default_timeout(30_000)
            yield pg
        finally:
            browser.close()
