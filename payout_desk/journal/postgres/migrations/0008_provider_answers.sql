-- Team journal, version 8: the provider's answers as the single desk keeps them (SQLite schema 3, issues
-- 11/12). The provider's status is kept verbatim in provider_status (at most 64 characters, the last an
-- ellipsis when cut) and the app's status is its lifecycle status (pending, succeeded, failed; anything else
-- the provider says is 'created'); a status answer only moves a payout the provider holds by the journal's
-- account; a payment id belongs to at most one payout (refused with SQLSTATE 23505, constraint
-- payouts_payment_id_once, the owner's id as DETAIL; a partial unique index holds it too). Signatures and
-- grants are unchanged (CREATE OR REPLACE).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- As SQLite's version 3: a payout whose payment id an older payout already holds is a mismatch for a person.
UPDATE payouts SET status = 'mismatch', answer = json_build_object('payment_id', payment_id)::text, payment_id = NULL
 WHERE payment_id IS NOT NULL
   AND local_id > (SELECT min(o.local_id) FROM payouts AS o WHERE o.payment_id = payouts.payment_id);
CREATE UNIQUE INDEX payouts_payment_id_once ON payouts (payment_id) WHERE payment_id IS NOT NULL;

-- domain.answers.bounded: text cut to p_limit characters, the last one an ellipsis when cut.
CREATE FUNCTION bounded(p_text text, p_limit integer) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN p_text IS NULL OR char_length(p_text) <= p_limit THEN p_text
                ELSE left(p_text, p_limit - 1) || '…' END
$$;

-- domain.answers.lifecycle_status: the app's status for a provider status.
CREATE FUNCTION lifecycle_status(p_provider_status text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN p_provider_status IN ('pending', 'succeeded', 'failed') THEN p_provider_status ELSE 'created' END
$$;

CREATE OR REPLACE FUNCTION record_created(p_local_id bigint, p_payment_id text, p_checkin_url text, p_status text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
    v_provider text := coalesce(bounded(p_status, 64), '');
    v_new text := lifecycle_status(coalesce(bounded(p_status, 64), ''));
    v_owner bigint;
    v_detail jsonb;
BEGIN
    SELECT local_id INTO v_owner FROM payouts WHERE payment_id = p_payment_id AND local_id <> p_local_id;
    IF v_owner IS NOT NULL THEN
        RAISE EXCEPTION 'payment % already belongs to payout %', p_payment_id, v_owner
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'payouts_payment_id_once', DETAIL = v_owner::text;
    END IF;
    UPDATE payouts SET payment_id = p_payment_id, checkin_url = p_checkin_url, status = v_new,
                       provider_status = v_provider, last_error = NULL, updated_at = v_now
     WHERE local_id = p_local_id;
    v_detail := jsonb_build_object('payment_id', p_payment_id, 'checkin_url', p_checkin_url,
                                   'old', v_row.status, 'new', v_new, 'provider_status', v_provider,
                                   'source', 'create');
    IF v_row.payment_id IS NOT NULL AND v_row.payment_id <> p_payment_id THEN
        v_detail := v_detail || jsonb_build_object('previous_payment_id', v_row.payment_id);
    END IF;
    PERFORM append_event(p_local_id, v_now, 'created', v_actor, v_detail);
END
$$;

-- A status read from the provider; false when nothing changed (no duplicate events from polling) and for a
-- payout the provider does not hold by the journal's account (unsent, rejected, mismatch, …).
CREATE OR REPLACE FUNCTION record_status(p_local_id bigint, p_status text, p_failure_reason text, p_source text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
    v_provider text := coalesce(bounded(p_status, 64), '');
    v_reason text := bounded(p_failure_reason, 1000);
    v_new text := lifecycle_status(coalesce(bounded(p_status, 64), ''));
BEGIN
    IF p_source NOT IN ('create', 'poll', 'refresh', 'webhook', 'recover') THEN
        RAISE EXCEPTION 'unknown status source %', p_source USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_row.status NOT IN ('pending', 'created', 'succeeded', 'failed') THEN
        RETURN false;
    END IF;
    IF v_row.provider_status IS NOT DISTINCT FROM v_provider THEN
        IF v_reason IS NULL OR v_reason IS NOT DISTINCT FROM v_row.failure_reason THEN
            RETURN false;
        END IF;
        UPDATE payouts SET failure_reason = v_reason, updated_at = v_now WHERE local_id = p_local_id;
        PERFORM append_event(p_local_id, v_now, 'note', v_actor, jsonb_build_object(
            'status', v_provider, 'failure_reason', v_reason, 'source', p_source));
    ELSE
        UPDATE payouts SET status = v_new, provider_status = v_provider, failure_reason = v_reason, updated_at = v_now
         WHERE local_id = p_local_id;
        PERFORM append_event(p_local_id, v_now, 'status', v_actor, jsonb_build_object(
            'old', v_row.status, 'new', v_new, 'provider_status', v_provider, 'source', p_source,
            'failure_reason', v_reason));
    END IF;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION bounded(text, integer), lifecycle_status(text) FROM PUBLIC;
