-- Team journal: the agent's watching half (issue 19). Desks' poll hints (hint_poll, NOTIFY payout_desk_hints),
-- the provider's webhooks kept first (unique webhook id: the durable replay guard), and record_status refusing a
-- provider answer that would move a payout backwards (a final payout back to open, or created back to pending):
-- two agents' GETs (a poll and a webhook's wake-up) can land in either order.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- One row per payout and reason: the last hint, so repeats within a second are coalesced (no NOTIFY flood).
CREATE TABLE poll_hints (
    local_id  bigint      NOT NULL REFERENCES payouts (local_id),
    reason    text        NOT NULL CHECK (reason IN ('selected', 'checkin_completed')),
    actor     text        NOT NULL,
    hinted_at timestamptz NOT NULL,
    hints     bigint      NOT NULL DEFAULT 1,
    PRIMARY KEY (local_id, reason)
);
ALTER TABLE poll_hints ENABLE ROW LEVEL SECURITY;

-- A desk's hint: a payout was selected, or its checkin just completed. Only a payout the provider holds and has
-- not finished is hinted (false otherwise, nothing kept); a repeat of the same hint within a second is
-- coalesced (false). The agent holding the poll lock hears NOTIFY payout_desk_hints 'local_id:reason'.
CREATE FUNCTION hint_poll(p_local_id bigint, p_reason text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
    v_hinted bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles g
                   WHERE g.rolname IN ('payout_desk_preparer', 'payout_desk_viewer', 'payout_desk_approver')
                     AND pg_has_role(session_user, g.oid, 'USAGE')) THEN
        RAISE EXCEPTION '% may not hint the agent''s polls', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_reason IS NULL OR p_reason NOT IN ('selected', 'checkin_completed') THEN
        RAISE EXCEPTION 'a poll hint''s reason is selected or checkin_completed, not %', left(p_reason, 40)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM payouts WHERE local_id = p_local_id AND payment_id IS NOT NULL
                                         AND status IN ('pending', 'created')) THEN
        RETURN false;
    END IF;
    INSERT INTO poll_hints AS h (local_id, reason, actor, hinted_at) VALUES (p_local_id, p_reason, session_user, v_now)
    ON CONFLICT (local_id, reason) DO UPDATE
        SET actor = excluded.actor, hinted_at = excluded.hinted_at, hints = h.hints + 1
        WHERE h.hinted_at <= excluded.hinted_at - interval '1 second'
    RETURNING h.local_id INTO v_hinted;
    IF v_hinted IS NULL THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('payout_desk_hints', p_local_id::text || ':' || p_reason);
    RETURN true;
END
$$;

-- The provider's webhooks, each kept once (its webhook-id), body verbatim, before anything else is done.
CREATE TABLE webhooks (
    webhook_id  text        PRIMARY KEY CHECK (length(webhook_id) BETWEEN 1 AND 200),
    received_at timestamptz NOT NULL,
    received_by text        NOT NULL,
    payment_id  text        CHECK (length(payment_id) <= 200),
    local_id    bigint      REFERENCES payouts (local_id),  -- NULL: a payment this team does not hold
    body        text        NOT NULL CHECK (octet_length(body) <= 1000000),
    deliveries  integer     NOT NULL DEFAULT 1              -- the provider's retries of the same webhook-id
);
CREATE INDEX webhooks_local_id ON webhooks (local_id) WHERE local_id IS NOT NULL;
ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY agents_read ON webhooks FOR SELECT TO payout_desk_agent, payout_desk_admin USING (true);
GRANT SELECT ON webhooks TO payout_desk_agent, payout_desk_admin;

-- A verified webhook, kept first. fresh: its id was new (a replay only counts a delivery). For a new webhook of
-- a payment this team holds, the agent holding the poll lock is woken (NOTIFY payout_desk_hints
-- 'local_id:webhook') and GETs the payment: the webhook's body itself is never applied.
CREATE FUNCTION store_webhook(p_webhook_id text, p_payment_id text, p_body text)
RETURNS TABLE (payout_id bigint, fresh boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_local bigint;
    v_stored text;
BEGIN
    SELECT p.local_id INTO v_local FROM payouts p WHERE p.payment_id = p_payment_id ORDER BY p.local_id LIMIT 1;
    INSERT INTO webhooks (webhook_id, received_at, received_by, payment_id, local_id, body)
    VALUES (p_webhook_id, clock_timestamp(), v_actor, p_payment_id, v_local, p_body)
    ON CONFLICT (webhook_id) DO NOTHING
    RETURNING webhook_id INTO v_stored;
    IF v_stored IS NULL THEN
        UPDATE webhooks w SET deliveries = w.deliveries + 1 WHERE w.webhook_id = p_webhook_id
        RETURNING w.local_id INTO v_local;
        RETURN QUERY SELECT v_local, false;
        RETURN;
    END IF;
    IF v_local IS NOT NULL THEN
        PERFORM pg_notify('payout_desk_hints', v_local::text || ':webhook');
    END IF;
    RETURN QUERY SELECT v_local, true;
END
$$;

-- A status read from the provider (version 8's rules), now never backwards: an answer older than the one
-- recorded (a final payout answered open again, a created one answered pending) changes nothing. succeeded <->
-- failed stays possible (a bank return), as on the desk (domain.answers.is_stale).
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
    IF (v_row.status IN ('succeeded', 'failed') AND v_new NOT IN ('succeeded', 'failed'))
       OR (v_row.status = 'created' AND v_new = 'pending') THEN
        RETURN false;  -- stale: read before the answer already recorded
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

REVOKE ALL ON FUNCTION hint_poll(bigint, text), store_webhook(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hint_poll(bigint, text) TO payout_desk_preparer, payout_desk_viewer;
GRANT EXECUTE ON FUNCTION store_webhook(text, text, text) TO payout_desk_agent;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'payout_desk_approver') THEN
        GRANT EXECUTE ON FUNCTION payout_desk.hint_poll(bigint, text) TO payout_desk_approver;
    END IF;
END
$$;
