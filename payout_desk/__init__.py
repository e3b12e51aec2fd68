"""Payout Desk: a desktop app for finance staff to send one-off payouts through a provider's Payouts API."""

__version__ = "0.1.0"
APP_NAME = "Payout Desk"
APP_ID = "payout-desk"


def _skip_httpx_command_line() -> None:
    """Keep httpx's command-line client out of this process.

    ``import httpx`` also imports ``httpx._main`` (click, rich, pygments) when those happen to be
    installed, as they are next to the test tools: ≈ 0.25 s and ≈ 6 MiB we never use. Marking the
    module absent makes httpx fall back to its stub ``httpx.main``, exactly as in the packaged app,
    where those libraries are not installed. The ``httpx`` console script runs in its own process
    and is not affected.
    """
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


_skip_httpx_command_line()
