"""The agent's settings, from its command line (``agent.cli``). Plain data; the token is not among them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from payout_desk.services.poll import PollPolicy

__all__ = ["MAX_RETENTION_HOURS", "AgentConfig", "HostPort"]

#: The provider keeps keys at least 24 hours (SPEC); a longer retention could pay twice.
MAX_RETENTION_HOURS: Final = 24.0


@dataclass(frozen=True)
class HostPort:
    """Where ``--listen`` asks the webhook receiver to serve."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class AgentConfig:
    """What one agent process does (seconds unless named otherwise)."""

    conninfo: str
    provider_url: str
    listen: HostPort | None = None
    #: A claim lasts this long unless renewed (every third of it while a send runs).
    lease_seconds: float = 60.0
    #: Payouts in flight at once, one claim each.
    concurrency: int = 4
    #: The backstop: look for claimable payouts this often even without a wake-up from the feed.
    sweep_seconds: float = 5.0
    #: The provider's key retention (at most 24 h); past it a resend goes without the key (issue 12's rules).
    retention_hours: float = MAX_RETENTION_HOURS
    #: Resends of unanswered payouts back off as the desk's do (5 s, 10 s, … 300 s).
    policy: PollPolicy = field(default_factory=PollPolicy)

    def __post_init__(self) -> None:
        if not 0 < self.lease_seconds <= 3600:
            raise ValueError("--lease-seconds must be above 0 and at most 3600")
        if self.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
        if self.sweep_seconds <= 0:
            raise ValueError("--sweep-seconds must be above 0")
        if not 0 < self.retention_hours <= MAX_RETENTION_HOURS:
            raise ValueError(f"--key-retention-hours must be above 0 and at most {MAX_RETENTION_HOURS:g}")

    @property
    def renew_seconds(self) -> float:
        """How often a claim under way is renewed."""
        return self.lease_seconds / 3

    @property
    def retention_seconds(self) -> float:
        """The key retention in seconds."""
        return self.retention_hours * 3600.0

    def resend_after(self, generation: int) -> float:
        """How long an unanswered payout waits after its ``generation``-th claim: the desk's resend backoff."""
        delay = self.policy.resend_initial_interval * self.policy.multiplier ** max(0, generation - 1)
        return float(min(self.policy.resend_max_interval, delay))
