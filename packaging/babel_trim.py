"""Keep only the parts of Babel's CLDR locale data the app reads, then prove nothing the app shows changed.

    python packaging/babel_trim.py FOLDER/_internal/babel/locale-data

The app uses Babel for amounts and currency names only (``domain/money.py``: ``format_currency``,
``format_decimal``, ``get_currency_name``, ``Locale.parse``; ``ui/currency_picker.py``:
``Locale.currencies``). Each ``<locale>.dat`` pickle also carries dates, time-zone names, units,
languages and territories — about nine tenths of the 30 MB. Every locale file stays (so every locale
is still known and its parent chain intact); each keeps only :data:`KEPT_KEYS`.

Then, in this process, every locale Babel knows is formatted with the full data (this environment's
Babel) and with the trimmed folder — ``format_amount`` and ``format_amount_number`` for several
currencies and amounts, ``display_name`` and the picker's currency table — and any difference or
error fails the build (exit 1).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

#: What Babel's number and currency formatting and currency names read of a locale.
KEPT_KEYS: frozenset[str] = frozenset(
    {
        "character_order",
        "currency_formats",
        "currency_names",
        "currency_names_plural",
        "currency_symbols",
        "currency_unit_patterns",
        "decimal_formats",
        "default_numbering_system",
        "locale_id",
        "number_symbols",
        "numbering_systems",
        "percent_formats",
        "plural_form",
        "scientific_formats",
    }
)

CURRENCIES = ("EUR", "USD", "JPY", "BHD", "CHF", "INR", "GBP", "PLN", "IQD", "CLF")
AMOUNTS = (Decimal("1234567.891"), Decimal("-0.5"), Decimal("10"))


def trim_file(path: Path) -> None:
    with path.open("rb") as handle:
        data = pickle.load(handle)
    kept = {key: value for key, value in data.items() if key in KEPT_KEYS}
    with path.open("wb") as handle:
        pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _outputs(locales: list[str]) -> dict[str, Any]:
    from babel import Locale

    from payout_desk.domain import money

    money._parsed_locale.cache_clear()
    found: dict[str, Any] = {}
    currencies = [money.currency(code) for code in CURRENCIES]
    for name in locales:

        def attempt(key: str, call: Callable[[], object]) -> None:
            try:
                found[key] = call()
            except Exception as exc:  # a difference in errors is a difference too
                found[key] = f"{type(exc).__name__}: {exc}"

        for cur in currencies:
            for amount in AMOUNTS:
                attempt(f"{name}/{cur.code}/{amount}/amount", lambda: money.format_amount(amount, cur, name))  # noqa: B023
                attempt(f"{name}/{cur.code}/{amount}/number", lambda: money.format_amount_number(amount, cur, name))  # noqa: B023
            attempt(f"{name}/{cur.code}/name", lambda: money.display_name(cur, name))  # noqa: B023
        attempt(f"{name}/currencies", lambda: dict(Locale.parse(name).currencies))  # noqa: B023
    return found


def trim_and_verify(folder: Path) -> tuple[int, int]:
    import babel.localedata as localedata

    files = sorted(folder.glob("*.dat"))
    if not files:
        raise SystemExit(f"babel_trim: no locale data in {folder}")
    before = sum(path.stat().st_size for path in files)
    locales = sorted(path.stem for path in files if path.stem != "root")
    reference = _outputs(locales)
    for path in files:
        trim_file(path)
    original_dir = localedata._dirname
    localedata._dirname = str(folder)
    localedata._cache.clear()
    try:
        trimmed = _outputs(locales)
    finally:  # nothing in this process keeps the trimmed data: the app's Locale cache goes too
        localedata._dirname = original_dir
        localedata._cache.clear()
        from payout_desk.domain import money

        money._parsed_locale.cache_clear()
    differences = [key for key in reference if trimmed.get(key) != reference[key]]
    for key in differences[:20]:
        print(f"babel_trim: {key}: {reference[key]!r} became {trimmed.get(key)!r}", file=sys.stderr)
    if differences:
        raise SystemExit(f"babel_trim: {len(differences)} of {len(reference)} outputs changed; not trimmed safely")
    after = sum(path.stat().st_size for path in files)
    sizes = f"{before / 1e6:.1f} -> {after / 1e6:.1f} MB"
    print(f"babel_trim: {len(files)} locales, {len(reference):,} outputs identical, {sizes}")
    return before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="the bundled babel/locale-data folder")
    args = parser.parse_args(argv)
    trim_and_verify(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
