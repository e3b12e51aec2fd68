"""The seal around the checkin view: nothing on the page may talk to anyone but the provider.

``acceptNavigationRequest`` (checkin_view.CheckinPage) only sees navigations. A page can still send
data elsewhere through its subresources: a stylesheet, script, image, font or media URL, ``fetch``,
XHR, a WebSocket, ``navigator.sendBeacon``, a prefetch. :class:`OriginInterceptor` is installed on
the checkin view's own profile and sees every one of those requests before it leaves the machine; it
blocks each whose origin is not the provider's (the ``.invalid`` return URL excepted: the page's
``acceptNavigationRequest`` catches that navigation, and the name can never resolve). Each refused
origin is logged once per page, with its first URL's resource type, never with its query (which
could carry what the page tried to leak).

WebRTC opens UDP and TCP connections (STUN/TURN, data channels) that no request interceptor sees:
:func:`webrtc_off_script` removes its constructors from every frame's main world before any page
script runs, and :func:`seal_profile` installs both on a profile.

Keep a Python reference to the interceptor for as long as the profile uses it (Qt does not own
it), and unset it (``profile.setUrlRequestInterceptor(None)``) before the page and profile go.
"""

from __future__ import annotations

import logging
from typing import Final

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

__all__ = ["WEBRTC_OFF_JS", "OriginInterceptor", "seal_profile", "webrtc_off_script"]

log = logging.getLogger(__name__)

Origin = tuple[str, str, int]
_DEFAULT_PORTS: Final = {"https": 443, "http": 80, "wss": 443, "ws": 80}
#: A WebSocket to the provider's own host and port is the same origin in these terms.
_WS_SCHEMES: Final = {"ws": "http", "wss": "https"}
#: Schemes whose content is already inside the page: nothing is sent anywhere.
_LOCAL_SCHEMES: Final = frozenset({"data", "blob", "about"})

#: Removes every WebRTC entry point before the page's own scripts run, in this window and in every frame
#: it reaches. A frame whose document is made without a navigation (a new about:blank iframe) gets no
#: document-creation script of its own, so the frames are also sealed from here: when reached through
#: contentWindow/contentDocument, after every DOM insertion (appendChild, innerHTML, document.write …)
#: and from a MutationObserver (which runs before the parser starts the next script).
WEBRTC_OFF_JS: Final = """
(() => {
  const NAMES = ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription',
                 'RTCIceCandidate', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCRtpTransceiver', 'RTCDtlsTransport',
                 'RTCIceTransport', 'RTCSctpTransport', 'RTCCertificate', 'RTCEncodedAudioFrame',
                 'RTCEncodedVideoFrame', 'RTCRtpScriptTransform'];
  const fixed = (value) => ({value, writable: false, configurable: false});
  const sealFrames = (w) => {
    try { for (let i = 0; i < w.length; i++) seal(w[i]); } catch (e) { /* another origin: blocked anyway */ }
  };
  const after = (w, proto, name) => {
    const original = proto && proto[name];
    if (typeof original !== 'function') return;
    try {
      Object.defineProperty(proto, name, fixed(function (...args) {
        try { return original.apply(this, args); } finally { sealFrames(w); }
      }));
    } catch (e) { /* already sealed */ }
  };
  const afterSet = (w, proto, name) => {
    const d = proto && Object.getOwnPropertyDescriptor(proto, name);
    if (!d || !d.set) return;
    try {
      Object.defineProperty(proto, name, {get: d.get, enumerable: d.enumerable, configurable: false,
        set(value) { try { d.set.call(this, value); } finally { sealFrames(w); } }});
    } catch (e) { /* already sealed */ }
  };
  const sealOnReach = (C, name, toWindow) => {
    const d = C && Object.getOwnPropertyDescriptor(C.prototype, name);
    if (!d || !d.get) return;
    try {
      Object.defineProperty(C.prototype, name, {enumerable: d.enumerable, configurable: false,
        get() { const v = d.get.call(this); if (v) seal(toWindow(v)); return v; }});
    } catch (e) { /* already sealed */ }
  };
  const seal = (w) => {
    try {
      if (!w || Object.prototype.hasOwnProperty.call(w, '__payoutDeskSealed')) return;
      Object.defineProperty(w, '__payoutDeskSealed', fixed(true));
    } catch (e) { return; /* another origin: its own document-creation script runs there */ }
    for (const name of NAMES) {
      try { Object.defineProperty(w, name, fixed(undefined)); } catch (e) { /* not there */ }
    }
    try { Object.defineProperty(w.navigator, 'mediaDevices', fixed(undefined)); } catch (e) { /* not there */ }
    for (const C of [w.HTMLIFrameElement, w.HTMLFrameElement, w.HTMLObjectElement, w.HTMLEmbedElement]) {
      sealOnReach(C, 'contentWindow', (v) => v);
      sealOnReach(C, 'contentDocument', (v) => v.defaultView);
    }
    for (const name of ['appendChild', 'insertBefore', 'replaceChild']) after(w, w.Node.prototype, name);
    for (const name of ['append', 'prepend', 'before', 'after', 'replaceWith', 'replaceChildren',
                        'insertAdjacentElement', 'insertAdjacentHTML', 'setHTMLUnsafe']) {
      after(w, w.Element.prototype, name);
    }
    for (const name of ['append', 'prepend', 'replaceChildren']) {
      after(w, w.Document.prototype, name);
      after(w, w.DocumentFragment.prototype, name);
    }
    for (const name of ['write', 'writeln', 'open']) after(w, w.Document.prototype, name);
    for (const name of ['innerHTML', 'outerHTML']) afterSet(w, w.Element.prototype, name);
    afterSet(w, w.ShadowRoot && w.ShadowRoot.prototype, 'innerHTML');
    try {
      new w.MutationObserver(() => sealFrames(w)).observe(w.document, {childList: true, subtree: true});
    } catch (e) { /* no document yet */ }
    sealFrames(w);
  };
  seal(window);
})();
"""


