-- Team journal, version 3: who may do what. Nobody but the owner writes a table; people read through
-- SELECT grants that row-level security narrows, and write only through the functions of their group.

SET LOCAL search_path = payout_desk, pg_catalog;

REVOKE ALL ON ALL TABLES IN SCHEMA payout_desk FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA payout_desk FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA payout_desk FROM PUBLIC;

GRANT SELECT ON payouts, events, team_settings, schema_migrations
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent;
GRANT SELECT ON admin_audit TO payout_desk_admin;

-- Row-level security: no INSERT/UPDATE/DELETE policy exists, so even a mistaken grant writes nothing;
-- the owner (and so every SECURITY DEFINER function) is not subject to it.
ALTER TABLE payouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE team_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_reads ON payouts FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent USING (true);
CREATE POLICY team_reads ON events FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent USING (true);
CREATE POLICY team_reads ON team_settings FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent USING (true);
CREATE POLICY admins_read ON admin_audit FOR SELECT TO payout_desk_admin USING (true);

GRANT EXECUTE ON FUNCTION confirm_payout(text, text, text, text) TO payout_desk_preparer;
GRANT EXECUTE ON FUNCTION record_attempt(bigint, integer, integer, text, double precision),
                          record_created(bigint, text, text, text),
                          record_status(bigint, text, text, text),
                          record_outcome_unknown(bigint, text),
                          record_rejected(bigint, text, text)
    TO payout_desk_agent;
GRANT EXECUTE ON FUNCTION set_provider_base_url(text) TO payout_desk_admin;
-- actor_in, append_event, lock_payout, set_error_status, refuse_change: the owner's alone.
