-- Team journal, version 2: every write is one of these SECURITY DEFINER functions. Each takes the actor
-- from session_user (the person's login; no parameter can name someone else), checks the caller's group,
-- serialises on the events lock FIRST (so no two writers deadlock on a payout row) and appends its event.
-- search_path is pinned on every function: a caller's objects can never stand in for ours.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- The login calling us, if it belongs to group; otherwise insufficient_privilege.
CREATE FUNCTION actor_in(p_group name) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, p_group, 'USAGE') THEN
        RAISE EXCEPTION '% is not in %', session_user, p_group USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN session_user::text;
END
$$;

-- Appends one event (the caller holds the events lock) and announces its id after commit.
CREATE FUNCTION append_event(p_local_id bigint, p_at timestamptz, p_kind text, p_actor text, p_detail jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);  -- 'PDJ1': the events lock (re-entrant)
    INSERT INTO events (local_id, at, kind, actor, detail)
    VALUES (p_local_id, p_at, p_kind, p_actor, p_detail) RETURNING event_id INTO v_id;
    PERFORM pg_catalog.pg_notify('payout_desk_events', v_id::text);
    RETURN v_id;
END
$$;

-- Takes the events lock, then locks and returns the payout row (P0002 when there is none).
CREATE FUNCTION lock_payout(p_local_id bigint) RETURNS payouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_row payouts;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    SELECT * INTO v_row FROM payouts WHERE local_id = p_local_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No payout with local id % in the journal', p_local_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_row;
END
$$;

