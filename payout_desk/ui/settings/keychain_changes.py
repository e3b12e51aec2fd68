"""What Save writes to the keychain, apart from the dialog's widgets: provider tokens typed in, tokens of removed
profiles, Team profiles' passwords typed in, and the passwords no kept Team profile uses any more. Moved out of
``dialog`` as it was; no Qt. :meth:`KeychainChanges.apply` is blocking (the keychain): run it off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_desk.services.secrets import TokenStore
from payout_desk.services.settings import Profile
from payout_desk.services.team_connection import TeamConnection
from payout_desk.services.team_profile import forget_team_password, store_team_password
from payout_desk.ui.settings.rules import ProfileDraft

__all__ = ["KeychainChanges"]


@dataclass(frozen=True)
class KeychainChanges:
    """The keychain writes of one Save (never written to the settings file)."""

    new_tokens: dict[str, str]  # profile name → the token typed for it
    removed: tuple[str, ...]  # profiles removed whose token goes (unless a new one has the name)
    passwords: tuple[tuple[TeamConnection, str], ...]  # a Team profile's connection → the password typed
    gone: tuple[TeamConnection, ...]  # Team connections no kept profile uses: their password goes
    typed: frozenset[str] = frozenset()  # the profiles whose token or Team password was typed (a reconnect's cue)

    @classmethod
    def of(
        cls,
        drafts: Sequence[ProfileDraft],
        profiles: Sequence[Profile],
        removed: Sequence[str],
        removed_teams: Sequence[TeamConnection],
    ) -> KeychainChanges:
        """The changes that saving ``profiles`` (made from ``drafts``, in order) makes."""
        new_tokens = {d.name: d.token for d in drafts if d.token and d.kind != "team"}
        passwords = [(p.team, d.password) for p, d in zip(profiles, drafts, strict=True) if p.team and d.password]
        kept = {p.team.keychain_account for p in profiles if p.team is not None}
        gone = {t.keychain_account: t for t in removed_teams if t.keychain_account not in kept}
        typed = frozenset(new_tokens) | {d.name for d in drafts if d.kind == "team" and d.password}
        removed_names = tuple(n for n in removed if n not in new_tokens)
        return cls(new_tokens, removed_names, tuple(passwords), tuple(gone.values()), typed)

    def apply(self, tokens: TokenStore) -> None:
        """Write them (blocking)."""
        for name, token in self.new_tokens.items():
            tokens.set(name, token)
        for name in self.removed:
            tokens.delete(name)
        for team, password in self.passwords:
            store_team_password(team, password, tokens)
        for team in self.gone:  # no profile left uses that login, host, port and database
            forget_team_password(team, tokens)
