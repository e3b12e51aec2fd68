"""Does QtWebEngine work in this build? A probe frozen next to the app as ``payout-desk-webengine-check``.

The app's ``--self-test`` proves the payout flow without Qt; this proves the other half of a frozen
QtWebEngine app, the part trimming can break: the QtWebEngineProcess helper starts, finds its
resources (``qtwebengine_resources.pak``, ``icudtl.dat``, ``v8_context_snapshot.bin``) and a locale,
renders a page, runs JavaScript, and formats a number with ICU. It uses exactly the Qt libraries and
plugins the app ships (same folder), and prints one line per check.

    payout-desk-webengine-check [--timeout SECONDS] [--screenshot PNG] [URL]

Offscreen by default (``QT_QPA_PLATFORM=offscreen``), so IT can also run it on a workstation to tell
"QtWebEngine cannot start here" apart from an app fault. Exit status 0 = every check passed.
"""

from __future__ import annotations

import argparse
import os
import sys

# What the probe page computes; the title proves JavaScript ran and ICU formatted a currency.
PROBE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>loading</title></head>
<body style="font-family: sans-serif">
<h1>Payout Desk</h1><p>QtWebEngine probe</p>
<script>
document.title = "probe:" + (6 * 7) + ":" +
  new Intl.NumberFormat("de-DE", {style: "currency", currency: "EUR"}).format(1234.5);
</script>
</body></html>"""
EXPECTED_TITLE = "probe:42:1.234,50\u00a0€"


def _prepare_environment() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to run as root with its sandbox on (DESIGN.md).
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--disable-gpu" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --disable-gpu".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="payout-desk-webengine-check", description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="load this URL instead of the built-in probe page")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    parser.add_argument("--screenshot", metavar="PNG", help="save what the view rendered")
    args = parser.parse_args(argv)
    _prepare_environment()

    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineCore import qWebEngineChromiumVersion, qWebEngineVersion
    from PySide6.QtWebEngineWidgets import QWebEngineView  # before the QApplication exists
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    print(f"webengine: Qt WebEngine {qWebEngineVersion()}, Chromium {qWebEngineChromiumVersion()}")
    print(f"webengine: platform {app.platformName()}")
    view = QWebEngineView()
    view.resize(640, 400)
    result: dict[str, object] = {}

    def finish() -> None:
        app.quit()

    def painted() -> bool:
        """Whether the view shows something other than a blank page (the probe's heading)."""
        image = view.grab().toImage()
        blank = image.pixel(0, 0)
        return any(image.pixel(x, y) != blank for y in range(0, image.height(), 4) for x in range(0, image.width(), 4))

    def wait_for_paint(tries_left: int) -> None:
        # Compositing lags the load; look again every 100 ms for up to 5 s.
        if painted() or tries_left == 0:
            result["painted"] = painted()
            if args.screenshot:
                result["screenshot"] = view.grab().save(args.screenshot)
            finish()
            return
        QTimer.singleShot(100, lambda: wait_for_paint(tries_left - 1))

    def on_title(title: object) -> None:
        result["title"] = title
        wait_for_paint(50)

    def on_load(ok: bool) -> None:
        result["load"] = ok
        if not ok:
            finish()
            return
        view.page().runJavaScript("document.title", 0, on_title)

    view.loadFinished.connect(on_load)
    if args.url:
        view.load(QUrl(args.url))
    else:
        view.setHtml(PROBE_HTML, QUrl("about:blank"))
    view.show()
    QTimer.singleShot(int(args.timeout * 1000), finish)
    app.exec()  # the Qt loop runs exactly once (DESIGN.md: a second run after WebEngine segfaults)

    checks = [("page loaded", result.get("load") is True)]
    if args.url:
        checks.append(("JavaScript answered", isinstance(result.get("title"), str)))
    else:
        checks.append(("JavaScript and ICU", result.get("title") == EXPECTED_TITLE))
        checks.append(("page painted", result.get("painted") is True))
    if args.screenshot:
        checks.append((f"screenshot saved to {args.screenshot}", result.get("screenshot") is True))
    print(f"webengine: page title {result.get('title')!r}")
    for name, passed in checks:
        print(f"webengine: {'ok  ' if passed else 'FAIL'} {name}")
    # Delete the view (and its page) before the QApplication goes, or the profile is released first.
    import shiboken6

    shiboken6.delete(view)
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
