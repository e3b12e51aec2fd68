"""A second throwaway PostgreSQL server that asks for passwords (SCRAM) and also listens on loopback TCP (a free
port), for Test connection's refusals: a wrong or missing password, and TLS required of a server without it.
The superuser still connects over the unix socket without one (to set the server up)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from payout_desk.journal.postgres.migrate import migrate
from payout_desk.journal.postgres.people import add_person
from tests.fixtures.postgres import PgServer, running_server

DBNAME = "team_pw"
PASSWORD = "correct-horse-7f3c"  # distinctive: a hit in a file or a log cannot be a coincidence


@dataclass(frozen=True)
class PasswordServer:
    """The server, its loopback TCP port, and a migrated database whose preparer ``pia`` has PASSWORD."""

    server: PgServer
    tcp_port: int

    @property
    def admin(self) -> str:
        """The superuser's conninfo on the migrated database (unix socket, no password)."""
        return self.server.conninfo(DBNAME)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def password_server() -> Iterator[PasswordServer]:
    """Start it, migrate DBNAME, add the preparer ``pia`` with PASSWORD; stop and remove it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="pd-hba-"))
    try:
        os.chmod(folder, 0o755)  # the server may run as nobody
        hba = folder / "pg_hba.conf"
        hba.write_text(
            "local all postgres trust\nlocal all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        os.chmod(hba, 0o644)
        port = _free_port()
        settings = {"hba_file": str(hba), "listen_addresses": "127.0.0.1", "port": str(port)}
        # `-c port=` comes after the fixture's `-p 5432`: the server (and its socket file) use ``port``.
        with running_server(settings) as started:
            server = PgServer(started.socket_dir, port)
            with psycopg.connect(server.conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DBNAME)))
            migrate(server.conninfo(DBNAME))
            with psycopg.connect(server.conninfo(DBNAME), autocommit=True) as conn:
                add_person(conn, "pia", "preparer", PASSWORD)
            yield PasswordServer(server, port)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pw_server() -> Iterator[PasswordServer]:
    """The password server for one test module."""
    with password_server() as server:
        yield server
