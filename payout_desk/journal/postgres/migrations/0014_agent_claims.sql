-- Team journal: the agent's claims, leases and fencing (issue 19, sending). An agent claims one unsent payout
-- of its connection (FOR UPDATE SKIP LOCKED) with a lease timed by the database's now() and a fencing generation;
-- every write of its send path names that generation (fenced_* functions) and is refused with SQLSTATE PDL01 when
-- another claim came since or the lease ran out. The unfenced send-path functions are no agent's any more.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

ALTER TABLE payouts
    ADD COLUMN lease_generation bigint      NOT NULL DEFAULT 0 CHECK (lease_generation >= 0),  -- claims so far
    ADD COLUMN lease_holder     text,        -- the agent's login while claimed
    ADD COLUMN lease_instance   text,        -- which agent process of that login
    ADD COLUMN lease_expires_at timestamptz, -- the database's time the claim runs out
    ADD COLUMN send_after       timestamptz; -- an unanswered payout waits until then before its next claim

-- What the claim walks: a connection's unsent payouts, oldest first.
CREATE INDEX payouts_unsent ON payouts (connection_id, created_at, local_id)
    WHERE status IN ('confirmed', 'outcome_unknown');

-- Claim the oldest unsent payout of p_connection_id that is not under a live lease and not waiting for its
-- resend time; none (no row) when there is nothing to claim. Rows another transaction holds are skipped.
CREATE FUNCTION claim_payout(p_connection_id text, p_instance text, p_lease_seconds double precision)
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
    RETURN QUERY
    UPDATE payouts AS p
       SET lease_generation = p.lease_generation + 1, lease_holder = v_actor, lease_instance = p_instance,
           lease_expires_at = now() + make_interval(secs => p_lease_seconds), send_after = NULL
     WHERE p.local_id = (
            SELECT c.local_id FROM payouts AS c
             WHERE c.connection_id = p_connection_id AND c.status IN ('confirmed', 'outcome_unknown')
               AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= now())
               AND (c.send_after IS NULL OR c.send_after <= now())
             ORDER BY c.created_at, c.local_id
             LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.local_id, p.lease_generation, p.lease_expires_at;
END
$$;

-- The caller's live claim of p_local_id under the events lock: the row when p_generation is the payout's
-- current claim, held by this login and not run out; PDL01 otherwise (nothing written).
CREATE FUNCTION leased_payout(p_local_id bigint, p_generation bigint) RETURNS payouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_row payouts := lock_payout(p_local_id);
BEGIN
    IF v_row.lease_generation IS DISTINCT FROM p_generation OR v_row.lease_holder IS DISTINCT FROM session_user::text
       OR v_row.lease_expires_at IS NULL OR v_row.lease_expires_at <= now() THEN
        RAISE EXCEPTION 'claim % of payout % is no longer held (current claim %, %)', p_generation, p_local_id,
            v_row.lease_generation, CASE WHEN v_row.lease_expires_at > now() THEN 'live' ELSE 'run out' END
            USING ERRCODE = 'PDL01';
    END IF;
    RETURN v_row;
END
$$;

-- Extend a live claim by p_lease_seconds from now; PDL01 when it is no longer the caller's. Takes only the row.
CREATE FUNCTION renew_lease(p_local_id bigint, p_generation bigint, p_lease_seconds double precision)
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
    v_until timestamptz;
BEGIN
    IF p_lease_seconds IS NULL OR NOT (p_lease_seconds > 0 AND p_lease_seconds <= 3600) THEN
        RAISE EXCEPTION 'a lease lasts more than 0 and at most 3600 seconds, not %', p_lease_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE payouts SET lease_expires_at = now() + make_interval(secs => p_lease_seconds)
     WHERE local_id = p_local_id AND lease_generation = p_generation AND lease_holder = v_actor
       AND lease_expires_at > now()
    RETURNING lease_expires_at INTO v_until;
    IF v_until IS NULL THEN
        RAISE EXCEPTION 'claim % of payout % is no longer held', p_generation, p_local_id USING ERRCODE = 'PDL01';
    END IF;
    RETURN v_until;
END
$$;

-- Give a claim up; an unanswered payout waits p_retry_after seconds (0: none) before anyone claims it again.
-- PDL01 when another claim came since (a claim that merely ran out may still be released).
CREATE FUNCTION release_payout(p_local_id bigint, p_generation bigint, p_retry_after double precision)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_agent');
BEGIN
    UPDATE payouts SET lease_holder = NULL, lease_instance = NULL, lease_expires_at = NULL,
                       send_after = CASE WHEN p_retry_after > 0
                                         THEN now() + make_interval(secs => least(p_retry_after, 86400)) END
     WHERE local_id = p_local_id AND lease_generation = p_generation AND lease_holder = v_actor;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'claim % of payout % is no longer held', p_generation, p_local_id USING ERRCODE = 'PDL01';
    END IF;
