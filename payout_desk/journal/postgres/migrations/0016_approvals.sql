-- Team journal: maker-checker approvals (issue 21), enforced here. People in payout_desk_approver approve or
-- reject a payout its preparer confirmed; the rules (per currency with a catch-all '*', amount tiers, optionally
-- per preparer) fix at confirmation how many approvals it needs, stored with it. A payout needing none is
-- 'confirmed' as before; one needing some is 'awaiting_approval' (body and key journaled then, never sent) and
-- becomes 'confirmed' in the transaction of its last required approval. It closes unsent as
-- 'approval_rejected' (a reason is required), 'withdrawn' (its preparer) or 'expired' (team setting, default 7
-- days). Expiry runs in claim_payout (every agent claim first closes what is overdue) and by expire_overdue();
-- claim_payout also re-checks that a claimed payout's approvals are complete and came before its expiry.
-- Rules, the expiry and the retype thresholds change only by the app's admins, audited (old, new, who, when).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'payout_desk_approver') THEN
        CREATE ROLE payout_desk_approver NOLOGIN;
    END IF;
END
$$;

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- An approver reads what a viewer reads.
GRANT SELECT ON payouts, events, team_settings, schema_migrations, payout_status_counts TO payout_desk_approver;
CREATE POLICY approvers_read ON payouts FOR SELECT TO payout_desk_approver USING (true);
CREATE POLICY approvers_read ON events FOR SELECT TO payout_desk_approver USING (true);
CREATE POLICY approvers_read ON team_settings FOR SELECT TO payout_desk_approver USING (true);
CREATE POLICY approvers_read ON payout_status_counts FOR SELECT TO payout_desk_approver USING (true);
DO $$
BEGIN  -- the agent-watch migration grants its desk hint only to the roles that existed then
    IF to_regprocedure('payout_desk.hint_poll(bigint, text)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION payout_desk.hint_poll(bigint, text) TO payout_desk_approver;
    END IF;
END
$$;

-- The rules: one row per tier. A payout of currency C and amount A prepared by P needs the larger of
--   general:  among the tiers of C for everyone (or, when C has none, those of '*'), the one with the greatest
--             amount_from <= A;
--   personal: the same among the tiers for P alone (of C, or else of '*');
-- no tier: 0. A preparer's own tiers can only add approvals, never lower the general rule. amount_from is scaled
-- x 10^4 as payouts.amount_scaled. A tier of 0 approvers is no tier (set-rule --approvers 0 deletes it), so a
-- fresh database, with none, asks no approval of anything ('*' from 0 -> 0).
CREATE TABLE approval_rules (
    currency           text        NOT NULL CHECK (currency ~ '^([A-Z]{3}|\*)$'),
    amount_from_scaled bigint      NOT NULL CHECK (amount_from_scaled >= 0),
    preparer           text        NOT NULL DEFAULT '',  -- '': everyone
    approvers          integer     NOT NULL CHECK (approvers BETWEEN 1 AND 20),
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by         text        NOT NULL DEFAULT session_user,
    PRIMARY KEY (currency, preparer, amount_from_scaled)
);

-- Team settings of the approvals: the days a payout may wait, and the retype thresholds (currency -> amount
-- text, from which a person types the amount again; a currency missing here uses the app's default).
ALTER TABLE team_settings
    ADD COLUMN approval_expiry_days integer NOT NULL DEFAULT 7 CHECK (approval_expiry_days BETWEEN 1 AND 365),
    ADD COLUMN retype_thresholds    jsonb   NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(retype_thresholds) = 'object');

-- What confirmation fixed: approvals needed, and until when. Immutable afterwards.
ALTER TABLE payouts
    ADD COLUMN approvals_required  integer     NOT NULL DEFAULT 0 CHECK (approvals_required >= 0),
    ADD COLUMN approval_expires_at timestamptz;
CREATE TRIGGER payouts_approvals_immutable BEFORE UPDATE OF approvals_required, approval_expires_at ON payouts
    FOR EACH ROW WHEN ((old.approvals_required, old.approval_expires_at)
                       IS DISTINCT FROM (new.approvals_required, new.approval_expires_at))
    EXECUTE FUNCTION refuse_change('the approvals a payout needs are fixed at its confirmation');
CREATE INDEX payouts_awaiting ON payouts (approval_expires_at, local_id) WHERE status = 'awaiting_approval';

-- One decision per person and payout (the primary key): approved, or rejected with a reason. Append-only.
CREATE TABLE approvals (
    local_id  bigint      NOT NULL REFERENCES payouts (local_id),
    approver  text        NOT NULL,
    at        timestamptz NOT NULL,
    approved  boolean     NOT NULL,
    reason    text        CHECK (approved OR length(btrim(reason)) > 0),
    body_hash text        NOT NULL CHECK (body_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (local_id, approver)
);
CREATE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON approvals
    FOR EACH ROW EXECUTE FUNCTION refuse_change('approvals are append-only');
CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON approvals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('approvals are append-only');

-- Whatever writes a payout: it leaves awaiting_approval only for confirmed (with every approval, before its
-- expiry), approval_rejected, withdrawn or expired, and nothing moves a closed payout.
CREATE FUNCTION guard_approval_status() RETURNS trigger
LANGUAGE plpgsql SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF OLD.status IN ('approval_rejected', 'withdrawn', 'expired') THEN
        RAISE EXCEPTION 'payout % is closed (%): it never changes again', OLD.local_id, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'awaiting_approval' THEN
        RAISE EXCEPTION 'payout % cannot go back to awaiting approval', OLD.local_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'awaiting_approval' THEN
        IF NEW.status NOT IN ('confirmed', 'approval_rejected', 'withdrawn', 'expired') THEN
            RAISE EXCEPTION 'payout % awaits approval: it cannot become %', OLD.local_id, NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status = 'confirmed' AND NOT approvals_complete(OLD.local_id, OLD.approvals_required,
                                                               OLD.approval_expires_at) THEN
            RAISE EXCEPTION 'payout % does not have its % approvals', OLD.local_id, OLD.approvals_required
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- True when the payout has its required approvals, each made before its expiry (no expiry: none needed).
CREATE FUNCTION approvals_complete(p_local_id bigint, p_required integer, p_expires_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    SELECT p_required = 0 OR (SELECT count(*) FROM approvals a
                               WHERE a.local_id = p_local_id AND a.approved AND a.at < p_expires_at) >= p_required
$$;

CREATE TRIGGER payouts_approval_status BEFORE UPDATE OF status ON payouts
    FOR EACH ROW EXECUTE FUNCTION guard_approval_status();

-- Approvals a payout needs (see approval_rules).
CREATE FUNCTION required_approvals(p_currency text, p_amount_scaled bigint, p_preparer text) RETURNS integer
LANGUAGE sql STABLE SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    WITH scoped AS (
        SELECT r.*, (r.preparer = '') AS general FROM approval_rules r
         WHERE r.currency IN (p_currency, '*') AND r.preparer IN ('', p_preparer)
    ), chosen AS (  -- per scope (general, personal): the currency's own tiers, or else the catch-all's
        SELECT s.* FROM scoped s
         WHERE s.currency = p_currency
            OR NOT EXISTS (SELECT FROM scoped o WHERE o.general = s.general AND o.currency = p_currency)
    ), tiers AS (
        SELECT DISTINCT ON (c.general) c.approvers FROM chosen c
         WHERE c.amount_from_scaled <= p_amount_scaled
         ORDER BY c.general, c.amount_from_scaled DESC
    )
    SELECT coalesce(max(t.approvers), 0) FROM tiers t
$$;

-- A refusal of the approvals flow, in plain words (SQLSTATE PDA01: ApprovalRefusedError in the app).
CREATE FUNCTION refuse_approval(p_message text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '%', p_message USING ERRCODE = 'PDA01';
END
$$;

-- The payout row for a decision (under the events lock), when it still awaits approval and has not expired.
CREATE FUNCTION awaiting_payout(p_local_id bigint) RETURNS payouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_row payouts := lock_payout(p_local_id);
BEGIN
    IF v_row.status <> 'awaiting_approval' THEN
        PERFORM refuse_approval(format('Payout %s is not awaiting approval any more (it is %s).',
                                       p_local_id, replace(v_row.status, '_', ' ')));
    END IF;
    IF v_row.approval_expires_at <= clock_timestamp() THEN
        PERFORM refuse_approval(format('Payout %s expired on %s without its approvals: it will never be sent.',
                                       p_local_id, to_char(v_row.approval_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')));
    END IF;
    RETURN v_row;
END
$$;

-- A preparer confirms a payout (as in version 12): status awaiting_approval when the rules ask approvals of it
-- (required and expiry stored with it), confirmed otherwise. A closed payout's reference is free again.
DROP INDEX payouts_reference;
CREATE UNIQUE INDEX payouts_reference ON payouts (connection_id, external_id)
    WHERE connection_id IS NOT NULL AND external_id IS NOT NULL
      AND status NOT IN ('rejected', 'approval_rejected', 'withdrawn', 'expired');

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

-- An approver approves the body they were shown (p_body_hash: sha256 hex of the confirmed body's text). Refused
-- (PDA01) for its preparer, a second decision by the same person, another body, a payout no longer waiting or
-- expired. The last required approval makes it confirmed (sendable) in this transaction. Returns the status.
CREATE FUNCTION approve(p_local_id bigint, p_body_hash text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_approver');
    v_row payouts := awaiting_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
    v_count integer;
    v_detail jsonb;
BEGIN
    IF v_row.created_by = v_actor THEN
        PERFORM refuse_approval(format('You prepared payout %s: someone else must approve it.', p_local_id));
    END IF;
    IF EXISTS (SELECT FROM approvals WHERE local_id = p_local_id AND approver = v_actor) THEN
        PERFORM refuse_approval(format('You already decided on payout %s: one person counts once.', p_local_id));
    END IF;
    IF p_body_hash IS DISTINCT FROM sha256_hex(v_row.request_body) THEN
        PERFORM refuse_approval(format('The payout %s you were shown is not the one its preparer confirmed: '
                                       'open it again before approving.', p_local_id));
    END IF;
    INSERT INTO approvals (local_id, approver, at, approved, reason, body_hash)
    VALUES (p_local_id, v_actor, v_now, true, NULL, p_body_hash);
    SELECT count(*) INTO v_count FROM approvals WHERE local_id = p_local_id AND approved;
    v_detail := jsonb_build_object('approvals', v_count, 'required', v_row.approvals_required,
                                   'body_sha256', p_body_hash);
    IF v_count >= v_row.approvals_required THEN
        UPDATE payouts SET status = 'confirmed', updated_at = v_now WHERE local_id = p_local_id;
        v_detail := v_detail || jsonb_build_object('old', v_row.status, 'new', 'confirmed');
    END IF;
    PERFORM append_event(p_local_id, v_now, 'approval_granted', v_actor, v_detail);
    RETURN CASE WHEN v_count >= v_row.approvals_required THEN 'confirmed' ELSE v_row.status END;
END
$$;

-- An approver rejects a waiting payout with a reason (shown to its preparer): closed, never sent.
CREATE FUNCTION reject(p_local_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_approver');
    v_reason text := btrim(p_reason);
    v_row payouts;
    v_now timestamptz := clock_timestamp();
BEGIN
    IF coalesce(v_reason, '') = '' THEN
        PERFORM refuse_approval('A rejection needs a reason: its preparer reads it.');
    END IF;
    IF length(v_reason) > 500 THEN
        PERFORM refuse_approval('A rejection''s reason is at most 500 characters.');
    END IF;
    v_row := awaiting_payout(p_local_id);
    IF v_row.created_by = v_actor THEN
        PERFORM refuse_approval(format('You prepared payout %s: withdraw it instead of rejecting it.', p_local_id));
    END IF;
    IF EXISTS (SELECT FROM approvals WHERE local_id = p_local_id AND approver = v_actor) THEN
        PERFORM refuse_approval(format('You already decided on payout %s: one person counts once.', p_local_id));
    END IF;
    INSERT INTO approvals (local_id, approver, at, approved, reason, body_hash)
    VALUES (p_local_id, v_actor, v_now, false, v_reason, sha256_hex(v_row.request_body));
    UPDATE payouts SET status = 'approval_rejected', last_error = v_reason, updated_at = v_now
     WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'approval_rejected', v_actor, jsonb_build_object(
        'reason', v_reason, 'old', v_row.status, 'new', 'approval_rejected'));
END
$$;

-- Its preparer takes back a payout still awaiting approval: closed, never sent.
CREATE FUNCTION withdraw(p_local_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_preparer');
    v_row payouts := lock_payout(p_local_id);
    v_now timestamptz := clock_timestamp();
BEGIN
    IF v_row.created_by <> v_actor THEN
        PERFORM refuse_approval(format('Only %s, who prepared payout %s, may withdraw it.', v_row.created_by,
                                       p_local_id));
    END IF;
    IF v_row.status <> 'awaiting_approval' THEN
        PERFORM refuse_approval(format('Payout %s is not awaiting approval (it is %s): it cannot be withdrawn.',
                                       p_local_id, replace(v_row.status, '_', ' ')));
    END IF;
    UPDATE payouts SET status = 'withdrawn', updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'withdrawn', v_actor, jsonb_build_object(
        'old', v_row.status, 'new', 'withdrawn'));
END
$$;

-- Close every payout whose approvals did not come in time; how many. Anyone of the team may run it (it only
-- does what the clock says); every agent claim runs it first.
CREATE FUNCTION expire_overdue() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_row payouts;
    v_now timestamptz;
    v_count integer := 0;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles g
                   WHERE g.rolname IN ('payout_desk_preparer', 'payout_desk_approver', 'payout_desk_viewer',
                                       'payout_desk_admin', 'payout_desk_agent')
                     AND pg_has_role(session_user, g.oid, 'USAGE')) THEN
        RAISE EXCEPTION '% is not in a Payout Desk role', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT FROM payouts WHERE status = 'awaiting_approval' AND approval_expires_at <= clock_timestamp())
    THEN
        RETURN 0;  -- the usual case: no events lock taken
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    v_now := clock_timestamp();
    FOR v_row IN SELECT * FROM payouts WHERE status = 'awaiting_approval' AND approval_expires_at <= v_now
                 ORDER BY local_id FOR UPDATE
    LOOP
        UPDATE payouts SET status = 'expired', updated_at = v_now WHERE local_id = v_row.local_id;
        PERFORM append_event(v_row.local_id, v_now, 'expired', session_user::text, jsonb_build_object(
            'expired_at', v_row.approval_expires_at, 'approvals', (SELECT count(*) FROM approvals a
                                                                    WHERE a.local_id = v_row.local_id AND a.approved),
            'required', v_row.approvals_required, 'old', v_row.status, 'new', 'expired'));
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- The agent's claim (version 14), closing overdue payouts first, and claiming only a payout whose approvals are
-- complete and came before its expiry (the status alone says so; this holds even if a row were wrong).
CREATE OR REPLACE FUNCTION claim_payout(p_connection_id text, p_instance text, p_lease_seconds double precision)
RETURNS TABLE (claimed_id bigint, generation bigint, expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
BEGIN
    IF p_lease_seconds IS NULL OR NOT (p_lease_seconds > 0 AND p_lease_seconds <= 3600) THEN
        RAISE EXCEPTION 'a lease lasts more than 0 and at most 3600 seconds, not %', p_lease_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(p_instance, '') = '' OR coalesce(p_connection_id, '') = '' THEN
        RAISE EXCEPTION 'a claim names its connection and agent instance' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM expire_overdue();
    RETURN QUERY
    UPDATE payouts AS p
       SET lease_generation = p.lease_generation + 1, lease_holder = v_actor, lease_instance = p_instance,
           lease_expires_at = now() + make_interval(secs => p_lease_seconds), send_after = NULL
     WHERE p.local_id = (
            SELECT c.local_id FROM payouts AS c
             WHERE c.connection_id = p_connection_id AND c.status IN ('confirmed', 'outcome_unknown')
               AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= now())
               AND (c.send_after IS NULL OR c.send_after <= now())
               AND approvals_complete(c.local_id, c.approvals_required, c.approval_expires_at)
             ORDER BY c.created_at, c.local_id
             LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.local_id, p.lease_generation, p.lease_expires_at;
END
$$;

-- Admins change the rules: one tier (approvers 0 deletes it), audited with the old and new values. Under the
-- events lock, so a confirmation sees the rules either before or after the change. Returns the old approvers.
CREATE FUNCTION set_approval_rule(p_currency text, p_amount_from text, p_approvers integer, p_preparer text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_preparer text := coalesce(p_preparer, '');
    v_scaled bigint;
    v_old integer;
BEGIN
    IF p_currency IS NULL OR p_currency !~ '^([A-Z]{3}|\*)$' THEN
        RAISE EXCEPTION 'a rule''s currency is a three-letter code or *, not %', left(p_currency, 20)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_amount_from IS NULL OR p_amount_from !~ '^[0-9]{1,10}(\.[0-9]{1,4})?$' THEN
        RAISE EXCEPTION 'a rule''s amount is a plain decimal of zero or more, not %', left(p_amount_from, 30)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_approvers IS NULL OR p_approvers NOT BETWEEN 0 AND 20 THEN
        RAISE EXCEPTION 'a rule asks 0 to 20 approvers, not %', p_approvers USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_scaled := (p_amount_from::numeric * 10000)::bigint;
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);
    SELECT approvers INTO v_old FROM approval_rules
     WHERE currency = p_currency AND preparer = v_preparer AND amount_from_scaled = v_scaled FOR UPDATE;
    IF p_approvers = 0 THEN
        DELETE FROM approval_rules WHERE currency = p_currency AND preparer = v_preparer AND amount_from_scaled = v_scaled;
    ELSE
        INSERT INTO approval_rules AS r (currency, amount_from_scaled, preparer, approvers)
        VALUES (p_currency, v_scaled, v_preparer, p_approvers)
        ON CONFLICT (currency, preparer, amount_from_scaled) DO UPDATE
            SET approvers = excluded.approvers, updated_at = clock_timestamp(), updated_by = v_actor;
    END IF;
    INSERT INTO admin_audit (actor, action, detail) VALUES (v_actor, 'set-rule', jsonb_build_object(
        'currency', p_currency, 'from', p_amount_from, 'preparer', nullif(v_preparer, ''),
        'old', coalesce(v_old, 0), 'new', p_approvers));
    RETURN coalesce(v_old, 0);
END
$$;

CREATE FUNCTION set_approval_expiry(p_days integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_old integer;
BEGIN
    IF p_days IS NULL OR p_days NOT BETWEEN 1 AND 365 THEN
        RAISE EXCEPTION 'payouts wait 1 to 365 days for their approvals, not %', p_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT approval_expiry_days INTO v_old FROM team_settings FOR UPDATE;
    UPDATE team_settings SET approval_expiry_days = p_days, updated_at = clock_timestamp(), updated_by = v_actor;
    INSERT INTO admin_audit (actor, action, detail)
    VALUES (v_actor, 'set-expiry', jsonb_build_object('old', v_old, 'new', p_days));
    RETURN v_old;
END
$$;

-- p_amount NULL: back to the app's default for that currency.
CREATE FUNCTION set_retype_threshold(p_currency text, p_amount text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_old jsonb;
BEGIN
    IF p_currency IS NULL OR p_currency !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'a retype threshold''s currency is a three-letter code, not %', left(p_currency, 20)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_amount IS NOT NULL AND p_amount !~ '^[0-9]{1,10}(\.[0-9]{1,4})?$' THEN
        RAISE EXCEPTION 'a retype threshold is a plain decimal of zero or more, not %', left(p_amount, 30)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT retype_thresholds INTO v_old FROM team_settings FOR UPDATE;
    UPDATE team_settings
       SET retype_thresholds = CASE WHEN p_amount IS NULL THEN v_old - p_currency
                                    ELSE v_old || jsonb_build_object(p_currency, p_amount) END,
           updated_at = clock_timestamp(), updated_by = v_actor;
    INSERT INTO admin_audit (actor, action, detail) VALUES (v_actor, 'set-retype-threshold', jsonb_build_object(
        'currency', p_currency, 'old', v_old -> p_currency, 'new', p_amount));
END
$$;

ALTER TABLE approval_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE approvals ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON approval_rules, approvals
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent, payout_desk_approver;
CREATE POLICY team_reads ON approval_rules FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent, payout_desk_approver
    USING (true);
CREATE POLICY team_reads ON approvals FOR SELECT
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent, payout_desk_approver
    USING (true);

REVOKE ALL ON FUNCTION guard_approval_status(), approvals_complete(bigint, integer, timestamptz),
                       required_approvals(text, bigint, text), refuse_approval(text), awaiting_payout(bigint),
                       approve(bigint, text), reject(bigint, text), withdraw(bigint), expire_overdue(),
                       set_approval_rule(text, text, integer, text), set_approval_expiry(integer),
                       set_retype_threshold(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approve(bigint, text), reject(bigint, text) TO payout_desk_approver;
GRANT EXECUTE ON FUNCTION withdraw(bigint) TO payout_desk_preparer;
GRANT EXECUTE ON FUNCTION expire_overdue()
    TO payout_desk_preparer, payout_desk_approver, payout_desk_viewer, payout_desk_admin, payout_desk_agent;
GRANT EXECUTE ON FUNCTION set_approval_rule(text, text, integer, text), set_approval_expiry(integer),
                          set_retype_threshold(text, text)
    TO payout_desk_admin;
