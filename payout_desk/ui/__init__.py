"""Qt widgets only: main window, payout form, confirmation, checkin view, history, settings. Talks to services."""
