"""The agent's webhook receiver (``--listen HOST:PORT``): ``POST /webhooks/provider``, served by uvicorn and
Starlette (what the sandbox already runs on).

1. The raw body (at most ``MAX_BODY_BYTES``; larger: 413) is verified with the shared code
   (``provider.webhooks.verify``), keyed with the API token as the SPEC says. A missing header or an old
   timestamp: 400; a bad signature: 401. Nothing of a refused webhook is kept.
2. A verified webhook is kept FIRST (``store_webhook``: its ``webhook-id`` unique, the body verbatim): the durable
   replay guard, across restarts and across the team's agents. A redelivery is answered 200 and changes nothing.
3. Then 200 at once. The body is never applied: for a new webhook of one of the team's payouts the database wakes
   the agent polling for the team (``payout_desk_hints``), which GETs the payment at the front of its schedule,
   under the team's rate cap, and records that answer (``record_status`` refuses to move a payout backwards). So
   a stale or out-of-order delivery changes nothing wrong.
4. A payment the team does not hold (or a body without an ``id``) is kept and answered 200 (a 2xx: retrying would
   not help, SPEC "Webhooks"); nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payout_desk.agent.errors import AgentStopError
from payout_desk.domain.answers import MAX_BODY_BYTES
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.store import connect
from payout_desk.journal.postgres.watch import StoredWebhook, store_webhook
from payout_desk.provider.webhooks import InvalidSignatureError, WebhookVerificationError, verify

if TYPE_CHECKING:
    import psycopg

    from payout_desk.agent.config import HostPort
    from payout_desk.agent.runner import AgentContext
    from payout_desk.provider.client import PayoutsClient

__all__ = ["PATH", "ListenError", "WebhookReceiver", "bind_listen"]

log = logging.getLogger("payout_desk.agent.webhooks")
PATH: Final = "/webhooks/provider"


class ListenError(AgentStopError):
    """``--listen`` cannot be bound; the message says so in one line (nothing was claimed)."""


def bind_listen(listen: HostPort) -> socket.socket:
    """A listening socket on ``listen`` (the receiver serves it); ListenError in plain words when it is taken."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    try:
        return socket.create_server((listen.host, listen.port), family=family)
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        message = f"--listen {listen}: cannot listen there ({why}); pick a free port or a local address"
        raise ListenError(message) from None


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    """uvicorn's ``serve`` on the bound socket; its ``sys.exit`` on a start-up failure becomes a plain error."""
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:
        raise RuntimeError(f"the webhook server could not start (uvicorn exit status {exc.code})") from None


def _signing_key(client: PayoutsClient) -> str:
    """The API token the provider signs with (SPEC "Webhooks"): read from the client, where alone it lives."""
    header: str = client.http.headers.get("Authorization", "")
    return header.removeprefix("Bearer ")


def _payment_id(body: bytes) -> str | None:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


class WebhookReceiver:
    """The webhook component (``run(stop)``); serves ``--listen``."""

    name = "webhooks"
    serves_listen = True

    def __init__(self, context: AgentContext) -> None:
        listen = context.config.listen
        assert listen is not None
        self._context = context
        self._listen = listen
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-webhooks-pg")
        self._conn: psycopg.Connection[Any] | None = None
        self._socket: socket.socket | None = None
        self.received = 0  # verified webhooks kept for the first time

    def bind(self) -> None:
        """Bind ``--listen`` now, before the agent claims anything (ListenError when it is taken)."""
        if self._socket is None:
            self._socket = bind_listen(self._listen)

    def app(self) -> Starlette:
        """The ASGI application (one route)."""
        return Starlette(routes=[Route(PATH, self._receive, methods=["POST"])])

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop``."""
        config = uvicorn.Config(self.app(), host=self._listen.host, port=self._listen.port, log_level="warning",
                                access_log=False, lifespan="off", server_header=False)  # fmt: skip
        server = uvicorn.Server(config)
        self.bind()
        assert self._socket is not None
        serving = asyncio.create_task(_serve(server, self._socket), name="agent-webhooks-server")
        waiting = asyncio.ensure_future(stop.wait())
        try:
            while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn has a flag, no event)
                await asyncio.sleep(0.02)
            if server.started:
                log.info("webhooks: listening on http://%s%s", self._listen, PATH)
            await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
            if serving.done():
                raise RuntimeError(f"the webhook receiver could not serve {self._listen}")
        finally:
            waiting.cancel()
            server.should_exit = True
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
            finally:
                bound, self._socket = self._socket, None
                bound.close()  # uvicorn closed it when it had started; a second close does nothing
                await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
                self._executor.shutdown(wait=True)

    async def _receive(self, request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return JSONResponse({"error": "body too large"}, status_code=413)
        raw = bytes(body)
        try:
            verified = verify(_signing_key(self._context.client), request.headers, raw)
        except InvalidSignatureError:
            log.warning("webhook refused: bad signature (from %s)", request.client.host if request.client else "?")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        except WebhookVerificationError as exc:
            log.warning("webhook refused: %s", exc)
            return JSONResponse({"error": str(exc)}, status_code=400)
        payment_id = _payment_id(raw)
        text = raw.decode("utf-8", errors="replace")  # a replaced byte grows to 3: kept within the column's bound
        text = text.encode()[:MAX_BODY_BYTES].decode("utf-8", errors="ignore")
        try:
            stored = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._store, verified.webhook_id, payment_id, text
            )
        except JournalError as exc:  # not kept: a 5xx, so the provider delivers it again
            log.warning("webhook %s not kept (%s); the provider will retry", verified.webhook_id, exc)
            return JSONResponse({"error": "not stored; retry"}, status_code=503)
        if not stored.fresh:
            log.info("webhook %s again (a redelivery): already kept, nothing done", verified.webhook_id)
        elif stored.local_id is None:
            log.info("webhook %s for payment %s, not one of the team's: kept, nothing changed",
                     verified.webhook_id, payment_id)  # fmt: skip
        else:
            self.received += 1
            log.info("webhook %s for payout %s: kept; the poller GETs it now", verified.webhook_id, stored.local_id)
        return JSONResponse({"received": True, "duplicate": not stored.fresh})

    def _store(self, webhook_id: str, payment_id: str | None, body: str) -> StoredWebhook:
        """On the receiver's thread: keep it (a new connection when the last one was lost)."""
        if self._conn is None or self._conn.broken or self._conn.closed:
            self._close()
            self._conn = connect(self._context.config.conninfo)
        return store_webhook(self._conn, webhook_id, payment_id, body)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
