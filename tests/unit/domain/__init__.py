"""Unit and property tests for payout_desk.domain."""
