"""The Linux desktop entry, the AppStream metainfo and the icons: consistent with the package and valid."""

from __future__ import annotations

import configparser
import importlib.metadata
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET

import pytest

import payout_desk
from tests.packaging.helpers import APP_ID, REPO, RESOURCES, load_script

DESKTOP = RESOURCES / "linux" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{APP_ID}.metainfo.xml"
ICON_NAME = "payout-desk"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _console_scripts() -> dict[str, str]:
    with (REPO / "pyproject.toml").open("rb") as f:
        scripts: dict[str, str] = tomllib.load(f)["project"]["scripts"]
    return scripts


def test_desktop_entry_launches_the_console_script_with_the_app_icon() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == payout_desk.APP_NAME
    assert entry["Exec"].split()[0] == payout_desk.APP_ID
    assert entry["TryExec"] == payout_desk.APP_ID
    assert payout_desk.APP_ID in _console_scripts()
    assert entry["Icon"] == ICON_NAME
    assert entry["Terminal"] == "false"
    assert "Office" in entry["Categories"].split(";")
    assert entry["Categories"].endswith(";")


def test_metainfo_matches_the_desktop_entry_and_the_package() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == payout_desk.APP_NAME
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("icon[@type='stock']") == ICON_NAME
    assert root.findtext("provides/binary") == payout_desk.APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0"
    with (REPO / "pyproject.toml").open("rb") as f:
        assert root.findtext("project_license") == tomllib.load(f)["project"]["license"]
    description = root.find("description")
    assert description is not None
    assert description.find("p") is not None


def test_newest_release_is_the_package_version() -> None:
    releases = ET.parse(METAINFO).getroot().findall("releases/release")
    assert releases, "the metainfo lists no release"
    assert releases[0].get("version") == payout_desk.__version__
    assert importlib.metadata.version("payout-desk") == payout_desk.__version__


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_hicolor_png_has_its_nominal_pixel_size(size: int) -> None:
    icons = load_script("render_icons")
    path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
    assert icons.png_size(path.read_bytes()) == (size, size)


def test_svg_icon_is_square_and_parses() -> None:
    root = ET.parse(RESOURCES / "icons" / f"{ICON_NAME}.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


def test_windows_and_macos_icon_containers_hold_pngs_of_every_size() -> None:
    icons = load_script("render_icons")
    ico = (RESOURCES / "icons" / f"{ICON_NAME}.ico").read_bytes()
    count = int.from_bytes(ico[4:6], "little")
    sizes = []
    for i in range(count):
        entry = ico[6 + 16 * i : 6 + 16 * (i + 1)]
        length, offset = int.from_bytes(entry[8:12], "little"), int.from_bytes(entry[12:16], "little")
        sizes.append(icons.png_size(ico[offset : offset + length])[0])
    assert sorted(sizes) == list(icons.ICO_SIZES)

    icns = (RESOURCES / "icons" / f"{ICON_NAME}.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert int.from_bytes(icns[4:8], "big") == len(icns)
    found, offset = {}, 8
    while offset < len(icns):
        kind, length = icns[offset : offset + 4], int.from_bytes(icns[offset + 4 : offset + 8], "big")
        found[kind] = icons.png_size(icns[offset + 8 : offset + length])[0]
        offset += length
    assert found == dict(icons.ICNS_TYPES)


def test_render_icons_check_passes_on_the_committed_files() -> None:
    assert load_script("render_icons").check() == []


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validate_accepts_the_entry() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_appstreamcli_validates_the_metainfo() -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
