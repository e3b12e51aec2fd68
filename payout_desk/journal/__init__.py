"""The SQLite journal: every payout, every attempt and status change (the audit trail), versioned schema. No Qt."""
