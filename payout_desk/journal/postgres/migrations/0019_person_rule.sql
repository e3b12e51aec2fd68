-- Team journal, version 19: the membership rule of version 17 (audit F9, actor_in) for the two functions that
-- still asked pg_has_role() alone, which is true for a superuser in every group:
-- * hint_poll (version 15: preparer, viewer, approver) refuses a superuser: a superuser is no person of the team.
-- * expire_overdue (version 16: any app role) counts a superuser as an app admin only, as actor_in does (the
--   database administrator still acts as an app admin); a superuser's login is not a preparer, approver, viewer
--   or agent for it.
-- Both functions are otherwise unchanged (same bodies, same grants: CREATE OR REPLACE keeps the grants).

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- Whether session_user is in one of p_groups by the rule of actor_in (version 17): really in it, and not a
-- superuser unless the group is payout_desk_admin.
CREATE FUNCTION is_person_in(p_groups name[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_roles AS g
         WHERE g.rolname = ANY (p_groups)
           AND pg_catalog.pg_has_role(session_user, g.oid, 'USAGE')
           AND (g.rolname = 'payout_desk_admin'
                OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS s WHERE s.rolname = session_user AND s.rolsuper)))
$$;

CREATE OR REPLACE FUNCTION hint_poll(p_local_id bigint, p_reason text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
    v_hinted bigint;
BEGIN
    IF NOT is_person_in(ARRAY['payout_desk_preparer', 'payout_desk_viewer', 'payout_desk_approver']::name[]) THEN
        RAISE EXCEPTION '% may not hint the agent''s polls (a superuser is not a person of the team)', session_user
            USING ERRCODE = 'insufficient_privilege';
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

CREATE OR REPLACE FUNCTION expire_overdue() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_row payouts;
    v_now timestamptz;
    v_count integer := 0;
BEGIN
    IF NOT is_person_in(ARRAY['payout_desk_preparer', 'payout_desk_approver', 'payout_desk_viewer',
                              'payout_desk_admin', 'payout_desk_agent']::name[]) THEN
        RAISE EXCEPTION '% is not in a Payout Desk role (a superuser counts as an app admin only)', session_user
            USING ERRCODE = 'insufficient_privilege';
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

REVOKE ALL ON FUNCTION is_person_in(name[]) FROM PUBLIC;
