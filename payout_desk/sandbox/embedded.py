"""Run the sandbox (or any ASGI app) with uvicorn in a daemon thread of this process.

The desktop app runs ``EmbeddedSandbox(state_path=<data dir>/sandbox.sqlite3)``; tests run one
on a free port (``port=0``). The socket is bound before the thread starts, so ``base_url`` is
known at once and a bind error surfaces in ``start()``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from payout_desk.sandbox.app import create_app
from payout_desk.sandbox.engine import SandboxConfig
from payout_desk.sandbox.webhook_delivery import DEFAULT_RETRY_SCHEDULE

START_TIMEOUT_SECONDS = 15.0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class ServerThread:
    """Any ASGI app served by uvicorn (h11) on ``host:port`` in a daemon thread."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self._app = app
        self._host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._base_url: str | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started."""
        if self._base_url is None:
            raise RuntimeError("the server is not started")
        return self._base_url

    def start(self) -> str:
        """Bind, serve, and block until the server accepts connections; returns the base URL."""
        with self._lock:
            if self._base_url is not None:
                return self._base_url
            family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self._host, self._port))
                sock.listen(128)
            except OSError:
                sock.close()
                raise
            port = sock.getsockname()[1]
            config = uvicorn.Config(
                self._app,
                http="h11",
                lifespan="on",
                log_config=None,  # leave the host's logging alone; records propagate to its handlers
                log_level=self._log_level,
                access_log=False,
                timeout_graceful_shutdown=2,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
            )
            thread.start()
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(timeout=5)
                    sock.close()
                    raise RuntimeError(f"the server on port {port} did not start")
                time.sleep(0.01)
            self._server, self._thread, self._socket = server, thread, sock
            self._base_url = f"http://{_url_host(self._host)}:{port}"
            return self._base_url

    def stop(self) -> None:
        """Shut down cleanly and join the thread; safe to call more than once."""
        with self._lock:
            server, thread, sock = self._server, self._thread, self._socket
            self._server = self._thread = self._socket = None
            self._base_url = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=15)
        if sock is not None:
            sock.close()

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedSandbox:
    """Runs the sandbox with uvicorn in its own daemon thread on 127.0.0.1 (port 0 = a free port)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_path: Path | None = None,
        processing_seconds: float = 2.0,
        checkin_expiry_seconds: float = 1800.0,
        webhook_url: str | None = None,
        webhook_retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        idempotency_ttl_seconds: float = 86400.0,
        log_level: str = "warning",
    ) -> None:
        self.config = SandboxConfig(
            state_path=state_path,
            processing_seconds=processing_seconds,
            checkin_expiry_seconds=checkin_expiry_seconds,
            webhook_url=webhook_url,
            webhook_retry_schedule=tuple(webhook_retry_schedule),
            idempotency_ttl_seconds=idempotency_ttl_seconds,
        )
        self._host = host
        self._port = port
        self._log_level = log_level
        self._server: ServerThread | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        """Start serving (a fresh app over the configured state); returns the base URL."""
        with self._lock:
            if self._server is None:
                app = create_app(self.config)
                port = self._port or self._previous_port(app)
                server = ServerThread(app, host=self._host, port=port, log_level=self._log_level)
                try:
                    server.start()
                except OSError:
                    if port == self._port:
                        raise
                    server = ServerThread(app, host=self._host, port=self._port, log_level=self._log_level)
                    server.start()
                self._server = server
            return self._server.base_url

    def _previous_port(self, app: Starlette) -> int:
        """With a state file and ``port=0``, the port of the last run if it is known, else 0.

        Kept payouts carry checkin ``url``s on that port (SPEC: ``url`` is the hosted checkin
        page; ``--state`` keeps payouts across restarts), so the links stay good when it is free.
        """
        if self.config.state_path is None:
            return 0
        url = app.state.engine.store.latest_payment_url()
        try:
            port = urlsplit(url).port if url else None
        except ValueError:
            port = None
        return port or 0

    def stop(self) -> None:
        """Clean shutdown, joins the thread; idempotent. ``start()`` may be called again later."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` while running."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return self._server.base_url

    @property
    def running(self) -> bool:
        """Whether the sandbox is serving."""
        return self._server is not None

    def __enter__(self) -> EmbeddedSandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
