"""``payout-desk-agent`` (team mode): the only holder of the provider token. It claims the team's confirmed
payouts in the team database and sends them (``sender``); the runner runs its components side by side until
SIGTERM/SIGINT. Wiring level beside ``app``: no Qt; imports services, provider, journal and domain."""
