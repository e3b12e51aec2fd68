"""The Settings dialog's form for a provider profile (built-in sandbox, Sandbox, Live): the address, the API
token and where it is kept, the key retention, and Test connection. The dialog drives its widgets (``widgets``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from payout_desk.ui.style.status import status_style

__all__ = ["ProviderForm"]


def _named(widget: Any, name: str, accessible: str) -> Any:
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


class ProviderForm(QWidget):
    """The provider profile's fields (object names as the dialog documents them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.url_edit = _named(QLineEdit(self), "baseUrlEdit", "Provider address (base URL)")
        self.url_edit.setPlaceholderText("https://api.provider.example")
        self.in_use_label = _named(QLabel(self), "addressInUse", "Address in use now")
        self.in_use_label.setWordWrap(True)
        self.in_use_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_error = _named(QLabel(self), "baseUrlError", "Provider address problem")
        self.url_error.setWordWrap(True)
        self.url_error.setStyleSheet(f"color: {status_style('failed').color.name()};")
        self.token_edit = _named(QLineEdit(self), "tokenEdit", "API token")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = _named(QPushButton("Show", self), "showTokenButton", "Show or hide the token")
        self.show_token.setCheckable(True)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.show_token)
        self.keychain_notice = _named(QLabel(self), "keychainNotice", "Where the token is kept")
        self.keychain_notice.setWordWrap(True)
        self.test_button = _named(QPushButton("Test connection", self), "testConnectionButton",
                                       "Test the connection with this token")  # fmt: skip
        self.result_label = _named(QLabel(self), "connectionResult", "Connection test result")
        self.result_label.setWordWrap(True)
        form.addRow("&Address:", self.url_edit)
        form.addRow("", self.in_use_label)
        form.addRow("", self.url_error)
        token_label = QLabel("API &token:", self)
        token_label.setBuddy(self.token_edit)
        form.addRow(token_label, token_row)
        form.addRow("", self.keychain_notice)
        self.retention_spin = _named(QDoubleSpinBox(self), "retentionHoursSpin",
                                          "How long the provider keeps sending keys, in hours")  # fmt: skip
        self.retention_spin.setRange(0.1, 24)  # the provider promises 24 h; longer could pay twice
        self.retention_spin.setDecimals(1)
        self.retention_spin.setSuffix(" h")
        self.retention_spin.setToolTip(
            "The provider keeps each payout's sending key at least this long (its documentation says 24 hours). "
            "After 90 % of it, a payout is resent without the key, by its reference. A sandbox says it itself."
        )
        form.addRow("Key &retention:", self.retention_spin)
        form.addRow("", self.test_button)
        form.addRow("", self.result_label)

    def widgets(self) -> tuple[QLineEdit, QLabel, QLabel, QLineEdit, QPushButton, QLabel, QPushButton, QLabel,
                               QDoubleSpinBox]:  # fmt: skip
        """(address, address in use, address error, token, show token, keychain notice, test button, test result,
        key retention)."""
        return (self.url_edit, self.in_use_label, self.url_error, self.token_edit, self.show_token,
                self.keychain_notice, self.test_button, self.result_label, self.retention_spin)  # fmt: skip
