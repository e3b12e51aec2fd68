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

#: Removes every WebRTC entry point before the page's own scripts run (in every frame).
WEBRTC_OFF_JS: Final = """
(() => {
  const names = ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription',
                 'RTCIceCandidate', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCRtpTransceiver', 'RTCDtlsTransport',
                 'RTCIceTransport', 'RTCSctpTransport', 'RTCCertificate', 'RTCEncodedAudioFrame',
                 'RTCEncodedVideoFrame'];
  for (const name of names) {
    try { Object.defineProperty(window, name, {value: undefined, writable: false, configurable: false}); }
    catch (e) { /* already gone */ }
  }
  try {
    if (navigator.mediaDevices) {
      Object.defineProperty(navigator, 'mediaDevices', {value: undefined, writable: false, configurable: false});
    }
  } catch (e) { /* already gone */ }
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
