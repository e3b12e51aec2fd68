-- Team journal, version 12: the duplicate warning (issue 16). A payout the preparer confirmed although the
-- confirmation listed near duplicates is journaled with a duplicate_warning event (the local ids shown,
-- overridden) in the same transaction as its confirmed event, as on the single desk. confirm_payout gains the
-- shown ids last (default none); the 5-argument form is replaced.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

DROP FUNCTION confirm_payout(text, text, text, text, text);

CREATE FUNCTION confirm_payout(p_body text, p_idempotency_key text, p_environment text, p_profile text,
                               p_connection_id text DEFAULT NULL, p_duplicates_shown bigint[] DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_body jsonb;
    v_amount text;
    v_scaled numeric;
    v_now timestamptz;
    v_id bigint;
    v_owner bigint;
BEGIN
    BEGIN
        v_body := p_body::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'the request body is not JSON' USING ERRCODE = 'invalid_parameter_value';
    END;
    IF jsonb_typeof(v_body -> 'amount') IS DISTINCT FROM 'string'
       OR jsonb_typeof(v_body -> 'currency') IS DISTINCT FROM 'string'
       OR v_body ->> 'type' IS DISTINCT FROM 'payout' THEN
        RAISE EXCEPTION 'the request body has no amount/currency strings or is not a payout'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_amount := v_body ->> 'amount';
    IF v_amount !~ '^[0-9]+(\.[0-9]{1,4})?$' THEN
        RAISE EXCEPTION 'amount % is not a plain decimal with at most 4 fraction digits', v_amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_scaled := v_amount::numeric * 10000;
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    IF p_connection_id IS NOT NULL AND v_body ->> 'externalId' IS NOT NULL THEN
        SELECT min(local_id) INTO v_owner FROM payouts
            WHERE connection_id = p_connection_id AND external_id = v_body ->> 'externalId' AND status <> 'rejected';
        IF v_owner IS NOT NULL THEN
            RAISE EXCEPTION 'reference % is already used by payout % on this connection', v_body ->> 'externalId', v_owner
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'payouts_reference', DETAIL = v_owner::text;
        END IF;
    END IF;
    v_now := clock_timestamp();
    INSERT INTO payouts (created_at, updated_at, status, amount, amount_scaled, currency, description,
                         recipient_id, recipient_name, external_id, metadata, redirect_url, webhook_url,
                         request_body, idempotency_key, environment, profile, created_by, connection_id)
    VALUES (v_now, v_now, 'confirmed', v_amount, v_scaled::bigint, v_body ->> 'currency', v_body ->> 'description',
            v_body -> 'customer' ->> 'id', v_body -> 'customer' ->> 'name', v_body ->> 'externalId',
            canonical_object(v_body -> 'metadata'), v_body ->> 'redirectUrl', v_body ->> 'webhookUrl',
            p_body, p_idempotency_key, p_environment, p_profile, v_actor, p_connection_id)
    RETURNING local_id INTO v_id;
    PERFORM append_event(v_id, v_now, 'confirmed', v_actor, jsonb_build_object(
        'idempotency_key', p_idempotency_key, 'body_sha256', sha256_hex(p_body), 'environment', p_environment,
        'profile', p_profile, 'connection', p_connection_id, 'old', NULL, 'new', 'confirmed'));
    IF cardinality(p_duplicates_shown) > 0 THEN
        PERFORM append_event(v_id, v_now, 'duplicate_warning', v_actor, jsonb_build_object(
            'shown', to_jsonb(p_duplicates_shown), 'overridden', true));
    END IF;
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION confirm_payout(text, text, text, text, text, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION confirm_payout(text, text, text, text, text, bigint[]) TO payout_desk_preparer;
