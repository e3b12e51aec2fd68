"""CheckinDialog: the provider's hosted checkin page in a locked-down, off-the-record QWebEngineView.

Construct (the QApplication must exist, created by ``payout_desk.app.create_qt_application`` — it sets
``AA_ShareOpenGLContexts`` — or after ``PySide6.QtWebEngineWidgets`` was imported)::

    dialog = CheckinDialog(checkin_url, provider_base_url=profile.base_url, payment_id=record.payment_id,
                           local_id=record.local_id, parent=window)
    dialog.completed.connect(...)      # str: paymentId from the return URL's query ("" if absent)
    dialog.closedEarly.connect(...)    # closed before the page redirected back: the payout stays pending
    dialog.open()

Rules enforced by :class:`CheckinPage`:

- Only the provider's origin (scheme + host + port of ``provider_base_url``; default: of the checkin
  URL; https, or http on loopback only) may load; ``acceptNavigationRequest`` refuses every other
  URL (``navigationRefused(str)``).
- The redirect to :data:`CHECKIN_RETURN_URL` (an ``https://….invalid`` address that can never resolve)
  is caught in ``acceptNavigationRequest`` before any network traffic (returns False): the dialog
  emits ``completed`` and accepts. The app already knows the payment id; the query value is a hint.
- Popups and new windows are refused (``createWindow`` returns None), certificate errors rejected
  (``QWebEngineCertificateError.rejectCertificate()``), permission requests denied, downloads cancelled.
- The profile is off the record (``QWebEngineProfile(parent)``: no storage name, nothing on disk).
- The profile is sealed (``checkin_guard.seal_profile``): every request (subresources, fetch/XHR,
  WebSocket, beacons, fonts, media) to another origin is blocked and logged, and WebRTC is off.

Object names: ``checkinDialog``, ``checkinTitle``, ``checkinOrigin`` (the page's origin, always
visible), ``checkinProgress`` (bound to loadProgress, hidden when loaded), ``checkinView``,
``checkinNotice`` (what was refused), ``checkinCloseButton``. Attribute ``page`` is the CheckinPage.
"""

from __future__ import annotations

from typing import Final

