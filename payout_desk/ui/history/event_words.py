"""The timeline's words: each journal event as one line a finance user reads, and what a pending
payout waits for. Pure text from the journal's records; no widgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from payout_desk.domain.failures import failure_text
from payout_desk.domain.held_back import held_back_words
from payout_desk.domain.money import currency
from payout_desk.domain.status import (
    APPROVAL_REJECTED,
    AWAITING_APPROVAL,
    CONFIRMED,
    WITHDRAWN,
    shown_status,
    status_label,
)
from payout_desk.journal.models import JournalEvent

__all__ = ["closed_words", "currency_name", "describe_event", "pending_words", "status_words"]


def currency_name(code: str) -> str:
    try:
        return currency(code).name
    except ValueError:
        return code


def status_words(value: object) -> str:
    return status_label(str(value)) if value else "—"


def pending_words(events: Sequence[JournalEvent]) -> str:
    """What a pending payout waits for: the recipient's details until the checkin's redirect was
    caught (the only signal the API gives), then the provider."""
    if any(e.kind == "checkin_completed" for e in events):
        return "details received, processing"
    return "waiting for the recipient's details"


def describe_event(event: JournalEvent, *, attempted_before: bool = False) -> str:
    """One timeline line in plain words (``attempted_before``: an attempt started earlier in its timeline)."""
    d: Mapping[str, Any] = event.detail
    kind = event.kind
    if kind == "confirmed":
        text = f"Confirmed and recorded ({d.get('environment', '')}, profile {d.get('profile', '')})"
        if d.get("new") == AWAITING_APPROVAL:
            text += f"; waits for {_approvals(d.get('approvals_required'))}"
        return text
    if kind in _APPROVAL_KINDS:
        return _approval_words(event)
    if kind == "attempt":
        outcome = f"HTTP {d['status_code']}" if d.get("status_code") is not None else "no answer"
        if d.get("error"):
            outcome += f" — {d['error']}"
        duration = d.get("duration_ms")
        timing = f" in {float(duration):.0f} ms" if isinstance(duration, int | float) else ""
        return f"Sending attempt {d.get('number', '?')}: {outcome}{timing}"
    if kind == "attempt_started":
        return f"Sending attempt {d.get('number', '?')} started"
    if kind == "created":
        shown = shown_status(str(d.get("new", "")), d.get("provider_status"))
        return f"Created at the provider as {d.get('payment_id', '?')} — {status_words(shown)}"
    if kind == "mismatch":
        return "Answer refused, it does not match this payout: " + "; ".join(map(str, d.get("problems", [])))
    if kind == "rebound":
        return f"Moved to this connection by a person: {d.get('reason', '')}"
    if kind == "status":
        new = shown_status(str(d.get("new", "")), d.get("provider_status"))
        text = f"Status {status_words(d.get('old'))} → {status_words(new)} (from {d.get('source', '?')})"
        if d.get("failure_reason"):
            text += f": {failure_text(str(d['failure_reason']))}"
        return text
    if kind == "checkin_completed":
        return "Checkin completed: the recipient entered their details; the provider is processing the payout"
    if kind == "duplicate_warning":
        shown = ", ".join(f"#{i}" for i in d.get("shown", []))
        return f"Sent anyway although it looked like payout {shown} (the duplicate warning was ticked off)"
    if kind == "rejected":
        return f"Rejected by the provider: {d.get('message', '')} ({d.get('code', '')})"
    if kind == "outcome_unknown":
        return f"No definitive answer, will resend with the same key: {d.get('message', '')}"
    if kind == "needs_reconciliation":
        held = held_back_words(str(d.get("message", "")), event.local_id, attempted_before=attempted_before)
        return held or f"Needs a person: {d.get('message', '')}"
    if kind == "reconciled":
        found = str(d.get("decision", "")).removeprefix("found:")
        said = "it is not at the provider" if found == "not_found" else f"it is at the provider as {found}"
        return f"A person said {said}: {d.get('reason', '')}"
    if kind == "note":
        if d.get("ambiguous"):
            return f"Maybe sent ({d.get('reason', '')})"
        if d.get("failure_reason"):
            return f"Provider reason: {failure_text(str(d['failure_reason']))}"
        return "Note: " + ", ".join(f"{k}={v}" for k, v in d.items())
    return f"{kind}: " + ", ".join(f"{k}={v}" for k, v in d.items())


_APPROVAL_KINDS = frozenset({"approval_granted", "approval_rejected", "withdrawn", "expired"})


def _approvals(count: object) -> str:
    return f"{count} approval{'' if count == 1 else 's'}"


def _approval_words(event: JournalEvent) -> str:
    """Team mode's approval events (issue 21): every approval, rejection, withdrawal and expiry."""
    d: Mapping[str, Any] = event.detail
    if event.kind == "approval_granted":
        text = f"Approved by {event.actor} ({d.get('approvals', '?')} of {_approvals(d.get('required', '?'))})"
        return text + ("; ready to send" if d.get("new") == CONFIRMED else "")
    if event.kind == "approval_rejected":
        return f"Rejected by {event.actor}, an approver: {d.get('reason', '')}. Never sent"
    if event.kind == "withdrawn":
        return f"Withdrawn by {event.actor} while it awaited approval. Never sent"
    return (
        f"Expired: not approved in time ({d.get('approvals', '?')} of {_approvals(d.get('required', '?'))}). Never sent"
    )


def closed_words(status: str, events: Sequence[JournalEvent], reason: str | None, preparer: str) -> str:
    """Why a payout closed before approval (never the provider's words): "Rejected by carl: <reason>",
    "Withdrawn by dora while it awaited approval", "Expired: not approved in time (1 of 2 approvals)".
    ``events`` may be empty (not loaded yet): then the record's own ``reason`` and ``preparer``."""
    event = next((e for e in reversed(events) if e.kind == status), None)
    if status == APPROVAL_REJECTED:
        said = (event.detail.get("reason") if event is not None else None) or reason or "no reason given"
        return f"Rejected by {event.actor if event is not None else 'an approver'}: {said}"
    if status == WITHDRAWN:
        return f"Withdrawn by {event.actor if event is not None else preparer} while it awaited approval"
    if event is None:
        return "Expired: not approved in time"
    d = event.detail
    return f"Expired: not approved in time ({d.get('approvals', '?')} of {_approvals(d.get('required', '?'))})"
