"""Widget tests drive the widgets from Python: ``button.click()`` and slider changes.

ipywidgets' ``CallbackDispatcher`` swallows an exception raised by an ``on_click``
handler (it only logs "Exception in callback ..."), so a broken button would pass a
test that clicks it. This fixture turns that log record into a failure.
"""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(autouse=True)
def no_swallowed_callback_errors(caplog):
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if "Exception in callback" in r.getMessage()]
    assert not bad, bad[0].getMessage()
