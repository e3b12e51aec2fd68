"""Sending a payout: the form and its fields (amount row, currency picker, metadata editor), the
confirmation, the provider's checkin page, and the submit flow that drives them in that order.

Rule: never imports the frame or the history; what it needs from its window is declared in
``host.py`` (the frame's MainWindow is a ``FlowWindow``).
"""
