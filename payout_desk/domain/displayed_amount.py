"""An amount typed as the desk displays it (``"98,000"``, ``"1.250,00"``), for searching: a person may type an
amount as they see it in the history. Exact Decimal, never a float; grouping must be well formed."""

from __future__ import annotations

import re
from decimal import Decimal

from payout_desk.domain.money import MAX_AMOUNT

__all__ = ["parse_displayed_amount"]

_DISPLAYED_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}


def parse_displayed_amount(text: str, *, group: str = ",", decimal: str = ".") -> Decimal | None:
    """An amount as the desk displays it in a locale (``"98,000"``, ``"1,250.00"`` with ``group`` ","
    and ``decimal`` "."; or without grouping, ``"1250.00"``), or None when ``text`` is not one.
    For searching: a person may type an amount as they see it. Grouping must be well formed (groups
    of three digits), so ``"1,25"`` is not an amount where "," groups thousands."""
    key = (group, decimal)
    pattern = _DISPLAYED_CACHE.get(key)
    if pattern is None:
        g, d = re.escape(group), re.escape(decimal)
        pattern = re.compile(rf"(?:[0-9]{{1,3}}(?:{g}[0-9]{{3}})+|[0-9]+)(?:{d}[0-9]+)?" if group else
                             rf"[0-9]+(?:{d}[0-9]+)?")  # fmt: skip
        _DISPLAYED_CACHE[key] = pattern
    stripped = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if group.isspace():
        stripped = stripped.replace(" ", group)
    if not stripped or pattern.fullmatch(stripped) is None:
        return None
    value = Decimal(stripped.replace(group, "").replace(decimal, ".") if group else stripped.replace(decimal, "."))
    return value if 0 < value <= MAX_AMOUNT else None
