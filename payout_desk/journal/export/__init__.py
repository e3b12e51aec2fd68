"""Rows out of the journal: PayoutRecords from rows (``rows``), CSV cells built in SQL (``sql``),
CSV bytes a batch at a time (``render``), and a whole export from one read snapshot (``stream``).

Rule: reads through the history's queries and never writes; the store and the readers above use it.
"""
