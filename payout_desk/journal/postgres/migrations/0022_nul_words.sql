-- Team journal, version 22: a request body holding \u0000 (NUL) is refused in the desk's words, naming the key
-- (residue 5). jsonb cannot hold \u0000, so confirm_payout's cast of the body refused it in PostgreSQL's own words
-- ("unsupported Unicode escape sequence", untranslatable_character) with no field named. confirm_payout is as in
-- version 16, but for that refusal.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- Where p_body (JSON text) holds the escape \u0000, as '"key"' or '"key.subkey"' (a value at the top level or one
-- level down, as the desk writes bodies), 'a key' or 'a key of "key"' when a key itself holds it; NULL when it
-- cannot tell. PostgreSQL's JSON parsers refuse \u0000 wherever they de-escape, so each \u0000 not itself escaped
-- (an even run of backslashes before it) is first replaced by a marker, then the body is read as jsonb.
CREATE FUNCTION nul_escape_place(p_body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    c_marker CONSTANT text := '<payout-desk-nul-22>';
    v_text text := p_body;
    v_body jsonb;
    v_item record;
    v_sub record;
BEGIN
    FOR i IN 1..2 LOOP  -- a match takes the character before it: a run "\u0000\u0000…" needs a second pass
        v_text := regexp_replace(v_text, '(^|[^\\])((\\\\)*)\\u0000', '\1\2' || c_marker, 'g');
    END LOOP;
    BEGIN
        v_body := v_text::jsonb;
    EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
        RETURN NULL;
    END;
    IF jsonb_typeof(v_body) <> 'object' THEN
        RETURN NULL;
    END IF;
    FOR v_item IN SELECT e.key, e.value FROM jsonb_each(v_body) AS e ORDER BY e.key COLLATE "C" LOOP
        IF strpos(v_item.key, c_marker) > 0 THEN
            RETURN 'a key';
        ELSIF jsonb_typeof(v_item.value) = 'object' THEN
            FOR v_sub IN SELECT s.key, s.value FROM jsonb_each(v_item.value) AS s ORDER BY s.key COLLATE "C" LOOP
                IF strpos(v_sub.key, c_marker) > 0 THEN
                    RETURN format('a key of "%s"', left(v_item.key, 100));
                ELSIF strpos(v_sub.value::text, c_marker) > 0 THEN
                    RETURN format('"%s.%s"', left(v_item.key, 100), left(v_sub.key, 100));
                END IF;
            END LOOP;
        ELSIF strpos(v_item.value::text, c_marker) > 0 THEN
            RETURN format('"%s"', left(v_item.key, 100));
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION confirm_payout(p_body text, p_idempotency_key text, p_environment text, p_profile text,
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
    v_required integer;
    v_expires timestamptz;
    v_status text;
BEGIN
    BEGIN
        v_body := p_body::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'the request body is not JSON' USING ERRCODE = 'invalid_parameter_value';
    WHEN untranslatable_character THEN
        RAISE EXCEPTION 'the request body is not as the desk writes it: %: holds the character \u0000 (NUL), which '
                        'the team database cannot store; remove it; nothing was journaled',
                        coalesce(nul_escape_place(p_body), 'a value')
            USING ERRCODE = 'invalid_parameter_value';
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
            WHERE connection_id = p_connection_id AND external_id = v_body ->> 'externalId'
              AND status NOT IN ('rejected', 'approval_rejected', 'withdrawn', 'expired');
        IF v_owner IS NOT NULL THEN
            RAISE EXCEPTION 'reference % is already used by payout % on this connection', v_body ->> 'externalId', v_owner
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'payouts_reference', DETAIL = v_owner::text;
        END IF;
    END IF;
    v_now := clock_timestamp();
    -- the rules as they are now, read under the events lock that set_approval_rule also takes
    v_required := required_approvals(v_body ->> 'currency', v_scaled::bigint, v_actor);
    v_status := CASE WHEN v_required > 0 THEN 'awaiting_approval' ELSE 'confirmed' END;
    IF v_required > 0 THEN
        SELECT v_now + make_interval(days => approval_expiry_days) INTO v_expires FROM team_settings;
    END IF;
    INSERT INTO payouts (created_at, updated_at, status, amount, amount_scaled, currency, description,
                         recipient_id, recipient_name, external_id, metadata, redirect_url, webhook_url,
                         request_body, idempotency_key, environment, profile, created_by, connection_id,
                         approvals_required, approval_expires_at)
    VALUES (v_now, v_now, v_status, v_amount, v_scaled::bigint, v_body ->> 'currency', v_body ->> 'description',
            v_body -> 'customer' ->> 'id', v_body -> 'customer' ->> 'name', v_body ->> 'externalId',
            canonical_object(v_body -> 'metadata'), v_body ->> 'redirectUrl', v_body ->> 'webhookUrl',
            p_body, p_idempotency_key, p_environment, p_profile, v_actor, p_connection_id, v_required, v_expires)
    RETURNING local_id INTO v_id;
    PERFORM append_event(v_id, v_now, 'confirmed', v_actor, jsonb_build_object(
        'idempotency_key', p_idempotency_key, 'body_sha256', sha256_hex(p_body), 'environment', p_environment,
        'profile', p_profile, 'connection', p_connection_id, 'old', NULL, 'new', v_status,
        'approvals_required', v_required, 'approval_expires_at', v_expires));
    IF cardinality(p_duplicates_shown) > 0 THEN
        PERFORM append_event(v_id, v_now, 'duplicate_warning', v_actor, jsonb_build_object(
            'shown', to_jsonb(p_duplicates_shown), 'overridden', true));
    END IF;
    RETURN v_id;
END
$$;