CREATE FUNCTION sha256_hex(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT encode(sha256(convert_to(p_text, 'UTF8')), 'hex')
$$;

-- Compact JSON of an object with its keys in code point order: json.dumps(value, ensure_ascii=False,
-- sort_keys=True, separators=(",", ":")) for the string values payout metadata has (the SQLite journal's
-- text, and what the export writes). NULL for NULL or an empty object.
CREATE FUNCTION canonical_object(p_value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT '{' || string_agg(to_json(e.key)::text || ':' || e.value::text, ',' ORDER BY e.key COLLATE "C") || '}'
    FROM jsonb_each(p_value) AS e
$$;

-- A preparer journals a confirmed payout: every request column is read from the exact body that will be
-- sent, so the stored amount, currency and recipient cannot disagree with it. Returns the local id.
CREATE FUNCTION confirm_payout(p_body text, p_idempotency_key text, p_environment text, p_profile text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_body jsonb;
    v_amount text;
    v_scaled numeric;
    v_now timestamptz;
    v_id bigint;
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
    v_now := clock_timestamp();
    INSERT INTO payouts (created_at, updated_at, status, amount, amount_scaled, currency, description,
                         recipient_id, recipient_name, external_id, metadata, redirect_url, webhook_url,
                         request_body, idempotency_key, environment, profile, created_by)
    VALUES (v_now, v_now, 'confirmed', v_amount, v_scaled::bigint, v_body ->> 'currency', v_body ->> 'description',
            v_body -> 'customer' ->> 'id', v_body -> 'customer' ->> 'name', v_body ->> 'externalId',
            canonical_object(v_body -> 'metadata'), v_body ->> 'redirectUrl', v_body ->> 'webhookUrl',
            p_body, p_idempotency_key, p_environment, p_profile, v_actor)
    RETURNING local_id INTO v_id;
    PERFORM append_event(v_id, v_now, 'confirmed', v_actor, jsonb_build_object(
        'idempotency_key', p_idempotency_key, 'body_sha256', sha256_hex(p_body), 'environment', p_environment,
        'profile', p_profile, 'old', NULL, 'new', 'confirmed'));
    RETURN v_id;
END
$$;

-- One HTTP attempt to create the payout: the stored key and body hash (the only ones ever sent).
CREATE FUNCTION record_attempt(p_local_id bigint, p_number integer, p_status_code integer, p_error text,
                               p_duration_ms double precision) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
BEGIN
    PERFORM append_event(p_local_id, clock_timestamp(), 'attempt', v_actor, jsonb_build_object(
        'number', p_number, 'key', v_row.idempotency_key, 'body_sha256', sha256_hex(v_row.request_body),
        'status_code', p_status_code, 'error', p_error, 'duration_ms', round(p_duration_ms::numeric, 3)));
END
$$;

-- The provider created (or replayed) the payout: its id, checkin url and status; last_error cleared.
CREATE FUNCTION record_created(p_local_id bigint, p_payment_id text, p_checkin_url text, p_status text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
    v_detail jsonb;
BEGIN
    UPDATE payouts SET payment_id = p_payment_id, checkin_url = p_checkin_url, status = p_status,
                       last_error = NULL, updated_at = v_now
     WHERE local_id = p_local_id;
    v_detail := jsonb_build_object('payment_id', p_payment_id, 'checkin_url', p_checkin_url,
                                   'old', v_row.status, 'new', p_status, 'source', 'create');
    IF v_row.payment_id IS NOT NULL AND v_row.payment_id <> p_payment_id THEN
        v_detail := v_detail || jsonb_build_object('previous_payment_id', v_row.payment_id);
    END IF;
    PERFORM append_event(p_local_id, v_now, 'created', v_actor, v_detail);
END
$$;

-- A status read from the provider; false when nothing changed (no duplicate events from polling).
CREATE FUNCTION record_status(p_local_id bigint, p_status text, p_failure_reason text, p_source text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    IF p_source NOT IN ('create', 'poll', 'refresh', 'webhook', 'recover') THEN
        RAISE EXCEPTION 'unknown status source %', p_source USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_row.status = p_status THEN
        IF p_failure_reason IS NULL OR p_failure_reason IS NOT DISTINCT FROM v_row.failure_reason THEN
            RETURN false;
        END IF;
        UPDATE payouts SET failure_reason = p_failure_reason, updated_at = v_now WHERE local_id = p_local_id;
        PERFORM append_event(p_local_id, v_now, 'note', v_actor, jsonb_build_object(
            'status', p_status, 'failure_reason', p_failure_reason, 'source', p_source));
    ELSE
        UPDATE payouts SET status = p_status, failure_reason = p_failure_reason, updated_at = v_now
         WHERE local_id = p_local_id;
        PERFORM append_event(p_local_id, v_now, 'status', v_actor, jsonb_build_object(
            'old', v_row.status, 'new', p_status, 'source', p_source, 'failure_reason', p_failure_reason));
    END IF;
    RETURN true;
END
$$;

-- Retries ran out without an answer (outcome_unknown) or the provider refused it (rejected).
CREATE FUNCTION set_error_status(p_local_id bigint, p_status text, p_message text, p_extra jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    UPDATE payouts SET status = p_status, last_error = p_message, updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, p_status, v_actor, p_extra || jsonb_build_object(
        'message', p_message, 'old', v_row.status, 'new', p_status));
END
$$;

CREATE FUNCTION record_outcome_unknown(p_local_id bigint, p_message text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    SELECT set_error_status(p_local_id, 'outcome_unknown', p_message, '{}'::jsonb)
$$;

CREATE FUNCTION record_rejected(p_local_id bigint, p_code text, p_message text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    SELECT set_error_status(p_local_id, 'rejected', p_message, jsonb_build_object('code', p_code))
$$;

-- An administrator sets the team's provider identity; recorded in the admin audit.
CREATE FUNCTION set_provider_base_url(p_url text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_old text;
BEGIN
    IF p_url !~ '^https?://[^/\s]+' THEN
        RAISE EXCEPTION 'the provider base URL must start with https:// (or http:// for a local sandbox)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT provider_base_url INTO v_old FROM team_settings FOR UPDATE;
    UPDATE team_settings SET provider_base_url = p_url, updated_at = clock_timestamp(), updated_by = v_actor;
    INSERT INTO admin_audit (actor, action, detail)
    VALUES (v_actor, 'set-provider-base-url', jsonb_build_object('old', v_old, 'new', p_url));
END
$$;
