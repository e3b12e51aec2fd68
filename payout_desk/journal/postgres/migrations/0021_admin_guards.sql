-- Team journal, version 21: the admin guards of audit 2. N3, maker-checker: one person must not both change the approval rules and
-- prepare or approve payouts: else an app admin who is also a preparer drops the rule, prepares a payout that
-- then needs no approval, and puts the rule back. set_approval_rule (set-rule), set_approval_expiry (set-expiry)
-- and set_retype_threshold (set-retype-threshold) are refused, in words, to a caller who is also a preparer or an
-- approver (by is_person_in, version 19: a superuser, the database administrator, is neither). The check sits in
-- statement triggers on the two tables those functions write, so their bodies stay as in version 16, and a write
-- that bypasses the functions (a login with pg_write_all_data) is refused the same way. set_provider_base_url
-- writes other columns of team_settings and is not concerned.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE FUNCTION refuse_rules_by_a_maker() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_held name[];
BEGIN
    SELECT array_agg(g ORDER BY g) INTO v_held
      FROM unnest(ARRAY['payout_desk_approver', 'payout_desk_preparer']::name[]) AS g
     WHERE is_person_in(ARRAY[g]);
    IF v_held IS NOT NULL THEN
        RAISE EXCEPTION '% is also %: one person may not both change the approval rules (%) and prepare or approve '
                        'payouts. Nothing was changed. The database administrator gives these changes to an '
                        'administrator who neither prepares nor approves, or revokes the other role (REVOKE % FROM %).',
                        session_user,
                        replace(replace(array_to_string(v_held, ' and '), 'payout_desk_approver', 'an approver'),
                                'payout_desk_preparer', 'a preparer'),
                        TG_ARGV[0], array_to_string(v_held, ', '), session_user
            USING ERRCODE = 'PDA01';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER approval_rules_maker_checker BEFORE INSERT OR UPDATE OR DELETE ON approval_rules
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rules_by_a_maker('set-rule');
CREATE TRIGGER team_settings_maker_checker BEFORE UPDATE OF approval_expiry_days, retype_thresholds ON team_settings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rules_by_a_maker('set-expiry, set-retype-threshold');

REVOKE ALL ON FUNCTION refuse_rules_by_a_maker() FROM PUBLIC;

-- Audit 2, N2: a change of the team's provider while payouts may still be paid at the current one (pending,
-- created, outcome unknown, needs reconciliation, or confirmed with an attempt started) is refused, in words,
-- listing them: after the change no agent follows them (claim_payout and the poller serve the new provider only),
-- and a preparer who sees "Pending" for weeks re-does the payout. p_force: the change goes through, audited with
-- the payouts left behind, and each of them becomes needs_reconciliation (with a message saying why), so every
-- desk shows it as such and an administrator settles it with `payout-desk-admin reconcile`. The same provider
-- written differently is no change. Returns the payouts left behind (empty when none). The one-argument function
-- of version 2 keeps its name and grant and refuses the same way (it never forces).
CREATE FUNCTION set_provider_base_url(p_url text, p_force boolean) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_actor text := actor_in('payout_desk_admin');
    v_old text;
    v_open bigint[];
    v_said text;
    v_now timestamptz;
    v_id bigint;
BEGIN
    IF p_url IS NULL OR p_url !~ '^https?://[^/\s]+' THEN
        RAISE EXCEPTION 'the provider base URL must start with https:// (or http:// for a local sandbox)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1346652721);  -- the events lock: no confirmation or claim in between
    SELECT provider_base_url INTO v_old FROM team_settings FOR UPDATE;
    IF v_old IS NOT NULL AND normalized_base_url(v_old) IS DISTINCT FROM normalized_base_url(p_url) THEN
        SELECT array_agg(local_id ORDER BY local_id),
               string_agg('#' || local_id || ' ' || replace(status, '_', ' ') || ' ' || amount || ' ' || currency,
                          ', ' ORDER BY local_id)
          INTO v_open, v_said
          FROM payouts
         WHERE is_team_connection(connection_id)
           AND (status IN ('pending', 'created', 'outcome_unknown', 'needs_reconciliation')
                OR (status = 'confirmed' AND (first_attempt_at IS NOT NULL OR attempt_open > 0 OR ambiguous > 0
                                              OR payment_id IS NOT NULL)));
        IF v_open IS NOT NULL AND NOT coalesce(p_force, false) THEN
            RAISE EXCEPTION '% payout(s) may still be paid at the team''s provider % (%): after a change no agent '
                            'follows them. Nothing was changed. Wait until the agent has them final, or change it '
                            'with --force (audited): they then become needs reconciliation, for an administrator '
                            'to settle with payout-desk-admin reconcile.',
                            cardinality(v_open), v_old, v_said USING ERRCODE = 'PDA01';
        END IF;
    END IF;
    v_now := clock_timestamp();
    FOREACH v_id IN ARRAY coalesce(v_open, '{}') LOOP
        CONTINUE WHEN (SELECT status FROM payouts WHERE local_id = v_id) = 'needs_reconciliation';
        PERFORM lock_payout(v_id);
        PERFORM append_event(v_id, v_now, 'needs_reconciliation', v_actor, jsonb_build_object(
            'message', 'The team''s provider changed from ' || v_old || ' to ' || p_url || ' while this payout could '
                       || 'still be paid there (forced by ' || v_actor || '); no agent follows it any more.',
            'old', (SELECT status FROM payouts WHERE local_id = v_id), 'new', 'needs_reconciliation',
            'forced_provider_change', true));
        UPDATE payouts SET status = 'needs_reconciliation', updated_at = v_now,
               last_error = 'The team''s provider changed from ' || v_old || ' to ' || p_url || ' while this payout '
                            || 'could still be paid there: check it at that provider; an administrator settles it '
                            || '(payout-desk-admin reconcile).'
         WHERE local_id = v_id;
    END LOOP;
    UPDATE team_settings SET provider_base_url = p_url, updated_at = v_now, updated_by = v_actor;
    INSERT INTO admin_audit (actor, action, detail)
    VALUES (v_actor, 'set-provider-base-url', jsonb_build_object('old', v_old, 'new', p_url)
                     || CASE WHEN v_open IS NULL THEN '{}'::jsonb
                             ELSE jsonb_build_object('forced', true, 'left_at_old_provider', to_jsonb(v_open)) END);
    RETURN coalesce(v_open, '{}');
END
$$;

CREATE OR REPLACE FUNCTION set_provider_base_url(p_url text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM set_provider_base_url(p_url, false);
END
$$;

REVOKE ALL ON FUNCTION set_provider_base_url(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_provider_base_url(text, boolean) TO payout_desk_admin;
