-- Team journal, version 10: the outcomes that stop automatic sending, and the checkin's return (SQLite schema 3
-- and 4, issues 11/12/16). A provider answer that does not fit the journal is a mismatch (the raw answer kept,
-- at most 1,000,000 characters; every difference named in the event); past the key's retention with no usable
-- reference a payout needs reconciliation by a person; the checkin page's redirect is journaled.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE FUNCTION record_mismatch(p_local_id bigint, p_problems text[], p_answer text, p_source text, p_message text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    UPDATE payouts SET status = 'mismatch', answer = left(p_answer, 1000000), last_error = p_message,
                       attempt_open = 0, updated_at = v_now
     WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'mismatch', v_actor, jsonb_build_object(
        'problems', to_jsonb(coalesce(p_problems, '{}'::text[])), 'source', p_source, 'old', v_row.status,
        'new', 'mismatch'));
END
$$;

CREATE FUNCTION record_needs_reconciliation(p_local_id bigint, p_message text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM set_error_status(p_local_id, 'needs_reconciliation', p_message, '{}'::jsonb);
END
$$;

-- The checkin page redirected back (the recipient entered their details): an event and updated_at; the
-- status stays as the provider says. The person watching the checkin is a preparer.
CREATE FUNCTION record_checkin_completed(p_local_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    UPDATE payouts SET updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'checkin_completed', v_actor,
                         jsonb_build_object('payment_id', v_row.payment_id));
END
$$;

REVOKE ALL ON FUNCTION record_mismatch(bigint, text[], text, text, text), record_needs_reconciliation(bigint, text),
                       record_checkin_completed(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_mismatch(bigint, text[], text, text, text), record_needs_reconciliation(bigint, text)
    TO payout_desk_agent;
GRANT EXECUTE ON FUNCTION record_checkin_completed(bigint) TO payout_desk_preparer;
