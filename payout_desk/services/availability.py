"""Why the desk is not connected, in words, with the one action that fixes it. Light on purpose (no
httpx, no journal): the window imports it at start-up, before the heavy modules load off the GUI thread."""

from __future__ import annotations

__all__ = ["NOT_CONNECTED_ACTIONS", "NotConnected"]


#: Why the desk is not connected, each with the one action that fixes it (the window's banner).
NOT_CONNECTED_ACTIONS: dict[str, str] = {
    "no_token": "Open Settings…",
    "settings": "Open Settings…",  # the active profile itself is wrong (e.g. a Team profile's sslmode)
    "token_needed": "Enter the token…",
    "keychain_locked": "Try again",
    "unreachable": "Try again",
    "other": "Try again",
}


class NotConnected(Exception):
    """The active profile cannot connect now; the history still opens from the journal.

    ``reason`` is one of :data:`NOT_CONNECTED_ACTIONS`' keys; ``user_message`` says plainly what is
    missing and what to do; ``profile`` names the profile."""

    def __init__(self, reason: str, user_message: str, *, profile: str = "") -> None:
        super().__init__(user_message)
        self.reason = reason if reason in NOT_CONNECTED_ACTIONS else "other"
        self.user_message = user_message
        self.profile = profile

    @property
    def action(self) -> str:
        """The label of the one button that fixes it."""
        return NOT_CONNECTED_ACTIONS[self.reason]
