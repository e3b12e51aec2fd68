-- Team journal: the agent's guards after the audit (F20, F22, F27).
-- * claim_payout claims nothing for a connection that is not the identity of the team's CURRENT provider
--   (team_settings.provider_base_url): once an administrator changes the provider, an agent still running with
--   the old one claims nothing more (payouts confirmed for the old provider wait for an administrator's decision).
-- * record_reconciled takes only the two documented decisions: found:<payment id> (the status stays
--   needs_reconciliation until the payment is recorded) by a preparer, and not_found (back to outcome_unknown:
--   sent again) by an administrator alone, with a reason, recorded in admin_audit too.
-- * payouts.status holds only the known statuses (domain/status.py KNOWN_STATUSES); rows already there are checked
--   when they all fit (NOT VALID otherwise: new writes are held to it either way).
-- * withdraw refuses a payout past its approval expiry, as approve and reject do.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- A base URL as provider.urls.normalize_base_url writes it: scheme and host lower case, no trailing slash.
CREATE FUNCTION normalized_base_url(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT lower(substring(p_url FROM '^[^:/]+://[^/]*'))
        || rtrim(coalesce(substring(p_url FROM '^[^:/]+://[^/]*(/.*)$'), ''), '/')
$$;

-- Whether p_connection_id is the connection identity of the team's current provider (services.team.team_identity:
-- environment|endpoint|team|Team); false when the team has no provider.
CREATE FUNCTION is_team_connection(p_connection_id text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    SELECT coalesce((
        SELECT s.provider_base_url IS NOT NULL
           AND split_part(p_connection_id, '|', 1) IN ('sandbox', 'live')
           AND p_connection_id = split_part(p_connection_id, '|', 1) || '|'
                                 || normalized_base_url(s.provider_base_url) || '|team|Team'
          FROM team_settings AS s), false)
$$;

-- The agent's claim (version 16), refusing a connection that is not the team's current provider's: nothing is
-- claimed then (the agent re-reads the team's provider and stops on its own).
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
    IF NOT is_team_connection(p_connection_id) THEN
        RETURN;  -- not the team's provider (any more): nothing of it is sent
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

-- A person's reconciliation (version 13), limited to its two decisions. A resend (not_found) is an administrator's,
-- with a reason, and recorded in admin_audit as well as in the payout's events.
CREATE OR REPLACE FUNCTION record_reconciled(p_local_id bigint, p_decision text, p_reason text, p_back_to text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text;
    v_row payouts;
    v_now timestamptz;
BEGIN
    IF p_decision LIKE 'found:_%' AND p_back_to = 'needs_reconciliation' THEN
        v_actor := actor_in('payout_desk_preparer');
    ELSIF p_decision = 'not_found' AND p_back_to = 'outcome_unknown' THEN
        IF NOT pg_catalog.pg_has_role(session_user, 'payout_desk_admin', 'USAGE') THEN
            RAISE EXCEPTION 'Only an administrator (payout_desk_admin) may decide that payout % was not found at '
                'the provider and send it again; % may not.', p_local_id, session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        v_actor := actor_in('payout_desk_admin');
        IF coalesce(btrim(p_reason), '') = '' THEN
            RAISE EXCEPTION 'a decision to send payout % again needs a reason', p_local_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSE
        RAISE EXCEPTION 'a reconciliation is found:<payment id> (stays needs_reconciliation) or not_found (back to '
            'outcome_unknown), not % to %', p_decision, p_back_to USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_row := lock_payout(p_local_id);
    v_now := clock_timestamp();
    IF v_row.status <> 'needs_reconciliation' THEN
        RAISE EXCEPTION 'payout % does not need reconciliation (it is %)', p_local_id, v_row.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE payouts SET status = p_back_to, updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'reconciled', v_actor, jsonb_build_object(
        'decision', p_decision, 'reason', p_reason, 'old', v_row.status, 'new', p_back_to));
    IF p_back_to = 'outcome_unknown' THEN
        INSERT INTO admin_audit (actor, action, detail) VALUES (v_actor, 'reconcile-send-again', jsonb_build_object(
            'local_id', p_local_id, 'decision', p_decision, 'reason', p_reason, 'old', v_row.status,
            'new', p_back_to, 'connection', v_row.connection_id));
    END IF;
END
$$;

-- The statuses of domain/status.py (KNOWN_STATUSES), and no others.
ALTER TABLE payouts ADD CONSTRAINT payouts_status_known CHECK (status IN (
    'confirmed', 'outcome_unknown', 'rejected', 'pending', 'succeeded', 'failed', 'created', 'mismatch',
    'needs_reconciliation', 'awaiting_approval', 'approval_rejected', 'withdrawn', 'expired')) NOT VALID;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM payouts WHERE status NOT IN (
        'confirmed', 'outcome_unknown', 'rejected', 'pending', 'succeeded', 'failed', 'created', 'mismatch',
        'needs_reconciliation', 'awaiting_approval', 'approval_rejected', 'withdrawn', 'expired')) THEN
        ALTER TABLE payouts VALIDATE CONSTRAINT payouts_status_known;
    END IF;
END
$$;

-- Its preparer takes back a payout still awaiting approval and not expired (version 16 took an expired one too).
CREATE OR REPLACE FUNCTION withdraw(p_local_id bigint) RETURNS void
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
    IF v_row.approval_expires_at <= v_now THEN
        PERFORM refuse_approval(format('Payout %s expired on %s without its approvals: it will never be sent, '
                                       'and there is nothing to withdraw.', p_local_id,
                                       to_char(v_row.approval_expires_at AT TIME ZONE 'UTC',
                                               'YYYY-MM-DD HH24:MI "UTC"')));
    END IF;
    UPDATE payouts SET status = 'withdrawn', updated_at = v_now WHERE local_id = p_local_id;
    PERFORM append_event(p_local_id, v_now, 'withdrawn', v_actor, jsonb_build_object(
        'old', v_row.status, 'new', 'withdrawn'));
END
$$;

REVOKE ALL ON FUNCTION normalized_base_url(text), is_team_connection(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_reconciled(bigint, text, text, text) TO payout_desk_admin;
