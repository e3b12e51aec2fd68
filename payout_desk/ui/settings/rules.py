"""The settings dialog's rules, apart from its widgets: what Test connection's verdicts say, what is wrong
with a profile being edited, and how a retype threshold is read (as strictly as a payout amount in its currency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Final

from payout_desk.domain.money import AmountError, UnknownCurrencyError, currency, parse_amount
from payout_desk.provider.models import ConnectionCheck, ConnectionStatus
from payout_desk.services.settings import Profile, ProfileKind
from payout_desk.services.team_connection import TeamConnection, check_team_connection

__all__ = [
    "TEAM_FIELDS",
    "ProfileDraft",
    "connection_message",
    "draft_error",
    "draft_of",
    "parse_currency_threshold",
    "profile_of",
    "team_error",
    "team_from_texts",
    "team_texts",
]

#: The Team profile's settings the editor shows (the others, e.g. sslcert, come from a pasted connection string).
TEAM_FIELDS: Final = ("host", "port", "dbname", "user", "sslmode", "sslrootcert")
_NUMBERS: Final = ("port", "connect_timeout")


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
    #: A Team profile's libpq settings as typed (TeamConnection's field names), and its password typed here
    #: ("" = keep the stored one); neither is used by the other kinds.
    team_texts: dict[str, str] = field(default_factory=dict)
    password: str = ""


def draft_of(p: Profile) -> ProfileDraft:
    """A saved profile, to edit."""
    texts = team_texts(p.team) if p.team is not None else {}
    return ProfileDraft(p.name, p.kind, p.base_url, retention_hours=p.retention_hours, team_texts=texts)


def profile_of(d: ProfileDraft) -> Profile:
    """The profile to save (ValueError if a Team profile's numbers are not numbers: validated before)."""
    team = team_from_texts(d.team_texts) if d.kind == "team" else None
    return Profile(d.name, d.kind, d.base_url, d.retention_hours, team)


def team_texts(tc: TeamConnection) -> dict[str, str]:
    """A TeamConnection as the editor's texts (every field; None as "")."""
    return {f.name: "" if getattr(tc, f.name) is None else str(getattr(tc, f.name)) for f in fields(tc)}


def team_from_texts(texts: Mapping[str, str]) -> TeamConnection:
    """The TeamConnection typed; ValueError starting with the field when a number is not one."""
    values: dict[str, Any] = {}
    for f in fields(TeamConnection):
        text = texts.get(f.name, "").strip()
        if f.name not in _NUMBERS:
            values[f.name] = text
        elif text and not text.isdigit():
            raise ValueError(
                f"{f.name}: {text!r} is not a whole number" + (" (usually 5432)" if f.name == "port" else "")
            )
        elif text:
            values[f.name] = int(text)
    return TeamConnection(**values)


def team_error(texts: Mapping[str, str]) -> str:
    """What is wrong with a Team profile's settings ("field: rule"), or ""."""
    try:
        check_team_connection(team_from_texts(texts))
    except ValueError as exc:
        return str(exc)
    return ""


def draft_error(d: ProfileDraft, drafts: Sequence[ProfileDraft]) -> str:
    """What is wrong with one profile being edited (\"\" when nothing is), in the dialog's words."""
    if not d.name:
        return "Give the profile a name."
    if [x.name for x in drafts].count(d.name) > 1:
        return f"Another profile is already called \u201c{d.name}\u201d."
    if d.kind == "team":
        return team_error(d.team_texts)
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
