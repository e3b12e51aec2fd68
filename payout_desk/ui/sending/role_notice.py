"""The payout form on a team desk whose login may not prepare payouts (an approver, a viewer): every field is
disabled (greyed, not editable-looking) and a notice at the top of the form (``formRoleNotice``, word-wrapped so
it fits a 1024×640 window) says what this login does here. The submit row's status keeps a short reason.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QLabel

from payout_desk.ui.sending.payout_form import PayoutForm

__all__ = ["NOT_A_PREPARER", "role_words", "set_role_notice"]

#: The submit row's status for a login that may not prepare (short: it shares its row with the button).
NOT_A_PREPARER: Final = "Preparing payouts needs the preparer role"


def role_words(roles: Collection[str]) -> str | None:
    """What a team login does on this desk when it may not prepare payouts; None for a preparer."""
    if "payout_desk_preparer" in roles:
        return None
    if "payout_desk_approver" in roles:
        return "You approve payouts here (the Approvals tab); preparing them needs the preparer role."
    return "View only: you may look at the team's payouts; preparing them needs the preparer role."


def set_role_notice(form: PayoutForm, words: str | None) -> None:
    """Disable the form's fields and show ``words`` above them; None enables them and hides the notice (a
    preparer's desk, a single desk, or the next desk after a profile switch)."""
    notice = form.findChild(QLabel, "formRoleNotice")
    if notice is None and words is not None:
        notice = QLabel(form)
        notice.setObjectName("formRoleNotice")
        notice.setWordWrap(True)
        notice.setTextFormat(Qt.TextFormat.PlainText)
        notice.setStyleSheet(
            "QLabel#formRoleNotice { background: #e8f0fe; border: 1px solid #9bb7e0; border-radius: 4px;"
            " color: #1a3a6b; padding: 6px; }"
        )
        layout = form.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(1, notice)  # under the title, above the fields
    if notice is not None:
        notice.setText(words or "")
        notice.setAccessibleName(words or "")
        notice.setVisible(words is not None)
    for widget in (*form.field_widgets.values(), form.new_reference_button, form.advanced_toggle):
        widget.setEnabled(words is None)
