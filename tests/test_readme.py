"""The README's Python examples run as written (so the front page cannot go stale)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run_in_order():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own docs
    # The values the README promises in its comments:
    assert namespace["x"].grad.tolist() == [3.0, 12.0]
    assert namespace["y"].grad_fn.name().startswith("GeneratedBackwardFor_mylib_numpy_sin")
    namespace["numpy_sin"]._destroy()  # unregister, so other tests may define mylib ops
