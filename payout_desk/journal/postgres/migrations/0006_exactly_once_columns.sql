-- Team journal, version 6: the columns of the single desk's exactly-once rules (SQLite schema 3, issues
-- 11/12), so a team journal's payouts read as the same PayoutRecord the desk builds. They are stored and
-- read here; the functions that set them (attempt_started, ambiguity, mismatch, unique payment ids and
-- references per connection) come in a later version: until then the team journal satisfies the history
-- part of the journal interface only (journal.protocol.HistoryJournal).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

ALTER TABLE payouts
    ADD COLUMN provider_status  text CHECK (char_length(provider_status) <= 64),  -- verbatim, NULL before any answer
    ADD COLUMN connection_id    text,      -- domain.identity key; NULL: confirmed before version 6
    ADD COLUMN ambiguous        integer NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1)),
    ADD COLUMN attempt_open     integer NOT NULL DEFAULT 0 CHECK (attempt_open IN (0, 1)),
    ADD COLUMN first_attempt_at bigint,    -- UTC epoch microseconds of the first attempt_started
    ADD COLUMN answer           text;      -- a refused (mismatching) provider answer, raw

-- As SQLite's version 3 does for the payouts it finds: the provider's word so far, and a payout that may
-- have reached the provider without an answer counts as ambiguous.
UPDATE payouts SET provider_status = substr(status, 1, 64) WHERE payment_id IS NOT NULL;
UPDATE payouts SET ambiguous = 1 WHERE status IN ('confirmed', 'outcome_unknown');
