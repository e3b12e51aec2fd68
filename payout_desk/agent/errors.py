"""The agent's own stop signal, shared by the runner and its components (no imports: no cycles)."""

from __future__ import annotations

__all__ = ["AgentStopError"]


class AgentStopError(Exception):
    """A component stops the whole agent on purpose (exit 1); its message is the one line logged, no traceback."""
