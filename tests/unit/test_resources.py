"""resource_path(): one function finds resources frozen, installed, or in the source checkout."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from payout_desk import resources
from payout_desk.resources import ResourceNotFoundError, resource_path, resources_root

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    resources_root.cache_clear()
    yield
    resources_root.cache_clear()


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend resources.py lives in tmp_path/site/payout_desk (an installed, non-editable package)."""
    package_dir = tmp_path / "site" / "payout_desk"
    package_dir.mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(package_dir / "resources.py"))
    return package_dir


def test_source_checkout_uses_the_top_level_resources_folder() -> None:
    assert resources_root() == REPO_ROOT / "resources"
    icon = resource_path("icons", "payout-desk.svg")
    assert icon == REPO_ROOT / "resources" / "icons" / "payout-desk.svg"
    assert icon.is_file()


def test_installed_wheel_uses_the_package_data_folder(fake_package: Path) -> None:
    (fake_package / "_resources" / "icons").mkdir(parents=True)
    # A stray top-level "resources" in site-packages (another distribution's) must be ignored.
    (fake_package.parent / "resources").mkdir()
    assert resources_root() == fake_package / "_resources"
    assert resource_path("icons", "x.png") == fake_package / "_resources" / "icons" / "x.png"


def test_installed_package_without_data_does_not_pick_up_a_stray_folder(fake_package: Path) -> None:
    (fake_package.parent / "resources").mkdir()
    with pytest.raises(ResourceNotFoundError, match="no resources folder"):
        resources_root()


def test_checkout_layout_needs_the_pyproject_marker(fake_package: Path) -> None:
    (fake_package.parent / "resources").mkdir()
    (fake_package.parent / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    assert resources_root() == fake_package.parent / "resources"


def test_frozen_bundle_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "resources").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_root() == bundle / "resources"
    assert resource_path("linux", "a.desktop") == bundle / "resources" / "linux" / "a.desktop"


def test_meipass_without_frozen_flag_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources").mkdir()
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_root() == REPO_ROOT / "resources"


def test_no_parts_is_the_root_itself() -> None:
    assert resource_path() == resources_root()


@pytest.mark.parametrize("parts", [("..", "pyproject.toml"), ("icons", "..", "..", "x"), ("/etc/passwd",)])
def test_paths_outside_the_resources_folder_are_refused(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="escapes"):
        resource_path(*parts)


def test_dotdot_that_stays_inside_is_allowed() -> None:
    assert resource_path("icons", "..", "linux").resolve() == (REPO_ROOT / "resources" / "linux").resolve()
