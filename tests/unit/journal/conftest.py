"""Journal test fixtures: ``backend`` runs a contract test on SQLite and on PostgreSQL."""

from tests.unit.journal.backends import backend

__all__ = ["backend"]