import shiboken6
from PySide6.QtCore import Qt, QUrl, QUrlQuery, Signal, Slot
from PySide6.QtWebEngineCore import (
    QWebEngineCertificateError,
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from payout_desk.provider.urls import CHECKIN_RETURN_URL, is_loopback_host
from payout_desk.ui.common.screen import resize_within_screen
from payout_desk.ui.sending.checkin_guard import seal_profile
from payout_desk.ui.style.status import status_style

__all__ = ["CHECKIN_RETURN_URL", "CheckinDialog", "CheckinPage", "Origin", "origin_of"]


Origin = tuple[str, str, int]
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def origin_of(url: QUrl | str) -> Origin:
    """(scheme, host, port) with the scheme's default port filled in; ("", "", -1) if unusable."""
    qurl = QUrl(url) if isinstance(url, str) else url
    scheme = qurl.scheme().lower()
    if not qurl.isValid() or scheme not in _DEFAULT_PORTS or not qurl.host():
        return ("", "", -1)
    return (scheme, qurl.host().lower(), qurl.port(_DEFAULT_PORTS[scheme]))


def _origin_text(origin: Origin) -> str:
    scheme, host, port = origin
    shown = host if port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{shown}"


class CheckinPage(QWebEnginePage):
    """A page that only navigates within one origin and catches the return URL."""

    returnReached = Signal(QUrl)
    navigationRefused = Signal(QUrl)
    popupRefused = Signal()
    certificateRejected = Signal(QUrl)

    def __init__(self, profile: QWebEngineProfile, allowed: Origin, return_url: str, parent: QWidget | None) -> None:
        super().__init__(profile, parent)
        self.allowed = allowed
        self.return_url = QUrl(return_url)
        self.refusals = 0  # navigations refused so far (a refusal also ends a load with ok=False)
        self.certificateError.connect(self._reject_certificate)
        self.permissionRequested.connect(self._deny_permission)

    def is_return_url(self, url: QUrl) -> bool:
        return origin_of(url) == origin_of(self.return_url) and url.path() == self.return_url.path()

    def acceptNavigationRequest(
        self, url: QUrl | str, navigation_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        qurl = QUrl(url) if isinstance(url, str) else url
        if self.is_return_url(qurl):
            self.returnReached.emit(qurl)
            return False  # caught here: nothing is sent to the return host
        if origin_of(qurl) == self.allowed and self.allowed[0]:
            return True
        if not is_main_frame and qurl.toString() in ("about:blank", "about:srcdoc"):
            return True
        self.refusals += 1
        self.navigationRefused.emit(qurl)
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage:
        self.popupRefused.emit()
        return None  # type: ignore[return-value]  # no window: the popup is refused

    @Slot(QWebEngineCertificateError)
    def _reject_certificate(self, error: QWebEngineCertificateError) -> None:
        error.rejectCertificate()
        self.certificateRejected.emit(error.url())

    @Slot(QWebEnginePermission)
    def _deny_permission(self, permission: QWebEnginePermission) -> None:
        permission.deny()


class CheckinDialog(QDialog):
    """The hosted checkin page for one payout; see the module docstring."""

    completed = Signal(str)
    closedEarly = Signal()
    navigationRefused = Signal(str)

    def __init__(
        self,
        checkin_url: str,
        *,
        provider_base_url: str | None = None,
        payment_id: str | None = None,
        local_id: int | None = None,
        return_url: str = CHECKIN_RETURN_URL,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checkinDialog")
        self.setAccessibleName("Recipient checkin page")
        self.checkin_url = QUrl(checkin_url)
        self.payment_id = payment_id
        self.local_id = local_id
        allowed = origin_of(provider_base_url or checkin_url)
        if allowed[0] == "http" and not is_loopback_host(allowed[1]):
            allowed = ("", "", -1)  # plain http only for a sandbox on this machine
        self.allowed: Origin = allowed
        self._finished_once = False
        self._disposed = False
        self._refusals_seen = 0
        self._completed = False
        label = f"payout {payment_id}" if payment_id else "this payout"
        self.setWindowTitle(f"Checkin — {label}")
        resize_within_screen(self, 760, 820)

        layout = QVBoxLayout(self)
        self.title = QLabel(f"Recipient details for {label}", self)
        self.title.setObjectName("checkinTitle")
        self.title.setAccessibleName("Checkin page title")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.origin_label = QLabel("", self)
        self.origin_label.setObjectName("checkinOrigin")
        self.origin_label.setAccessibleName("Address of the page shown")
        self.origin_label.setToolTip("Only pages from your payment provider can open here.")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("checkinProgress")
        self.progress.setAccessibleName("Page loading progress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.notice = QLabel("", self)
        self.notice.setObjectName("checkinNotice")
        self.notice.setAccessibleName("Checkin notices")
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.view = QWebEngineView(self)
        self.view.setObjectName("checkinView")
        self.view.setAccessibleName("Provider checkin page")
        # Created after the view: children are deleted in creation order, so the page goes first.
        self.profile = QWebEngineProfile(self)  # no storage name: off the record
        self.profile.downloadRequested.connect(self._refuse_download)
        # Qt does not own the interceptor's Python side: this reference keeps it alive until dispose().
        self.interceptor = seal_profile(self.profile, self.allowed, return_url)
        self.page = CheckinPage(self.profile, self.allowed, return_url, self.view)
        self.view.setPage(self.page)

        buttons = QDialogButtonBox(self)
        self.close_button = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setObjectName("checkinCloseButton")
        self.close_button.setAccessibleName("Close the checkin page (the payout stays pending)")
        self.close_button.setToolTip("The payout stays pending; you can reopen the checkin from the history.")
        buttons.rejected.connect(self.reject)
        self.finished.connect(self.dispose)

        layout.addWidget(self.title)
        layout.addWidget(self.origin_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.notice)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

        self.page.loadStarted.connect(self._on_load_started)
        self.page.loadProgress.connect(self.progress.setValue)
        self.page.loadFinished.connect(self._on_load_finished)
        self.page.titleChanged.connect(self._on_title)
        self.page.urlChanged.connect(self._show_origin)
        # Queued: never close the dialog or touch the page from inside acceptNavigationRequest.
        queued = Qt.ConnectionType.QueuedConnection
        self.page.returnReached.connect(self._on_return, queued)
        self.page.navigationRefused.connect(self._on_refused, queued)
        self.page.popupRefused.connect(lambda: self._tell("A pop-up window was blocked."))
        self.page.certificateRejected.connect(
            lambda url: self._tell(f"The secure connection to {url.host()} could not be verified; page blocked.")
        )
        self._show_origin(self.checkin_url)
        if origin_of(self.checkin_url) != self.allowed or not self.allowed[0]:
            self._tell("This checkin address is not on your payment provider's site, so it was not opened.")
            self.progress.hide()
        else:
            self.view.load(self.checkin_url)

    # ---------------------------------------------------------------- state
    def was_completed(self) -> bool:
        return self._completed

    def done(self, result: int) -> None:
        if not self._finished_once:
            self._finished_once = True
            if not self._completed:
                self.closedEarly.emit()
        super().done(result)

    def dispose(self) -> None:
        """Release the page, then its profile (QtWebEngine requires that order; the other one
        crashes at exit). Runs when the dialog finishes; the page is unusable afterwards."""
        if self._disposed:
            return
        self._disposed = True
        self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        # Unset before the page goes, while both still exist (the stub says never None; Qt takes it).
        self.profile.setUrlRequestInterceptor(None)  # type: ignore[arg-type]
        shiboken6.delete(self.page)  # now, synchronously; the profile (a child) goes with the dialog

    # ---------------------------------------------------------------- slots
    def _on_load_started(self) -> None:
        self.progress.setValue(0)
        self.progress.show()

    def _on_load_finished(self, ok: bool) -> None:
        self.progress.hide()
        refused = self.page.refusals > self._refusals_seen
        self._refusals_seen = self.page.refusals
        if not ok and not self._completed and not refused:
            self._tell("The page could not be loaded. Check the connection and reopen the checkin.")

    def _on_title(self, title: str) -> None:
        if title and not title.startswith(("http://", "https://")):
            self.title.setText(title)

    def _show_origin(self, url: QUrl) -> None:
        origin = origin_of(url)
        if origin[0]:
            secure = "Secure connection" if origin[0] == "https" else "Local sandbox (not encrypted)"
            self.origin_label.setText(f"{_origin_text(origin)} — {secure}")

    def _on_return(self, url: QUrl) -> None:
        if self._completed:
            return
        self._completed = True
        query = QUrlQuery(url)
        paid = query.queryItemValue("paymentId") if query.hasQueryItem("paymentId") else ""
        self.completed.emit(paid or self.payment_id or "")
        self.accept()

    def _on_refused(self, url: QUrl) -> None:
        host = url.host() or url.scheme()
        self._tell(f"Blocked a page outside your payment provider's site ({host}).")
        self.navigationRefused.emit(url.toString())

    def _refuse_download(self, download: QWebEngineDownloadRequest) -> None:
        download.cancel()
        self._tell("A download was blocked.")

    def _tell(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(f"color: {status_style('outcome_unknown').color.name()}; font-weight: bold;")
        self.notice.show()
