"""The agent's runner: a list of components, each an ``async def run(stop: asyncio.Event)``, run side by side
until ``stop`` is set (SIGTERM/SIGINT) or one of them ends on its own (a failure: the others are stopped too).

The components come from :func:`build_components`: the sender always; the poller and the webhook receiver
(``--listen``) are added there by the agent's watching half. A component that serves ``--listen`` says so with a
true ``serves_listen`` attribute, so the start-up lines can tell whether anything listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from payout_desk.agent.errors import AgentStopError

if TYPE_CHECKING:
    from payout_desk.agent.config import AgentConfig
    from payout_desk.domain.identity import ConnectionIdentity
    from payout_desk.journal.postgres.fenced import FencedPgJournal
    from payout_desk.provider.client import PayoutsClient

__all__ = [
    "AgentContext",
    "AgentStopError",
    "Component",
    "bind_listeners",
    "build_components",
    "install_signal_handlers",
    "run_components",
]

log = logging.getLogger("payout_desk.agent")

#: How long components get to finish after ``stop`` is set before they are cancelled.
STOP_GRACE_SECONDS = 20.0


class Component(Protocol):
    """One long-running part of the agent."""

    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then clean up and return. Returning earlier means it failed."""
        ...


@dataclass(frozen=True)
class AgentContext:
    """What every component is built from. The journal and client are shared (and closed by the cli)."""

    config: AgentConfig
    journal: FencedPgJournal
    client: PayoutsClient
    identity: ConnectionIdentity  # the team's provider connection (services.team.team_identity)
    login: str  # the agent's database login
    instance: str  # this process: host, pid and a random part


def build_components(context: AgentContext) -> list[Component]:
    """The agent's components: the sender and the poller; with ``--listen``, the webhook receiver too."""
    from payout_desk.agent.poller import TeamPoller
    from payout_desk.agent.sender import Sender

    components: list[Component] = [Sender(context), TeamPoller(context)]
    if context.config.listen is not None:
        from payout_desk.agent.webhooks import WebhookReceiver

        components.append(WebhookReceiver(context))
    return components


def bind_listeners(components: Sequence[Component]) -> None:
    """Bind every component's listening address (``--listen``) before any of them runs, so an agent that cannot
    serve never claims anything; AgentStopError (one line) when an address is taken."""
    for component in components:
        bind = getattr(component, "bind", None)
        if callable(bind):
            bind()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (a clean shutdown); where the loop cannot take them, Ctrl+C still does."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)


async def run_components(components: Sequence[Component], stop: asyncio.Event) -> bool:
    """Run every component until ``stop``; True when none failed (every one returned after ``stop``)."""
    tasks = {asyncio.create_task(c.run(stop), name=f"agent-{c.name}"): c for c in components}
    early: set[asyncio.Task[None]] = set()  # ended before stop was set: failed
    for task in tasks:
        task.add_done_callback(lambda t: None if stop.is_set() else early.add(t))
    stopping = asyncio.ensure_future(stop.wait())
    ok = True
    try:
        await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in early:
            ok = False
            error = None if task.cancelled() else task.exception()
            if isinstance(error, AgentStopError):
                log.error("agent: %s", error)
            else:
                log.error("agent: %s stopped on its own; stopping the agent", tasks[task].name, exc_info=error)
        stop.set()
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            log.error("agent: %s did not stop within %.0f s; cancelled", tasks[task].name, STOP_GRACE_SECONDS)
            task.cancel()
        if late:
            await asyncio.wait(late)
            ok = False
        for task, component in tasks.items():
            if task not in early and not task.cancelled() and task.exception() is not None:
                ok = False
                log.error("agent: %s failed while stopping", component.name, exc_info=task.exception())
    finally:
        stopping.cancel()
    return ok
