"""``payout-desk-agent``: the team's headless sender (wiring level; no Qt).

    payout-desk-agent --db CONNINFO --provider-url URL [--listen HOST:PORT] [--token-file FILE] [--self-test]

The provider token comes from ``PAYOUT_DESK_PROVIDER_TOKEN`` or ``--token-file`` (owner-only, the file itself and
not a symbolic link; both given: exit 2), never from the database; it is never logged. The agent refuses to start
(exit 1) when its ``--provider-url`` is not the team's provider (``team_settings``), when its login is not a Payout
Desk agent or is more than one (another app role, superuser, CREATEROLE, BYPASSRLS), when ``--listen`` cannot be
bound (before anything is claimed), or when the schema is not this version's. It stops (exit 1) when an
administrator changes the team's provider while it runs. It says on stderr which database, provider and login it
uses and whether ``--listen`` is served, then runs its components (``runner``) until SIGTERM/SIGINT. Exit status: 0
stopped cleanly (or self-test passed), 1 refused or failed, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from payout_desk.agent.config import AgentConfig, HostPort
from payout_desk.agent.runner import (
    AgentStopError,
    bind_listeners,
    build_components,
    install_signal_handlers,
    run_components,
)
from payout_desk.agent.selftest import run_self_test
from payout_desk.agent.startup import AgentRefusedError, open_agent
from payout_desk.agent.token import TokenError, TokenSourcesError, read_token
from payout_desk.logging_setup import RedactingFilter, RedactingFormatter
from payout_desk.services.poll import PollPolicy

__all__ = ["build_parser", "main"]

log = logging.getLogger("payout_desk.agent")


def _listen(text: str) -> HostPort:
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: use HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443 (port 1-65535)")
    return HostPort(host, int(port))


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number above 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``payout-desk-agent``."""
    parser = argparse.ArgumentParser(
        prog="payout-desk-agent",
        description="Claim the team's confirmed payouts and send them to the provider (team mode).",
        epilog="The provider token comes from PAYOUT_DESK_PROVIDER_TOKEN or --token-file, never from the database.",
    )
    parser.add_argument("--db", required=True, metavar="CONNINFO", help="the team database (libpq URI or key=value)")
    parser.add_argument("--provider-url", required=True, metavar="URL", help="the provider's base URL (the team's)")
    parser.add_argument("--listen", type=_listen, metavar="HOST:PORT", help="serve the provider's webhooks here")
    parser.add_argument("--token-file", type=Path, metavar="FILE", help="read the token from FILE (chmod 600)")
    parser.add_argument("--self-test", action="store_true", help="check the set-up, send nothing, and exit")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    # Tuning (tests, benchmarks); the defaults are what a team runs.
    parser.add_argument("--lease-seconds", type=_positive, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--sweep-seconds", type=_positive, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--key-retention-hours", type=_positive, default=24.0, help=argparse.SUPPRESS)
    # The agent's own polls (first, backoff, burst, watch) at most this often; hints and webhooks still go first.
    # A large value shows what arrives by webhook alone (tests/e2e/test_team_desks_webhook.py, make bench).
    parser.add_argument("--poll-every-seconds", type=_positive, default=None, help=argparse.SUPPRESS)
    return parser


def _configure_logging(level: str) -> None:
    """Redacted lines on stderr (the service manager keeps them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


async def _serve(config: AgentConfig, token: str) -> int:
    context = await open_agent(config, token)
    try:
        components = build_components(context)
        bind_listeners(components)  # before anything is claimed: an agent that cannot serve --listen stops here
        if config.listen is None:
            log.info("webhooks: not listening (no --listen)")
        elif not any(getattr(c, "serves_listen", False) for c in components):
            log.warning(
                "webhooks: --listen %s given, but this agent has no webhook receiver; NOT serving", config.listen
            )
        log.info(
            "agent %s running: %s; Ctrl+C or SIGTERM stops it", context.instance, ", ".join(c.name for c in components)
        )
        stop = asyncio.Event()
        install_signal_handlers(stop)
        ok = await run_components(components, stop)
        log.info("agent %s stopped%s", context.instance, "" if ok else " after a failure")
        return 0 if ok else 1
    finally:
        await context.client.aclose()
        await context.journal.close()


def _policy(every: float | None) -> PollPolicy:
    """The desk's poll policy; with ``every``, no scheduled poll comes sooner than ``every`` seconds apart."""
    base = PollPolicy()
    if every is None:
        return base
    spaced = ("initial_interval", "max_interval", "burst_interval", "watch_interval")
    return dataclasses.replace(base, **{name: max(getattr(base, name), every) for name in spaced})


def _config(args: argparse.Namespace) -> AgentConfig:
    return AgentConfig(
        conninfo=args.db,
        provider_url=args.provider_url,
        listen=args.listen,
        lease_seconds=args.lease_seconds,
        concurrency=args.concurrency,
        sweep_seconds=args.sweep_seconds,
        retention_hours=args.key_retention_hours,
        policy=_policy(args.poll_every_seconds),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the agent (or its self-test); the exit status (argparse exits 2 on a usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = _config(args)
    except ValueError as exc:
        parser.error(str(exc))
    _configure_logging(args.log_level)
    try:
        token = read_token(args.token_file)
    except TokenSourcesError as exc:
        log.error("payout-desk-agent: %s", exc)
        return 2
    except TokenError as exc:
        log.error("payout-desk-agent: %s", exc)
        return 1
    try:
        if args.self_test:
            return asyncio.run(run_self_test(config, token))
        return asyncio.run(_serve(config, token))
    except (AgentRefusedError, AgentStopError) as exc:
        log.error("payout-desk-agent: %s", exc)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
