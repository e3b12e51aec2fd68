"""Issue 12 in the window: a reference already used on this connection is refused at the form (with
a link to the earlier payout), an emptied reference gets a generated one shown in the
confirmation, and the reconciliation dialog resolves a ``needs_reconciliation`` payout both ways —
against the real sandbox, the real journal and the real widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal
from payout_desk.provider.client import PayoutsClient, RetryPolicy
from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import PayoutDesk
from payout_desk.services.submit import new_idempotency_key
from payout_desk.ui.frame.reconcile_dialog import ReconcileDialog
from tests.gui.test_main_window_flow import close, launch_connected

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


def _confirm_through_the_form(qtbot: Any, window: Any, amount: str, reference: str) -> Any:
    form = window.form
    form.amount_edit.clear()
    qtbot.keyClicks(form.amount_edit, amount)
    form.external_id_edit.clear()
    if reference:
        qtbot.keyClicks(form.external_id_edit, reference)
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=5000) as blocker:
        qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_a_used_reference_is_refused_at_the_form_with_a_link(
    qtbot: Any, qt_loop: Any, sandbox: EmbeddedSandbox, data_dir: Path
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        dialog = _confirm_through_the_form(qtbot, window, "10.00", "INV-2041")
        with qtbot.waitSignal(window.flow.submitted, timeout=20000) as done:
            qtbot.mouseClick(dialog.findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
        first = done.args[0]
        assert first.external_id == "INV-2041"

        form = window.form
        qtbot.keyClicks(form.amount_edit, "25.00")
        form.external_id_edit.setText("INV-2041")
        with qtbot.waitSignal(window.flow.submitFailed, timeout=5000):
            qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
        assert window.flow.confirm_dialog is None  # refused before any confirmation: nothing recorded
        error = window.findChild(QLabel, "externalIdError").text()
        assert f"already the reference of payout #{first.local_id}" in error
        link = window.findChild(QLabel, "referenceInUseLink")
        assert link.isVisible()
        assert f"Show payout #{first.local_id}" in link.text()
        window.grab().save(str(data_dir / "reference-in-use.png"))
        with qtbot.waitSignal(window.history.model.modelReset, timeout=5000):
            link.linkActivated.emit(f"payout:{first.local_id}")
        assert window.findChild(QLineEdit, "searchEdit").text() == "INV-2041"
        qtbot.waitUntil(lambda: window.history.model.rowCount() == 1, timeout=5000)
        assert len(SandboxControl(sandbox.base_url).payments()) == 1
    finally:
        close(qtbot, window)


def test_an_emptied_reference_is_generated_and_shown_in_the_confirmation(
    qtbot: Any, qt_loop: Any, sandbox: EmbeddedSandbox, data_dir: Path
) -> None:
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        dialog = _confirm_through_the_form(qtbot, window, "3.00", "")
        generated = window.form.external_id_edit.text()
        assert len(generated) == 36
        assert dialog.request.external_id == generated
        shown = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert generated in shown
        dialog.reject()
    finally:
        close(qtbot, window)


class JumpingClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def stuck(
    sandbox: EmbeddedSandbox, tmp_path: Path, run_async: Callable[..., Any]
) -> Iterator[tuple[PayoutDesk, Any, AsyncSandboxControl]]:
    """A desk with one payout past its key's retention and without a reference: needs_reconciliation."""
    control = AsyncSandboxControl(sandbox.base_url)
    journal = run_async(AsyncJournal.open(tmp_path / "journal.sqlite3"))
    client = PayoutsClient(sandbox.base_url, run_async(control.mint_token(payouts=True)), retry=FAST)
    clock = JumpingClock()
    desk = PayoutDesk(journal, client, environment="sandbox", profile="Sandbox", actor="clerk", wall_clock=clock)
    request = validate_draft(PayoutDraft(amount="42.00", currency="EUR", description="old, no reference"))
    assert isinstance(request, PayoutRequest)
    record = run_async(journal.record_confirmed(
        request, idempotency_key=new_idempotency_key(), environment="sandbox", profile="Sandbox", actor="clerk",
        connection_id=desk.connection_id,
    ))  # fmt: skip
    run_async(control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=2))
    assert run_async(desk.refresh(record.local_id)).status == "outcome_unknown"
    clock.offset = timedelta(days=3)
    record = run_async(desk.refresh(record.local_id))
    assert record.status == "needs_reconciliation"
    yield desk, record, control
    run_async(desk.stop())
    run_async(journal.close())
    run_async(client.aclose())


