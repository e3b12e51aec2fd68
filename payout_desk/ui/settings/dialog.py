"""SettingsDialog: connection profiles (Sandbox + Live + Team), API tokens in the OS keychain, Test connection,
and the confirm-retype thresholds per currency (``thresholds.ThresholdEditor``). A Team profile (a team database's
libpq settings, its password in the keychain) is edited by ``team_editor.TeamProfileEditor`` (``teamEditor``).

Construct::

    dialog = SettingsDialog(settings, tokens, settings_path=path, parent=window)
    dialog.settingsSaved.connect(...)   # object: the same AppSettings, updated and written
    dialog.open()

``settings`` is the app's :class:`AppSettings` (mutated on Save only), ``tokens`` the
:class:`TokenStore`; ``settings_path`` (optional) is where :func:`save_settings` writes the JSON.
``connection_test`` defaults to :func:`run_connection_test` (inject a fake in tests if needed).
Keychain access, the file write and the connection test all run off the GUI thread
(one worker thread / the qasync loop). The token never goes into the settings file.

Token field: empty means "keep the stored token"; typing replaces it on Save. When the keychain is
not usable (``TokenStore.is_persistent`` False) the dialog says plainly that the token stays in memory.
Existing profiles keep their names (the name is the keychain entry); new Live profiles are named freely.

Object names: ``settingsDialog``, ``activeProfileCombo``, ``profileList``, ``addProfileButton``,
``removeProfileButton``, ``addTeamProfileButton``, ``profileName``, ``profileKind``, ``baseUrlEdit``, ``baseUrlError``,
``tokenEdit``, ``showTokenButton``, ``keychainNotice``, ``testConnectionButton``,
``connectionResult``, ``retypeThresholds``, ``thresholdError`` (and the editor's own names). Methods
returning futures for tests:
``ready`` (stored-token lookup), ``test_connection()``, ``save()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QLocale, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from payout_desk.provider.models import ConnectionCheck
from payout_desk.provider.urls import url_host
from payout_desk.services.connection import run_connection_test
from payout_desk.services.secrets import TokenStore
from payout_desk.services.settings import AppSettings, Profile, ProfileKind, save_settings
from payout_desk.ui.common.screen import resize_within_screen
from payout_desk.ui.settings.keychain_changes import KeychainChanges
from payout_desk.ui.settings.offgui import off_gui as _off_gui
from payout_desk.ui.settings.provider_form import ProviderForm
from payout_desk.ui.settings.rules import ProfileDraft, connection_message, draft_error, draft_of, profile_of
from payout_desk.ui.settings.team_editor import TeamProfileEditor
from payout_desk.ui.settings.thresholds import ThresholdEditor
from payout_desk.ui.style.status import status_style

__all__ = ["NO_KEYCHAIN_TEXT", "SettingsDialog", "connection_message"]

NO_KEYCHAIN_TEXT: Final = "No system keychain is available: the token is kept in memory until you close Payout Desk."
ConnectionTest = Callable[[Profile, str], Awaitable[ConnectionCheck]]

_KIND_TEXT = {
    "embedded": "Built-in sandbox: test data on this computer; no address or token needed",
    "sandbox": "Sandbox: test data, no real money moves",
    "live": "Live: REAL money is paid out with this profile",
    "team": "Team: the team's shared database; the team's agent sends the payouts (no token on this computer)",
}
_LIST_WORDS = {"live": "real money", "team": "team database"}


class SettingsDialog(QDialog):
    """Profiles, tokens and the retype threshold; see the module docstring."""

    settingsSaved = Signal(object)

    def __init__(
        self,
        settings: AppSettings,
        tokens: TokenStore,
        *,
        settings_path: Path | None = None,
        connection_test: ConnectionTest = run_connection_test,
        addresses_in_use: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.settings = settings
        self.tokens = tokens
        self.settings_path = settings_path
        self._connection_test = connection_test
        self._in_use = dict(addresses_in_use or {})  # profile → the address the desk uses right now
        self.changed_tokens: set[str] = set()  # profiles whose token (or Team password) was typed here (after Save)
        self._drafts = [draft_of(p) for p in settings.profiles]
        self._removed: list[str] = []
        self._removed_teams = [p.team for p in settings.profiles if p.team is not None]  # forgotten if not kept
        self._stored: dict[str, bool] = {}
        self._current = -1
        self._build()
        self.profile_list.setCurrentRow(0)
        self.ready: asyncio.Future[None] = asyncio.ensure_future(self._look_up_tokens())

    # ------------------------------------------------------------------ layout
    def _named(self, widget: Any, name: str, accessible: str) -> Any:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        return widget

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QFormLayout()
        self.active_combo = self._named(QComboBox(self), "activeProfileCombo", "Profile in use")
        top.addRow("Profile in &use:", self.active_combo)
        layout.addLayout(top)

        profiles = QGroupBox("Connection profiles", self)
        row = QHBoxLayout(profiles)
        left = QVBoxLayout()
        self.profile_list = self._named(QListWidget(profiles), "profileList", "Connection profiles")
        self.add_button = self._named(QPushButton("Add Live profile", profiles), "addProfileButton",
                                      "Add a Live profile")  # fmt: skip
        self.remove_button = self._named(QPushButton("Remove", profiles), "removeProfileButton", "Remove this profile")
        left.addWidget(self.profile_list, 1)
        self.add_team_button = self._named(QPushButton("Add Team profile", profiles), "addTeamProfileButton",
                                           "Add a Team profile (a team database)")  # fmt: skip
        left.addWidget(self.add_button)
        left.addWidget(self.add_team_button)
        left.addWidget(self.remove_button)
        row.addLayout(left, 1)

        head = QFormLayout()
        self.name_edit = self._named(QLineEdit(profiles), "profileName", "Profile name")
        self.kind_label = self._named(QLabel(profiles), "profileKind", "Profile kind")
        self.kind_label.setWordWrap(True)
        head.addRow("&Name:", self.name_edit)
        head.addRow("Kind:", self.kind_label)
        right = QVBoxLayout()
        right.addLayout(head)
        self.stack = QStackedWidget(profiles)
        provider_page = ProviderForm(self.stack)
        (self.url_edit, self.in_use_label, self.url_error, self.token_edit, self.show_token, self.keychain_notice,
         self.test_button, self.result_label, self.retention_spin) = provider_page.widgets()  # fmt: skip
        self.retention_spin.valueChanged.connect(self._retention_edited)
        self.team_editor = TeamProfileEditor(self.tokens)
        team_page = QScrollArea(self.stack)  # scrolls on a small screen rather than clipping its words
        team_page.setWidgetResizable(True)
        team_page.setFrameShape(QScrollArea.Shape.NoFrame)
        team_page.setWidget(self.team_editor)
        self.stack.addWidget(provider_page)
        self.stack.addWidget(team_page)
        right.addWidget(self.stack, 1)
        row.addLayout(right, 3)
        layout.addWidget(profiles, 1)

        safety = QGroupBox("Confirmation: retype the amount", self)
        safety_box = QVBoxLayout(safety)
        self.thresholds = ThresholdEditor(self.settings.retype_thresholds, decimal_point=QLocale().decimalPoint(),
                                          parent=safety)  # fmt: skip
        self.threshold_error = self.thresholds.error
        safety_box.addWidget(self.thresholds)
        layout.addWidget(safety)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveSettingsButton")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.save_hint = self._named(QLabel(self), "saveHint", "Why Save is not available")
        self.save_hint.setWordWrap(True)
        self.save_hint.setStyleSheet(f"color: {status_style('failed').color.name()};")
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_hint, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self._refresh_lists()
        self.profile_list.currentRowChanged.connect(self._select)
        self.add_button.clicked.connect(self.add_live_profile)
        self.add_team_button.clicked.connect(self.add_team_profile)
        self.team_editor.edited.connect(self._validate)
        self.remove_button.clicked.connect(self._remove)
        self.name_edit.textEdited.connect(self._edited)
        self.url_edit.textEdited.connect(self._edited)
        self.token_edit.textEdited.connect(self._edited)
        self.show_token.toggled.connect(self._toggle_token)
        self.test_button.clicked.connect(self.test_connection)
        self.thresholds.changed.connect(self._validate)
        resize_within_screen(self, 760, 640)

    def _refresh_lists(self) -> None:
        active = self.active_combo.currentText() or self.settings.active_profile
        self.active_combo.clear()
        self.active_combo.addItems([d.name for d in self._drafts])
        self.active_combo.setCurrentText(active)
        row = self.profile_list.currentRow()
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        for d in self._drafts:
            self.profile_list.addItem(f"{d.name}  ·  {_LIST_WORDS.get(d.kind, 'test data')}")
        self.profile_list.blockSignals(False)
        if 0 <= row < len(self._drafts):
            self.profile_list.setCurrentRow(row)

    # ------------------------------------------------------------------ editing
    def _select(self, row: int) -> None:
        self._current = row
        if not 0 <= row < len(self._drafts):
            return
        d = self._drafts[row]
        self.name_edit.setText(d.name)
        self.name_edit.setReadOnly(not d.is_new)
        self.kind_label.setText(_KIND_TEXT[d.kind])
        self.remove_button.setEnabled(d.kind in ("live", "team"))
        self.stack.setCurrentIndex(1 if d.kind == "team" else 0)  # the team editor's scroll area, or the form
        if d.kind == "team":
            self.team_editor.load(d)
            self._validate()
            return
        in_use = self._in_use.get(d.name, "")
        self.url_edit.setText(in_use if d.kind == "embedded" else d.base_url)
        shown = in_use and in_use.rstrip("/") != d.base_url.rstrip("/") and d.kind != "embedded"
        note = "Started by Payout Desk on this computer for this session." if in_use else ""
        self.in_use_label.setText(f"In use now: {in_use} (started with this address)" if shown else note)
        self.in_use_label.setVisible(bool(self.in_use_label.text()))
        self.token_edit.setText(d.token)
        for edit in (self.url_edit, self.token_edit, self.test_button):
            edit.setEnabled(d.kind != "embedded")  # the built-in sandbox has neither: both are made at start
        self.retention_spin.blockSignals(True)
        self.retention_spin.setValue(d.retention_hours)
        self.retention_spin.blockSignals(False)
        self.retention_spin.setEnabled(d.kind == "live")  # a sandbox's own value is read from it
        self.result_label.clear()
        self._update_token_hint()
        self._validate()

    def _edited(self, _text: str = "") -> None:
        if not 0 <= self._current < len(self._drafts):
            return
        d = self._drafts[self._current]
        if d.is_new and self.name_edit.text().strip() != d.name:
            d.name = self.name_edit.text().strip()
            self._refresh_lists()
        d.base_url = self.url_edit.text().strip()
        d.token = self.token_edit.text().strip()
        self.result_label.clear()
        self._validate()

    def _retention_edited(self, hours: float) -> None:
        if 0 <= self._current < len(self._drafts):
            self._drafts[self._current].retention_hours = float(hours)

    @Slot()
    def add_live_profile(self) -> None:
        self._add("Live", "live")
        self.url_edit.setFocus()

    @Slot()
    def add_team_profile(self) -> None:
        """A new Team profile (TLS verify-full by default), selected for editing."""
        self._add("Team", "team")
        self.team_editor.edits["host"].setFocus()

    def _add(self, base: str, kind: ProfileKind) -> None:
        taken = {d.name for d in self._drafts}
        name = next(c for c in (base, *(f"{base} {n}" for n in range(2, 1000))) if c not in taken)
        self._drafts.append(ProfileDraft(name, kind, "", is_new=True))
        self._refresh_lists()
        self.profile_list.setCurrentRow(len(self._drafts) - 1)

    def _remove(self) -> None:
        row = self._current
        if 0 <= row < len(self._drafts) and self._drafts[row].kind in ("live", "team"):
            draft = self._drafts.pop(row)
            if not draft.is_new:
                self._removed.append(draft.name)
            self._refresh_lists()
            self.profile_list.setCurrentRow(max(0, row - 1))

    def _toggle_token(self, shown: bool) -> None:
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_token.setText("Hide" if shown else "Show")

    def _update_token_hint(self) -> None:
        if not 0 <= self._current < len(self._drafts):
            return
        d = self._drafts[self._current]
        prefix = "tk_live_" if d.kind == "live" else "tk_test_"
        stored = self._stored.get(d.name, False)
        self.token_edit.setPlaceholderText(
            "A token is stored — type here to replace it" if stored else f"Paste the API token ({prefix}…)"
        )
        where = NO_KEYCHAIN_TEXT if not self.tokens.is_persistent else self.tokens.backend_description
        self.keychain_notice.setText(where)

    def _draft_error(self, d: ProfileDraft) -> str:
        return draft_error(d, self._drafts)

    def _validate(self) -> bool:
        current = self._drafts[self._current] if 0 <= self._current < len(self._drafts) else None
        self.url_error.setText(self._draft_error(current) if current else "")
        threshold_ok = self.thresholds.thresholds() is not None
        self.url_error.setVisible(bool(self.url_error.text()))
        problems = [f"Profile “{d.name or '(no name)'}”: {self._draft_error(d)}" for d in self._drafts
                    if self._draft_error(d)]  # fmt: skip
        if not threshold_ok:
            problems.append("Retype thresholds: correct the amounts marked in the table.")
        ok = not problems
        self.save_button.setEnabled(ok)
        why = f"Save is off until this is fixed — {problems[0]}" if problems else ""
        self.save_hint.setText(why)
        self.save_hint.setVisible(bool(why))
        self.save_button.setToolTip(why)
        return ok

    # ------------------------------------------------------------------ async work
    async def _look_up_tokens(self) -> None:
        names = [d.name for d in self._drafts]
        found = await _off_gui(lambda: {n: self.tokens.get(n) is not None for n in names})
        self._stored.update(found)
        self._update_token_hint()

    @Slot()
    def test_connection(self) -> asyncio.Future[ConnectionCheck | None]:
        """Run Test connection for the selected profile; the future gives the ConnectionCheck."""
        return asyncio.ensure_future(self._test())

    async def _test(self) -> ConnectionCheck | None:
        if not 0 <= self._current < len(self._drafts):
            return None
        d = self._drafts[self._current]
        problem = self._draft_error(d) or ("" if d.base_url else "Enter the provider's address first.")
        if problem:
            self._show_result(problem, "failed")
            return None
        stored: str | None = None if d.token else await _off_gui(self.tokens.get, d.name)
        token = d.token or stored or ""
        if not token:
            self._show_result("Enter the API token first.", "failed")
            return None
        self.test_button.setEnabled(False)
        self._show_result("Testing the connection…", "pending")
        try:
            check = await self._connection_test(Profile(d.name, d.kind, d.base_url), token)
        finally:
            self.test_button.setEnabled(True)
        self._show_result(connection_message(check, url_host(d.base_url)),
                          "succeeded" if check.ok else "failed")  # fmt: skip
        return check

    def _show_result(self, text: str, status: str) -> None:
        style = status_style(status)
        self.result_label.setText(f"{style.label}: {text}" if status != "pending" else text)
        self.result_label.setStyleSheet(f"color: {style.color.name()};")

    @Slot()
    def save(self) -> asyncio.Future[bool]:
        """Validate, store tokens in the keychain, write the settings file, close; future → saved?"""
        return asyncio.ensure_future(self._save())

    async def _save(self) -> bool:
        if not self._validate():
            return False
        thresholds = self.thresholds.thresholds()
        assert thresholds is not None
        profiles = [profile_of(d) for d in self._drafts]
        changes = KeychainChanges.of(self._drafts, profiles, self._removed, self._removed_teams)
        self.save_button.setEnabled(False)
        try:
            await _off_gui(changes.apply, self.tokens)
            self.settings.profiles = profiles
            self.settings.active_profile = self.active_combo.currentText() or profiles[0].name
            self.settings.retype_thresholds = thresholds
            if self.settings_path is not None:
                await _off_gui(save_settings, self.settings, self.settings_path)
        except (OSError, ValueError) as exc:
            self._show_result(f"The settings could not be saved: {exc}", "failed")
            self.save_button.setEnabled(True)
            return False
        self.changed_tokens = set(changes.typed)
        self.team_editor.forget_stored()
        self.settingsSaved.emit(self.settings)
        self.accept()
        return True
