"""Helpers for the packaging tests: the repository paths and the packaging/ scripts as modules.

``packaging/`` is not a Python package (and must not be one: the name would shadow PyPA's
``packaging`` library), so its scripts are loaded by file path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
RESOURCES = REPO / "resources"
APP_ID = "io.github.payoutdesk.PayoutDesk"


def load_script(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` under the module name ``payout_packaging_<name>``."""
    module_name = f"payout_packaging_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, PACKAGING / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
