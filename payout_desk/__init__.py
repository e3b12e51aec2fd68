"""Payout Desk: a desktop app for finance staff to send one-off payouts through a provider's Payouts API."""

__version__ = "0.1.0"
APP_NAME = "Payout Desk"
APP_ID = "payout-desk"
