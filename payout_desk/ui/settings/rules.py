"""The settings dialog's rules, apart from its widgets: what Test connection's verdicts say, what is wrong
with a profile being edited, and how a retype threshold is read (as strictly as a payout amount in its currency)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from payout_desk.domain.money import AmountError, UnknownCurrencyError, currency, parse_amount
from payout_desk.provider.models import ConnectionCheck, ConnectionStatus
from payout_desk.services.settings import Profile, ProfileKind

__all__ = ["ProfileDraft", "connection_message", "draft_error", "parse_currency_threshold"]


def parse_currency_threshold(code: str, text: str, decimal_point: str = ".") -> Decimal | str:
    """The retype threshold for ``code`` typed in Settings, or the sentence saying what is wrong.

    The domain's amount parser does the reading in the currency's own decimal places, so the
    threshold follows the payout amount's rules: a dot or the locale's decimal mark, never a grouping
    separator ("10,000" is refused, not read as 10000 or 10), nothing ambiguous ("1.000" where "."
    groups thousands), and no more decimals than the currency has.
    """
    try:
        cur = currency(code)
    except UnknownCurrencyError:
        return f"{code}: not an ISO 4217 currency code."
    separators = "." + (decimal_point if decimal_point and decimal_point != "." else "")
    try:
        return parse_amount(text, cur, decimal_separators=separators)
    except AmountError as exc:
        return f"{code}: {exc}"


def connection_message(check: ConnectionCheck, host: str) -> str:
    """The Test connection verdict in words a finance user can act on."""
    status = check.status
    if status is ConnectionStatus.OK:
        kind = {"test": " (a test token)", "live": " (a live token)"}.get(check.token_kind or "", "")
        return f"Connected. This token can send payouts{kind}."
    if status is ConnectionStatus.BAD_TOKEN:
        return ("The provider did not accept this token. Check that you copied the whole token and that "
                "it has not been revoked in the Merchant Dashboard.")  # fmt: skip
    if status is ConnectionStatus.NO_PAYOUT_PERMISSION:
        return ("The token is valid but is not allowed to send payouts. In the Merchant Dashboard, create a "
                "token with the \u201cPayout\u201d box ticked.")  # fmt: skip
    if status is ConnectionStatus.UNREACHABLE:
        return (f"Could not reach {host or 'the provider'}. Check the address, your network connection or "
                "proxy, and try again.")  # fmt: skip
    if status is ConnectionStatus.TLS_ERROR:
        return f"The secure connection to {host} could not be verified, so nothing was sent. Ask IT to check it."
    if status is ConnectionStatus.INSECURE_URL:
        return "The provider address must start with https:// (plain http only for a local sandbox)."
    return check.user_message or "The provider gave an unexpected answer. Try again later."


@dataclass
class ProfileDraft:
    """A profile as it is being edited in the dialog."""

    name: str
    kind: ProfileKind
    base_url: str
    token: str = ""  # typed in this dialog; "" = keep the stored one
    is_new: bool = False
    retention_hours: float = 24.0  # how long the provider keeps keys (a sandbox says it itself)


def draft_error(d: ProfileDraft, drafts: Sequence[ProfileDraft]) -> str:
    """What is wrong with one profile being edited (\"\" when nothing is), in the dialog's words."""
    if not d.name:
        return "Give the profile a name."
    if [x.name for x in drafts].count(d.name) > 1:
        return f"Another profile is already called \u201c{d.name}\u201d."
    if not d.base_url:
        return ""  # not configured yet: allowed (Test connection asks for it)
    if d.kind == "live" and not d.base_url.lower().startswith("https://"):
        return "A Live profile must use a secure address starting with https://."
    try:
        Profile(d.name, d.kind, d.base_url)
    except ValueError as exc:
        return str(getattr(exc, "user_message", "") or exc)
    if d.kind == "live" and d.token.startswith("tk_test_"):
        return "This is a test token (tk_test_…); a Live profile needs a live token (tk_live_…)."
    return ""
