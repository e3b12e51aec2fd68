"""End-to-end fixtures."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def gc_on_gui_thread() -> Any:
    """Collect garbage on the GUI thread only, as the app does (payout_desk.ui.pyside_guard):
    a collection triggered in the sandbox's thread could destroy Qt wrappers there."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()
