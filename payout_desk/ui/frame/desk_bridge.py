"""Adapts the :class:`~payout_desk.services.desk.PayoutDesk` listener to Qt signals.

The desk calls its listeners on the asyncio loop, which is the Qt GUI thread under qasync; a Qt
signal is also safe should a listener ever be called from another thread (queued delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Subscribable(Protocol):
    def subscribe(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


class DeskBridge(QObject):
    """``payoutChanged(PayoutChange)`` for every change; ``payoutFinal(PayoutChange)`` when one became final."""

    payoutChanged = Signal(object)
    payoutFinal = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, desk: Subscribable) -> None:
        """Listen to ``desk`` (replacing any desk attached before)."""
        self.detach()
        self._unsubscribe = desk.subscribe(self._on_change)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            finally:
                self._unsubscribe = None

    @property
    def attached(self) -> bool:
        return self._unsubscribe is not None

    def _on_change(self, change: Any) -> None:
        try:
            self.payoutChanged.emit(change)
            if getattr(change, "became_final", False):
                self.payoutFinal.emit(change)
        except RuntimeError:  # the QObject is already deleted (window closed while the desk stops)
            log.debug("payout change after the bridge was deleted", exc_info=True)