def test_reconcile_dialog_found_verifies_the_payment(
    qtbot: Any, run_async: Callable[..., Any], stuck: tuple[PayoutDesk, Any, AsyncSandboxControl], tmp_path: Path
) -> None:
    desk, record, control = stuck
    other = run_async(desk.submit(validate_draft(PayoutDraft(amount="1.00", currency="EUR"))))  # not this one
    dialog = ReconcileDialog(desk, record)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.objectName() == "reconcileDialog"
    assert "no reference" in dialog.findChild(QLabel, "reconcileExplanation").text()
    edit = dialog.findChild(QLineEdit, "reconcilePaymentIdEdit")
    found = dialog.findChild(QPushButton, "reconcileFoundButton")
    assert not found.isEnabled()
    qtbot.keyClicks(edit, other.payment_id)
    qtbot.mouseClick(found, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.done(), timeout=10000)
    assert "does not match" in dialog.findChild(QLabel, "reconcileMessage").text()
    dialog.grab().save(str(tmp_path / "reconcile-refused.png"))
    assert run_async(desk.get(record.local_id)).status == "needs_reconciliation"

    run_async(control.clear_faults())
    created = run_async(desk.client.create_payout(record.request_body, record.idempotency_key))  # it was there
    edit.setText(created.payment.id)
    with qtbot.waitSignal(dialog.resolved, timeout=10000) as done:
        qtbot.mouseClick(found, Qt.MouseButton.LeftButton)
    assert done.args[0].status == "pending"
    assert done.args[0].payment_id == created.payment.id


def test_reconcile_dialog_not_found_asks_twice_then_sends_without_a_key(
    qtbot: Any, run_async: Callable[..., Any], stuck: tuple[PayoutDesk, Any, AsyncSandboxControl]
) -> None:
    desk, record, control = stuck
    run_async(control.clear_faults())
    asked: list[str] = []
    answers = [False, True]
    dialog = ReconcileDialog(desk, record, confirm=lambda question: asked.append(question) or answers.pop(0))
    qtbot.addWidget(dialog)
    dialog.show()
    not_found = dialog.findChild(QPushButton, "reconcileNotFoundButton")
    qtbot.mouseClick(not_found, Qt.MouseButton.LeftButton)  # "No" to the second question: nothing happens
    assert dialog.task is None
    assert run_async(control.payments()) == []
    with qtbot.waitSignal(dialog.resolved, timeout=10000) as done:
        qtbot.mouseClick(not_found, Qt.MouseButton.LeftButton)
    assert len(asked) == 2
    assert "recorded with your name" in asked[0]
    assert done.args[0].status == "pending"
    [held] = run_async(control.payments())
    assert held["idempotencyKey"] is None  # sent without its old key
    events = run_async(desk.events(record.local_id))
    [reconciled] = [e for e in events if e.kind == "reconciled"]
    assert (reconciled.actor, reconciled.detail["decision"]) == ("clerk", "not_found")


def record_request() -> PayoutRequest:
    request = validate_draft(PayoutDraft(amount="5.00", currency="EUR", external_id="CUT-1"))
    assert isinstance(request, PayoutRequest)
    return request


def test_the_timeline_says_reconciliation_in_words(
    qtbot: Any, run_async: Callable[..., Any], stuck: tuple[PayoutDesk, Any, AsyncSandboxControl], tmp_path: Path
) -> None:
    """Found by the money audit: the needs_reconciliation and reconciled events (and the note that
    an attempt was cut off) read as raw fields ("reconciled: decision=not_found, reason=…, old=…")."""
    from payout_desk.ui.history.details_pane import DetailsPane, describe_event

    desk, record, control = stuck
    run_async(control.clear_faults())
    sent = run_async(desk.reconcile_not_found(record.local_id, reason="checked the dashboard: not there"))
    events = run_async(desk.events(record.local_id))
    other = run_async(AsyncJournal.open(tmp_path / "crashed.sqlite3"))  # an attempt cut off by a crash
    cut = run_async(other.record_confirmed(
        record_request(), idempotency_key=new_idempotency_key(), environment="sandbox", profile="Sandbox",
        actor="clerk", connection_id=desk.connection_id,
    ))  # fmt: skip
    run_async(other.mark_ambiguous(cut.local_id, reason="an attempt was under way when the app stopped", actor="clerk"))
    events += run_async(other.events(cut.local_id))
    run_async(other.close())
    lines = {e.kind: describe_event(e) for e in events}
    assert lines["needs_reconciliation"].startswith("Needs a person: ")
    assert "no reference" in lines["needs_reconciliation"]
    assert lines["reconciled"] == "A person said it is not at the provider: checked the dashboard: not there"
    assert lines["note"] == "Maybe sent (an attempt was under way when the app stopped)"
    for line in lines.values():
        assert "=" not in line, line
    pane = DetailsPane(desk)
    qtbot.addWidget(pane)
    pane.resize(900, 600)
    pane.show()
    with qtbot.waitSignal(pane.eventsLoaded, timeout=5000):
        pane.show_record(sent)
    pane.grab().save(str(tmp_path / "timeline-reconciled.png"))


def test_not_found_without_a_reference_does_not_promise_a_replay(
    qtbot: Any, stuck: tuple[PayoutDesk, Any, AsyncSandboxControl]
) -> None:
    """Found by the money audit: for a payout without a reference (the usual reason it needs a
    person) the question promised "the same reference, so if the provider does hold it after all,
    the provider answers with that payout instead of paying twice" — it is sent with no key and no
    reference, so a payout the provider does hold is paid twice."""
    desk, record, _control = stuck
    assert record.external_id is None
    asked: list[str] = []
    dialog = ReconcileDialog(desk, record, confirm=lambda question: asked.append(question) or False)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.findChild(QPushButton, "reconcileNotFoundButton"), Qt.MouseButton.LeftButton)
    [question] = asked
    assert "same reference" not in question
    assert "instead of paying twice" not in question
    assert "no reference" in question
    assert "paid twice" in question