def _origin(url: QUrl) -> Origin:
    scheme = url.scheme().lower()
    if not url.isValid() or scheme not in _DEFAULT_PORTS or not url.host():
        return ("", "", -1)
    port = url.port(_DEFAULT_PORTS[scheme])
    return (_WS_SCHEMES.get(scheme, scheme), url.host().lower(), port)


class OriginInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request whose origin is not ``allowed`` (except ``return_url``'s exact path).

    ``refused`` counts the blocked requests; ``refusedOrigin(str)`` is emitted once per newly refused
    origin (``scheme://host:port``), on the GUI thread.
    """

    refusedOrigin = Signal(str)

    def __init__(self, allowed: Origin, return_url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed = allowed
        self._return = QUrl(return_url)
        self.refused = 0
        self.refused_origins: list[str] = []

    def _is_return_url(self, url: QUrl) -> bool:
        return _origin(url) == _origin(self._return) and url.path() == self._return.path()

    def permits(self, url: QUrl) -> bool:
        """True for the provider's origin, the return URL, and URLs that never leave the page
        (``data:``, ``blob:``, ``about:``); False for everything else."""
        if self._is_return_url(url) or url.scheme().lower() in _LOCAL_SCHEMES:
            return True
        return bool(self.allowed[0]) and _origin(url) == self.allowed

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if self.permits(url):
            return
        info.block(True)
        self.refused += 1
        origin = f"{url.scheme()}://{url.host()}" + (f":{url.port()}" if url.port() != -1 else "")
        if not url.host():
            origin = f"{url.scheme()}:"
        if origin not in self.refused_origins:
            self.refused_origins.append(origin)
            kind = info.resourceType().name.removeprefix("ResourceType")
            method = bytes(info.requestMethod().data()).decode("ascii", "replace")
            log.warning("checkin page: refused a request to %s (%s, %s)", origin, kind, method)
            self.refusedOrigin.emit(origin)


def webrtc_off_script() -> QWebEngineScript:
    """A script that switches WebRTC off in every frame, before the page's scripts run."""
    script = QWebEngineScript()
    script.setName("payout-desk-webrtc-off")
    script.setSourceCode(WEBRTC_OFF_JS)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(True)
    return script


def seal_profile(profile: QWebEngineProfile, allowed: Origin, return_url: str) -> OriginInterceptor:
    """Install the origin interceptor and the WebRTC switch on ``profile``; returns the interceptor,
    which the caller must keep referenced and unset before the page and profile go."""
    interceptor = OriginInterceptor(allowed, return_url, profile)
    profile.setUrlRequestInterceptor(interceptor)
    profile.scripts().insert(webrtc_off_script())
    return interceptor