END
$$;

-- The send path's writes, each under the caller's live claim (leased_payout) in the same transaction; the
-- write itself is the unfenced function's (which the owner keeps calling; no agent may any more).
CREATE FUNCTION fenced_record_attempt_started(p_local_id bigint, p_generation bigint, p_number integer,
                                              p_keyed boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_attempt_started(p_local_id, p_number, p_keyed);
END
$$;

CREATE FUNCTION fenced_record_attempt(p_local_id bigint, p_generation bigint, p_number integer, p_status_code integer,
                                      p_error text, p_duration_ms double precision, p_ambiguous boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_attempt(p_local_id, p_number, p_status_code, p_error, p_duration_ms, p_ambiguous);
END
$$;

CREATE FUNCTION fenced_record_created(p_local_id bigint, p_generation bigint, p_payment_id text, p_checkin_url text,
                                      p_status text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_created(p_local_id, p_payment_id, p_checkin_url, p_status);
END
$$;

CREATE FUNCTION fenced_record_outcome_unknown(p_local_id bigint, p_generation bigint, p_message text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_outcome_unknown(p_local_id, p_message);
END
$$;

CREATE FUNCTION fenced_record_rejected(p_local_id bigint, p_generation bigint, p_code text, p_message text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_rejected(p_local_id, p_code, p_message);
END
$$;

CREATE FUNCTION fenced_record_mismatch(p_local_id bigint, p_generation bigint, p_problems text[], p_answer text,
                                       p_source text, p_message text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_mismatch(p_local_id, p_problems, p_answer, p_source, p_message);
END
$$;

CREATE FUNCTION fenced_record_needs_reconciliation(p_local_id bigint, p_generation bigint, p_message text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM record_needs_reconciliation(p_local_id, p_message);
END
$$;

CREATE FUNCTION fenced_mark_ambiguous(p_local_id bigint, p_generation bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM actor_in('payout_desk_agent');
    PERFORM leased_payout(p_local_id, p_generation);
    PERFORM mark_ambiguous(p_local_id, p_reason);
END
$$;

REVOKE ALL ON FUNCTION claim_payout(text, text, double precision), leased_payout(bigint, bigint),
                       renew_lease(bigint, bigint, double precision), release_payout(bigint, bigint, double precision),
                       fenced_record_attempt_started(bigint, bigint, integer, boolean),
                       fenced_record_attempt(bigint, bigint, integer, integer, text, double precision, boolean),
                       fenced_record_created(bigint, bigint, text, text, text),
                       fenced_record_outcome_unknown(bigint, bigint, text),
                       fenced_record_rejected(bigint, bigint, text, text),
                       fenced_record_mismatch(bigint, bigint, text[], text, text, text),
                       fenced_record_needs_reconciliation(bigint, bigint, text),
                       fenced_mark_ambiguous(bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_payout(text, text, double precision), renew_lease(bigint, bigint, double precision),
                          release_payout(bigint, bigint, double precision),
                          fenced_record_attempt_started(bigint, bigint, integer, boolean),
                          fenced_record_attempt(bigint, bigint, integer, integer, text, double precision, boolean),
                          fenced_record_created(bigint, bigint, text, text, text),
                          fenced_record_outcome_unknown(bigint, bigint, text),
                          fenced_record_rejected(bigint, bigint, text, text),
                          fenced_record_mismatch(bigint, bigint, text[], text, text, text),
                          fenced_record_needs_reconciliation(bigint, bigint, text),
                          fenced_mark_ambiguous(bigint, bigint, text)
    TO payout_desk_agent;
-- The send path is fenced now: no agent writes it without its claim. record_status (polling) and record_mismatch
-- (a polled answer that does not fit) stay the agent's for the poll path.
REVOKE EXECUTE ON FUNCTION record_attempt_started(bigint, integer, boolean),
                           record_attempt(bigint, integer, integer, text, double precision, boolean),
                           record_created(bigint, text, text, text),
                           record_outcome_unknown(bigint, text),
                           record_rejected(bigint, text, text),
                           record_needs_reconciliation(bigint, text),
                           mark_ambiguous(bigint, text)
    FROM payout_desk_agent;
