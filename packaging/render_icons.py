"""Render the app icon (resources/icons/payout-desk.svg) into every raster a platform needs.

    .venv/bin/python packaging/render_icons.py           # (re)write the PNGs, .ico and .icns
    .venv/bin/python packaging/render_icons.py --check   # only verify they exist with the right sizes

Outputs, all committed so a build needs no renderer:
  resources/icons/hicolor/<N>x<N>/apps/payout-desk.png   N = 16 24 32 48 64 128 256 512 (Linux)
  resources/icons/payout-desk.ico                         16…256, PNG-compressed entries (Windows)
  resources/icons/payout-desk.icns                        16…1024 incl. @2x, PNG entries (macOS)

Uses Qt's own SVG renderer (PySide6.QtSvg), so nothing beyond the app's dependencies is needed.
The .ico and .icns containers are written here in plain Python: both formats accept PNG payloads.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "payout-desk.svg"
ICON_NAME = "payout-desk"
LINUX_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS OSType → pixel size (PNG payloads; 'ic11'…'ic14' and 'ic10' are the @2x variants).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
    (b"ic10", 1024),
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_path(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no image library needed)."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def render_png(size: int) -> bytes:
    """The SVG rendered at size×size, antialiased, transparent background, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render_png.app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot parse {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"cannot encode the {size}px PNG")
    buffer.close()
    return bytes(array.data())


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico with one PNG-compressed entry per size (valid since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries = b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + entries + b"".join(pngs[s] for s in sizes)


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns whose entries are PNG payloads (accepted since OS X 10.7)."""
    body = b"".join(ostype + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for ostype, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def check() -> list[str]:
    """Problems with the committed rasters (empty when all is well)."""
    problems = []
    for size in LINUX_SIZES:
        path = png_path(size)
        if not path.is_file():
            problems.append(f"missing {path.relative_to(ROOT)}")
        elif png_size(path.read_bytes()) != (size, size):
            problems.append(f"{path.relative_to(ROOT)} is {png_size(path.read_bytes())}, not {size}x{size}")
    for name, magic in (("payout-desk.ico", b"\x00\x00\x01\x00"), ("payout-desk.icns", b"icns")):
        path = ICONS / name
        if not path.is_file() or not path.read_bytes().startswith(magic):
            problems.append(f"missing or malformed {path.relative_to(ROOT)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify the committed rasters, render nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(f"icon check: {problem}", file=sys.stderr)
        print("icon check: ok" if not problems else "icon check: FAILED")
        return 1 if problems else 0

    pngs = {size: render_png(size) for size in sorted({*LINUX_SIZES, *ICO_SIZES, 1024})}
    for size in LINUX_SIZES:
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[size])
        print(f"wrote {path.relative_to(ROOT)} ({len(pngs[size])} bytes)")
    for name, data in (
        ("payout-desk.ico", build_ico({s: pngs[s] for s in ICO_SIZES})),
        ("payout-desk.icns", build_icns(pngs)),
    ):
        (ICONS / name).write_bytes(data)
        print(f"wrote resources/icons/{name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
