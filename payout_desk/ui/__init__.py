"""The Qt screens, in feature rooms. The window receives its parts (desk, settings, connection) from
``payout_desk.app``; nothing here builds a journal, a provider client or a sandbox.

- ``frame``: the main window and what frames it (environment banner, error line, shortcuts,
  notifications, the desk-to-Qt bridge, the GUI-thread garbage collector). Uses every room below.
- ``sending``: the payout form and its fields, the currency picker, the metadata editor, the
  confirmation, the checkin view and the submit flow that drives them (it also opens settings).
- ``history``: the lazy history model, its cells and columns, filters, the panel, the details of one
  payout, and the CSV export dialog.
- ``settings``: the settings dialog and its pure rules.
- ``style``: colours, icons and style sheets of statuses and banners, shared by every room; no widgets.

Arrows point down: frame → sending, history → settings → style (sending and history never import
each other); the contracts in pyproject.toml check it.
"""
