-- Team journal, version 11: near duplicates (issue 16). The candidates of the rule (same currency, amount
-- within 0.5 %, the last 90 days) are one range over this index, as on the single desk (SQLite schema 4).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE INDEX payouts_duplicates ON payouts (currency, amount_scaled, created_at);
