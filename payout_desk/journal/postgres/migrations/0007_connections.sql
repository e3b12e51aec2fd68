-- Team journal, version 7: connection identity (the single desk's schema 3, issues 11/12). A payout is
-- confirmed for one provider connection (domain.identity's key) and its reference (externalId) is unique per
-- connection (a rejected payout frees it: the provider never held it, and the corrected payout may carry it):
-- confirm_payout takes the connection and refuses a used reference (SQLSTATE 23505, constraint
-- payouts_reference, the owner's local id as DETAIL) after taking the events lock, so two preparers racing
-- with one reference cannot both win; the partial unique index holds the rule whatever writes the row.
-- The 4-argument form is replaced by one with the connection last (default NULL: a payout of no connection,
-- which no desk will send until it is re-bound).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE UNIQUE INDEX payouts_reference ON payouts (connection_id, external_id)
    WHERE connection_id IS NOT NULL AND external_id IS NOT NULL AND status <> 'rejected';
CREATE INDEX payouts_connection_open ON payouts (connection_id, created_at, local_id)
    WHERE status NOT IN ('failed', 'rejected', 'succeeded');

DROP FUNCTION confirm_payout(text, text, text, text);

-- A preparer journals a confirmed payout for a connection: every request column is read from the exact body
-- that will be sent. Returns the local id.
CREATE FUNCTION confirm_payout(p_body text, p_idempotency_key text, p_environment text, p_profile text,
                               p_connection_id text DEFAULT NULL)
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
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION confirm_payout(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION confirm_payout(text, text, text, text, text) TO payout_desk_preparer;
