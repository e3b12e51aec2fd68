"""Where the app's resources (icons, images, stylesheets, desktop files) live.

Everything that reads a resource goes through :func:`resource_path`, so the same code works in
the three layouts the app ships in:

* **frozen** (PyInstaller): the spec copies the top-level ``resources/`` folder to
  ``<sys._MEIPASS>/resources``;
* **installed wheel**: the wheel carries the folder as the package data directory
  ``payout_desk/_resources`` (hatch ``force-include``);
* **source checkout** (including an editable install): the repository's top-level ``resources/``.

No Qt here: plain :mod:`pathlib`, so the non-GUI layers and the tests may use it too.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

__all__ = ["ResourceNotFoundError", "resource_path", "resources_root"]

#: The name of the folder inside an installed package (wheel layout).
PACKAGED_DIR_NAME = "_resources"
#: The name of the folder at the top of the repository and inside a frozen bundle.
TOP_LEVEL_DIR_NAME = "resources"


class ResourceNotFoundError(FileNotFoundError):
    """No resources folder was found in any known layout."""


def _candidates() -> list[Path]:
    """The places a resources folder may be, most specific first."""
    candidates: list[Path] = []
    bundle_dir: str | None = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle_dir:
        candidates.append(Path(bundle_dir) / TOP_LEVEL_DIR_NAME)
    package_dir = Path(__file__).resolve().parent
    candidates.append(package_dir / PACKAGED_DIR_NAME)
    checkout_dir = package_dir.parent
    # Only a real checkout: an installed package's parent is site-packages, where a stray
    # top-level "resources" folder from some other distribution must not be picked up.
    if (checkout_dir / "pyproject.toml").is_file():
        candidates.append(checkout_dir / TOP_LEVEL_DIR_NAME)
    return candidates


@cache
def resources_root() -> Path:
    """The resources folder of this run of the app (frozen, installed or source).

    Raises :class:`ResourceNotFoundError` if none of the known layouts has one.
    """
    candidates = _candidates()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ResourceNotFoundError(f"no resources folder found (tried: {tried})")


def resource_path(*parts: str) -> Path:
    """The path of a resource, e.g. ``resource_path("icons", "payout-desk.svg")``.

    The path is built, not checked: call ``.exists()`` where a resource is optional. ``parts``
    are relative path segments; anything that would leave the resources folder (an absolute
    part, ``..``) is refused with :class:`ValueError`.
    """
    root = resources_root()
    path = root.joinpath(*parts)
    resolved_root = root.resolve()
    resolved = path.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise ValueError(f"resource path escapes the resources folder: {parts!r}")
    return path
