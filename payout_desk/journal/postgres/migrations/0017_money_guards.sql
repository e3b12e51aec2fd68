-- Team journal, version 17: three guards the audit of issues 19-21 asked for.
-- F1: a request body naming a field twice (at any depth) is refused when it is journaled: jsonb keeps the last
--     duplicate, a provider may keep the first, so the amount the approvers and the rules read could differ from
--     the one paid. What is stored is what is approved is what is sent.
-- F9: a superuser login is no person of the team. pg_has_role() is true for a superuser in every group, so it
--     prepared, approved and claimed as anyone; actor_in() now asks for real membership and refuses a superuser
--     for the people's groups (preparer, approver, viewer, agent). Migrations and add-person (dba_actor) are
--     unchanged, and a database administrator still acts as an app admin (set-provider, set-rule).
-- F16: in team mode re-binding payouts to another connection is an app admin's decision, audited in
--     admin_audit, only onto the team's current provider identity, and only for payouts that can exist at no
--     provider yet (awaiting approval or confirmed, no attempt ever started); any other is left where it is
--     (it needs reconciliation at its old provider first).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- F9 -----------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION actor_in(p_group name) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF p_group <> 'payout_desk_admin'
       AND EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = session_user AND rolsuper) THEN
        RAISE EXCEPTION '% is a superuser: a superuser is not a person of the team, log in as yourself', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT pg_catalog.pg_has_role(session_user, p_group, 'USAGE') THEN
        RAISE EXCEPTION '% is not in %', session_user, p_group USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN session_user::text;
END
$$;

-- F1 -----------------------------------------------------------------------------------------------------------
-- The path ("customer.name", "items[2].id") of the first key an object of p_value names twice; NULL when none.
-- json (not jsonb) keeps every pair as written, so json_each sees the duplicates (escapes decoded: "\u0061" is a).
CREATE FUNCTION json_duplicate_key(p_value json, p_path text DEFAULT '') RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_found text;
    v_item record;
BEGIN
    IF json_typeof(p_value) = 'object' THEN
        SELECT e.key INTO v_found FROM json_each(p_value) AS e GROUP BY e.key HAVING count(*) > 1
         ORDER BY e.key COLLATE "C" LIMIT 1;
        IF v_found IS NOT NULL THEN
            RETURN p_path || v_found;
        END IF;
        FOR v_item IN SELECT e.key, e.value FROM json_each(p_value) AS e LOOP
            v_found := payout_desk.json_duplicate_key(v_item.value, p_path || v_item.key || '.');
            IF v_found IS NOT NULL THEN
                RETURN v_found;
            END IF;
        END LOOP;
    ELSIF json_typeof(p_value) = 'array' THEN
        FOR v_item IN SELECT a.value, a.n FROM json_array_elements(p_value) WITH ORDINALITY AS a(value, n) LOOP
            v_found := payout_desk.json_duplicate_key(v_item.value, rtrim(p_path, '.') || '[' || v_item.n || '].');
            IF v_found IS NOT NULL THEN
                RETURN v_found;
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

-- Every payout row: its body is one JSON object naming each field once (confirm_payout's check that the body
-- is JSON runs first; this holds for any writer, the owner's functions included).
CREATE FUNCTION guard_request_body() RETURNS trigger
LANGUAGE plpgsql SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_body json;
    v_twice text;
BEGIN
    BEGIN
        v_body := NEW.request_body::json;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'the request body is not JSON' USING ERRCODE = 'invalid_parameter_value';
    END;
    IF json_typeof(v_body) <> 'object' THEN
        RAISE EXCEPTION 'the request body is not a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_twice := json_duplicate_key(v_body);
    IF v_twice IS NOT NULL THEN
        RAISE EXCEPTION 'the request body names "%" twice: a payout''s body names each field once, so that what '
                        'is approved is what is sent; nothing was journaled', v_twice
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payouts_body_once BEFORE INSERT OR UPDATE OF request_body ON payouts
    FOR EACH ROW EXECUTE FUNCTION guard_request_body();

-- F16 ----------------------------------------------------------------------------------------------------------
-- Bind the open payouts of p_old (NULL: from before connections) that no provider can hold yet to p_new, the
-- team's current provider identity; one rebound event each and one admin_audit row (moved and left). Payouts
-- that may exist at the old provider (pending, created, outcome unknown, or any attempt started) are left: they
-- need reconciliation there. The local ids re-bound, in order.
CREATE OR REPLACE FUNCTION rebind(p_old text, p_new text, p_reason text) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_url text;
    v_now timestamptz;
    v_id bigint;
    v_moved bigint[] := '{}';
    v_left bigint[];
BEGIN
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a re-bind needs a reason: it is recorded' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT provider_base_url INTO v_url FROM team_settings;
    IF v_url IS NULL THEN
        RAISE EXCEPTION 'the team has no provider yet: set it first (set-provider)' USING ERRCODE = 'PDA01';
    END IF;
    IF p_new IS NULL OR split_part(p_new, '|', 1) NOT IN ('sandbox', 'live')
       OR lower(rtrim(split_part(p_new, '|', 2), '/')) <> lower(rtrim(v_url, '/'))
       OR split_part(p_new, '|', 3) <> 'team' OR split_part(p_new, '|', 4) <> 'Team'
       OR split_part(p_new, '|', 5) <> '' THEN
        RAISE EXCEPTION 'payouts are re-bound only onto the team''s provider %, not onto %', v_url, left(p_new, 200)
            USING ERRCODE = 'PDA01';
    END IF;
    IF p_old IS NOT DISTINCT FROM p_new THEN
        RAISE EXCEPTION 'these payouts already belong to the team''s provider' USING ERRCODE = 'PDA01';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    v_now := clock_timestamp();
    FOR v_id IN
        SELECT local_id FROM payouts
         WHERE connection_id IS NOT DISTINCT FROM p_old
           AND status IN ('awaiting_approval', 'confirmed')
           AND first_attempt_at IS NULL AND attempt_open = 0 AND ambiguous = 0 AND payment_id IS NULL
           AND NOT EXISTS (SELECT FROM events e WHERE e.local_id = payouts.local_id
                                                AND e.kind IN ('attempt_started', 'attempt'))
         ORDER BY local_id FOR UPDATE
    LOOP
        UPDATE payouts SET connection_id = p_new WHERE local_id = v_id;
        PERFORM append_event(v_id, v_now, 'rebound', v_actor, jsonb_build_object(
            'old_connection', p_old, 'new_connection', p_new, 'reason', p_reason));
        v_moved := v_moved || v_id;
    END LOOP;
    SELECT coalesce(array_agg(local_id ORDER BY local_id), '{}') INTO v_left FROM payouts
     WHERE connection_id IS NOT DISTINCT FROM p_old
       AND status IN ('confirmed', 'outcome_unknown', 'pending', 'created', 'awaiting_approval');
    INSERT INTO admin_audit (actor, action, detail) VALUES (v_actor, 'rebind', jsonb_build_object(
        'old_connection', p_old, 'new_connection', p_new, 'reason', p_reason, 'moved', to_jsonb(v_moved),
        'left_for_reconciliation', to_jsonb(v_left)));
    RETURN v_moved;
END
$$;

REVOKE ALL ON FUNCTION rebind(text, text, text) FROM payout_desk_preparer;
GRANT EXECUTE ON FUNCTION rebind(text, text, text) TO payout_desk_admin;
REVOKE ALL ON FUNCTION json_duplicate_key(json, text), guard_request_body() FROM PUBLIC;
