-- Team journal, version 5: payouts per status, kept by a trigger, so the history's unfiltered and
-- status-only counts (and a jump to the last row, which needs the count) cost nothing at a million rows.
-- Every write already holds the events lock, so the counter rows add no contention.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE TABLE payout_status_counts (
    status text   PRIMARY KEY,
    n      bigint NOT NULL CHECK (n >= 0)
);
INSERT INTO payout_status_counts (status, n) SELECT status, count(*) FROM payouts GROUP BY status;

CREATE FUNCTION count_statuses() RETURNS trigger
LANGUAGE plpgsql SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
            RETURN NULL;
        END IF;
        UPDATE payout_status_counts SET n = n - 1 WHERE status = OLD.status;
    END IF;
    INSERT INTO payout_status_counts AS c (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER payouts_count AFTER INSERT OR UPDATE OF status ON payouts
    FOR EACH ROW EXECUTE FUNCTION count_statuses();

REVOKE ALL ON payout_status_counts FROM PUBLIC;
REVOKE ALL ON FUNCTION count_statuses() FROM PUBLIC;
GRANT SELECT ON payout_status_counts
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent;
ALTER TABLE payout_status_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_reads ON payout_status_counts FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent USING (true);
