"""The window's frame: the main window (environment banner, error line, shortcuts, life cycle),
notifications, the bridge from the desk's listeners to Qt signals, the GUI-thread garbage collector.

Rule: the only ui room that knows the others; it composes them and receives its context from
``payout_desk.app``, never building one.
"""
