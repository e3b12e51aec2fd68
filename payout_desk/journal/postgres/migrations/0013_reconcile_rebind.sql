-- Team journal, version 13: a person's decisions on payouts the app will not send on its own (issues 11/12):
-- reconciling a payout that needs it (found at the provider, or not found: back to outcome_unknown, sent
-- again without a key) and re-binding open payouts to the active connection. Both are audited events taken
-- from the login. Granted to preparers, who do them on a single desk; the maker-checker issue may move them
-- to approvers.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE FUNCTION record_reconciled(p_local_id bigint, p_decision text, p_reason text, p_back_to text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    IF v_row.status <> 'needs_reconciliation' THEN
        RAISE EXCEPTION 'payout % does not need reconciliation (it is %)', p_local_id, v_row.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE payouts SET status = p_back_to, updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'reconciled', v_actor, jsonb_build_object(
        'decision', p_decision, 'reason', p_reason, 'old', v_row.status, 'new', p_back_to));
END
$$;

-- Bind every open payout of p_old (NULL: payouts from before connections) to p_new, one rebound event each;
-- the local ids re-bound, in order.
CREATE FUNCTION rebind(p_old text, p_new text, p_reason text) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_now timestamptz;
    v_id bigint;
    v_moved bigint[] := '{}';
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    v_now := clock_timestamp();
    FOR v_id IN
        SELECT local_id FROM payouts
         WHERE connection_id IS NOT DISTINCT FROM p_old
           AND status IN ('confirmed', 'outcome_unknown', 'pending', 'created')
         ORDER BY local_id FOR UPDATE
    LOOP
        UPDATE payouts SET connection_id = p_new WHERE local_id = v_id;
        PERFORM append_event(v_id, v_now, 'rebound', v_actor, jsonb_build_object(
            'old_connection', p_old, 'new_connection', p_new, 'reason', p_reason));
        v_moved := v_moved || v_id;
    END LOOP;
    RETURN v_moved;
END
$$;

REVOKE ALL ON FUNCTION record_reconciled(bigint, text, text, text), rebind(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_reconciled(bigint, text, text, text), rebind(text, text, text)
    TO payout_desk_preparer;
