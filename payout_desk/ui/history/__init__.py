"""The history: a lazy model over ``history_count``/``history_page``, its cells and columns, the
filters, the panel, the details of one payout (its timeline), and the CSV export dialog.

Rule: reads the desk it is given and emits signals (e.g. ``reopenRequested``); never imports the
sending room or the frame.
"""
