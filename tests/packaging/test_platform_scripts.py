"""The Windows and macOS packaging files cannot be built on Linux; these checks keep them consistent by reading."""

from __future__ import annotations

import plistlib
import re

import pytest

import payout_desk
from tests.packaging.helpers import PACKAGING, REPO

ISS = PACKAGING / "windows" / "payout-desk.iss"


def test_spec_is_valid_python() -> None:
    source = (PACKAGING / "payout_desk.spec").read_text(encoding="utf-8")
    compile(source, "payout_desk.spec", "exec")
    assert "payout_desk.__version__" in source  # the version comes from the package, nowhere else


@pytest.mark.parametrize("name", ["entitlements.plist", "entitlements-webengine.plist"])
def test_macos_entitlements_allow_jit_and_are_not_sandboxed(name: str) -> None:
    with (PACKAGING / "macos" / name).open("rb") as f:
        entitlements = plistlib.load(f)
    assert entitlements["com.apple.security.cs.allow-jit"] is True
    assert "com.apple.security.app-sandbox" not in entitlements
    assert all(value is True for value in entitlements.values())


def test_macos_signing_covers_the_webengine_helper_and_notarizes() -> None:
    script = (PACKAGING / "macos" / "sign_and_notarize.sh").read_text(encoding="utf-8")
    assert "QtWebEngineProcess.app" in script
    assert "entitlements-webengine.plist" in script
    assert "--options runtime" in script
    assert "notarytool submit" in script
    assert "stapler staple" in script


def test_inno_setup_script_points_at_real_files_and_keeps_a_fixed_app_id() -> None:
    text = ISS.read_text(encoding="utf-8")
    app_id = re.search(r"^AppId=\{\{([0-9A-F-]{36})\}$", text, re.MULTILINE)
    assert app_id, "AppId must be a fixed GUID written {{GUID}"
    icon = re.search(r"^SetupIconFile=(.+)$", text, re.MULTILINE)
    assert icon
    assert (ISS.parent / icon.group(1).replace("\\", "/")).resolve() == REPO / "resources/icons/payout-desk.ico"
    assert re.search(r'#define SourceDir "\.\.\\\.\.\\dist\\payout-desk"', text)
    assert f'#define AppExe "{payout_desk.APP_ID}.exe"' in text
    assert "#error" in text  # refuses to build without an explicit version


def test_windows_build_script_passes_the_package_version_to_inno_setup() -> None:
    script = (PACKAGING / "windows" / "build.ps1").read_text(encoding="utf-8")
    assert "payout_desk.__version__" in script
    assert "/DAppVersion=$Version" in script
    assert "--self-test" in script
    assert "payout-desk-webengine-check.exe" in script
