-- Team journal, version 9: attempts as the single desk journals them (SQLite schema 3, issue 11). Before each
-- request the agent commits attempt_started (the key it carries, or none past the key's retention): the
-- payout's attempt is open, its first attempt time is kept (the retention runs from it), and an attempt
-- still open from before (a crash in between) makes the payout ambiguous for good. The attempt's outcome
-- closes it and may make it ambiguous (sticky, never cleared); mark_ambiguous does so with a note.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE FUNCTION record_attempt_started(p_local_id bigint, p_number integer, p_keyed boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    UPDATE payouts SET ambiguous = greatest(ambiguous, attempt_open), attempt_open = 1,
                       first_attempt_at = coalesce(first_attempt_at,
                                                   (extract(epoch FROM v_now) * 1000000)::bigint)
     WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'attempt_started', v_actor, jsonb_build_object(
        'number', p_number, 'key', CASE WHEN p_keyed THEN v_row.idempotency_key END));
END
$$;

DROP FUNCTION record_attempt(bigint, integer, integer, text, double precision);

-- One HTTP attempt to create the payout: the stored key and body hash (the only ones ever sent); it closes
-- the open attempt, and p_ambiguous (no definitive answer) makes the payout ambiguous for good.
CREATE FUNCTION record_attempt(p_local_id bigint, p_number integer, p_status_code integer, p_error text,
                               p_duration_ms double precision, p_ambiguous boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
BEGIN
    UPDATE payouts SET attempt_open = 0, ambiguous = greatest(ambiguous, p_ambiguous::integer)
     WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, clock_timestamp(), 'attempt', v_actor, jsonb_build_object(
        'number', p_number, 'key', v_row.idempotency_key, 'body_sha256', sha256_hex(v_row.request_body),
        'status_code', p_status_code, 'error', p_error, 'duration_ms', round(p_duration_ms::numeric, 3),
        'ambiguous', p_ambiguous));
END
$$;

-- An attempt may have reached the provider without an answer (e.g. left open by a crash): ambiguous for
-- good, with a note; nothing when it already is.
CREATE FUNCTION mark_ambiguous(p_local_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
BEGIN
    IF v_row.ambiguous = 1 THEN
        RETURN;
    END IF;
    UPDATE payouts SET ambiguous = 1, attempt_open = 0 WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, clock_timestamp(), 'note', v_actor, jsonb_build_object(
        'ambiguous', true, 'reason', p_reason));
END
$$;

REVOKE ALL ON FUNCTION record_attempt_started(bigint, integer, boolean),
                       record_attempt(bigint, integer, integer, text, double precision, boolean),
                       mark_ambiguous(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_attempt_started(bigint, integer, boolean),
                          record_attempt(bigint, integer, integer, text, double precision, boolean),
                          mark_ambiguous(bigint, text) TO payout_desk_agent;
