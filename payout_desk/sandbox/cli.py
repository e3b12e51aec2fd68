"""``payout-desk-sandbox``: run the provider sandbox from the command line.

    payout-desk-sandbox [--host 127.0.0.1] [--port 8765] [--state FILE] [--processing-seconds S]
                        [--checkin-expiry-seconds S] [--idempotency-ttl-seconds S]
                        [--webhook-url URL] [--log-level LEVEL]

Prints the base URL and a fresh test token with the Payout permission once it accepts
connections (``--port 0`` picks a free port). The token belongs to the sandbox's default
merchant, so with ``--state`` every start's token sees the payouts of earlier runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from payout_desk.sandbox.app import create_app
from payout_desk.sandbox.engine import SandboxConfig
from payout_desk.sandbox.errors import ApiError
from payout_desk.sandbox.validation import check_url, is_loopback_host

DEFAULT_PORT = 8765
DEFAULT_MERCHANT = "mer_default"


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be a number of seconds, 0 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number from 0 to 65535")
    return value


def _webhook_url(text: str) -> str:
    try:
        return check_url("webhookUrl", text)
    except ApiError as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``payout-desk-sandbox``."""
    parser = argparse.ArgumentParser(
        prog="payout-desk-sandbox",
        description="Emulates the provider's Payouts API (shared/provider/SPEC.md) for development and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)")
    parser.add_argument("--state", type=Path, metavar="FILE", help="SQLite file kept across restarts (default: memory)")
    parser.add_argument(
        "--processing-seconds", type=_non_negative, default=2.0, metavar="S",
        help="how long a submitted payout stays pending (default 2)",
    )  # fmt: skip
    parser.add_argument(
        "--checkin-expiry-seconds", type=_non_negative, default=1800.0, metavar="S",
        help="an unfinished checkin fails with 'expired' after this (default 1800)",
    )  # fmt: skip
    parser.add_argument(
        "--idempotency-ttl-seconds", type=_non_negative, default=86400.0, metavar="S",
        help="how long an Idempotency-Key is remembered (default 86400, the SPEC's 24 hours)",
    )  # fmt: skip
    parser.add_argument("--webhook-url", type=_webhook_url, metavar="URL", help="the merchant's default webhook URL")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (default info); tokens are never logged",
    )  # fmt: skip
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


async def _serve(server: uvicorn.Server, sock: socket.socket, banner: str) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.02)
    if server.started:
        print(banner, flush=True)
    await task


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until interrupted; returns the exit status."""
    args = build_parser().parse_args(argv)
    config = SandboxConfig(
        state_path=args.state,
        processing_seconds=args.processing_seconds,
        checkin_expiry_seconds=args.checkin_expiry_seconds,
        webhook_url=args.webhook_url,
        idempotency_ttl_seconds=args.idempotency_ttl_seconds,
    )
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"payout-desk-sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(config)
        token = app.state.engine.store.mint_token(payouts=True, merchant_id=DEFAULT_MERCHANT).token
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # --state FILE unusable: say so, no traceback
        sock.close()
        print(f"payout-desk-sandbox: cannot use the state file {args.state}: {exc}", file=sys.stderr)
        return 2
    # A wildcard address is no URL to call: print the loopback one, the only one the control
    # surface answers on (SPEC "Sandbox-only surface": it prints its base URL).
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(args.host, args.host)  # noqa: S104
    host = f"[{shown}]" if ":" in shown else shown
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    if not is_loopback_host(args.host):
        print(
            "payout-desk-sandbox: warning: listening beyond loopback over plain HTTP; "
            "the /_sandbox/ control routes still answer loopback clients only.",
            file=sys.stderr,
        )
    banner = "\n".join(
        [
            "Payout Desk provider sandbox",
            f"Base URL: {base_url}",
            f"Token: {token}",
            f"OpenAPI: {base_url}/openapi.json",
            f"Control: {base_url}/_sandbox/ (loopback only)",
            f"State: {args.state if args.state else 'in memory'}",
            "Press Ctrl+C to stop.",
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, http="h11", lifespan="on", log_level=args.log_level))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the previous
    # handler: make that a clean exit (status 0) instead of a death by signal or a traceback.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(server, sock, banner))
    return 0


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
