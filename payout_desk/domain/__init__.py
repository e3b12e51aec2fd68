"""Pure business rules: money (Decimal, ISO 4217 minor units), the payout request and its validation, statuses. No Qt, no I/O."""
