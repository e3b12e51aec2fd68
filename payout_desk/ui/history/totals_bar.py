"""The totals under the history table: per currency, how many payouts the filters show and how much,
by status ("EUR · 12 payouts €1,304.00: 8 succeeded €1,234.00, 2 pending €50.00, 2 failed €20.00"). Payouts
never sent and never to be (refused by the provider, rejected by an approver, withdrawn, expired) are not in
the headline sum; they follow apart ("…; not sent: 2 rejected by an approver €1,234,717.89").

``TotalsBar(source, model)`` reloads whenever the model's query or a row changes (debounced, off the
GUI thread: ``source.history_totals(query)``). ``totals_text(totals, locale)`` is the same sentence,
one line per currency, for the export summary. Object name ``totalsLabel``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from payout_desk.domain.money import UnknownCurrencyError, currency, format_amount
from payout_desk.domain.status import status_label
from payout_desk.domain.totals import CurrencyTotals, StatusTotal
from payout_desk.journal.models import HistoryQuery

__all__ = ["SHOWN_CURRENCIES", "TotalsBar", "TotalsSource", "currency_line", "short_line", "totals_text"]

log = logging.getLogger(__name__)

#: Currencies shown under the table; the others are counted (the tooltip has them all).
SHOWN_CURRENCIES = 3


class TotalsSource(Protocol):
    async def history_totals(self, query: HistoryQuery) -> list[CurrencyTotals]: ...


def _money(amount: Any, code: str, locale: str) -> str:
    try:
        return format_amount(amount, currency(code), locale)
    except (UnknownCurrencyError, ValueError, TypeError):
        return f"{code} {amount:f}"


def currency_line(totals: CurrencyTotals, locale: str) -> str:
    """One currency: the count and sum of what was sent or is on its way, each status's; then, apart, what was
    never sent."""
    code = totals.currency

    def each(parts: Sequence[StatusTotal]) -> str:
        words = (f"{p.count:,} {status_label(p.status).lower()} {_money(p.amount, code, locale)}" for p in parts)
        return ", ".join(words)

    apart = f"not sent: {each(totals.not_sent)}" if totals.not_sent else ""
    if not totals.sent:
        return f"{code} · {apart}"
    tail = f"; {apart}" if apart else ""
    if len(totals.sent) == 1:  # "EUR · 3 succeeded €30.00": the total would say the same again
        return f"{code} · {each(totals.sent)}{tail}"
    count = totals.sent_count
    headline = f"{count:,} payout{'s' if count != 1 else ''} {_money(totals.sent_amount, code, locale)}"
    return f"{code} · {headline}: {each(totals.sent)}{tail}"


def short_line(totals: CurrencyTotals, locale: str) -> str:
    """One currency in a few words, for a narrow window: the headline, then what was never sent, summed apart
    (each status's count and sum are in the tooltip)."""
    code = totals.currency
    parts = []
    if totals.sent:
        count = totals.sent_count
        parts.append(f"{count:,} payout{'s' if count != 1 else ''} {_money(totals.sent_amount, code, locale)}")
    gone = totals.not_sent
    if gone:
        count = sum(p.count for p in gone)
        amount = sum((p.amount for p in gone), Decimal(0))
        parts.append(f"not sent: {count:,} payout{'s' if count != 1 else ''} {_money(amount, code, locale)}")
    return f"{code} · {'; '.join(parts)} (hover for each status)"


def totals_text(totals: Sequence[CurrencyTotals], locale: str) -> str:
    """Every currency's line ("" when there are none)."""
    return "\n".join(currency_line(t, locale) for t in totals)


class TotalsBar(QLabel):
    """The totals line(s) of the filtered rows; see the module docstring."""

    DELAY_MS = 150

    def __init__(self, source: TotalsSource, model: Any, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsLabel")
        self.setAccessibleName("Totals of the payouts shown")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._source, self._model, self._locale = source, model, locale
        self.totals: list[CurrencyTotals] = []
        self._task: asyncio.Future[None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DELAY_MS)
        self._timer.timeout.connect(self.reload)
        model.modelReset.connect(self._timer.start)
        model.dataChanged.connect(lambda *_a: self._timer.start())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.totals and event.oldSize().width() != event.size().width():
            self.show_totals(self.totals)  # long or short lines for the new width

    def reload(self) -> asyncio.Future[None] | None:
        """Load the totals of the model's current query (None once no event loop runs: closing)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        coro = self._load(self._model.query())
        try:
            self._task = asyncio.ensure_future(coro)
        except RuntimeError:  # the debounce fired while the window closes, after the loop stopped
            coro.close()
            return None
        return self._task

    async def _load(self, query: HistoryQuery) -> None:
        try:
            totals = await self._source.history_totals(query)
        except asyncio.CancelledError:
            raise
        except Exception:
            if not shiboken6.isValid(self) or not self.isVisible():  # the window is closing: the journal too
                log.debug("history totals not loaded while closing", exc_info=True)
                return
            log.warning("could not load the history totals", exc_info=True)
            return
        if shiboken6.isValid(self):
            self.show_totals(totals)

    def show_totals(self, totals: Sequence[CurrencyTotals]) -> None:
        self.totals = list(totals)
        lines = [currency_line(t, self._locale) for t in self.totals]
        # A line that would wrap past two lines (a narrow window, many statuses) is said in short: the table
        # keeps its rows; the tooltip has every status.
        room = 2 * max(self.width(), 1)
        metrics = self.fontMetrics()
        fitted = [
            line if metrics.horizontalAdvance(line) <= room else short_line(t, self._locale)
            for line, t in zip(lines, self.totals, strict=True)
        ]
        shown = fitted[:SHOWN_CURRENCIES]
        more = len(lines) - len(shown)
        if more:
            shown.append(f"… and {more} more currenc{'ies' if more != 1 else 'y'} (hover for all)")
        self.setText("\n".join(shown))
        self.setToolTip("\n".join(lines))
