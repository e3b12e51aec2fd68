"""The Team profile editor of the Settings dialog: a team database's libpq settings, the password (kept in the
OS keychain, never in the settings file), inline errors naming the field and the rule, and Test connection.

It edits a :class:`~payout_desk.ui.settings.rules.ProfileDraft` of kind ``team`` in place (``load``); every
change emits ``edited`` (the dialog re-validates and enables Save). A connection string pasted in
``teamConninfoEdit`` fills the fields (a password in it is refused: passwords live in the keychain).

Object names: ``teamProfileEditor``, ``teamConninfoEdit``, ``teamConninfoButton``, ``teamHostEdit``,
``teamPortEdit``, ``teamDbnameEdit``, ``teamUserEdit``, ``teamSslmodeCombo``, ``teamSslrootcertEdit``,
``teamPasswordEdit``, ``teamPasswordNotice``, ``teamTestButton``, ``teamConnectionResult``, and one error label
per field, ``team<Field>Error`` (``teamHostError`` …) plus ``teamConninfoError``. ``lookup`` (the stored-password
lookup of the last ``load``) and ``test_connection()`` are futures for tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from payout_desk.services.secrets import TokenStore
from payout_desk.services.team_connection import SSLMODES, TeamConnection
from payout_desk.services.team_profile import TeamCheck, check_team_database, team_passwords
from payout_desk.ui.settings.offgui import off_gui, off_gui_connect
from payout_desk.ui.settings.rules import TEAM_FIELDS, ProfileDraft, team_error, team_from_texts, team_texts
from payout_desk.ui.style.status import status_style

__all__ = ["TeamProfileEditor"]

TeamCheckFn = Callable[[TeamConnection, str | None], TeamCheck]
_LABELS: Final = {
    "host": ("&Host:", "Database host (name, address, or socket folder)", "db.example.com"),
    "port": ("P&ort:", "Database port", "5432"),
    "dbname": ("&Database:", "Database name", "payouts"),
    "user": ("&Login:", "Your database login", "your own login"),
    "sslrootcert": ("&CA certificate:", "CA certificate file (sslrootcert)", "system, or /path/to/team-ca.pem"),
}
_SSLMODE_WORDS: Final = {
    "verify-full": "verify-full (required off this computer)",
    "verify-ca": "verify-ca",
    "require": "require",
    "prefer": "prefer",
    "allow": "allow",
    "disable": "disable (only on this computer)",
}


class TeamProfileEditor(QWidget):
    """See the module docstring."""

    edited = Signal()

    def __init__(self, tokens: TokenStore, *, check: TeamCheckFn = check_team_database,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("teamProfileEditor")
        self.setAccessibleName("Team profile")
        self._passwords = team_passwords(tokens)
        self._check = check
        self._draft: ProfileDraft | None = None
        self._stored: dict[str, bool] = {}
        self._fallback = ""  # the problem shown in teamConninfoError for want of a field of its own
        self.lookup: asyncio.Future[None] | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self._build()

    def _named(self, widget: Any, name: str, accessible: str) -> Any:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        return widget

    def _error_label(self, field: str) -> QLabel:
        label: QLabel = self._named(QLabel(self), f"team{field.capitalize()}Error", f"Problem with {field}")
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {status_style('failed').color.name()};")
        label.hide()
        self.errors[field] = label
        return label

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.conninfo_edit = self._named(QLineEdit(self), "teamConninfoEdit", "Connection string to fill in from")
        self.conninfo_edit.setPlaceholderText("host=db.example.com dbname=payouts user=ada  (or postgresql://…)")
        self.conninfo_button = self._named(QPushButton("Fill in", self), "teamConninfoButton",
                                           "Fill in the fields from the connection string")  # fmt: skip
        paste = QHBoxLayout()
        paste.addWidget(self.conninfo_edit, 1)
        paste.addWidget(self.conninfo_button)
        form.addRow("Co&nnection string:", paste)
        form.addRow("", self._error_label("conninfo"))
        self.sslmode_combo = self._named(QComboBox(self), "teamSslmodeCombo", "TLS mode (sslmode)")
        for mode in reversed(SSLMODES):
            self.sslmode_combo.addItem(_SSLMODE_WORDS[mode], mode)
        self.sslmode_combo.activated.connect(self._edited)
        for name in TEAM_FIELDS:
            if name == "sslmode":
                continue
            _label, accessible, placeholder = _LABELS[name]
            edit = self._named(QLineEdit(self), f"team{name.capitalize()}Edit", accessible)
            edit.setPlaceholderText(placeholder)
            edit.textEdited.connect(self._edited)
            self.edits[name] = edit
        where = QHBoxLayout()  # host and port on one row: the dialog fits a 640-pixel-high screen
        where.addWidget(self.edits["host"], 1)
        port_label = QLabel(_LABELS["port"][0], self)
        port_label.setBuddy(self.edits["port"])
        where.addWidget(port_label)
        self.edits["port"].setMaximumWidth(90)
        where.addWidget(self.edits["port"])
        host_label = QLabel(_LABELS["host"][0], self)
        host_label.setBuddy(self.edits["host"])
        form.addRow(host_label, where)
        form.addRow("", self._error_label("host"))
        form.addRow("", self._error_label("port"))
        for name in ("dbname", "user", "sslmode", "sslrootcert"):
            widget = self.sslmode_combo if name == "sslmode" else self.edits[name]
            form.addRow("&TLS (sslmode):" if name == "sslmode" else _LABELS[name][0], widget)
            form.addRow("", self._error_label(name))
        self.edits["port"].setValidator(QIntValidator(1, 65535, self))
        self.password_edit = self._named(QLineEdit(self), "teamPasswordEdit", "Database password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.textEdited.connect(self._password_edited)
        form.addRow("&Password:", self.password_edit)
        self.password_notice = self._named(QLabel(self), "teamPasswordNotice", "Where the password is kept")
        self.password_notice.setWordWrap(True)
        form.addRow("", self.password_notice)
        self.test_button = self._named(QPushButton("Test connection", self), "teamTestButton",
                                       "Test the connection to the team database")  # fmt: skip
        self.result_label = self._named(QLabel(self), "teamConnectionResult", "Team connection test result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.test_button)
        form.addRow("", self.result_label)
        self.conninfo_button.clicked.connect(self.fill_from_conninfo)
        self.conninfo_edit.returnPressed.connect(self.fill_from_conninfo)
        self.test_button.clicked.connect(self.test_connection)

    # ------------------------------------------------------------------ editing
    def load(self, draft: ProfileDraft) -> None:
        """Show ``draft`` (a Team profile) and edit it in place from now on."""
        self._draft = draft
        if not draft.team_texts:
            draft.team_texts = team_texts(TeamConnection())
        for name, edit in self.edits.items():
            edit.setText(draft.team_texts.get(name, ""))
        self._show_sslmode(draft.team_texts.get("sslmode", ""))
        self.password_edit.setText(draft.password)
        self.conninfo_edit.clear()
        self.errors["conninfo"].hide()
        self.result_label.clear()
        self.lookup = asyncio.ensure_future(self._look_up_password())
        self.validate()

    def _show_sslmode(self, mode: str) -> None:
        index = self.sslmode_combo.findData(mode)
        if index < 0:  # not a libpq mode: shown as typed, and the rule says what is wrong
            self.sslmode_combo.addItem(mode, mode)
            index = self.sslmode_combo.count() - 1
        self.sslmode_combo.setCurrentIndex(index)

    def _edited(self, *_args: object) -> None:
        if self._draft is None:
            return
        for name, edit in self.edits.items():
            self._draft.team_texts[name] = edit.text().strip()
        self._draft.team_texts["sslmode"] = str(self.sslmode_combo.currentData() or "")
        self.result_label.clear()
        self.validate()
        self._update_password_notice()
        self.edited.emit()

    def _password_edited(self, text: str) -> None:
        if self._draft is not None:
            self._draft.password = text
            self.result_label.clear()
            self._update_password_notice()
            self.edited.emit()

    @Slot()
    def fill_from_conninfo(self) -> None:
        """Fill the fields from the pasted connection string (its password refused), or say what is wrong."""
        text = self.conninfo_edit.text().strip()
        error = self.errors["conninfo"]
        if not text or self._draft is None:
            return
        try:
            tc = TeamConnection.from_conninfo(text)
        except ValueError as exc:
            error.setText(f"Connection string: {exc}")
            error.show()
            return
        error.hide()
        self._draft.team_texts = team_texts(tc)
        self.conninfo_edit.clear()
        for name, edit in self.edits.items():
            edit.setText(self._draft.team_texts[name])
        self._show_sslmode(tc.sslmode)
        self._edited()

    def error(self) -> str:
        """What is wrong with the settings shown ("field: rule"), or ""."""
        return team_error(self._draft.team_texts) if self._draft is not None else ""

    def validate(self) -> bool:
        """Show the problem (if any) under the field it names; True when there is none."""
        problem = self.error()
        field = problem.split(":", 1)[0] if problem else ""
        if field and field not in self.errors:
            field = "conninfo"  # a setting without a field of its own (sslcert, sslkey …): said at the top
        for name, label in self.errors.items():
            if name == "conninfo" and field != "conninfo" and label.text() != self._fallback:
                continue  # keeps a pasted string's own refusal
            shown = problem if name == field else ""
            label.setText(shown)
            label.setVisible(bool(shown))
        self._fallback = problem if field == "conninfo" else ""
        return not problem

    # ------------------------------------------------------------------ password
    def _account(self) -> str | None:
        try:
            return team_from_texts(self._draft.team_texts).keychain_account if self._draft else None
        except ValueError:
            return None

    async def _look_up_password(self) -> None:
        account = self._account()
        if account is not None and account not in self._stored:
            self._stored[account] = await off_gui(lambda: self._passwords.get(account) is not None)
        self._update_password_notice()

    def _update_password_notice(self) -> None:
        account = self._account()
        stored = account is not None and self._stored.get(account, False)
        self.password_edit.setPlaceholderText(
            "A password is stored — type here to replace it" if stored else "Leave empty to log in without one"
        )
        if not self._passwords.is_persistent:
            where = "No system keychain: kept in memory until you close Payout Desk."
        else:
            where = "The password is kept in the system keychain, never in the settings file."
        self.password_notice.setText(f"{where} One per login, host, port and database.")

    def forget_stored(self) -> None:
        """The keychain changed (the dialog saved): look passwords up again on the next load."""
        self._stored.clear()

    # ------------------------------------------------------------------ test connection
    @Slot()
    def test_connection(self) -> asyncio.Future[TeamCheck | None]:
        """Run Test connection for the settings shown; the future gives the TeamCheck (None if not tried)."""
        return asyncio.ensure_future(self._test())

    async def _test(self) -> TeamCheck | None:
        if self._draft is None:
            return None
        if not self.validate():
            self._show_result(f"Not tried: {self.error()}.", "failed")
            return None
        tc = team_from_texts(self._draft.team_texts)
        password = self._draft.password or await off_gui(self._passwords.get, tc.keychain_account)
        self.test_button.setEnabled(False)
        self._show_result(f"Connecting to {tc.display()}…", "pending")
        try:
            check: TeamCheck = await off_gui_connect(self._check, tc, password or None)
        finally:
            self.test_button.setEnabled(True)
        self._show_result(check.message, "succeeded" if check.ok else "failed")
        return check

    def _show_result(self, text: str, status: str) -> None:
        style = status_style(status)
        self.result_label.setText(f"{style.label}: {text}" if status != "pending" else text)
        self.result_label.setStyleSheet(f"color: {style.color.name()};")
